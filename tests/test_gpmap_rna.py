"""The RNA secondary-structure GP map (ViennaRNA), fold_all and the fold cache."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from alife.gpmap import CachedMap, DiscreteSpace, label_id
from alife.gpmap.rna import (DEGENERATE, FoldSettings, FoldTable, RNAMap, TableRNAMap,
                             fold_all, fold_sequences, load_fold_cache, published_index,
                             save_fold_cache)


@pytest.fixture
def RNA():
    mod = pytest.importorskip("RNA")
    yield mod
    mod.params_load_RNA_Turner2004()       # ViennaRNA's own default, for other tests


def _random_seqs(n, L, seed=0):
    rng = np.random.default_rng(seed)
    return ["".join(r) for r in np.array(list("ACGU"))[rng.integers(0, 4, (n, L))]]


# --------------------------------------------------------------------- folding
def test_hand_checkable_structures(RNA):
    m = RNAMap(10)
    # only G-C pairs are possible: the three-pair stem closing the AAAA loop
    assert m.fold(["GGGAAAACCC"]) == ["(((....)))"]
    ids = m.phenotypes(m.space.encode(["GGGAAAACCC", "AAAAAAAAAA", "GGGGGGGGGG"]))
    assert ids[0] == label_id("(((....)))") and m.label(ids[0]) == "(((....)))"
    assert ids[1] == -1 and ids[2] == -1                  # nothing can pair: unfolded
    assert m.label(-1) == "." * 10
    # the energy set matters: Turner 1999 rewards the GAAA tetraloop
    assert RNAMap(11).fold(["GGGGAAACCCC"]) == ["(((....)))."]
    assert RNAMap(11, energy_params="turner2004").fold(["GGGGAAACCCC"]) == ["((((...))))"]
    # too short to close a hairpin
    assert RNAMap(4).fold(["GGCC"]) == ["...."]
    # the worked example of the published RNA12 data (gp-maps-nav README.md)
    assert RNAMap(12).fold(["GCACCGUCGGGC"]) == ["((.((...))))"]


@pytest.mark.parametrize("params", ["turner2004", "turner1999"])
def test_parity_with_RNA_fold(RNA, params):
    seqs = _random_seqs(300, 14, seed=1) + ["GGGGAAACCCC" + "AAA", "GCACCGUCGGGCAU"]
    m = RNAMap(14, energy_params=params)
    got = m.fold(seqs)
    getattr(RNA, f"params_load_RNA_{params.capitalize()}")()
    want = [RNA.fold(s)[0] for s in seqs]            # RNA.fold: dangles 2, 37 C, no noLP
    assert got == want
    ids = m.phenotypes(m.space.encode(seqs))
    assert ids.tolist() == [-1 if s == "." * 14 else label_id(s) for s in want]
    assert all(m.label(i) == s for i, s in zip(ids, want) if i >= 0)
    assert m.n_evaluations == len(seqs)


def test_settings_are_applied(RNA):
    seqs = _random_seqs(200, 16, seed=2)
    md = RNA.md()
    md.dangles, md.noLP, md.temperature = 0, 1, 25.0
    RNA.params_load_RNA_Turner2004()
    want = [RNA.fold_compound(s, md).mfe()[0] for s in seqs]
    got = fold_sequences(seqs, energy_params="turner2004", dangles=0, noLP=True,
                         temperature=25.0)
    assert got == want
    assert got != fold_sequences(seqs, energy_params="turner2004")


def test_degenerate_ties(RNA):
    seqs = _random_seqs(3000, 12, seed=3)
    md = RNA.md()
    md.uniq_ML = 1
    RNA.params_load_RNA_Turner1999()
    n_mfe = {s: len(RNA.fold_compound(s, md).subopt(0)) for s in seqs}
    degen = [s for s in seqs if n_mfe[s] > 1 and RNA.fold_compound(s, md).mfe()[0] != "." * 12]
    assert degen, "expected some sequences with a degenerate folded MFE"
    mfe = RNAMap(12)
    und = RNAMap(12, ties="undefined")
    g = mfe.space.encode(degen[:5])
    assert (mfe.phenotypes(g) >= 0).all()
    assert (und.phenotypes(g) == -1).all()
    assert und.fold(degen[:2]) == [DEGENERATE] * 2
    assert und.label(-1) == "undefined"
    # non-degenerate sequences fold the same either way
    plain = [s for s in seqs[:500] if n_mfe[s] == 1]
    assert und.fold(plain) == mfe.fold(plain)
    assert und.fold([s for s in seqs if n_mfe[s] > 1][:3]) == [DEGENERATE] * 3


def test_rna12_defaults_and_published_index(RNA):
    m = RNAMap(12)
    assert m.settings == FoldSettings("turner1999", 2, 37.0, False, "mfe")
    assert m.space == DiscreteSpace(12, 4, "ACGU")
    # gp-maps-nav README.md: line 12557964 of geno_list0.txt is GCACCGUCGGGC
    assert published_index(m.space.encode(["GCACCGUCGGGC"])).tolist() == [12557963]
    assert published_index(m.space.encode(["AAAAAAAAAAAA", "UAAAAAAAAAAA",
                                           "AAAAAAAAAAAG"])).tolist() == [0, 1, 3 * 4 ** 11]


# --------------------------------------------------------------------- fold_all
def test_fold_all_in_process_matches_the_map(RNA):
    t = fold_all(7, n_workers=0, chunk=5000)
    assert t.codes.dtype == np.uint16 and len(t.codes) == 4 ** 7 and t.start == 0
    assert t.structures == [".......", "(....).", ".(....)"]    # all there is at L = 7
    m = RNAMap(7)
    all_g = m.space.all_genotypes()
    assert np.array_equal(t.ids, m.phenotypes(all_g))
    assert [t.structures[c] for c in t.codes[:50]] == m.structures(all_g[:50])
    assert t.n_phenotypes == len(t.structures) - 1
    assert 0 < t.undefined_fraction < 1
    tm = TableRNAMap(t)
    sample = all_g[np.random.default_rng(0).integers(0, len(all_g), 100)]
    assert np.array_equal(tm.phenotypes(sample), m.phenotypes(sample))
    pid = next(i for i in t.ids if i >= 0)
    assert tm.label(pid) == m.label(pid)
    assert np.array_equal(CachedMap(tm).phenotypes(sample), tm.phenotypes(sample))


def test_fold_all_spawn_pool_and_chunking_agree(RNA):
    a = fold_all(9, n_workers=2, start=1000, stop=4000, chunk=700)
    b = fold_all(9, n_workers=0, start=1000, stop=4000, chunk=3000)
    assert a.structures == b.structures and np.array_equal(a.codes, b.codes)
    assert a.start == 1000 and len(a.codes) == 3000 and a.seconds > 0 and a.rate > 0
    m = RNAMap(9)
    g = m.space.unrank(np.arange(1000, 4000))
    assert np.array_equal(a.ids, m.phenotypes(g))
    seen = []
    fold_all(5, n_workers=0, chunk=300, progress=lambda d, n: seen.append((d, n)))
    assert seen[-1] == (4 ** 5, 4 ** 5) and len(seen) == -(-4 ** 5 // 300)


# --------------------------------------------------------------------- cache
def _table(L=5, **settings):
    rng = np.random.default_rng(0)
    structs = ["." * L, "(...)", ".(...)"[:L]]
    return FoldTable(L, FoldSettings(**settings), rng.integers(0, 3, 4 ** L).astype(np.uint16),
                     structs, 0, 1.0, "test")


def test_cache_round_trip(tmp_path):
    t = _table()
    p = save_fold_cache(tmp_path / "sub" / "rna5.h5", t)
    u = load_fold_cache(p, L=5)
    assert u.L == 5 and u.settings == t.settings and u.structures == t.structures
    assert np.array_equal(u.codes, t.codes) and u.codes.dtype == np.uint16
    assert np.array_equal(u.ids, t.ids) and u.viennarna_version == "test"
    v = _table(energy_params="turner2004", dangles=0, noLP=True, ties="undefined",
               temperature=25.0)
    save_fold_cache(tmp_path / "b.h5", v)
    w = load_fold_cache(tmp_path / "b.h5", energy_params="turner2004", dangles=0, noLP=True,
                        ties="undefined", temperature=25.0)
    assert w.settings == v.settings and np.array_equal(w.codes, v.codes)
    assert load_fold_cache(tmp_path / "b.h5", settings=v.settings).settings == v.settings


def test_cache_refuses_other_settings(tmp_path):
    p = save_fold_cache(tmp_path / "c.h5", _table())
    for kw, word in [({"energy_params": "turner2004"}, "energy_params"),
                     ({"dangles": 0}, "dangles"), ({"ties": "undefined"}, "ties"),
                     ({"noLP": True}, "noLP"), ({"temperature": 30.0}, "temperature")]:
        with pytest.raises(ValueError, match=word) as e:
            load_fold_cache(p, **kw)
        assert "\n" not in str(e.value) and "other settings" in str(e.value)
    with pytest.raises(ValueError, match="L=5, not L=12"):
        load_fold_cache(p, L=12)
    with pytest.raises(FileNotFoundError, match="fold_all"):
        load_fold_cache(tmp_path / "missing.h5")
    import h5py
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    with pytest.raises(ValueError, match="not a fold cache"):
        load_fold_cache(tmp_path / "other.h5")


def test_cache_of_a_real_fold(RNA, tmp_path):
    t = fold_all(5, n_workers=0)
    u = load_fold_cache(save_fold_cache(tmp_path / "r.h5", t), L=5)
    assert np.array_equal(TableRNAMap(u).phenotypes(RNAMap(5).space.all_genotypes()),
                          RNAMap(5).phenotypes(RNAMap(5).space.all_genotypes()))


# --------------------------------------------------------------------- bad input
def test_bad_input(RNA):
    m = RNAMap(8)
    with pytest.raises(ValueError, match="length 7, expected 8"):
        m.fold(["ACGUACG"])
    with pytest.raises(ValueError, match="outside the alphabet"):
        m.fold(["ACGUACGX"])
    with pytest.raises(ValueError, match=r"shape \(n, 8\)"):
        m.phenotypes(np.zeros((2, 7), np.uint8))
    with pytest.raises(ValueError, match="0..3"):
        m.phenotypes(np.full((1, 8), 4, np.uint8))
    with pytest.raises(KeyError, match="not been produced"):
        m.label(12345)
    with pytest.raises(ValueError, match="start <= stop"):
        fold_all(4, n_workers=0, start=10, stop=5)
    with pytest.raises(ValueError, match="complete table"):
        TableRNAMap(fold_all(4, n_workers=0, stop=10))


def test_bad_settings():
    for kw, match in [({"energy_params": "turner2099"}, "turner1999"),
                      ({"dangles": 5}, "dangles"), ({"ties": "first"}, "ties"),
                      ({"temperature": float("nan")}, "temperature"),
                      ({"noLP": "yes"}, "noLP"),
                      ({"ties": "undefined", "dangles": 1}, "subopt")]:
        with pytest.raises(ValueError, match=match):
            FoldSettings(**kw)
        with pytest.raises(ValueError, match=match):
            RNAMap(12, **kw)
    with pytest.raises(ValueError, match="L must be"):
        RNAMap(0)


def test_missing_viennarna_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "RNA", None)       # import RNA -> ImportError
    m = RNAMap(12)                                       # lazy: construction works
    with pytest.raises(ImportError, match=r"pip install 'alife-neutral\[rna\]'") as e:
        m.fold(["GCACCGUCGGGC"])
    assert "\n" not in str(e.value)
    with pytest.raises(ImportError, match="alife"):
        fold_all(4, n_workers=0)
