"""Neutral network measures (alife.neutral.measures).

Invariants protected:

* Wagner's r, e, R, E, Cowperthwaite's E_C, the transition matrix and the
  per-component measures equal a plain-Python implementation over tiny
  random tables (undefined genotypes included: never a phenotype, and
  non-neutral for robustness);
* hand-derived values on toy maps (CountMap, ThresholdMap);
* a complete BFS sample gives exactly the exhaustive component's measures;
* diameter / mean path length are exact on known graphs, and the sampled
  estimates are close;
* the frequency relation and Wagner's correlations are computed as stated.
"""
from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from alife.gpmap.base import DiscreteSpace
from alife.gpmap.toy import CountMap, TableLookupMap, ThresholdMap
from alife.neutral import exhaustive, networks_from_table, sample_bfs
from alife.neutral.measures import (component_measures, cowperthwaite_evolvability,
                                    distance_stats, genotype_evolvability, genotype_robustness,
                                    phenotype_measures, robustness_frequency, sampled_measures,
                                    sampled_transitions, spearman, transition_matrix,
                                    wagner_correlations)


# ----------------------------------------------------------------------------
# naive reference
# ----------------------------------------------------------------------------

def naive_neighbour_ranks(space, r):
    g = [int(x) for x in space.unrank([r])[0]]
    out = []
    for pos in range(space.L):
        for a in range(space.K):
            if a != g[pos]:
                h = list(g)
                h[pos] = a
                out.append(int(space.rank(np.array([h]))[0]))
    return out


def naive_measures(space, table, groups):
    """groups: dict name -> list of ranks (all of one phenotype).  Returns
    per-genotype r, e and per-group R, E, E_C, transition counts."""
    nb = {r: naive_neighbour_ranks(space, r) for r in range(space.size)}
    r_g, e_g = {}, {}
    for r in range(space.size):
        if table[r] < 0:
            continue
        q = [table[x] for x in nb[r]]
        r_g[r] = sum(1 for x in q if x == table[r]) / len(q)
        e_g[r] = len({x for x in q if x != table[r] and x >= 0})
    out = {}
    for name, ranks in groups.items():
        p = table[ranks[0]]
        cnt = Counter(table[x] for r in ranks for x in nb[r])
        other = {q: c for q, c in cnt.items() if q != p and q >= 0}
        tot = sum(other.values())
        ec = 1 - sum((c / tot) ** 2 for c in other.values()) if tot else float("nan")
        out[name] = dict(R=sum(r_g[r] for r in ranks) / len(ranks), E=len(other), EC=ec,
                         counts=cnt, n=len(ranks))
    return r_g, e_g, out


def random_table(rng, L, K, n_pheno, p_undef=0.15):
    t = rng.integers(0, n_pheno, K ** L)
    t[rng.random(K ** L) < p_undef] = -1
    return t


