"""Neutral walks and neutral paths.

* :func:`neutral_walks` — blind-ant neutral random walks: every walker
  proposes one random mutation per step (:meth:`mutate` of the genotype
  space), all proposals are evaluated in one batch and a walker moves only
  when its mutant keeps the phenotype.
* :func:`neutral_path` — a neutral path between two genotypes of one
  phenotype: bidirectional BFS on a discrete space (exact shortest within
  budget); on a continuous one a staircase along the straight line, then a
  guided walk.
* :func:`staircase_path` — a path of one-gene moves that follows a polyline
  of continuous genotypes (e.g. points of a low-loss curve between two
  trained nets), halving legs where a stair leaves the phenotype.

Phenotype evaluations are batched and cached by genotype
(:class:`~alife.gpmap.base.CachedMap`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alife.gpmap.base import CachedMap, GPMap, as_cached

__all__ = ["NeutralWalks", "neutral_walks", "neutral_path", "staircase_path"]


@dataclass(eq=False)
class NeutralWalks:
    """Trajectories of blind-ant neutral random walks.

    Attributes
    ----------
    phenotype : int, the start's phenotype
    genotypes : (n_steps + 1, n_walkers, L) positions, row 0 the start
    accepted : (n_steps, n_walkers) bool, whether each proposed mutation was neutral
    distance : (n_steps + 1, n_walkers) float64, distance from the start
        (Hamming for discrete spaces, Euclidean for continuous ones)
    n_evaluations : int, new phenotype evaluations made
    """

    phenotype: int
    genotypes: np.ndarray
    accepted: np.ndarray
    distance: np.ndarray
    n_evaluations: int

    @property
    def acceptance_rate(self) -> float:
        return float(self.accepted.mean()) if self.accepted.size else float("nan")

    def visited(self) -> np.ndarray:
        """The distinct genotypes visited by any walker, (v, L)."""
        g = self.genotypes.reshape(-1, self.genotypes.shape[-1])
        return np.unique(g, axis=0)


def neutral_walks(gpmap: GPMap, seed, n_steps: int, n_walkers: int,
                  rng: np.random.Generator) -> NeutralWalks:
    """Neutral random walks from ``seed``.

    At each step every walker proposes one random mutation, the genotype
    space's ``mutate(g, rng)`` (:meth:`~alife.gpmap.base.DiscreteSpace.mutate`:
    a uniform position and a uniform *other* letter;
    :meth:`~alife.gpmap.base.ContinuousSpace.mutate`: a uniform gene resampled
    uniformly in ``[low, high]``; :class:`alife.bridge.netmap.GaussianSpace`:
    a Gaussian perturbation of every gene); all proposals are evaluated in one batch and a walker moves only when its
    mutant keeps the phenotype (a "blind ant": rejected steps are spent in
    place, so the acceptance rate estimates mean robustness along the walk).

    Parameters
    ----------
    gpmap : GPMap (cached by genotype)
    seed : (L,) one start for all walkers, or (n_walkers, L) starts of one phenotype
    n_steps, n_walkers : int
    rng : numpy Generator

    Returns
    -------
    NeutralWalks
    """
    cm = as_cached(gpmap)
    space = cm.space
    s = space.check(seed)
    if s.shape[0] == 1:
        s = np.repeat(s, n_walkers, axis=0)
    if s.shape[0] != n_walkers:
        raise ValueError(f"seed must be one genotype or {n_walkers}, got {s.shape[0]}")
    ev0 = cm.n_evaluations
    ph = cm.phenotypes(s)
    if (ph != ph[0]).any() or ph[0] < 0:
        raise ValueError("walkers must start on one defined phenotype")
    p = int(ph[0])
    traj = np.empty((n_steps + 1,) + s.shape, s.dtype)
    traj[0] = s
    acc = np.zeros((n_steps, n_walkers), bool)
    cur = s.copy()
    for t in range(n_steps):
        prop = space.mutate(cur, rng)
        ok = cm.phenotypes(prop) == p
        cur[ok] = prop[ok]
        acc[t] = ok
        traj[t + 1] = cur
    if space.discrete:
        dist = (traj != traj[0][None]).sum(axis=2).astype(np.float64)
    else:
        dist = np.sqrt(((traj.astype(np.float64) - traj[0][None]) ** 2).sum(axis=2))
    return NeutralWalks(phenotype=p, genotypes=traj, accepted=acc, distance=dist,
                        n_evaluations=int(cm.n_evaluations - ev0))


def neutral_path(gpmap: GPMap, g_a, g_b, *, max_evaluations: int = 1_000_000,
                 rng: np.random.Generator | None = None, max_steps: int | None = None):
    """A neutral path from ``g_a`` to ``g_b`` (same defined phenotype).

    Discrete spaces: bidirectional BFS along neutral one-mutants, expanding
    one whole level of the smaller side per batch.  Any meeting found while
    expanding a level closes a shortest path (the two balls were disjoint
    before, so ``d > d_a + d_b``, and the meeting gives ``d_a + 1 + d_b``),
    so the path returned is an exact shortest neutral path even when a level
    is cut short by the budget.  Returns ``None`` when the budget runs out, or
    when a side's component is exhausted (then no neutral path exists).

    Continuous spaces: first a staircase along the straight line
    (:func:`staircase_path`, with half the budget), then a guided walk.  Each
    step of the walk evaluates, in one batch, the
    mutants that set one differing gene to its value in ``g_b``; the neutral
    one that removes the largest gap is taken.  When none is neutral, partial
    moves (a random fraction of each gap) are tried, then a random neutral
    resample of one gene (a detour).  Returns ``None`` when the evaluation
    budget or ``max_steps`` (default ``50 L``) runs out.

    Parameters
    ----------
    gpmap : GPMap (cached by genotype)
    g_a, g_b : (L,) genotypes
    max_evaluations : int, budget of new phenotype evaluations
    rng : numpy Generator (continuous spaces)

    Returns
    -------
    (k + 1, L) array of genotypes, consecutive rows one mutation apart,
    row 0 = ``g_a``, row k = ``g_b``; or None.
    """
    cm = as_cached(gpmap)
    space = cm.space
    a = space.check(g_a)
    b = space.check(g_b)
    if a.shape[0] != 1 or b.shape[0] != 1:
        raise ValueError("g_a and g_b must be single genotypes")
    ph = cm.phenotypes(np.concatenate([a, b]))
    if ph[0] != ph[1]:
        raise ValueError(f"endpoints have different phenotypes ({ph[0]} and {ph[1]}): "
                         "no neutral path joins them")
    if ph[0] < 0:
        raise ValueError("endpoints have an undefined phenotype (-1)")
    if space.discrete:
        return _bidirectional_bfs(cm, a[0], b[0], int(ph[0]), max_evaluations)
    if rng is None:
        raise ValueError("continuous neutral paths are sampled: pass rng")
    ev0 = cm.n_evaluations
    path = _staircase(cm, [a[0], b[0]], int(ph[0]), max_evaluations // 2)
    if path is not None:
        return path
    return _guided_walk(cm, a[0], b[0], int(ph[0]), max_evaluations - (cm.n_evaluations - ev0),
                        rng, max_steps if max_steps is not None else 50 * space.L)


def staircase_path(gpmap: GPMap, waypoints, *, max_evaluations: int = 1_000_000,
                   max_depth: int = 16):
    """A neutral path of one-gene moves that follows a polyline (continuous genes).

    Each leg x → y between consecutive ``waypoints`` is tried as a
    staircase: the genes where x and y differ are set to y's values one at a
    time, largest gap first.  When a stair leaves the phenotype, the leg is
    halved at its midpoint (which must itself keep the phenotype) and both
    halves are tried again, at most ``max_depth`` times, so a path is found
    whenever the polyline runs inside a neutral tube wide enough for the
    finest staircase.  A low-loss curve between two optima (e.g. points of a
    trained :class:`~alife.bridge.paths.BezierPath`) thus becomes a neutral
    path in the analyser's sense: consecutive rows differ in one gene.

    Parameters
    ----------
    gpmap : GPMap with a continuous space
    waypoints : (n, L) genotypes, all with one defined phenotype
    max_evaluations : budget of new phenotype evaluations
    max_depth : most halvings of one leg

    Returns
    -------
    (k + 1, L) array from ``waypoints[0]`` to ``waypoints[-1]``, or None when
    a waypoint or a midpoint leaves the phenotype, ``max_depth`` is reached
    or the budget runs out.
    """
    cm = as_cached(gpmap)
    w = cm.space.check(np.asarray(waypoints))
    ph = cm.phenotypes(w)
    if ph[0] < 0 or (ph != ph[0]).any():
        return None
    return _staircase(cm, list(w), int(ph[0]), max_evaluations, max_depth)


def _staircase(cm: CachedMap, waypoints, p, max_evaluations, max_depth: int = 16):
    ev0 = cm.n_evaluations
    path = [waypoints[0].copy()]
    # a stack of legs (from, to, depth), the next leg on top; "from" is always
    # the path's last row
    todo = [(waypoints[i], waypoints[i + 1], 0) for i in reversed(range(len(waypoints) - 1))]
    while todo:
        x, y, depth = todo.pop()
        diff = np.flatnonzero(x != y)
        if diff.size == 0:
            continue
        if cm.n_evaluations - ev0 + diff.size + 1 > max_evaluations:
            return None
        order = diff[np.argsort(-np.abs(y[diff] - x[diff]), kind="stable")]
        stairs = np.repeat(x[None], order.size, axis=0)
        for k in range(order.size):
            stairs[k:, order[k]] = y[order[k]]
        if (cm.phenotypes(stairs) == p).all():
            path.extend(stairs)
            continue
        if depth >= max_depth:
            return None
        mid = ((x.astype(np.float64) + y) / 2).astype(x.dtype)
        if cm.phenotypes(mid[None])[0] != p:
            return None
        todo.append((mid, y, depth + 1))
        todo.append((x, mid, depth + 1))
    return np.stack(path)


def _bidirectional_bfs(cm: CachedMap, a, b, p, max_evaluations):
    space = cm.space
    ev0 = cm.n_evaluations
    ka, kb = a.tobytes(), b.tobytes()
    if ka == kb:
        return a[None].copy()
    # per side: parent pointers (key -> parent key), distance, frontier of keys
    par = [{ka: None}, {kb: None}]
    gen = [{ka: a}, {kb: b}]
    front = [[ka], [kb]]
    n_nb = space.n_neighbours
    while front[0] and front[1]:
        s = 0 if len(front[0]) <= len(front[1]) else 1
        other = 1 - s
        room = max_evaluations - (cm.n_evaluations - ev0)
        fit = room // n_nb
        if fit <= 0:
            return None
        level = front[s][:fit]
        cut = len(level) < len(front[s])
        nbrs = np.ascontiguousarray(space.neighbours(np.stack([gen[s][k] for k in level])))
        q = cm.phenotypes(nbrs.reshape(-1, space.L)).reshape(len(level), n_nb)
        nxt = []
        for i, k in enumerate(level):
            for j in np.flatnonzero(q[i] == p):
                kn = nbrs[i, j].tobytes()
                if kn in par[s]:
                    continue
                par[s][kn] = k
                gen[s][kn] = nbrs[i, j].copy()
                if kn in par[other]:
                    return _join(par, gen, kn, s)
                nxt.append(kn)
        if cut:
            return None
        front[s] = nxt
    return None


def _join(par, gen, meet, s):
    def chain(side, k):
        out = []
        while k is not None:
            out.append(gen[side][k])
            k = par[side][k]
        return out
    first = chain(s, meet)[::-1]          # from side s's start to meet
    second = chain(1 - s, meet)[1:]       # from meet to side (1-s)'s start
    path = first + second
    if s == 1:
        path = path[::-1]
    return np.stack(path)


def _guided_walk(cm: CachedMap, a, b, p, max_evaluations, rng, max_steps):
    space = cm.space
    ev0 = cm.n_evaluations
    cur = a.copy()
    path = [cur.copy()]
    for _ in range(max_steps):
        diff = np.flatnonzero(cur != b)
        if diff.size == 0:
            return np.stack(path)
        if cm.n_evaluations - ev0 + 2 * diff.size + 1 > max_evaluations:
            return None
        cand = np.repeat(cur[None], diff.size, axis=0)
        cand[np.arange(diff.size), diff] = b[diff]
        ok = cm.phenotypes(cand) == p
        if ok.any():
            gap = np.abs(cur[diff] - b[diff])
            i = np.flatnonzero(ok)[np.argmax(gap[ok])]
            cur = cand[i].copy()
        else:
            u = rng.uniform(0.0, 1.0, diff.size).astype(np.float32)
            part = np.repeat(cur[None], diff.size, axis=0)
            part[np.arange(diff.size), diff] = cur[diff] + u * (b[diff] - cur[diff])
            okp = (cm.phenotypes(part) == p) & (part[np.arange(diff.size), diff] != cur[diff])
            if okp.any():
                cur = part[rng.choice(np.flatnonzero(okp))].copy()
            else:
                pos = int(rng.integers(space.L))
                det = cur.copy()
                det[pos] = np.float32(rng.uniform(space.low, space.high))
                if det[pos] == cur[pos] or cm.phenotypes(det[None])[0] != p:
                    continue
                cur = det
        path.append(cur.copy())
    return np.stack(path) if np.array_equal(cur, b) else None
