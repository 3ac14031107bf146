"""The resume checkpoint of an evolution run: ``RUN.h5.ckpt.npz``.

The algorithm state (plain arrays), the generation it includes and the
random generator's state, written atomically next to the run file
(:func:`alife.store.atomic_write`).  Resume recipe::

    ck = load_checkpoint(path)
    with RunFile.open(path, "a") as rf:
        check_checkpoint(rf, ck)     # the checkpoint belongs to this run and file
        rf.truncate_to(ck.generation)  # drop rows written after the checkpoint
        state = from_arrays(ck.arrays)
        rng = np.random.default_rng(); rng.bit_generator.state = ck.rng_state
        ...                          # continue with generation ck.generation + 1

A checkpoint is tied to its run: it records the run file's ``run_id`` and
the ``generation_crc32`` of the generation it includes, so a checkpoint of
another run, or one that runs ahead of its file, is refused rather than
resumed (:func:`check_checkpoint`).  Its own CRC-32 (``__crc32__``, over every
entry) and the zip's per-member CRCs catch damage.

The file is an ``.npz`` read with ``allow_pickle=False``; the generator state
is JSON.  Nothing in it can run code.
"""
from __future__ import annotations

import functools
import io
import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import atomic_write, open_exclusive, read_regular_bytes
from .errors import RunFileError, error_line, is_integer

__all__ = ["checkpoint_path", "write_checkpoint", "read_checkpoint", "load_checkpoint",
           "check_checkpoint", "Checkpoint", "CHECKPOINT_SUFFIX", "CHECKPOINT_FIX"]

#: ``RUN.h5`` -> ``RUN.h5`` + this suffix.
CHECKPOINT_SUFFIX = ".ckpt.npz"
_CKPT_META = ("__generation__", "__rng_state__")
_RUN_ID, _GEN_CRC, _CRC = "__run_id__", "__generation_crc__", "__crc32__"
#: Checkpoints whose arrays hold up to this many bytes are made in memory and
#: written with one call; larger ones are written piece by piece.
_IN_MEMORY_BYTES = 1 << 26
#: How to recover from a checkpoint that cannot be used.
CHECKPOINT_FIX = ("rerun with --force to restart the run from generation 0 (or a new --out), "
                  "or put back the run's own checkpoint")


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint as read back.

    Attributes
    ----------
    generation : int, the last generation the state includes
    arrays : dict of str -> ndarray, the algorithm state (exact dtypes)
    rng_state : dict, for ``rng.bit_generator.state``
    run_id : str or None, the ``run_id`` of the run file it belongs to
        (None: written by an alife that did not record it)
    generation_crc : int or None, that run file's ``generation_crc32`` of
        ``generation`` (None: not recorded, or the file has none)
    """
    generation: int
    arrays: dict
    rng_state: dict
    run_id: str | None = None
    generation_crc: int | None = None


def checkpoint_path(run_path) -> Path:
    """``RUN.h5`` -> ``RUN.h5.ckpt.npz`` (same directory)."""
    run_path = Path(run_path)
    return run_path.with_name(run_path.name + CHECKPOINT_SUFFIX)


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


@functools.lru_cache(maxsize=256)
def _entry_head(name: str, dtype: str, shape: tuple) -> bytes:
    """The bytes that open an entry in :func:`_entries_crc` (the same few
    entries recur in every checkpoint of a run: made once each)."""
    return json.dumps([name, dtype, list(shape)]).encode()


def _entries_crc(entries: dict) -> int:
    """CRC-32 of every entry but ``__crc32__``: name, dtype, shape and bytes, by name."""
    crc = 0
    for name in sorted(entries):
        if name == _CRC:
            continue
        a = np.ascontiguousarray(entries[name])
        crc = zlib.crc32(_entry_head(name, a.dtype.str, a.shape), crc)
        crc = zlib.crc32(a.tobytes(), crc)
    return crc


def write_checkpoint(run_path, generation: int, state_arrays: dict, rng_state: dict, *,
                     run_id: str | None = None, generation_crc: int | None = None) -> Path:
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
    run_id : str, optional, the run file's :attr:`RunFile.run_id`
    generation_crc : int, optional, the run file's CRC-32 of ``generation``
        (:meth:`RunFile.generation_checksum`)
    """
    final = checkpoint_path(run_path)
    if not is_integer(generation) or generation < 0:
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
        raise RunFileError(f"{final}: rng_state is not JSON serialisable: {error_line(e)}") from None
    arrays["__generation__"] = np.asarray(generation, dtype=np.int64)
    arrays["__rng_state__"] = np.asarray(rng_json)
    arrays[_RUN_ID] = np.asarray("" if run_id is None else str(run_id))
    arrays[_GEN_CRC] = np.asarray(-1 if generation_crc is None else int(generation_crc), np.int64)
    arrays[_CRC] = np.asarray(_entries_crc(arrays), dtype=np.int64)
    with atomic_write(final) as tmp, open_exclusive(tmp) as fh:
        if sum(a.nbytes for a in arrays.values()) <= _IN_MEMORY_BYTES:
            # made in memory and written at once: the bytes np.savez writes
            # into the file, without a system call for each small piece
            buf = io.BytesIO()
            np.savez(buf, **arrays)
            fh.write(buf.getbuffer())
        else:
            np.savez(fh, **arrays)
    return final


