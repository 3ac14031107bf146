"""Mutation operators over whole populations of flat float32 genomes.

A population is a ``(P, D)`` float32 array of genomes whose genes lie in
``[-1, 1]`` (the HNCA genome, see :meth:`alife.nca.HNCASpec.random_genomes`).
Each operator is a small pure function of the parents and an explicit
:class:`numpy.random.Generator` and is vectorised over the population::

    children, mutated = resample(parents, rng, n_genes=1)

Contract shared by every operator
---------------------------------
* ``parents`` must be a 2-D float32 numpy array with at least one gene and
  finite genes in ``[-1, 1]`` (any memory layout); otherwise ``ValueError``.
  ``rng`` must be a ``numpy.random.Generator`` (``TypeError`` otherwise).
* ``children`` is a fresh, C-contiguous ``(P, D)`` float32 array: never a
  view of the parents and never sharing memory with them.  The parents are
  never modified.
* ``mutated`` is a ``(P, D)`` bool mask and is *exactly* ``children !=
  parents``: every gene an operator touches really changes value (the rare
  cases where a draw would reproduce the old value are handled per operator,
  below), so no masked gene is a silent no-op and no child is an unmutated
  copy of its parent.
* The same generator state gives the same children (the draws are a fixed
  function of ``P``, ``D``, the parameters and the generator).

Operators
---------
``resample(parents, rng, n_genes=1)``
    ``n_genes`` distinct genes per child, chosen uniformly, are redrawn from
    U(-1, 1) (the GECCO 2024 operator).  A redraw that happens to equal the
    old value (probability ~1e-7 per gene) is drawn again.
``gaussian(parents, rng, sigma=0.1, rate=None)``
    Each gene is selected with probability ``rate`` (default ``1/D``) and
    gets ``N(0, sigma^2)`` noise, clipped to ``[-1, 1]``.  A child with no
    selected gene gets one gene chosen uniformly, so every child changes; the
    expected fraction of mutated genes is therefore
    ``rate + (1 - rate)**D / D``, not ``rate``.  See :func:`gaussian` for how
    a selected gene is guaranteed to move.
``lattice(parents, rng, k=21, n_genes=1)``
    Genes are restricted to the ``k`` evenly spaced values
    :func:`lattice_values` in ``[-1, 1]``; ``n_genes`` distinct genes per
    child each move to a *different* lattice value, uniform among the other
    ``k - 1``.  Parents must already be on the lattice (:func:`to_lattice`
    snaps, :func:`on_lattice` checks).

Registry
--------
``OPERATORS`` maps names to the functions; :func:`get_operator` binds and
validates parameters and returns ``op(parents, rng) -> (children, mutated)``
(a picklable :func:`functools.partial`)::

    op = get_operator("gaussian", sigma=0.05)
    children, mutated = op(parents, np.random.default_rng(0))
"""
from __future__ import annotations

import functools
import inspect
import numbers
from typing import Callable

import numpy as np
from numba import njit

from .._numba import CAN_CACHE, smallest_keys

__all__ = [
    "resample",
    "gaussian",
    "lattice",
    "lattice_values",
    "to_lattice",
    "on_lattice",
    "OPERATORS",
    "get_operator",
    "operator_params",
    "Mutation",
    "DEFAULT_LATTICE_K",
    "MAX_LATTICE_K",
]

#: ``op(parents, rng) -> (children, mutated)``, as returned by :func:`get_operator`.
Mutation = Callable[[np.ndarray, np.random.Generator], "tuple[np.ndarray, np.ndarray]"]

#: Default lattice size: 21 values, a step of 0.1, with 0 on the lattice.
DEFAULT_LATTICE_K = 21

#: Largest accepted lattice size.  Keeps the spacing (>= 3e-5) far above the
#: float32 resolution near 1 (6e-8), so lattice values are distinct float32
#: numbers and snapping to the nearest one is unambiguous.
MAX_LATTICE_K = 2**16