@pytest.mark.parametrize("L,K,P,seed", [(5, 2, 3, 0), (4, 3, 3, 1), (3, 4, 5, 2), (4, 3, 2, 3)])
@pytest.mark.parametrize("dense", [True, False])
def test_measures_equal_naive(L, K, P, seed, dense):
    rng = np.random.default_rng(seed)
    space = DiscreteSpace(L, K)
    table = random_table(rng, L, K, P)
    nets = networks_from_table(space, table)
    if not dense:
        nets.dense_limit = 0
    ph_groups = {int(p): np.flatnonzero(table == p).tolist() for p in nets.phenotype_ids}
    r_g, e_g, ph = naive_measures(space, table, ph_groups)
    r = genotype_robustness(nets)
    e = genotype_evolvability(nets)
    for k in range(space.size):
        if table[k] < 0:
            assert np.isnan(r[k]) and e[k] == -1
        else:
            assert r[k] == pytest.approx(r_g[k]) and e[k] == e_g[k]
    pm = phenotype_measures(nets)
    n_nb = space.n_neighbours
    for i, pid in enumerate(pm.phenotype.tolist()):
        ref = ph[pid]
        assert pm.size[i] == ref["n"]
        assert pm.frequency[i] == pytest.approx(ref["n"] / space.size)
        assert pm.robustness[i] == pytest.approx(ref["R"])
        assert pm.evolvability[i] == ref["E"]
        np.testing.assert_allclose(pm.evolvability_cowperthwaite[i], ref["EC"])
        assert pm.undefined_fraction[i] == pytest.approx(ref["counts"].get(-1, 0) / (ref["n"] * n_nb))
    ids, M, und = transition_matrix(nets)
    Md = M.toarray()
    for i, p in enumerate(ids.tolist()):
        for j, q in enumerate(ids.tolist()):
            assert Md[i, j] == pytest.approx(ph[p]["counts"].get(q, 0) / (ph[p]["n"] * n_nb))
    np.testing.assert_allclose(Md.sum(axis=1) + und, 1.0)
    np.testing.assert_allclose(np.diagonal(Md), pm.robustness)
    # per component
    comp_groups = {c: np.flatnonzero(nets.component == c).tolist() for c in range(nets.n_components)}
    _, _, cref = naive_measures(space, table, comp_groups)
    cm = component_measures(nets)
    for c in range(nets.n_components):
        assert cm.size[c] == cref[c]["n"]
        assert cm.robustness[c] == pytest.approx(cref[c]["R"])
        assert cm.evolvability[c] == cref[c]["E"]
        np.testing.assert_allclose(cm.evolvability_cowperthwaite[c], cref[c]["EC"])
        assert cm.undefined_fraction[c] == pytest.approx(
            cref[c]["counts"].get(-1, 0) / (cref[c]["n"] * n_nb))


# ----------------------------------------------------------------------------
# hand-derived values
# ----------------------------------------------------------------------------

def test_count_map_measures_by_hand():
    # CountMap(L=4, K=3), phenotype c = number of 0s.  A genotype of c has 8
    # mutants: at each of the c zero positions 2 mutants (to c-1); at each of
    # the 4-c non-zero positions one to 0 (c+1) and one neutral.
    #   c=1: to 0: 1*2 = 2, to 2: 3, neutral 3 -> R = 3/8,
    #        E_C = 1 - (2/5)^2 - (3/5)^2 = 12/25.
    #   c=2: to 1: 4, to 3: 2, neutral 2 -> R = 2/8, E_C = 1 - (4/6)^2 - (2/6)^2 = 4/9.
    #   c=0: all non-neutral mutations go to 1 -> E_C = 0; c=4 likewise (to 3).
    nets = exhaustive(CountMap(4, 3))
    pm = phenotype_measures(nets)
    np.testing.assert_allclose(pm.robustness, [4 / 8, 3 / 8, 2 / 8, 1 / 8, 0])
    assert pm.evolvability.tolist() == [1, 2, 2, 2, 1]
    np.testing.assert_allclose(pm.evolvability_cowperthwaite, [0, 12 / 25, 4 / 9, 1 - (6 / 7) ** 2 - (1 / 7) ** 2, 0])
    # frequency: C(4,c) 2^(4-c) / 81
    np.testing.assert_allclose(pm.frequency, np.array([16, 32, 24, 8, 1]) / 81)
    ids, M, und = transition_matrix(nets)
    np.testing.assert_allclose(M.toarray()[1], [2 / 8, 3 / 8, 3 / 8, 0, 0])
    assert (und == 0).all()
    # components of c=2 (size 4, a square): R = 2/8, E = 2 each
    cm = component_measures(nets)
    sel = cm.phenotype == 2
    assert sel.sum() == 6 and (cm.size[sel] == 4).all()
    np.testing.assert_allclose(cm.robustness[sel], 0.25)
    assert (cm.evolvability[sel] == 2).all()