def read_checkpoint(run_path) -> tuple[int, dict[str, np.ndarray], dict]:
    """Read the checkpoint next to ``run_path``: ``(generation, arrays, rng_state)``
    (see :func:`load_checkpoint`, which also returns what ties it to its run).

    Raises
    ------
    RunFileError
        If the checkpoint is missing, truncated or corrupt.
    """
    ck = load_checkpoint(run_path)
    return ck.generation, ck.arrays, ck.rng_state


def load_checkpoint(run_path) -> Checkpoint:
    """Read and check the checkpoint next to ``run_path``.

    Returns
    -------
    Checkpoint

    Raises
    ------
    RunFileError
        One line: missing, not a regular file, truncated or corrupt (a CRC
        fails, an entry is missing or malformed).
    """
    path = checkpoint_path(run_path)
    if not path.exists():
        raise RunFileError(f"{path} does not exist: no checkpoint to resume from")
    try:
        data = read_regular_bytes(path)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
        if sum(i.file_size for i in infos) > max(len(data), 1) * 1032:  # deflate's best ratio
            raise ValueError("members larger than any zip of this size can hold")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        missing = [k for k in _CKPT_META if k not in arrays]
        if missing:
            raise ValueError(f"missing entries {missing}")
        stored_crc = arrays.pop(_CRC, None)
        if stored_crc is not None or _RUN_ID in arrays:
            if stored_crc is None or stored_crc.shape != () or \
                    int(stored_crc) != _entries_crc(arrays):
                raise ValueError("its checksum does not match")
        gen = arrays.pop("__generation__")
        if gen.shape != () or gen.dtype.kind not in "iu" or int(gen) < 0:
            raise ValueError(f"__generation__ must be a 0-d integer >= 0, got {gen.shape} {gen.dtype}")
        rng_state = json.loads(str(arrays.pop("__rng_state__")), object_hook=_json_hook)
        if not isinstance(rng_state, dict):
            raise ValueError("rng state is not a JSON object")
        run_id = str(arrays.pop(_RUN_ID)) if _RUN_ID in arrays else None
        gen_crc = int(arrays.pop(_GEN_CRC)) if _GEN_CRC in arrays else -1
    except RunFileError:
        raise
    except Exception as e:  # zipfile, numpy format and JSON errors alike
        raise RunFileError(f"{path} is not a readable checkpoint (truncated or corrupt): "
                           f"{error_line(e)}") from None
    return Checkpoint(int(gen), arrays, rng_state, run_id or None,
                      None if gen_crc < 0 else gen_crc)


def check_checkpoint(run, ck: Checkpoint) -> None:
    """Refuse a checkpoint that does not belong to ``run`` (a
    :class:`~alife.store.RunFile`): one of another run (its ``run_id``
    differs), one that runs ahead of the file (a generation the file does
    not hold as complete), or one whose generation is not the file's (its
    CRC-32 differs from the file's ``generation_crc32``).

    Checkpoints and run files written before run ids are accepted together
    (nothing ties them); a checkpoint with a run id never resumes a file
    without one, and the other way round.

    Raises
    ------
    RunFileError
        One line naming the checkpoint, what is wrong and how to recover.
    """
    path = checkpoint_path(run.path)
    last = run.last_complete_generation
    if ck.generation > last:
        raise RunFileError(f"{path} runs ahead of its run file: it holds generation "
                           f"{ck.generation} but {run.path} has only {last + 1} complete "
                           f"generation(s); {CHECKPOINT_FIX}")
    rid = run.run_id
    if rid != ck.run_id:
        raise RunFileError(f"{path} belongs to another run (run id {ck.run_id or 'none'}; "
                           f"{run.path} has {rid or 'none'}); {CHECKPOINT_FIX}")
    want = run.generation_checksum(ck.generation)
    if want is not None and ck.run_id is not None and ck.generation_crc != want:
        raise RunFileError(f"{path} does not match generation {ck.generation} of {run.path} "
                           f"(their checksums differ); {CHECKPOINT_FIX}")
