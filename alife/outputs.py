"""Output folders of figures and GraphML: nothing is overwritten without ``force``.

``alife plot``, ``alife neutral`` (its ``--figs`` folder) and the library
functions behind them know, before they compute anything, the names of the
files they will write (some as patterns, e.g. ``network*.graphml`` or
``plane_pair*.png`` whose numbers depend on the data).  When any of them
already exists in the folder and ``force`` is not set, the command stops
with one line naming the file, before any work: so an existing figure is
never replaced by accident, and a refused command costs nothing.  Other
files in the folder are left alone (a figure folder may hold the run file
itself).  A path there that is not a regular file (a folder, a link, a
device) is refused even with ``force``.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["existing_outputs", "check_new_outputs"]


def existing_outputs(folder, names=(), patterns=()) -> list[Path]:
    """The paths in ``folder`` that are among ``names`` or match one of the
    glob ``patterns`` (sorted); [] when the folder does not exist."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = {folder / n for n in names if os.path.lexists(folder / n)}
    for pattern in patterns:
        found.update(folder.glob(pattern))
    return sorted(found)


def check_new_outputs(folder, names=(), patterns=(), *, force: bool = False,
                      option: str = "--out") -> None:
    """Refuse to write into ``folder`` where one of the files to write exists.

    Parameters
    ----------
    folder : path of the output folder (it may not exist yet)
    names : file names that will be written
    patterns : glob patterns of file names that may be written
    force : allow replacing existing regular files
    option : the command-line option that names the folder, for the message

    Raises
    ------
    ValueError
        One line: ``folder`` is a file; or a file to write exists and
        ``force`` is false; or (even with ``force``) a path to write is not
        a regular file (a folder, a symbolic link, a device).
    """
    folder = Path(folder)
    if os.path.lexists(folder) and not folder.is_dir():
        raise ValueError(f"{folder} is not a folder; give a folder with {option}")
    for path in existing_outputs(folder, names, patterns):
        mode = os.lstat(path).st_mode
        if not stat.S_ISREG(mode):
            raise ValueError(f"{path} exists and is not a regular file (a folder, link or "
                             f"device); remove it or choose another {option}")
        if not force:
            raise ValueError(f"{path} already exists; use --force to overwrite the figures in "
                             f"{folder}, or another {option}")
