"""Mutation operators (alife.evolve.mutation): the shared contract, per-operator
properties, statistics, lattice helpers, the registry and every ValueError.

The contract tests are parametrised over ``OPERATORS``, so a newly registered
operator is tested automatically (with its default parameters unless a
strategy for its parameters is added to ``PARAM_STRATEGIES``).
"""
from __future__ import annotations

import functools
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alife.evolve import (
    DEFAULT_LATTICE_K,
    MAX_LATTICE_K,
    OPERATORS,
    gaussian,
    get_operator,
    lattice,
    lattice_values,
    on_lattice,
    operator_params,
    resample,
    to_lattice,
)

SETTINGS = settings(max_examples=50, deadline=None)
NAMES = sorted(OPERATORS)


# --------------------------------------------------------------------------- #
# strategies
# --------------------------------------------------------------------------- #
def _n_genes(D):
    return st.integers(1, D)


PARAM_STRATEGIES = {
    "resample": lambda D: st.fixed_dictionaries({}, optional={"n_genes": _n_genes(D)}),
    "gaussian": lambda D: st.fixed_dictionaries(
        {},
        optional={
            "sigma": st.one_of(st.floats(1e-30, 10.0), st.sampled_from([1e-30, 1e-8, 0.1, 1.0])),
            "rate": st.one_of(st.none(), st.floats(0.0, 1.0, exclude_min=True), st.just(1.0)),
        },
    ),
    "lattice": lambda D: st.fixed_dictionaries(
        {}, optional={"k": st.integers(2, 40), "n_genes": _n_genes(D)}
    ),
}


def params_for(name, D):
    return PARAM_STRATEGIES.get(name, lambda D: st.just({}))(D)


def prepare_parents(name, params, g):
    """Operator-specific preconditions on valid parents (lattice: snap)."""
    if name == "lattice":
        return to_lattice(g, params.get("k", DEFAULT_LATTICE_K))
    return g