# --------------------------------------------------------------------------- #
# validation
# --------------------------------------------------------------------------- #
def _check_parents(parents) -> np.ndarray:
    if not isinstance(parents, np.ndarray):
        raise ValueError(f"parents must be a numpy array of shape (P, D), got {type(parents).__name__}")
    if parents.ndim != 2:
        raise ValueError(f"parents must be a 2-D array of shape (P, D), got shape {parents.shape}")
    if parents.dtype != np.float32:
        raise ValueError(f"parents must be float32, got {parents.dtype}; cast with .astype(np.float32)")
    if parents.shape[1] < 1:
        raise ValueError(f"parents must have at least one gene, got shape {parents.shape}")
    finite = np.isfinite(parents)
    if not finite.all():
        raise ValueError(f"parents contain {int((~finite).sum())} non-finite genes (NaN or inf)")
    if parents.size and (parents.min() < -1 or parents.max() > 1):
        raise ValueError(
            f"parents' genes must lie in [-1, 1], found values in [{parents.min()}, {parents.max()}]"
        )
    return parents


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _check_n_genes(n_genes, D: int | None = None) -> int:
    hi = "D" if D is None else str(D)
    if not _is_int(n_genes) or n_genes < 1 or (D is not None and n_genes > D):
        raise ValueError(f"n_genes must be an integer in 1..{hi} (the genome length), got {n_genes!r}")
    return int(n_genes)


def _check_sigma(sigma) -> float:
    if not _is_real(sigma) or not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")
    return float(sigma)


def _check_rate(rate) -> float | None:
    if rate is None:
        return None
    if not _is_real(rate) or not (0 < rate <= 1):
        raise ValueError(f"rate must be None (meaning 1/D) or a number in (0, 1], got {rate!r}")
    return float(rate)


def _check_k(k) -> int:
    if not _is_int(k) or not (2 <= k <= MAX_LATTICE_K):
        raise ValueError(f"k (lattice size) must be an integer in 2..{MAX_LATTICE_K}, got {k!r}")
    return int(k)


#: Bind-time checks, by parameter name (``n_genes`` is checked against D at call time).
_PARAM_CHECKS = {"n_genes": _check_n_genes, "sigma": _check_sigma, "rate": _check_rate, "k": _check_k}


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
def _fresh(parents: np.ndarray) -> np.ndarray:
    """A C-contiguous float32 copy with its own buffer."""
    return np.array(parents, dtype=np.float32, order="C", copy=True)


