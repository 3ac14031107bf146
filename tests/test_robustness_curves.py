"""Robustness curves (alife.neutral.robustness_curves) against closed forms on a
sign map, where every probability is known exactly."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alife.neutral.robustness_curves import (Block, RMSNoise, SiteResample, robustness_curve,
                                             strength_50)

L = 20
BLOCKS = [Block("w", 0, 12, -1.0, 1.0), Block("b", 12, 20, -1.0, 1.0)]


def signs(genomes):
    """Phenotype: the sign pattern of the genome (an exact, discrete object)."""
    return (np.asarray(genomes) > 0).astype(np.int64)


class SignMap:
    """The same map behind a GPMap-like ``phenotypes`` method (ids, -1 = undefined)."""

    def phenotypes(self, genomes):
        g = np.asarray(genomes)
        ids = (g > 0).astype(np.int64) @ (1 << np.arange(g.shape[1], dtype=np.int64))
        ids[np.abs(g).max(axis=1) > 50] = -1
        return ids


def test_site_resample_changes_exactly_k_sites_from_each_blocks_law():
    parent = np.full(L, 5.0, np.float32)              # outside U(-1, 1): every resample shows
    blocks = [Block("w", 0, 12, -1.0, 1.0), Block("b", 12, 20, 2.0, 3.0)]
    k = SiteResample(blocks)
    m = k.mutants(parent, 0.25, 200, np.random.default_rng(0))
    changed = m != parent[None]
    assert (changed.sum(axis=1) == 5).all() and k.fraction_changed(0.25, L) == 0.25
    assert k.n_sites(1e-9, L) == 1 and k.n_sites(1.0, L) == L
    w, b = m[:, :12][changed[:, :12]], m[:, 12:][changed[:, 12:]]
    assert w.min() >= -1 and w.max() <= 1 and b.min() >= 2 and b.max() <= 3
    # every site is equally likely to be chosen
    counts = changed.sum(axis=0)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_rms_noise_is_scaled_to_each_blocks_rms():
    parent = np.concatenate([np.full(12, 3.0), np.full(8, -0.5)]).astype(np.float32)
    m = RMSNoise(BLOCKS).mutants(parent, 0.1, 4000, np.random.default_rng(1))
    d = m.astype(np.float64) - parent
    assert d[:, :12].std() == pytest.approx(0.3, rel=0.02)
    assert d[:, 12:].std() == pytest.approx(0.05, rel=0.02)


@pytest.mark.parametrize("phen", [signs, SignMap()])
def test_robustness_matches_closed_forms(phen):
    parent = np.ones(L, np.float32)
    n, level = 3000, 0.999           # six intervals checked: 99.9 % each
    # kernel (i): k resampled sites keep every sign with probability 2**-k
    res = robustness_curve(phen, parent, SiteResample(BLOCKS), [1 / L, 2 / L, 3 / L], n, seed=3,
                           level=level)
    for row, k in zip(res, (1, 2, 3)):
        assert row["r_lo"] <= 0.5 ** k <= row["r_hi"], row
        assert row["fraction_changed"] == k / L and row["kept"] == round(row["r"] * n)
    # kernel (ii): every gene keeps its sign with probability Phi(1/s), independently
    res = robustness_curve(phen, parent, RMSNoise(BLOCKS), [0.2, 0.4, 0.8], n, seed=4, level=level)
    for row in res:
        exact = stats.norm.cdf(1 / row["strength"]) ** L
        assert row["r_lo"] <= exact <= row["r_hi"], (row, exact)
        assert row["evolvability"] <= row["evolvability_m"] == n


def test_streams_are_keyed_by_strength_so_adding_one_changes_nothing():
    parent = np.ones(L, np.float32)
    a = robustness_curve(signs, parent, RMSNoise(BLOCKS), [0.3, 0.6], 200, seed=5)
    b = robustness_curve(signs, parent, RMSNoise(BLOCKS), [0.1, 0.3, 0.45, 0.6], 200, seed=5)
    assert [r["kept"] for r in a] == [b[1]["kept"], b[3]["kept"]]
    c = robustness_curve(signs, parent, RMSNoise(BLOCKS), [0.3, 0.6], 200, seed=6)
    assert [r["kept"] for r in c] != [r["kept"] for r in a]


def test_evolvability_is_rarefied_and_undefined_mutants_never_count():
    parent = np.ones(L, np.float32)
    full = robustness_curve(signs, parent, RMSNoise(BLOCKS), [2.0], 400, seed=7)[0]
    rare = robustness_curve(signs, parent, RMSNoise(BLOCKS), [2.0], 400, seed=7,
                            evolvability_m=50)[0]
    assert rare["evolvability_m"] == 50 and rare["evolvability"] <= 50 < full["evolvability"]
    wild = robustness_curve(SignMap(), parent, RMSNoise(BLOCKS), [100.0], 100, seed=8)[0]
    assert wild["undefined"] > 50 and wild["kept"] + wild["evolvability"] + wild["undefined"] <= 100
    with pytest.raises(ValueError, match="no phenotype"):
        robustness_curve(SignMap(), np.full(L, 99.0), RMSNoise(BLOCKS), [0.1], 10, seed=0)
    with pytest.raises(ValueError, match="blocks cover 12 genes"):
        RMSNoise(BLOCKS[:1]).mutants(parent, 0.1, 2, np.random.default_rng(0))


def test_strength_50_interpolates_in_log_strength_and_says_when_out_of_range():
    s50, status = strength_50([0.01, 0.1, 1.0], [1.0, 0.75, 0.25])
    assert status == "interpolated" and s50 == pytest.approx(math.sqrt(0.1))
    s50, status = strength_50([1, 2, 3], [0.9, 0.7, 0.5], log=False)
    assert (s50, status) == (3.0, "interpolated")
    assert strength_50([0.1, 1.0], [0.9, 0.6])[1] == "above_range"
    assert strength_50([0.1, 1.0], [0.4, 0.1])[1] == "below_range"
    with pytest.raises(ValueError, match="increase"):
        strength_50([1.0, 0.1], [0.9, 0.1])
