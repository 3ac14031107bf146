"""The derivative-free neutral path search (alife.neutral.pathsearch), its checker
and its storage: it finds known connections, never reports a path between
genotypes in different exact genotype networks, and every stored path
re-develops step by step to the endpoints' phenotype."""
from __future__ import annotations

import numpy as np
import pytest

from alife.gpmap import make
from alife.gpmap.base import CachedMap
from alife.gpmap.hnca import HNCAMap
from alife.nca import HNCASpec
from alife.neutral import exhaustive, neutral_walks
from alife.neutral.pathfile import check_path_file, read_path_file, write_path_file
from alife.neutral.pathsearch import search_path, symmetry_join, verify_path

BIEL8 = HNCASpec.preset("bielawski", base_size=8, steps=10)
FLAT8 = HNCASpec.preset("bielawski", levels=1, base_size=8, steps=10)


@pytest.fixture(scope="module")
def control():
    """A Bielawski genome and the end of a 150-step neutral walk from it: connected."""
    gm = HNCAMap(BIEL8)
    G = BIEL8.random_genomes(200, seed=5)
    a = G[np.flatnonzero(gm.phenotypes(G) >= 0)[0]]
    w = neutral_walks(gm, a, 150, 1, np.random.default_rng(1))
    return gm, a, w.genotypes[-1, 0]


def test_search_connects_a_walk_and_the_path_is_verified(control):
    gm, a, b = control
    r = search_path(gm, a, b, rng=np.random.default_rng(0), max_evaluations=60_000)
    assert r.found and r.stop == "found" and r.n_evaluations <= 60_000
    P = r.path
    np.testing.assert_array_equal(P[0], a)
    np.testing.assert_array_equal(P[-1], b)
    assert np.all((P[1:] != P[:-1]).sum(axis=1) == 1)
    ids = HNCAMap(BIEL8).phenotypes(P)              # a fresh map: no cache
    assert np.all(ids == ids[0]) and ids[0] >= 0
    assert verify_path(gm, P).ok
    # quotient distance: the 13 neutral directions of base 8 only shorten it
    assert r.quotient_distance <= r.distance + 1e-9
    # deterministic given the generator
    again = search_path(gm, a, b, rng=np.random.default_rng(0), max_evaluations=60_000)
    np.testing.assert_array_equal(again.path, P)
    assert again.n_evaluations == r.n_evaluations


def test_a_tiny_budget_stops_on_budget(control):
    gm, a, b = control
    r = search_path(gm, a, b, rng=np.random.default_rng(0), max_evaluations=50)
    assert not r.found and r.stop == "budget" and r.path is None and r.n_evaluations <= 50


def test_symmetry_join_reaches_the_canonical_representative(control):
    gm, a, _ = control
    c, P = symmetry_join(gm, a)
    assert P is not None and np.array_equal(P[0], a) and np.array_equal(P[-1], c)
    assert verify_path(gm, P).ok
    assert not np.array_equal(a, c)


def test_verify_path_rejects_bad_paths(control):
    gm, a, b = control
    two = a.copy()
    two[:2] += np.float32(1e-3)
    assert not verify_path(gm, np.stack([a, two])).ok          # two genes at once
    assert "changes 2 genes" in verify_path(gm, np.stack([a, two])).reason
    other = a.copy()
    G = BIEL8.random_genomes(50, seed=9)
    ids = gm.phenotypes(G)
    j = int(np.flatnonzero((ids != gm.phenotypes(a[None])[0]))[0])
    other[:] = G[j]
    chk = verify_path(gm, np.stack([a, other]))
    assert not chk.ok and chk.bad_step == 1


@pytest.fixture(scope="module")
def lattice():
    gm = make("hnca", spec=FLAT8, lattice_k=3)
    return gm, exhaustive(gm)


def _pairs(nets, rng, same: bool, n: int):
    multi = [int(p) for p in nets.phenotype_ids if nets.components_of(int(p)).size > 1]
    out = []
    while len(out) < n:
        comps = nets.components_of(multi[int(rng.integers(len(multi)))])
        big = comps[np.argmax(nets.component_sizes[comps])]
        if same:
            r = nets.ranks_of(component=int(big))
            if r.size < 2:
                continue
            a, b = rng.choice(r, 2, replace=False)
        else:
            a = rng.choice(nets.ranks_of(component=int(big)))
            b = rng.choice(nets.ranks_of(component=int(rng.choice(comps[comps != big]))))
        out.append((int(a), int(b)))
    return out


def test_on_the_exhaustive_lattice_never_a_path_between_networks(lattice):
    """Ground truth: same-phenotype genotypes in different exact genotype
    networks are never reported connected; pairs in one network are, and every
    step of the path stays in that network."""
    gm, nets = lattice
    rng = np.random.default_rng(0)
    sp = gm.space
    for k, (a, b) in enumerate(_pairs(nets, rng, False, 12)):
        r = search_path(gm, sp.unrank([a])[0], sp.unrank([b])[0],
                        rng=np.random.default_rng(k), max_evaluations=3000)
        assert not r.found and r.path is None
    found = 0
    for k, (a, b) in enumerate(_pairs(nets, rng, True, 12)):
        r = search_path(gm, sp.unrank([a])[0], sp.unrank([b])[0],
                        rng=np.random.default_rng(k), max_evaluations=3000)
        if r.found:
            found += 1
            comp = nets.component[sp.rank(r.path)]
            assert np.all(comp == nets.component[a])
            assert np.all((r.path[1:] != r.path[:-1]).sum(axis=1) == 1)
    assert found >= 10


