"""Analysis result files: ``NET.h5`` of ``alife neutral``, ``BRIDGE.h5`` of
``alife bridge``, fold tables and network checkpoints.

One HDF5 file written once, atomically (:func:`alife.store.atomic_write`),
with root attributes ``kind`` (what the file holds), ``schema_version``
(:data:`RESULTS_SCHEMA_VERSION`), ``alife_version`` and the caller's own
attributes, and one dataset per array (``"group/name"`` paths).
"""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from .. import __version__ as _ALIFE_VERSION
from .atomic import atomic_write
from .errors import RunFileError, error_line
from .sizes import check_read

__all__ = ["RESULTS_SCHEMA_VERSION", "write_results", "read_results", "result_kind"]

#: Version of the result-file layout written by :func:`write_results`.
RESULTS_SCHEMA_VERSION = 1


def write_results(path, kind: str, attrs: dict, arrays: dict, *, force: bool = False,
                  compress: bool = False) -> Path:
    """Write an analysis result file atomically (temporary file, fsync, rename).

    The file is complete or absent: a process killed while writing leaves any
    previous file untouched.  An existing file is replaced only with
    ``force=True``.

    Parameters
    ----------
    path : destination (``NET.h5``)
    kind : str, what the file holds (root attribute ``kind``, e.g. ``"neutral"``)
    attrs : dict of str -> str / int / float root attributes (e.g. the config TOML)
    arrays : dict of "group/name" -> array (numpy arrays; lists of str become
        UTF-8 string datasets)
    compress : bool, gzip arrays of more than 64 KiB (chunked by 1 MiB rows)

    Returns
    -------
    Path of the written file.
    """
    path = Path(path)
    if path.exists() and not force:
        raise RunFileError(f"{path} already exists; use --force to overwrite it or a new --out")
    if path.is_dir():
        raise RunFileError(f"{path} is a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as tmp, h5py.File(tmp, "w", track_order=False) as f:
        f.attrs["kind"] = kind
        f.attrs["schema_version"] = np.int64(RESULTS_SCHEMA_VERSION)
        f.attrs["alife_version"] = str(_ALIFE_VERSION)
        for k, v in attrs.items():
            f.attrs[k] = v
        for name, a in sorted(arrays.items()):
            if isinstance(a, (list, tuple)) and (not a or isinstance(a[0], str)):
                f.create_dataset(name, data=np.array(a, dtype=object),
                                 dtype=h5py.string_dtype("utf-8"), track_times=False)
            else:
                a = np.asarray(a)
                kw = {}
                if compress and a.nbytes > 1 << 16 and a.ndim >= 1:
                    rows = max(1, (1 << 20) // max(1, a.nbytes // max(1, a.shape[0])))
                    kw = {"compression": "gzip", "chunks": (min(rows, a.shape[0]),) + a.shape[1:]}
                f.create_dataset(name, data=a, track_times=False, **kw)
    return path


def read_results(path, kind: str | None = None) -> tuple[dict, dict]:
    """Read a file written by :func:`write_results`: ``(attrs, arrays)``.

    String datasets come back as lists of str.  Raises :class:`RunFileError`
    (one line) for a missing, unreadable or wrong-kind file.
    """
    path = Path(path)
    if not path.exists():
        raise RunFileError(f"{path} does not exist")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise RunFileError(f"{path} is not a readable HDF5 file (truncated or corrupt?): "
                           f"{error_line(e)}") from None
    with f:
        attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in f.attrs.items()}
        if "kind" not in attrs or (kind is not None and attrs["kind"] != kind):
            raise RunFileError(f"{path} is not an alife {kind or 'result'} file")
        arrays = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                check_read(obj, path)    # no read of data the file only declares
                if h5py.check_string_dtype(obj.dtype) is not None:
                    arrays[name] = [s.decode("utf-8") if isinstance(s, bytes) else s
                                    for s in obj[()].tolist()]
                else:
                    arrays[name] = obj[()]
        f.visititems(visit)
    return attrs, arrays


def result_kind(path) -> str | None:
    """What an alife HDF5 file holds: its ``kind`` attribute (``"neutral"``,
    ``"bridge"``, ``"checkpoint"``) for result files, None for a run file.

    Raises RunFileError (one line) for a missing file or one that is not HDF5.
    """
    path = Path(path)
    if not path.is_file():
        raise RunFileError(f"{path} does not exist (or is not a file); give a RUN.h5, NET.h5 "
                           f"or BRIDGE.h5 file")
    try:
        with h5py.File(path, "r") as f:
            kind = f.attrs.get("kind")
            has_run = "schema_version" in f.attrs and "config_toml" in f.attrs
    except OSError as e:
        raise RunFileError(f"{path} is not a readable HDF5 file (truncated or corrupt?): "
                           f"{' '.join(str(e).split())}") from None
    if kind is None and not has_run:
        raise RunFileError(f"{path} is not an alife run or result file")
    return None if kind is None else str(kind)
