"""Toy GP maps (alife.gpmap.toy): phenotype functions, validation, and the
networks their docstrings derive on paper, checked against exhaustive
enumeration (alife.neutral.exhaustive).

Invariants protected: each toy map computes the phenotype its docstring
states, and its neutral networks (sizes, component counts, robustness,
evolvability) are exactly the hand-derived ones.
"""
from __future__ import annotations

from math import comb

import numpy as np
import pytest

from alife.gpmap.base import DiscreteSpace
from alife.gpmap.toy import (CountMap, ParityMap, SignPatternMap, SumIntervalMap, TableLookupMap,
                             ThresholdMap)
from alife.neutral import exhaustive, sample_bfs
from alife.neutral.measures import genotype_robustness, phenotype_measures, sampled_measures


def test_threshold_phenotypes_and_validation():
    m = ThresholdMap(3, 2)
    g = m.space.all_genotypes()
    assert m.phenotypes(g).tolist() == [0, 0, 0, 1, 0, 1, 1, 1]  # 000 001 010 011 100 101 110 111
    with pytest.raises(ValueError):
        ThresholdMap(3, 0)
    with pytest.raises(ValueError):
        ThresholdMap(3, 4)


def test_threshold_networks_L3_t2_by_hand():
    # Phenotype 1 = {011, 101, 110, 111}: the three k=2 genotypes each have
    # one neutral flip (0->1, to 111) out of 3 -> r = 1/3; 111 has r = 1.
    # R(1) = (3 * 1/3 + 1) / 4 = 1/2.  Symmetrically phenotype 0 =
    # {000, 001, 010, 100}: r(000) = 1, the k=1 ones have one neutral flip
    # (back to 000) -> R(0) = 1/2.  One network each; E(0) = E(1) = 1.
    nets = exhaustive(ThresholdMap(3, 2))
    pm = phenotype_measures(nets)
    assert pm.phenotype.tolist() == [0, 1]
    assert pm.size.tolist() == [4, 4]
    assert pm.n_components.tolist() == [1, 1]
    np.testing.assert_allclose(pm.robustness, [0.5, 0.5])
    assert pm.evolvability.tolist() == [1, 1]
    r = genotype_robustness(nets)
    np.testing.assert_allclose(r, [1, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1])


@pytest.mark.parametrize("L,t", [(6, 3), (7, 1), (5, 5)])
def test_threshold_networks_match_docstring_formulas(L, t):
    nets = exhaustive(ThresholdMap(L, t))
    pm = phenotype_measures(nets)
    s1 = sum(comb(L, k) for k in range(t, L + 1))
    s0 = 2 ** L - s1
    assert pm.size.tolist() == [s0, s1]
    assert pm.n_components.tolist() == [1, 1]
    R1 = 1 - t * comb(L, t) / (L * s1)
    R0 = 1 - (L - t + 1) * comb(L, t - 1) / (L * s0)
    np.testing.assert_allclose(pm.robustness, [R0, R1])
    assert pm.evolvability.tolist() == [1, 1]


@pytest.mark.parametrize("L,K", [(4, 3), (3, 4), (5, 2)])
def test_count_map_networks_by_hand(L, K):
    # phenotype c: C(L,c) components (one per set of positions holding the
    # letter), each of size (K-1)^(L-c); r = (L-c)(K-2)/(L(K-1)) everywhere;
    # E(c) = [c>0] + [c<L].
    nets = exhaustive(CountMap(L, K))
    pm = phenotype_measures(nets)
    c = np.arange(L + 1)
    assert pm.phenotype.tolist() == c.tolist()
    assert pm.size.tolist() == [comb(L, k) * (K - 1) ** (L - k) for k in c]
    assert pm.n_components.tolist() == [comb(L, k) for k in c]
    assert pm.largest_component.tolist() == [(K - 1) ** (L - k) for k in c]
    np.testing.assert_allclose(pm.robustness, (L - c) * (K - 2) / (L * (K - 1)))
    assert pm.evolvability.tolist() == [int(k > 0) + int(k < L) for k in c]
    for comp, size in zip(nets.component_phenotype, nets.component_sizes):
        assert size == (K - 1) ** (L - comp)


