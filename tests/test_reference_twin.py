"""The NumPy oracle against hand-checkable routing, and the torch twin against the oracle.

Invariants protected:

* routing: a genome whose only non-zero gene reads one known input (a child, a
  neighbour offset or the parent) moves a single 1 exactly where the model's
  definition says (expectations by index arithmetic written here, not by the
  implementation), wrap-around included;
* parity: the torch twin equals the float64 oracle within 1e-5 on every level,
  for one step and several, over a registry of specs covering 1-4 levels,
  1-4 channels, with and without hidden layer and bias, every activation
  (hidden and output) and both update modes;
* the twin is differentiable with respect to the flat genomes.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from alife.nca.reference import reference_develop, reference_step
from alife.nca.spec import ACTIVATIONS, AROUND_OFFSETS, DOWN_OFFSETS, HNCASpec
from alife.nca.torch_twin import TorchHNCA, develop_torch

ATOL = 1e-5


# ---------------------------------------------------------------- helpers
def _twin_step(spec, genome, states):
    """One twin step of one genome, (N, N, C) states in and out."""
    model = TorchHNCA(spec)
    with torch.no_grad():
        g = torch.from_numpy(np.asarray(genome, np.float32))[None]
        st = [torch.from_numpy(np.asarray(s, np.float32)).permute(2, 0, 1)[None] for s in states]
        new = model.step(g, st)
    return [s[0].permute(1, 2, 0).numpy() for s in new]


#: Implementations of one synchronous step of one genome, for routing tests.
STEPPERS = {"reference": reference_step, "twin": _twin_step}


def _routing_spec(levels=4, base_size=16, channels=1, hidden=0, bias=False):
    return HNCASpec(levels=levels, base_size=base_size, channels=channels, hidden=hidden,
                    bias=bias, hidden_activation="identity", output_activation="identity",
                    update="replace", steps=1)


def _genome_with(spec, level, block, index, value=1.0):
    """All-zero genome but gene ``index`` (within the block's shape) of one block."""
    g = np.zeros(spec.n_genes, np.float64)
    b = spec.layout.levels[level].block(block)
    g[b.slice].reshape(b.shape)[index] = value
    return g


def _single_one(spec, level, cell, channel=0):
    """States that are all zero but one cell of one level (and channel)."""
    states = [np.zeros((n, n, spec.channels)) for n in spec.sizes]
    states[level][cell[0], cell[1], channel] = 1.0
    return states


def _assert_only(spec, result, level, expected, channel=0):
    """``result`` is zero everywhere but ``expected`` (N_l, N_l) at level/channel."""
    for lvl, s in enumerate(result):
        want = np.zeros(s.shape)
        if lvl == level:
            want[..., channel] = expected
        np.testing.assert_allclose(s, want, atol=1e-6, err_msg=f"level {lvl}")


# ---------------------------------------------------------------- routing
@pytest.mark.parametrize("impl", STEPPERS)
@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("k", range(4))
def test_down_reads_child_k(impl, level, k):
    spec = _routing_spec()
    di, dj = [(0, 0), (0, 1), (1, 0), (1, 1)][k]
    g = _genome_with(spec, level, "down", (k, 0, 0))
    n = spec.sizes[level]
    # a child with the parity of position k: exactly one parent reads it as child k
    i0, j0 = n - 1, n // 2
    src = (2 * i0 + di, 2 * j0 + dj)
    out = STEPPERS[impl](spec, g, _single_one(spec, level - 1, src))
    expected = np.zeros((n, n))
    expected[i0, j0] = 1.0
    _assert_only(spec, out, level, expected)
    # a child of the other parity is child k of nobody
    other = ((src[0] + 1) % (2 * n), src[1]) if di == 0 else ((src[0] - 1), src[1])
    out = STEPPERS[impl](spec, g, _single_one(spec, level - 1, other))
    _assert_only(spec, out, level, np.zeros((n, n)))


def test_down_order_is_the_documented_one():
    assert DOWN_OFFSETS == ((0, 0), (0, 1), (1, 0), (1, 1))
    assert AROUND_OFFSETS[0] == (-1, -1) and AROUND_OFFSETS[1] == (-1, 0)
    assert AROUND_OFFSETS[3] == (0, -1) and AROUND_OFFSETS[8] == (1, 1)


@pytest.mark.parametrize("impl", STEPPERS)
@pytest.mark.parametrize("level", [0, 1, 2, 3])
@pytest.mark.parametrize("k", range(9))
def test_around_reads_offset_k(impl, level, k):
    spec = _routing_spec()
    dy, dx = k // 3 - 1, k % 3 - 1
    g = _genome_with(spec, level, "around", (k, 0, 0))
    n = spec.sizes[level]
    # an interior cell, and a corner so that every offset wraps somewhere
    for src in [(n // 2, n // 2 - 1), (0, n - 1)]:
        out = STEPPERS[impl](spec, g, _single_one(spec, level, src))
        expected = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                if ((i + dy) % n, (j + dx) % n) == src:
                    expected[i, j] = 1.0
        assert expected.sum() == 1.0
        _assert_only(spec, out, level, expected)


@pytest.mark.parametrize("impl", STEPPERS)
def test_around_wraps_at_the_edges_literal(impl):
    """Hand-written cases at level 0 (16 x 16)."""
    spec = _routing_spec()
    # offset (-1, -1) is gene 0: cell (i, j) reads (i-1, j-1)
    g = _genome_with(spec, 0, "around", (0, 0, 0))
    out = STEPPERS[impl](spec, g, _single_one(spec, 0, (0, 0)))
    assert out[0][1, 1, 0] == pytest.approx(1.0) and out[0].sum() == pytest.approx(1.0)
    out = STEPPERS[impl](spec, g, _single_one(spec, 0, (15, 15)))
    assert out[0][0, 0, 0] == pytest.approx(1.0) and out[0].sum() == pytest.approx(1.0)
    # offset (0, 1) is gene 5: cell (i, j) reads (i, j+1); (3, 0) is read by (3, 15)
    g = _genome_with(spec, 0, "around", (5, 0, 0))
    out = STEPPERS[impl](spec, g, _single_one(spec, 0, (3, 0)))
    assert out[0][3, 15, 0] == pytest.approx(1.0) and out[0].sum() == pytest.approx(1.0)
    # offset (1, 0) is gene 7: cell (i, j) reads (i+1, j); (0, 7) is read by (15, 7)
    g = _genome_with(spec, 0, "around", (7, 0, 0))
    out = STEPPERS[impl](spec, g, _single_one(spec, 0, (0, 7)))
    assert out[0][15, 7, 0] == pytest.approx(1.0) and out[0].sum() == pytest.approx(1.0)


@pytest.mark.parametrize("impl", STEPPERS)
@pytest.mark.parametrize("level", [0, 1, 2])
def test_up_reads_parent(impl, level):
    spec = _routing_spec()
    g = _genome_with(spec, level, "up", (0, 0, 0))
    m = spec.sizes[level + 1]
    for src in [(m - 1, 0), (m // 2, m - 1)]:
        out = STEPPERS[impl](spec, g, _single_one(spec, level + 1, src))
        n = spec.sizes[level]
        expected = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                if (i // 2, j // 2) == src:
                    expected[i, j] = 1.0
        assert expected.sum() == 4.0
        _assert_only(spec, out, level, expected)


@pytest.mark.parametrize("impl", STEPPERS)
def test_channel_order_within_blocks(impl):
    """Genes are (position, input channel, output unit), C order."""
    spec = _routing_spec(levels=2, base_size=8, channels=3)
    # around offset (0, 0) (gene position 4), input channel 2 -> output channel 1
    g = _genome_with(spec, 0, "around", (4, 2, 1))
    out = STEPPERS[impl](spec, g, _single_one(spec, 0, (5, 6), channel=2))
    expected = np.zeros((8, 8))
    expected[5, 6] = 1.0
    _assert_only(spec, out, 0, expected, channel=1)
    # down position 3 = child (2i+1, 2j+1), input channel 0 -> output channel 2
    g = _genome_with(spec, 1, "down", (3, 0, 2))
    out = STEPPERS[impl](spec, g, _single_one(spec, 0, (5, 7), channel=0))
    expected = np.zeros((4, 4))
    expected[2, 3] = 1.0
    _assert_only(spec, out, 1, expected, channel=2)


@pytest.mark.parametrize("impl", STEPPERS)
def test_hidden_layer_routing(impl):
    """x -> W1 column h -> w2 row h -> output: one path through the MLP."""
    spec = _routing_spec(levels=2, base_size=8, channels=2, hidden=3)
    g = _genome_with(spec, 1, "around", (4, 1, 2), 2.0)  # offset (0, 0), c1 -> h2
    g += _genome_with(spec, 1, "w2", (2, 0), 0.5)
    out = STEPPERS[impl](spec, g, _single_one(spec, 1, (0, 3), channel=1))
    expected = np.zeros((4, 4))
    expected[0, 3] = 1.0
    _assert_only(spec, out, 1, expected, channel=0)


@pytest.mark.parametrize("impl", STEPPERS)
def test_bias_only_gives_constant(impl):
    spec = _routing_spec(levels=2, base_size=8, channels=2, hidden=0, bias=True)
    g = _genome_with(spec, 0, "bias", (1,), 0.25)
    out = STEPPERS[impl](spec, g, [np.zeros((n, n, 2)) for n in spec.sizes])
    _assert_only(spec, out, 0, np.full((8, 8), 0.25), channel=1)


def test_reference_activations_and_updates():
    """Output activations and residual update on a single known input."""
    x = np.array([-2.0, 0.0, 0.5])
    want = {
        "rectified_sigmoid": [0.0, 0.0, 1 / (1 + np.exp(-0.5))],
        "sigmoid": list(1 / (1 + np.exp(-x))),
        "tanh": list(np.tanh(x)),
        "relu": [0.0, 0.0, 0.5],
        "identity": list(x),
    }
    for act, values in want.items():
        for update in ("replace", "residual"):
            spec = HNCASpec(levels=1, base_size=4, channels=1, output_activation=act,
                            update=update, steps=1)
            g = _genome_with(spec, 0, "around", (4, 0, 0))  # the cell itself
            for v, w in zip(x, values):
                s = np.full((4, 4, 1), v)
                out = reference_step(spec, g, [s])[0]
                np.testing.assert_allclose(out, w + (v if update == "residual" else 0.0),
                                           err_msg=f"{act} {update} {v}")


# ---------------------------------------------------------------- parity
def _parity_specs():
    specs = {
        "bielawski-16": HNCASpec.preset("bielawski", base_size=16),
        "flat-nca": HNCASpec.preset("bielawski", levels=1, base_size=8),
        "neural-8": HNCASpec.preset("neural", base_size=8, channels=4, hidden=8),
        "4levels-1x1top": HNCASpec(levels=4, base_size=8, channels=3, bias=True,
                                   output_activation="sigmoid", update="residual",
                                   init_scale=0.5),
    }
    # every activation as output (linear rule, alternating bias/update/levels)
    for i, act in enumerate(ACTIVATIONS):
        specs[f"out-{act}"] = HNCASpec(
            levels=1 + i % 4, base_size=8, channels=1 + (i + 1) % 4, bias=bool(i % 2),
            output_activation=act, update=("replace", "residual")[i % 2], init_scale=0.5)
    # every activation as hidden (MLP rule)
    for i, act in enumerate(ACTIVATIONS):
        specs[f"hidden-{act}"] = HNCASpec(
            levels=1 + (i + 2) % 4, base_size=8, channels=1 + i % 4, hidden=3 + i,
            bias=not bool(i % 2), hidden_activation=act,
            output_activation=ACTIVATIONS[(i + 2) % len(ACTIVATIONS)],
            update=("residual", "replace")[i % 2], init_scale=0.5)
    return specs


PARITY_SPECS = _parity_specs()


def test_parity_registry_covers_the_model():
    specs = PARITY_SPECS.values()
    assert {s.levels for s in specs} == {1, 2, 3, 4}
    assert {s.channels for s in specs} == {1, 2, 3, 4}
    assert {s.output_activation for s in specs} == set(ACTIVATIONS)
    assert {s.hidden_activation for s in specs if s.hidden} == set(ACTIVATIONS)
    assert {(s.hidden > 0, s.bias) for s in specs} == {(a, b) for a in (0, 1) for b in (0, 1)}
    assert {s.update for s in specs} == {"replace", "residual"}


def _random_states(spec, P, rng):
    return [rng.uniform(-1, 1, (P, n, n, spec.channels)).astype(np.float32) for n in spec.sizes]


@pytest.mark.parametrize("name", PARITY_SPECS)
def test_twin_step_matches_reference(name):
    spec = PARITY_SPECS[name]
    rng = np.random.default_rng(1)
    P = 3
    genomes = spec.random_genomes(P, seed=2)
    states = _random_states(spec, P, rng)
    model = TorchHNCA(spec)
    with torch.no_grad():
        new = model.step(torch.from_numpy(genomes),
                         [torch.from_numpy(s).permute(0, 3, 1, 2) for s in states])
    for p in range(P):
        ref = reference_step(spec, genomes[p], [s[p] for s in states])
        for lvl, (r, t) in enumerate(zip(ref, new)):
            got = t[p].permute(1, 2, 0).numpy()
            assert np.abs(got - r).max() <= ATOL, f"genome {p} level {lvl}"


@pytest.mark.parametrize("name", PARITY_SPECS)
def test_twin_develop_matches_reference(name):
    spec = PARITY_SPECS[name]
    rng = np.random.default_rng(3)
    P, steps = 3, 3
    genomes = spec.random_genomes(P, seed=4)
    states = _random_states(spec, P, rng)
    # chunk=2: chunks of unequal size must not matter
    final, _ = develop_torch(spec, genomes, states=states, steps=steps, chunk=2)
    for p in range(P):
        ref = reference_develop(spec, genomes[p], steps=steps, states=[s[p] for s in states])
        for lvl, (r, t) in enumerate(zip(ref, final)):
            assert t.dtype == np.float32
            assert np.abs(t[p] - r).max() <= ATOL, f"genome {p} level {lvl}"


@pytest.mark.parametrize("name", ["bielawski-16", "flat-nca", "neural-8"])
def test_twin_from_seed_matches_reference(name):
    spec = PARITY_SPECS[name]
    genomes = spec.random_genomes(4, seed=5)
    final, pheno = develop_torch(spec, genomes, steps=6)
    assert pheno.dtype == np.bool_ and pheno.shape == (4,) + (spec.sizes[spec.output_level],) * 2
    for p in range(4):
        ref = reference_develop(spec, genomes[p], steps=6)
        for lvl, (r, t) in enumerate(zip(ref, final)):
            assert np.abs(t[p] - r).max() <= ATOL, f"genome {p} level {lvl}"
        if spec.output_activation == "rectified_sigmoid":  # states are 0 or > 0.5
            np.testing.assert_array_equal(pheno[p], ref[spec.output_level][..., 0] > spec.threshold)


def test_twin_does_not_depend_on_chunking():
    spec = PARITY_SPECS["neural-8"]
    genomes = spec.random_genomes(5, seed=6)
    a, pa = develop_torch(spec, genomes, steps=5, chunk=1)
    b, pb = develop_torch(spec, genomes, steps=5, chunk=5)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, atol=1e-6)
    np.testing.assert_array_equal(pa, pb)


def test_twin_step_leaves_its_inputs_unchanged():
    spec = PARITY_SPECS["4levels-1x1top"]
    genomes = torch.from_numpy(spec.random_genomes(2, seed=7))
    states = [torch.rand(2, spec.channels, n, n) for n in spec.sizes]
    before = [s.clone() for s in states]
    with torch.no_grad():
        TorchHNCA(spec).step(genomes, states)
    for s, b in zip(states, before):
        assert torch.equal(s, b)


def test_twin_zero_steps_returns_initial_states():
    spec = PARITY_SPECS["bielawski-16"]
    final, pheno = develop_torch(spec, spec.random_genomes(2), steps=0)
    for f, s in zip(final, spec.initial_states(2)):
        np.testing.assert_array_equal(f, s)
    assert pheno.sum() == 2  # only the seed cell is on


def test_develop_torch_rejects_bad_genomes():
    spec = PARITY_SPECS["flat-nca"]
    with pytest.raises(ValueError, match="genes"):
        develop_torch(spec, np.zeros((2, spec.n_genes + 1), np.float32))


# ---------------------------------------------------------------- gradients
def test_twin_is_differentiable():
    spec = HNCASpec.preset("neural", base_size=8, channels=4, hidden=8, steps=6)
    model = TorchHNCA(spec)
    genomes = torch.from_numpy(spec.random_genomes(3, seed=8)).requires_grad_()
    final = model(genomes)
    target = torch.zeros(8, 8)
    target[2:6, 2:6] = 1.0
    loss = ((final[0][..., 0] - target) ** 2).mean()
    loss.backward()
    grad = genomes.grad
    assert grad is not None and grad.shape == genomes.shape
    assert torch.isfinite(grad).all()
    for lv in spec.layout.levels:  # every level's rule receives gradient
        for b in lv.blocks:
            assert grad[:, b.slice].abs().sum() > 0, f"level {lv.level} block {b.name}"


@pytest.mark.parametrize("spec", [
    HNCASpec(levels=2, base_size=4, channels=2, hidden=3, bias=True, hidden_activation="tanh",
             output_activation="identity", update="residual", steps=2, init_scale=0.5),
    HNCASpec(levels=3, base_size=4, channels=1, output_activation="rectified_sigmoid", steps=2),
], ids=["mlp", "linear"])
def test_twin_gradient_is_correct(spec):
    """Analytic gradient vs finite differences along random directions, in float64."""
    model = TorchHNCA(spec)
    genomes = torch.from_numpy(spec.random_genomes(2, seed=9)).double().requires_grad_()
    states = [torch.from_numpy(s).double() for s in _random_states(spec, 2, np.random.default_rng(9))]
    assert torch.autograd.gradcheck(lambda g: model(g, states), (genomes,), eps=1e-6, atol=1e-5,
                                    fast_mode=True)
