"""Analysis result files: ``NET.h5`` of ``alife neutral``, ``BRIDGE.h5`` of
``alife bridge``, fold tables and network checkpoints.

One HDF5 file written once, atomically (:func:`alife.store.atomic_write`),
with root attributes ``kind`` (what the file holds), ``schema_version``
(:data:`RESULTS_SCHEMA_VERSION`), ``alife_version`` and the caller's own
attributes, and one dataset per array (``"group/name"`` paths).

Integrity
---------
Every dataset carries the CRC-32 of its values in its attribute ``crc32``
(:func:`data_crc`), and the root attribute ``checksum_crc32`` covers every
other root attribute (the config, the summary, the kind, ...) and the list
of datasets: each one's name, dtype, shape and ``crc32``
(:func:`_root_crc`).  Opening a file (:class:`ResultFile`) checks the root
checksum against the attributes and the datasets' metadata; reading a
dataset checks its values.  A file damaged anywhere -- a flipped bit in a
value, an attribute, a name, a shape -- is refused with one line
(:class:`RunFileError`), never read as other numbers.

Files of ``schema_version`` 1 (written by alife before result files carried
checksums) are still read, unverified, with a :class:`UnverifiedResultWarning`
telling the user to rerun the command that made them.
"""
from __future__ import annotations

import json
import os
import stat
import warnings
import zlib
from pathlib import Path

import h5py
import numpy as np

from .. import __version__ as _ALIFE_VERSION
from .. import provenance as _provenance
from .atomic import atomic_write, check_target, remove_stale_temps
from .errors import RunFileError, error_line
from .sizes import check_read

__all__ = ["RESULTS_SCHEMA_VERSION", "write_results", "read_results", "result_kind",
           "ResultFile", "UnverifiedResultWarning", "data_crc"]

#: Version of the result-file layout written by :func:`write_results`
#: (1: without checksums; 2: with them).
RESULTS_SCHEMA_VERSION = 2
_READABLE = (1, 2)
#: Dataset attribute: CRC-32 of the values (:func:`data_crc`).
DATA_CRC = "crc32"
#: Root attribute: CRC-32 of the other root attributes and the dataset list.
ROOT_CRC = "checksum_crc32"
_FIX = "the file was damaged on disk; restore it from a backup or rerun the command that wrote it"


class UnverifiedResultWarning(UserWarning):
    """A result file written before result files carried checksums was read
    without verification."""


def data_crc(value) -> int:
    """CRC-32 of a dataset's values as :meth:`ResultFile.read` returns them:
    the raw bytes of an array, or the length-prefixed UTF-8 of each string
    of a list of strings."""
    if isinstance(value, list):
        crc = zlib.crc32(len(value).to_bytes(8, "little"))
        for s in value:
            b = s.encode("utf-8", "surrogatepass")
            crc = zlib.crc32(b, zlib.crc32(len(b).to_bytes(8, "little"), crc))
        return crc
    return zlib.crc32(np.ascontiguousarray(value).tobytes())


def _attr_bytes(name: str, v) -> bytes:
    """A root attribute, canonically: its name, type and value."""
    if isinstance(v, str):
        return json.dumps([name, "str", v]).encode("utf-8", "surrogatepass")
    if isinstance(v, bytes):
        return json.dumps([name, "bytes", v.hex()]).encode()
    a = np.asarray(v)
    if a.dtype.hasobject:
        return json.dumps([name, "list", [str(x) for x in a.ravel().tolist()]]).encode(
            "utf-8", "surrogatepass")
    return json.dumps([name, a.dtype.str, list(a.shape)]).encode() + a.tobytes()


def _root_crc(attrs: dict, manifest: list) -> int:
    """CRC-32 of the root attributes but ``checksum_crc32`` (sorted by name)
    and of ``manifest``: (name, dtype, shape, crc32) of every dataset, sorted."""
    crc = 0
    for k in sorted(attrs):
        if k != ROOT_CRC:
            crc = zlib.crc32(_attr_bytes(k, attrs[k]), crc)
    for entry in sorted(manifest):
        crc = zlib.crc32(json.dumps(entry).encode("utf-8", "surrogatepass"), crc)
    return crc


def _as_stored(a):
    """What a dataset stores: a list of str, or a numpy array."""
    if isinstance(a, (list, tuple)) and (not a or isinstance(a[0], str)):
        return list(a)
    return np.asarray(a)


