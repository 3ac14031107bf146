"""The Numba rollout against hand-checkable routing, the NumPy oracle and the torch twin."""
from __future__ import annotations

import numba
import numpy as np
import pytest

from alife.nca import HNCASpec, develop, trajectory
from alife.nca.reference import reference_develop, reference_step
from alife.nca.torch_twin import develop_torch


# ---------------------------------------------------------------- single steps
def _numba_step(method):
    def step(spec, genome, states):
        out = develop(spec, genome[None].astype(np.float32),
                      states=[s[None].astype(np.float32) for s in states], steps=1, method=method)
        return [s[0] for s in out.states]
    return step


def _torch_step(spec, genome, states):
    final, _ = develop_torch(spec, genome[None].astype(np.float32),
                             states=[s[None].astype(np.float32) for s in states], steps=1)
    return [s[0] for s in final]


#: Every implementation of one synchronous step, for routing tests.
STEPPERS = {
    "numba-lanes": _numba_step("lanes"),
    "numba-gemm": _numba_step("gemm"),
    "numba-mapped": _numba_step("mapped"),
    "torch": _torch_step,
    "reference": reference_step,
}


def _routing_spec(channels=1):
    return HNCASpec(levels=4, base_size=32, channels=channels, output_activation="identity",
                    update="replace", steps=1)


def _one_hot_genome(spec, level, block, k, c=0, o=0):
    g = np.zeros(spec.n_genes, np.float32)
    sl = spec.layout.slice(level, block)
    C = spec.channels
    g[sl.start + (k * C + c) * C + o] = 1.0
    return g


def _single_cell_states(spec, level, cell, c=0):
    states = [np.zeros((n, n, spec.channels), np.float32) for n in spec.sizes]
    states[level][cell[0], cell[1], c] = 1.0
    return states


def _only(spec, level, cells, o=0):
    """Expected states: ones at `cells` of `level`, channel o; zero elsewhere."""
    exp = [np.zeros((n, n, spec.channels), np.float32) for n in spec.sizes]
    for (i, j) in cells:
        exp[level][i, j, o] = 1.0
    return exp


def _assert_states(got, exp):
    for lvl, (g, e) in enumerate(zip(got, exp)):
        np.testing.assert_array_equal(np.asarray(g, np.float32), e, err_msg=f"level {lvl}")


