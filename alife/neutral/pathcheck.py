"""Neutral paths: checking them, and the exact symmetries every search uses for free.

* :func:`verify_path` — a path is neutral when consecutive rows differ in
  exactly one gene and every row develops the endpoints' phenotype (checked
  with fresh evaluations, never a cache).
* :func:`map_symmetries` — the exactly neutral tap groups of an HNCA map's
  spec (:mod:`alife.nca.symmetry`), None for other maps.
* :func:`symmetry_join` — a path of one-gene steps from a genotype to its
  canonical representative in the symmetry quotient.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alife.gpmap.base import CachedMap, GPMap

__all__ = ["PathCheck", "verify_path", "map_symmetries", "symmetry_join"]


@dataclass(eq=False)
class PathCheck:
    """The outcome of :func:`verify_path`.

    Attributes
    ----------
    ok : bool
    n_steps : int
    phenotype : int, the phenotype every row must have
    reason : str, "" when ok, else what failed first
    bad_step : int or None, the first failing row (or step)
    """

    ok: bool
    n_steps: int
    phenotype: int
    reason: str = ""
    bad_step: int | None = None


# --------------------------------------------------------------------------- #
# symmetries (HNCA maps)
# --------------------------------------------------------------------------- #
def map_symmetries(gpmap: GPMap):
    """The exact symmetries of an HNCA map's spec (:func:`alife.nca.symmetry.symmetries`),
    or None for other maps and for specs without tap groups."""
    inner = gpmap.inner if isinstance(gpmap, CachedMap) else gpmap
    spec = getattr(inner, "spec", None)
    if spec is None:
        return None
    from alife.nca.symmetry import symmetries
    sym = symmetries(spec)
    return sym if sym.groups else None


def _canon(gpmap: GPMap, sym, g: np.ndarray) -> np.ndarray:
    """Canonical representative of genotype rows ``g`` in the map's space."""
    space = gpmap.space
    if space.discrete:
        return sym.canonical_letters(g, space.K)
    return sym.canonical(g, space.low, space.high)


def _qdist(gpmap: GPMap, sym, a: np.ndarray, b: np.ndarray) -> float:
    """Distance between two genotypes in the quotient (plain without ``sym``)."""
    if gpmap.space.discrete:
        if sym is None:
            return float(np.sum(a != b))
        ca, cb = sym.canonical_letters(a[None], gpmap.space.K), \
            sym.canonical_letters(b[None], gpmap.space.K)
        return float(np.sum(ca != cb))
    if sym is None:
        return float(np.linalg.norm(a.astype(np.float64) - b))
    return float(sym.distance(a, b))


def symmetry_join(gpmap: GPMap, g, sym="auto", *, max_evaluations: int = 20_000):
    """A neutral path of one-gene steps from ``g`` to its canonical representative.

    The straight line from ``g`` to its representative keeps every tap
    group's sum, so it lies inside the phenotype in exact arithmetic; the
    staircase along it (:func:`alife.neutral.staircase_path` semantics, legs
    halved where a stair leaves the phenotype) makes it a path of one-gene
    steps.  On a lattice the line is not on the lattice: the staircase then
    moves one gene at a time directly.

    Parameters
    ----------
    gpmap : GPMap
    g : (L,) genotype
    sym : ``"auto"`` (:func:`map_symmetries`), None (no symmetries: ``g`` is
        its own representative) or an :class:`alife.nca.symmetry.Symmetries`
    max_evaluations : budget of the staircase

    Returns
    -------
    ``(canonical (L,), path (k + 1, L) or None)``; the path is ``g`` alone when
    ``g`` is canonical already, None when no staircase was found.
    """
    from .walks import staircase_path
    sym = map_symmetries(gpmap) if isinstance(sym, str) and sym == "auto" else sym
    x = gpmap.space.check(g)[0]
    if sym is None:
        return x, x[None].copy()
    c = _canon(gpmap, sym, x[None])[0]
    if np.array_equal(c, x):
        return c, x[None].copy()
    if gpmap.space.discrete:
        p = gpmap.phenotypes(np.stack([x, c]))
        path = _lattice_stairs(gpmap, x, c, int(p[0])) if p[0] == p[1] and p[0] >= 0 else None
        return c, path
    return c, staircase_path(gpmap, np.stack([x, c]), max_evaluations=max_evaluations,
                             max_depth=24)


def _lattice_stairs(gpmap, x, y, p):
    """One staircase x -> y on a lattice (largest letter change first), or None."""
    diff = np.flatnonzero(x != y)
    order = diff[np.argsort(-np.abs(y[diff].astype(int) - x[diff]), kind="stable")]
    stairs = np.repeat(x[None], order.size, axis=0)
    for k in range(order.size):
        stairs[k:, order[k]] = y[order[k]]
    if (gpmap.phenotypes(stairs) == p).all():
        return np.concatenate([x[None], stairs])
    return None


# --------------------------------------------------------------------------- #
# verification
# --------------------------------------------------------------------------- #
def verify_path(gpmap: GPMap, path, phenotype: int | None = None) -> PathCheck:
    """Check a neutral path with fresh phenotype evaluations (no cache).

    Every row must have ``phenotype`` (default: row 0's, which must be
    defined) and consecutive rows must differ in exactly one gene.

    Parameters
    ----------
    gpmap : GPMap (a :class:`CachedMap` is unwrapped, so every row is developed again)
    path : (k + 1, L) genotypes
    phenotype : int or None

    Returns
    -------
    PathCheck
    """
    inner = gpmap.inner if isinstance(gpmap, CachedMap) else gpmap
    P = inner.space.check(np.asarray(path))
    n = P.shape[0] - 1
    if n:
        changed = (P[1:] != P[:-1]).sum(axis=1)
        wrong = np.flatnonzero(changed != 1)
        if wrong.size:
            k = int(wrong[0])
            p = -1 if phenotype is None else int(phenotype)
            return PathCheck(False, n, p, f"step {k + 1} changes {int(changed[k])} genes, not 1",
                             k + 1)
    ids = inner.phenotypes(P)
    p = int(ids[0]) if phenotype is None else int(phenotype)
    if p < 0:
        return PathCheck(False, n, p, "the path starts on the undefined phenotype (-1)", 0)
    bad = np.flatnonzero(ids != p)
    if bad.size:
        return PathCheck(False, n, p, f"row {int(bad[0])} has phenotype {int(ids[bad[0]])}, "
                                      f"not {p}", int(bad[0]))
    return PathCheck(True, n, p)


