"""The HNCA GP map: parity with develop, stable ids, lattice round trip, oracle."""
from __future__ import annotations

import numpy as np
import pytest

from alife.evolve.lineage import classify
from alife.evolve.mutation import lattice, lattice_values, to_lattice
from alife.gpmap import CachedMap, ContinuousSpace, DiscreteSpace
from alife.gpmap.hnca import (HNCAMap, mutation_class_counts, profiles_and_classes,
                              robustness_profile)
from alife.nca import HNCASpec, develop
from alife.nca.phenotype import phenotype_ids
from alife.tasks import Task
from alife.tasks import loss as task_loss
from alife.tasks import target as task_target


def _small(**kw):
    """A 2-level Bielawski-like HNCA on an 8x8 base grid (fast)."""
    return HNCASpec.preset("bielawski", levels=2, base_size=8, steps=12, **kw)


def _flat():
    """The flat NCA: 9 genes, the 3x3 'around' weights of one level."""
    return HNCASpec.preset("bielawski", levels=1, base_size=8, steps=10)


def _single_ids(spec, genomes, steps=None):
    out = []
    for g in genomes:
        d = develop(spec, g[None], steps=steps)
        out.append(-1 if d.degenerate[0] else int(phenotype_ids(d.phenotypes)[0]))
    return np.array(out, np.int64)


# --------------------------------------------------------------------- spaces
def test_spaces_and_neighbourhood_sizes():
    spec = _small()
    D = spec.n_genes
    hc = HNCAMap(spec, m=3)
    assert isinstance(hc.space, ContinuousSpace) and hc.space.L == D
    assert hc.space.n_neighbours == 3 * D
    hl = HNCAMap(spec, lattice_k=5)
    assert isinstance(hl.space, DiscreteSpace) and (hl.space.L, hl.space.K) == (D, 5)
    assert hl.space.n_neighbours == 4 * D
    rng = np.random.default_rng(0)
    g = spec.random_genomes(2, seed=0)
    nb, per = hc.neighbours(g, rng)
    assert nb.shape == (2, 3 * D, D) and per == 3
    # every continuous mutant differs from its parent in exactly its own gene
    diff = nb != g[:, None, :]
    assert (diff.sum(axis=2) <= 1).all()
    assert (np.argmax(diff, axis=2)[diff.any(axis=2)] ==
            np.repeat(np.arange(D), 3)[None].repeat(2, 0)[diff.any(axis=2)]).all()
    nb, per = hc.neighbours(g, rng, m=2)
    assert nb.shape == (2, 2 * D, D) and per == 2
    letters = hl.to_letters(to_lattice(g, 5))
    nb, per = hl.neighbours(letters)
    assert nb.shape == (2, 4 * D, D) and per == 4
    assert ((nb != letters[:, None, :]).sum(axis=2) == 1).all()
    # every other lattice value of every gene, exactly once
    for i in range(2):
        for gene in range(D):
            vals = nb[i, gene * 4:(gene + 1) * 4, gene]
            assert sorted(vals.tolist() + [letters[i, gene]]) == list(range(5))


# --------------------------------------------------------------------- parity
@pytest.mark.parametrize("lattice_k", [None, 11])
def test_batch_map_matches_single_development(lattice_k):
    spec = _small()
    hm = HNCAMap(spec, lattice_k=lattice_k)
    G = spec.random_genomes(24, seed=3)
    if lattice_k:
        G = to_lattice(G, lattice_k)
    ids = hm.phenotypes(G)
    assert ids.dtype == np.int64 and ids.shape == (24,)
    assert np.array_equal(ids, _single_ids(spec, G))
    assert (ids >= 0).any() and hm.n_evaluations == 24
    # evaluate agrees and carries raw ids, fingerprints and (no target) no loss
    ev = hm.evaluate(G)
    assert np.array_equal(ev["ids"], ids) and ev["loss"] is None
    d = develop(spec, G, fingerprint=True)
    assert np.array_equal(ev["raw_ids"], phenotype_ids(d.phenotypes))
    assert np.array_equal(ev["fingerprints"], d.fingerprints)
    assert np.array_equal(ev["ids"][ev["ids"] >= 0], ev["raw_ids"][ev["ids"] >= 0])


