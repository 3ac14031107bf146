"""The HDF5 run file of one evolution run, and its resume checkpoint.

This is the only module of the package that imports :mod:`h5py`.

Layout (``schema_version`` 2)
-----------------------------
Root attributes

=============================  ==================================================
``schema_version``             int, 2
``alife_version``              str, the package version that created the file
``config_toml``                str, the canonical config text of the run
``seed_entropy``               str, the decimal digits of the root seed entropy
``status``                     ``"running"`` or ``"done"``
``last_complete_generation``   int, -1 before any generation is complete
=============================  ==================================================

Datasets, created by the first :meth:`RunFile.append_generation` with the
population size ``P`` and genome size ``D`` of that generation; resizable
along the first (generation) axis and chunked one generation per chunk:

===================  ==============  =========================================
``genomes``          (G, P, D) f4    genes in [-1, 1]
``loss``             (G, P) f8       loss of each individual (minimised)
``age``              (G, P) i8       ages (see :mod:`alife.evolve.algorithms`)
``uid``              (G, P) i8       unique individual ids
``parent_uid``       (G, P) i8       parent's uid, -1 for none
``phenotype_id``     (G, P) i8       phenotype id, -1 for degenerate
``mutation_class``   (G, P) i1       codes of :mod:`alife.evolve.lineage`
===================  ==============  =========================================

and, one row per generation,

=======================  ==========  =========================================
``class_counts``         (G, 6) i8   mutation-class counts over *all*
                                     offspring of the generation (codes -1..4)
``generation_crc32``     (G,) u4     CRC-32 of the generation (see Integrity;
                                     absent from older files)
``timing/evals_per_s``   (G,) f8     evaluations per second (wall clock)
=======================  ==========  =========================================

Every dataset except ``timing/`` is a deterministic function of the config,
so a resumed run's datasets are bit-identical to an uninterrupted run's;
wall-clock timing cannot be.  (Per-generation series live in datasets, not
attributes: an HDF5 attribute is capped at 64 KiB, which a (G, 6) array
passes at G = 1366.)

Phenotypes are content-addressed in the group ``phenotypes/``: each distinct
pattern is stored once, as one row of the resizable datasets ``id`` (int64),
``generation`` (the generation it was first stored for), ``shape`` ((H, W))
and ``start`` (its first byte in ``bits``), with ``np.packbits`` of the
raveled pattern appended to the 1-d uint8 dataset ``bits``.  Rows are in
the order first seen, so a generation's new phenotypes are written with a
handful of resizes, not one HDF5 object each (which cost ~17% of a
population-500 generation).

Integrity
---------
HDF5 checksums its metadata only partly and its raw data not at all, so a
bit flipped on disk could silently change a genome or a loss.  Every
dataset the store creates is written with the Fletcher-32 filter (one
checksum per chunk, verified by HDF5 on every read), and the immutable root
attributes are covered by ``header_crc32`` (CRC-32 of ``schema_version``,
``alife_version``, ``config_toml`` and ``seed_entropy``), checked on open.  Fletcher-32 cannot tell a valid chunk
that a damaged chunk index points to in place of another, so each
generation also has a CRC-32 in the (G,) uint32 dataset ``generation_crc32``
over its rows of every dataset but ``timing/`` and over the phenotypes first
stored for it.  A chunk whose checksum fails raises :class:`RunFileError` naming the file
and the dataset, never a bare ``OSError``; :meth:`RunFile.verify` reads every
chunk once and recomputes every generation's CRC, and opening a file to append (``mode="a"``, i.e. to resume)
verifies it first, so a damaged run is never continued.  Files written
before these checks (no filter, no ``header_crc32``, no ``generation_crc32``)
are read as before.

Crash safety and resume
-----------------------
A generation's rows are written, the file is flushed (and fsync'ed), and only
then is ``last_complete_generation`` advanced and flushed again.  A file
killed at any moment is therefore readable up to its last flush and
``last_complete_generation`` never names a generation whose rows are not on
disk.  Rows (and phenotypes) of a generation that was being written when the
process died are discarded by :meth:`RunFile.truncate_to_last_complete` (or
:meth:`RunFile.truncate_to`).  A file that was never flushed is not
readable at all (HDF5 writes its superblock on flush/close), which is why
:meth:`RunFile.create` builds the file under a temporary name and moves it
into place only once it is complete.

The algorithm and RNG state needed to continue a run lives next to the run
file in ``RUN.h5.ckpt.npz`` (:func:`write_checkpoint`, written atomically:
temporary file, fsync, :func:`os.replace`).  Resume recipe::

    gen, arrays, rng_state = read_checkpoint(path)
    with RunFile.open(path, "a") as rf:
        rf.truncate_to(gen)          # drop rows written after the checkpoint
        state = from_arrays(arrays)
        rng = np.random.default_rng(); rng.bit_generator.state = rng_state
        ...                          # continue with generation gen + 1

Every write is a deterministic function of its inputs (no timestamps in
object headers, phenotypes in a fixed order), so a resumed run produces the
same datasets, bit for bit, as an uninterrupted one.

Example
-------
>>> rf = RunFile.create(path, config_toml, seed_entropy=1234)   # doctest: +SKIP
>>> rf.add_phenotypes(ids, patterns)                            # doctest: +SKIP
>>> rf.append_generation(0, genomes=..., loss=..., age=..., uid=...,
...                      parent_uid=..., phenotype_id=..., mutation_class=...,
...                      evals_per_s=812.5)                     # doctest: +SKIP
>>> rf.mark_done(); rf.close()                                  # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import io
import json
import numbers
import os
import re
import zlib
from pathlib import Path

import h5py
import numpy as np

from . import __version__ as _ALIFE_VERSION
from .evolve import lineage as _lineage

__all__ = [
    "RunFile",
    "RunFileError",
    "SCHEMA_VERSION",
    "DATASETS",
    "MUTATION_NONE",
    "MUTATION_BENEFICIAL",
    "MUTATION_SILENT",
    "MUTATION_CRYPTIC",
    "MUTATION_DELETERIOUS",
    "MUTATION_NEUTRAL_CHANGED",
    "MUTATION_CLASS_NAMES",
    "checkpoint_path",
    "write_checkpoint",
    "read_checkpoint",
    "progress_path",
    "write_progress",
    "read_progress",
    "progress_key",
]

#: Version of the file layout described in the module docstring.
SCHEMA_VERSION = 2

#: Mutation-class codes stored in ``mutation_class`` (int8); the single source
#: of truth is :mod:`alife.evolve.lineage`.
MUTATION_NONE = _lineage.NONE
MUTATION_BENEFICIAL = _lineage.BENEFICIAL
MUTATION_SILENT = _lineage.SILENT
MUTATION_CRYPTIC = _lineage.CRYPTIC
MUTATION_DELETERIOUS = _lineage.DELETERIOUS
MUTATION_NEUTRAL_CHANGED = _lineage.NEUTRAL_CHANGED
#: code -> name
MUTATION_CLASS_NAMES: dict[int, str] = dict(_lineage.CLASS_NAMES)

#: Per-generation datasets: name -> (dtype, number of trailing axes).
#: Trailing axes: 0 -> (G,), 1 -> (G, P), 2 -> (G, P, D).
DATASETS: dict[str, tuple[np.dtype, int]] = {
    "genomes": (np.dtype(np.float32), 2),
    "loss": (np.dtype(np.float64), 1),
    "age": (np.dtype(np.int64), 1),
    "uid": (np.dtype(np.int64), 1),
    "parent_uid": (np.dtype(np.int64), 1),
    "phenotype_id": (np.dtype(np.int64), 1),
    "mutation_class": (np.dtype(np.int8), 1),
}
#: Per-generation (not per-individual) datasets: name -> (dtype, trailing shape).
GENERATION_DATASETS: dict[str, tuple[np.dtype, tuple]] = {
    "class_counts": (np.dtype(np.int64), (6,)),
}
#: Wall-clock timing per generation: the only datasets that are not a
#: deterministic function of the config (group ``timing/``).
TIMING_DATASETS: dict[str, np.dtype] = {"evals_per_s": np.dtype(np.float64)}
#: Phenotype store datasets (group ``phenotypes/``): name -> (dtype, trailing shape).
PHENOTYPE_DATASETS: dict[str, tuple[np.dtype, tuple]] = {
    "id": (np.dtype(np.int64), ()),
    "generation": (np.dtype(np.int64), ()),
    "shape": (np.dtype(np.int64), (2,)),
    "start": (np.dtype(np.int64), ()),
    "bits": (np.dtype(np.uint8), ()),
}
#: Per-generation timing (not deterministic).
_TIMING = "evals_per_s"
_TIMING_PATH = "timing/evals_per_s"
#: Per-generation mutation-class counts over *all* offspring (codes -1..4),
#: a (G, 6) int64 root attribute (survivor rows only keep their own class).
_COUNTS = "class_counts"

_REQUIRED_ATTRS = ("schema_version", "alife_version", "config_toml", "seed_entropy",
                   "status", "last_complete_generation")
_STATUSES = ("running", "done")
#: Root attributes that never change after creation, covered by ``header_crc32``.
_HEADER_ATTRS = ("schema_version", "alife_version", "config_toml", "seed_entropy")
_HEADER_CRC = "header_crc32"
#: Write every dataset with the Fletcher-32 checksum filter, and the
#: per-generation CRC-32 dataset ``generation_crc32``.
_CHECKSUM = True
_CRC = "generation_crc32"
#: What ``generation_crc32`` covers, in this order: the generation's rows of
#: these datasets, then the columns of its phenotype rows and their bits.
_CRC_DATASETS = tuple(DATASETS) + (_COUNTS,)
_CRC_PHENO = ("id", "shape", "start", "generation")
#: How to repair a file whose checksums fail.
_CORRUPT_FIX = ("the file was damaged on disk; restore it from a backup, or rerun the "
                "experiment with --force (or a new --out)")
_PHENO_GROUP = "phenotypes"
_TIMING_GROUP = "timing"
#: Fill value of ``phenotypes/generation``: rows resized into existence but
#: never written (a process killed mid-write) count as after every generation.
_UNWRITTEN = np.iinfo(np.int64).max


def _series(P: int, D: int) -> dict[str, tuple[np.dtype, tuple]]:
    """Every per-generation dataset: HDF5 path -> (dtype, trailing shape)."""
    out = {name: (dtype, ((), (P,), (P, D))[ntrail]) for name, (dtype, ntrail) in DATASETS.items()}
    out.update(GENERATION_DATASETS)
    out.update({f"{_TIMING_GROUP}/{n}": (dt, ()) for n, dt in TIMING_DATASETS.items()})
    return out
_CKPT_SUFFIX = ".ckpt.npz"
_CKPT_META = ("__generation__", "__rng_state__")


class RunFileError(ValueError):
    """A run file or checkpoint that cannot be used; the message is one line
    that names the file and what is wrong with it."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _fsync_path(path: Path, directory: bool = False) -> None:
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


