"""Atomic file replacement: write under a temporary name, fsync, rename.

Every file the store writes in one piece (a new run file, a checkpoint, a
progress file, a result file) goes through :func:`atomic_write`, so its path
always holds either the previous complete file or the new complete file,
whatever moment the process is killed at.  The temporary name is
``.NAME.TAG-PID`` in the same folder (:func:`temp_path`); a killed process
leaves it behind, and :func:`remove_stale_temps` deletes those whose process
no longer exists.
"""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

__all__ = ["atomic_write", "temp_path", "remove_stale_temps", "fsync_path", "TEMP_TAGS"]

#: The tags of temporary names: ``writing`` (replacing a file), ``creating``
#: (a new run file).
TEMP_TAGS = ("writing", "creating")


def fsync_path(path: Path, directory: bool = False) -> None:
    """fsync a file (or a directory entry, where the OS allows it)."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # e.g. Windows: directories cannot be opened
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def temp_path(path: Path, tag: str) -> Path:
    """The temporary name this process writes ``path`` under: ``.NAME.TAG-PID``."""
    return path.with_name(f".{path.name}.{tag}-{os.getpid()}")


def remove_stale_temps(path: Path) -> None:
    """Delete the temporary files (:func:`temp_path`) of ``path`` that a
    killed process left behind: those whose process no longer exists."""
    tags = "|".join(TEMP_TAGS)
    pattern = re.compile(re.escape(f".{path.name}.") + rf"(?:{tags})-([0-9]{{1,10}})\Z")
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for e in entries:
        m = pattern.match(e.name)
        if m is None or int(m.group(1)) in (os.getpid(), 0):
            continue
        pid = m.group(1)
        try:
            os.kill(int(pid), 0)
            continue                   # still running (or not ours to signal)
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, OSError):
            continue
        with contextlib.suppress(OSError):
            os.unlink(e.path)


@contextlib.contextmanager
def atomic_write(path: Path, tag: str = "writing"):
    """Yield a temporary path next to ``path`` to write.

    When the block ends without error, the temporary file is fsync'ed, moved
    over ``path`` (:func:`os.replace`) and the folder fsync'ed; on an error it
    is removed.  ``path`` always holds either its previous content or the
    new, complete file.

    Parameters
    ----------
    path : Path
        The destination.
    tag : str
        One of :data:`TEMP_TAGS`, part of the temporary name.
    """
    tmp = temp_path(path, tag)
    try:
        yield tmp
        fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent, directory=True)