def test_ids_stable_across_batch_splits_and_steps_override():
    spec = _small()
    G = spec.random_genomes(30, seed=5)
    a = HNCAMap(spec).phenotypes(G)
    b = HNCAMap(spec, chunk=7).phenotypes(G)
    c = np.concatenate([HNCAMap(spec).phenotypes(G[i:i + 4]) for i in range(0, 30, 4)])
    assert np.array_equal(a, b) and np.array_equal(a, c)
    ev1, ev2 = HNCAMap(spec).evaluate(G), HNCAMap(spec, chunk=4).evaluate(G)
    for k in ("ids", "raw_ids", "fingerprints"):
        assert np.array_equal(ev1[k], ev2[k])
    s = HNCAMap(spec, steps=3).phenotypes(G)
    assert np.array_equal(s, _single_ids(spec, G, steps=3))
    assert np.array_equal(CachedMap(HNCAMap(spec)).phenotypes(np.concatenate([G, G])),
                          np.concatenate([a, a]))


def test_multichannel_mlp_spec():
    """The neural preset (gemm kernels): parity, and a gene range of +-init_scale."""
    spec = HNCASpec.preset("neural", levels=2, base_size=8, channels=3, hidden=4, steps=6)
    hm = HNCAMap(spec, m=2)
    assert (hm.space.low, hm.space.high) == (-spec.init_scale, spec.init_scale)
    G = spec.random_genomes(12, seed=4)
    ids = hm.phenotypes(G)
    assert np.array_equal(ids, _single_ids(spec, G))
    ev = hm.evaluate(G)
    assert np.array_equal(ev["ids"], ids)
    assert np.array_equal(ev["fingerprints"], develop(spec, G, fingerprint=True).fingerprints)
    mc = mutation_class_counts(hm, G[:2], np.random.default_rng(0))
    assert (sum(mc.values()) == 2 * spec.n_genes).all()


def test_loss_from_target():
    spec = _small()
    G = spec.random_genomes(10, seed=7)
    hm = HNCAMap(spec, target="square")
    ev = hm.evaluate(G)
    d = develop(spec, G)
    assert np.array_equal(ev["loss"], task_loss(d.phenotypes, task_target("square", 8)))
    t = task_target("plus", 8)
    assert np.array_equal(HNCAMap(spec, target=t).evaluate(G)["loss"],
                          task_loss(d.phenotypes, t))


# --------------------------------------------------------------------- lattice
def test_lattice_round_trip_with_evolved_genomes():
    spec = _small()
    K = 21
    hm = HNCAMap(spec, lattice_k=K)
    rng = np.random.default_rng(11)
    pop = to_lattice(spec.random_genomes(16, seed=2), K)
    for _ in range(5):                          # a few generations of lattice mutation
        pop, _ = lattice(pop, rng, k=K, n_genes=2)
    letters = hm.to_letters(pop)
    assert letters.dtype == np.uint8 and letters.max() < K
    assert np.array_equal(hm.to_genomes(letters), pop)
    assert np.array_equal(lattice_values(K)[letters], pop)
    ids = hm.phenotypes(letters)
    assert np.array_equal(ids, hm.phenotypes(pop))           # float genomes on the lattice
    assert np.array_equal(ids, HNCAMap(spec).phenotypes(pop))  # same as the continuous map
    assert np.array_equal(ids, _single_ids(spec, pop))
    # a lattice one-mutant is exactly a lattice-mutation child
    child, mask = lattice(pop[:1], rng, k=K, n_genes=1)
    nb, _ = hm.neighbours(letters[:1])
    assert any(np.array_equal(g, child[0]) for g in hm.to_genomes(nb[0]))


# --------------------------------------------------------------------- oracle
def _oracle(K=21, centre=15):
    """Flat NCA whose only non-zero weight is the centre cell reading itself.

    The seed cell stays rs(w s) > 0 for w > 0 and every other cell stays
    rs(0) = 0: phenotype = the single seed cell.  On paper, one-mutants:
      * centre weight -> another w' > 0: same single cell, other values (cryptic);
      * centre weight -> w' <= 0: the seed dies, all-zero pattern (undefined);
      * another weight -> v <= 0: neighbours get rs(v * 1) = 0 and the seed's
        input gains v * 0 = 0, so the whole trajectory is identical (silent);
      * another weight -> v > 0: the pattern spreads along a line (changed).
    """
    spec = _flat()
    v = lattice_values(K)
    g = np.zeros((1, 9), np.float32)
    g[0, 4] = v[centre]
    return spec, g


