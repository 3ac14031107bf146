"""The HDF5 structure of a run file: made, opened and verified (for :class:`~alife.store.RunFile`).

* :func:`check_header_args` / :func:`write_header`: the attributes, run group
  (run id, provenance, fitness name, each with its CRC-32) and phenotype
  store of a new file;
* :func:`create_datasets` / :func:`delete_datasets`: the per-generation
  datasets, shaped by the first generation;
* :func:`open_h5`: open an existing file and validate its layout, with
  one-line errors;
* :func:`verify_chunks`: read every chunk of the complete generations once,
  so each checksum is checked.

Each function writes deterministically from its arguments (the run id is the
only random attribute), so :class:`~alife.store.RunFile` keeps its
bit-for-bit resume guarantees.
"""
from __future__ import annotations

import json
import secrets
import zlib
from pathlib import Path

import h5py
import numpy as np

from .. import __version__ as _ALIFE_VERSION
from .. import provenance as _provenance
from . import phenotypes as _pheno
from .errors import RunFileError, error_line, is_integer
from .layout import (CRC, DATASETS, FITNESS, FITNESS_CRC, HEADER_CRC, MUTATION_CLASS_NAMES, PHENO_GROUP,
                     PROVENANCE, PROVENANCE_CRC, RUN_GROUP, RUN_ID, RUN_ID_CRC, SCHEMA_VERSION,
                     STATE_CRC, check_block_crcs, header_crc, reading, series, state_crc,
                     validate_layout)

__all__ = ["check_header_args", "write_header", "create_datasets", "delete_datasets", "open_h5", "verify_chunks"]


def check_header_args(path: Path, config_toml, seed_entropy, fitness) -> int:
    """Check the arguments of a new run file; return ``seed_entropy`` as an int.

    ``seed_entropy`` may be an int or its decimal string.  Raises
    :class:`RunFileError` (one line naming ``path``) for a ``config_toml`` that
    is not a str, a negative or non-integer seed, or an empty ``fitness`` name.
    """
    if not isinstance(config_toml, str):
        raise RunFileError(f"{path}: config_toml must be a str, got {type(config_toml).__name__}")
    if isinstance(seed_entropy, str) and seed_entropy.strip().lstrip("-").isdigit():
        seed_entropy = int(seed_entropy)
    if not is_integer(seed_entropy) or seed_entropy < 0:
        raise RunFileError(f"{path}: seed_entropy must be a non-negative integer, got {seed_entropy!r}")
    if fitness is not None and (not isinstance(fitness, str) or not fitness):
        raise RunFileError(f"{path}: fitness must be a non-empty name (str) or None, got {fitness!r}")
    return int(seed_entropy)


def write_header(f: h5py.File, config_toml: str, seed_entropy: int, fitness, checksum: bool) -> None:
    """Write the attributes, run group and phenotype store of a new run file into ``f``.

    ``checksum`` False writes a file like those of versions before the
    checksums (no state CRC, no run group); only tests turn it off.
    """
    a = f.attrs
    a["schema_version"] = np.int64(SCHEMA_VERSION)
    a["alife_version"] = str(_ALIFE_VERSION)
    a["config_toml"] = config_toml
    a["seed_entropy"] = str(int(seed_entropy))
    a["status"] = "running"
    a["last_complete_generation"] = np.int64(-1)
    a[HEADER_CRC] = np.int64(header_crc(a))
    if checksum:   # (off only in tests that write files like older versions did)
        a[STATE_CRC] = np.int64(state_crc("running", -1))
        g = f.create_group(RUN_GROUP, track_order=False)
        run_id = secrets.token_hex(16)
        g.attrs[RUN_ID] = run_id
        g.attrs[RUN_ID_CRC] = np.int64(zlib.crc32(run_id.encode("ascii")))
        made_by = json.dumps(_provenance.recorded(), sort_keys=True)
        g.attrs[PROVENANCE] = made_by
        g.attrs[PROVENANCE_CRC] = np.int64(zlib.crc32(made_by.encode("utf-8")))
        if fitness is not None:
            g.attrs[FITNESS] = fitness
            g.attrs[FITNESS_CRC] = np.int64(zlib.crc32(fitness.encode("utf-8", "surrogatepass")))
    _pheno.create_datasets(f, checksum=checksum)


