"""Wagner's correlations three ways (alife.neutral.correlations).

Invariants protected:

* ranks from weighted codes equal scipy's average ranks of the expanded sample;
* the pooled coefficient equals scipy's Spearman over every defined genotype
  of a random table, and a cluster-bootstrap weighting equals Spearman over
  the explicitly repeated genotypes;
* the within-phenotype coefficients equal a per-phenotype scipy loop (NaN for
  small or constant phenotypes);
* the partial coefficient equals a naive rank-residual computation, is ~0
  when x and y depend on z only, and each bootstrap replicate equals the
  statistic of the expanded resample;
* interval helpers give textbook values.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from alife.gpmap.base import DiscreteSpace
from alife.neutral import networks_from_table
from alife.neutral.correlations import (average_ranks, bootstrap_spearman, column_types,
                                        spearman_pair,
                                        clopper_pearson_interval, genotype_cells,
                                        partial_spearman, percentile_interval,
                                        pooled_spearman, wagner_three_ways, weighted_pearson,
                                        wilson_interval, within_spearman)
from alife.neutral.measures import (genotype_evolvability, genotype_robustness,
                                    phenotype_measures)


def _nets(seed=0, L=7, K=3, P=30, p_undef=0.1, p_flip=0.02):
    rng = np.random.default_rng(seed)
    space = DiscreteSpace(L, K)
    # correlated table: phenotype from the first three letters (random lookup), noise elsewhere
    r = np.arange(space.size)
    t = rng.integers(0, P, K ** 3)[r // K ** (L - 3)]
    flip = rng.random(space.size) < p_flip
    t[flip] = rng.integers(0, P, flip.sum())
    t[rng.random(space.size) < p_undef] = -1
    return networks_from_table(space, t)


def test_average_ranks_match_scipy_on_the_expanded_sample():
    rng = np.random.default_rng(1)
    v = rng.integers(0, 7, 40)
    w = rng.integers(0, 4, 40)
    codes, n = np.unique(v, return_inverse=True)[1], np.unique(v).size
    got = average_ranks(codes, n, w)
    expanded = np.repeat(v, w)
    want = stats.rankdata(expanded)
    # every copy of item i has the rank of its value
    assert np.allclose(np.repeat(got, w), want)
    assert np.allclose(average_ranks(codes, n), stats.rankdata(v))


def test_weighted_pearson_is_pearson_of_repeated_items():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=30), rng.normal(size=30)
    w = rng.integers(1, 5, 30)
    want = np.corrcoef(np.repeat(x, w), np.repeat(y, w))[0, 1]
    assert weighted_pearson(x, y, w) == pytest.approx(want)
    assert np.isnan(weighted_pearson(np.ones(5), np.arange(5.0)))


def test_pooled_spearman_equals_scipy_over_every_genotype():
    nets = _nets()
    r, e = genotype_robustness(nets), genotype_evolvability(nets)
    ok = nets.phenotype >= 0
    cells = genotype_cells(nets)
    assert cells.n_genotypes == ok.sum()
    assert pooled_spearman(cells) == pytest.approx(stats.spearmanr(r[ok], e[ok]).statistic)
    # a cluster-bootstrap weighting = Spearman over genotypes repeated m[p] times
    m = np.random.default_rng(7).integers(0, 4, nets.n_phenotypes)
    reps = m[nets.phenotype_index[ok]]
    want = stats.spearmanr(np.repeat(r[ok], reps), np.repeat(e[ok], reps)).statistic
    assert pooled_spearman(cells, m) == pytest.approx(want)


def test_within_spearman_equals_a_per_phenotype_loop():
    nets = _nets(seed=3)
    r, e = genotype_robustness(nets), genotype_evolvability(nets)
    rho, size = within_spearman(genotype_cells(nets), min_size=10)
    assert np.array_equal(size, nets.phenotype_sizes)
    checked = 0
    for i in range(nets.n_phenotypes):
        sel = nets.phenotype_index == i
        if sel.sum() < 10 or np.ptp(r[sel]) == 0 or np.ptp(e[sel]) == 0:
            assert np.isnan(rho[i]), i
            continue
        assert rho[i] == pytest.approx(stats.spearmanr(r[sel], e[sel]).statistic), i
        checked += 1
    assert checked >= 10
    # too small, or constant: NaN
    rho_big, _ = within_spearman(genotype_cells(nets), min_size=10 ** 6)
    assert np.isnan(rho_big).all()
    space = DiscreteSpace(4, 2)
    const = networks_from_table(space, np.zeros(16, np.int64))   # every r = 1, e = 0
    assert np.isnan(within_spearman(genotype_cells(const), min_size=2)[0]).all()


def _naive_partial(x, y, z):
    rx, ry, rz = (stats.rankdata(a) for a in (x, y, z))
    A = np.c_[np.ones_like(rz), rz]
    ex = rx - A @ np.linalg.lstsq(A, rx, rcond=None)[0]
    ey = ry - A @ np.linalg.lstsq(A, ry, rcond=None)[0]
    return np.corrcoef(ex, ey)[0, 1]


def test_partial_spearman_removes_what_goes_through_z():
    rng = np.random.default_rng(4)
    z = rng.normal(size=400)
    x = z + 0.3 * rng.normal(size=400)
    y = z ** 3 + 0.3 * rng.normal(size=400)
    rho, p, n = partial_spearman(x, y, z)
    assert n == 400 and rho == pytest.approx(_naive_partial(x, y, z))
    assert stats.spearmanr(x, y).statistic > 0.8 and abs(rho) < 0.15
    # a real partial association survives
    y2 = y + 2 * (x - z)
    rho2, p2, _ = partial_spearman(x, y2, z)
    assert rho2 > 0.5 and p2 < 1e-10
    # ties and NaN
    xt = np.round(x)
    xt[0] = np.nan
    assert partial_spearman(xt, y, z)[0] == pytest.approx(_naive_partial(xt[1:], y[1:], z[1:]))


def test_bootstrap_replicates_are_the_statistic_of_the_expanded_resample():
    rng = np.random.default_rng(5)
    x, y, z = (np.round(rng.normal(size=60), 1) for _ in range(3))
    x[:10], y[:10], z[:10] = x[0], y[0], z[0]           # ten identical items, merged
    codes = [np.unique(a, return_inverse=True)[1] for a in (x, y, z)]
    n_codes = [np.unique(a).size for a in (x, y, z)]
    for _ in range(3):                                   # any multiplicities: the expanded sample
        w = rng.integers(0, 4, 60)
        idx = np.repeat(np.arange(60), w)
        plain, part = spearman_pair(codes, n_codes, w.astype(float))
        assert plain == pytest.approx(stats.spearmanr(x[idx], y[idx]).statistic)
        assert part == pytest.approx(_naive_partial(x[idx], y[idx], z[idx]))
    reps = bootstrap_spearman(x, y, z, 400, np.random.default_rng(9))
    # replicates scatter around the full-sample values, as resampled items would
    assert np.nanmean(reps[:, 0]) == pytest.approx(stats.spearmanr(x, y).statistic, abs=0.05)
    assert np.nanmean(reps[:, 1]) == pytest.approx(_naive_partial(x, y, z), abs=0.05)
    assert 0.05 < np.nanstd(reps[:, 0]) < 0.3


def test_wagner_three_ways_on_a_table():
    nets = _nets(seed=6)
    w = wagner_three_ways(nets, np.random.default_rng(0), n_boot=50, min_size=10)
    r, e = genotype_robustness(nets), genotype_evolvability(nets)
    ok = nets.phenotype >= 0
    assert w["pooled"]["rho"] == pytest.approx(stats.spearmanr(r[ok], e[ok]).statistic)
    lo, hi = w["pooled"]["ci"]
    assert lo <= hi
    pm = phenotype_measures(nets)
    assert np.ptp(pm.evolvability) > 0
    assert w["phenotype"]["spearman"] == pytest.approx(
        stats.spearmanr(pm.robustness, pm.evolvability).statistic)
    assert w["phenotype"]["partial_given_log_f"] == pytest.approx(
        _naive_partial(pm.robustness, pm.evolvability, np.log10(pm.frequency)))
    wi = w["within"]
    assert wi["n_negative"] == int((wi["rho"][np.isfinite(wi["rho"])] < 0).sum())


def test_intervals():
    lo, hi = clopper_pearson_interval(0, 10)
    assert lo == 0 and hi == pytest.approx(1 - 0.025 ** (1 / 10))
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    assert np.isnan(wilson_interval(0, 0)[0])
    assert percentile_interval(np.arange(101.0), 0.9) == pytest.approx((5.0, 95.0))


def test_column_types_merge_exactly_the_phenotypes_with_equal_tables():
    nets = _nets(seed=8, p_flip=0.2)
    cells = genotype_cells(nets)
    ttype, count = column_types(cells)
    assert count.sum() == nets.n_phenotypes and ttype.max() + 1 == count.size
    tables = {}
    for p in range(nets.n_phenotypes):
        sel = cells.group == p
        tables[p] = tuple(sorted(zip(cells.neutral[sel], cells.evolvability[sel],
                                     cells.count[sel])))
    for p in range(nets.n_phenotypes):
        for q in range(p):
            assert (ttype[p] == ttype[q]) == (tables[p] == tables[q])
    # the multinomial over types gives the pooled coefficient of the phenotypes drawn
    m_types = np.random.default_rng(0).multinomial(nets.n_phenotypes, count / count.sum())
    first = np.unique(ttype, return_index=True)[1]
    m = np.zeros(nets.n_phenotypes)
    m[first] = m_types
    assert pooled_spearman(cells, m) == pytest.approx(
        pooled_spearman(cells, m_types[ttype] / count[ttype]))
