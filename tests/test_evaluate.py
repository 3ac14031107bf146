"""The one evaluator (alife.tasks.evaluate / Task.evaluate) and what develop
gained for it: scoring at chosen steps and a damage, inside one rollout.

The homeostasis and damage losses are checked against the multi-call
computations the package used before (k + 1 and 2 develop calls), kept here
as slow references."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from alife.nca import HNCASpec, develop, trajectory
from alife.nca.phenotype import binarise, phenotype_ids
from alife.tasks import (TASK_MODES, Evaluation, Task, damage_loss, damage_states, evaluate,
                         homeostasis_loss, loss, loss_from_counts, target)
from alife.tasks import evaluation as evaluation_module

sys.path.insert(0, str(Path(__file__).parent))
from test_develop import _fingerprint_from_trajectory  # noqa: E402

#: Small specs for both kernel strategies; threshold 0.1 (not a float32
#: value) and an output level above the base check the binarisation.
SPECS = {
    "lanes": (HNCASpec.preset("bielawski", base_size=16, steps=20), "lanes"),
    "gemm": (HNCASpec.preset("bielawski", base_size=16, steps=20), "gemm"),
    "neural": (HNCASpec.preset("neural", levels=2, base_size=8, channels=3, hidden=4, steps=12),
               "gemm"),
    "out1": (HNCASpec.preset("bielawski", base_size=32, steps=24, output_level=1,
                             threshold=0.1), "auto"),
}


def _genomes(spec, n=70, seed=1):
    """Random genomes, the first few dead (so lanes and gemm stop early)."""
    G = spec.random_genomes(n, seed=seed)
    G[:3] = -np.abs(G[:3])
    return G


# --------------------------------------------------------------------------- references
def old_homeostasis_loss(spec, genomes, t, k, method="auto"):
    """The package's former homeostasis_loss: develop to T - k, then k
    single-step develop calls, scoring after each."""
    out = develop(spec, genomes, steps=spec.steps - k, method=method)
    total = np.zeros(out.states[0].shape[0], np.float64)
    for _ in range(k):
        out = develop(spec, genomes, states=out.states, steps=1, method=method)
        total += loss(out.phenotypes, t)
    return total / k


def old_damage_rollout(spec, genomes, t_damage, rect, method="auto"):
    """The package's former damage_loss rollout: two develop calls."""
    before = develop(spec, genomes, steps=t_damage, method=method)
    hurt = damage_states(spec, before.states, rect)
    return develop(spec, genomes, states=hurt, steps=spec.steps - t_damage, method=method)


# --------------------------------------------------------------------------- develop
@pytest.mark.parametrize("name", SPECS)
def test_scored_steps_count_what_the_trajectory_shows(name):
    spec, method = SPECS[name]
    G = _genomes(spec, 8)
    n = spec.sizes[spec.output_level]
    t = target("plus", n)
    steps = np.array([0, 1, 5, spec.steps - 1, spec.steps])
    dev = develop(spec, G, method=method, target=t, score_steps=steps)
    assert dev.step_wrong.shape == dev.step_on.shape == (8, 5)
    assert dev.step_wrong.dtype == np.int64
    for p in (0, 4, 7):
        hist = trajectory(spec, G[p], method=method)[spec.output_level]
        ph = binarise(hist[steps], spec.threshold)                 # (5, n, n)
        np.testing.assert_array_equal(dev.step_on[p], ph.sum(axis=(1, 2)))
        np.testing.assert_array_equal(dev.step_wrong[p], (ph != t).sum(axis=(1, 2)))
        np.testing.assert_array_equal(loss_from_counts(dev.step_wrong[p], dev.step_on[p], n * n),
                                      loss(ph, t))
    # scoring changes nothing else
    plain = develop(spec, G, method=method)
    for a, b in zip(dev.states, plain.states):
        np.testing.assert_array_equal(a, b)
    assert plain.step_wrong is None and plain.step_on is None


