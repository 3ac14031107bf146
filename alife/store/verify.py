"""One integrity check for any file alife writes (``alife verify FILE``)."""
from __future__ import annotations

import warnings
from pathlib import Path

from .results import ResultFile, UnverifiedResultWarning, result_kind
from .runfile import RunFile

__all__ = ["verify_file"]


def verify_file(path) -> str:
    """Check a run file or result file end to end; return a one-line description.

    A run file (``alife evolve``) is opened and :meth:`RunFile.verify`'d:
    every chunk of its complete generations is read (HDF5 checks each chunk's
    Fletcher-32 checksum) and every generation's CRC-32 recomputed.  A result
    file (``alife neutral``, ``alife bridge``, checkpoints, fold tables) is
    read whole (:class:`~alife.store.results.ResultFile`): its root checksum
    (attributes and dataset list) must match, and every dataset must decode
    and match its CRC-32.  A result file written before result checksums is
    read whole and reported as unverified.

    Returns
    -------
    str
        E.g. ``"run file, 30 generations, done, checksums verified"`` or
        ``"neutral result file, 41 datasets read"``.

    Raises
    ------
    RunFileError
        One line naming the file and what is wrong with it.
    """
    path = Path(path)
    kind = result_kind(path)
    if kind is None:
        with RunFile.open(path, "r", verify=True) as rf:
            G, status = rf.generations_done, rf.status
        return f"run file, {G} generation{'s' if G != 1 else ''}, {status}, checksums verified"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedResultWarning)
        with ResultFile(path, kind) as rf:
            n = len(rf.read_all())
            verified = rf.verified
    note = "" if verified else (", no checksums (written by an older alife: rerun the "
                                "command that wrote it to get a verified file)")
    return f"{kind} result file, {n} dataset{'s' if n != 1 else ''} read{note}"
