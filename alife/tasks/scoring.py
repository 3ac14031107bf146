"""Loss of binary patterns against a target, and the damage of cell states.

The loss of a phenotype is the number of cells where it differs from the
target (lower is better).  Degenerate phenotypes (all 0 or all 1) get the
*worst loss*, ``N * N``: every cell counted as wrong, whatever the target.
"""
from __future__ import annotations

import numpy as np

from ..nca.develop import check_rect
from ..nca.spec import HNCASpec

__all__ = ["loss", "loss_from_counts", "proportion_correct", "check_spec_target",
           "damage_states"]


# --------------------------------------------------------------------------- #
# loss
# --------------------------------------------------------------------------- #
def _as_bool(a, what: str, where: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return a
    if a.dtype.kind in "iu" and (a.size == 0 or np.isin(a, (0, 1)).all()):
        return a.astype(bool)
    raise ValueError(f"{where}: {what} must be bool (or integers 0/1), got dtype {a.dtype} "
                     "with other values; binarise real-valued states first")


def _check_pair(phenotypes, target_, where: str):
    t = _as_bool(target_, "target", where)
    if t.ndim != 2:
        raise ValueError(f"{where}: target must have shape (N, N), got {t.shape}")
    ph = _as_bool(phenotypes, "phenotypes", where)
    if ph.ndim not in (2, 3) or ph.shape[-2:] != t.shape:
        raise ValueError(f"{where}: phenotypes must have shape {t.shape} or "
                         f"(P, {t.shape[0]}, {t.shape[1]}) to match the target, got {ph.shape}")
    return ph, t


def loss(phenotypes, target) -> np.ndarray:
    """Number of cells where each phenotype differs from the target.

    Degenerate phenotypes (all 0 or all 1) get the worst loss ``N * N``:
    every cell counted as wrong, whatever the target.

    Parameters
    ----------
    phenotypes : array_like of bool, shape (P, N, N) or (N, N)
        Integer arrays of 0s and 1s are accepted too.
    target : array_like of bool, shape (N, N)

    Returns
    -------
    ndarray of int64, shape (P,), or 0-d for one (N, N) phenotype
        In ``0 .. N*N``; 0 means equal to the target.

    Raises
    ------
    ValueError
        For mismatched shapes or non-binary values.
    """
    ph, t = _check_pair(phenotypes, target, "loss")
    wrong = np.count_nonzero(ph != t, axis=(-2, -1)).astype(np.int64)
    degen = ~ph.any(axis=(-2, -1)) | ph.all(axis=(-2, -1))
    return np.where(degen, np.int64(t.size), wrong).astype(np.int64)


def loss_from_counts(wrong, on, n_cells: int) -> np.ndarray:
    """:func:`loss` from per-pattern counts instead of the patterns.

    What a rollout that scores its output level at several steps records
    (:func:`alife.nca.develop` with ``target=`` and ``score_steps=``).

    Parameters
    ----------
    wrong : array_like of int, any shape
        Cells that differ from the target.
    on : array_like of int, same shape
        Cells that are on (1); 0 or ``n_cells`` means a degenerate pattern.
    n_cells : int
        Cells per pattern, ``N * N``.

    Returns
    -------
    ndarray of int64, the shape of ``wrong``
        ``wrong``, or ``n_cells`` where the pattern is degenerate.
    """
    wrong, on = np.asarray(wrong, np.int64), np.asarray(on, np.int64)
    return np.where((on == 0) | (on == n_cells), np.int64(n_cells), wrong)


def proportion_correct(phenotypes, target) -> np.ndarray:
    """Fraction of cells equal to the target: ``1 - loss / (N * N)``.

    Degenerate phenotypes (all 0 or all 1) score 0.0 (their loss is the
    worst, ``N * N``).

    Parameters
    ----------
    phenotypes : array_like of bool, shape (P, N, N) or (N, N)
    target : array_like of bool, shape (N, N)

    Returns
    -------
    ndarray of float64, shape (P,), or 0-d for one (N, N) phenotype
        In ``0.0 .. 1.0``.
    """
    L = loss(phenotypes, target)
    n = np.asarray(target).size
    return 1.0 - L.astype(np.float64) / n


# --------------------------------------------------------------------------- #
# spec checks and damage
# --------------------------------------------------------------------------- #
def check_spec_target(spec, target_, where: str) -> np.ndarray:
    """The target as bool, checked against the spec's phenotype: the output
    level's side ``spec.sizes[spec.output_level]``.  One-line ValueError."""
    if not isinstance(spec, HNCASpec):
        raise ValueError(f"{where}: spec must be an HNCASpec, got {type(spec).__name__}")
    t = _as_bool(target_, "target", where)
    n = spec.sizes[spec.output_level]
    if t.shape != (n, n):
        raise ValueError(f"{where}: target has shape {t.shape} but the phenotype (output "
                         f"level {spec.output_level}) is ({n}, {n}); build the target at "
                         f"N = {n}")
    return t


def damage_states(spec: HNCASpec, states, rect) -> list[np.ndarray]:
    """Copies of per-level states with a rectangle zeroed on every level.

    ``rect = (row0, col0, height, width)`` in base-level cells.  At level
    ``l`` the zeroed rows are ``row0 >> l .. (row0 + height - 1) >> l`` and
    the columns ``col0 >> l .. (col0 + width - 1) >> l``, both inclusive:
    every level-``l`` cell containing at least one damaged base cell.  All
    channels are zeroed.  The rectangle does not wrap around the torus.
    It is the damage that ``develop(..., damage=(t, rect))`` applies inside
    a rollout.

    Parameters
    ----------
    spec : HNCASpec
    states : list of arrays, one per level, shape (..., N_l, N_l, C)
    rect : tuple of 4 int

    Returns
    -------
    list of ndarray
        New arrays with the input dtypes and shapes; the inputs are untouched.

    Raises
    ------
    ValueError
        For a rectangle that is empty or not inside the base grid, or states
        that do not match the spec's levels.
    """
    r0, c0, h, w = check_rect(spec, rect, "damage_states")
    if not isinstance(states, (list, tuple)) or len(states) != spec.levels:
        raise ValueError(f"damage_states: states must be a list of {spec.levels} arrays, "
                         "one per level")
    out = []
    for lvl, (s, n) in enumerate(zip(states, spec.sizes)):
        s = np.array(s, copy=True)
        if s.ndim < 3 or s.shape[-3:-1] != (n, n):
            raise ValueError(f"damage_states: states[{lvl}] must have shape (..., {n}, {n}, C), "
                             f"got {s.shape}")
        s[..., r0 >> lvl:((r0 + h - 1) >> lvl) + 1, c0 >> lvl:((c0 + w - 1) >> lvl) + 1, :] = 0
        out.append(s)
    return out
