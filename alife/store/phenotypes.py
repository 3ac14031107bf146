"""The content-addressed phenotype store inside a run file (group ``phenotypes/``).

Each distinct pattern is stored once, as one row of the resizable datasets
``id`` (int64), ``generation`` (the generation it was first stored for),
``shape`` ((H, W)) and ``start`` (its first byte in ``bits``), with
``np.packbits`` of the raveled pattern appended to the 1-d uint8 dataset
``bits``.  Rows are in the order first seen, so a generation's new
phenotypes are written with a handful of resizes, not one HDF5 object each
(which cost ~17% of a population-500 generation).  ``generation`` is
written last, so rows resized into existence but never written read as
:data:`~alife.store.layout.UNWRITTEN` (after every generation) and are
dropped by :func:`truncate`.

The functions here take the open ``phenotypes/`` group (or its
:class:`~alife.store.h5rows.Handles`) and the run file's path (for one-line
:class:`~alife.store.RunFileError` messages); :class:`~alife.store.RunFile`
calls them.
"""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from .errors import RunFileError
from .h5rows import append_rows
from .layout import CRC_PHENO, PHENO_GROUP, PHENOTYPE_DATASETS, UNWRITTEN, reading

__all__ = ["create_datasets", "read_index", "pending_rows", "joined", "complete_rows", "append",
           "truncate", "stored_ids", "pattern", "Known"]


def _nbytes(shape) -> int:
    """Packed size of an (H, W) pattern."""
    H, W = (int(x) for x in shape)
    return (H * W + 7) // 8


def create_datasets(f: h5py.File, checksum: bool) -> None:
    """Create the empty ``phenotypes/`` group of a new run file."""
    grp = f.create_group(PHENO_GROUP, track_order=False)
    for name, (dtype, trail) in PHENOTYPE_DATASETS.items():
        chunk = 1 << 16 if name == "bits" else 1024
        grp.create_dataset(name, shape=(0,) + trail, maxshape=(None,) + trail,
                           chunks=(chunk,) + trail, dtype=dtype, track_times=False,
                           fletcher32=checksum,
                           **({"fillvalue": UNWRITTEN} if name == "generation" else {}))


def complete_rows(grp: h5py.Group, path: Path, generation: int) -> int:
    """The number of leading rows first stored for generations ``<= generation``."""
    with reading(path, f"{PHENO_GROUP}/generation"):
        return int(np.searchsorted(grp["generation"][:], generation, side="right"))


def read_index(grp: h5py.Group, path: Path, G: int) -> tuple[dict, np.ndarray]:
    """The index of the phenotypes of generations ``0 .. G-1``.

    Returns
    -------
    cols : dict
        ``generation``, ``id``, ``start`` ((n,) int64) and ``shape`` ((n, 2) int64)
        of the n rows first stored for those generations.
    ends : (n,) int64
        One past each row's last byte in ``bits``.
    """
    with reading(path, f"{PHENO_GROUP}/generation"):
        gens = grp["generation"][:]
    n = int(np.searchsorted(gens, G - 1, side="right")) if G else 0
    cols = {"generation": gens[:n]}
    for k in ("id", "shape", "start"):
        with reading(path, f"{PHENO_GROUP}/{k}"):
            cols[k] = grp[k][:n]
    ends = cols["start"] + (cols["shape"].prod(axis=1) + 7) // 8 if n else np.zeros(0, np.int64)
    return cols, ends


def pending_rows(grp: h5py.Group, path: Path, k: int, n: int, g: int) -> dict:
    """Rows ``k .. n`` (columns :data:`~alife.store.layout.CRC_PHENO` and their
    ``bits``), which must all belong to the pending generation ``g``."""
    with reading(path, f"the phenotypes of generation {g}"):
        out = {name: grp[name][k:n] for name in CRC_PHENO}
        if n > k:
            last = int(out["start"][-1]) + _nbytes(out["shape"][-1])
            out["bits"] = grp["bits"][int(out["start"][0]):last]
        else:
            out["bits"] = np.zeros(0, np.uint8)
    if (out["generation"] != g).any():
        raise RunFileError(f"{path}: phenotype rows {k}..{n} are not all tagged with "
                           f"generation {g}; call truncate_to_last_complete() first")
    return out


def _none_pending() -> dict:
    """The (empty) columns of a generation that stored no new phenotype."""
    out = {name: np.zeros((0,) + trail, PHENOTYPE_DATASETS[name][0])
           for name, (_, trail) in PHENOTYPE_DATASETS.items()}
    return out


def joined(written: list[dict], k: int, n: int, g: int) -> dict | None:
    """Rows ``k .. n`` as :func:`pending_rows` reads them, but from the rows
    :func:`append` wrote (its ``written`` list), or None when those are not
    exactly rows ``k .. n``, all tagged with generation ``g``."""
    if not written:
        return _none_pending() if n == k else None
    if written[0]["row"] != k:
        return None
    row = k
    for w in written:
        if w["row"] != row or (w["generation"] != g).any():
            return None
        row += len(w["id"])
    if row != n:
        return None
    if len(written) == 1:
        return written[0]
    return {name: np.concatenate([w[name] for w in written]) for name in CRC_PHENO + ("bits",)}