def _header_crc(attrs) -> int:
    """CRC-32 of the immutable root attributes (see :data:`_HEADER_ATTRS`)."""
    text = json.dumps([str(attrs[k]) if k != "schema_version" else int(attrs[k])
                       for k in _HEADER_ATTRS])
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def _generation_crc(rows: dict, pheno: dict) -> int:
    """CRC-32 of one generation: its rows of :data:`_CRC_DATASETS`, then its
    phenotype rows' columns :data:`_CRC_PHENO` and their packed bits."""
    crc = 0
    for name in _CRC_DATASETS:
        crc = zlib.crc32(np.ascontiguousarray(rows[name]).tobytes(), crc)
    for name in _CRC_PHENO + ("bits",):
        crc = zlib.crc32(np.ascontiguousarray(pheno[name]).tobytes(), crc)
    return crc


def _tmp_name(path: Path, tag: str) -> Path:
    return path.with_name(f".{path.name}.{tag}-{os.getpid()}")


def _remove_stale_temps(path: Path) -> None:
    """Delete the temporary files (:func:`_tmp_name`) of ``path`` that a
    killed process left behind: those whose process no longer exists."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"(?:writing|creating)-([0-9]{1,10})\Z")
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
def _atomic_write(path: Path, tag: str = "writing"):
    """Yield a temporary path next to ``path`` to write; when the block ends
    without error, fsync it, move it over ``path`` (:func:`os.replace`) and
    fsync the directory, else remove it.  ``path`` always holds either its
    previous content or the new, complete file."""
    tmp = _tmp_name(path, tag)
    try:
        yield tmp
        _fsync_path(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_path(path.parent, directory=True)


# --------------------------------------------------------------------------- #
# the run file
# --------------------------------------------------------------------------- #
class RunFile:
    """One evolution run's HDF5 file; use :meth:`create` or :meth:`open`.

    A context manager (closes on exit).  Readers return only complete
    generations (``0 .. last_complete_generation``).
    """

    def __init__(self, h5: h5py.File, path: Path, mode: str, fsync: bool):
        # private: use RunFile.create / RunFile.open
        self._f = h5
        self.path = path
        self.mode = mode
        self._fsync = fsync
        self._pheno_ids: set | None = None
        self._pheno_done: int | None = None   # phenotype rows of complete generations

    # ------------------------------------------------------------------ open
    @classmethod
    def create(cls, path, config_toml: str, seed_entropy, *, force: bool = False,
               fsync: bool = True) -> "RunFile":
        """Create a new run file and return it open in mode ``"a"``.

        The file is built under a temporary name in the same directory and
        moved into place with :func:`os.replace`, so a half-created file never
        exists under ``path``.

        Parameters
        ----------
        path : str or Path
        config_toml : str, the canonical config text of the run
        seed_entropy : int (or its decimal string), the root seed entropy
        force : bool, replace an existing file (and delete its stale checkpoint)
        fsync : bool, fsync the file after every generation (durability
            against power loss, not only against a killed process)

        Raises
        ------
        RunFileError
            If ``path`` exists and ``force`` is False, or the arguments are invalid.
        """
        path = Path(path)
        if not isinstance(config_toml, str):
            raise RunFileError(f"{path}: config_toml must be a str, got {type(config_toml).__name__}")
        if isinstance(seed_entropy, str) and seed_entropy.strip().lstrip("-").isdigit():
            seed_entropy = int(seed_entropy)
        if not _is_int(seed_entropy) or seed_entropy < 0:
            raise RunFileError(f"{path}: seed_entropy must be a non-negative integer, got {seed_entropy!r}")
        if path.exists() and not force:
            raise RunFileError(f"{path} already exists; refusing to overwrite it (use force=True)")
        if path.is_dir():
            raise RunFileError(f"{path} is a directory")
        with _atomic_write(path, "creating") as tmp, h5py.File(tmp, "w", track_order=False) as f:
            a = f.attrs
            a["schema_version"] = np.int64(SCHEMA_VERSION)
            a["alife_version"] = str(_ALIFE_VERSION)
            a["config_toml"] = config_toml
            a["seed_entropy"] = str(int(seed_entropy))
            a["status"] = "running"
            a["last_complete_generation"] = np.int64(-1)
            a[_HEADER_CRC] = np.int64(_header_crc(a))
            grp = f.create_group(_PHENO_GROUP, track_order=False)
            for name, (dtype, trail) in PHENOTYPE_DATASETS.items():
                chunk = 1 << 16 if name == "bits" else 1024
                grp.create_dataset(name, shape=(0,) + trail, maxshape=(None,) + trail,
                                   chunks=(chunk,) + trail, dtype=dtype, track_times=False,
                                   fletcher32=_CHECKSUM,
                                   **({"fillvalue": _UNWRITTEN} if name == "generation" else {}))
        if force:
            checkpoint_path(path).unlink(missing_ok=True)
        return cls.open(path, "a", fsync=fsync)

    @classmethod
    def open(cls, path, mode: str = "r", *, fsync: bool = True,
             verify: bool | None = None) -> "RunFile":
        """Open and validate an existing run file.

        Parameters
        ----------
        path : str or Path
        mode : ``"r"`` (read only) or ``"a"`` (append generations)
        fsync : bool, see :meth:`create`
        verify : bool or None, read every chunk and check its checksum
            (:meth:`verify`) before returning; None (default): only for
            ``mode="a"``, so a damaged run is never resumed

        Raises
        ------
        RunFileError
            With one line naming ``path`` and the problem: missing, not a
            readable HDF5 file (truncated, corrupt, empty, another format),
            not an alife run file (attributes missing or invalid), a schema
            version this package does not read, datasets shorter than
            ``last_complete_generation`` claims, or (with ``verify``) a chunk
            whose checksum fails.
        """
        path = Path(path)
        if mode not in ("r", "a"):
            raise RunFileError(f"{path}: mode must be 'r' or 'a', got {mode!r}")
        if not path.exists():
            raise RunFileError(f"{path} does not exist")
        if path.is_dir():
            raise RunFileError(f"{path} is a directory, not a run file")
        if path.stat().st_size == 0:
            # checked here because HDF5 2.0 opens an empty file in r+ mode
            # as a new file (and writes a superblock into it)
            raise RunFileError(f"{path} is not a readable alife run file (truncated or "
                               "corrupt): the file is empty")
        # validate read-only first: a damaged file is never opened for writing
        h5 = cls._open_h5(path, "r")
        if mode == "a" if verify is None else verify:
            try:
                cls(h5, path, "r", fsync).verify()
            except RunFileError:
                h5.close()
                raise
        if mode == "a":
            h5.close()
            h5 = cls._open_h5(path, "r+")
            # a resume: clear what a killed writer left half-written
            _remove_stale_temps(path)
            _remove_stale_temps(checkpoint_path(path))
        return cls(h5, path, mode, fsync)

    @classmethod
    def _open_h5(cls, path: Path, h5mode: str) -> h5py.File:
        try:
            h5 = h5py.File(path, h5mode)
        except Exception as e:  # OSError for everything HDF5 rejects
            msg = _one_line(e)
            if "unable to lock file" in msg:
                raise RunFileError(f"{path} is locked by another process (is a run still "
                                   f"writing it?): {msg}") from None
            raise RunFileError(f"{path} is not a readable alife run file "
                               f"(truncated or corrupt): {msg}") from None
        try:
            cls._validate(h5, path)
        except RunFileError:
            h5.close()
            raise
        except Exception as e:  # corrupt metadata found while reading it
            h5.close()
            raise RunFileError(f"{path} is not a readable alife run file "
                               f"(truncated or corrupt): {_one_line(e)}") from None
        return h5

    @staticmethod
    def _validate(h5: h5py.File, path: Path) -> None:
        attrs = h5.attrs
        missing = [k for k in _REQUIRED_ATTRS if k not in attrs]
        if missing:
            raise RunFileError(f"{path} is not an alife run file: missing root "
                               f"attribute(s) {', '.join(missing)}")
        sv = attrs["schema_version"]
        if not _is_int(sv):
            raise RunFileError(f"{path}: schema_version must be an integer, got {sv!r}")
        if int(sv) != SCHEMA_VERSION:
            raise RunFileError(f"{path} has schema_version {int(sv)}; this alife "
                               f"({_ALIFE_VERSION}) reads schema_version {SCHEMA_VERSION}")
        for key in ("alife_version", "config_toml", "seed_entropy", "status"):
            if not isinstance(attrs[key], str):
                raise RunFileError(f"{path}: root attribute {key} must be a string, "
                                   f"got {type(attrs[key]).__name__}")
        if attrs["status"] not in _STATUSES:
            raise RunFileError(f"{path}: status must be one of {_STATUSES}, got {attrs['status']!r}")
        if _HEADER_CRC in attrs:  # absent from files written before integrity checks
            crc = attrs[_HEADER_CRC]
            if not _is_int(crc) or int(crc) != _header_crc(attrs):
                raise RunFileError(f"{path} is corrupt: its root attributes (config, seed, "
                                   f"versions) do not match their checksum {_HEADER_CRC}; "
                                   + _CORRUPT_FIX)
        last = attrs["last_complete_generation"]
        if not _is_int(last) or last < -1:
            raise RunFileError(f"{path}: last_complete_generation must be an integer >= -1, got {last!r}")
        if _PHENO_GROUP not in h5 or not isinstance(h5[_PHENO_GROUP], h5py.Group):
            raise RunFileError(f"{path} is not an alife run file: no group {_PHENO_GROUP}/")
        grp = h5[_PHENO_GROUP]
        for name, (dtype, trail) in PHENOTYPE_DATASETS.items():
            ds = grp.get(name)
            if not isinstance(ds, h5py.Dataset) or ds.dtype != dtype or ds.shape[1:] != trail:
                raise RunFileError(f"{path}: {_PHENO_GROUP}/{name} must be a {dtype} dataset "
                                   f"of shape (n,) + {trail}")
        if last == -1:
            # no complete generation: whatever datasets a first generation that
            # never completed left behind are discarded by the next append
            return
        absent = [n for n in DATASETS if n not in h5]
        if absent:
            raise RunFileError(f"{path}: last_complete_generation is {int(last)} but "
                               f"dataset(s) {', '.join(absent)} are missing")
        P, D = None, None
        for name, (dtype, ntrail) in DATASETS.items():
            ds = h5[name]
            if not isinstance(ds, h5py.Dataset) or ds.dtype != dtype or ds.ndim != 1 + ntrail:
                raise RunFileError(f"{path}: {name} must be a {1 + ntrail}-d {dtype} dataset")
            if ds.shape[0] < last + 1:
                raise RunFileError(f"{path}: last_complete_generation is {int(last)} but "
                                   f"{name} holds only {ds.shape[0]} generation(s)")
            if ntrail:
                P = ds.shape[1] if P is None else P
                D = ds.shape[2] if D is None and ntrail == 2 else D
                if ds.shape[1] != P or (ntrail == 2 and ds.shape[2] != D):
                    raise RunFileError(f"{path}: {name} has shape {ds.shape}, inconsistent "
                                       f"with population size {P}")
        optional = {_CRC: (np.dtype(np.uint32), ())} if _CRC in h5 else {}
        for name, (dtype, trail) in {**_series(P, D), **optional}.items():
            ds = h5.get(name)
            if not isinstance(ds, h5py.Dataset) or ds.dtype != dtype or ds.shape[1:] != trail:
                raise RunFileError(f"{path}: {name} must be a {dtype} dataset of shape "
                                   f"(G,) + {trail}")
            if ds.shape[0] < last + 1:
                raise RunFileError(f"{path}: last_complete_generation is {int(last)} but "
                                   f"{name} holds only {ds.shape[0]} generation(s)")

    # ------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._f is not None:
            self._f.close()
            self._f = None

    def __enter__(self) -> "RunFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._f is None:
            return f"<RunFile {self.path} (closed)>"
        return (f"<RunFile {self.path} mode={self.mode!r} status={self.status!r} "
                f"generations_done={self.generations_done}>")

    @property
    def _h5(self) -> h5py.File:
        if self._f is None:
            raise RunFileError(f"{self.path}: run file is closed")
        return self._f

    def _writable(self) -> h5py.File:
        f = self._h5
        if self.mode != "a":
            raise RunFileError(f"{self.path} is open read-only (mode 'r'); open it with mode 'a' to write")
        return f

    def flush(self) -> None:
        """Flush HDF5's buffers to the OS (and fsync when enabled)."""
        f = self._writable()
        f.flush()
        if self._fsync:
            os.fsync(f.id.get_vfd_handle())

    # ------------------------------------------------------------- integrity
    @contextlib.contextmanager
    def _reading(self, what: str):
        """Turn HDF5's read errors (a chunk whose Fletcher-32 checksum fails,
        a damaged chunk index) into a one-line :class:`RunFileError`."""
        try:
            yield
        except RunFileError:
            raise
        except (OSError, RuntimeError) as e:
            raise RunFileError(f"{self.path} is corrupt: reading {what} failed "
                               f"({_one_line(e)}); {_CORRUPT_FIX}") from None

    def verify(self) -> None:
        """Read every chunk that holds complete generations (and their
        phenotypes) once, so HDF5 checks each chunk's Fletcher-32 checksum,
        and recompute each generation's CRC-32 (``generation_crc32``).

        Rows of a generation that never completed are not read: they are
        discarded on resume.  Files written without checksums are only
        checked for readability.

        Raises
        ------
        RunFileError
            Naming the file and the dataset (or generation) that is damaged.
        """
        f = self._h5
        G = self.generations_done
        with self._reading("the index of its groups"):
            f.visit(lambda name: None)   # every group's links (as h5dump would list them)
        grp = f[_PHENO_GROUP]
        with self._reading(f"{_PHENO_GROUP}/generation"):
            gens = grp["generation"][:]
        n = int(np.searchsorted(gens, G - 1, side="right")) if G else 0
        cols = {"generation": gens[:n]}
        for k in ("id", "shape", "start"):
            with self._reading(f"{_PHENO_GROUP}/{k}"):
                cols[k] = grp[k][:n]
        ends = cols["start"] + (cols["shape"].prod(axis=1) + 7) // 8 if n else np.zeros(0, np.int64)
        if not G:
            return
        names = list(_series(0, 0)) + ([_CRC] if _CRC in f else [])
        dsets = {name: f[name] for name in names}
        # blocks of whole chunks of about 16 MiB of the widest dataset
        widest = max(max(1, ds.dtype.itemsize * int(np.prod(ds.shape[1:], dtype=np.int64)))
                     for ds in dsets.values())
        step = max(256, ((1 << 24) // widest) // 256 * 256)
        bits = grp["bits"]
        for a in range(0, G, step):
            b = min(a + step, G)
            block = {}
            for name, ds in dsets.items():
                with self._reading(f"dataset {name}"):
                    block[name] = ds[a:b]
            r0, r1 = np.searchsorted(cols["generation"], [a, b], side="left")
            m0 = int(cols["start"][r0]) if r1 > r0 else 0
            with self._reading(f"{_PHENO_GROUP}/bits"):
                packed = bits[m0:int(ends[r1 - 1])] if r1 > r0 else np.zeros(0, np.uint8)
            if _CRC not in block:
                continue
            for g in range(a, b):
                i0, i1 = np.searchsorted(cols["generation"], [g, g + 1], side="left")
                pheno = {k: cols[k][i0:i1] for k in _CRC_PHENO}
                pheno["bits"] = (packed[int(cols["start"][i0]) - m0:int(ends[i1 - 1]) - m0]
                                 if i1 > i0 else np.zeros(0, np.uint8))
                got = _generation_crc({k: block[k][g - a] for k in _CRC_DATASETS}, pheno)
                if got != int(block[_CRC][g - a]):
                    raise RunFileError(f"{self.path} is corrupt: generation {g} does not match "
                                       f"its checksum ({_CRC}); {_CORRUPT_FIX}")

    # ------------------------------------------------------------ properties
    @property
    def config_toml(self) -> str:
        return self._h5.attrs["config_toml"]

    @property
    def seed_entropy(self) -> int:
        return int(self._h5.attrs["seed_entropy"])

    @property
    def alife_version(self) -> str:
        return self._h5.attrs["alife_version"]

    @property
    def schema_version(self) -> int:
        return int(self._h5.attrs["schema_version"])

    @property
    def status(self) -> str:
        return self._h5.attrs["status"]

    @property
    def last_complete_generation(self) -> int:
        return int(self._h5.attrs["last_complete_generation"])

    @property
    def generations_done(self) -> int:
        """Number of complete generations, ``last_complete_generation + 1``."""
        return self.last_complete_generation + 1

    @property
    def pop_size(self) -> int | None:
        """P, or None before the first complete generation."""
        return int(self._h5["loss"].shape[1]) if self.generations_done else None

    @property
    def genome_size(self) -> int | None:
        """D, or None before the first complete generation."""
        return int(self._h5["genomes"].shape[2]) if self.generations_done else None

    # ---------------------------------------------------------------- writes
    def _set_last_complete(self, g: int) -> None:
        # modify() rewrites the attribute in place (same shape and dtype)
        self._f.attrs.modify("last_complete_generation", np.int64(g))

    def _check_row(self, name: str, a, P: int | None, D: int | None) -> np.ndarray:
        dtype, ntrail = DATASETS[name]
        if ntrail == 0:
            v = np.asarray(a) if isinstance(a, (numbers.Real, np.ndarray)) else None
            if v is None or v.shape != () or v.dtype.kind not in "iuf":
                raise RunFileError(f"{self.path}: {name} must be a real number, got {a!r}")
            return v.astype(dtype)
        if not isinstance(a, np.ndarray):
            raise RunFileError(f"{self.path}: {name} must be a numpy array, got {type(a).__name__}")
        want = (P,) if ntrail == 1 else (P, D)
        if a.ndim != ntrail or any(w is not None and s != w for s, w in zip(a.shape, want)):
            shape = tuple(sym if w is None else w for w, sym in zip(want, ("P", "D")))
            raise RunFileError(f"{self.path}: {name} must have shape {shape}, got {a.shape}")
        if a.dtype == dtype:
            return a
        if a.dtype.kind in "iu" and dtype.kind == "i":
            # integer codes/ids may come as any integer dtype if the values fit
            info = np.iinfo(dtype)
            if a.size and (a.min() < info.min or a.max() > info.max):
                raise RunFileError(f"{self.path}: {name} values do not fit in {dtype}")
            return a.astype(dtype)
        if np.can_cast(a.dtype, dtype, "safe"):
            return a.astype(dtype)
        raise RunFileError(f"{self.path}: {name} must have dtype {dtype}, got {a.dtype}")

    def append_generation(self, g: int, *, genomes, loss, age, uid, parent_uid,
                          phenotype_id, mutation_class, evals_per_s, class_counts=None) -> None:
        """Write generation ``g`` and mark it complete.

        Rows are written and flushed, then ``last_complete_generation = g`` is
        set and flushed: the attribute never runs ahead of the data.

        Parameters
        ----------
        g : int, must equal ``last_complete_generation + 1``
        genomes : (P, D) float32
        loss : (P,) float64 (float32 or integers accepted: cast exactly)
        age, uid : (P,) int64
        parent_uid : (P,) int64, -1 for none
        phenotype_id : (P,) int64, -1 for degenerate
        mutation_class : (P,) int8 codes (:data:`MUTATION_CLASS_NAMES`)
        evals_per_s : float

        ``P`` and ``D`` are fixed by the first generation; integer arrays of
        another integer dtype are accepted when their values fit, floats are
        never narrowed (a float64 genome is an error, not a silent cast).

        Raises
        ------
        RunFileError
            Wrong generation number, shape or dtype, invalid values, rows of
            an incomplete generation still present (call
            :meth:`truncate_to_last_complete` first), a read-only or finished run.
        """
        f = self._writable()
        if self.status != "running":
            raise RunFileError(f"{self.path}: run is marked {self.status!r}; "
                               "call mark_running() to append more generations")
        last = self.last_complete_generation
        if not _is_int(g) or g != last + 1:
            raise RunFileError(f"{self.path}: expected generation {last + 1} "
                               f"(last complete is {last}), got {g!r}")
        P, D = self.pop_size, self.genome_size
        if P is None and isinstance(genomes, np.ndarray) and genomes.ndim == 2:
            P, D = genomes.shape
        given = dict(genomes=genomes, loss=loss, age=age, uid=uid, parent_uid=parent_uid,
                     phenotype_id=phenotype_id, mutation_class=mutation_class)
        rows = {name: self._check_row(name, given[name], P, D) for name in DATASETS}
        eps = np.asarray(evals_per_s) if isinstance(evals_per_s, (numbers.Real, np.ndarray)) else None
        if eps is None or eps.shape != () or eps.dtype.kind not in "iuf":
            raise RunFileError(f"{self.path}: evals_per_s must be a real number, got {evals_per_s!r}")
        P, D = rows["genomes"].shape
        if P < 1 or D < 1:
            raise RunFileError(f"{self.path}: genomes must have P >= 1 rows and D >= 1 genes, "
                               f"got shape {rows['genomes'].shape}")
        if not np.isfinite(rows["genomes"]).all():
            raise RunFileError(f"{self.path}: genomes contain non-finite genes")
        if np.isnan(rows["loss"]).any():
            raise RunFileError(f"{self.path}: loss contains NaN")
        if (rows["age"] < 0).any():
            raise RunFileError(f"{self.path}: age must be >= 0")
        if (rows["parent_uid"] < -1).any():
            raise RunFileError(f"{self.path}: parent_uid must be >= -1 (-1 = none)")
        if (rows["phenotype_id"] < -1).any():
            raise RunFileError(f"{self.path}: phenotype_id must be >= -1 (-1 = degenerate)")
        bad = ~np.isin(rows["mutation_class"], list(MUTATION_CLASS_NAMES))
        if bad.any():
            raise RunFileError(f"{self.path}: unknown mutation_class code(s) "
                               f"{sorted(set(rows['mutation_class'][bad].tolist()))}; "
                               f"known: {MUTATION_CLASS_NAMES}")

        if g == 0:
            # fresh datasets shaped by this generation; any left by a first
            # generation that never completed hold nothing worth keeping
            self._delete_datasets(f)
            self._create_datasets(f, P, D)
        counts = np.zeros(6, np.int64) if class_counts is None else np.asarray(class_counts)
        if counts.shape != (6,) or counts.dtype.kind not in "iu" or (counts < 0).any():
            raise RunFileError(f"{self.path}: class_counts must be 6 non-negative integers "
                               f"(codes -1..4), got {class_counts!r}")
        rows[_COUNTS] = counts.astype(np.int64)
        rows[_TIMING_PATH] = np.float64(eps)
        for name in list(_series(P, D)) + ([_CRC] if _CRC in f else []):
            n = f[name].shape[0]
            if n != g:
                raise RunFileError(f"{self.path}: {name} holds {n} generation(s) but "
                                   f"{g} are complete; call truncate_to_last_complete() first")
        n_pheno = f[_PHENO_GROUP]["id"].shape[0]
        if _CRC in f:
            rows[_CRC] = np.uint32(_generation_crc(rows, self._pending_phenotypes(g, n_pheno)))
        for name, row in rows.items():
            ds = f[name]
            ds.resize(g + 1, axis=0)
            ds[g] = row
        self.flush()
        self._set_last_complete(g)
        self.flush()
        self._pheno_done = n_pheno

    def _pending_phenotypes(self, g: int, n: int) -> dict:
        """The phenotype rows (columns and bits) stored for pending generation
        ``g``: rows ``_pheno_done .. n``, read back (from HDF5's chunk cache)."""
        grp = self._h5[_PHENO_GROUP]
        if self._pheno_done is None:
            with self._reading(f"{_PHENO_GROUP}/generation"):
                self._pheno_done = int(np.searchsorted(grp["generation"][:], g - 1, side="right"))
        k = self._pheno_done
        with self._reading(f"the phenotypes of generation {g}"):
            out = {name: grp[name][k:n] for name in _CRC_PHENO}
            if n > k:
                H, W = (int(x) for x in out["shape"][-1])
                out["bits"] = grp["bits"][int(out["start"][0]):int(out["start"][-1]) + (H * W + 7) // 8]
            else:
                out["bits"] = np.zeros(0, np.uint8)
        if (out["generation"] != g).any():
            raise RunFileError(f"{self.path}: phenotype rows {k}..{n} are not all tagged with "
                               f"generation {g}; call truncate_to_last_complete() first")
        return out

    @staticmethod
    def _delete_datasets(f: h5py.File) -> None:
        for name in list(_series(0, 0)) + [_CRC]:
            if name in f:
                del f[name]

    @staticmethod
    def _create_datasets(f: h5py.File, P: int, D: int) -> None:
        for name, (dtype, trail) in _series(P, D).items():
            rows_per_chunk = 1 if name in DATASETS else 256
            f.create_dataset(name, shape=(0,) + trail, maxshape=(None,) + trail,
                             chunks=(rows_per_chunk,) + trail, dtype=dtype, track_times=False,
                             fletcher32=_CHECKSUM)
        if _CHECKSUM:
            f.create_dataset(_CRC, shape=(0,), maxshape=(None,), chunks=(256,), dtype=np.uint32,
                             track_times=False, fletcher32=True)
        f["mutation_class"].attrs["codes"] = json.dumps(
            {str(k): v for k, v in sorted(MUTATION_CLASS_NAMES.items())})

    def add_phenotypes(self, ids, patterns) -> int:
        """Store the patterns whose ids are not stored yet; return how many were new.

        Call it for a generation's phenotypes *before* that generation's
        :meth:`append_generation`: each new pattern is tagged with the pending
        generation (``last_complete_generation + 1``), so patterns of a
        generation that never completed are removed by :meth:`truncate_to`.

        Parameters
        ----------
        ids : (K,) int array, phenotype ids (>= 0; -1, degenerate, is skipped)
        patterns : (K, H, W) bool (or 0/1 integer) array, ``patterns[k]`` has
            id ``ids[k]``; repeated ids are stored once (first occurrence)
        """
        f = self._writable()
        ids = np.asarray(ids)
        pats = np.asarray(patterns)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise RunFileError(f"{self.path}: phenotype ids must be a 1-d integer array, "
                               f"got shape {ids.shape}, dtype {ids.dtype}")
        if pats.ndim != 3 or pats.shape[0] != ids.shape[0]:
            raise RunFileError(f"{self.path}: patterns must have shape (K, H, W) with "
                               f"K = {ids.shape[0]} ids, got {pats.shape}")
        if pats.dtype != np.bool_:
            if pats.dtype.kind not in "iu" or (pats.size and not np.isin(pats, (0, 1)).all()):
                raise RunFileError(f"{self.path}: patterns must be bool (or 0/1 integers), "
                                   f"got dtype {pats.dtype}")
            pats = pats.astype(bool)
        if ids.size and (ids < -1).any():
            raise RunFileError(f"{self.path}: phenotype ids must be >= 0 (-1 = degenerate, skipped)")
        grp = f[_PHENO_GROUP]
        known = self._known_phenotypes()
        keep, seen = [], set()
        for k, pid in enumerate(ids.tolist()):
            if pid >= 0 and pid not in seen and pid not in known:
                seen.add(pid)
                keep.append(k)
        if not keep:
            return 0
        packed = [np.packbits(pats[k].reshape(-1)) for k in keep]
        lengths = np.array([len(b) for b in packed], np.int64)
        n0, m0 = grp["id"].shape[0], grp["bits"].shape[0]
        n1 = n0 + len(keep)
        rows = {"id": ids[keep].astype(np.int64),
                "shape": np.tile(np.asarray(pats.shape[1:], np.int64), (len(keep), 1)),
                "start": m0 + np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64),
                # written last: rows without it read as "never written"
                "generation": np.full(len(keep), self.last_complete_generation + 1, np.int64)}
        grp["bits"].resize(m0 + int(lengths.sum()), axis=0)
        grp["bits"][m0:] = np.concatenate(packed)
        for name, row in rows.items():
            grp[name].resize(n1, axis=0)
            grp[name][n0:n1] = row
        known.update(seen)
        return len(keep)

    def _known_phenotypes(self) -> set:
        """Ids of the stored phenotypes (read once, then kept up to date)."""
        if self._pheno_ids is None:
            with self._reading(f"{_PHENO_GROUP}/id"):
                self._pheno_ids = set(self._h5[_PHENO_GROUP]["id"][:].tolist())
        return self._pheno_ids

    def truncate_to(self, generation: int) -> None:
        """Keep generations ``0 .. generation`` only (``-1``: none).

        Shrinks every dataset to ``generation + 1`` rows (``-1`` deletes the
        datasets; the next first generation creates them), deletes phenotypes
        first stored for a later generation, sets ``last_complete_generation``
        and flushes.  Used on resume with the checkpoint's generation, which
        may be behind the file's ``last_complete_generation`` when the process
        died between appending a generation and checkpointing it.
        """
        f = self._writable()
        last = self.last_complete_generation
        if not _is_int(generation) or not -1 <= generation <= last:
            raise RunFileError(f"{self.path}: can truncate to a generation in -1..{last} "
                               f"(last complete), got {generation!r}")
        n = generation + 1
        if n == 0:
            self._delete_datasets(f)  # the first append creates them anew
        for name in list(_series(0, 0)) + [_CRC]:
            if name in f and f[name].shape[0] > n:
                f[name].resize(n, axis=0)
        grp = f[_PHENO_GROUP]
        # rows are appended generation by generation: keep the leading rows
        # of generations <= `generation` (unwritten rows read as _UNWRITTEN)
        with self._reading(f"the {_PHENO_GROUP}/ index"):
            gens = grp["generation"][:]
            n_keep = int(np.searchsorted(gens, generation, side="right"))
            m_keep = 0
            if n_keep:
                H, W = (int(x) for x in grp["shape"][n_keep - 1])
                m_keep = int(grp["start"][n_keep - 1]) + (H * W + 7) // 8
        for name in PHENOTYPE_DATASETS:
            grp[name].resize(m_keep if name == "bits" else n_keep, axis=0)
        self._pheno_ids = None
        self._pheno_done = n_keep
        self._set_last_complete(generation)
        self.flush()

    def truncate_to_last_complete(self) -> None:
        """Discard rows and phenotypes of a generation written but never marked
        complete (the process died mid-generation): ``truncate_to(last_complete_generation)``."""
        self.truncate_to(self.last_complete_generation)

    def mark_done(self) -> None:
        """Set ``status = "done"`` and flush."""
        f = self._writable()
        f.attrs["status"] = "done"
        self.flush()

    def mark_running(self) -> None:
        """Set ``status = "running"`` (to extend a finished run) and flush."""
        f = self._writable()
        f.attrs["status"] = "running"
        self.flush()

    # ----------------------------------------------------------------- reads
    def read(self, name: str, gen: int | None = None) -> np.ndarray:
        """A dataset's complete generations, or one generation's row.

        Parameters
        ----------
        name : one of :data:`DATASETS`
        gen : int or None; negative counts from the last complete generation

        Returns
        -------
        ndarray: ``(G, ...)`` for ``gen=None`` (``G = generations_done``; an
        empty ``(0,)`` array before the first generation), else ``(...)``.
        """
        f = self._h5
        known = list(DATASETS) + list(GENERATION_DATASETS) + list(TIMING_DATASETS)
        if name not in known:
            raise RunFileError(f"{self.path}: unknown dataset {name!r}; known: {known}")
        G = self.generations_done
        if G == 0:
            if gen is None:
                dtype = _series(0, 0)[_TIMING_PATH if name in TIMING_DATASETS else name][0]
                return np.zeros((0,), dtype=dtype)
            raise RunFileError(f"{self.path}: no complete generation yet")
        ds = f[f"{_TIMING_GROUP}/{name}" if name in TIMING_DATASETS else name]
        if gen is None:
            with self._reading(f"dataset {ds.name.lstrip('/')}"):
                return ds[:G]
        if not _is_int(gen) or not -G <= gen < G:
            raise RunFileError(f"{self.path}: generation {gen!r} is not complete "
                               f"({G} generation(s) done)")
        with self._reading(f"dataset {ds.name.lstrip('/')}, generation {int(gen) % G}"):
            return ds[int(gen) % G]

    def class_counts(self) -> np.ndarray:
        """(G, 6) int64 mutation-class counts over all offspring of each complete
        generation, columns for codes -1 (none), 0 .. 4 (see alife.evolve.lineage)."""
        G = self.generations_done
        return self.read(_COUNTS) if G else np.zeros((0, 6), np.int64)

    def phenotype_ids(self) -> np.ndarray:
        """Sorted int64 ids of the stored phenotypes."""
        with self._reading(f"{_PHENO_GROUP}/id"):
            return np.sort(self._h5[_PHENO_GROUP]["id"][:])

    def phenotype(self, pid: int) -> np.ndarray:
        """The stored pattern with id ``pid``: bool array of shape (H, W).

        Raises
        ------
        KeyError
            If no pattern with that id is stored.
        """
        grp = self._h5[_PHENO_GROUP]
        with self._reading(f"{_PHENO_GROUP}/id"):
            rows = np.flatnonzero(grp["id"][:] == int(pid))
        if not rows.size:
            raise KeyError(f"{self.path}: no phenotype with id {int(pid)} stored")
        r = int(rows[0])
        with self._reading(f"the pattern of phenotype {int(pid)}"):
            H, W = (int(x) for x in grp["shape"][r])
            start = int(grp["start"][r])
            packed = grp["bits"][start:start + (H * W + 7) // 8]
        return np.unpackbits(packed, count=H * W).reshape(H, W).astype(bool)

    def summary(self) -> dict:
        """A small dict describing the run.

        Keys: ``path``, ``config_toml``, ``seed_entropy``, ``status``,
        ``schema_version``, ``alife_version``, ``generations_done``,
        ``pop_size``, ``genome_size``, ``best_loss`` ((G,) float64, the
        lowest loss of each complete generation), ``mean_evals_per_s`` (float,
        NaN before the first generation), ``n_phenotypes``.
        """
        loss = self.read("loss")
        eps = self.read("evals_per_s")
        return {
            "path": str(self.path),
            "config_toml": self.config_toml,
            "seed_entropy": self.seed_entropy,
            "status": self.status,
            "schema_version": self.schema_version,
            "alife_version": self.alife_version,
            "generations_done": self.generations_done,
            "pop_size": self.pop_size,
            "genome_size": self.genome_size,
            "best_loss": loss.min(axis=1) if loss.ndim == 2 and loss.shape[0] else
            np.zeros(0, dtype=np.float64),
            "mean_evals_per_s": float(eps.mean()) if eps.size else float("nan"),
            "n_phenotypes": int(self._h5[_PHENO_GROUP]["id"].shape[0]),
        }


# --------------------------------------------------------------------------- #
# checkpoint
# --------------------------------------------------------------------------- #
def checkpoint_path(run_path) -> Path:
    """``RUN.h5`` -> ``RUN.h5.ckpt.npz`` (same directory)."""
    run_path = Path(run_path)
    return run_path.with_name(run_path.name + _CKPT_SUFFIX)


def _json_default(o):
    # MT19937's state holds a uint32 key array; PCG64 etc. hold plain (big) ints
    if isinstance(o, np.ndarray):
        return {"__ndarray__": o.tolist(), "dtype": o.dtype.str}
    if isinstance(o, np.integer):
        return int(o)
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def _json_hook(d):
    if "__ndarray__" in d:
        return np.asarray(d["__ndarray__"], dtype=np.dtype(d["dtype"]))
    return d


def write_checkpoint(run_path, generation: int, state_arrays: dict, rng_state: dict) -> Path:
    """Write ``RUN.h5.ckpt.npz`` atomically; return its path.

    The arrays, ``generation`` and the JSON of the bit-generator state are
    written to a temporary file in the same directory, fsync'ed, and moved
    over the previous checkpoint with :func:`os.replace`: at every moment
    the checkpoint path holds either the previous checkpoint or the new one,
    complete.

    Parameters
    ----------
    run_path : path of the run file
    generation : int >= 0, the last generation the state includes
    state_arrays : dict[str, ndarray], e.g. ``to_arrays(state)``; keys must
        not start with ``"__"``; no object arrays
    rng_state : dict, ``rng.bit_generator.state``
    """
    final = checkpoint_path(run_path)
    if not _is_int(generation) or generation < 0:
        raise RunFileError(f"{final}: generation must be an integer >= 0, got {generation!r}")
    if not isinstance(rng_state, dict):
        raise RunFileError(f"{final}: rng_state must be a dict (rng.bit_generator.state), "
                           f"got {type(rng_state).__name__}")
    arrays = {}
    for key, a in state_arrays.items():
        if not isinstance(key, str) or not key or key.startswith("__"):
            raise RunFileError(f"{final}: invalid state array name {key!r}")
        a = np.asarray(a)
        if a.dtype.hasobject:
            raise RunFileError(f"{final}: state array {key!r} has dtype object")
        arrays[key] = a
    try:
        rng_json = json.dumps(rng_state, default=_json_default, sort_keys=True)
    except (TypeError, ValueError) as e:
        raise RunFileError(f"{final}: rng_state is not JSON serialisable: {_one_line(e)}") from None
    arrays["__generation__"] = np.asarray(generation, dtype=np.int64)
    arrays["__rng_state__"] = np.asarray(rng_json)
    with _atomic_write(final) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    return final


def read_checkpoint(run_path) -> tuple[int, dict[str, np.ndarray], dict]:
    """Read the checkpoint next to ``run_path``.

    Returns
    -------
    (generation, arrays, rng_state): int, dict of ndarrays (exact dtypes),
    and the dict to assign to ``rng.bit_generator.state``.

    Raises
    ------
    RunFileError
        If the checkpoint is missing, truncated or corrupt.
    """
    path = checkpoint_path(run_path)
    if not path.exists():
        raise RunFileError(f"{path} does not exist: no checkpoint to resume from")
    try:
        data = path.read_bytes()
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        missing = [k for k in _CKPT_META if k not in arrays]
        if missing:
            raise ValueError(f"missing entries {missing}")
        gen = arrays.pop("__generation__")
        if gen.shape != () or gen.dtype.kind not in "iu":
            raise ValueError(f"__generation__ must be a 0-d integer, got {gen.shape} {gen.dtype}")
        rng_state = json.loads(str(arrays.pop("__rng_state__")), object_hook=_json_hook)
        if not isinstance(rng_state, dict):
            raise ValueError("rng state is not a JSON object")
    except Exception as e:  # zipfile, numpy format and JSON errors alike
        raise RunFileError(f"{path} is not a readable checkpoint (truncated or corrupt): "
                           f"{_one_line(e)}") from None
    return int(gen), arrays, rng_state


# --------------------------------------------------------------------------- #
# progress of an analysis (NET.h5.partial of `alife neutral`)
# --------------------------------------------------------------------------- #
_PROGRESS_SUFFIX = ".partial"
_PROGRESS_MAGIC = b"alife-progress 1\n"


def progress_path(result_path) -> Path:
    """``NET.h5`` -> ``NET.h5.partial`` (same directory)."""
    result_path = Path(result_path)
    return result_path.with_name(result_path.name + _PROGRESS_SUFFIX)


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
    with _atomic_write(final) as tmp, open(tmp, "wb") as fh:
        fh.write(_PROGRESS_MAGIC)
        fh.write(len(head).to_bytes(8, "little") + head)
        fh.write(zlib.crc32(body).to_bytes(4, "little") + body)
    return final


def progress_key(result_path) -> str | None:
    """The key a progress file was written with; None if there is none.

    Raises :class:`RunFileError` (one line) for an unreadable file."""
    path = progress_path(result_path)
    _remove_stale_temps(path)
    _remove_stale_temps(Path(result_path))
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
                           f"{_one_line(e)}") from None


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
                           f"{_one_line(e)}; delete it (or pass --force) to start afresh") from None
    return key, body


# --------------------------------------------------------------------------- #
# analysis result files (NET.h5 of `alife neutral`)
# --------------------------------------------------------------------------- #
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
    with _atomic_write(path) as tmp, h5py.File(tmp, "w", track_order=False) as f:
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
                           f"{_one_line(e)}") from None
    with f:
        attrs = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in f.attrs.items()}
        if "kind" not in attrs or (kind is not None and attrs["kind"] != kind):
            raise RunFileError(f"{path} is not an alife {kind or 'result'} file")
        arrays = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
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