def test_scoring_after_an_early_stop_sees_the_fixed_state():
    from alife.nca.kernels import LANES
    spec = HNCASpec.preset("bielawski", base_size=16, steps=30)
    G = -np.abs(spec.random_genomes(LANES, seed=2))          # a whole lanes batch dies
    t = target("square", 16)
    for method in ("lanes", "gemm"):
        dev = develop(spec, G, method=method, target=t, score_steps=[0, 20, 29, 30])
        assert (dev.steps_run < spec.steps).all()
        np.testing.assert_array_equal(dev.step_on[:, 1:], 0)
        np.testing.assert_array_equal(dev.step_wrong[:, 1:], t.sum())
        assert (dev.step_on[:, 0] == 1).all()                 # the seed cell


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize("t_damage", [0, 7, "T"])
def test_damage_in_one_rollout_equals_two_develop_calls(name, t_damage):
    spec, method = SPECS[name]
    td = spec.steps if t_damage == "T" else t_damage
    G = _genomes(spec, 70)
    rect = (2, 3, 5, 4)
    ref = old_damage_rollout(spec, G, td, rect, method)
    for fp in (False, True):
        dev = develop(spec, G, method=method, damage=(td, rect), fingerprint=fp)
        for a, b in zip(dev.states, ref.states):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", ["lanes", "gemm"])
def test_fingerprint_with_damage_hashes_the_rollout_actually_run(method):
    """Steps 1..T of the damaged rollout, step t_damage as computed (before
    the damage, which is a function of it)."""
    spec = HNCASpec.preset("bielawski", base_size=16, steps=8)
    G = spec.random_genomes(3, seed=5)
    td, rect = 4, (0, 0, 9, 9)
    dev = develop(spec, G, method=method, damage=(td, rect), fingerprint=True)
    undamaged = develop(spec, G, method=method, fingerprint=True)
    for p in range(3):
        first = trajectory(spec, G[p], steps=td, method=method)
        hurt = damage_states(spec, [h[-1] for h in first], rect)
        second = trajectory(spec, G[p], states=hurt, steps=spec.steps - td, method=method)
        hist = [np.concatenate([a, b[1:]]) for a, b in zip(first, second)]
        assert int(dev.fingerprints[p]) == _fingerprint_from_trajectory(spec, hist)
        assert dev.fingerprints[p] != undamaged.fingerprints[p]


def test_develop_rejects_bad_scoring_and_damage():
    spec = HNCASpec.preset("bielawski", base_size=16, steps=10)
    G = spec.random_genomes(2, seed=0)
    t = target("square", 16)
    cases = [
        (dict(target=t), "both target and score_steps"),
        (dict(score_steps=[3]), "both target and score_steps"),
        (dict(target=t, score_steps=[3, 3]), "increasing"),
        (dict(target=t, score_steps=[11]), "0..10"),
        (dict(target=t, score_steps=[-1]), "0..10"),
        (dict(target=target("square", 8), score_steps=[3]), r"\(16, 16\)"),
        (dict(damage=(11, (0, 0, 1, 1))), "t_damage"),
        (dict(damage=(2, (0, 0, 0, 1))), "rect"),
        (dict(damage=(2, (10, 10, 7, 1))), "inside the 16x16"),
        (dict(damage=3), "damage must be"),
    ]
    for kw, match in cases:
        with pytest.raises(ValueError, match=match) as e:
            develop(spec, G, **kw)
        assert "\n" not in str(e.value)


# --------------------------------------------------------------------------- Task
def test_task_modes_are_validated_with_one_line_errors():
    t = target("square", 16)
    ok = [Task("a", t), Task("a", t, "homeostasis", homeostasis_k=3),
          Task("a", t, "damage", damage_step=0, damage_rect=(0, 0, 2, 2))]
    assert [x.mode for x in ok] == list(TASK_MODES)
    assert ok[2].damage_rect == (0, 0, 2, 2) and ok[1].params == {"homeostasis_k": 3}
    cases = [
        (dict(mode="recovery"), "unknown mode 'recovery'"),
        (dict(mode="homeostasis"), "needs homeostasis_k"),
        (dict(mode="damage", damage_step=3), "needs damage_rect"),
        (dict(homeostasis_k=3), "only used with mode 'homeostasis'"),
        (dict(mode="homeostasis", homeostasis_k=2, damage_step=1), "only used with mode 'damage'"),
        (dict(mode="homeostasis", homeostasis_k=0), "homeostasis_k must be an integer >= 1"),
        (dict(mode="homeostasis", homeostasis_k=2.0), "homeostasis_k must be"),
        (dict(mode="damage", damage_step=-1, damage_rect=(0, 0, 1, 1)), "damage_step must be"),
        (dict(mode="damage", damage_step=1, damage_rect=(0, 0, 0, 1)), "damage_rect must be"),
        (dict(mode="damage", damage_step=1, damage_rect=(0, 0, 1)), "damage_rect must be"),
    ]
    for kw, match in cases:
        with pytest.raises(ValueError, match=match) as e:
            Task("a", t, **kw)
        assert "\n" not in str(e.value)