def test_oracle_single_weight_lattice():
    K = 21
    spec, g = _oracle(K)
    hm = HNCAMap(spec, lattice_k=K)
    letters = hm.to_letters(g)
    pattern = hm.patterns(letters)[0]
    assert pattern.sum() == 1 and pattern[spec.seed_position]
    pid = hm.phenotypes(letters)[0]
    assert pid >= 0
    v = lattice_values(K)
    n_pos, n_nonpos = int((v > 0).sum()), int((v <= 0).sum())      # 10, 11
    # per gene, on paper: centre keeps w' > 0 other than 0.5; others keep v' < 0
    prof = robustness_profile(hm, letters, np.random.default_rng(0))
    expect = np.full(9, (v < 0).sum() / (K - 1))                   # 10 / 20
    expect[4] = (n_pos - 1) / (K - 1)                              # 9 / 20
    assert np.allclose(prof, expect)
    # which mutants, exactly
    nb, per = hm.neighbours(letters)
    ids = hm.phenotypes(nb[0]).reshape(9, per)
    vals = v[nb[0][np.arange(9 * per), np.repeat(np.arange(9), per)]].reshape(9, per)
    assert np.array_equal(ids[4] == pid, vals[4] > 0)
    assert (ids[4][vals[4] <= 0] == -1).all()                      # dead seed: undefined
    others = np.delete(np.arange(9), 4)
    assert np.array_equal(ids[others] == pid, vals[others] < 0)
    assert (ids[others][vals[others] > 0] >= 0).all()              # spread lines, defined
    # mutation classes, no target: silent 8 * 10, cryptic 9, changed 11 + 8 * 10
    mc = mutation_class_counts(hm, letters, np.random.default_rng(0))
    assert list(mc) == ["silent", "cryptic", "changed"]
    assert (mc["silent"][0], mc["cryptic"][0], mc["changed"][0]) == (80, 9, 11 + 80)
    assert n_nonpos == 11
    # with a target every changed mutant is worse than the single cell here:
    # all-zero scores N*N, a line of 8 cells crosses the central 4x4 square in 4
    mt = mutation_class_counts(HNCAMap(spec, lattice_k=K, target="square"), letters,
                               np.random.default_rng(0))
    assert list(mt) == ["silent", "cryptic", "deleterious", "beneficial", "neutral_changed"]
    assert (mt["silent"][0], mt["cryptic"][0], mt["deleterious"][0]) == (80, 9, 91)
    assert mt["beneficial"][0] == 0 and mt["neutral_changed"][0] == 0


def test_oracle_single_weight_continuous():
    spec, g = _oracle()
    hm = HNCAMap(spec, m=16)
    rng = np.random.default_rng(1)
    nb, per = hm.neighbours(g, np.random.default_rng(1))
    ids = hm.phenotypes(nb[0]).reshape(9, per)
    vals = nb[0][np.arange(9 * per), np.repeat(np.arange(9), per)].reshape(9, per)
    pid = hm.phenotypes(g)[0]
    assert np.array_equal(ids[4] == pid, vals[4] > 0)
    others = np.delete(np.arange(9), 4)
    assert np.array_equal(ids[others] == pid, vals[others] <= 0)
    # the profile draws the same mutants from the same generator state
    prof = robustness_profile(hm, g, rng)
    expect = np.where(np.arange(9) == 4, (vals > 0).mean(axis=1), (vals <= 0).mean(axis=1))
    assert np.allclose(prof, expect)
    mc = mutation_class_counts(hm, g, np.random.default_rng(1))
    assert mc["silent"][0] + mc["cryptic"][0] == (ids == pid).sum()
    assert mc["silent"][0] + mc["cryptic"][0] + mc["changed"][0] == 9 * per


def test_counts_agree_with_classify_on_random_genotypes():
    spec = _small()
    hm = HNCAMap(spec, lattice_k=5, target="square")
    G = hm.to_letters(to_lattice(spec.random_genomes(3, seed=9), 5))
    mc = mutation_class_counts(hm, G, np.random.default_rng(0))
    nb, per = hm.neighbours(G)
    assert sum(mc[k] for k in mc).tolist() == [spec.n_genes * per] * 3
    parent, child = hm.evaluate(G), hm.evaluate(nb[1])
    codes = classify(np.ones(len(nb[1]), bool), np.repeat(parent["loss"][1], len(nb[1])),
                     child["loss"], np.repeat(parent["raw_ids"][1], len(nb[1])),
                     child["raw_ids"], np.repeat(parent["fingerprints"][1], len(nb[1])),
                     child["fingerprints"])
    assert np.bincount(codes, minlength=5)[[1, 2, 3, 0, 4]].tolist() == \
        [int(mc[k][1]) for k in mc]


