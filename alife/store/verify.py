"""One integrity check for any file alife writes (``alife verify FILE``)."""
from __future__ import annotations

from pathlib import Path

from .results import ResultFile, result_kind
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
    read whole, with an :class:`~alife.store.UnverifiedResultWarning` (the
    CLI prints it as one line on stderr).

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
    with ResultFile(path, kind) as rf:       # warns when the file has no checksums
        n = len(rf.read_all())
    return f"{kind} result file, {n} dataset{'s' if n != 1 else ''} read"
