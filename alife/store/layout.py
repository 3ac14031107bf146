"""The layout of an evolution run file (``schema_version`` 2) and its checksums.

Root attributes

=============================  ==================================================
``schema_version``             int, 2
``alife_version``              str, the package version that created the file
``config_toml``                str, the canonical config text of the run
``seed_entropy``               str, the decimal digits of the root seed entropy
``status``                     ``"running"`` or ``"done"``
``last_complete_generation``   int, -1 before any generation is complete
``header_crc32``               int, CRC-32 of the four immutable attributes above
                               (absent from older files)
``state_crc32``                int, CRC-32 of ``status`` and
                               ``last_complete_generation``, rewritten with them
                               (absent from older files)
=============================  ==================================================

The group ``run/`` holds the attribute ``run_id`` (32 random hex digits drawn
when the file is created, recorded in every checkpoint so that a checkpoint
of another run is never resumed) and ``run_id_crc32``; ``provenance`` (what
wrote the file) and ``provenance_crc32``; and, only for a run whose loss
came from a user-supplied Python function instead of the config's task,
``fitness`` (the function's name) and ``fitness_crc32``.  The run id is kept
out of the root attributes because two runs of one config must have
identical root attributes and datasets (a resumed run equals an
uninterrupted one).

Datasets, created by the first generation with the population size ``P``
and genome size ``D`` of that generation; resizable along the first
(generation) axis and chunked one generation per chunk:

===================  ==============  =========================================
``genomes``          (G, P, D) f4    genes in [-1, 1]
``loss``             (G, P) f8       loss of each individual (minimised)
``age``              (G, P) i8       ages (see :mod:`alife.evolve.algorithms`)
``uid``              (G, P) i8       unique individual ids
``parent_uid``       (G, P) i8       parent's uid, -1 for none
``phenotype_id``     (G, P) i8       phenotype id, -1 for degenerate
``mutation_class``   (G, P) i1       codes of :data:`MUTATION_CLASS_NAMES`
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

Phenotypes are content-addressed in the group ``phenotypes/``
(:mod:`alife.store.phenotypes`): each distinct pattern is stored once, as
one row of the resizable datasets ``id`` (int64), ``generation`` (the
generation it was first stored for), ``shape`` ((H, W)) and ``start`` (its
first byte in ``bits``), with ``np.packbits`` of the raveled pattern
appended to the 1-d uint8 dataset ``bits``.

Integrity
---------
HDF5 checksums its metadata only partly and its raw data not at all, so a
bit flipped on disk could silently change a genome or a loss.  Every
dataset is written with the Fletcher-32 filter (one checksum per chunk,
verified by HDF5 on every read), and the immutable root attributes are
covered by ``header_crc32`` (:func:`header_crc`), checked on open; the two
mutable ones (``status``, ``last_complete_generation``) by ``state_crc32``
(:func:`state_crc`), rewritten in the same flush as they are.  A finished
run (``status`` done) must hold exactly its generations' rows.
Fletcher-32 cannot tell a valid chunk that a damaged chunk index points to
in place of another, so each generation also has a CRC-32 in
``generation_crc32`` (:func:`generation_crc`) over its rows of every dataset
but ``timing/`` and over the phenotypes first stored for it.

The mutation-class codes are part of this layout (the ``mutation_class``
dataset stores them and names them in its ``codes`` attribute);
:mod:`alife.evolve.lineage` computes them.
"""
from __future__ import annotations

import contextlib
import json
import numbers
import zlib
from pathlib import Path

import h5py
import numpy as np

from .. import __version__ as _ALIFE_VERSION
from .errors import RunFileError, error_line, is_integer

__all__ = [
    "SCHEMA_VERSION", "MUTATION_NONE", "MUTATION_BENEFICIAL", "MUTATION_SILENT",
    "MUTATION_CRYPTIC", "MUTATION_DELETERIOUS", "MUTATION_NEUTRAL_CHANGED",
    "MUTATION_CLASS_NAMES", "DATASETS", "GENERATION_DATASETS", "TIMING_DATASETS",
    "PHENOTYPE_DATASETS", "PHENO_GROUP", "TIMING_GROUP", "TIMING_PATH", "COUNTS", "CRC",
    "HEADER_CRC", "HEADER_ATTRS", "CRC_DATASETS", "CRC_PHENO", "UNWRITTEN", "CORRUPT_FIX",
    "STATE_CRC", "RUN_GROUP", "RUN_ID", "RUN_ID_CRC", "PROVENANCE", "PROVENANCE_CRC",
    "FITNESS", "FITNESS_CRC",
    "series", "header_crc", "state_crc", "generation_crc", "validate_layout",
    "check_generation_rows", "check_block_crcs", "reading",
]