@st.composite
def parents_for(draw, name, params, P, D):
    """Valid parents: U(-1, 1) with some genes exactly -1, 0 or 1, in C, F or strided layout."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    g = rng.uniform(-1, 1, size=(P, D)).astype(np.float32)
    edge_frac = draw(st.sampled_from([0.0, 0.2, 1.0]))
    edges = rng.random((P, D)) < edge_frac
    g[edges] = rng.choice(np.array([-1, 0, 1], dtype=np.float32), size=int(edges.sum()))
    g = prepare_parents(name, params, g)
    layout = draw(st.sampled_from(["C", "F", "strided"]))
    if layout == "F":
        g = np.asfortranarray(g)
    elif layout == "strided":
        big = np.zeros((P, 2 * D), dtype=np.float32)
        big[:, ::2] = g
        g = big[:, ::2]
    return g


# per-operator properties beyond the shared contract
def _check_resample(parents, children, mutated, params):
    assert (mutated.sum(axis=1) == params.get("n_genes", 1)).all()


def _check_lattice(parents, children, mutated, params):
    k = params.get("k", DEFAULT_LATTICE_K)
    assert (mutated.sum(axis=1) == params.get("n_genes", 1)).all()
    assert on_lattice(children, k)
    # each mutated gene sits on a different lattice value than before
    values = lattice_values(k)
    old = np.abs(parents[..., None] - values).argmin(-1)
    new = np.abs(children[..., None] - values).argmin(-1)
    assert (old[mutated] != new[mutated]).all()
    assert (old[~mutated] == new[~mutated]).all()


def _check_gaussian(parents, children, mutated, params):
    # clipping and mirroring never enlarge |noise|, so a gene moves < 10 sigma
    # (probability 1 - 1e-23 per gene), or by one float32 step (< 1e-6) when
    # the noise is below resolution
    sigma = params.get("sigma", 0.1)
    d = np.abs(children - parents)
    assert (d[mutated] <= max(10 * sigma, 1e-6)).all()


EXTRA_CHECKS = {"resample": _check_resample, "lattice": _check_lattice, "gaussian": _check_gaussian}


# --------------------------------------------------------------------------- #
# the shared contract
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_operator_contract(name, data):
    P = data.draw(st.integers(0, 12), label="P")
    D = data.draw(st.integers(1, 12), label="D")
    params = data.draw(params_for(name, D), label="params")
    parents = data.draw(parents_for(name, params, P, D), label="parents")
    seed = data.draw(st.integers(0, 2**63 - 1), label="seed")
    before = parents.copy()
    op = get_operator(name, **params)

    children, mutated = op(parents, np.random.default_rng(seed))

    assert isinstance(children, np.ndarray) and isinstance(mutated, np.ndarray)
    assert children.shape == (P, D) and mutated.shape == (P, D)
    assert children.dtype == np.float32 and mutated.dtype == bool
    assert children.flags.c_contiguous
    assert not np.shares_memory(children, parents)
    assert not np.shares_memory(mutated, parents)
    assert not np.shares_memory(children, mutated)
    assert parents.dtype == np.float32
    np.testing.assert_array_equal(parents, before)  # parents untouched
    assert np.isfinite(children).all()
    assert children.min(initial=0) >= -1 and children.max(initial=0) <= 1
    # `mutated` is exactly the genes that changed, and every child changed
    np.testing.assert_array_equal(mutated, children != parents)
    assert mutated.any(axis=1).all()
    EXTRA_CHECKS.get(name, lambda *a: None)(parents, children, mutated, params)

    # same seed -> identical children and mask
    again, mutated_again = op(parents, np.random.default_rng(seed))
    np.testing.assert_array_equal(again, children)
    np.testing.assert_array_equal(mutated_again, mutated)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(
    P=st.integers(8, 16),
    D=st.integers(8, 16),
    seeds=st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=2, unique=True),
    data=st.data(),
)
def test_different_seeds_give_different_children(name, P, D, seeds, data):
    # default parameters; with >= 8 children of >= 8 genes a collision has
    # probability < 1e-17 (lattice, k = 21) or 0 (continuous draws)
    g = np.random.default_rng(seeds[0]).uniform(-1, 1, (P, D)).astype(np.float32)
    parents = prepare_parents(name, {}, g)
    op = get_operator(name)
    a, _ = op(parents, np.random.default_rng(seeds[0]))
    b, _ = op(parents, np.random.default_rng(seeds[1]))
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_empty_population(name):
    parents = prepare_parents(name, {}, np.zeros((0, 5), dtype=np.float32))
    children, mutated = get_operator(name)(parents, np.random.default_rng(0))
    assert children.shape == mutated.shape == (0, 5)
    assert children.dtype == np.float32 and mutated.dtype == bool


@pytest.mark.parametrize("name", NAMES)
def test_read_only_parents_are_accepted(name):
    parents = prepare_parents(name, {}, np.random.default_rng(1).uniform(-1, 1, (4, 6)).astype(np.float32))
    parents.setflags(write=False)
    children, _ = get_operator(name)(parents, np.random.default_rng(0))
    assert children.flags.writeable


# --------------------------------------------------------------------------- #
# statistics (fixed seeds: deterministic)
# --------------------------------------------------------------------------- #
def _uniform_parents(P, D, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (P, D)).astype(np.float32)


@pytest.mark.parametrize("rate", [None, 0.05, 0.3, 1.0])
def test_gaussian_fraction_of_mutated_genes_matches_rate(rate):
    P, D = 20_000, 20
    _, mutated = gaussian(_uniform_parents(P, D), np.random.default_rng(1), sigma=0.1, rate=rate)
    r = 1 / D if rate is None else rate
    # a child with no selected gene gets one: expected fraction r + (1-r)^D / D
    expected = r + (1 - r) ** D / D
    se = np.sqrt(expected * (1 - expected) / (P * D))
    assert abs(mutated.mean() - expected) <= 5 * se  # tolerance: 5 binomial standard errors
    if rate is not None and rate >= 0.3:  # the correction (< 1e-4) is negligible here
        assert abs(mutated.mean() - rate) < 0.005
    assert mutated.any(axis=1).all()


def test_gaussian_default_rate_is_one_over_d():
    parents = _uniform_parents(50, 9)
    a = gaussian(parents, np.random.default_rng(3))
    b = gaussian(parents, np.random.default_rng(3), sigma=0.1, rate=1 / 9)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_gaussian_change_has_zero_mean_and_sigma_spread():
    P, D, sigma = 20_000, 20, 0.1
    parents = _uniform_parents(P, D)
    children, mutated = gaussian(parents, np.random.default_rng(2), sigma=sigma, rate=0.2)
    d = (children - parents)[mutated].astype(np.float64)
    assert d.size > 70_000
    assert abs(d.mean()) < 0.002  # standard error ~ 3.5e-4
    # from the centre no clipping: the change is N(0, sigma^2)
    zeros = np.zeros((P, D), dtype=np.float32)
    children, mutated = gaussian(zeros, np.random.default_rng(3), sigma=sigma, rate=0.2)
    d = children[mutated].astype(np.float64)
    assert abs(d.mean()) < 0.002
    assert abs(d.std() / sigma - 1) < 0.02


@pytest.mark.parametrize("sigma", [0.1, 1e-8, 1e-30])
def test_gaussian_genes_on_the_bounds_always_move_inwards(sigma):
    # clipping alone would leave half of these unchanged; tiny sigma is below
    # float32 resolution; both cases must still move every selected gene
    parents = np.tile(np.array([1, -1], dtype=np.float32), (2_000, 3))
    children, mutated = gaussian(parents, np.random.default_rng(4), sigma=sigma, rate=0.5)
    np.testing.assert_array_equal(mutated, children != parents)
    assert mutated.any(axis=1).all()
    assert (children[:, 0::2] <= 1).all() and (children[:, 1::2] >= -1).all()
    assert (children[:, 0::2][mutated[:, 0::2]] < 1).all()
    assert (children[:, 1::2][mutated[:, 1::2]] > -1).all()
    if sigma == 0.1:  # mirrored noise: |change| ~ half-normal(sigma)
        d = np.abs(children - parents)[mutated].astype(np.float64)
        assert abs(d.mean() - sigma * np.sqrt(2 / np.pi)) < 0.005


def test_gaussian_tiny_noise_moves_interior_genes_by_one_ulp():
    parents = np.full((100, 4), 0.5, dtype=np.float32)
    children, mutated = gaussian(parents, np.random.default_rng(5), sigma=1e-30, rate=1.0)
    assert mutated.all()
    up, down = np.nextafter(np.float32(0.5), np.float32(1)), np.nextafter(np.float32(0.5), np.float32(-1))
    assert np.isin(children, [up, down]).all()
    assert (children == up).any() and (children == down).any()  # in the noise's direction


@pytest.mark.parametrize("name", ["resample", "lattice"])
def test_chosen_genes_are_uniform_over_positions(name):
    P, D, n = 20_000, 10, 3
    parents = prepare_parents(name, {}, _uniform_parents(P, D))
    _, mutated = get_operator(name, n_genes=n)(parents, np.random.default_rng(6))
    freq = mutated.mean(axis=0)
    # each position is chosen with probability n / D; 5 binomial standard errors
    assert np.abs(freq - n / D).max() < 5 * np.sqrt(0.3 * 0.7 / P)


def test_resample_draws_are_uniform():
    P, D = 20_000, 10
    parents = _uniform_parents(P, D)
    children, mutated = resample(parents, np.random.default_rng(7), n_genes=2)
    v = children[mutated].astype(np.float64)
    assert abs(v.mean()) < 0.02  # U(-1, 1): sd 0.577, n = 40000
    assert abs(v.var() - 1 / 3) < 0.01
    assert abs((v > 0).mean() - 0.5) < 0.01


def test_lattice_new_value_is_uniform_among_the_other_values():
    k, P = 4, 30_000
    parents = np.full((P, 1), -1.0, dtype=np.float32)  # index 0
    children, _ = lattice(parents, np.random.default_rng(8), k=k)
    idx = np.searchsorted(lattice_values(k), children[:, 0])
    counts = np.bincount(idx, minlength=k) / P
    assert counts[0] == 0
    np.testing.assert_allclose(counts[1:], 1 / 3, atol=0.015)


def test_lattice_k2_flips_the_chosen_gene():
    parents = to_lattice(_uniform_parents(30, 5), 2)
    children, mutated = lattice(parents, np.random.default_rng(9), k=2, n_genes=2)
    np.testing.assert_array_equal(children[mutated], -parents[mutated])


# --------------------------------------------------------------------------- #
# lattice helpers
# --------------------------------------------------------------------------- #
def test_lattice_values():
    for k in range(2, 300):
        v = lattice_values(k)
        assert v.dtype == np.float32 and v.shape == (k,)
        assert v[0] == -1 and v[-1] == 1
        assert (np.diff(v) > 0).all()
        np.testing.assert_array_equal(v, -v[::-1])  # exactly symmetric
        if k % 2:
            assert v[k // 2] == 0  # 0 exactly (np.linspace gives -1.1e-16 for k = 99)
        np.testing.assert_allclose(v, np.linspace(-1, 1, k, dtype=np.float32), rtol=0, atol=1e-7)
    np.testing.assert_array_equal(lattice_values(21), np.linspace(-1, 1, 21, dtype=np.float32))
    assert lattice_values(MAX_LATTICE_K).size == np.unique(lattice_values(MAX_LATTICE_K)).size


@SETTINGS
@given(
    k=st.integers(2, 1000),
    x=st.lists(st.floats(-3, 3), min_size=0, max_size=30),
)
def test_to_lattice_snaps_to_the_nearest_value(k, x):
    x = np.array(x, dtype=np.float64)
    s = to_lattice(x, k)
    assert s.dtype == np.float32 and s.shape == x.shape and s.flags.c_contiguous
    assert on_lattice(s, k)
    np.testing.assert_array_equal(to_lattice(s, k), s)  # idempotent
    v = lattice_values(k).astype(np.float64)
    nearest = np.abs(np.clip(x, -1, 1)[:, None] - v).min(axis=1) if x.size else x
    assert np.all(np.abs(np.clip(x, -1, 1) - s) <= nearest + 1e-6)


def test_to_lattice_returns_fresh_memory_and_any_shape():
    g = lattice_values(5)[np.random.default_rng(0).integers(0, 5, (2, 3, 4))]
    s = to_lattice(g, 5)
    np.testing.assert_array_equal(s, g)
    assert not np.shares_memory(s, g)
    assert to_lattice(np.array([[-7.0, 7.0]]), 3).tolist() == [[-1.0, 1.0]]


def test_on_lattice():
    assert on_lattice(np.zeros((3, 4), dtype=np.float32), 3)
    assert on_lattice(np.zeros((0, 4), dtype=np.float32), 3)
    assert not on_lattice(np.zeros((3, 4), dtype=np.float32), 2)  # 0 is not on the k=2 lattice
    assert on_lattice(np.array([[-1, 1]]), 2)  # ints are fine
    assert not on_lattice(np.array([0.1]), 21)  # float64 0.1 is not the float32 value
    assert on_lattice(np.array([0.1], dtype=np.float32), 21)
    assert not on_lattice(np.array([np.nan], dtype=np.float32), 3)
    assert not on_lattice(np.array([np.inf], dtype=np.float32), 3)
    assert not on_lattice(np.array([1.5], dtype=np.float32), 3)
    assert isinstance(on_lattice(np.zeros(2), 3), bool)


# --------------------------------------------------------------------------- #
# registry
# --------------------------------------------------------------------------- #
def test_registry():
    assert OPERATORS == {"resample": resample, "gaussian": gaussian, "lattice": lattice}
    assert operator_params("gaussian") == {"sigma": 0.1, "rate": None}
    assert operator_params("resample") == {"n_genes": 1}
    assert operator_params("lattice") == {"k": DEFAULT_LATTICE_K, "n_genes": 1}
    op = get_operator("gaussian", sigma=0.2, rate=0.5)
    assert isinstance(op, functools.partial) and op.keywords == {"sigma": 0.2, "rate": 0.5}
    op2 = pickle.loads(pickle.dumps(op))
    parents = _uniform_parents(6, 7)
    np.testing.assert_array_equal(op(parents, np.random.default_rng(0))[0],
                                  op2(parents, np.random.default_rng(0))[0])
    # numpy scalars are valid parameter values
    get_operator("lattice", k=np.int64(5), n_genes=np.int32(2))
    get_operator("gaussian", sigma=np.float32(0.5), rate=np.float64(0.25))


# --------------------------------------------------------------------------- #
# bad input: every ValueError
# --------------------------------------------------------------------------- #
def _raises(match, fn, *args, **kwargs):
    with pytest.raises(ValueError, match=match) as exc:
        fn(*args, **kwargs)
    assert "\n" not in str(exc.value)  # one clear line


BAD_PARENTS = [
    ([[0.0, 0.5]], "numpy array"),
    (np.zeros(4, dtype=np.float32), "2-D"),
    (np.zeros((2, 3, 4), dtype=np.float32), "2-D"),
    (np.zeros((2, 3), dtype=np.float64), "float32"),
    (np.zeros((2, 3), dtype=np.int32), "float32"),
    (np.zeros((2, 0), dtype=np.float32), "at least one gene"),
    (np.array([[0.0, np.nan]], dtype=np.float32), "non-finite"),
    (np.array([[np.inf, 0.0]], dtype=np.float32), "non-finite"),
    (np.array([[0.0, 1.5]], dtype=np.float32), r"\[-1, 1\]"),
    (np.array([[-1.0001, 0.0]], dtype=np.float32), r"\[-1, 1\]"),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("parents,match", BAD_PARENTS)
def test_bad_parents(name, parents, match):
    _raises(match, get_operator(name), parents, np.random.default_rng(0))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("rng", [0, None, np.random.RandomState(0)])
def test_rng_must_be_a_generator(name, rng):
    parents = prepare_parents(name, {}, _uniform_parents(2, 3))
    with pytest.raises(TypeError, match="Generator"):
        get_operator(name)(parents, rng)


def test_unknown_operator():
    _raises(r"unknown mutation operator 'cauchy'.*gaussian, lattice, resample", get_operator, "cauchy")
    _raises("unknown mutation operator", operator_params, "cauchy")


@pytest.mark.parametrize(
    "name,key,valid",
    [("gaussian", "n_genes", "sigma, rate"), ("resample", "sigma", "n_genes"),
     ("lattice", "K", "k, n_genes"), ("gaussian", "rng", "sigma, rate")],
)
def test_unknown_parameter(name, key, valid):
    _raises(rf"unknown parameter '{key}' for mutation operator '{name}'; valid: {valid}",
            get_operator, name, **{key: 1})


BAD_PARAMS = [
    ("gaussian", "sigma", [0, 0.0, -0.1, float("nan"), float("inf"), "0.1", True, None]),
    ("gaussian", "rate", [0, 0.0, -0.1, 1.0001, 2, float("nan"), "0.5", True]),
    ("lattice", "k", [1, 0, -3, 2.0, 3.5, MAX_LATTICE_K + 1, True, None]),
    ("lattice", "n_genes", [0, -1, 1.0, 1.5, True, None]),
    ("resample", "n_genes", [0, -1, 1.0, 1.5, True, None]),
]


@pytest.mark.parametrize("name,key,values", BAD_PARAMS)
def test_bad_parameter_values(name, key, values):
    parents = prepare_parents(name, {}, _uniform_parents(2, 3))
    for value in values:
        _raises(key, get_operator, name, **{key: value})  # at bind time
        _raises(key, OPERATORS[name], parents, np.random.default_rng(0), **{key: value})  # direct call


@pytest.mark.parametrize("name", ["resample", "lattice"])
def test_n_genes_larger_than_genome_is_rejected_at_call_time(name):
    op = get_operator(name, n_genes=4)  # D unknown yet: fine
    parents = prepare_parents(name, {}, _uniform_parents(2, 3))
    _raises(r"n_genes must be an integer in 1\.\.3", op, parents, np.random.default_rng(0))
    op(prepare_parents(name, {}, _uniform_parents(2, 4)), np.random.default_rng(0))  # n_genes == D is fine


def test_lattice_parents_must_be_on_the_lattice():
    parents = _uniform_parents(3, 4)
    _raises(r"not on the k=21 lattice.*to_lattice", lattice, parents, np.random.default_rng(0))
    _raises(r"not on the k=4 lattice.*to_lattice", lattice, to_lattice(parents, 3), np.random.default_rng(0), k=4)


def test_lattice_helpers_bad_input():
    for k in [1, 0, 2.5, MAX_LATTICE_K + 1, True]:
        _raises("k \\(lattice size\\)", lattice_values, k)
        _raises("k \\(lattice size\\)", to_lattice, np.zeros(2), k)
        _raises("k \\(lattice size\\)", on_lattice, np.zeros(2), k)
    _raises("non-finite", to_lattice, np.array([0.0, np.nan]), 3)
    _raises("non-finite", to_lattice, np.array([np.inf]), 3)
    _raises("real numeric", to_lattice, np.array(["a"]), 3)
    _raises("real numeric", on_lattice, np.array([1 + 0j]), 3)


def test_compiled_gene_choice_equals_the_partial_sort():
    # the n smallest keys of every row, as np.argpartition picks them: random
    # keys of many shapes, and rows whose n-th and (n+1)-th keys tie (left to
    # the partial sort) or tie inside the chosen n (one set either way)
    from alife.evolve.mutation import _smallest_in_rows

    def reference(keys, n):
        mask = np.zeros(keys.shape, bool)
        np.put_along_axis(mask, np.argpartition(keys, n - 1, axis=1)[:, :n], True, axis=1)
        return mask

    rng = np.random.default_rng(5)
    for _ in range(300):
        P, D = int(rng.integers(0, 12)), int(rng.integers(1, 40))
        n = int(rng.integers(1, D + 1))
        keys = rng.random((P, D))
        if rng.random() < 0.5:          # few distinct values: ties everywhere
            keys = np.floor(keys * rng.integers(2, 6)) / 8
        mask = np.zeros((P, D), bool)
        if _smallest_in_rows(keys, n, mask):
            np.testing.assert_array_equal(mask, reference(keys, n))
            assert (mask.sum(axis=1) == n).all()
        else:                           # a tie at the edge of the n smallest
            order = np.sort(keys, axis=1)
            assert n < D and (order[:, n - 1] == order[:, n]).any()
    keys = np.array([[0.5, 0.25, 0.25, 0.75]])
    mask = np.zeros((1, 4), bool)
    assert _smallest_in_rows(keys, 2, mask) and mask.tolist() == [[False, True, True, False]]
    assert not _smallest_in_rows(keys, 1, np.zeros((1, 4), bool))
    assert _smallest_in_rows(keys, 4, mask)
