"""The resume checkpoint of an evolution run: ``RUN.h5.ckpt.npz``.

The algorithm state (plain arrays), the generation it includes and the
random generator's state, written atomically next to the run file
(:func:`alife.store.atomic_write`).  Resume recipe::

    gen, arrays, rng_state = read_checkpoint(path)
    with RunFile.open(path, "a") as rf:
        rf.truncate_to(gen)          # drop rows written after the checkpoint
        state = from_arrays(arrays)
        rng = np.random.default_rng(); rng.bit_generator.state = rng_state
        ...                          # continue with generation gen + 1

The file is an ``.npz`` read with ``allow_pickle=False``; the generator state
is JSON.  Nothing in it can run code.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .errors import RunFileError, error_line, is_integer

__all__ = ["checkpoint_path", "write_checkpoint", "read_checkpoint", "CHECKPOINT_SUFFIX"]

#: ``RUN.h5`` -> ``RUN.h5`` + this suffix.
CHECKPOINT_SUFFIX = ".ckpt.npz"
_CKPT_META = ("__generation__", "__rng_state__")


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
    with atomic_write(final) as tmp, open(tmp, "wb") as fh:
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
                           f"{error_line(e)}") from None
    return int(gen), arrays, rng_state