#: Version of the file layout described in the module docstring.
SCHEMA_VERSION = 2

#: Mutation-class codes stored in ``mutation_class`` (int8): what a point
#: mutation did, judged against the parent (see :mod:`alife.evolve.lineage`).
MUTATION_NONE, MUTATION_BENEFICIAL, MUTATION_SILENT, MUTATION_CRYPTIC = -1, 0, 1, 2
MUTATION_DELETERIOUS, MUTATION_NEUTRAL_CHANGED = 3, 4
#: code -> name
MUTATION_CLASS_NAMES: dict[int, str] = {
    MUTATION_NONE: "none", MUTATION_BENEFICIAL: "beneficial", MUTATION_SILENT: "silent",
    MUTATION_CRYPTIC: "cryptic", MUTATION_DELETERIOUS: "deleterious",
    MUTATION_NEUTRAL_CHANGED: "neutral_changed"}

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
PHENO_GROUP = "phenotypes"
TIMING_GROUP = "timing"
#: Per-generation timing (not deterministic).
TIMING_PATH = "timing/evals_per_s"
#: Per-generation mutation-class counts over *all* offspring (codes -1..4).
COUNTS = "class_counts"
#: The per-generation CRC-32 dataset.
CRC = "generation_crc32"
#: Root attributes that never change after creation, covered by :data:`HEADER_CRC`.
HEADER_ATTRS = ("schema_version", "alife_version", "config_toml", "seed_entropy")
HEADER_CRC = "header_crc32"
#: Root attribute: CRC-32 of the mutable attributes (:func:`state_crc`).
STATE_CRC = "state_crc32"
#: The group holding the run's random id, and its attributes.
RUN_GROUP, RUN_ID, RUN_ID_CRC = "run", "run_id", "run_id_crc32"
#: What wrote the run (JSON of :func:`alife.provenance.recorded`) and its CRC-32,
#: in the run group beside the run id.
PROVENANCE, PROVENANCE_CRC = "provenance", "provenance_crc32"
#: The name of a user-supplied fitness function that replaced the config's
#: loss (absent when the config's task loss was used) and its CRC-32, in the
#: run group.
FITNESS, FITNESS_CRC = "fitness", "fitness_crc32"
#: What ``generation_crc32`` covers, in this order: the generation's rows of
#: these datasets, then the columns of its phenotype rows and their bits.
CRC_DATASETS = tuple(DATASETS) + (COUNTS,)
CRC_PHENO = ("id", "shape", "start", "generation")
#: Fill value of ``phenotypes/generation``: rows resized into existence but
#: never written (a process killed mid-write) count as after every generation.
UNWRITTEN = np.iinfo(np.int64).max
#: How to repair a file whose checksums fail.
CORRUPT_FIX = ("the file was damaged on disk; restore it from a backup, or rerun the "
               "experiment with --force (or a new --out)")

_REQUIRED_ATTRS = ("schema_version", "alife_version", "config_toml", "seed_entropy",
                   "status", "last_complete_generation")
_STATUSES = ("running", "done")


def series(P: int, D: int) -> dict[str, tuple[np.dtype, tuple]]:
    """Every per-generation dataset: HDF5 path -> (dtype, trailing shape)."""
    out = {name: (dtype, ((), (P,), (P, D))[ntrail]) for name, (dtype, ntrail) in DATASETS.items()}
    out.update(GENERATION_DATASETS)
    out.update({f"{TIMING_GROUP}/{n}": (dt, ()) for n, dt in TIMING_DATASETS.items()})
    return out


