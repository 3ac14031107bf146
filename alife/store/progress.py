"""The progress file of an analysis: ``NET.h5.partial`` of ``alife neutral``.

Written atomically next to the result file while the analysis runs, and
read back to resume it.  The file is an uncompressed ``.npz`` read with
``allow_pickle=False``: nothing in it can run code.  Entries:

``__meta__``   JSON (UTF-8 bytes): ``format`` (``"alife-progress"``), ``version`` (2),
               ``key`` (the canonical config text the state belongs to),
               ``alife_version`` and ``crc32``
``__state__``  JSON (UTF-8 bytes) of the state (:func:`alife.store.plain.encode`)
``a0``, ...    the state's numeric arrays

``crc32`` is the CRC-32 of the key, the state's JSON and every array (name,
dtype, shape, bytes), so a damaged file is refused, and the state is only
returned to a caller with the same key.  Progress files of alife versions
before this format (a pickle) are never loaded: they are refused in one
line (delete them, or pass ``--force``, to start afresh).

A CRC is no signature: whoever can write the output's folder can forge a
progress file as they could forge the result file itself.  What the format
guarantees is that reading one can only yield plain values, or a one-line
:class:`RunFileError`.
"""
from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .. import __version__ as _ALIFE_VERSION
from .atomic import (atomic_write, check_regular_input, open_exclusive, read_regular_bytes,
                     remove_stale_temps)
from .errors import RunFileError, error_line
from .plain import PlainDataError, decode, encode

__all__ = ["progress_path", "write_progress", "read_progress", "progress_key", "PROGRESS_SUFFIX"]

#: ``NET.h5`` -> ``NET.h5`` + this suffix.
PROGRESS_SUFFIX = ".partial"
_FORMAT, _VERSION = "alife-progress", 2
_OLD_MAGIC = b"alife-progress 1\n"
_FIX = "delete it (or pass --force) to start afresh"


def progress_path(result_path) -> Path:
    """``NET.h5`` -> ``NET.h5.partial`` (same directory)."""
    result_path = Path(result_path)
    return result_path.with_name(result_path.name + PROGRESS_SUFFIX)


def _crc(key: str, state_json: str, arrays: dict) -> int:
    crc = zlib.crc32(key.encode("utf-8", "surrogatepass"))
    crc = zlib.crc32(state_json.encode("utf-8", "surrogatepass"), crc)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        head = json.dumps([name, a.dtype.str, list(a.shape)]).encode()
        crc = zlib.crc32(a.tobytes(), zlib.crc32(head, crc))
    return crc


def write_progress(result_path, key: str, state) -> Path:
    """Write the progress of an analysis next to its result file, atomically.

    ``state`` (plain data, see :mod:`alife.store.plain`: dicts, lists,
    tuples, numbers, strings, numpy arrays and scalars) is stored under
    ``key`` (the config text); :func:`read_progress` returns it only to a
    caller with the same key.  The previous progress file is replaced with
    :func:`os.replace`, so the path always holds a complete file.

    Raises
    ------
    alife.store.plain.PlainDataError
        A value that is not plain data (e.g. an object array).
    """
    final = progress_path(result_path)
    text, arrays = encode(state)
    meta = {"format": _FORMAT, "version": _VERSION, "key": key,
            "alife_version": str(_ALIFE_VERSION), "crc32": _crc(key, text, arrays)}
    entries = {"__meta__": _utf8(json.dumps(meta)), "__state__": _utf8(text), **arrays}
    final.parent.mkdir(parents=True, exist_ok=True)     # as write_results does
    with atomic_write(final) as tmp, open_exclusive(tmp) as fh:
        np.savez(fh, **entries)
    return final


def progress_key(result_path) -> str | None:
    """The key a progress file was written with; None if there is none.

    Raises :class:`RunFileError` (one line) for an unreadable file."""
    path = progress_path(result_path)
    remove_stale_temps(path)
    remove_stale_temps(Path(result_path))
    if not path.exists() and not path.is_symlink():
        return None
    return _read(path)[0]


def read_progress(result_path, key: str):
    """The state :func:`write_progress` stored under ``key``.

    Raises
    ------
    RunFileError
        One line: no progress file, a truncated or corrupt one (its CRC-32
        fails), one in the old pickle format, or one written with another key.
    """
    path = progress_path(result_path)
    if not path.exists():
        raise RunFileError(f"{path} does not exist: no progress to resume from")
    got, text, arrays = _read(path)
    if got != key:
        raise RunFileError(f"{path} holds the progress of another config")
    try:
        return decode(text, arrays)
    except PlainDataError as e:
        raise RunFileError(f"{path} is not a readable progress file (corrupt): {e}; {_FIX}") from None


def _utf8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def _text(a: np.ndarray) -> str:
    if a.dtype != np.uint8 or a.ndim != 1:
        raise ValueError("a text entry is not UTF-8 bytes")
    return a.tobytes().decode("utf-8", "surrogatepass")


def _unreadable(path: Path, why: str) -> RunFileError:
    return RunFileError(f"{path} is not a readable progress file (truncated or corrupt, or "
                        f"written by an older alife): {why}; {_FIX}")


def _read(path: Path) -> tuple[str, str, dict]:
    check_regular_input(path)
    data = read_regular_bytes(path)
    if data.startswith(_OLD_MAGIC):
        raise _unreadable(path, "the old pickle format, which this alife never loads")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
        # stored members only, no larger than the file: no decompression bomb
        if any(i.compress_type != zipfile.ZIP_STORED for i in infos) or \
                sum(i.file_size for i in infos) > len(data):
            raise ValueError("compressed or oversized members")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            entries = {k: z[k] for k in z.files}
        meta = json.loads(_text(entries.pop("__meta__")))
        text = _text(entries.pop("__state__"))
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError("not an alife progress file")
        if meta.get("version") != _VERSION:
            raise ValueError(f"progress format version {meta.get('version')!r}")
        key = meta.get("key")
        if not isinstance(key, str):
            raise ValueError("bad header")
        if meta.get("crc32") != _crc(key, text, entries):
            raise ValueError("checksum mismatch")
    except RunFileError:
        raise
    except Exception as e:  # zipfile, numpy format (object arrays), JSON errors alike
        raise _unreadable(path, error_line(e)) from None
    return key, text, entries