def write_results(path, kind: str, attrs: dict, arrays: dict, *, force: bool = False,
                  compress: bool = False) -> Path:
    """Write an analysis result file atomically (temporary file, fsync, rename).

    The file is complete or absent: a process killed while writing leaves any
    previous file untouched.  An existing file is replaced only with
    ``force=True``; a target that is not a regular file never.

    Parameters
    ----------
    path : destination (``NET.h5``)
    kind : str, what the file holds (root attribute ``kind``, e.g. ``"neutral"``)
    attrs : dict of str -> str / int / float / bool root attributes (e.g. the config TOML)
    arrays : dict of "group/name" -> array (numpy arrays; lists of str become
        UTF-8 string datasets)
    compress : bool, gzip arrays of more than 64 KiB (chunked by 1 MiB rows)

    Returns
    -------
    Path of the written file.
    """
    path = Path(path)
    if path.is_dir():
        raise RunFileError(f"{path} is a directory")
    check_target(path, force=force)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)                 # left by a writer that was killed
    with atomic_write(path) as tmp, h5py.File(tmp, "x", track_order=False) as f:
        f.attrs["kind"] = kind
        f.attrs["schema_version"] = np.int64(RESULTS_SCHEMA_VERSION)
        f.attrs["alife_version"] = str(_ALIFE_VERSION)
        f.attrs["provenance"] = json.dumps(_provenance.recorded(), sort_keys=True)
        for k, v in attrs.items():
            f.attrs[k] = v
        manifest = [_write_dataset(f, name, _as_stored(a), compress)
                    for name, a in sorted(arrays.items())]
        stored = {k: _attr_value(v) for k, v in f.attrs.items()}   # as a reader gets them
        f.attrs[ROOT_CRC] = np.int64(_root_crc(stored, manifest))
    return path