def _checked(path: Path, ids, patterns) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, patterns)`` as a 1-d integer array and a (K, H, W) bool array."""
    ids = np.asarray(ids)
    pats = np.asarray(patterns)
    if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
        raise RunFileError(f"{path}: phenotype ids must be a 1-d integer array, "
                           f"got shape {ids.shape}, dtype {ids.dtype}")
    if pats.ndim != 3 or pats.shape[0] != ids.shape[0]:
        raise RunFileError(f"{path}: patterns must have shape (K, H, W) with "
                           f"K = {ids.shape[0]} ids, got {pats.shape}")
    if pats.dtype != np.bool_:
        if pats.dtype.kind not in "iu" or (pats.size and not np.isin(pats, (0, 1)).all()):
            raise RunFileError(f"{path}: patterns must be bool (or 0/1 integers), "
                               f"got dtype {pats.dtype}")
        pats = pats.astype(bool)
    if ids.size and (ids < -1).any():
        raise RunFileError(f"{path}: phenotype ids must be >= 0 (-1 = degenerate, skipped)")
    return ids, pats


def append(grp: h5py.Group, path: Path, ids, patterns, generation: int, known: set,
           written: list | None = None) -> int:
    """Store the patterns whose ids are not in ``known`` (first occurrence of
    each id; -1 skipped), tagged with ``generation``; add their ids to
    ``known`` and return how many were new.

    ``written``: a list to which the rows written are appended (once all
    are written), as a dict of the columns :data:`~alife.store.layout.CRC_PHENO`
    and ``bits`` (the bytes of the rows, exactly as stored) and ``row``
    (the index of its first row), for :func:`joined`."""
    ids, pats = _checked(path, ids, patterns)
    keep, seen = [], set()
    for k, pid in enumerate(ids.tolist()):
        if pid >= 0 and pid not in seen and pid not in known:
            seen.add(pid)
            keep.append(k)
    if not keep:
        return 0
    # each pattern raveled and packed on its own row (padded to whole bytes
    # per pattern): the bytes np.packbits gives each pattern alone
    if len(keep) < len(ids):        # (else every pattern is new: no copy of them)
        pats = pats[keep]
    packed = np.packbits(pats.reshape(len(keep), -1), axis=1)
    n0, m0 = grp["id"].shape[0], grp["bits"].shape[0]
    rows = {"id": ids[keep].astype(np.int64),
            "shape": np.tile(np.asarray(pats.shape[1:], np.int64), (len(keep), 1)),
            "start": m0 + packed.shape[1] * np.arange(len(keep), dtype=np.int64),
            # written last: rows without it read as "never written"
            "generation": np.full(len(keep), generation, np.int64)}
    append_rows(grp["bits"], m0, packed.reshape(-1))
    for name, row in rows.items():
        append_rows(grp[name], n0, row)
    known.update(seen)
    if written is not None:
        written.append(dict(rows, bits=packed.reshape(-1), row=n0))
    return len(keep)


def truncate(grp: h5py.Group, path: Path, generation: int) -> int:
    """Keep the rows first stored for generations ``<= generation`` (and their
    bits); return how many rows are kept."""
    # rows are appended generation by generation: keep the leading rows
    # of generations <= `generation` (unwritten rows read as UNWRITTEN)
    with reading(path, f"the {PHENO_GROUP}/ index"):
        gens = grp["generation"][:]
        n_keep = int(np.searchsorted(gens, generation, side="right"))
        m_keep = 0
        if n_keep:
            m_keep = int(grp["start"][n_keep - 1]) + _nbytes(grp["shape"][n_keep - 1])
    for name in PHENOTYPE_DATASETS:
        grp[name].resize(m_keep if name == "bits" else n_keep, axis=0)
    return n_keep


def stored_ids(grp: h5py.Group, path: Path) -> np.ndarray:
    """The ids of every stored row, in storage order."""
    with reading(path, f"{PHENO_GROUP}/id"):
        return grp["id"][:]


class Known:
    """What an open run file knows of its stored phenotypes, read from the
    file once and kept up to date: the set of stored ids (for appends) and
    each id's first row (for :func:`pattern`, each row read once however
    often patterns are looked up).  :meth:`reset` after a truncation."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self._ids: set | None = None
        self._rows: dict = {}
        self._n_rows = 0

    def ids(self, grp: h5py.Group, path: Path) -> set:
        """The stored ids (the set :func:`append` updates)."""
        if self._ids is None:
            self._ids = set(stored_ids(grp, path).tolist())
        return self._ids

    def row(self, grp: h5py.Group, path: Path, pid: int) -> int | None:
        """The first row holding ``pid``, None when it is not stored."""
        n = grp["id"].shape[0]
        if n > self._n_rows:
            with reading(path, f"{PHENO_GROUP}/id"):
                new = grp["id"][self._n_rows:n]
            for k, i in enumerate(new.tolist(), self._n_rows):
                self._rows.setdefault(i, k)
            self._n_rows = n
        return self._rows.get(int(pid))


def pattern(grp: h5py.Group, path: Path, pid: int, row: int | None) -> np.ndarray:
    """The stored pattern with id ``pid``: bool array of shape (H, W).

    ``row`` is its row in the index (:meth:`Known.row`), None when no
    pattern with that id is stored.

    Raises
    ------
    KeyError
        If no pattern with that id is stored.
    """
    if row is None:
        raise KeyError(f"{path}: no phenotype with id {int(pid)} stored")
    r = int(row)
    with reading(path, f"the pattern of phenotype {int(pid)}"):
        H, W = (int(x) for x in grp["shape"][r])
        start = int(grp["start"][r])
        packed = grp["bits"][start:start + (H * W + 7) // 8]
    return np.unpackbits(packed, count=H * W).reshape(H, W).astype(bool)
