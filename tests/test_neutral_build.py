"""Neutral network construction (alife.neutral: enumeration, sampling, walks).

Invariants protected:

* exhaustive components equal those of a plain-Python BFS over a tiny space
  (random tables with undefined genotypes), with either statistics path;
* components partition each phenotype's genotypes; every graph edge joins
  equal phenotypes at Hamming distance 1; labels are numbered by smallest
  rank and do not depend on batch size, phenotype id values or seed order;
* a BFS with unlimited budget finds exactly the exhaustive component(s) of
  its seeds; budgets are respected; the boundary is non-neutral one-mutants;
* neutral walks only take neutral single mutations;
* neutral paths are neutral, one mutation per step, join the endpoints, and
  (discrete) are as short as the shortest path in the exhaustive graph.
"""
from __future__ import annotations

from collections import deque

import networkx as nx
import numpy as np
import pytest

from alife.gpmap.base import CachedMap, DiscreteSpace
from alife.gpmap.toy import CountMap, SignPatternMap, TableLookupMap
from alife.neutral import (exhaustive, networks_from_table, neutral_path, neutral_walks, sample_bfs,
                           staircase_path)


# ----------------------------------------------------------------------------
# naive reference: plain Python loops over genotype tuples
# ----------------------------------------------------------------------------

def naive_neighbours(g, K):
    for pos in range(len(g)):
        for a in range(K):
            if a != g[pos]:
                yield g[:pos] + (a,) + g[pos + 1:]


def naive_components(space, table):
    """Set of frozensets of ranks: the genotype networks, by BFS."""
    K = space.K
    rank = {tuple(int(x) for x in g): i for i, g in enumerate(space.all_genotypes())}
    geno = {i: g for g, i in rank.items()}
    seen, comps = set(), set()
    for start in range(len(table)):
        if table[start] < 0 or start in seen:
            continue
        comp, queue = {start}, deque([start])
        seen.add(start)
        while queue:
            u = queue.popleft()
            for h in naive_neighbours(geno[u], K):
                v = rank[h]
                if table[v] == table[u] and v not in seen:
                    seen.add(v)
                    comp.add(v)
                    queue.append(v)
        comps.add(frozenset(comp))
    return comps


def random_table(rng, L, K, n_pheno, p_undef=0.1):
    t = rng.integers(0, n_pheno, K ** L)
    t[rng.random(K ** L) < p_undef] = -1
    return t


def partition(nets):
    return {frozenset(np.flatnonzero(nets.component == c).tolist()) for c in range(nets.n_components)}


SPACES = [(6, 2, 3), (4, 3, 3), (3, 4, 2), (5, 3, 4)]


