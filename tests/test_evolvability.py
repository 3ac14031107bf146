"""Rarefied evolvability and Cowperthwaite's E_C against brute force."""
import itertools
import math

import numpy as np
import pytest

from alife.neutral.evolvability import (MutantCounts, cowperthwaite_estimate, mutant_counts,
                                        pool_counts, rarefied_evolvability, tally_mutants)
from alife.neutral.measures import cowperthwaite_evolvability


def _labels(counts, kept, undefined):
    """Mutant labels: 0 = parent, -1 = undefined, q >= 1 new phenotype q."""
    lab = [0] * kept + [-1] * undefined
    for q, c in enumerate(counts, start=1):
        lab += [q] * c
    return np.array(lab)


def test_rarefaction_equals_exact_enumeration_of_subsamples():
    counts, kept, undef = [3, 2, 1, 1], 4, 1
    lab = _labels(counts, kept, undef)
    N = lab.size
    for m in (1, 2, 3, 5, N):
        ks = [len({x for x in lab[list(c)] if x > 0})
              for c in itertools.combinations(range(N), m)]
        e, lo, hi, sd = rarefied_evolvability(np.array(counts), m, n=N)
        assert e == pytest.approx(np.mean(ks), abs=1e-10)
        assert sd == pytest.approx(np.std(ks), abs=1e-9)       # Heck's variance, exactly
        assert 0 <= lo <= e <= hi <= len(counts)
    assert rarefied_evolvability(np.array(counts), N, n=N)[0] == pytest.approx(len(counts))


def test_rarefaction_matches_random_subsamples():
    rng = np.random.default_rng(1)
    counts = rng.integers(1, 30, 25)
    lab = _labels(counts, kept=300, undefined=40)
    N, m = lab.size, 100
    sims = [len(np.unique(x[x > 0])) for x in
            (rng.choice(lab, m, replace=False) for _ in range(20000))]
    e, lo, hi, sd = rarefied_evolvability(np.asarray(counts), m, n=N)
    assert e == pytest.approx(np.mean(sims), abs=4 * np.std(sims) / math.sqrt(len(sims)))
    assert sd == pytest.approx(np.std(sims), rel=0.05)
    inside = np.mean([(lo <= s <= hi) for s in sims])
    assert inside > 0.9


def test_rarefaction_refuses_bad_input():
    with pytest.raises(ValueError, match="m must lie"):
        rarefied_evolvability(np.array([2, 1]), 11, n=10)
    with pytest.raises(ValueError, match="more than N"):
        rarefied_evolvability(np.array([8, 5]), 3, n=10)
    with pytest.raises(ValueError, match="give n"):
        rarefied_evolvability(np.array([8, 5]), 3)
    assert rarefied_evolvability(np.zeros(0, int), 3, n=10) == (0.0, 0.0, 0.0, 0.0)


def test_cowperthwaite_unbiased_and_plug_in():
    counts = np.array([5, 3, 2])
    u, plug, C = cowperthwaite_estimate(counts)
    assert C == 10
    assert plug == pytest.approx(cowperthwaite_evolvability(counts))
    # unbiased Simpson: the chance that two mutants drawn without replacement differ
    lab = _labels(counts, 0, 0)
    differ = [lab[i] != lab[j] for i, j in itertools.permutations(range(lab.size), 2)]
    assert u == pytest.approx(np.mean(differ))
    # its expectation over samples is the true E_C
    rng = np.random.default_rng(2)
    p = np.array([0.5, 0.3, 0.15, 0.05])
    true = 1 - np.sum(p ** 2)
    est = [cowperthwaite_estimate(np.bincount(rng.choice(4, 8, p=p), minlength=4))[0]
           for _ in range(20000)]
    assert np.mean(est) == pytest.approx(true, abs=0.01)
    assert math.isnan(cowperthwaite_estimate(np.array([1]))[0])


def test_tally_and_draw_mutants_on_a_toy_map():
    from alife.gpmap import make
    from alife.neutral.robustness_curves import Block, SiteResample
    mc = tally_mutants(3, np.array([3, 3, 1, 1, 1, -1, 2]))
    assert (mc.n, mc.kept, mc.undefined, mc.new.tolist()) == (7, 2, 1, [3, 1])
    mc2 = tally_mutants(np.array([0, 1]), np.array([[0, 1], [1, 1], [-1, 0], [1, 1]]))
    assert (mc2.kept, mc2.undefined, mc2.new.tolist()) == (1, 1, [2])
    with pytest.raises(ValueError, match="parent has no phenotype"):
        tally_mutants(-1, np.array([1, 2]))
    assert pool_counts([mc, MutantCounts(4, 0, 0, np.array([4]), (mc.keys[1],))]).tolist() == [5, 3]

    class Letters:           # one-site resample of a letter genome
        name = "resample"

        def mutants(self, g, s, n, rng):
            out = np.repeat(g[None], n, axis=0)
            out[np.arange(n), rng.integers(0, g.size, n)] = rng.integers(0, 3, n)
            return out
    gm = make("toy", name="count", L=6, K=3)
    g = np.array([0, 0, 1, 2, 1, 2])
    mc = mutant_counts(gm, g, Letters(), 1 / 6, 300, np.random.default_rng(0))
    # 'count' = number of letter 0: one site changes it by at most one
    assert mc.n == 300 and mc.n_new == 2 and mc.kept + mc.new.sum() == 300
    assert 0.4 < mc.robustness < 0.75
    k = SiteResample([Block("x", 0, 4, -1.0, 1.0)])
    same = mutant_counts(lambda G: (G[:, 0] > 0).astype(np.int64), np.full(4, 0.5, np.float32),
                         k, 0.25, 200, np.random.default_rng(3))
    assert same.n_new == 1 and 0.5 < same.robustness < 0.95


def test_pool_counts_refuses_mixed_phenotypes():
    a = tally_mutants(1, np.array([1, 2, 2]))
    b = tally_mutants(2, np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="different phenotypes"):
        pool_counts([a, b])
    assert pool_counts([a, tally_mutants(1, np.array([3, 2]))]).tolist() == [3, 1]