def test_task_check_against_the_spec():
    spec = HNCASpec.preset("bielawski", base_size=16, steps=10)
    G = spec.random_genomes(2, seed=0)
    cases = [
        (Task.from_name("square", 16, "homeostasis", homeostasis_k=11), "more than the 10"),
        (Task.from_name("square", 16, "damage", damage_step=11, damage_rect=(0, 0, 1, 1)),
         "after the last"),
        (Task.from_name("square", 16, "damage", damage_step=1, damage_rect=(12, 0, 5, 1)),
         "inside the 16x16"),
        (Task.from_name("square", 8), r"\(8, 8\).*\(16, 16\)"),
    ]
    for task, match in cases:
        with pytest.raises(ValueError, match=match) as e:
            task.evaluate(spec, G)
        assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="more than the 5"):
        Task.from_name("square", 16, "homeostasis", homeostasis_k=6).evaluate(spec, G, steps=5)
    with pytest.raises(ValueError, match="task must be"):
        evaluate(spec, G, "square")
    with pytest.raises(ValueError, match="chunk"):
        evaluate(spec, G, chunk=0)


def test_task_value_semantics_include_the_mode():
    a = Task.from_name("plus", 8, "homeostasis", homeostasis_k=4)
    assert a == Task("plus", target("plus", 8), "homeostasis", homeostasis_k=4)
    assert hash(a) == hash(Task.from_name("plus", 8, "homeostasis", homeostasis_k=4))
    assert a != Task.from_name("plus", 8) and a != Task.from_name("plus", 8, "homeostasis",
                                                                  homeostasis_k=5)
    assert "homeostasis_k=4" in repr(a) and "mode" not in repr(Task.from_name("plus", 8))


@pytest.mark.parametrize("name", SPECS)
def test_homeostasis_is_one_rollout_with_the_old_losses(name, monkeypatch):
    spec, method = SPECS[name]
    G = _genomes(spec, 70)
    n = spec.sizes[spec.output_level]
    for k in (1, 4, spec.steps):
        task = Task.from_name("hollow_circle", n, "homeostasis", homeostasis_k=k)
        calls = []
        real = evaluation_module.develop
        monkeypatch.setattr(evaluation_module, "develop",
                            lambda *a, **kw: calls.append(1) or real(*a, **kw))
        ev = task.evaluate(spec, G, fingerprint=True, method=method)
        monkeypatch.undo()
        assert len(calls) == 1                                    # one rollout
        ref = old_homeostasis_loss(spec, G, task.target, k, method)
        assert ev.loss.dtype == np.float64
        np.testing.assert_array_equal(ev.loss, ref)              # exactly
        if method == "auto":
            np.testing.assert_array_equal(homeostasis_loss(spec, G, task.target, k), ref)
        # the phenotype and the fingerprint are those of the (undamaged) rollout
        plain = develop(spec, G, method=method, fingerprint=True)
        np.testing.assert_array_equal(ev.phenotypes, plain.phenotypes)
        np.testing.assert_array_equal(ev.fingerprints, plain.fingerprints)
        np.testing.assert_array_equal(ev.ids, plain.ids)


@pytest.mark.parametrize("name", SPECS)
def test_damage_is_one_rollout_with_the_old_losses(name, monkeypatch):
    spec, method = SPECS[name]
    G = _genomes(spec, 70)
    n = spec.sizes[spec.output_level]
    rect = (1, 2, 6, 5)
    for td in (0, 6, spec.steps):
        task = Task.from_name("square", n, "damage", damage_step=td, damage_rect=rect)
        calls = []
        real = evaluation_module.develop
        monkeypatch.setattr(evaluation_module, "develop",
                            lambda *a, **kw: calls.append(1) or real(*a, **kw))
        ev = task.evaluate(spec, G, fingerprint=True, method=method)
        monkeypatch.undo()
        assert len(calls) == 1
        ref = old_damage_rollout(spec, G, td, rect, method)
        np.testing.assert_array_equal(ev.loss, loss(ref.phenotypes, task.target))
        if method == "auto":
            L = damage_loss(spec, G, task.target, td, rect)
            assert L.dtype == np.int64
            np.testing.assert_array_equal(L, loss(ref.phenotypes, task.target))
        # the phenotype under damage is the recovered pattern
        np.testing.assert_array_equal(ev.phenotypes, ref.phenotypes)
        np.testing.assert_array_equal(ev.ids, ref.ids)


