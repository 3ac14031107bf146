"""Do independently evolved genotypes of one phenotype share a genotype network?

On an exhaustively enumerated space the answer is exact for every pair of
genotypes (:attr:`ExhaustiveNetworks.component`), so the question becomes a
comparison of two probabilities for a phenotype ``p`` with genotype networks
of sizes ``s_1 .. s_C`` (``S = sum s_c``):

* **random pairs** (:func:`same_component_probabilities`): two distinct
  genotypes drawn uniformly from ``G_p`` lie in one network with probability
  ``sum_c s_c (s_c - 1) / (S (S - 1))`` — exact, no sampling;
* **hill-climbed pairs** (:func:`same_component_test`): independent
  hill-climbers, each from a uniform random genotype of the whole space, take
  the map's own point mutations (a uniform position, then a uniform other
  letter, as :meth:`DiscreteSpace.mutate`) and accept a mutant whose
  phenotype is at equal or smaller Hamming distance from the target
  phenotype's pattern (:func:`hill_climb`), until they reach it.  The
  fraction of pairs of successful climbers that end in one network
  estimates the probability that two independent adaptive walks find
  connected genotypes.

Evolving populations find the abundant phenotypes and their large networks
first (Cowperthwaite et al. 2008, "The ascent of the abundant", PLoS Comput
Biol 4:e1000110); if adaptive walks also land preferentially in the large
networks of a phenotype, climbed pairs share a network more often than
random pairs.  Every ``k / n`` of independent trials carries a Wilson
interval; pair fractions (pairs share climbers, so they are not independent
trials) carry a bootstrap interval over climbers.

The climbers use lookup tables of the enumeration: ``state[rank]`` (the
phenotype index, plus extra states for the undefined patterns, e.g. all-0
and all-1 HNCA patterns or the unfolded RNA structure) and
``distance[state]`` to the target — the same phenotypes the map would
compute, at a lookup each.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from alife._numba import CAN_CACHE
from alife.gpmap.base import DiscreteSpace, letter_at, substitution_rank

from .correlations import percentile_interval, wilson_interval
from .enumeration import ExhaustiveNetworks

__all__ = ["same_component_probabilities", "hill_climb", "ClimbResult", "pair_counts",
           "same_component_test", "hamming_to"]

_letter_at = njit(inline="always")(letter_at)
_substitution_rank = njit(inline="always")(substitution_rank)


def same_component_probabilities(nets: ExhaustiveNetworks) -> np.ndarray:
    """Exact probability, per phenotype, that two distinct genotypes drawn
    uniformly at random (without replacement) from its neutral set lie in
    the same genotype network: ``sum_c s_c (s_c - 1) / (S (S - 1))``.

    Returns
    -------
    (P,) float64 in the order of ``nets.phenotype_ids``; NaN where ``S < 2``.
    """
    s = nets.component_sizes.astype(np.float64)
    pi = nets.phenotype_index[nets.component_root]
    same = np.bincount(pi, weights=s * (s - 1.0), minlength=nets.n_phenotypes)
    S = nets.phenotype_sizes.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = same / (S * (S - 1.0))
    out[S < 2] = np.nan
    return out


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], np.int32)


def hamming_to(features: np.ndarray, target_state: int, bits: bool = False) -> np.ndarray:
    """(n_states,) int32 Hamming distance of every state's feature row to the
    target state's row: positions that differ (a dot-bracket string as
    bytes), or with ``bits=True`` bits that differ (rows of
    :func:`numpy.packbits` patterns, uint8)."""
    f = np.asarray(features)
    t = f[int(target_state)][None, :]
    if bits:
        return _POPCOUNT[f ^ t].sum(axis=1).astype(np.int32)
    return (f != t).sum(axis=1).astype(np.int32)


@njit(cache=CAN_CACHE, nogil=True)
def _climb(starts, pos, shift, weights, K, state, distance, end, used, dist_end):
    """Each climber i from rank starts[i]: proposal t mutates position
    pos[i, t] by shift[i, t] letters (mod K) and is accepted if its distance
    is not larger; stops at distance 0 or after pos.shape[1] proposals."""
    T = pos.shape[1]
    for i in range(starts.shape[0]):
        r = starts[i]
        d = distance[state[r]]
        t = 0
        while d > 0 and t < T:
            w = weights[pos[i, t]]
            old = _letter_at(r, w, K)
            new = (old + shift[i, t]) % K
            nr = _substitution_rank(r, old, new, w)
            nd = distance[state[nr]]
            if nd <= d:
                r = nr
                d = nd
            t += 1
        end[i] = r
        used[i] = t
        dist_end[i] = d


@dataclass(eq=False)
class ClimbResult:
    """Hill-climbs from ``n`` starts.

    Attributes
    ----------
    start, end : (n,) int64 ranks
    proposals : (n,) int64 mutations proposed (accepted or not)
    distance : (n,) int32 distance to the target at the end (0 = reached)
    """

    start: np.ndarray
    end: np.ndarray
    proposals: np.ndarray
    distance: np.ndarray

    @property
    def reached(self) -> np.ndarray:
        return self.distance == 0


def hill_climb(space: DiscreteSpace, state: np.ndarray, distance: np.ndarray, starts,
               rng: np.random.Generator, max_proposals: int = 20000) -> ClimbResult:
    """Equal-or-better hill-climbing on an enumerated discrete space.

    Parameters
    ----------
    space : DiscreteSpace (its ranks index ``state``)
    state : (K**L,) int, state of every rank (phenotype index or an extra
        undefined state)
    distance : (n_states,) int, each state's distance to the target (0 only
        for the target)
    starts : (n,) int64 start ranks
    rng : numpy Generator; proposal t of climber i draws a position uniformly,
        then a shift 1..K-1 uniformly (:meth:`DiscreteSpace.mutate`)
    max_proposals : int, proposals per climber before it gives up

    Returns
    -------
    ClimbResult
    """
    starts = np.ascontiguousarray(starts, np.int64)
    n = starts.size
    T = int(max_proposals)
    pos = rng.integers(0, space.L, (n, T)).astype(np.int16)
    shift = rng.integers(1, space.K, (n, T)).astype(np.int16)
    end = np.empty(n, np.int64)
    used = np.empty(n, np.int64)
    dist = np.empty(n, np.int32)
    _climb(starts, pos, shift, space.weights, np.int64(space.K), np.ascontiguousarray(state),
           np.ascontiguousarray(distance, np.int32), end, used, dist)
    return ClimbResult(starts, end, used, dist)


def pair_counts(labels, weights=None) -> tuple[float, float]:
    """Pairs of distinct items with equal labels, and all pairs of distinct
    items, with multiplicities ``weights`` (a bootstrap resample: copies of
    one item never pair with each other).  Returns ``(same, total)``."""
    lab = np.asarray(labels)
    w = np.ones(lab.size) if weights is None else np.asarray(weights, np.float64)
    _, inv = np.unique(lab, return_inverse=True)
    per = np.bincount(inv, weights=w)
    per2 = np.bincount(inv, weights=w * w)
    same = ((per * per).sum() - per2.sum()) / 2.0
    total = (w.sum() ** 2 - (w * w).sum()) / 2.0
    return float(same), float(total)


def _pair_fraction_reps(comps, n_boot, rng):
    m = comps.size
    out = np.full(int(n_boot), np.nan)
    if m < 2:
        return out
    for b in range(int(n_boot)):
        w = np.bincount(rng.integers(0, m, m), minlength=m).astype(np.float64)
        same, tot = pair_counts(comps, w)
        out[b] = same / tot if tot > 0 else np.nan
    return out


def same_component_test(nets: ExhaustiveNetworks, state: np.ndarray, features: np.ndarray,
                        targets, rng: np.random.Generator, *, n_starts: int = 50,
                        max_proposals: int = 20000, n_boot: int = 1000,
                        level: float = 0.95, bits: bool = False) -> dict:
    """Same-network probability of random versus hill-climbed genotype pairs.

    Parameters
    ----------
    nets : ExhaustiveNetworks
    state : (K**L,) int, phenotype index of each rank, with undefined ranks
        mapped to extra states ``P, P + 1, ...``
    features : (n_states, M) array; Hamming distance between rows is the
        climbers' distance (dot-bracket bytes; with ``bits=True``, bit-packed
        binary patterns, :func:`hamming_to`)
    targets : phenotype ids to climb to
    rng : numpy Generator (starts, proposals, bootstrap)
    n_starts, max_proposals : climbers per target and their budget
    n_boot : bootstrap replicates (climbers within a target; targets and
        climbers for the pooled mean)

    Returns
    -------
    dict: ``targets`` (one dict per target: exact ``random_pair``
    probability, ``reached`` k/n with Wilson interval, ``climbed_pairs``
    same/total and their fraction with a bootstrap interval, the fraction of
    successful climbers in the largest network with a Wilson interval beside
    the exact fraction of genotypes there, mean proposals) and ``pooled``
    (means over targets of both probabilities and of their difference, each
    with a two-stage bootstrap interval: targets, then climbers; and the
    number of targets where climbed pairs share a network more often).
    """
    from .correlations import clopper_pearson_interval

    P = nets.n_phenotypes
    exact = same_component_probabilities(nets)
    rows, comps_by_target = [], []
    for pid in [int(t) for t in targets]:
        i = nets.phenotype_position(pid)
        dist = hamming_to(features, i, bits)
        if (dist == 0).sum() != 1:
            raise ValueError(f"phenotype {pid}: its feature row is not unique, so distance 0 "
                             "would not identify it")
        starts = rng.integers(0, nets.n_genotypes, int(n_starts))
        res = hill_climb(nets.space, state, dist, starts, rng, max_proposals)
        ok = res.reached
        comps = nets.component[res.end[ok]]
        if ok.any() and not (nets.phenotype[res.end[ok]] == pid).all():
            raise RuntimeError("a climber at distance 0 is not on the target phenotype")
        same, tot = pair_counts(comps)
        own = np.flatnonzero(nets.component_phenotype == pid)
        big = own[np.argmax(nets.component_sizes[own])]
        k_big = int((comps == big).sum())
        reps = _pair_fraction_reps(comps, n_boot, rng)
        rows.append({
            "phenotype": pid, "size": int(nets.phenotype_sizes[i]),
            "n_components": int(own.size), "random_pair": float(exact[i]),
            "largest_fraction": float(nets.component_sizes[big] / nets.phenotype_sizes[i]),
            "reached": int(ok.sum()), "starts": int(n_starts),
            "reached_ci": wilson_interval(int(ok.sum()), int(n_starts), level),
            "mean_proposals": float(res.proposals[ok].mean()) if ok.any() else float("nan"),
            "climbed_same": int(round(same)), "climbed_pairs": int(round(tot)),
            "climbed_pair": same / tot if tot > 0 else float("nan"),
            "climbed_pair_ci": percentile_interval(reps, level),
            "climbers_in_largest": k_big,
            "climbers_in_largest_ci": wilson_interval(k_big, int(ok.sum()), level),
            "distinct_components_reached": int(np.unique(comps).size)})
        comps_by_target.append(comps)
    return {"targets": rows, "pooled": _pooled(rows, comps_by_target, n_boot, rng, level,
                                               clopper_pearson_interval),
            "n_phenotypes": P}


def _pooled(rows, comps_by_target, n_boot, rng, level, cp):
    """Means over targets (with at least two successful climbers) of the
    random and climbed same-network probabilities and their difference."""
    use = [j for j, r in enumerate(rows) if r["climbed_pairs"] > 0]
    if not use:
        return {"n_targets": 0}
    rnd = np.array([rows[j]["random_pair"] for j in use])
    clm = np.array([rows[j]["climbed_pair"] for j in use])
    reps = np.full((int(n_boot), 3), np.nan)
    for b in range(int(n_boot)):
        pick = rng.integers(0, len(use), len(use))
        c = np.empty(len(use))
        for q, j in enumerate(pick):
            comps = comps_by_target[use[j]]
            w = np.bincount(rng.integers(0, comps.size, comps.size),
                            minlength=comps.size).astype(np.float64)
            same, tot = pair_counts(comps, w)
            c[q] = same / tot if tot > 0 else np.nan
        reps[b] = (rnd[pick].mean(), np.nanmean(c), np.nanmean(c) - rnd[pick].mean())
    k_more = int((clm > rnd).sum())
    return {"n_targets": len(use), "random_pair_mean": float(rnd.mean()),
            "random_pair_ci": percentile_interval(reps[:, 0], level),
            "climbed_pair_mean": float(clm.mean()),
            "climbed_pair_ci": percentile_interval(reps[:, 1], level),
            "difference_mean": float((clm - rnd).mean()),
            "difference_ci": percentile_interval(reps[:, 2], level),
            "targets_climbed_higher": k_more,
            "targets_climbed_higher_ci": cp(k_more, len(use), level),
            "targets_equal": int((clm == rnd).sum())}
