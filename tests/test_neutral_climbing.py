"""Random versus hill-climbed genotype pairs (alife.neutral.climbing).

Invariants protected:

* the exact same-network probability of random pairs equals counting every
  pair of distinct genotypes of each phenotype;
* the Numba climber takes exactly the steps of a plain-Python climber fed
  the same random draws (uniform position, then uniform other letter), and
  accepts equal-or-better only;
* pair counts with bootstrap multiplicities never pair copies of one item;
* the whole test on a small map: every successful climber ends on the
  target, the exact column matches, intervals contain the estimates.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from alife.gpmap.base import DiscreteSpace
from alife.neutral import networks_from_table
from alife.neutral.climbing import (hamming_to, hill_climb, pair_counts,
                                    same_component_probabilities, same_component_test)


def _table(seed=0, L=6, K=3, P=5):
    rng = np.random.default_rng(seed)
    space = DiscreteSpace(L, K)
    t = rng.integers(0, P, K ** 2)[np.arange(space.size) // K ** (L - 2)]
    noise = rng.random(space.size) < 0.25
    t[noise] = rng.integers(0, P, noise.sum())
    t[rng.random(space.size) < 0.1] = -1
    return networks_from_table(space, t)


def test_random_pair_probability_counts_every_pair():
    nets = _table()
    got = same_component_probabilities(nets)
    for i, pid in enumerate(nets.phenotype_ids):
        ranks = nets.ranks_of(int(pid))
        pairs = list(itertools.combinations(ranks.tolist(), 2))
        same = sum(nets.component[a] == nets.component[b] for a, b in pairs)
        assert got[i] == pytest.approx(same / len(pairs))


def _python_climb(space, state, dist, start, pos, shift):
    r = int(start)
    d = dist[state[r]]
    t = 0
    while d > 0 and t < len(pos):
        g = space.unrank([r])[0].astype(int)
        g[pos[t]] = (g[pos[t]] + shift[t]) % space.K
        nr = int(space.rank(g[None])[0])
        if dist[state[nr]] <= d:
            r, d = nr, dist[state[nr]]
        t += 1
    return r, t, d


def test_climber_matches_a_python_climber_with_the_same_draws():
    nets = _table(seed=1)
    P = nets.n_phenotypes
    state = nets.phenotype_index.copy()
    state[state < 0] = P
    rng = np.random.default_rng(3)
    features = rng.integers(0, 2, (P + 1, 8))     # any distances will do for the climber
    dist = hamming_to(features, 0)
    starts = rng.integers(0, nets.n_genotypes, 30)
    res = hill_climb(nets.space, state, dist, starts, np.random.default_rng(11), max_proposals=200)
    draw = np.random.default_rng(11)
    pos = draw.integers(0, nets.space.L, (30, 200))
    shift = draw.integers(1, nets.space.K, (30, 200))
    for i in range(30):
        r, t, d = _python_climb(nets.space, state, dist, starts[i], pos[i], shift[i])
        assert (res.end[i], res.proposals[i], res.distance[i]) == (r, t, d)
    assert (res.distance <= dist[state[starts]]).all()


def test_pair_counts_with_multiplicities():
    lab = np.array([3, 3, 5, 3, 5, 9])
    assert pair_counts(lab) == (4.0, 15.0)          # {0,1},{0,3},{1,3},{2,4}
    w = np.array([2, 0, 1, 1, 0, 3])
    # expanded: 3,3 (copies of item 0), 5, 3, 9,9,9; copies never pair with each other
    # same-label pairs of distinct items: (item0 x2, item3) -> 2; total: (7^2 - 15) / 2 = 17
    same, tot = pair_counts(lab, w)
    assert same == 2.0 and tot == 17.0


def test_same_component_test_on_a_small_map():
    nets = _table(seed=2, L=7)
    P = nets.n_phenotypes
    state = nets.phenotype_index.copy()
    state[state < 0] = P
    features = np.eye(P + 1, dtype=np.uint8)        # every phenotype at distance 2 (1 for itself)
    multi = [int(p) for p, n in zip(nets.phenotype_ids,
                                    np.bincount(nets.phenotype_index[nets.component_root],
                                                minlength=P)) if n >= 2]
    assert multi
    res = same_component_test(nets, state, features, multi[:3], np.random.default_rng(0),
                              n_starts=40, max_proposals=3000, n_boot=50)
    exact = same_component_probabilities(nets)
    for row in res["targets"]:
        i = nets.phenotype_position(row["phenotype"])
        assert row["random_pair"] == pytest.approx(exact[i])
        assert 0 < row["reached"] <= 40
        lo, hi = row["reached_ci"]
        assert lo <= row["reached"] / 40 <= hi
        assert row["climbed_pairs"] == row["reached"] * (row["reached"] - 1) // 2
        if row["climbed_pairs"]:
            lo, hi = row["climbed_pair_ci"]
            assert lo - 1e-12 <= row["climbed_pair"] <= hi + 1e-12
    assert res["pooled"]["n_targets"] >= 1


def test_a_target_must_have_a_unique_feature_row():
    nets = _table(seed=4)
    P = nets.n_phenotypes
    state = np.where(nets.phenotype_index < 0, P, nets.phenotype_index)
    with pytest.raises(ValueError, match="not unique"):
        same_component_test(nets, state, np.zeros((P + 1, 3), np.uint8),
                            [int(nets.phenotype_ids[0])], np.random.default_rng(0), n_starts=2)


def test_hamming_on_packed_bits_counts_differing_cells():
    rng = np.random.default_rng(5)
    pats = rng.random((40, 8, 8)) < 0.5
    flat = pats.reshape(40, 64).astype(np.uint8)
    packed = np.packbits(pats.reshape(40, 64), axis=1)
    for t in (0, 7, 39):
        assert np.array_equal(hamming_to(packed, t, bits=True), hamming_to(flat, t))