@pytest.mark.parametrize("mode", TASK_MODES)
def test_evaluation_fields_and_chunks(mode):
    spec = HNCASpec.preset("bielawski", base_size=16, steps=12)
    G = _genomes(spec, 90, seed=4)
    params = {"final": {}, "homeostasis": {"homeostasis_k": 5},
              "damage": {"damage_step": 4, "damage_rect": (0, 0, 8, 8)}}[mode]
    task = Task.from_name("diamond", 16, mode, **params)
    ev = task.evaluate(spec, G, fingerprint=True)
    assert isinstance(ev, Evaluation) and len(ev) == 90
    assert ev.ids.dtype == ev.raw_ids.dtype == np.int64 and ev.fingerprints.dtype == np.uint64
    assert ev.degenerate.dtype == bool and ev.phenotypes.shape == (90, 16, 16)
    np.testing.assert_array_equal(ev.raw_ids, phenotype_ids(ev.phenotypes))
    np.testing.assert_array_equal(ev.ids, np.where(ev.degenerate, -1, ev.raw_ids))
    assert ev.degenerate[:3].all()
    np.testing.assert_array_equal(ev.loss[:3], 256)          # dead from step 1
    if mode != "homeostasis":                                  # (a mean over steps)
        np.testing.assert_array_equal(ev.loss[ev.degenerate], 256)
    small = task.evaluate(spec, G, fingerprint=True, chunk=7)
    lean = task.evaluate(spec, G, phenotypes=False)
    for f in ("ids", "raw_ids", "degenerate", "loss", "fingerprints", "phenotypes"):
        np.testing.assert_array_equal(getattr(small, f), getattr(ev, f), err_msg=f)
    for f in ("ids", "raw_ids", "degenerate", "loss"):
        np.testing.assert_array_equal(getattr(lean, f), getattr(ev, f), err_msg=f)
    assert lean.phenotypes is None and lean.fingerprints is None
    none = evaluate(spec, G)
    assert none.loss is None
    empty = task.evaluate(spec, G[:0], fingerprint=True)
    assert len(empty) == 0 and empty.phenotypes.shape == (0, 16, 16)


# --------------------------------------------------------------------------- evolution
@pytest.mark.parametrize("mode_toml", ['mode = "homeostasis"\nhomeostasis_k = 6\n',
                                       'mode = "damage"\ndamage_step = 20\n'
                                       'damage_rect = [4, 4, 12, 12]\n'])
def test_evolution_scores_with_the_config_task(tmp_path, mode_toml):
    """The runner's losses and phenotypes are the evaluator's, in every mode."""
    from configs import afpo_toml

    from alife.evolve.config import loads
    from alife.evolve.runner import evolve
    from alife.store import RunFile
    cfg = loads(afpo_toml(seed=3, generations=4, pop_size=16).replace(
        'target = "square"\n', 'target = "square"\n' + mode_toml))
    task = cfg.task_object()
    assert task.mode == cfg.task.mode and task.params == {k: getattr(cfg.task, k)
                                                          for k in task.params}
    evolve(cfg, tmp_path / "run.h5", progress=False)
    with RunFile.open(tmp_path / "run.h5") as run:
        G, L, ids = run.read("genomes", -1), run.read("loss", -1), run.read("phenotype_id", -1)
        stored = {int(i): run.phenotype(int(i)) for i in np.unique(ids) if i >= 0}
    ev = task.evaluate(cfg.spec(), G)
    np.testing.assert_array_equal(L, ev.loss)
    np.testing.assert_array_equal(ids, ev.ids)
    for p in np.flatnonzero(ids >= 0):
        np.testing.assert_array_equal(stored[int(ids[p])], ev.phenotypes[p])


def test_task_modes_benchmark_quick_run():
    """benchmarks/task_modes.py runs, and its before and after paths agree
    (it asserts equal losses itself) in every mode."""
    import json
    import subprocess
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(root / "benchmarks" / "task_modes.py"), "--quick",
                        "--json"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert sorted(res["speedup_after_vs_before"]) == sorted(TASK_MODES)
    assert all(v > 0 for v in res["evaluations_per_s_median"].values())
    assert res["cost_vs_final_after"]["final"] == 1.0