def _choose_genes(rng: np.random.Generator, P: int, D: int, n: int) -> np.ndarray:
    """(P, D) bool mask with exactly ``n`` distinct genes per row, each subset equally likely.

    The ``n`` smallest of D i.i.d. uniform keys per row: a uniformly random
    n-subset (ties have probability ~0 and still give n distinct indices).
    """
    keys = rng.random((P, D))
    mask = np.zeros((P, D), dtype=bool)
    if _smallest_in_rows(keys, n, mask):
        return mask
    idx = np.argpartition(keys, n - 1, axis=1)[:, :n]
    mask = np.zeros((P, D), dtype=bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask


@njit(cache=CAN_CACHE, nogil=True)
def _smallest_in_rows(keys, n, mask):
    """Set ``mask[r]`` True at the ``n`` smallest keys of each row of ``keys``
    (a compiled pass for :func:`_choose_genes`, cheaper than the partial sort
    of every row).

    Keeps each row's ``n + 1`` smallest keys in a sorted buffer.  When the
    n-th smallest is below the next one, the row's n smallest are one set,
    the one ``np.argpartition`` gives; returns False (``mask`` unfinished) if
    any row has a tie there, leaving the choice to the partial sort."""
    P, D = keys.shape
    m = min(n + 1, D)
    buf_k = np.empty(m, np.float64)
    buf_i = np.empty(m, np.int64)
    for r in range(P):
        smallest_keys(keys[r], buf_k, buf_i)
        if m > n and not buf_k[n - 1] < buf_k[n]:
            return False
        for t in range(n):
            mask[r, buf_i[t]] = True
    return True


def _uniform32(rng: np.random.Generator, n: int) -> np.ndarray:
    # same draw as HNCASpec.random_genomes: U(-1, 1) in float64, rounded to float32
    return rng.uniform(-1.0, 1.0, size=n).astype(np.float32)


# --------------------------------------------------------------------------- #
# operators
# --------------------------------------------------------------------------- #
def resample(parents: np.ndarray, rng: np.random.Generator, n_genes: int = 1):
    """Redraw ``n_genes`` distinct, uniformly chosen genes per child from U(-1, 1).

    The GECCO 2024 operator (Bielawski et al.).  A redrawn value equal to the
    old one (probability ~1e-7 per gene) is drawn again, so ``mutated`` is
    exactly ``children != parents`` with ``n_genes`` True per row.

    Parameters
    ----------
    parents : (P, D) float32 array, finite genes in [-1, 1]
    rng : numpy.random.Generator
    n_genes : int in 1..D

    Returns
    -------
    children : (P, D) float32 C-contiguous array (fresh memory)
    mutated : (P, D) bool array, the redrawn genes
    """
    parents = _check_parents(parents)
    rng = _check_rng(rng)
    P, D = parents.shape
    n = _check_n_genes(n_genes, D)
    mask = _choose_genes(rng, P, D, n)
    children = _fresh(parents)
    old = children[mask]
    new = _uniform32(rng, old.size)
    same = new == old
    while same.any():  # ~never runs; a vectorised redraw of the coincidences
        new[same] = _uniform32(rng, int(same.sum()))
        same = new == old
    children[mask] = new
    return children, mask


def gaussian(parents: np.ndarray, rng: np.random.Generator, sigma: float = 0.1, rate: float | None = None):
    """Add N(0, sigma^2) to each gene with probability ``rate``, clip to [-1, 1].

    Selection: each gene independently with probability ``rate`` (default
    ``1/D``); a child with no selected gene gets one gene chosen uniformly.
    So every child changes, and the expected fraction of mutated genes is
    ``rate + (1 - rate)**D / D`` (for ``rate = 1/D`` and D = 51 that is
    0.0267, not 0.0196).

    Every selected gene is guaranteed to move.  ``x + noise`` is computed in
    float32 and clipped; if that leaves the gene unchanged, which happens
    only when the gene sits on a bound and the noise points outwards (or when
    the noise is below float32 resolution), the noise is mirrored
    (``x - noise``, which for a gene on a bound is exactly the draw
    conditioned on moving); if the gene is still unchanged (noise below
    resolution) it takes the smallest float32 step in the noise's direction,
    or inwards at a bound.  Hence ``mutated`` is exactly ``children !=
    parents``.

    Parameters
    ----------
    parents : (P, D) float32 array, finite genes in [-1, 1]
    rng : numpy.random.Generator
    sigma : float > 0, the noise standard deviation
    rate : float in (0, 1] or None (= 1/D), the per-gene mutation probability

    Returns
    -------
    children : (P, D) float32 C-contiguous array (fresh memory)
    mutated : (P, D) bool array, the genes that changed
    """
    parents = _check_parents(parents)
    rng = _check_rng(rng)
    sigma = _check_sigma(sigma)
    rate = _check_rate(rate)
    P, D = parents.shape
    if rate is None:
        rate = 1.0 / D
    mask = rng.random((P, D)) < rate
    empty = np.flatnonzero(~mask.any(axis=1))
    mask[empty, rng.integers(0, D, size=empty.size)] = True

    children = _fresh(parents)
    old = children[mask]
    noise = rng.normal(0.0, sigma, size=old.size).astype(np.float32)
    new = np.clip(old + noise, -1.0, 1.0)
    same = new == old
    if same.any():
        new[same] = np.clip(old[same] - noise[same], -1.0, 1.0)
        same = new == old
        if same.any():
            o = old[same]
            target = np.where(noise[same] >= 0, np.float32(1), np.float32(-1))
            target = np.where(target == o, -target, target)
            new[same] = np.nextafter(o, target)
    children[mask] = new
    return children, mask


def lattice_values(k: int) -> np.ndarray:
    """The ``k`` evenly spaced lattice values in [-1, 1], as float32.

    Value ``i`` is ``(2 i - (k - 1)) / (k - 1)`` computed in float64 and
    rounded once to float32: the same as ``np.linspace(-1, 1, k,
    dtype=np.float32)`` except for a few ``k`` (99, 197, ...) where linspace
    gives, e.g., -1.1e-16 instead of 0.  These values are exactly symmetric
    (``v == -v[::-1]``) and contain 0 exactly when ``k`` is odd.
    """
    k = _check_k(k)
    i = np.arange(k, dtype=np.float64)
    return ((2.0 * i - (k - 1)) / (k - 1)).astype(np.float32)


def _lattice_index(g: np.ndarray, k: int) -> np.ndarray:
    """Index of the nearest lattice value for finite ``g`` (clipped to 0..k-1)."""
    x = np.rint((np.asarray(g, dtype=np.float64) + 1.0) * ((k - 1) / 2.0))
    return np.clip(x, 0, k - 1).astype(np.intp)


def _as_real_array(genomes, what: str = "genomes") -> np.ndarray:
    g = np.asarray(genomes)
    if g.dtype.kind not in "fiu":
        raise ValueError(f"{what} must be a real numeric array, got dtype {g.dtype}")
    return g


def to_lattice(genomes, k: int = DEFAULT_LATTICE_K) -> np.ndarray:
    """Snap every gene to the nearest of the ``k`` lattice values.

    Any shape and real dtype; genes outside [-1, 1] snap to the nearest end.
    Returns a fresh C-contiguous float32 array of the same shape.  Raises
    ValueError for non-finite genes or a bad ``k``.
    """
    k = _check_k(k)
    g = _as_real_array(genomes)
    if not np.isfinite(g).all():
        raise ValueError("genomes contain non-finite genes (NaN or inf); cannot snap them to the lattice")
    return np.ascontiguousarray(lattice_values(k)[_lattice_index(g, k)])


def on_lattice(genomes, k: int = DEFAULT_LATTICE_K) -> bool:
    """True if every gene is exactly one of the float32 :func:`lattice_values` ``(k)``.

    Any shape; an empty array is on the lattice.  Non-finite genes are not.
    (A float64 0.1 is not on the lattice: only the float32 value is.)
    """
    k = _check_k(k)
    g = _as_real_array(genomes)
    if not np.isfinite(g).all():
        return False
    return bool(np.array_equal(lattice_values(k)[_lattice_index(g, k)], g))


def lattice(parents: np.ndarray, rng: np.random.Generator, k: int = DEFAULT_LATTICE_K, n_genes: int = 1):
    """Move ``n_genes`` distinct, uniformly chosen genes per child to another lattice value.

    The new value is uniform among the ``k - 1`` lattice values other than
    the gene's current one, so the genotype space is the finite grid
    ``lattice_values(k) ** D`` and a mutation is one step along one axis.

    Parameters
    ----------
    parents : (P, D) float32 array, every gene on the ``k`` lattice
        (ValueError otherwise: snap them with :func:`to_lattice` first)
    rng : numpy.random.Generator
    k : int in 2..MAX_LATTICE_K, the number of lattice values (default 21)
    n_genes : int in 1..D

    Returns
    -------
    children : (P, D) float32 C-contiguous array (fresh memory), on the lattice
    mutated : (P, D) bool array with exactly ``n_genes`` True per row
    """
    parents = _check_parents(parents)
    rng = _check_rng(rng)
    k = _check_k(k)
    P, D = parents.shape
    n = _check_n_genes(n_genes, D)
    values = lattice_values(k)
    idx = _lattice_index(parents, k)
    if not np.array_equal(values[idx], parents):
        raise ValueError(
            f"parents are not on the k={k} lattice (lattice_values({k})); "
            f"snap them with to_lattice(parents, {k}) first"
        )
    mask = _choose_genes(rng, P, D, n)
    new_idx = (idx[mask] + rng.integers(1, k, size=P * n)) % k
    children = _fresh(parents)
    children[mask] = values[new_idx]
    return children, mask


# --------------------------------------------------------------------------- #
# registry
# --------------------------------------------------------------------------- #
#: Mutation operators by name.  An operator is ``f(parents, rng, **params)``
#: following the contract in the module docstring.
OPERATORS: dict[str, Callable] = {"resample": resample, "gaussian": gaussian, "lattice": lattice}


def operator_params(name: str) -> dict:
    """The parameters of operator ``name`` and their defaults, e.g. ``{"sigma": 0.1, "rate": None}``."""
    if name not in OPERATORS:
        raise ValueError(f"unknown mutation operator {name!r}; valid: {', '.join(sorted(OPERATORS))}")
    sig = inspect.signature(OPERATORS[name])
    return {p.name: p.default for p in list(sig.parameters.values())[2:]}


def get_operator(name: str, **params) -> Mutation:
    """Look up operator ``name`` and bind ``params``: returns ``op(parents, rng)``.

    Raises ValueError for an unknown name or parameter (naming the valid
    ones) and for a bad value (sigma <= 0, rate outside (0, 1], k outside
    2..MAX_LATTICE_K, n_genes < 1).  ``n_genes > D`` is only known, and
    raised, when ``op`` is called.  The result is a :func:`functools.partial`
    (picklable, so it can be shipped to worker processes).
    """
    valid = operator_params(name)
    for key, value in params.items():
        if key not in valid:
            raise ValueError(
                f"unknown parameter {key!r} for mutation operator {name!r}; "
                f"valid: {', '.join(valid) or '(none)'}"
            )
        check = _PARAM_CHECKS.get(key)
        if check is not None:
            check(value)
    return functools.partial(OPERATORS[name], **params)
