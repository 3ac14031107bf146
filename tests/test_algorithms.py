"""Evolutionary algorithms (alife.evolve.algorithms): the ask/tell contract,
elitism, determinism and crash-resume, per-algorithm rules, the Pareto and
tournament operators, state serialisation and every ValueError.

The contract tests are parametrised over ``ALGORITHMS``, so a newly
registered algorithm is tested automatically (with ``{"pop_size": 12}``
unless a configuration is added to ``CONFIGS``).  The loss is synthetic and
cheap (no simulator): squared distance to a fixed vector, or the number of
genes above 0.5 (an int loss with many ties).
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from alife.evolve import (
    AFPO,
    ALGORITHMS,
    GA,
    OPERATORS,
    STATE_KEYS,
    HillClimbers,
    PopulationState,
    algorithm_params,
    from_arrays,
    make_algorithm,
    on_lattice,
    pareto_ranks,
    pareto_select,
    to_arrays,
    tournament,
)

NAMES = sorted(ALGORITHMS)
D = 24
CONFIGS = {
    "afpo": {"pop_size": 12, "n_newcomers": 2},
    "ga": {"pop_size": 12, "n_offspring": 8, "tournament_size": 3},
    "hillclimb": {"pop_size": 12},
}
TARGET = np.linspace(-0.9, 0.9, D)


def sq_loss(g):
    """Squared distance to a fixed vector: float64, continuous."""
    return ((g.astype(np.float64) - TARGET) ** 2).sum(axis=1)


def count_loss(g):
    """Number of genes above 0.5: int64, lots of ties (neutral mutations)."""
    return (g > 0.5).sum(axis=1).astype(np.int64)


LOSSES = {"sq": sq_loss, "count": count_loss}


def algo_for(name, **overrides):
    return make_algorithm(name, **{**CONFIGS.get(name, {"pop_size": 12}), **overrides})


def run(algo, seed, n_gen, loss_fn=sq_loss, state=None, rng=None):
    """``n_gen`` generations; returns (states, offspring) with states[0] the start."""
    rng = np.random.default_rng(seed) if rng is None else rng
    if state is None:
        first = algo.init(rng, genome_size=D)
        state = algo.tell_init(first.genomes, loss_fn(first.genomes))
    states, offspring = [state], []
    for _ in range(n_gen):
        off = algo.ask(state, rng)
        state = algo.tell(state, off, loss_fn(off.genomes), rng)
        states.append(state)
        offspring.append(off)
    return states, offspring


def arrays_of(obj):
    """Every field of a state or offspring, as arrays (for exact comparison)."""
    return {f.name: np.asarray(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def assert_identical(a, b):
    A, B = arrays_of(a), arrays_of(b)
    assert A.keys() == B.keys()
    for k in A:
        assert A[k].dtype == B[k].dtype, k
        assert np.array_equal(A[k], B[k]), k


def pool_of(state, off, off_loss):
    """The pool AFPO/GA select from: old population one generation older, then offspring."""
    return (
        np.concatenate([state.age + 1, off.age]),
        np.concatenate([state.loss, np.asarray(off_loss, np.float64)]),
        np.concatenate([state.uid, off.uid]),
    )


def make_state(loss, age=None, genomes=None, generation=3):
    loss = np.asarray(loss, np.float64)
    P = loss.size
    if genomes is None:
        genomes = np.random.default_rng(1).uniform(-1, 1, (P, 4)).astype(np.float32)
    return PopulationState(
        genomes=genomes, loss=loss,
        age=np.zeros(P, np.int64) if age is None else np.asarray(age, np.int64),
        uid=np.arange(10, 10 + P, dtype=np.int64), generation=generation, next_uid=10 + P,
    )


# --------------------------------------------------------------------------- #
# the shared contract
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("name", NAMES)
def test_ask_tell_keep_shapes_dtypes_and_links(name):
    algo = algo_for(name)
    P = algo.pop_size
    rng = np.random.default_rng(0)
    first = algo.init(rng, genome_size=D)
    assert first.genomes.shape == (P, D) and first.genomes.dtype == np.float32
    assert np.array_equal(first.uid, np.arange(P)) and (first.parent_uid == -1).all()
    assert (first.parent_index == -1).all() and not first.mutated.any() and (first.age == 0).all()
    state = algo.tell_init(first, sq_loss(first.genomes))  # an Offspring is accepted too
    assert state.generation == 0 and state.next_uid == P and (state.age == 0).all()
    for gen in range(1, 6):
        before = {k: v.copy() for k, v in to_arrays(state).items()}
        off = algo.ask(state, rng)
        K = len(off)
        assert off.genomes.shape == (K, D) and off.genomes.dtype == np.float32
        assert off.mutated.shape == (K, D) and off.mutated.dtype == bool
        for f in ("uid", "parent_uid", "parent_index", "age"):
            a = getattr(off, f)
            assert a.shape == (K,) and a.dtype == np.int64, f
        assert not np.shares_memory(off.genomes, state.genomes)
        has_parent = off.parent_index >= 0
        assert np.array_equal(off.parent_uid[has_parent], state.uid[off.parent_index[has_parent]])
        assert (off.parent_uid[~has_parent] == -1).all()
        # mutated is exactly "differs from the parent"; every child really changed
        parents = state.genomes[off.parent_index[has_parent]]
        assert np.array_equal(off.mutated[has_parent], off.genomes[has_parent] != parents)
        assert off.mutated[has_parent].any(axis=1).all()
        assert not off.mutated[~has_parent].any()
        new = algo.tell(state, off, sq_loss(off.genomes), rng)
        for k, v in to_arrays(state).items():  # ask and tell never modify the state
            assert np.array_equal(v, before[k]), k
        assert new.genomes.shape == (P, D) and new.genomes.dtype == np.float32
        assert new.loss.dtype == np.float64 and new.age.dtype == np.int64 and new.uid.dtype == np.int64
        assert new.generation == gen
        assert not new.genomes.flags.writeable and not new.loss.flags.writeable
        # the loss stored with each genome is its loss
        assert np.allclose(new.loss, sq_loss(new.genomes), rtol=0, atol=0)
        state = new


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("name", NAMES)
def test_best_loss_never_worse_and_improves(name, loss_name):
    """Elitism (all three algorithms): the best loss is non-increasing, and it improves in 50 generations."""
    states, _ = run(algo_for(name), seed=3, n_gen=50, loss_fn=LOSSES[loss_name])
    best = np.array([s.loss.min() for s in states])
    assert (np.diff(best) <= 0).all(), best
    assert best[-1] < best[0], best
    assert all(s.pop_size == states[0].pop_size for s in states)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_identical_run(name):
    algo = algo_for(name)
    s1, o1 = run(algo, seed=7, n_gen=8, loss_fn=count_loss)
    s2, o2 = run(algo_for(name), seed=7, n_gen=8, loss_fn=count_loss)
    for a, b in zip(s1, s2):
        assert_identical(a, b)
    for a, b in zip(o1, o2):
        assert_identical(a, b)
    s3, _ = run(algo, seed=8, n_gen=8, loss_fn=count_loss)
    assert not np.array_equal(s1[-1].genomes, s3[-1].genomes)


@pytest.mark.parametrize("name", NAMES)
def test_resume_from_saved_arrays_is_bit_identical(name, tmp_path):
    """What crash-resume relies on: state arrays + generator state reproduce the run exactly."""
    algo = algo_for(name)
    full_states, full_off = run(algo, seed=11, n_gen=12, loss_fn=count_loss)

    rng = np.random.default_rng(11)
    head, _ = run(algo, seed=None, n_gen=5, loss_fn=count_loss, rng=rng)
    np.savez(tmp_path / "state.npz", **to_arrays(head[-1]))
    (tmp_path / "rng.json").write_text(json.dumps(rng.bit_generator.state))
    (tmp_path / "algo.json").write_text(json.dumps(dataclasses.asdict(algo)))
    del rng, head

    with np.load(tmp_path / "state.npz") as f:
        state = from_arrays(dict(f))
    rng = np.random.default_rng()
    rng.bit_generator.state = json.loads((tmp_path / "rng.json").read_text())
    algo2 = make_algorithm(name, **json.loads((tmp_path / "algo.json").read_text()))
    assert algo2 == algo
    tail_states, tail_off = run(algo2, seed=None, n_gen=7, loss_fn=count_loss, state=state, rng=rng)
    for a, b in zip(full_states[5:], tail_states):
        assert_identical(a, b)
    for a, b in zip(full_off[5:], tail_off):
        assert_identical(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_uids_unique_and_increasing(name):
    algo = algo_for(name)
    states, offs = run(algo, seed=5, n_gen=10, loss_fn=count_loss)
    created = set(states[0].uid.tolist())
    for state, off, new in zip(states, offs, states[1:]):
        assert np.unique(state.uid).size == state.pop_size
        assert np.array_equal(off.uid, state.next_uid + np.arange(len(off)))
        assert off.uid.min() > max(created)  # newer genomes have larger uids
        created |= set(off.uid.tolist())
        assert new.next_uid == state.next_uid + len(off) == max(created) + 1
        assert set(new.uid.tolist()) <= created
        assert np.unique(new.uid).size == new.pop_size


@pytest.mark.parametrize("op", sorted(OPERATORS))
@pytest.mark.parametrize("name", NAMES)
def test_every_mutation_operator(name, op):
    params = {"gaussian": {"sigma": 0.2}, "lattice": {"k": 5}}.get(op, {})
    algo = algo_for(name, mutation=op, mutation_params=params)
    states, offs = run(algo, seed=2, n_gen=4, loss_fn=count_loss)
    if op == "lattice":  # random genomes (init, AFPO newcomers) are put on the lattice
        assert all(on_lattice(s.genomes, 5) for s in states)
        assert all(on_lattice(o.genomes, 5) for o in offs)


@pytest.mark.parametrize("name", NAMES)
def test_init_from_given_genomes(name):
    algo = algo_for(name)
    P = algo.pop_size
    g = np.random.default_rng(0).uniform(-0.5, 0.5, (P, 5)).astype(np.float32)
    first = algo.init(np.random.default_rng(0), g)
    assert np.array_equal(first.genomes, g) and not np.shares_memory(first.genomes, g)
    with pytest.raises(ValueError, match="rows"):
        algo.init(np.random.default_rng(0), g[:-1])
    with pytest.raises(ValueError, match="float32"):
        algo.init(np.random.default_rng(0), g.astype(np.float64))
    with pytest.raises(ValueError, match="not both"):
        algo.init(np.random.default_rng(0), g, genome_size=5)
    with pytest.raises(ValueError, match="genome_size"):
        algo.init(np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        algo.init(0, genome_size=5)
    with pytest.raises(ValueError, match="lattice"):
        algo_for(name, mutation="lattice").init(np.random.default_rng(0), g)
    small = algo_for(name, init_scale=0.25).init(np.random.default_rng(0), genome_size=5).genomes
    assert np.abs(small).max() <= 0.25


@pytest.mark.parametrize("name", NAMES)
def test_tell_rejects_bad_input(name):
    algo = algo_for(name)
    rng = np.random.default_rng(0)
    state = run(algo, seed=0, n_gen=1)[0][-1]
    off = algo.ask(state, rng)
    K = len(off)
    with pytest.raises(ValueError, match=rf"shape \({K},\)"):
        algo.tell(state, off, np.zeros(K + 1), rng)
    with pytest.raises(ValueError, match="NaN"):
        algo.tell(state, off, np.full(K, np.nan), rng)
    with pytest.raises(ValueError, match="int or float"):
        algo.tell(state, off, np.zeros(K, bool), rng)
    new = algo.tell(state, off, np.full(K, np.inf), rng)  # inf is allowed: the worst loss
    with pytest.raises(ValueError, match="not asked from this state"):
        algo.tell(new, off, np.zeros(K), rng)
    with pytest.raises(ValueError, match="pop_size"):
        algo_for(name, pop_size=5).ask(state, rng)
    with pytest.raises(TypeError, match="Generator"):
        algo.ask(state, 0)
    with pytest.raises(ValueError, match="rows"):
        algo.tell_init(state.genomes[:-1], state.loss[:-1])


@pytest.mark.parametrize("name", NAMES)
def test_registry_params_and_defaults(name):
    params = algorithm_params(name)
    assert set(params) == {f.name for f in dataclasses.fields(ALGORITHMS[name])}
    algo = make_algorithm(name)
    assert algo == ALGORITHMS[name]() and algo.name == name
    assert {"pop_size", "mutation", "mutation_params", "init_scale"} <= set(params)


# --------------------------------------------------------------------------- #
# state serialisation
# --------------------------------------------------------------------------- #
def test_to_from_arrays_round_trip_and_errors():
    state = run(algo_for("afpo"), seed=1, n_gen=3)[0][-1]
    arrays = to_arrays(state)
    assert tuple(arrays) == STATE_KEYS
    assert all(isinstance(v, np.ndarray) for v in arrays.values())
    assert arrays["generation"].shape == () and arrays["generation"].dtype == np.int64
    back = from_arrays(arrays)
    assert_identical(state, back)
    assert not back.genomes.flags.writeable and not np.shares_memory(back.genomes, arrays["genomes"])
    with pytest.raises(ValueError, match=r"missing \['age'\]"):
        from_arrays({k: v for k, v in arrays.items() if k != "age"})
    with pytest.raises(ValueError, match="unexpected"):
        from_arrays({**arrays, "extra": np.zeros(1)})
    with pytest.raises(ValueError, match="float32"):
        from_arrays({**arrays, "genomes": arrays["genomes"].astype(np.float64)})
    with pytest.raises(ValueError, match="dtype float64"):
        from_arrays({**arrays, "loss": arrays["loss"].astype(np.float32)})
    with pytest.raises(ValueError, match="0-d integer"):
        from_arrays({**arrays, "generation": np.array([3])})
    with pytest.raises(TypeError, match="PopulationState"):
        to_arrays(arrays)


def test_state_validation():
    s = make_state([1.0, 2.0])
    bad = to_arrays(s)
    with pytest.raises(ValueError, match="unique"):
        from_arrays({**bad, "uid": np.array([10, 10], np.int64)})
    with pytest.raises(ValueError, match="next_uid"):
        from_arrays({**bad, "next_uid": np.array(11, np.int64)})
    with pytest.raises(ValueError, match="NaN"):
        from_arrays({**bad, "loss": np.array([np.nan, 1.0])})
    with pytest.raises(ValueError, match="age must be >= 0"):
        from_arrays({**bad, "age": np.array([-1, 0], np.int64)})
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        from_arrays({**bad, "age": np.zeros(3, np.int64)})
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        from_arrays({**bad, "genomes": np.full((2, 4), 2.0, np.float32)})
    assert s.best() == 0


# --------------------------------------------------------------------------- #
# selection operators
# --------------------------------------------------------------------------- #
def naive_pareto_ranks(obj):
    """Peel fronts with an explicit double loop over points (the obvious definition)."""
    obj = [tuple(p) for p in obj]
    rank, left, r = {}, set(range(len(obj))), 0
    while left:
        front = {
            j for j in left
            if not any(all(a <= b for a, b in zip(obj[i], obj[j])) and obj[i] != obj[j] for i in left)
        }
        for j in front:
            rank[j] = r
        left -= front
        r += 1
    return [rank[i] for i in range(len(obj))]


@pytest.mark.parametrize(
    "points, expected",
    [
        ([[0, 3], [1, 1], [2, 0], [1, 2], [2, 2], [3, 3]], [0, 0, 0, 1, 2, 3]),
        ([[1, 1], [1, 1], [2, 2]], [0, 0, 1]),  # equal points do not dominate each other
        ([[0, 5], [0, 4]], [1, 0]),  # equal in one objective, better in the other: dominates
        ([[5, 0]], [0]),
        ([[0, np.inf], [1, np.inf], [1, 0]], [0, 1, 0]),
        (np.zeros((0, 2)), []),
    ],
)
def test_pareto_ranks_hand_cases(points, expected):
    r = pareto_ranks(np.asarray(points, dtype=np.float64))
    assert r.dtype == np.int64 and r.tolist() == expected


@pytest.mark.parametrize("M", [1, 2, 3])
def test_pareto_ranks_match_naive(M):
    rng = np.random.default_rng(M)
    for _ in range(20):
        obj = rng.integers(0, 5, size=(int(rng.integers(1, 30)), M))
        assert pareto_ranks(obj).tolist() == naive_pareto_ranks(obj.tolist())


def test_pareto_ranks_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        pareto_ranks([[0.0, np.nan]])
    with pytest.raises(ValueError, match=r"\(N, M\)"):
        pareto_ranks([1.0, 2.0])


def test_pareto_select_fills_overflowing_front_by_loss_age_uid():
    #            front 0 ------------------------   front 1 ------
    age = np.array([0, 5, 9, 9, 2, 7, 7, 3], np.int64)
    loss = np.array([9, 4, 1, 1, 8, 6, 6, 9], np.float64)
    uid = np.array([40, 41, 43, 42, 44, 46, 45, 47], np.int64)
    assert pareto_ranks(np.stack([age, loss], 1)).tolist() == [0, 0, 0, 0, 0, 1, 1, 1]
    # front 0 (5 points) fits in 7; front 1 overflows: loss 6 ties -> same age -> lower uid (45)
    assert pareto_select(age, loss, uid, 7).tolist() == [3, 2, 1, 4, 0, 6, 5]
    # front 0 overflows 3: lowest loss (1, 1: tie on age -> uid 42 first), then loss 4
    assert pareto_select(age, loss, uid, 3).tolist() == [3, 2, 1]
    assert pareto_select(age, loss, uid, 0).tolist() == []
    with pytest.raises(ValueError, match="n must be"):
        pareto_select(age, loss, uid, 9)


def test_tournament_rules():
    rng = np.random.default_rng(0)
    loss = np.array([0.0, 1.0])
    age = np.array([5, 0])
    # entrants are distinct: with 2 of 2, the better one always wins
    assert (tournament(loss, age, 200, 2, rng) == 0).all()
    # equal loss: the younger wins
    assert (tournament(np.zeros(2), age, 200, 2, rng) == 1).all()
    # equal loss and age: a fair coin
    wins = np.bincount(tournament(np.zeros(2), np.zeros(2, np.int64), 4000, 2, rng), minlength=2)
    assert 1800 < wins[0] < 2200
    # size 1 is uniform random selection; size P always picks the best
    loss5 = np.array([3.0, 1.0, 4.0, 1.5, 9.0])
    counts = np.bincount(tournament(loss5, np.zeros(5, np.int64), 5000, 1, rng), minlength=5)
    assert (counts > 850).all() and (counts < 1150).all()
    assert (tournament(loss5, np.zeros(5, np.int64), 50, 5, rng) == 1).all()
    # binary tournament on distinct losses: the k-th best (k = 0, 1, ...) wins with
    # probability 2 (P - 1 - k) / (P (P - 1)); loss5's ranks are [2, 0, 3, 1, 4]
    sel = np.bincount(tournament(loss5, np.zeros(5, np.int64), 20000, 2, rng), minlength=5)
    expected = 20000 * np.array([2, 4, 1, 3, 0]) * 2 / 20
    assert np.allclose(sel, expected, atol=300)
    with pytest.raises(ValueError, match="tournament size"):
        tournament(loss5, np.zeros(5, np.int64), 3, 6, rng)


def test_compiled_tournament_equals_the_reference_partial_sort():
    from alife.evolve.algorithms.selection import _tournament_numpy, _tournament_rows
    rng = np.random.default_rng(7)
    for _ in range(200):       # tied losses and ages, -0.0, inf; every size
        P = int(rng.integers(1, 30))
        n, size = int(rng.integers(1, 20)), int(rng.integers(1, P + 1))
        loss = rng.choice([-0.0, 0.0, 1.0, 2.0, np.inf], P)
        age = rng.integers(0, 3, P)
        seed = int(rng.integers(1 << 30))
        keys = np.random.default_rng(seed).random((n, P))
        np.testing.assert_array_equal(tournament(loss, age, n, size, np.random.default_rng(seed)),
                                      _tournament_numpy(keys, loss, age, size))
    # two equal keys among a row's smallest: left to the reference
    keys = np.array([[0.5, 0.25, 0.5, 0.75]])
    assert not _tournament_rows(keys, np.zeros(4), np.zeros(4, np.int64), 2, np.empty(1, np.int64))
    assert _tournament_rows(keys, np.zeros(4), np.zeros(4, np.int64), 1, np.empty(1, np.int64))


# --------------------------------------------------------------------------- #
# AFPO
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("inherit_age", [True, False])
def test_afpo_newcomers_and_ages(inherit_age):
    algo = AFPO(pop_size=10, n_newcomers=3, inherit_age=inherit_age)
    states, offs = run(algo, seed=4, n_gen=15, loss_fn=count_loss)
    for state, off, new in zip(states, offs, states[1:]):
        assert len(off) == 13
        kids, newcomers = slice(0, 10), slice(10, 13)
        assert (off.age[newcomers] == 0).all() and (off.parent_uid[newcomers] == -1).all()
        assert (off.parent_index[newcomers] == -1).all() and not off.mutated[newcomers].any()
        assert (off.parent_index[kids] >= 0).all()
        expected = state.age[off.parent_index[kids]] + 1 if inherit_age else 0
        assert np.array_equal(off.age[kids], np.broadcast_to(expected, (10,)))
        # survivors: old members are one generation older, offspring keep the asked age
        old_age = dict(zip(state.uid.tolist(), state.age.tolist()))
        off_age = dict(zip(off.uid.tolist(), off.age.tolist()))
        for u, a in zip(new.uid.tolist(), new.age.tolist()):
            assert a == (old_age[u] + 1 if u in old_age else off_age[u])
    if inherit_age:  # every lineage has a founding newcomer (or generation-0 genome)
        assert max(s.age.max() for s in states) > 0
    else:
        assert states[-1].age.max() <= 15


def test_afpo_survivors_are_pareto_fronts():
    algo = AFPO(pop_size=10, n_newcomers=2)
    rng = np.random.default_rng(6)
    states, _ = run(algo, seed=6, n_gen=0, loss_fn=count_loss)
    state = states[0]
    for _ in range(20):
        off = algo.ask(state, rng)
        off_loss = count_loss(off.genomes)
        new = algo.tell(state, off, off_loss, rng)
        age, loss, uid = pool_of(state, off, off_loss)
        rank = pareto_ranks(np.stack([age, loss], 1))
        kept = np.isin(uid, new.uid)
        assert kept.sum() == algo.pop_size
        # whole fronts first: no survivor is in a later front than a discarded individual
        assert rank[kept].max() <= rank[~kept].min()
        n_front0 = (rank == 0).sum()
        assert kept[rank == 0].sum() == min(n_front0, algo.pop_size)  # first front kept when it fits
        # within the cut front, survivors precede the discarded by (loss, age, uid)
        cut = rank == rank[kept].max()
        key = lambda i: (loss[i], age[i], uid[i])  # noqa: E731
        if (cut & ~kept).any():
            assert max(map(key, np.flatnonzero(cut & kept))) < min(map(key, np.flatnonzero(cut & ~kept)))
        # elitism: the best (lowest loss, then age) individual survives
        best = np.lexsort((uid, age, loss))[0]
        assert kept[best] and new.loss.min() == loss.min()
        state = new


def test_tournament_in_blocks_of_rows_is_one_draw(monkeypatch):
    # keys drawn a few rows at a time: the same winners and the same generator
    # state as one (n, P) draw, on the compiled path, on the reference path
    # (sizes over the compiled maximum) and where tied keys send a block to it
    import alife.evolve.algorithms.selection as sel
    rng = np.random.default_rng(3)
    cases = []
    for _ in range(60):
        P = int(rng.integers(1, 40))
        n, size = int(rng.integers(0, 30)), int(rng.integers(1, P + 1))
        cases.append((rng.choice([0.0, 1.0, 2.0, np.inf], P), rng.integers(0, 3, P), n, size))
    cases.append((np.arange(40.0), np.zeros(40, np.int64), 25, 20))   # the reference path
    seeds = range(len(cases))
    whole = [(tournament(loss, age, n, size, g := np.random.default_rng(s)), g.bit_generator.state)
             for (loss, age, n, size), s in zip(cases, seeds)]
    calls = []
    real_rows = sel._tournament_rows

    def tie_in_block_two(keys, *args):
        calls.append(keys.shape[0])
        return False if len(calls) == 2 else real_rows(keys, *args)

    for per_block in (1, 7, 50):
        monkeypatch.setattr(sel, "_KEYS_PER_BLOCK", per_block)
        monkeypatch.setattr(sel, "_tournament_rows", tie_in_block_two)
        for ((loss, age, n, size), s), (won, state) in zip(zip(cases, seeds), whole):
            calls.clear()
            g = np.random.default_rng(s)
            np.testing.assert_array_equal(tournament(loss, age, n, size, g), won)
            assert g.bit_generator.state == state
            if size <= sel._FAST_TOURNAMENT_MAX and n > 0:
                # blocks of whole rows, as many keys as allowed (at least one row)
                assert calls == [min(max(1, per_block // len(loss)), n - i)
                                 for i in range(0, n, max(1, per_block // len(loss)))]


def test_afpo_binary_tournament_hand_cases():
    algo = AFPO(pop_size=2, n_newcomers=0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        off = algo.ask(make_state([1.0, 0.0]), rng)  # the better one wins every binary tournament
        assert (off.parent_uid == 11).all()
        off = algo.ask(make_state([2.0, 2.0], age=[3, 1]), rng)  # equal loss: the younger wins
        assert (off.parent_uid == 11).all()
    off = AFPO(pop_size=1, n_newcomers=1).ask(make_state([1.0]), rng)  # one individual: it is the parent
    assert off.parent_uid.tolist() == [10, -1]


# --------------------------------------------------------------------------- #
# GA
# --------------------------------------------------------------------------- #
def test_ga_keeps_best_mu_of_parents_and_offspring():
    algo = GA(pop_size=8, n_offspring=5, tournament_size=2)
    rng = np.random.default_rng(9)
    state = run(algo, seed=9, n_gen=0, loss_fn=count_loss)[0][0]
    for _ in range(15):
        off = algo.ask(state, rng)
        assert (off.age == 0).all()
        off_loss = count_loss(off.genomes)
        new = algo.tell(state, off, off_loss, rng)
        age, loss, uid = pool_of(state, off, off_loss)
        assert np.array_equal(new.loss, np.sort(loss)[:8])  # the best mu, best first
        order = np.lexsort((uid, age, loss))[:8]  # ties: younger first, then lower uid
        assert np.array_equal(new.uid, uid[order]) and np.array_equal(new.age, age[order])
        state = new
    assert GA(pop_size=4).n_offspring == 4


# --------------------------------------------------------------------------- #
# hill climbers
# --------------------------------------------------------------------------- #
def test_hillclimb_accepts_equal_rejects_worse():
    algo = HillClimbers(pop_size=3)
    rng = np.random.default_rng(0)
    state = make_state([1.0, 1.0, 1.0], age=[4, 4, 4])
    off = algo.ask(state, rng)
    assert off.parent_index.tolist() == [0, 1, 2] and (off.age == 0).all()
    new = algo.tell(state, off, np.array([0, 1, 2]), rng)  # better, equal (neutral), worse
    assert new.loss.tolist() == [0.0, 1.0, 1.0]
    assert np.array_equal(new.genomes[:2], off.genomes[:2]) and np.array_equal(new.genomes[2], state.genomes[2])
    assert new.uid.tolist() == [off.uid[0], off.uid[1], state.uid[2]]
    assert new.age.tolist() == [0, 0, 5]  # generations since the climber last moved
    assert new.next_uid == state.next_uid + 3 and new.generation == state.generation + 1


def test_hillclimb_climbers_never_worsen():
    states, _ = run(HillClimbers(pop_size=6), seed=1, n_gen=20, loss_fn=count_loss)
    for a, b in zip(states, states[1:]):
        assert (b.loss <= a.loss).all()
        moved = b.uid != a.uid
        assert (b.age[moved] == 0).all() and np.array_equal(b.age[~moved], a.age[~moved] + 1)


# --------------------------------------------------------------------------- #
# make_algorithm errors
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "name, params, match",
    [
        ("nsga", {}, "unknown algorithm 'nsga'; valid: afpo, ga, hillclimb"),
        ("afpo", {"mu": 3}, "unknown parameter 'mu' for algorithm 'afpo'; valid: pop_size"),
        ("ga", {"n_newcomers": 1}, "unknown parameter 'n_newcomers'"),
        ("afpo", {"pop_size": 0}, "pop_size must be an integer >= 1"),
        ("hillclimb", {"pop_size": 2.0}, "pop_size must be an integer >= 1"),
        ("afpo", {"n_newcomers": -1}, "n_newcomers must be an integer >= 0"),
        ("afpo", {"inherit_age": 1}, "inherit_age must be True or False"),
        ("ga", {"tournament_size": 0}, r"tournament_size must be an integer in 1\.\.100"),
        ("ga", {"pop_size": 4, "tournament_size": 5}, r"tournament_size must be an integer in 1\.\.4"),
        ("ga", {"n_offspring": 0}, "n_offspring must be an integer >= 1"),
        ("ga", {"mutation": "flip"}, "unknown mutation operator 'flip'"),
        ("ga", {"mutation": "gaussian", "mutation_params": {"sigma": -1}}, "sigma must be"),
        ("ga", {"mutation_params": {"k": 3}}, "unknown parameter 'k' for mutation operator 'resample'"),
        ("ga", {"mutation_params": [("k", 3)]}, "mutation_params must be a dict"),
        ("afpo", {"init_scale": 1.5}, r"init_scale must be a number in \(0, 1\]"),
        ("afpo", {"init_scale": 0}, r"init_scale must be a number in \(0, 1\]"),
    ],
)
def test_make_algorithm_errors(name, params, match):
    with pytest.raises(ValueError, match=match) as e:
        make_algorithm(name, **params)
    assert "\n" not in str(e.value)


def test_configs_are_frozen_and_own_their_params():
    params = {"sigma": 0.1}
    algo = make_algorithm("ga", mutation="gaussian", mutation_params=params)
    params["sigma"] = -5.0  # the caller's dict is copied
    assert algo.mutation_params == {"sigma": 0.1}
    with pytest.raises(dataclasses.FrozenInstanceError):
        algo.pop_size = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        run(algo, seed=0, n_gen=0)[0][0].generation = 5


def test_two_objective_fast_path_matches_dominance_matrix():
    from alife.evolve.algorithms import _pareto_ranks_2d, _pareto_ranks_quadratic
    rng = np.random.default_rng(5)
    for n, hi in ((1000, 40), (600, 1000), (50, 3)):
        obj = np.column_stack([rng.integers(0, hi, n), rng.integers(0, 4 * hi, n)]).astype(np.float64)
        np.testing.assert_array_equal(_pareto_ranks_2d(obj), _pareto_ranks_quadratic(obj))
