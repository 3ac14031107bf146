"""Selection operators (free functions): Pareto ranks and survival, truncation, tournaments.

Every function is a fixed function of its inputs (and, for
:func:`tournament`, the generator state); ties are broken by explicit random
draws or by a documented total order ending in the unique uid.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..._numba import CAN_CACHE, smallest_keys
from .checks import _check_rng, _is_int

_JIT = dict(cache=CAN_CACHE, nogil=True)

#: Largest tournament size the compiled path handles (larger ones take the
#: NumPy path: a partial sort of each row).
_FAST_TOURNAMENT_MAX = 16
#: Keys :func:`tournament` draws at a time (whole rows, at least one): its
#: uniform keys are drawn and decided in blocks of rows, so that memory stays
#: bounded (one ``(n, P)`` draw at n = P = 20,000 takes 3.2 GB).  Row
#: blocks of a ``Generator``'s doubles are the rows of one draw, so the
#: selections and the generator's state are those of one ``(n, P)`` draw.
_KEYS_PER_BLOCK = 1 << 18

__all__ = ["pareto_ranks", "pareto_select", "tournament"]


def pareto_ranks(objectives) -> np.ndarray:
    """Non-dominated sorting: the Pareto front of each point, all objectives minimised.

    Point ``a`` dominates ``b`` iff ``a <= b`` in every objective and ``a <
    b`` in at least one.  Front 0 holds the points no one dominates; front
    ``r`` the points dominated only by points of fronts ``< r``.  Equal
    points do not dominate each other and share a front.

    Two objectives (AFPO's age and loss) take O(N log N); more take O(N^2 M)
    time and O(N^2) memory (a boolean dominance matrix; N = 2000 takes 4 MB).

    Parameters
    ----------
    objectives : (N, M) array_like of real, no NaN (inf allowed)

    Returns
    -------
    (N,) int64 array, the front index of each point, 0 = non-dominated

    Examples
    --------
    >>> pareto_ranks([[0, 3], [1, 1], [2, 0], [1, 2], [2, 2], [3, 3]]).tolist()
    [0, 0, 0, 1, 2, 3]
    """
    obj = np.asarray(objectives)
    if obj.ndim != 2 or obj.dtype.kind not in "iuf":
        raise ValueError(f"objectives must be a real (N, M) array, got shape {obj.shape}, dtype {obj.dtype}")
    if obj.dtype.kind == "f" and np.isnan(obj).any():
        raise ValueError("objectives contain NaN")
    N, M = obj.shape
    if M == 2:
        return _pareto_ranks_2d(obj)
    return _pareto_ranks_quadratic(obj)


def _pareto_ranks_2d(obj: np.ndarray) -> np.ndarray:
    """Two objectives in O(N log N) (the binary-search variant of efficient
    non-dominated sorting).  Among distinct points visited in lexicographic
    order, an earlier point q dominates p iff q's second objective is <= p's,
    so p belongs to the first front whose smallest second objective so far
    exceeds p's; those minima increase with the front index, so a binary
    search finds it.  Equal points get their first copy's front."""
    obj = obj.astype(np.float64)
    order = np.lexsort((obj[:, 1], obj[:, 0]))          # lexicographic, equal points adjacent
    return _fronts_sorted(obj[:, 0], obj[:, 1], order.astype(np.int64))


@njit(**_JIT)
def _fronts_sorted(f0, f1, order):
    """The front of every point, visiting them in ``order`` (lexicographic by
    (f0, f1)); equal points (by ``==``) take the front of the one before."""
    n = order.shape[0]
    rank = np.empty(n, np.int64)
    mins = np.empty(n, np.float64)   # smallest f1 of each front so far (increasing)
    n_fronts = 0
    for t in range(n):
        i = order[t]
        if t > 0:
            q = order[t - 1]
            if f0[i] == f0[q] and f1[i] == f1[q]:
                rank[i] = rank[q]
                continue
        x = f1[i]
        lo, hi = 0, n_fronts          # first front whose minimum exceeds x (bisect_right)
        while lo < hi:
            mid = (lo + hi) // 2
            if x < mins[mid]:
                hi = mid
            else:
                lo = mid + 1
        mins[lo] = x
        if lo == n_fronts:
            n_fronts += 1
        rank[i] = lo
    return rank


def _pareto_ranks_quadratic(obj: np.ndarray) -> np.ndarray:
    """Any number of objectives, from the boolean dominance matrix."""
    N, M = obj.shape
    le = np.ones((N, N), dtype=bool)
    lt = np.zeros((N, N), dtype=bool)
    for m in range(M):  # M is tiny (2 for AFPO); one (N, N) comparison each
        c = obj[:, m]
        le &= c[:, None] <= c[None, :]
        lt |= c[:, None] < c[None, :]
    dom = le & lt  # dom[i, j]: i dominates j
    n_dominators = dom.sum(axis=0)
    rank = np.full(N, -1, dtype=np.int64)
    front = np.flatnonzero(n_dominators == 0)
    r = 0
    while front.size:
        rank[front] = r
        n_dominators -= dom[front].sum(axis=0)
        n_dominators[front] = -1  # never picked again
        front = np.flatnonzero(n_dominators == 0)
        r += 1
    return rank


def pareto_select(age, loss, uid, n: int) -> np.ndarray:
    """Choose ``n`` survivors by Pareto dominance on (age, loss), both minimised.

    Successive non-dominated fronts (:func:`pareto_ranks`) are taken whole
    while they fit; the front that overflows is filled by lowest loss, then
    lowest age, then lowest uid (a total order, so the choice is
    deterministic).  The individual with the lowest loss (and, among those,
    the lowest age) is in front 0 and comes first in that order, so it always
    survives: AFPO is elitist.

    Parameters
    ----------
    age, loss, uid : (N,) arrays (int64, float64, int64)
    n : int, 0 <= n <= N

    Returns
    -------
    (n,) int64 indices, ordered by (front, loss, age, uid): the first is a best
    """
    age, loss, uid = np.asarray(age), np.asarray(loss), np.asarray(uid)
    if not (age.shape == loss.shape == uid.shape and age.ndim == 1):
        raise ValueError(f"age, loss and uid must be 1-D of equal length, got {age.shape}, {loss.shape}, {uid.shape}")
    if not (_is_int(n) and 0 <= n <= age.size):
        raise ValueError(f"n must be an integer in 0..{age.size}, got {n!r}")
    rank = pareto_ranks(np.stack([age.astype(np.float64), loss.astype(np.float64)], axis=1))
    return np.lexsort((uid, age, loss, rank))[:n].astype(np.int64)


def _truncation_select(age, loss, uid, n: int) -> np.ndarray:
    """The ``n`` best by loss, ties by lower age, then lower uid (ordered best first)."""
    return np.lexsort((uid, age, loss))[:n].astype(np.int64)


def tournament(loss, age, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` tournament selections: the index of each tournament's winner.

    Each tournament draws ``size`` *distinct* individuals uniformly; the winner
    has the lowest loss, ties broken by lower age, then uniformly at random.
    Vectorised: one ``(n, P)`` uniform draw per call, whatever the ties
    (drawn in blocks of rows, so memory stays bounded for large populations;
    the time grows as ``n * P``).

    Parameters
    ----------
    loss : (P,) array of real
    age : (P,) int array
    n : int >= 0, number of tournaments
    size : int in 1..P, entrants per tournament (2 = binary tournament)
    rng : numpy.random.Generator

    Returns
    -------
    (n,) int64 array of indices into the population
    """
    rng = _check_rng(rng)
    loss, age = np.asarray(loss), np.asarray(age)
    P = loss.shape[0]
    if not (_is_int(size) and 1 <= size <= P):
        raise ValueError(f"tournament size must be an integer in 1..{P} (the population size), got {size!r}")
    fast = size <= _FAST_TOURNAMENT_MAX and n > 0 and _exact_in_kernel(loss, age)
    if fast:
        loss64, age64 = loss.astype(np.float64, copy=False), age.astype(np.int64, copy=False)
    won = np.empty(n, np.int64)
    rows = max(1, _KEYS_PER_BLOCK // P)
    block = np.empty((min(n, rows), P))      # reused: no fresh pages for every block
    for start in range(0, n, rows):
        keys = rng.random(out=block[:n - start])
        part = won[start:start + len(keys)]
        if not (fast and _tournament_rows(keys, loss64, age64, size, part)):
            part[:] = _tournament_numpy(keys, loss, age, size)
    return won


def _exact_in_kernel(loss: np.ndarray, age: np.ndarray) -> bool:
    """Whether float64 losses and int64 ages compare exactly as the given
    arrays do (and no NaN, which the reference sorts last)."""
    lk, ak = loss.dtype, age.dtype
    ok_loss = (lk.kind == "f" and lk.itemsize <= 8) or (lk.kind in "iub" and lk.itemsize <= 4)
    ok_age = ak.kind in "ib" or (ak.kind == "u" and ak.itemsize <= 4)
    return ok_loss and ok_age and loss.ndim == age.ndim == 1 and not (
        lk.kind == "f" and np.isnan(loss).any())


def _tournament_numpy(keys, loss, age, size: int) -> np.ndarray:
    """The reference definition: each row's ``size`` smallest keys are the
    entrants; the winner is the first by (loss, age, key), a stable sort."""
    entrants = np.argpartition(keys, size - 1, axis=1)[:, :size]  # a uniform random size-subset per row
    # The entrants' keys are exchangeable, so they double as the random tie-break.
    tie = np.take_along_axis(keys, entrants, axis=1)
    order = np.lexsort((tie, age[entrants], loss[entrants]), axis=-1)
    return np.take_along_axis(entrants, order[:, :1], axis=1)[:, 0].astype(np.int64)


@njit(**_JIT)
def _tournament_rows(keys, loss, age, size, won):
    """:func:`_tournament_numpy` in one pass per row, into ``won`` (n,) int64.

    Keeps each row's ``size + 1`` smallest keys in a sorted buffer; the
    entrants are the first ``size`` and the winner the least by (loss, age,
    key).  When those keys are distinct (drawn doubles: equal with
    probability ~1e-11 per row) this is the reference's unique answer;
    returns False, leaving the choice to the reference, if any two of them
    are equal (a tie there could be resolved differently)."""
    n, P = keys.shape
    m = min(size + 1, P)
    buf_k = np.empty(m, np.float64)
    buf_i = np.empty(m, np.int64)
    for r in range(n):
        smallest_keys(keys[r], buf_k, buf_i)
        for t in range(1, m):
            if buf_k[t] == buf_k[t - 1]:
                return False
        best = buf_i[0]
        for t in range(1, size):
            j = buf_i[t]
            if loss[j] < loss[best] or (loss[j] == loss[best] and (
                    age[j] < age[best] or (age[j] == age[best] and buf_k[t] < keys[r, best]))):
                best = j
        won[r] = best
    return True
