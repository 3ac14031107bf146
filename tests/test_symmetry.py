"""Exactly neutral tap groups (alife.nca.symmetry): found from the geometry,
and each one proved on many random genomes by moving the whole weight of one
tap onto another: phenotypes equal, states equal within float rounding."""
from __future__ import annotations

import numpy as np
import pytest

from alife.nca import HNCASpec, develop
from alife.nca.symmetry import symmetries, tap_sources

BIEL8 = HNCASpec.preset("bielawski", base_size=8, steps=10)


def _assert_same_development(spec, G, H, atol=1e-5):
    a, b = develop(spec, G), develop(spec, H)
    assert np.array_equal(a.phenotypes, b.phenotypes)
    assert np.array_equal(a.ids, b.ids)
    for sa, sb in zip(a.states, b.states):
        np.testing.assert_allclose(sa, sb, rtol=1e-5, atol=atol)


def test_bielawski_base8_has_13_neutral_directions_in_4_groups():
    sym = symmetries(BIEL8)
    assert sym.n_neutral == 13 and len(sym.groups) == 4 and sym.n_quotient == 38
    names = BIEL8.layout.gene_names()
    got = sorted(tuple(names[i] for i in g.genes) for g in sym.groups)
    # level 2 is 2x2: rows (and columns) -1 and +1 are one row; level 3 is 1x1
    assert ("L2.around[-1,0].c0>o0", "L2.around[1,0].c0>o0") in got
    assert ("L2.around[0,-1].c0>o0", "L2.around[0,1].c0>o0") in got
    assert ("L2.around[-1,-1].c0>o0", "L2.around[-1,1].c0>o0", "L2.around[1,-1].c0>o0",
            "L2.around[1,1].c0>o0") in got
    assert tuple(f"L3.around[{dy},{dx}].c0>o0" for dy in (-1, 0, 1) for dx in (-1, 0, 1)) in got
    assert sym.directions().shape == (13, 51)
    assert np.linalg.matrix_rank(sym.directions()) == 13


@pytest.mark.parametrize("base, levels, n", [(64, 4, 0), (16, 4, 5), (4, 3, 13), (8, 1, 0),
                                             (2, 1, 5), (1, 1, 8)])
def test_groups_follow_the_geometry(base, levels, n):
    """Derived, not listed: a 2x2 level has 5 redundant taps, a 1x1 level 8."""
    assert symmetries(HNCASpec.preset("bielawski", base_size=base, levels=levels)).n_neutral == n


def test_tap_sources_are_what_the_reference_step_reads():
    # level 3 of base 8 is 1x1: every around tap reads cell 0 of level 3
    taps = dict(tap_sources(BIEL8, 3))
    assert {taps[f"around[{dy},{dx}]"] for dy in (-1, 0, 1) for dx in (-1, 0, 1)} == {(3, (0,))}
    assert taps["down[1,0]"] == (2, (2,))


def test_moving_the_whole_weight_between_taps_of_a_group_changes_nothing():
    """Every group, every tap: 1,000 random genomes with the weight of the tap
    moved onto the group's first tap (and the first onto the tap)."""
    sym = symmetries(BIEL8)
    G = BIEL8.random_genomes(1000, seed=0)
    for grp in sym.groups:
        first = grp.genes[0]
        for other in grp.genes[1:]:
            H = G.copy()
            H[:, first] += H[:, other]
            H[:, other] = 0
            _assert_same_development(BIEL8, G, H)
            H = G.copy()
            H[:, other] += H[:, first]
            H[:, first] = 0
            _assert_same_development(BIEL8, G, H)


def test_multichannel_mlp_groups_are_exact_too():
    """Channels and hidden units: one group per (tap class, input channel, hidden unit)."""
    spec = HNCASpec(levels=2, base_size=4, channels=2, hidden=3, bias=True,
                    hidden_activation="tanh", output_activation="sigmoid", steps=6,
                    init_scale=0.5)
    sym = symmetries(spec)
    assert sym.n_neutral == 5 * 2 * 3 and all(g.size >= 2 for g in sym.groups)
    G = spec.random_genomes(300, seed=1)
    H = sym.canonical(G)
    assert not np.allclose(G, H)
    _assert_same_development(spec, G, H)


def test_canonical_keeps_the_phenotype_and_is_at_quotient_distance_zero():
    sym = symmetries(BIEL8)
    G = BIEL8.random_genomes(1000, seed=2)
    C = sym.canonical(G)
    assert C.dtype == np.float32 and C.min() >= -1 and C.max() <= 1
    _assert_same_development(BIEL8, G, C)
    assert np.allclose(sym.distance(G, C), 0, atol=1e-5)
    # idempotent, and distances in the quotient never exceed plain distances
    np.testing.assert_array_equal(sym.canonical(C), C)
    d = sym.distance(G[:-1], G[1:])
    assert np.all(d <= np.linalg.norm(G[:-1] - G[1:], axis=1) + 1e-6)
    assert np.all(d > 0)
    # every group's sum is kept
    for grp in sym.groups:
        np.testing.assert_allclose(G[:, list(grp.genes)].sum(1), C[:, list(grp.genes)].sum(1),
                                   atol=1e-5)


def test_canonical_letters_keep_letter_sums_on_the_lattice():
    sym = symmetries(BIEL8)
    rng = np.random.default_rng(3)
    for K in (2, 5, 8):
        X = rng.integers(0, K, (200, 51)).astype(np.uint8)
        C = sym.canonical_letters(X, K)
        assert C.dtype == np.uint8 and C.max() <= K - 1
        for grp in sym.groups:
            idx = list(grp.genes)
            np.testing.assert_array_equal(X[:, idx].astype(int).sum(1), C[:, idx].astype(int).sum(1))
        np.testing.assert_array_equal(sym.canonical_letters(C, K), C)
        np.testing.assert_array_equal(np.delete(C, [g for gr in sym.groups for g in gr.genes], 1),
                                      np.delete(X, [g for gr in sym.groups for g in gr.genes], 1))


def test_mlp_notes_and_bad_input():
    spec = HNCASpec(levels=1, base_size=8, channels=1, hidden=4, hidden_activation="relu")
    assert any("rescaling" in n for n in symmetries(spec).notes)
    with pytest.raises(ValueError, match="HNCASpec"):
        symmetries("bielawski")
    with pytest.raises(ValueError, match="shape"):
        symmetries(BIEL8).canonical(np.zeros((2, 50), np.float32))
