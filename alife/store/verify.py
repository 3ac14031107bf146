"""One integrity check for any file alife writes (``alife verify FILE``)."""
from __future__ import annotations

from pathlib import Path

from .errors import RunFileError
from .results import read_results, result_kind
from .runfile import RunFile

__all__ = ["verify_file"]


def verify_file(path) -> str:
    """Check a run file or result file end to end; return a one-line description.

    A run file (``alife evolve``) is opened and :meth:`RunFile.verify`'d:
    every chunk of its complete generations is read (HDF5 checks each chunk's
    Fletcher-32 checksum) and every generation's CRC-32 recomputed.  A result
    file (``alife neutral``, ``alife bridge``, checkpoints, fold tables) is
    read whole (:func:`read_results`): every dataset must decode.

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
    try:
        _, arrays = read_results(path, kind)
    except RunFileError:
        raise
    except Exception as e:  # a dataset HDF5 cannot decode
        raise RunFileError(f"{path} is corrupt: reading its datasets failed "
                           f"({' '.join(str(e).split())})") from None
    n = len(arrays)
    return f"{kind} result file, {n} dataset{'s' if n != 1 else ''} read"