def header_crc(attrs) -> int:
    """CRC-32 of the immutable root attributes (:data:`HEADER_ATTRS`)."""
    text = json.dumps([str(attrs[k]) if k != "schema_version" else int(attrs[k])
                       for k in HEADER_ATTRS])
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def state_crc(status: str, last_complete_generation: int) -> int:
    """CRC-32 of the mutable root attributes (``status``, ``last_complete_generation``)."""
    text = json.dumps([str(status), int(last_complete_generation)])
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def generation_crc(rows: dict, pheno: dict) -> int:
    """CRC-32 of one generation: its rows of :data:`CRC_DATASETS`, then its
    phenotype rows' columns :data:`CRC_PHENO` and their packed bits."""
    crc = 0
    for name in CRC_DATASETS:
        crc = zlib.crc32(np.ascontiguousarray(rows[name]).tobytes(), crc)
    for name in CRC_PHENO + ("bits",):
        crc = zlib.crc32(np.ascontiguousarray(pheno[name]).tobytes(), crc)
    return crc


def check_block_crcs(path: Path, a: int, b: int, block: dict, cols: dict, ends: np.ndarray,
                     packed: np.ndarray, m0: int) -> None:
    """Recompute the CRC-32 of generations ``a .. b-1`` from their rows
    (``block``: dataset -> rows ``a .. b-1``), their phenotype rows (``cols``,
    ``ends``: the phenotype index) and bits (``packed``: the bits from byte
    ``m0`` on), and compare it with ``block[CRC]``.

    Raises
    ------
    RunFileError
        Naming the first generation that does not match.
    """
    for g in range(a, b):
        i0, i1 = np.searchsorted(cols["generation"], [g, g + 1], side="left")
        pheno = {k: cols[k][i0:i1] for k in CRC_PHENO}
        pheno["bits"] = (packed[int(cols["start"][i0]) - m0:int(ends[i1 - 1]) - m0]
                         if i1 > i0 else np.zeros(0, np.uint8))
        got = generation_crc({k: block[k][g - a] for k in CRC_DATASETS}, pheno)
        if got != int(block[CRC][g - a]):
            raise RunFileError(f"{path} is corrupt: generation {g} does not match "
                               f"its checksum ({CRC}); {CORRUPT_FIX}")


def _validate_attrs(attrs, path: Path, lenient: bool = False) -> int:
    """Check the root attributes; return ``last_complete_generation``.

    ``lenient``: accept a ``state_crc32`` one step behind or ahead of the
    state (a writer killed in the flush that updates both; used when the
    file is opened to resume, which rewrites the state)."""
    missing = [k for k in _REQUIRED_ATTRS if k not in attrs]
    if missing:
        raise RunFileError(f"{path} is not an alife run file: missing root "
                           f"attribute(s) {', '.join(missing)}")
    sv = attrs["schema_version"]
    if not is_integer(sv):
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
    if HEADER_CRC in attrs:  # absent from files written before integrity checks
        crc = attrs[HEADER_CRC]
        if not is_integer(crc) or int(crc) != header_crc(attrs):
            raise RunFileError(f"{path} is corrupt: its root attributes (config, seed, "
                               f"versions) do not match their checksum {HEADER_CRC}; "
                               + CORRUPT_FIX)
    last = attrs["last_complete_generation"]
    if not is_integer(last) or last < -1:
        raise RunFileError(f"{path}: last_complete_generation must be an integer >= -1, got {last!r}")
    if STATE_CRC in attrs:
        crc, status = attrs[STATE_CRC], attrs["status"]
        ok = {state_crc(status, last)}
        if lenient:
            ok |= {state_crc(s, g) for s in _STATUSES for g in (last - 1, last, last + 1)}
        if not is_integer(crc) or int(crc) not in ok:
            raise RunFileError(f"{path} is corrupt: its status and generation count do not "
                               f"match their checksum {STATE_CRC}; " + CORRUPT_FIX)
    return int(last)


