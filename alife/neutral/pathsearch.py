"""Derivative-free neutral path search: a pivot chain pulled into the phenotype.

:func:`search_path` looks for a neutral path between two genotypes of one
phenotype on any GP map with a graded distance to a phenotype
(:meth:`~alife.gpmap.base.GPMap.distance_to`: the Hamming distance between
developed HNCA patterns, the base-pair distance between RNA structures).  It
follows AutoNEB (Draxler et al. 2018) with a membership oracle in place of a
gradient:

1. **Quotient first.**  On an HNCA map the exactly neutral tap groups of the
   spec (:mod:`alife.nca.symmetry`) are used for free: both endpoints are
   replaced by their canonical representatives, and each is joined to its
   representative by a staircase along the straight line between them, which
   lies inside the phenotype in exact arithmetic (the group sums are constant
   along it) (:func:`~alife.neutral.pathcheck.symmetry_join`).  Every pivot
   below is kept canonical.
2. **Chain.**  ``n_pivots`` pivots are placed evenly on the straight line
   between the endpoints (on a lattice, rounded to the lattice).
3. **Relaxation.**  Every pivot whose phenotype is not the endpoints' is
   pulled back by a (1 + lambda) evolution strategy on ``d(x) + kappa s(x)``:
   ``d`` the graded distance to the endpoints' phenotype and ``s`` a spring,
   the squared distance to the midpoint of its two chain neighbours divided by
   the squared half-gap between them (0 at the midpoint, 1 a half-gap away).
   Children: half a Gaussian step of every gene, half one gene resampled over
   its whole range (the kernel of neutral walks), and, when a neighbour is in
   the phenotype already, a quarter on the segment from that neighbour to the
   pivot, so the chain can grow inward from its verified parts.  A child
   replaces its parent when it is not worse (drift on plateaus); the step
   size follows the success of each generation.  A pivot that makes no
   progress for ``stall_generations`` generations has its spring halved.  All
   children of all pivots of one generation are evaluated in one batch.
4. **Legs.**  When every pivot is in the phenotype, each leg between
   neighbours not verified yet is tried as a *staircase*: the genes where the
   two pivots differ are set to the right pivot's values one at a time, in
   two orders (largest change first, smallest first).  A leg that fails both
   gets greedy staircases from both ends (each round every remaining gene is
   tried, the neutral move with the largest change is taken): if one reaches
   the other end the leg is verified, otherwise the points where they got
   stuck become pivots and only the leg between them is left.  A leg where
   neither greedy staircase moves, or a leg left between stuck points that
   fails again, gets a new pivot at its midpoint, which is relaxed in turn.
5. **Success** only when every leg is verified step by step: the returned
   path changes ONE gene per step and every row has the endpoints'
   phenotype, checked again at the end with fresh phenotype evaluations
   (:func:`~alife.neutral.pathcheck.verify_path`), independent of the
   distance oracle.

Continuous genes move within the space's ``[low, high]`` (widened to hold
both endpoints); lattice genes (:class:`~alife.gpmap.base.DiscreteSpace`,
e.g. an :class:`~alife.gpmap.hnca.HNCAMap` with ``lattice_k``) by moving a
few genes one letter (or, one time in four, to a random letter).  Everything
is deterministic given ``rng``; the search stops on its evaluation budget,
on ``max_pivots`` or when it succeeds, and says why in
:attr:`PathSearchResult.stop`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alife.gpmap.base import CachedMap, GPMap

from .pathcheck import PathCheck, _canon, _qdist, map_symmetries, symmetry_join, verify_path

__all__ = ["PathSearchResult", "PathCheck", "search_path", "verify_path", "symmetry_join",
           "map_symmetries"]

#: Why a search stopped.
STOPS = ("found", "budget", "max_pivots", "stalled", "join")


@dataclass(eq=False)
class PathSearchResult:
    """The outcome of :func:`search_path`.

    Attributes
    ----------
    found : bool, a verified neutral path joins the endpoints
    path : (steps + 1, L) genotypes in the map's space dtype (float32 genes or
        uint8 letters), row 0 = ``g_a``, last row = ``g_b``, consecutive rows
        one gene apart; None when not found
    stop : str, ``found``, ``budget`` (evaluation budget spent), ``max_pivots``
        (chain longer than allowed), ``stalled`` (on a lattice: three rounds of
        relaxation proposed only genotypes seen before) or ``join`` (an
        endpoint could not be joined to its canonical representative)
    n_evaluations : int, phenotype / distance evaluations used (the final
        verification included)
    n_pivots : int, pivots in the chain at the end (endpoints excluded)
    n_generations : int, relaxation generations run
    distance : float, between the endpoints (Euclidean for real genes, Hamming
        for letters)
    quotient_distance : float, the same in the symmetry quotient (== distance
        without symmetries)
    chain : (n_pivots + 2, L) the final pivot chain, endpoints (canonical) included
    stats : dict, counts of the search's stages (generations, legs tried,
        legs joined by the greedy staircase, pivots inserted)
    """

    found: bool
    path: np.ndarray | None
    stop: str
    n_evaluations: int
    n_pivots: int
    n_generations: int
    distance: float
    quotient_distance: float
    chain: np.ndarray = field(repr=False)
    stats: dict = field(default_factory=dict, repr=False)

    @property
    def n_steps(self) -> int | None:
        return None if self.path is None else int(self.path.shape[0] - 1)


class _Budget(Exception):
    """The next oracle call would overrun the evaluation budget."""


# --------------------------------------------------------------------------- #
# the search
# --------------------------------------------------------------------------- #
class _Oracle:
    """Graded distance to the target under a budget (letters memoised)."""

    def __init__(self, gpmap, target, budget, discrete):
        self.gpmap, self.target, self.budget = gpmap, target, int(budget)
        self.n = 0
        self.memo = {} if discrete else None

    def __call__(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X)
        if X.shape[0] == 0:
            return np.zeros(0)
        if self.memo is None:
            if self.n + X.shape[0] > self.budget:
                raise _Budget
            self.n += X.shape[0]
            return self.gpmap.distance_to(X, self.target)
        keys = [r.tobytes() for r in X]
        new = {k: i for i, k in enumerate(keys) if k not in self.memo}
        if new:
            if self.n + len(new) > self.budget:
                raise _Budget
            rows = np.fromiter(new.values(), np.int64, len(new))
            d = self.gpmap.distance_to(X[rows], self.target)
            self.n += len(new)
            self.memo.update(zip(new.keys(), d.tolist()))
        return np.array([self.memo[k] for k in keys])


@dataclass(eq=False)
class _Pivot:
    x: np.ndarray
    d: float
    sigma: float
    kappa: float
    best_f: float = np.inf
    stall: int = 0


class _Search:
    """One chain between two genotypes of one phenotype (see :func:`search_path`)."""

    def __init__(self, gpmap, a, b, oracle, rng, canon, *, n_pivots, max_pivots, spring,
                 offspring, stall_generations, relax_generations, greedy_legs, greedy_genes):
        self.gm, self.space = gpmap, gpmap.space
        self.disc = self.space.discrete
        self.oracle, self.rng, self.canon = oracle, rng, canon
        self.max_pivots, self.offspring = int(max_pivots), int(offspring)
        self.kappa0, self.stall_gen = float(spring), int(stall_generations)
        self.relax_gen, self.greedy = int(relax_generations), bool(greedy_legs)
        self.greedy_genes = int(greedy_genes)
        self.stats = {"generations": 0, "legs_tried": 0, "legs_greedy": 0, "greedy_splits": 0,
                      "inserted": 0}
        if self.disc:
            self.lo, self.hi = 0.0, float(self.space.K - 1)
            self.sigma0 = 2.0
        else:
            # the space's range, widened to hold both endpoints (trained genomes
            # may lie outside the range random genomes are drawn from)
            self.lo = float(min(self.space.low, a.min(), b.min()))
            self.hi = float(max(self.space.high, a.max(), b.max()))
            gap = np.linalg.norm(b.astype(np.float64) - a) / (n_pivots + 1)
            self.sigma0 = max(gap / np.sqrt(self.space.L), 1e-3 * (self.hi - self.lo))
        xs = self._line(a, b, n_pivots)
        d = oracle(np.stack(xs)) if xs else np.zeros(0)
        self.chain = [_Pivot(a, 0.0, 0.0, 0.0)] + \
            [_Pivot(x, float(di), self.sigma0, self.kappa0) for x, di in zip(xs, d)] + \
            [_Pivot(b, 0.0, 0.0, 0.0)]
        self.legs: dict[tuple[int, int], np.ndarray] = {}   # (id left, id right) -> stairs
        self.core: set[tuple[int, int]] = set()   # legs left between greedy stuck points

    # ----------------------------------------------------------- geometry
    def _line(self, a, b, n):
        if self.disc:
            n = int(min(n, max(int(np.sum(a != b)) - 1, 0)))
        ts = np.arange(1, n + 1) / (n + 1)
        out = []
        for t in ts:
            x = (1 - t) * a.astype(np.float64) + t * b
            x = self.canon(np.rint(x).astype(np.uint8) if self.disc else x.astype(np.float32))
            if not (np.array_equal(x, a) or np.array_equal(x, b)
                    or (out and np.array_equal(x, out[-1]))):
                out.append(x)
        return out

    def _midpoint(self, x, y):
        if not self.disc:
            return self.canon(((x.astype(np.float64) + y) / 2).astype(np.float32))
        m = np.floor((x.astype(np.float64) + y) / 2 + 0.5 * (np.arange(x.size) % 2))
        m = self.canon(m.astype(np.uint8))
        if np.array_equal(m, x) or np.array_equal(m, y):
            diff = np.flatnonzero(x != y)
            m = x.copy()
            m[diff[: diff.size // 2]] = y[diff[: diff.size // 2]]
        return m

    @staticmethod
    def _spring(X, left, right):
        """(n,) spring energy of rows X between neighbours left and right."""
        mid = (left.astype(np.float64) + right) / 2
        half2 = max(float(np.sum((right.astype(np.float64) - left) ** 2)) / 4, 1e-12)
        return ((X.astype(np.float64) - mid) ** 2).sum(axis=1) / half2

    def _children(self, i: int) -> np.ndarray:
        pv = self.chain[i]
        lam, L, rng = self.offspring, self.space.L, self.rng
        X = np.repeat(pv.x[None], lam, axis=0)
        # neighbours already in the phenotype: a quarter of the children lie on
        # the segment from one of them to the pivot (the chain grows from there)
        anchors = [self.chain[j].x for j in (i - 1, i + 1) if self.chain[j].d == 0]
        n_seg = lam // 4 if anchors else 0
        if not self.disc:
            X = X.astype(np.float64)
            half = (lam - n_seg) // 2
            X[:half] += pv.sigma * rng.standard_normal((half, L))
            # then: one gene resampled over the whole range (the kernel of
            # neutral walks and of the evolution runs)
            genes = rng.integers(0, L, lam - n_seg - half)
            X[np.arange(half, lam - n_seg), genes] = rng.uniform(self.lo, self.hi,
                                                                 lam - n_seg - half)
            for r in range(lam - n_seg, lam):
                a = anchors[int(rng.integers(len(anchors)))].astype(np.float64)
                X[r] = a + rng.uniform(0.0, 1.0) * (X[r] - a)
            return self.canon(np.clip(X, self.lo, self.hi).astype(np.float32))
        X = X.astype(np.int64)
        for r in range(lam):
            k = 1 + min(int(rng.poisson(max(pv.sigma - 1.0, 0.0))), L - 1)
            genes = rng.choice(L, size=k, replace=False)
            step = rng.choice(np.array([-1, 1]), size=k)
            rnd = rng.random(k) < 0.25
            new = np.where(rnd, rng.integers(0, self.space.K, size=k), X[r, genes] + step)
            X[r, genes] = np.clip(new, 0, self.space.K - 1)
        for r in range(lam - n_seg, lam):
            a = anchors[int(rng.integers(len(anchors)))].astype(np.float64)
            X[r] = np.rint(a + rng.uniform(0.0, 1.0) * (pv.x - a))
        return self.canon(X.astype(np.uint8))

    # ----------------------------------------------------------- relaxation
    def relax(self) -> None:
        """``relax_generations`` ES generations of every pivot off the phenotype."""
        for _ in range(self.relax_gen):
            idx = [i for i, pv in enumerate(self.chain) if pv.d > 0]
            if not idx:
                return
            kids = [self._children(i) for i in idx]
            d = self.oracle(np.concatenate(kids)).reshape(len(idx), self.offspring)
            self.stats["generations"] += 1
            for k, i in enumerate(idx):
                self._select(i, kids[k], d[k])

    def _select(self, i, kids, d):
        pv, left, right = self.chain[i], self.chain[i - 1].x, self.chain[i + 1].x
        s = self._spring(np.concatenate([pv.x[None], kids]), left, right)
        f_parent = pv.d + pv.kappa * s[0]
        f = d + pv.kappa * s[1:]
        j = int(np.argmin(f))
        if f[j] < f_parent:
            pv.sigma = min(pv.sigma * 1.5, (self.hi - self.lo) / 2)
        else:
            pv.sigma = max(pv.sigma * 0.8, 1e-4 * (self.hi - self.lo) if not self.disc else 1.0)
        if f[j] <= f_parent:
            pv.x, pv.d = kids[j], float(d[j])
        f_now = min(f[j], f_parent)
        if f_now < pv.best_f - 1e-12:
            pv.best_f, pv.stall = f_now, 0
        else:
            pv.stall += 1
            if pv.stall >= self.stall_gen:
                pv.kappa /= 2
                pv.best_f, pv.stall = np.inf, 0
                if not self.disc:
                    pv.sigma = max(pv.sigma, self.sigma0)

    # ----------------------------------------------------------- legs
    @staticmethod
    def _stairs(x, y, order):
        st = np.repeat(x[None], order.size, axis=0)
        for k in range(order.size):
            st[k:, order[k]] = y[order[k]]
        return st

    def _fixed_orders(self, legs):
        """Two staircases per leg (largest change first, smallest first), one
        batch.  Returns the legs that failed both."""
        todo, batches = [], []
        for i, key, x, y in legs:
            diff = np.flatnonzero(x != y)
            big = diff[np.argsort(-np.abs(y[diff].astype(np.float64) - x[diff]), kind="stable")]
            for order in (big, big[::-1]):
                todo.append(key)
                batches.append(self._stairs(x, y, order))
        if not todo:
            return []
        d = self.oracle(np.concatenate(batches))
        ok = np.split(d == 0, np.cumsum([b.shape[0] for b in batches])[:-1])
        for key, st, k in zip(todo, batches, ok):
            if key not in self.legs and k.all():
                self.legs[key] = st
        return [leg for leg in legs if leg[1] not in self.legs]

    def _greedy(self, tasks):
        """Greedy staircases in lockstep: from ``start`` towards ``goal``, each
        round every gene still different from the goal is set to the goal's
        value (one batch for all tasks) and the neutral move with the largest
        change is taken, until the goal is reached or no move is neutral.

        ``tasks`` is a list of ``(start, goal)``; returns one list of rows per
        task, start first (one gene apart, all in the phenotype)."""
        rows = [[x.copy()] for x, _ in tasks]
        active = list(range(len(tasks)))
        while active:
            cands, owners = [], []
            for t in active:
                cur, y = rows[t][-1], tasks[t][1]
                diff = np.flatnonzero(cur != y)
                c = np.repeat(cur[None], diff.size, axis=0)
                c[np.arange(diff.size), diff] = y[diff]
                cands.append(c)
                owners.append(diff)
            d = self.oracle(np.concatenate(cands))
            ok = np.split(d == 0, np.cumsum([c.shape[0] for c in cands])[:-1])
            still = []
            for t, c, diff, k in zip(active, cands, owners, ok):
                if not k.any():
                    continue
                cur, y = rows[t][-1], tasks[t][1]
                gap = np.abs(y[diff].astype(np.float64) - cur[diff])
                j = np.flatnonzero(k)[np.argmax(gap[k])]
                rows[t].append(c[j])
                if not np.array_equal(c[j], y):
                    still.append(t)
            active = still
        return rows

    def _split_greedy(self, failed):
        """Greedy staircases from both ends of every failed leg.  A leg is
        verified when either reaches the other end; otherwise the points where
        they got stuck become pivots (in the phenotype, their legs to the ends
        verified) and the shorter leg between them is left for the next round.
        Returns the legs where neither made a single move."""
        tasks = [t for _, _, x, y in failed for t in ((x, y), (y, x))]
        rows = self._greedy(tasks)
        stuck, inserts = [], []
        for n, (i, key, x, y) in enumerate(failed):
            fw, bw = rows[2 * n], rows[2 * n + 1]
            if np.array_equal(fw[-1], y):
                self.legs[key] = np.stack(fw[1:])
            elif np.array_equal(bw[-1], x):
                self.legs[key] = np.stack(bw[::-1][1:])
            elif len(fw) == 1 and len(bw) == 1:
                stuck.append((i, key, x, y))
                continue
            else:
                inserts.append((i, fw, bw))
                continue
            self.stats["legs_greedy"] += 1
        for i, fw, bw in sorted(inserts, key=lambda t: -t[0]):
            left, right = self.chain[i], self.chain[i + 1]
            new = []
            if len(fw) > 1:
                new.append(_Pivot(fw[-1], 0.0, self.sigma0, self.kappa0))
                self.legs[(id(left), id(new[-1]))] = np.stack(fw[1:])
            if len(bw) > 1:
                new.append(_Pivot(bw[-1], 0.0, self.sigma0, self.kappa0))
                self.legs[(id(new[-1]), id(right))] = np.stack(bw[::-1][1:])
            self.chain[i + 1:i + 1] = new
            # the leg left between the stuck points is bisected if it fails again
            self.core.add((id(new[0]) if len(fw) > 1 else id(left),
                           id(new[-1]) if len(bw) > 1 else id(right)))
            self.stats["greedy_splits"] += 1
        return stuck

    def verify_legs(self) -> bool:
        """Staircases for every unverified leg; insert a pivot into each failed
        leg.  True when every leg is verified."""
        legs = []
        for i in range(len(self.chain) - 1):
            key = (id(self.chain[i]), id(self.chain[i + 1]))
            if key in self.legs:
                continue
            x, y = self.chain[i].x, self.chain[i + 1].x
            if np.array_equal(x, y):
                self.legs[key] = np.zeros((0, x.size), x.dtype)
                continue
            legs.append((i, key, x, y))
        if not legs:
            return True
        self.stats["legs_tried"] += len(legs)
        failed = self._fixed_orders(legs)
        fresh = [leg for leg in failed if leg[1] not in self.core
                 and np.count_nonzero(leg[2] != leg[3]) <= self.greedy_genes]
        if fresh and self.greedy:
            stuck = self._split_greedy(fresh)
            if len(stuck) < len(fresh):
                return False         # progress: new legs to check first
            failed = [leg for leg in failed if leg[1] in self.core] + stuck
        if not failed:
            return self.verify_legs()
        mids = [self._midpoint(x, y) for _, _, x, y in failed]
        dm = self.oracle(np.stack(mids))
        for (i, _, _, _), m, dd in sorted(zip(failed, mids, dm), key=lambda t: -t[0][0]):
            self.chain.insert(i + 1, _Pivot(m, float(dd), self.sigma0, self.kappa0))
        self.stats["inserted"] += len(failed)
        return False

    def path(self) -> np.ndarray:
        rows = [self.chain[0].x[None]]
        for i in range(len(self.chain) - 1):
            rows.append(self.legs[(id(self.chain[i]), id(self.chain[i + 1]))])
        return np.concatenate(rows)

    def run(self) -> str:
        idle = 0
        while True:
            if any(pv.d > 0 for pv in self.chain):
                n0 = self.oracle.n
                self.relax()
                idle = idle + 1 if self.oracle.n == n0 else 0
                if idle >= 3:
                    return "stalled"
                continue
            if self.verify_legs():
                return "found"
            if len(self.chain) - 2 > self.max_pivots:
                return "max_pivots"


def search_path(gpmap: GPMap, g_a, g_b, *, rng: np.random.Generator,
                max_evaluations: int = 200_000, n_pivots: int = 16, max_pivots: int = 512,
                spring: float = 0.5, offspring: int = 8, stall_generations: int = 25,
                relax_generations: int = 20, greedy_legs: bool = True, greedy_genes: int = 64,
                symmetries="auto") -> PathSearchResult:
    """A verified neutral path between two genotypes of one phenotype, or why not.

    See the module docstring for the method.

    Parameters
    ----------
    gpmap : GPMap with a graded distance (``gpmap.has_distance``)
    g_a, g_b : (L,) genotypes with one defined phenotype
    rng : numpy Generator, the only source of randomness
    max_evaluations : int, budget of phenotype / distance evaluations (the
        joins to the canonical representatives and the final check included)
    n_pivots : int, pivots first placed on the straight line
    max_pivots : int, stop (``"max_pivots"``) when the chain holds more
    spring : float, spring constant kappa (in units of the graded distance)
    offspring : int, children per pivot per generation (lambda)
    stall_generations : int, generations without progress before a pivot's spring is halved
    relax_generations : int, generations between checks of the legs
    greedy_legs : bool, try greedy staircases (any order, from both ends) on
        legs whose two fixed-order staircases fail, before inserting a pivot
    greedy_genes : int, only on legs that differ in at most this many genes
        (a greedy staircase costs up to n (n + 1) / 2 evaluations for n genes)
    symmetries : ``"auto"`` (an HNCA map's tap groups, :func:`map_symmetries`),
        None (none), or an :class:`alife.nca.symmetry.Symmetries`

    Returns
    -------
    PathSearchResult
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"search_path: rng must be a numpy Generator, got {type(rng).__name__}")
    if not gpmap.has_distance:
        raise ValueError(f"search_path: map {gpmap.name} has no graded distance "
                         "(distance_to); use neutral_path instead")
    for name, v in (("max_evaluations", max_evaluations), ("n_pivots", n_pivots),
                    ("max_pivots", max_pivots), ("offspring", offspring),
                    ("stall_generations", stall_generations),
                    ("relax_generations", relax_generations)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"search_path: {name} must be a positive integer, got {v!r}")
    if not spring >= 0:
        raise ValueError(f"search_path: spring must be >= 0, got {spring!r}")
    space = gpmap.space
    a, b = space.check(g_a), space.check(g_b)
    if a.shape[0] != 1 or b.shape[0] != 1:
        raise ValueError("search_path: g_a and g_b must be single genotypes")
    a, b = a[0], b[0]
    ph = gpmap.phenotypes(np.stack([a, b]))
    if ph[0] != ph[1] or ph[0] < 0:
        raise ValueError(f"search_path: the endpoints must share one defined phenotype, got "
                         f"{int(ph[0])} and {int(ph[1])}")
    p = int(ph[0])
    sym = map_symmetries(gpmap) if isinstance(symmetries, str) and symmetries == "auto" \
        else symmetries
    inner = gpmap.inner if isinstance(gpmap, CachedMap) else gpmap
    ev0 = inner.n_evaluations
    dist = _qdist(gpmap, None, a, b)
    qdist = _qdist(gpmap, sym, a, b)

    def result(found, path, stop, search=None):
        chain = np.stack([pv.x for pv in search.chain]) if search is not None else \
            np.stack([a, b])
        return PathSearchResult(found, path, stop, int(inner.n_evaluations - ev0),
                                0 if search is None else len(search.chain) - 2,
                                0 if search is None else search.stats["generations"], dist,
                                qdist, chain, {} if search is None else dict(search.stats))

    # 1. the quotient: canonical endpoints, joined to the originals
    ca, join_a = symmetry_join(gpmap, a, sym, max_evaluations=max_evaluations // 2)
    cb, join_b = symmetry_join(gpmap, b, sym, max_evaluations=max_evaluations // 2
                               - int(inner.n_evaluations - ev0))
    if join_a is None or join_b is None:   # out of budget, or no staircase found
        short = inner.n_evaluations - ev0 + 2 * (space.L + 1) > max_evaluations // 2
        return result(False, None, "budget" if short else "join")
    used = int(inner.n_evaluations - ev0)
    oracle = _Oracle(gpmap, gpmap.target_of(a), max_evaluations - used, space.discrete)
    if sym is None:
        def canon(X):
            return X
    else:
        def canon(X):
            return _canon(gpmap, sym, X[None])[0] if X.ndim == 1 else _canon(gpmap, sym, X)
    search = _Search(gpmap, ca, cb, oracle, rng, canon, n_pivots=n_pivots,
                     max_pivots=max_pivots, spring=spring, offspring=offspring,
                     stall_generations=stall_generations, relax_generations=relax_generations,
                     greedy_legs=greedy_legs, greedy_genes=greedy_genes) \
        if not np.array_equal(ca, cb) else None
    try:
        stop = search.run() if search is not None else "found"
    except _Budget:
        return result(False, None, "budget", search)
    if stop != "found":
        return result(False, None, stop, search)
    middle = search.path() if search is not None else ca[None]
    path = np.concatenate([join_a, middle[1:], join_b[::-1][1:]])
    check = verify_path(gpmap, path, p)
    if not check.ok:        # the oracle and the phenotype disagree: never report a path
        raise RuntimeError(f"search_path: a path passed the distance oracle but not the "
                           f"phenotype check ({check.reason}); the map's distance_to and "
                           "phenotypes disagree")
    return result(True, path, "found", search)
