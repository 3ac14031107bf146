"""The progress file of an analysis: ``NET.h5.partial`` of ``alife neutral``.

Written atomically next to the result file while the analysis runs, and
read back to resume it.  Layout: the magic line ``alife-progress 1``, an
8-byte little-endian length and a JSON header (``key``: the canonical config
text, ``alife_version``), then the CRC-32 (4 bytes, little-endian) of the
body and the body, a pickle of the state.  The pickle is only loaded for a
caller with the same key and after its CRC-32 matched.
"""
from __future__ import annotations

import json
import zlib
from pathlib import Path

from .. import __version__ as _ALIFE_VERSION
from .atomic import atomic_write, remove_stale_temps
from .errors import RunFileError, error_line

__all__ = ["progress_path", "write_progress", "read_progress", "progress_key", "PROGRESS_SUFFIX"]

#: ``NET.h5`` -> ``NET.h5`` + this suffix.
PROGRESS_SUFFIX = ".partial"
_PROGRESS_MAGIC = b"alife-progress 1\n"


def progress_path(result_path) -> Path:
    """``NET.h5`` -> ``NET.h5.partial`` (same directory)."""
    result_path = Path(result_path)
    return result_path.with_name(result_path.name + PROGRESS_SUFFIX)


def write_progress(result_path, key: str, state) -> Path:
    """Write the progress of an analysis next to its result file, atomically.

    ``state`` (any picklable object: the completed units and the random
    generators' states) is stored under ``key`` (the config text);
    :func:`read_progress` returns it only to a caller with the same key.
    The previous progress file is replaced with :func:`os.replace`, so the
    path always holds a complete file.
    """
    import pickle
    final = progress_path(result_path)
    head = json.dumps({"key": key, "alife_version": str(_ALIFE_VERSION)}).encode("utf-8")
    body = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    final.parent.mkdir(parents=True, exist_ok=True)     # as write_results does
    with atomic_write(final) as tmp, open(tmp, "wb") as fh:
        fh.write(_PROGRESS_MAGIC)
        fh.write(len(head).to_bytes(8, "little") + head)
        fh.write(zlib.crc32(body).to_bytes(4, "little") + body)
    return final


def progress_key(result_path) -> str | None:
    """The key a progress file was written with; None if there is none.

    Raises :class:`RunFileError` (one line) for an unreadable file."""
    path = progress_path(result_path)
    remove_stale_temps(path)
    remove_stale_temps(Path(result_path))
    if not path.exists():
        return None
    return _read_progress(path)[0]


def read_progress(result_path, key: str):
    """The state :func:`write_progress` stored under ``key``.

    Raises
    ------
    RunFileError
        One line: no progress file, a truncated or corrupt one (its CRC-32
        fails), or one written with another key (the state is then never
        unpickled).
    """
    import pickle
    path = progress_path(result_path)
    if not path.exists():
        raise RunFileError(f"{path} does not exist: no progress to resume from")
    got, body = _read_progress(path)
    if got != key:
        raise RunFileError(f"{path} holds the progress of another config")
    try:
        return pickle.loads(body)
    except Exception as e:
        raise RunFileError(f"{path} is not a readable progress file (truncated or corrupt): "
                           f"{error_line(e)}") from None


def _read_progress(path: Path) -> tuple[str, bytes]:
    try:
        data = path.read_bytes()
        if not data.startswith(_PROGRESS_MAGIC):
            raise ValueError("not an alife progress file")
        i = len(_PROGRESS_MAGIC)
        n = int.from_bytes(data[i:i + 8], "little")
        head = json.loads(data[i + 8:i + 8 + n].decode("utf-8"))
        j = i + 8 + n
        crc, body = int.from_bytes(data[j:j + 4], "little"), data[j + 4:]
        if len(data) < j + 4 or zlib.crc32(body) != crc:
            raise ValueError("checksum mismatch")
        key = head["key"]
        if not isinstance(key, str):
            raise ValueError("bad header")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise RunFileError(f"{path} is not a readable progress file (truncated or corrupt): "
                           f"{error_line(e)}; delete it (or pass --force) to start afresh") from None
    return key, body