@pytest.mark.parametrize("impl", STEPPERS)
@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("q", range(4))
def test_down_weight_reads_exactly_its_child(impl, level, q):
    """Child q of (i, j) is (2i + q//2, 2j + q%2): a lone 1 at a level-(l-1) cell
    reaches its parent only through the down weight of its own position."""
    spec = _routing_spec()
    step = STEPPERS[impl]
    g = _one_hot_genome(spec, level, "down", q)
    n_child = spec.sizes[level - 1]
    for a, b in [(4, 6), (5, 6), (4, 7), (5, 7), (n_child - 1, 0)]:
        got = step(spec, g, _single_cell_states(spec, level - 1, (a, b)))
        hit = (a % 2 == q // 2) and (b % 2 == q % 2)
        _assert_states(got, _only(spec, level, [(a // 2, b // 2)] if hit else []))


@pytest.mark.parametrize("impl", STEPPERS)
@pytest.mark.parametrize("level", [0, 1, 2])
def test_up_weight_reads_the_parent(impl, level):
    spec = _routing_spec()
    g = _one_hot_genome(spec, level, "up", 0)
    a, b = 1, spec.sizes[level + 1] - 1
    got = STEPPERS[impl](spec, g, _single_cell_states(spec, level + 1, (a, b)))
    kids = [(2 * a + di, 2 * b + dj) for di in (0, 1) for dj in (0, 1)]
    _assert_states(got, _only(spec, level, kids))


@pytest.mark.parametrize("impl", STEPPERS)
@pytest.mark.parametrize("level", range(4))
@pytest.mark.parametrize("k", range(9))
def test_around_weight_reads_its_offset_with_wraparound(impl, level, k):
    """Around position k is (dy, dx) = (k//3 - 1, k%3 - 1): cell (i, j) reads
    (i+dy, j+dx) mod N, so a lone 1 at (a, b) lights (a-dy, b-dx) mod N."""
    spec = _routing_spec()
    n = spec.sizes[level]
    dy, dx = k // 3 - 1, k % 3 - 1
    g = _one_hot_genome(spec, level, "around", k)
    for a, b in [(0, 0), (n - 1, 1), (1, n - 1)]:
        got = STEPPERS[impl](spec, g, _single_cell_states(spec, level, (a, b)))
        _assert_states(got, _only(spec, level, [((a - dy) % n, (b - dx) % n)]))


@pytest.mark.parametrize("impl", ["numba-gemm", "torch", "reference"])
def test_channel_order_is_position_input_output(impl):
    """Gene (k, c, o) of a block maps input channel c to output unit o."""
    spec = _routing_spec(channels=3)
    for c, o in [(0, 2), (2, 1), (1, 1)]:
        g = _one_hot_genome(spec, 2, "around", 4, c=c, o=o)
        got = STEPPERS[impl](spec, g, _single_cell_states(spec, 2, (1, 2), c=c))
        _assert_states(got, _only(spec, 2, [(1, 2)], o=o))


# ---------------------------------------------------------------- parity
#: Specs for parity: presets plus 1-4 levels, 1-4 channels, with and without
#: hidden layer and bias, every activation, both update modes.  Random linear
#: tanh rules are chaotic: float32 rounding differences (1 ulp after one step)
#: grow about 1.5x per step, past 1e-5 after ~12 steps whatever the
#: implementation, so those specs run fewer steps; the one-step test below
#: checks every spec from random states at 1e-6.
PARITY_SPECS = {
    "bielawski": HNCASpec.preset("bielawski"),
    "flat": HNCASpec.preset("bielawski", levels=1),
    "neural": HNCASpec.preset("neural"),
    "L2-C1-bias-sigmoid-residual": HNCASpec(levels=2, base_size=16, channels=1, bias=True,
                                            output_activation="sigmoid", update="residual",
                                            steps=20, init_scale=0.3),
    "L3-C1-odd-top": HNCASpec(levels=3, base_size=12, channels=1, steps=40),
    "L3-C2-tanh": HNCASpec(levels=3, base_size=16, channels=2, output_activation="tanh", steps=8),
    "L4-C4-relu-bias": HNCASpec(levels=4, base_size=16, channels=4, bias=True,
                                output_activation="relu", steps=12, init_scale=0.25),
    "L2-C3-H8-tanh/rsig": HNCASpec(levels=2, base_size=16, channels=3, hidden=8, bias=True,
                                  hidden_activation="tanh", output_activation="rectified_sigmoid",
                                  steps=25),
    "L3-C2-H6-relu/identity-residual": HNCASpec(levels=3, base_size=16, channels=2, hidden=6,
                                                hidden_activation="relu",
                                                output_activation="identity",
                                                update="residual", steps=15, init_scale=0.3),
    "L1-C2-H4-sigmoid/tanh-nobias": HNCASpec(levels=1, base_size=16, channels=2, hidden=4,
                                             hidden_activation="sigmoid",
                                             output_activation="tanh", steps=10),
    "L2-C1-H5-identity/relu-residual": HNCASpec(levels=2, base_size=16, channels=1, hidden=5,
                                                bias=True, hidden_activation="identity",
                                                output_activation="relu", update="residual",
                                                steps=10, init_scale=0.3),
}


def _methods(spec):
    return ["lanes", "gemm"] if (spec.channels == 1 and spec.hidden == 0) else ["gemm"]


def _close(a, b):
    """Max abs difference, relative to magnitude where states exceed 1."""
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)), initial=0.0))


@pytest.mark.parametrize("name", PARITY_SPECS)
def test_develop_matches_torch_twin(name):
    """States to 1e-5 and phenotypes exactly, for 100 genomes, default method."""
    spec = PARITY_SPECS[name]
    G = spec.random_genomes(100, seed=11)
    t_states, t_phen = develop_torch(spec, G)
    out = develop(spec, G)
    for lvl in range(spec.levels):
        assert np.isfinite(out.states[lvl]).all()
        assert _close(out.states[lvl], t_states[lvl]) <= 1e-5, lvl
    np.testing.assert_array_equal(out.phenotypes, t_phen)


@pytest.mark.parametrize("name", PARITY_SPECS)
def test_one_step_from_random_states_matches_twin(name):
    spec = PARITY_SPECS[name]
    rng = np.random.default_rng(3)
    G = spec.random_genomes(20, seed=rng)
    states = [rng.uniform(-1, 1, (20, n, n, spec.channels)).astype(np.float32) for n in spec.sizes]
    t_states, _ = develop_torch(spec, G, states=states, steps=1)
    for method in _methods(spec):
        out = develop(spec, G, states=states, steps=1, method=method)
        for lvl in range(spec.levels):
            assert _close(out.states[lvl], t_states[lvl]) <= 1e-6, (method, lvl)


def _first_divergence_margin(spec, g, method):
    """|float64 pre-activation| at the first cell where `method` and the torch
    twin part by more than 1e-5, recomputed from the shared previous state."""
    hist = trajectory(spec, g, method=method)
    states = [h[0] for h in hist]
    for t in range(spec.steps):
        mine = [h[t + 1] for h in hist]
        theirs, _ = develop_torch(spec, g[None], states=[s[None] for s in states], steps=1)
        gaps = [np.abs(m - th[0]) for m, th in zip(mine, theirs)]
        if max(gap.max() for gap in gaps) > 1e-5:
            lvl = int(np.argmax([gap.max() for gap in gaps]))
            i, j, _ = np.unravel_index(np.argmax(gaps[lvl]), gaps[lvl].shape)
            w1, _, _, _ = spec.layout.unpack(g.astype(np.float64), lvl)
            x = _cell_inputs(spec, [s.astype(np.float64) for s in states], lvl, i, j)
            return abs(float(x @ w1[:, 0]))
        states = mine
    return np.inf


def _cell_inputs(spec, states, lvl, i, j):
    n = spec.sizes[lvl]
    x = []
    if lvl > 0:
        x += [states[lvl - 1][2 * i + di, 2 * j + dj, 0] for di in (0, 1) for dj in (0, 1)]
    x += [states[lvl][(i + dy) % n, (j + dx) % n, 0] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    if lvl < spec.levels - 1:
        x += [states[lvl + 1][i // 2, j // 2, 0]]
    return np.array(x)


@pytest.mark.parametrize("name", ["bielawski", "flat"])
def test_gemm_method_matches_torch_but_for_rounding_at_the_step(name):
    """The rectified sigmoid jumps from 0 to 1/2 at 0, so a pre-activation within
    float32 rounding of 0 can land on either side depending on summation order
    (BLAS vs convolution).  Every genome whose gemm rollout departs from the
    twin must depart at such a cell (|pre-activation| < 1e-6); all others agree
    to 1e-5 with identical phenotypes."""
    spec = PARITY_SPECS[name]
    G = spec.random_genomes(100, seed=11)
    t_states, t_phen = develop_torch(spec, G)
    out = develop(spec, G, method="gemm")
    gap = np.max([np.abs(out.states[lvl] - t_states[lvl]).reshape(len(G), -1).max(1)
                  for lvl in range(spec.levels)], axis=0)
    apart = np.flatnonzero(gap > 1e-5)
    assert len(apart) <= 2
    for p in apart:
        assert _first_divergence_margin(spec, G[p], "gemm") < 1e-6, p
    same = np.setdiff1d(np.arange(len(G)), apart)
    np.testing.assert_array_equal(out.phenotypes[same], t_phen[same])


@pytest.mark.parametrize("name", PARITY_SPECS)
def test_develop_matches_numpy_reference(name):
    spec = PARITY_SPECS[name].replace(base_size=8 if PARITY_SPECS[name].levels < 4 else 16,
                                      steps=min(PARITY_SPECS[name].steps, 6))
    G = spec.random_genomes(3, seed=5)
    for method in _methods(spec):
        out = develop(spec, G, method=method)
        for p in range(len(G)):
            ref = reference_develop(spec, G[p])
            for lvl in range(spec.levels):
                assert _close(out.states[lvl][p], ref[lvl]) <= 1e-5, (method, p, lvl)


def test_lanes_and_gemm_agree_on_bielawski():
    spec = HNCASpec.preset("bielawski")
    G = spec.random_genomes(200, seed=2)
    a, b = develop(spec, G, method="lanes"), develop(spec, G, method="gemm")
    for lvl in range(spec.levels):
        assert np.abs(a.states[lvl] - b.states[lvl]).max() <= 1e-5
    np.testing.assert_array_equal(a.phenotypes, b.phenotypes)


# ---------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", ["bielawski", "neural"])
def test_same_bits_with_one_and_two_threads_and_across_calls(name):
    spec = PARITY_SPECS[name]
    G = spec.random_genomes(40, seed=9)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = develop(spec, G)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = develop(spec, G)
        again = develop(spec, G)
    finally:
        numba.set_num_threads(before)
    for lvl in range(spec.levels):
        np.testing.assert_array_equal(one.states[lvl], two.states[lvl])
        np.testing.assert_array_equal(two.states[lvl], again.states[lvl])


def test_result_of_a_genome_does_not_depend_on_its_batch():
    spec = HNCASpec.preset("bielawski")
    G = spec.random_genomes(70, seed=4)
    full = develop(spec, G)
    part = develop(spec, G[37:41])
    np.testing.assert_array_equal(full.states[0][37:41], part.states[0])


# ---------------------------------------------------------------- trajectory, early stop
@pytest.mark.parametrize("name", ["bielawski", "L3-C2-tanh"])
def test_trajectory_ends_where_develop_ends_and_steps_match_reference(name):
    spec = PARITY_SPECS[name]
    g = spec.random_genomes(3, seed=1)[2]
    hist = trajectory(spec, g)
    out = develop(spec, g[None])
    for lvl in range(spec.levels):
        assert hist[lvl].shape == (spec.steps + 1,) + out.states[lvl].shape[1:]
        np.testing.assert_array_equal(hist[lvl][-1], out.states[lvl][0])
        np.testing.assert_array_equal(hist[lvl][0], spec.initial_states()[lvl])
    # every recorded transition is one reference step
    for t in (0, 1, spec.steps // 2):
        ref = reference_step(spec, g, [h[t] for h in hist])
        for lvl in range(spec.levels):
            assert np.abs(ref[lvl] - hist[lvl][t + 1]).max() <= 1e-5


def test_dead_genome_stops_early_with_the_same_result():
    from alife.nca.kernels import LANES, STOP_EVERY
    spec = HNCASpec.preset("bielawski")
    G = spec.random_genomes(2 * LANES, seed=0)
    G[:LANES] = -np.abs(G[:LANES])      # every pre-activation <= 0: dies at step 1
    out = develop(spec, G)
    assert out.steps_run[0] == STOP_EVERY and out.steps_run[LANES + 3] == spec.steps
    assert not out.phenotypes[:LANES].any() and out.degenerate[:LANES].all()
    assert (out.ids[:LANES] == -1).all()
    full = develop(spec, G[:LANES], method="gemm")   # gemm stops per genome
    assert (full.steps_run == 1).all()
    hist = trajectory(spec, G[0])
    assert all((h[1:] == 0).all() for h in hist)


def test_phenotypes_shape_and_flat_preset():
    spec = HNCASpec.preset("bielawski")
    assert spec.n_genes == 51 and HNCASpec.preset("bielawski", levels=1).n_genes == 9
    out = develop(spec, spec.random_genomes(5, seed=0))
    assert out.phenotypes.shape == (5, 64, 64) and out.phenotypes.dtype == bool
    assert [s.shape for s in out.states] == [(5, n, n, 1) for n in (64, 32, 16, 8)]
    assert all(s.dtype == np.float32 for s in out.states)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("make, match", [
    (lambda s: s.random_genomes(3)[:, :-1], "genes"),
    (lambda s: s.random_genomes(3).astype(np.float64), "float32"),
    (lambda s: np.where(np.arange(51) == 7, np.nan, s.random_genomes(3)).astype(np.float32), "NaN"),
    (lambda s: np.full((2, 51), np.inf, np.float32), "inf"),
    # one -inf in a strided (non-contiguous) view: the check reads what develops
    (lambda s: np.where(np.arange(102) == 99, -np.inf, 0.5).astype(np.float32)
     .reshape(51, 2).T, "genome 1, gene 49"),
    (lambda s: np.zeros((2, 3, 51), np.float32), "shape"),
    (lambda s: [[0.0] * 51], "numpy array"),
])
def test_bad_genomes_raise_value_error(make, match):
    spec = HNCASpec.preset("bielawski")
    with pytest.raises(ValueError, match=match):
        develop(spec, make(spec))


@pytest.mark.parametrize("kwargs, match", [
    (dict(levels=4, base_size=20), "divisible"),
    (dict(levels=0), "levels"),
    (dict(steps=0), "steps"),
    (dict(output_activation="softmax"), "unknown output_activation"),
    (dict(hidden_activation="gelu"), "unknown hidden_activation"),
    (dict(update="average"), "update"),
    (dict(channels=0), "channels"),
    (dict(hidden=-1), "hidden"),
    (dict(output_level=4), "output_level"),
    (dict(threshold=float("nan")), "threshold"),
    (dict(seed_cell=(64, 0)), "seed_cell"),
    (dict(levels=2.0), "integer"),
])
def test_impossible_specs_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HNCASpec(**kwargs)


def test_bad_preset_method_states_and_steps():
    with pytest.raises(ValueError, match="unknown preset"):
        HNCASpec.preset("gecco")
    with pytest.raises(ValueError, match="unknown HNCASpec field"):
        HNCASpec.preset("bielawski", level=2)
    spec = HNCASpec.preset("bielawski")
    G = spec.random_genomes(2)
    with pytest.raises(ValueError, match="method"):
        develop(spec, G, method="cuda")
    with pytest.raises(ValueError, match="lanes"):
        develop(HNCASpec.preset("neural"), HNCASpec.preset("neural").random_genomes(1), method="lanes")
    with pytest.raises(ValueError, match="states"):
        develop(spec, G, states=[np.zeros((64, 64, 1), np.float32)])
    with pytest.raises(ValueError, match="steps"):
        develop(spec, G, steps=-1)


# ---------------------------------------------------------------- trajectory fingerprints
def _fmix32(h):
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    return h ^ (h >> 16)


def _fingerprint_from_trajectory(spec, hist):
    """The fingerprint recipe written independently of the kernels, from
    `trajectory()` output (test oracle), in plain Python integers: per step
    1..T and level l, over the float32 bits x_c of the interior cells
    (c row-major, channels innermost) with keys k_c = fmix32((l << 24 | c) ^ 0x5BD1E995),
    a = sum(x_c ^ k_c) mod 2**32 folds into h1 = (h1 ^ a) * 0x01000193 and
    h2 = (h2 ^ a) * 0x9E3779B1 mod 2**32 from 0x811C9DC5 and 0x9747B28C;
    fingerprint = h1 << 32 | h2."""
    h1, h2, m = 0x811C9DC5, 0x9747B28C, 0xFFFFFFFF
    for t in range(1, hist[0].shape[0]):
        for lvl, lv in enumerate(hist):
            xs = (np.asarray(lv[t], np.float32).reshape(-1) + np.float32(0.0)).view(np.uint32)
            a = 0
            for c, x in enumerate(xs.tolist()):
                a = (a + (x ^ _fmix32(((lvl << 24) | c) ^ 0x5BD1E995))) & m
            h1 = ((h1 ^ a) * 0x01000193) & m
            h2 = ((h2 ^ a) * 0x9E3779B1) & m
    return (h1 << 32) | h2


@pytest.mark.parametrize("name, method, base", [("bielawski", "lanes", 16), ("bielawski", "gemm", 16),
                                                ("bielawski", "lanes", 40), ("bielawski", "gemm", 40),
                                                ("L2-C3-H8-tanh/rsig", "gemm", 16),
                                                ("L2-C1-bias-sigmoid-residual", "lanes", 16),
                                                ("L2-C1-bias-sigmoid-residual", "lanes", 10)])
def test_fingerprint_is_the_hash_of_the_whole_trajectory(name, method, base):
    """base 40 gives an odd top level (5x5), where the lanes kernel computes
    a ghost cell in its last pair and must not hash it; a residual update
    can write -0.0, which the lanes kernel stores as it is and hashes as
    +0.0 (base 10: the same with an odd top level)."""
    spec = PARITY_SPECS[name].replace(base_size=base, steps=6)
    G = spec.random_genomes(5, seed=2)
    out = develop(spec, G, method=method, fingerprint=True)
    assert out.fingerprints.dtype == np.uint64 and out.fingerprints.shape == (5,)
    for p in (0, 3):
        assert int(out.fingerprints[p]) == _fingerprint_from_trajectory(spec, trajectory(spec, G[p], method=method))


def test_fingerprints_do_not_depend_on_batch_or_threads():
    spec = HNCASpec.preset("bielawski")
    G = spec.random_genomes(70, seed=8)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = develop(spec, G, fingerprint=True).fingerprints
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = develop(spec, G, fingerprint=True).fingerprints
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(develop(spec, G[60:63], fingerprint=True).fingerprints, one[60:63])
    assert len(set(one.tolist())) == len(one)
    assert develop(spec, G).fingerprints is None


def test_fingerprints_tell_silent_from_cryptic_mutations():
    """Two levels; level 1's weights all negative, so it stays 0 (its inputs are
    >= 0 under the rectified sigmoid).  Changing level 0's up weight (it reads
    only zeros) is silent; letting level 1 grow while level 0 ignores it
    (up weight 0) is cryptic: a new trajectory, the same phenotype."""
    spec = HNCASpec(levels=2, base_size=32, steps=40)
    g = spec.random_genomes(1, seed=4)[0]
    l1 = spec.layout.levels[1]
    g[l1.start:l1.stop] = -np.abs(g[l1.start:l1.stop])
    up = spec.layout.slice(0, "up").start
    g[up] = 0.0
    silent, cryptic = g.copy(), g.copy()
    silent[up] = -0.7
    cryptic[l1.start:l1.stop] = np.abs(cryptic[l1.start:l1.stop])   # level 1 now grows
    out = develop(spec, np.stack([g, silent, cryptic]), fingerprint=True)
    assert not out.degenerate[0]
    fp = out.fingerprints
    assert fp[1] == fp[0] and fp[2] != fp[0]
    np.testing.assert_array_equal(out.phenotypes[2], out.phenotypes[0])
    assert np.abs(out.states[1][2]).max() > 0 and np.abs(out.states[1][0]).max() == 0


def test_shared_seed_start_is_never_overwritten():
    """develop reuses one cached padded seed start; the kernels that develop
    in place (gemm, mapped) must get a copy, even for a single genome."""
    from alife.nca.develop import geometry, kernel_form, pad_states, seed_padded
    for spec, method in ((HNCASpec.preset("bielawski", base_size=8, steps=3), "gemm"),
                         (HNCASpec.preset("bielawski", base_size=8, steps=3,
                                          wiring="random_below"), "mapped")):
        G = spec.random_genomes(1, seed=3)
        first = develop(spec, G, method=method).states
        kspec = kernel_form(spec, G, fold=method != "mapped")[0]
        np.testing.assert_array_equal(
            seed_padded(kspec), pad_states(kspec, geometry(kspec), kspec.initial_states(), 1))
        for a, b in zip(first, develop(spec, G, method=method).states):
            np.testing.assert_array_equal(a, b)