def _validate_generation_datasets(h5: h5py.File, path: Path, last: int, done: bool) -> None:
    """The per-generation datasets exist with consistent dtypes and shapes and
    hold at least ``last + 1`` generations (exactly, for a finished run)."""
    absent = [n for n in DATASETS if n not in h5]
    if absent:
        raise RunFileError(f"{path}: last_complete_generation is {last} but "
                           f"dataset(s) {', '.join(absent)} are missing")
    P, D = None, None
    for name, (dtype, ntrail) in DATASETS.items():
        ds = h5[name]
        if not isinstance(ds, h5py.Dataset) or ds.dtype != dtype or ds.ndim != 1 + ntrail:
            raise RunFileError(f"{path}: {name} must be a {1 + ntrail}-d {dtype} dataset")
        if ds.shape[0] < last + 1:
            raise RunFileError(f"{path}: last_complete_generation is {last} but "
                               f"{name} holds only {ds.shape[0]} generation(s)")
        if ntrail:
            P = ds.shape[1] if P is None else P
            D = ds.shape[2] if D is None and ntrail == 2 else D
            if ds.shape[1] != P or (ntrail == 2 and ds.shape[2] != D):
                raise RunFileError(f"{path}: {name} has shape {ds.shape}, inconsistent "
                                   f"with population size {P}")
    optional = {CRC: (np.dtype(np.uint32), ())} if CRC in h5 else {}
    for name, (dtype, trail) in {**series(P, D), **optional}.items():
        ds = h5.get(name)
        if not isinstance(ds, h5py.Dataset) or ds.dtype != dtype or ds.shape[1:] != trail:
            raise RunFileError(f"{path}: {name} must be a {dtype} dataset of shape "
                               f"(G,) + {trail}")
        if ds.shape[0] < last + 1:
            raise RunFileError(f"{path}: last_complete_generation is {last} but "
                               f"{name} holds only {ds.shape[0]} generation(s)")
        if done and ds.shape[0] != last + 1:
            raise RunFileError(f"{path} is corrupt: the run is marked done at generation "
                               f"{last} but {name} holds {ds.shape[0]} generations; "
                               + CORRUPT_FIX)


def validate_layout(h5: h5py.File, path: Path, lenient: bool = False) -> None:
    """Check that an open HDF5 file has the layout of an alife run file.

    Raises
    ------
    RunFileError
        One line naming ``path``: missing or invalid root attributes, a
        schema version this package does not read, a header that fails its
        checksum, datasets missing, of the wrong dtype or shape, or shorter
        than ``last_complete_generation`` claims.

    ``lenient``: see :func:`_validate_attrs` (opening a file to resume it).
    """
    last = _validate_attrs(h5.attrs, path, lenient)
    if PHENO_GROUP not in h5 or not isinstance(h5[PHENO_GROUP], h5py.Group):
        raise RunFileError(f"{path} is not an alife run file: no group {PHENO_GROUP}/")
    grp = h5[PHENO_GROUP]
    for name, (dtype, trail) in PHENOTYPE_DATASETS.items():
        ds = grp.get(name)
        if not isinstance(ds, h5py.Dataset) or ds.dtype != dtype or ds.shape[1:] != trail:
            raise RunFileError(f"{path}: {PHENO_GROUP}/{name} must be a {dtype} dataset "
                               f"of shape (n,) + {trail}")
    done = h5.attrs["status"] == "done"
    if done and len({grp[k].shape[0] for k in PHENOTYPE_DATASETS if k != "bits"}) != 1:
        raise RunFileError(f"{path} is corrupt: the run is marked done but its phenotype "
                           f"index datasets differ in length; " + CORRUPT_FIX)
    if last == -1:
        # no complete generation: whatever datasets a first generation that
        # never completed left behind are discarded by the next append
        return
    _validate_generation_datasets(h5, path, last, done)


@contextlib.contextmanager
def reading(path: Path, what: str):
    """Turn HDF5's read errors in the block (a chunk whose Fletcher-32 checksum
    fails, a damaged chunk index) into a one-line :class:`RunFileError`
    naming ``path`` and ``what`` was being read."""
    try:
        yield
    except RunFileError:
        raise
    except (OSError, RuntimeError) as e:
        raise RunFileError(f"{path} is corrupt: reading {what} failed "
                           f"({error_line(e)}); {CORRUPT_FIX}") from None


# --------------------------------------------------------------------------- #
# one generation's rows
# --------------------------------------------------------------------------- #
def _check_row(path: Path, name: str, a, P: int | None, D: int | None) -> np.ndarray:
    """``a`` as the row of dataset ``name``: shape ``()``, ``(P,)`` or ``(P, D)``
    and its dtype (integers cast when their values fit, floats never narrowed)."""
    dtype, ntrail = DATASETS[name]
    if ntrail == 0:
        v = np.asarray(a) if isinstance(a, (numbers.Real, np.ndarray)) else None
        if v is None or v.shape != () or v.dtype.kind not in "iuf":
            raise RunFileError(f"{path}: {name} must be a real number, got {a!r}")
        return v.astype(dtype)
    if not isinstance(a, np.ndarray):
        raise RunFileError(f"{path}: {name} must be a numpy array, got {type(a).__name__}")
    want = (P,) if ntrail == 1 else (P, D)
    if a.ndim != ntrail or any(w is not None and s != w for s, w in zip(a.shape, want)):
        shape = tuple(sym if w is None else w for w, sym in zip(want, ("P", "D")))
        raise RunFileError(f"{path}: {name} must have shape {shape}, got {a.shape}")
    if a.dtype == dtype:
        return a
    if a.dtype.kind in "iu" and dtype.kind == "i":
        # integer codes/ids may come as any integer dtype if the values fit
        info = np.iinfo(dtype)
        if a.size and (a.min() < info.min or a.max() > info.max):
            raise RunFileError(f"{path}: {name} values do not fit in {dtype}")
        return a.astype(dtype)
    if np.can_cast(a.dtype, dtype, "safe"):
        return a.astype(dtype)
    raise RunFileError(f"{path}: {name} must have dtype {dtype}, got {a.dtype}")