def test_parity_binary_every_genotype_isolated():
    nets = exhaustive(ParityMap(4))
    pm = phenotype_measures(nets)
    assert pm.size.tolist() == [8, 8] and pm.n_components.tolist() == [8, 8]
    np.testing.assert_allclose(pm.robustness, [0, 0])
    assert pm.evolvability.tolist() == [1, 1]


def test_parity_ternary_components_by_hand():
    # K=3, L=3: components = choices of the positions holding 1 (2^3 = 8),
    # each of size 2^(3-u); r(g) = (L-u)/(2L).
    nets = exhaustive(ParityMap(3, 3))
    assert nets.n_components == 8
    assert sorted(nets.component_sizes.tolist()) == sorted(2 ** (3 - u) for u in
                                                           [0, 1, 1, 1, 2, 2, 2, 3])
    g = nets.space.all_genotypes()
    u = (g == 1).sum(axis=1)
    np.testing.assert_allclose(genotype_robustness(nets), (3 - u) / 6)


def test_table_lookup_map_and_validation():
    space = DiscreteSpace(3, 2)
    table = np.array([5, -1, 5, 7, 7, 7, 0, 1])
    m = TableLookupMap(space, table)
    assert m.phenotypes(space.all_genotypes()).tolist() == table.tolist()
    with pytest.raises(ValueError):
        TableLookupMap(space, table[:-1])
    with pytest.raises(ValueError):
        TableLookupMap(space, table.astype(float))
    with pytest.raises(ValueError):
        TableLookupMap(space, np.full(8, -2))
    with pytest.raises(TypeError):
        TableLookupMap(SignPatternMap(2).space, table)


def test_sign_pattern_map():
    m = SignPatternMap(3)
    g = np.array([[0.5, -0.1, 0.0], [-1, -1, -1], [1, 1, -0.5]], np.float32)
    assert m.phenotypes(g).tolist() == [1 + 4, 0, 3]
    mu = SignPatternMap(3, undefined_all_negative=True)
    assert mu.phenotypes(g).tolist() == [5, -1, 3]


def test_sign_pattern_sampled_robustness_is_one_half():
    # Resampling a gene uniformly in [-1, 1] keeps its sign with probability
    # 1/2, so r_hat over many sampled neighbours is close to 1/2; the flip of
    # gene i always leads to the same orthant, so with m = 8 resamples per
    # gene (P(miss a flip) = 2^-8 per gene) e(g) = L almost always.
    rng = np.random.default_rng(3)
    m = SignPatternMap(4, m=8)
    net = sample_bfs(m, np.array([[0.3, -0.2, 0.7, -0.9]], np.float32), max_nodes=300, rng=rng)
    sm = sampled_measures(net)
    assert abs(sm.robustness - 0.5) < 0.05
    ex = net.expanded
    assert np.mean(net.evolvability[ex] == 4) > 0.9
    assert sm.evolvability == 4


def test_sum_interval_map():
    m = SumIntervalMap(4, 4)
    g = np.array([[-1, -1, -1, -1], [1, 1, 1, 1], [0, 0, 0, 0], [-0.9, -0.9, -0.9, 0.6]], np.float32)
    # sum range [-4, 4], 4 bins of width 2: -4 -> 0, 4 -> clipped to 3, 0 -> 2, -2.1 -> 0
    assert m.phenotypes(g).tolist() == [0, 3, 2, 0]
    rng = np.random.default_rng(0)
    x = m.space.random(200, rng)
    nb = m.space.neighbours(x, rng)
    d = np.abs(m.phenotypes(nb.reshape(-1, 4)).reshape(200, -1) - m.phenotypes(x)[:, None])
    assert d.max() <= 4 // 4 + 1