@pytest.mark.parametrize("L,K,P", SPACES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exhaustive_components_equal_naive_bfs(L, K, P, seed):
    rng = np.random.default_rng(seed)
    space = DiscreteSpace(L, K)
    table = random_table(rng, L, K, P)
    nets = exhaustive(TableLookupMap(space, table), batch_size=7)
    assert partition(nets) == naive_components(space, table)
    assert nets.n_undefined == int((table < 0).sum())
    assert (nets.component[table < 0] == -1).all()


@pytest.mark.parametrize("L,K,P", SPACES)
def test_component_invariants(L, K, P):
    rng = np.random.default_rng(10 * L + K)
    space = DiscreteSpace(L, K)
    table = random_table(rng, L, K, P)
    nets = networks_from_table(space, table)
    # components partition each phenotype's genotypes, one phenotype each
    for pid in nets.phenotype_ids:
        ranks = nets.ranks_of(int(pid))
        comps = nets.components_of(int(pid))
        assert sorted(np.concatenate([nets.ranks_of(component=int(c)) for c in comps]).tolist()) \
            == ranks.tolist()
        assert (nets.component_phenotype[comps] == pid).all()
    assert nets.component_sizes.sum() == (table >= 0).sum()
    assert nets.phenotype_sizes.sum() == (table >= 0).sum()
    # numbered by smallest rank: roots ascend and are each component's minimum
    assert (np.diff(nets.component_root) > 0).all()
    for c in range(nets.n_components):
        assert nets.component_root[c] == np.flatnonzero(nets.component == c).min()
    # graph edges: equal phenotypes, Hamming distance 1
    for pid in nets.phenotype_ids:
        G = nets.graph(int(pid))
        assert G.number_of_nodes() == nets.phenotype_sizes[nets.phenotype_position(int(pid))]
        for u, v in G.edges:
            gu, gv = space.unrank([u, v])
            assert (gu != gv).sum() == 1
            assert table[u] == table[v] == pid
        assert nx.number_connected_components(G) == len(nets.components_of(int(pid)))


def test_independent_of_batch_size_and_id_values():
    rng = np.random.default_rng(5)
    space = DiscreteSpace(5, 3)
    table = random_table(rng, 5, 3, 3)
    a = exhaustive(TableLookupMap(space, table), batch_size=1)
    b = exhaustive(TableLookupMap(space, table))
    assert np.array_equal(a.component, b.component)
    # relabel ids (a permutation plus an offset): same partition, same labels
    perm = np.array([1_000_003, 17, 4_000_000_000])
    relabelled = np.where(table >= 0, perm[np.maximum(table, 0)], -1)
    c = networks_from_table(space, relabelled)
    assert np.array_equal(a.component, c.component)


def test_dense_and_grouped_statistics_paths_agree():
    rng = np.random.default_rng(7)
    space = DiscreteSpace(5, 3)
    table = random_table(rng, 5, 3, 6)
    a = networks_from_table(space, table)
    b = networks_from_table(space, table)
    b.dense_limit = 0
    for x, y in zip(a.genotype_stats(), b.genotype_stats()):
        assert np.array_equal(x, y)
    sa, sb = a.group_stats("phenotype"), b.group_stats("phenotype")
    for x, y in zip(sa[:4], sb[:4]):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_allclose(sa[4], sb[4], rtol=1e-14)          # summation order differs
    assert sorted(zip(*map(list, sa[5:]))) == sorted(zip(*map(list, sb[5:])))


@pytest.mark.parametrize("n_chunks", [1, 3, 7])
def test_results_independent_of_chunk_count(n_chunks):
    rng = np.random.default_rng(8)
    space = DiscreteSpace(5, 3)
    table = random_table(rng, 5, 3, 4)
    a = networks_from_table(space, table)
    a.n_chunks = 1
    b = networks_from_table(space, table)
    b.n_chunks = n_chunks
    for x, y in zip(a.genotype_stats(), b.genotype_stats()):
        assert np.array_equal(x, y)
    for x, y in zip(a.group_stats("phenotype") + a.group_stats("component"),
                    b.group_stats("phenotype") + b.group_stats("component")):
        np.testing.assert_array_equal(x, y)


def test_graph_attributes_and_limits():
    m = CountMap(3, 3, alphabet="ABC")
    nets = exhaustive(m)
    G = nets.graph(0)        # c = 0: {B, C}^3, a cube
    assert G.number_of_nodes() == 8 and G.number_of_edges() == 12
    d = G.nodes[nets.space.rank(nets.space.encode(["BBB"]))[0]]
    assert d["genotype"] == "BBB" and d["phenotype"] == 0
    assert d["robustness"] == pytest.approx(3 / 6) and d["evolvability"] == 1
    with pytest.raises(ValueError):
        nets.graph(0, max_nodes=7)
    with pytest.raises(KeyError):
        nets.graph(99)
    with pytest.raises(ValueError):
        nets.ranks_of(0, component=0)


def test_exhaustive_rejects_continuous_and_large_spaces():
    with pytest.raises(TypeError):
        exhaustive(SignPatternMap(3))
    with pytest.raises(ValueError):
        exhaustive(CountMap(14, 4))


def test_exhaustive_unwraps_cached_map():
    inner = CountMap(4, 3)
    nets = exhaustive(CachedMap(inner))
    assert inner.n_evaluations == 81 and nets.n_components == 16


# ----------------------------------------------------------------------------
# BFS sampling
# ----------------------------------------------------------------------------

@pytest.mark.parametrize("L,K,P", SPACES)
def test_bfs_unlimited_finds_exactly_the_seed_component(L, K, P):
    rng = np.random.default_rng(100 + L)
    space = DiscreteSpace(L, K)
    table = random_table(rng, L, K, P)
    m = TableLookupMap(space, table)
    nets = networks_from_table(space, table)
    big = int(np.argmax(nets.component_sizes))
    for c in {big, 0, nets.n_components - 1}:
        ranks = nets.ranks_of(component=c)
        seed = space.unrank([rng.choice(ranks)])
        net = sample_bfs(m, seed, max_nodes=10 ** 6, max_evaluations=10 ** 7)
        assert net.complete and net.expanded.all()
        assert sorted(space.rank(net.genotypes).tolist()) == ranks.tolist()
        # edges are the exhaustive component's edges
        A = nets.adjacency(ranks)
        assert len(net.edges) == A.nnz // 2
        r = space.rank(net.genotypes)
        for i, j in net.edges:
            assert (net.genotypes[i] != net.genotypes[j]).sum() == 1
            assert table[r[i]] == table[r[j]]
        # boundary: non-neutral one-mutants of their source nodes
        assert len(net.boundary_node) == (space.n_neighbours * len(ranks)
                                          - net.n_neutral.sum())
        src = net.genotypes[net.boundary_node]
        assert ((src != net.boundary_genotypes).sum(axis=1) == 1).all()
        assert (table[space.rank(net.boundary_genotypes)] == net.boundary_phenotype).all()
        assert (net.boundary_phenotype != net.phenotype).all()


def test_bfs_two_seed_components_and_seed_order():
    # CountMap(3, 3) phenotype 1: three components of size 4 (letter 0 at
    # position 0, 1 or 2).  Seeds in two of them: BFS finds both, 8 nodes.
    m = CountMap(3, 3)
    s = m.space
    seeds = np.array([[0, 1, 1], [1, 0, 2]], np.uint8)
    a = sample_bfs(m, seeds)
    b = sample_bfs(m, seeds[::-1])
    assert a.complete and a.n_nodes == 8
    ka = sorted(s.rank(a.genotypes).tolist())
    assert ka == sorted(s.rank(b.genotypes).tolist())
    assert (a.depth[:2] == 0).all() and a.depth.max() == 2


def test_bfs_budgets():
    m = CountMap(6, 3)          # phenotype 0: a 6-cube of 64 genotypes
    seed = np.ones((1, 6), np.uint8)
    net = sample_bfs(m, seed, max_nodes=10)
    assert net.n_nodes == 10 and not net.complete
    many = np.array([[1, 1, 1, 1, 1, 1], [2, 1, 1, 1, 1, 1], [1, 2, 1, 1, 1, 1]], np.uint8)
    net = sample_bfs(m, many, max_nodes=2)
    assert net.n_nodes == 2 and not net.complete
    cm = CachedMap(m)
    net = sample_bfs(cm, seed, max_evaluations=100)
    assert net.n_evaluations <= 100 and not net.complete
    assert net.n_evaluations == cm.n_evaluations
    assert (net.n_neighbours[net.expanded] == 12).all()
    assert np.isnan(net.robustness[~net.expanded]).all()
    with pytest.raises(ValueError):
        sample_bfs(m, np.array([[0] * 6, [1] * 6], np.uint8))    # different phenotypes
    with pytest.raises(ValueError):
        sample_bfs(TableLookupMap(DiscreteSpace(2, 2), np.array([-1, 0, 0, 0])),
                   np.array([[0, 0]], np.uint8))


def test_bfs_continuous_needs_rng_and_stays_neutral():
    m = SignPatternMap(3)
    seed = np.array([[0.2, -0.4, 0.9]], np.float32)
    with pytest.raises(ValueError):
        sample_bfs(m, seed)
    net = sample_bfs(m, seed, max_nodes=50, rng=np.random.default_rng(0))
    assert net.n_nodes == 50
    assert (m.phenotypes(net.genotypes) == net.phenotype).all()
    assert nx.is_tree(net.graph())            # sampled mutants never coincide
    for i, j in net.edges:
        assert (net.genotypes[i] != net.genotypes[j]).sum() == 1


# ----------------------------------------------------------------------------
# walks and paths
# ----------------------------------------------------------------------------

def test_neutral_walks_discrete():
    m = CountMap(6, 3)
    rng = np.random.default_rng(1)
    seed = np.array([0, 1, 2, 1, 2, 1], np.uint8)          # c = 1
    w = neutral_walks(m, seed, 200, 8, rng)
    g = w.genotypes
    assert g.shape == (201, 8, 6)
    ph = m.phenotypes(g.reshape(-1, 6))
    assert (ph == 1).all()
    step = (g[1:] != g[:-1]).sum(axis=2)
    assert ((step == 1) == w.accepted).all() and (step <= 1).all()
    # r(g) = (L - c)(K - 2) / (L (K - 1)) = 5/12 for every c = 1 genotype
    assert abs(w.acceptance_rate - 5 / 12) < 0.06
    assert (w.distance == (g != g[0][None]).sum(axis=2)).all()
    # the letter-0 position never changes on a neutral walk
    assert (g[..., 0] == 0).all()
    assert w.visited().shape[1] == 6


def test_neutral_walks_continuous():
    m = SignPatternMap(4)
    rng = np.random.default_rng(2)
    w = neutral_walks(m, np.array([0.5, -0.5, 0.5, -0.5], np.float32), 100, 5, rng)
    ph = m.phenotypes(w.genotypes.reshape(-1, 4))
    assert (ph == ph[0]).all()
    assert abs(w.acceptance_rate - 0.5) < 0.1
    assert (w.distance[0] == 0).all() and (w.distance[-1] > 0).all()


@pytest.mark.parametrize("L,K,P", [(6, 2, 2), (4, 3, 2), (5, 3, 3)])
def test_neutral_path_is_shortest(L, K, P):
    rng = np.random.default_rng(L * K)
    space = DiscreteSpace(L, K)
    table = random_table(rng, L, K, P, p_undef=0.05)
    m = TableLookupMap(space, table)
    nets = networks_from_table(space, table)
    pid = int(nets.phenotype_ids[np.argmax(nets.phenotype_sizes)])
    G = nets.graph(pid, max_nodes=10 ** 5)
    ranks = nets.ranks_of(pid)
    for _ in range(15):
        ra, rb = rng.choice(ranks, 2)
        path = neutral_path(m, space.unrank([ra])[0], space.unrank([rb])[0])
        if nets.component[ra] != nets.component[rb]:
            assert path is None
            continue
        assert path is not None
        pr = space.rank(path)
        assert pr[0] == ra and pr[-1] == rb
        assert (table[pr] == pid).all()
        assert ((path[1:] != path[:-1]).sum(axis=1) == 1).all()
        assert len(path) - 1 == nx.shortest_path_length(G, ra, rb)


def test_neutral_path_budget_and_errors():
    m = CountMap(6, 3)
    a = np.ones(6, np.uint8)
    b = np.full(6, 2, np.uint8)
    p = neutral_path(m, a, b)
    assert len(p) == 7                                       # Hamming distance 6
    assert neutral_path(m, a, b, max_evaluations=20) is None
    assert len(neutral_path(m, a, a)) == 1
    with pytest.raises(ValueError):
        neutral_path(m, a, np.zeros(6, np.uint8))


def test_neutral_path_continuous():
    m = SignPatternMap(5)
    rng = np.random.default_rng(4)
    for _ in range(10):
        a = m.space.random(1, rng)[0]
        b = np.abs(m.space.random(1, rng)[0]) * np.sign(a)
        path = neutral_path(m, a, b, rng=rng)
        assert path is not None
        assert np.array_equal(path[0], a) and np.array_equal(path[-1], b)
        assert (m.phenotypes(path) == m.phenotypes(a[None])[0]).all()
        assert ((path[1:] != path[:-1]).sum(axis=1) == 1).all()


def test_neutral_path_continuous_detours():
    # SumIntervalMap: phenotype = bin of the gene sum.  Setting a gene
    # straight to the target's value can leave the bin while partial moves
    # stay inside; the guided walk must still arrive, neutrally.
    from alife.gpmap.toy import SumIntervalMap
    m = SumIntervalMap(4, 2)
    a = np.array([0.9, 0.9, -0.8, -0.8], np.float32)     # sum 0.2 -> bin 1
    b = np.array([-0.8, -0.8, 0.9, 0.9], np.float32)     # sum 0.2 -> bin 1
    path = neutral_path(m, a, b, rng=np.random.default_rng(0))
    assert path is not None and np.array_equal(path[-1], b)
    assert (m.phenotypes(path) == 1).all()
    assert ((path[1:] != path[:-1]).sum(axis=1) == 1).all()


def _thin_slab_pair(L=20, n_bins=400, seed=0):
    """Two genotypes in the middle of one thin bin of the gene sum, far apart."""
    from alife.gpmap.toy import SumIntervalMap
    m = SumIntervalMap(L, n_bins)
    rng = np.random.default_rng(seed)
    width = 2.0 * L / n_bins
    centre = -L + (n_bins // 2 + 0.5) * width          # the middle of bin n_bins/2
    pts = []
    for _ in range(2):
        g = rng.uniform(-0.8, 0.8, L)
        g += (centre - g.sum()) / L                      # same sum, same bin
        pts.append(g.astype(np.float32))
    return m, pts[0], pts[1]


def test_staircase_follows_a_thin_neutral_line():
    # the phenotype is a slab of width 0.1 in the gene sum: the straight line
    # keeps the sum, but a one-gene move of the whole gap leaves the slab
    m, a, b = _thin_slab_pair()
    p = m.phenotypes(a[None])[0]
    assert m.phenotypes(b[None])[0] == p
    path = staircase_path(m, np.stack([a, b]), max_evaluations=200_000)
    assert path is not None
    assert np.array_equal(path[0], a) and np.array_equal(path[-1], b)
    assert (m.phenotypes(path) == p).all()
    assert ((path[1:] != path[:-1]).sum(axis=1) == 1).all()
    # neutral_path tries the staircase first, so it finds the path too
    assert neutral_path(m, a, b, rng=np.random.default_rng(0), max_evaluations=200_000) is not None
    # and the finest staircase is needed: with no halvings allowed it fails
    assert staircase_path(m, np.stack([a, b]), max_depth=0) is None


def test_staircase_stops_at_a_broken_waypoint_or_midpoint():
    m, a, b = _thin_slab_pair()
    off = a.copy()
    off[0] += 1.0                                        # leaves the slab
    assert staircase_path(m, np.stack([a, off, b])) is None
    # a polyline through a second neutral point is followed through it
    c = a.copy()
    c[:10] += 0.05
    c[10:] -= 0.05                                       # same sum: neutral waypoint
    path = staircase_path(m, np.stack([a, c, b]), max_evaluations=200_000)
    assert path is not None and (m.phenotypes(path) == m.phenotypes(a[None])[0]).all()
    assert any(np.array_equal(row, c) for row in path)  # it passes through the waypoint


def test_phenotype_totals_without_pairs_equal_those_with_pairs():
    rng = np.random.default_rng(9)
    space = DiscreteSpace(5, 3)
    table = random_table(rng, 5, 3, 6)
    a = networks_from_table(space, table)
    a.dense_limit = 0                                  # grouped path: pairs on demand
    no = a.group_stats("phenotype", pairs=False)
    assert all(x.size == 0 for x in no[5:]) and "pstats" not in a._cache
    full = a.group_stats("phenotype")
    for x, y in zip(no[:5], full[:5]):
        np.testing.assert_array_equal(x, y)
    assert full[5].size > 0
    b = networks_from_table(space, table)              # dense path: pairs come free
    for x, y in zip(b.group_stats("phenotype", pairs=False)[:5], full[:5]):
        np.testing.assert_allclose(x, y, rtol=1e-14)