def test_threshold_undefined_neighbours_are_non_neutral():
    # ThresholdMap(3, 2) with phenotype 0 made undefined: phenotype 1 keeps
    # r = 1/3 on its k=2 layer (the flip to k=1 is undefined, non-neutral),
    # E(1) = 0 (undefined is no phenotype), E_C = NaN, and the undefined
    # fraction of 1's mutants is 3 * 2 / (4 * 3) = 1/2.
    t = ThresholdMap(3, 2).phenotypes(ThresholdMap(3, 2).space.all_genotypes())
    t = np.where(t == 0, -1, t)
    nets = networks_from_table(DiscreteSpace(3, 2), t)
    pm = phenotype_measures(nets)
    assert pm.phenotype.tolist() == [1]
    np.testing.assert_allclose(pm.robustness, [0.5])
    assert pm.evolvability.tolist() == [0]
    assert np.isnan(pm.evolvability_cowperthwaite[0])
    np.testing.assert_allclose(pm.undefined_fraction, [0.5])
    assert pm.frequency[0] == 0.5


def test_cowperthwaite_helper():
    assert cowperthwaite_evolvability([1, 1]) == pytest.approx(0.5)
    assert cowperthwaite_evolvability([5, 0]) == 0.0
    assert cowperthwaite_evolvability([1, 1, 1, 1]) == pytest.approx(0.75)
    assert np.isnan(cowperthwaite_evolvability([]))


# ----------------------------------------------------------------------------
# sampled == exhaustive
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_complete_bfs_measures_equal_component_measures(seed):
    rng = np.random.default_rng(seed)
    space = DiscreteSpace(5, 3)
    table = random_table(rng, 5, 3, 3, p_undef=0.1)
    m = TableLookupMap(space, table)
    nets = networks_from_table(space, table)
    cm = component_measures(nets)
    for c in np.argsort(-cm.size)[:3]:
        seed_rank = nets.component_root[c]
        net = sample_bfs(m, space.unrank([seed_rank]), max_nodes=10 ** 6)
        sm = sampled_measures(net)
        assert sm.complete and sm.size == cm.size[c]
        assert sm.robustness == pytest.approx(cm.robustness[c])
        assert sm.evolvability == cm.evolvability[c]
        np.testing.assert_allclose(sm.evolvability_cowperthwaite, cm.evolvability_cowperthwaite[c])
        assert sm.undefined_fraction == pytest.approx(cm.undefined_fraction[c])
        r = space.rank(net.genotypes)
        np.testing.assert_allclose(sm.genotype_robustness, genotype_robustness(nets)[r])
        assert (sm.genotype_evolvability == genotype_evolvability(nets)[r]).all()
        tr = sampled_transitions(net)
        assert sum(tr.values()) == pytest.approx(1.0)
        assert tr[int(cm.phenotype[c])] == pytest.approx(cm.robustness[c])


def test_single_component_phenotype_sampled_equals_phenotype_measures():
    m = ThresholdMap(6, 3)              # each phenotype is one network
    nets = exhaustive(m)
    pm = phenotype_measures(nets)
    net = sample_bfs(m, np.ones((1, 6), np.uint8))
    sm = sampled_measures(net)
    assert sm.size == pm.size[1]
    assert sm.robustness == pytest.approx(pm.robustness[1])
    assert sm.evolvability == pm.evolvability[1]


# ----------------------------------------------------------------------------
# distances
# ----------------------------------------------------------------------------