class _LyingMap(HNCAMap):
    """A map whose graded distance says every genotype has the target phenotype."""

    def _distance_to(self, genotypes, target):
        return np.zeros(len(genotypes))


def test_a_path_the_phenotypes_refute_is_never_reported():
    gm = _LyingMap(BIEL8)
    G = BIEL8.random_genomes(400, seed=2)
    ids = gm.phenotypes(G)
    vals, cnt = np.unique(ids[ids >= 0], return_counts=True)
    pid = vals[np.argmax(cnt)]
    idx = np.flatnonzero(ids == pid)
    honest, refused = HNCAMap(BIEL8), 0
    for i, j in zip(idx[:-1], idx[1:]):
        try:
            r = search_path(gm, G[i], G[j], rng=np.random.default_rng(0),
                            max_evaluations=20_000, symmetries=None)
        except RuntimeError as e:
            assert "disagree" in str(e)
            refused += 1
            continue
        assert verify_path(honest, r.path).ok      # reported only when it is true
    assert refused >= 1


def test_bad_input_is_a_one_line_error(control):
    gm, a, b = control
    with pytest.raises(ValueError, match="graded distance"):
        search_path(make("toy", name="count", L=4, K=2), [0, 0, 1, 1], [1, 1, 0, 0],
                    rng=np.random.default_rng(0))
    G = BIEL8.random_genomes(100, seed=3)
    ids = gm.phenotypes(G)
    c = G[int(np.flatnonzero((ids >= 0) & (ids != gm.phenotypes(a[None])[0]))[0])]
    with pytest.raises(ValueError, match="share one defined phenotype"):
        search_path(gm, a, c, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        search_path(gm, a, b, rng=0)
    with pytest.raises(ValueError, match="n_pivots"):
        search_path(gm, a, b, rng=np.random.default_rng(0), n_pivots=0)


def test_distance_hooks_count_and_match_the_phenotype(control):
    gm, a, _ = control
    t = gm.target_of(a)
    G = BIEL8.random_genomes(64, seed=4)
    n0 = gm.n_evaluations
    d = gm.distance_to(G, t)
    assert gm.n_evaluations == n0 + 64
    same = gm.phenotypes(G) == gm.phenotypes(a[None])[0]
    np.testing.assert_array_equal(d == 0, same)
    cm = CachedMap(gm)
    np.testing.assert_array_equal(cm.distance_to(G, t), d)
    assert cm.has_distance and not make("toy", name="count", L=4, K=2).has_distance


def test_rna_base_pair_distance():
    from alife.gpmap.rna import DEGENERATE, base_pair_distance
    assert base_pair_distance("((...))", "((...))") == 0
    assert base_pair_distance("((...))", ".(...).") == 1
    assert base_pair_distance("((...))", ".......") == 2
    assert base_pair_distance(DEGENERATE, "((...))") == 3
    with pytest.raises(ValueError, match="unbalanced"):
        base_pair_distance("((..)", ".....")


def test_rna_map_distance_is_zero_exactly_on_the_structure():
    pytest.importorskip("RNA")
    rna = make("rna", length=12)
    seqs = rna.space.encode(["GCACCGUCGGGC", "GGGAAACCCAAA", "AAAAAAAAAAAA"])
    t = rna.target_of(seqs[0])
    d = rna.distance_to(seqs, t)
    assert d[0] == 0 and t == "((.((...))))"
    assert np.all((d == 0) == (np.array(rna.structures(seqs)) == t))


def test_path_file_round_trip_and_check(tmp_path, control):
    gm, a, b = control
    r = search_path(gm, a, b, rng=np.random.default_rng(0), max_evaluations=60_000)
    p = int(gm.phenotypes(a[None])[0])
    recs = [{"label": "control", "found": True, "phenotype": p, "steps": 10, "path": r.path},
            {"label": "none", "found": False, "phenotype": p, "steps": 10, "path": None}]
    f = write_path_file(tmp_path / "paths.h5", BIEL8, recs)
    spec, back = read_path_file(f)
    assert spec == BIEL8 and back[1]["path"] is None and back[0]["label"] == "control"
    assert back[0]["path"].dtype == np.float32 and back[0]["path"].shape == r.path.shape
    checks = check_path_file(f)
    assert checks[0].ok and checks[1] is None
    # a tampered path fails the check: one row moved off the staircase
    bad = r.path.copy()
    bad[len(bad) // 2] = bad[0]
    recs[0]["path"] = bad
    f2 = write_path_file(tmp_path / "bad.h5", BIEL8, recs)
    assert not check_path_file(f2)[0].ok
    with pytest.raises(Exception, match="already exists"):
        write_path_file(f, BIEL8, recs)