def delete_datasets(f: h5py.File) -> None:
    """Delete the per-generation datasets (and ``generation_crc32``) that exist in ``f``."""
    for name in list(series(0, 0)) + [CRC]:
        if name in f:
            del f[name]


def create_datasets(f: h5py.File, P: int, D: int, checksum: bool) -> None:
    """Create the empty, resizable per-generation datasets for ``P`` genomes of ``D`` genes.

    With ``checksum`` every dataset gets the Fletcher-32 filter and the
    ``generation_crc32`` dataset is created too.
    """
    for name, (dtype, trail) in series(P, D).items():
        rows_per_chunk = 1 if name in DATASETS else 256
        f.create_dataset(name, shape=(0,) + trail, maxshape=(None,) + trail,
                         chunks=(rows_per_chunk,) + trail, dtype=dtype, track_times=False,
                         fletcher32=checksum)
    if checksum:
        f.create_dataset(CRC, shape=(0,), maxshape=(None,), chunks=(256,), dtype=np.uint32,
                         track_times=False, fletcher32=True)
    f["mutation_class"].attrs["codes"] = json.dumps(
        {str(k): v for k, v in sorted(MUTATION_CLASS_NAMES.items())})


def open_h5(path: Path, h5mode: str, lenient: bool = False) -> h5py.File:
    """Open ``path`` with h5py in ``h5mode`` and validate its layout.

    Every failure (locked, not HDF5, truncated, not an alife run file) becomes
    a one-line :class:`RunFileError` naming ``path``; the file is closed
    again before raising.  ``lenient`` is passed to
    :func:`~alife.store.layout.validate_layout` (rows of an incomplete
    generation are allowed when the file is opened to resume).
    """
    try:
        h5 = h5py.File(path, h5mode)
    except Exception as e:  # OSError for everything HDF5 rejects
        msg = error_line(e)
        if "unable to lock file" in msg:
            raise RunFileError(f"{path} is locked by another process (is a run still "
                               f"writing it?): {msg}") from None
        raise RunFileError(f"{path} is not a readable alife run file "
                           f"(truncated or corrupt): {msg}") from None
    try:
        validate_layout(h5, path, lenient)
    except RunFileError:
        h5.close()
        raise
    except Exception as e:  # corrupt metadata found while reading it
        h5.close()
        raise RunFileError(f"{path} is not a readable alife run file "
                           f"(truncated or corrupt): {error_line(e)}") from None
    return h5


def verify_chunks(f: h5py.File, path: Path, G: int) -> None:
    """Read every chunk of the first ``G`` (complete) generations and their
    phenotypes once, so HDF5 checks each Fletcher-32 checksum, and recompute
    each generation's CRC-32 (``generation_crc32``) when the file has it.

    Raises :class:`RunFileError` naming ``path`` and the damaged dataset or
    generation (:meth:`alife.store.RunFile.verify`).
    """
    with reading(path, "the index of its groups"):
        f.visit(lambda name: None)   # every group's links (as h5dump would list them)
    cols, ends = _pheno.read_index(f[PHENO_GROUP], path, G)
    if not G:
        return
    names = list(series(0, 0)) + ([CRC] if CRC in f else [])
    dsets = {name: f[name] for name in names}
    # blocks of whole chunks of about 16 MiB of the widest dataset
    widest = max(max(1, ds.dtype.itemsize * int(np.prod(ds.shape[1:], dtype=np.int64)))
                 for ds in dsets.values())
    step = max(256, ((1 << 24) // widest) // 256 * 256)
    bits = f[PHENO_GROUP]["bits"]
    for a in range(0, G, step):
        b = min(a + step, G)
        block = {}
        for name, ds in dsets.items():
            with reading(path, f"dataset {name}"):
                block[name] = ds[a:b]
        r0, r1 = np.searchsorted(cols["generation"], [a, b], side="left")
        m0 = int(cols["start"][r0]) if r1 > r0 else 0
        with reading(path, f"{PHENO_GROUP}/bits"):
            packed = bits[m0:int(ends[r1 - 1])] if r1 > r0 else np.zeros(0, np.uint8)
        if CRC in block:
            check_block_crcs(path, a, b, block, cols, ends, packed, m0)