def _write_dataset(f: h5py.File, name: str, a, compress: bool) -> list:
    """Create one dataset with its ``crc32``; return its manifest entry."""
    if isinstance(a, list):
        ds = f.create_dataset(name, data=np.array(a, dtype=object),
                              dtype=h5py.string_dtype("utf-8"), track_times=False)
    else:
        kw = {}
        if compress and a.nbytes > 1 << 16 and a.ndim >= 1:
            rows = max(1, (1 << 20) // max(1, a.nbytes // max(1, a.shape[0])))
            kw = {"compression": "gzip", "chunks": (min(rows, a.shape[0]),) + a.shape[1:]}
        ds = f.create_dataset(name, data=a, track_times=False, **kw)
        if ds.dtype != a.dtype:
            a = a.astype(ds.dtype)
    crc = data_crc(a)
    ds.attrs[DATA_CRC] = np.int64(crc)
    return _entry(name, ds, crc)


def _entry(name: str, ds: h5py.Dataset, crc: int) -> list:
    return [name, ds.dtype.str if h5py.check_string_dtype(ds.dtype) is None else "utf-8",
            list(ds.shape), int(crc)]


def _attr_value(v):
    return v.item() if isinstance(v, np.generic) else v


def _h5_open(path: Path) -> h5py.File:
    if not path.exists():
        raise RunFileError(f"{path} does not exist")
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise RunFileError(f"{path} cannot be read ({e.strerror})") from None
    if not stat.S_ISREG(mode):
        raise RunFileError(f"{path} is not a regular file; give a result file")
    try:
        return h5py.File(path, "r")
    except Exception as e:  # OSError for everything HDF5 rejects
        raise RunFileError(f"{path} is not a readable HDF5 file (truncated or corrupt?): "
                           f"{error_line(e)}") from None


class ResultFile:
    """A result file open for reading, its root checksum verified.

    Use as a context manager; :attr:`attrs` holds the root attributes,
    :attr:`names` the dataset paths, :meth:`read` one dataset (its values
    verified against their ``crc32``).  Every HDF5 failure becomes one
    :class:`RunFileError` line naming the file.

    Parameters
    ----------
    path : the file
    kind : str or None, the ``kind`` the file must have
    """

    def __init__(self, path, kind: str | None = None):
        self.path = Path(path)
        self._f = _h5_open(self.path)
        try:
            self._load(kind)
        except BaseException:
            self._f.close()
            raise

    def _corrupt(self, what: str) -> RunFileError:
        return RunFileError(f"{self.path} is corrupt: {what}; {_FIX}")

    def _load(self, kind) -> None:
        try:
            attrs = {k: _attr_value(v) for k, v in self._f.attrs.items()}
        except Exception as e:
            raise self._corrupt(f"its attributes cannot be read ({error_line(e)})") from None
        if "kind" not in attrs or (kind is not None and attrs["kind"] != kind):
            raise RunFileError(f"{self.path} is not an alife {kind or 'result'} file")
        sv = attrs.get("schema_version")
        if not isinstance(sv, int) or isinstance(sv, bool) or sv not in _READABLE:
            raise RunFileError(f"{self.path} has result schema_version {sv!r}; this alife "
                               f"({_ALIFE_VERSION}) reads {', '.join(map(str, _READABLE))} "
                               f"(is the file damaged, or from a newer alife?)")
        self.verified = sv >= 2
        self.entries = self._manifest()
        if self.verified:
            want = attrs.get(ROOT_CRC)
            if not isinstance(want, int) or want != _root_crc(attrs, list(self.entries.values())):
                raise self._corrupt(f"its attributes or dataset list do not match their "
                                    f"checksum {ROOT_CRC}")
        else:
            warnings.warn(f"{self.path} was written by an alife without result checksums: its "
                          f"numbers are read unverified; rerun the command that wrote it to "
                          f"get a verified file", UnverifiedResultWarning, stacklevel=3)
        self.attrs = {k: v for k, v in attrs.items() if k != ROOT_CRC}
        self.names = sorted(self.entries)

    def _manifest(self) -> dict:
        out = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                check_read(obj, self.path)    # no read of data the file only declares
                crc = obj.attrs.get(DATA_CRC) if self.verified else 0
                if not isinstance(crc, (int, np.integer)):
                    raise self._corrupt(f"dataset {name} has no valid {DATA_CRC} attribute")
                out[name] = _entry(name, obj, int(crc))
        try:
            self._f.visititems(visit)
        except RunFileError:
            raise
        except Exception as e:
            raise self._corrupt(f"its index of datasets cannot be read ({error_line(e)})") from None
        return out

    def read(self, name: str):
        """Dataset ``name`` (a numpy array, or a list of str for text),
        verified against its ``crc32``.

        Raises
        ------
        RunFileError
            No such dataset, or its values are damaged.
        """
        if name not in self.entries:
            raise RunFileError(f"{self.path} has no dataset {name!r}")
        try:
            obj = self._f[name]
            if h5py.check_string_dtype(obj.dtype) is not None:
                value = [s.decode("utf-8", "surrogateescape") if isinstance(s, bytes) else s
                         for s in np.asarray(obj[()]).ravel().tolist()]
            else:
                value = obj[()]
        except Exception as e:  # a chunk that does not decompress, a damaged index
            raise self._corrupt(f"reading dataset {name} failed ({error_line(e)})") from None
        if self.verified and data_crc(value) != self.entries[name][3]:
            raise self._corrupt(f"dataset {name} does not match its checksum ({DATA_CRC})")
        return value

    def read_all(self, names=None) -> dict:
        """``{name: read(name)}`` for ``names`` (default: every dataset)."""
        return {n: self.read(n) for n in (self.names if names is None else names)}

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> "ResultFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_results(path, kind: str | None = None, names=None) -> tuple[dict, dict]:
    """Read a file written by :func:`write_results`: ``(attrs, arrays)``.

    Parameters
    ----------
    path : the file
    kind : str or None, the ``kind`` it must have
    names : iterable of dataset paths, or None for every dataset; only these
        are read (and verified), with the root checksum

    Returns
    -------
    attrs : dict, the root attributes
    arrays : dict, dataset path -> numpy array (string datasets as lists of str)

    Raises
    ------
    RunFileError
        One line, for a missing, unreadable, damaged or wrong-kind file.
    """
    with ResultFile(path, kind) as rf:
        return dict(rf.attrs), rf.read_all(None if names is None else list(names))


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
    except Exception as e:
        raise RunFileError(f"{path} is not a readable HDF5 file (truncated or corrupt?): "
                           f"{error_line(e)}") from None
    if kind is None and not has_run:
        raise RunFileError(f"{path} is not an alife run or result file")
    if kind is not None and not isinstance(kind, str):
        raise RunFileError(f"{path} is corrupt: its kind attribute is not text; {_FIX}")
    return None if kind is None else str(kind)