#: Whether each int8 mutation-class code (indexed by its byte, 0..255) is known.
_KNOWN_CODE = np.zeros(256, bool)
_KNOWN_CODE[np.array(list(MUTATION_CLASS_NAMES), np.int8).view(np.uint8)] = True


def _check_values(path: Path, rows: dict) -> None:
    """The value rules of one generation's rows (after their shapes and dtypes)."""
    P, D = rows["genomes"].shape
    if P < 1 or D < 1:
        raise RunFileError(f"{path}: genomes must have P >= 1 rows and D >= 1 genes, "
                           f"got shape {rows['genomes'].shape}")
    if not np.isfinite(rows["genomes"]).all():
        raise RunFileError(f"{path}: genomes contain non-finite genes")
    if np.isnan(rows["loss"]).any():
        raise RunFileError(f"{path}: loss contains NaN")
    if (rows["age"] < 0).any():
        raise RunFileError(f"{path}: age must be >= 0")
    if (rows["parent_uid"] < -1).any():
        raise RunFileError(f"{path}: parent_uid must be >= -1 (-1 = none)")
    if (rows["phenotype_id"] < -1).any():
        raise RunFileError(f"{path}: phenotype_id must be >= -1 (-1 = degenerate)")
    bad = ~_KNOWN_CODE[rows["mutation_class"].view(np.uint8)]   # int8 codes as table indices
    if bad.any():
        raise RunFileError(f"{path}: unknown mutation_class code(s) "
                           f"{sorted(set(rows['mutation_class'][bad].tolist()))}; "
                           f"known: {MUTATION_CLASS_NAMES}")


def check_generation_rows(path: Path, given: dict, evals_per_s, class_counts,
                          P: int | None, D: int | None) -> dict:
    """Check one generation's rows against the layout and return them cast.

    Parameters
    ----------
    path : Path
        The run file (named in errors).
    given : dict
        One array per name of :data:`DATASETS`.
    evals_per_s : real number
    class_counts : (6,) non-negative integers, or None for zeros
    P, D : int or None
        The file's population and genome sizes (None before the first
        generation: then taken from ``given["genomes"]``).

    Returns
    -------
    dict
        HDF5 path -> row, for every dataset of :func:`series` (``class_counts``
        and ``timing/evals_per_s`` included).

    Raises
    ------
    RunFileError
        Wrong shape or dtype, or invalid values (NaN loss, genes outside the
        finite range, negative ages, unknown mutation-class codes, ...).
    """
    genomes = given["genomes"]
    if P is None and isinstance(genomes, np.ndarray) and genomes.ndim == 2:
        P, D = genomes.shape
    rows = {name: _check_row(path, name, given[name], P, D) for name in DATASETS}
    eps = np.asarray(evals_per_s) if isinstance(evals_per_s, (numbers.Real, np.ndarray)) else None
    if eps is None or eps.shape != () or eps.dtype.kind not in "iuf":
        raise RunFileError(f"{path}: evals_per_s must be a real number, got {evals_per_s!r}")
    _check_values(path, rows)
    counts = np.zeros(6, np.int64) if class_counts is None else np.asarray(class_counts)
    if counts.shape != (6,) or counts.dtype.kind not in "iu" or (counts < 0).any():
        raise RunFileError(f"{path}: class_counts must be 6 non-negative integers "
                           f"(codes -1..4), got {class_counts!r}")
    rows[COUNTS] = counts.astype(np.int64)
    rows[TIMING_PATH] = np.float64(eps)
    return rows
