"""Small validators shared by the algorithms: each raises a one-line error naming the problem."""
from __future__ import annotations

import numbers

import numpy as np


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _frozen(a: np.ndarray, dtype) -> np.ndarray:
    """A read-only C-contiguous copy with its own buffer."""
    out = np.array(a, dtype=dtype, order="C", copy=True)
    out.flags.writeable = False
    return out


def _check_array(name: str, a, dtype, shape: tuple) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != dtype:
        raise ValueError(f"{name} must have dtype {np.dtype(dtype)}, got {a.dtype}")
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


def _check_genomes(genomes, P: int | None = None) -> np.ndarray:
    if not isinstance(genomes, np.ndarray):
        raise ValueError(f"genomes must be a numpy array of shape (P, D), got {type(genomes).__name__}")
    if genomes.ndim != 2 or genomes.shape[1] < 1:
        raise ValueError(f"genomes must have shape (P, D) with D >= 1, got {genomes.shape}")
    if P is not None and genomes.shape[0] != P:
        raise ValueError(f"genomes must have {P} rows (pop_size), got shape {genomes.shape}")
    if genomes.dtype != np.float32:
        raise ValueError(f"genomes must be float32, got {genomes.dtype}; cast with .astype(np.float32)")
    if not np.isfinite(genomes).all():
        raise ValueError("genomes contain non-finite genes (NaN or inf)")
    if genomes.size and (genomes.min() < -1 or genomes.max() > 1):
        raise ValueError(f"genes must lie in [-1, 1], found [{genomes.min()}, {genomes.max()}]")
    return genomes


def _check_loss(loss, n: int, name: str = "loss") -> np.ndarray:
    """An int or float array of shape (n,), no NaN (+inf allowed: the worst loss) -> float64."""
    a = np.asarray(loss)
    if a.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be an int or float array, got dtype {a.dtype}")
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one loss per genome, got {a.shape}")
    a = a.astype(np.float64)
    if np.isnan(a).any():
        raise ValueError(f"{name} contains NaN; give failed evaluations the worst loss (e.g. inf)")
    return a