def test_robustness_profile_needs_a_defined_genotype():
    spec = _flat()
    hm = HNCAMap(spec, lattice_k=3)
    dead = np.ones((2, 9), np.uint8)            # all genes 0: the seed dies
    assert (hm.phenotypes(dead) == -1).all()
    with pytest.raises(ValueError, match="defined phenotype"):
        robustness_profile(hm, dead, np.random.default_rng(0))


# --------------------------------------------------------------------- bad input
def test_bad_input_errors_are_one_line():
    spec = _small()
    D = spec.n_genes
    hc, hl = HNCAMap(spec), HNCAMap(spec, lattice_k=21)
    G = spec.random_genomes(3, seed=0)
    cases = [
        (lambda: hc.phenotypes(G[:, :-1]), f"needs {D} genes"),
        (lambda: hc.evaluate(np.zeros((2, 9), np.float32)), f"needs {D} genes"),
        (lambda: hc.phenotypes(np.where(np.arange(D) == 2, np.nan, G).astype(np.float32)),
         "finite"),
        (lambda: hc.phenotypes(np.full((1, D), np.inf, np.float32)), "finite"),
        (lambda: hc.phenotypes(np.zeros((1, D), np.int64)), "astype"),
        (lambda: hl.phenotypes(G), "to_lattice"),
        (lambda: hl.to_letters(G), "not on the k=21 lattice"),
        (lambda: hl.phenotypes(np.full((1, D), 21, np.uint8)), "outside 0..20"),
        (lambda: hc.to_letters(G), "lattice_k"),
        (lambda: HNCAMap(spec, lattice_k=1), "lattice_k"),
        (lambda: HNCAMap(spec, lattice_k=300), "lattice_k"),
        (lambda: HNCAMap(spec, target=np.zeros((4, 4), bool)), "build the target at N = 8"),
        (lambda: HNCAMap("bielawski"), "HNCASpec"),
        (lambda: HNCAMap(spec, steps=0), "steps"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match) as e:
            call()
        assert "\n" not in str(e.value)
    with pytest.raises(TypeError, match="rng"):
        hc.neighbours(G)


@pytest.mark.parametrize("target", [None, "square"])
def test_profiles_and_classes_in_one_evaluation(target):
    """One neighbourhood evaluation gives what robustness_profile and
    mutation_class_counts give separately with the same draws."""
    from alife.gpmap.hnca import profiles_and_classes
    spec = _small()
    hm = HNCAMap(spec, target=target, m=3)
    G = spec.random_genomes(40, seed=11)
    G = G[hm.phenotypes(G) >= 0][:3]
    assert len(G) == 3
    prof, counts = profiles_and_classes(hm, G, np.random.default_rng(5))
    assert counts.keys() == mutation_class_counts(hm, G, np.random.default_rng(5)).keys()
    for k, v in mutation_class_counts(hm, G, np.random.default_rng(5)).items():
        assert np.array_equal(counts[k], v)
    assert prof.shape == (3, spec.n_genes)
    # genotype 0 alone draws the same neighbourhood as the first block
    np.testing.assert_array_equal(prof[0], robustness_profile(hm, G[:1], np.random.default_rng(5)))
    kept = counts["silent"] + counts["cryptic"]
    np.testing.assert_allclose(prof.mean(axis=1) * spec.n_genes * 3, kept)


# --------------------------------------------------------------------- task modes
def _old_map_evaluation(spec, G, steps=None, target=None, chunk=4096):
    """What HNCAMap.phenotypes / evaluate computed before the map called the
    shared evaluator (its former private row functions, kept as a reference)."""
    n = G.shape[0]
    ids, raw = np.empty(n, np.int64), np.empty(n, np.int64)
    fps, loss = np.empty(n, np.uint64), None if target is None else np.empty(n, np.float64)
    plain = np.empty(n, np.int64)
    for a in range(0, n, chunk):
        plain[a:a + chunk] = develop(spec, G[a:a + chunk], steps=steps).ids
        dev = develop(spec, G[a:a + chunk], steps=steps, fingerprint=True)
        b = a + dev.steps_run.shape[0]
        r = phenotype_ids(dev.phenotypes)
        raw[a:b], ids[a:b], fps[a:b] = r, np.where(dev.degenerate, -1, r), dev.fingerprints
        if loss is not None:
            loss[a:b] = task_loss(dev.phenotypes, target)
    return plain, {"ids": ids, "raw_ids": raw, "fingerprints": fps, "loss": loss}


@pytest.mark.parametrize("kw", [dict(), dict(target="square"), dict(target="plus", steps=5),
                                dict(lattice_k=7, target="diamond", chunk=9)])
def test_final_mode_map_is_unchanged(kw):
    spec = _small()
    hm = HNCAMap(spec, **kw)
    G = spec.random_genomes(60, seed=12)
    if hm.lattice:
        G = to_lattice(G, hm.lattice_k)
    t = None if "target" not in kw else task_target(kw["target"], 8)
    plain, want = _old_map_evaluation(spec, G, kw.get("steps"), t, kw.get("chunk", 4096))
    assert np.array_equal(hm.phenotypes(G), plain)
    got = hm.evaluate(G)
    assert sorted(got) == sorted(want)
    for k, v in want.items():
        if v is None:
            assert got[k] is None
        else:
            assert got[k].dtype == v.dtype and np.array_equal(got[k], v), k
    assert np.array_equal(hm.patterns(G), develop(spec, G, steps=kw.get("steps")).phenotypes)


def _mode_tasks(n):
    return [Task.from_name("square", n),
            Task.from_name("square", n, "homeostasis", homeostasis_k=4),
            Task.from_name("square", n, "damage", damage_step=5, damage_rect=(0, 0, 4, 6))]


@pytest.mark.parametrize("i", range(3))
@pytest.mark.parametrize("lattice_k", [None, 5])
def test_map_under_every_task_mode_is_the_evaluator(i, lattice_k):
    spec = _small()
    task = _mode_tasks(8)[i]
    hm = HNCAMap(spec, task=task, lattice_k=lattice_k, chunk=16)
    G = spec.random_genomes(40, seed=13)
    if lattice_k:
        G = to_lattice(G, lattice_k)
    ev = task.evaluate(spec, G, fingerprint=True)
    assert np.array_equal(hm.phenotypes(G), ev.ids)
    got = hm.evaluate(G)
    for k, v in (("ids", ev.ids), ("raw_ids", ev.raw_ids), ("fingerprints", ev.fingerprints),
                 ("loss", ev.loss)):
        assert np.array_equal(got[k], v), k
    assert np.array_equal(hm.patterns(G), ev.phenotypes)
    assert hm.task is task and np.array_equal(hm.target, task.target)
    assert hm.name.endswith({"final": "genes", "homeostasis": "genes-homeostasis",
                             "damage": "genes-damage"}[task.mode])
    # neutrality and mutation classes under the task: one evaluation of the
    # neighbourhoods, classified with the task's loss
    parents = G[ev.ids >= 0][:2] if not lattice_k else hm.to_letters(G[ev.ids >= 0][:2])
    prof, counts = profiles_and_classes(hm, parents, np.random.default_rng(3), m=2)
    nb, per = hm.neighbours(parents, np.random.default_rng(3), m=2)
    kids = task.evaluate(spec, hm.to_genomes(nb[0]), fingerprint=True)
    mum = task.evaluate(spec, hm.to_genomes(parents[:1]), fingerprint=True)
    k = len(nb[0])
    codes = classify(np.ones(k, bool), np.repeat(mum.loss, k), kids.loss,
                     np.repeat(mum.raw_ids, k), kids.raw_ids, np.repeat(mum.fingerprints, k),
                     kids.fingerprints)
    assert np.bincount(codes, minlength=5)[[1, 2, 3, 0, 4]].tolist() == \
        [int(counts[c][0]) for c in counts]
    same = (kids.ids == mum.ids[0]).reshape(spec.n_genes, per).mean(axis=1)
    assert np.allclose(prof[0], same)


def test_map_task_errors():
    spec = _small()
    cases = [
        (lambda: HNCAMap(spec, target="square", task=Task.from_name("square", 8)), "not both"),
        (lambda: HNCAMap(spec, task="square"), "must be an alife.tasks.Task"),
        (lambda: HNCAMap(spec, task=Task.from_name("square", 16)), "build the target at N = 8"),
        (lambda: HNCAMap(spec, steps=3, task=Task.from_name("square", 8, "homeostasis",
                                                            homeostasis_k=4)), "more than the 3"),
        (lambda: HNCAMap(spec, task=Task.from_name("square", 8, "damage", damage_step=1,
                                                   damage_rect=(6, 0, 3, 1))), "inside the 8x8"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match) as e:
            call()
        assert "\n" not in str(e.value)