def test_distance_stats_exact_known_graphs():
    # path on 5 nodes: diameter 4; sum of ordered-pair distances
    # 2 * (1*4 + 2*3 + 3*2 + 4*1) = 40 over 20 pairs -> mean 2.
    d = distance_stats(nx.path_graph(5))
    assert d["diameter"] == 4 and d["mean_path_length"] == pytest.approx(2.0) and d["exact"]
    # CountMap(3, 3), c = 0: {1, 2}^3, the 3-cube: diameter 3, mean
    # (3*1 + 3*2 + 1*3) / 7 = 12/7.
    nets = exhaustive(CountMap(3, 3))
    A = nets.adjacency(nets.ranks_of(0))
    d = distance_stats(A)
    assert d["n_nodes"] == 8 and d["n_edges"] == 12 and d["n_components"] == 1
    assert d["diameter"] == 3 and d["mean_path_length"] == pytest.approx(12 / 7)
    # two components (two paths of 3): distances within components only
    G = nx.union(nx.path_graph(3), nx.path_graph(3), rename=("a", "b"))
    d = distance_stats(G)
    assert d["n_components"] == 2 and d["diameter"] == 2
    assert d["mean_path_length"] == pytest.approx(8 / 6)
    d = distance_stats(nx.empty_graph(3))
    assert d["diameter"] == 0 and np.isnan(d["mean_path_length"])


def test_distance_stats_sampled_close_to_exact():
    G = nx.grid_2d_graph(40, 40)
    exact = distance_stats(G, exact_max_nodes=2000)
    est = distance_stats(G, exact_max_nodes=500, n_sources=64, rng=np.random.default_rng(0))
    assert not est["exact"] and est["n_sources"] == 64
    assert est["diameter"] <= exact["diameter"] == 78
    assert est["diameter"] >= 70                     # double sweep finds near-corners
    assert est["mean_path_length"] == pytest.approx(exact["mean_path_length"], rel=0.1)
    with pytest.raises(ValueError):
        distance_stats(G, exact_max_nodes=500)


# ----------------------------------------------------------------------------
# frequency and correlations
# ----------------------------------------------------------------------------

def test_robustness_frequency_relation():
    f = np.array([1e-4, 1e-3, 1e-2, 1e-1, 0.0])
    R = 0.1 * np.log10(np.where(f > 0, f, 1)) + 0.6
    R[-1] = np.nan
    out = robustness_frequency(R, f)
    assert out["slope"] == pytest.approx(0.1) and out["intercept"] == pytest.approx(0.6)
    assert out["spearman_rho"] == pytest.approx(1.0) and out["n"] == 4
    np.testing.assert_allclose(out["ratio"][:4], R[:4] / f[:4])
    assert np.isnan(out["ratio"][4])


def test_wagner_correlations_match_scipy():
    rng = np.random.default_rng(0)
    space = DiscreteSpace(6, 3)
    # a correlated map: phenotype from the first 3 letters, some undefined
    head = space.all_genotypes()[:, :3].astype(np.int64) @ np.array([9, 3, 1])
    table = rng.integers(0, 7, 27)[head]
    table[rng.random(space.size) < 0.05] = -1
    nets = networks_from_table(space, table)
    out = wagner_correlations(nets, max_genotypes=None)
    ok = table >= 0
    r = genotype_robustness(nets)[ok]
    e = genotype_evolvability(nets)[ok]
    assert out["genotype_rho"] == pytest.approx(stats.spearmanr(r, e).statistic)
    assert out["genotype_n"] == ok.sum()
    pm = phenotype_measures(nets)
    assert np.ptp(pm.robustness) > 0 and np.ptp(pm.evolvability) > 0
    assert out["phenotype_rho"] == pytest.approx(stats.spearmanr(pm.robustness, pm.evolvability).statistic)
    sub = wagner_correlations(nets, max_genotypes=100, rng=np.random.default_rng(1))
    assert sub["genotype_n"] == 100
    with pytest.raises(ValueError):
        wagner_correlations(nets, max_genotypes=100)


def test_spearman_degenerate_inputs():
    assert np.isnan(spearman([1, 1, 1], [1, 2, 3])[0])
    assert np.isnan(spearman([1, 2], [1, 2])[0])
    rho, _, n = spearman([1, 2, np.nan, 4], [2, 4, 5, 8])
    assert rho == pytest.approx(1.0) and n == 3
