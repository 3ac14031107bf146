"""The evolution loop's writer thread: each generation is stored while the
next one develops, with the files and crash guarantees of storing it in line.

* background and in-line writes give the same run file and checkpoint, bit
  for bit (every dataset but wall-clock timing);
* the next generation does develop while the previous one is written, and
  no generation is written before the one before it is durable;
* an error of a write on the writer thread is raised in the caller, nothing
  after it is written, and the run resumes to the bytes of a straight run.
"""
from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np
import pytest

from configs import afpo_toml
from h5files import datasets
from alife.evolve import runner
from alife.evolve.config import loads
from alife.evolve.runner import evolve, evolve_in_memory
from alife.evolve.writer import GenerationWriter
from alife.store import RunFile, checkpoint_path, load_checkpoint
from alife.tasks import Task

ROOT = Path(__file__).resolve().parents[1]
CONFIG = afpo_toml(seed=5, generations=7, pop_size=16)


def _assert_same_files(a, b):
    da, db = datasets(a, attrs=True), datasets(b, attrs=True)
    aa, ab = da.pop("@attrs"), db.pop("@attrs")
    assert sorted(da) == sorted(db) and sorted(aa) == sorted(ab)
    for name in da:
        x, y = np.asarray(da[name]), np.asarray(db[name])
        assert x.dtype == y.dtype and x.shape == y.shape, name
        assert (x.tolist() == y.tolist()) if x.dtype.hasobject else x.tobytes() == y.tobytes(), name
    for k in aa:
        assert np.array_equal(aa[k], ab[k]), k


def _assert_same_checkpoints(a, b):
    ca, cb = load_checkpoint(a), load_checkpoint(b)
    assert ca.generation == cb.generation and ca.rng_state == cb.rng_state
    assert sorted(ca.arrays) == sorted(cb.arrays)
    for k in ca.arrays:
        x, y = ca.arrays[k], cb.arrays[k]
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), k


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The run written in line (the reference)."""
    path = tmp_path_factory.mktemp("inline") / "inline.h5"
    evolve(loads(CONFIG), path, progress=False, background_writes=False)
    return path


def test_background_writes_give_the_files_of_inline_writes(tmp_path, straight):
    evolve(loads(CONFIG), tmp_path / "bg.h5", progress=False, background_writes=True)
    _assert_same_files(straight, tmp_path / "bg.h5")
    _assert_same_checkpoints(straight, tmp_path / "bg.h5")
    # stopped and resumed with the writer thread: the same again
    for n in (2, 3):
        evolve(loads(CONFIG), tmp_path / "resumed.h5", progress=False, stop_after=n)
    evolve(loads(CONFIG), tmp_path / "resumed.h5", progress=False)
    _assert_same_files(straight, tmp_path / "resumed.h5")
    # and a run in memory
    with evolve_in_memory(loads(CONFIG), background_writes=True) as run:
        mem = {k: run.read(k) for k in ("genomes", "loss", "phenotype_id", "mutation_class")}
    with RunFile.open(straight) as run:
        for k, v in mem.items():
            assert v.tobytes() == run.read(k).tobytes(), k


def test_the_next_generation_develops_while_the_previous_is_written(tmp_path, monkeypatch):
    events, evaluating = [], threading.Event()
    lock = threading.Lock()

    def log(what, g):
        with lock:
            events.append((what, g))

    evaluate = Task.evaluate

    def watched_evaluate(self, *args, **kwargs):
        with lock:
            n = sum(1 for w, _ in events if w == "evaluate")
        log("evaluate", n)                 # the n-th evaluation is generation n's
        if n == 3:
            evaluating.set()
        return evaluate(self, *args, **kwargs)

    append, write_checkpoint = RunFile.append_generation, runner.write_checkpoint

    def watched_append(self, g, **kwargs):
        log("append", g)
        return append(self, g, **kwargs)

    def watched_checkpoint(path, g, *args, **kwargs):
        if g == 2:
            # generation 3 must start developing while generation 2 is being
            # written: writing in line would wait here for ever
            assert evaluating.wait(120), "generation 3 did not develop during the write of 2"
        out = write_checkpoint(path, g, *args, **kwargs)
        log("durable", g)
        return out

    monkeypatch.setattr(Task, "evaluate", watched_evaluate)
    monkeypatch.setattr(RunFile, "append_generation", watched_append)
    monkeypatch.setattr(runner, "write_checkpoint", watched_checkpoint)
    evolve(loads(CONFIG), tmp_path / "r.h5", progress=False)
    order = [e for e in events if e[0] != "evaluate"]
    # one generation at a time, in order: g + 1 is appended only once g is durable
    assert order == [(w, g) for g in range(7) for w in ("append", "durable")]
    assert events.index(("evaluate", 3)) < events.index(("durable", 2))


@pytest.mark.parametrize("where", ["append", "checkpoint"])
def test_a_write_error_on_the_writer_thread_is_raised_and_nothing_follows_it(
        tmp_path, monkeypatch, straight, where):
    path = tmp_path / "r.h5"
    append, write_checkpoint = RunFile.append_generation, runner.write_checkpoint
    threads = []

    def failing_append(self, g, **kwargs):
        threads.append(threading.current_thread())
        if where == "append" and g == 3:
            raise OSError("No space left on device (simulated)")
        return append(self, g, **kwargs)

    def failing_checkpoint(p, g, *args, **kwargs):
        if where == "checkpoint" and g == 3:
            raise OSError("No space left on device (simulated)")
        return write_checkpoint(p, g, *args, **kwargs)

    monkeypatch.setattr(RunFile, "append_generation", failing_append)
    monkeypatch.setattr(runner, "write_checkpoint", failing_checkpoint)
    with pytest.raises(OSError, match="simulated"):
        evolve(loads(CONFIG), path, progress=False)
    assert all(t is not threading.main_thread() for t in threads)   # written in the background
    with RunFile.open(path) as run:
        # generation 4 was never written: the error stopped the writes
        assert run.last_complete_generation == (2 if where == "append" else 3)
        assert run.status == "running"
    assert load_checkpoint(path).generation == 2
    monkeypatch.undo()
    evolve(loads(CONFIG), path, progress=False)       # resumes from generation 2
    _assert_same_files(straight, path)
    _assert_same_checkpoints(straight, path)
    assert checkpoint_path(path).is_file()


def test_the_writer_raises_a_job_error_in_the_caller_before_the_next_job():
    done = []

    def fail():
        raise ValueError("boom")

    w = GenerationWriter(background=True)
    w.submit(fail)
    with pytest.raises(ValueError, match="boom"):
        w.submit(done.append, 1)
    assert done == []                           # the next job did not start
    w.submit(done.append, 2)
    w.wait()
    assert done == [2]
    w.submit(fail)
    # handed back, not raised, to a caller already handling another error
    assert isinstance(w.close(), ValueError)
    with pytest.raises(ValueError, match="boom"):
        GenerationWriter(background=False).submit(fail)


def test_throughput_benchmark_reports_both_paths_from_paired_timings():
    """benchmarks/evolve_throughput.py runs (tiny population) and its ratios
    are what its per-generation timings give."""
    spec = importlib.util.spec_from_file_location("evolve_throughput",
                                                  ROOT / "benchmarks/evolve_throughput.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    res = bench.main(["--pop", "6", "--generations", "4", "--rounds", "1"])
    (rnd,) = res["rounds"]
    for mode in ("background", "inline"):
        run = rnd[mode]
        assert len(run["generation_s"]) == 2 and min(run["generation_s"]) > 0
        assert min(run[f"ratio_vs_{ref}"] for ref in ("bare", "fingerprint", "population")) > 0
        assert res[f"{mode}_ratio_vs_bare_median"] == run["ratio_vs_bare"]
    assert res["background_over_inline_median"] == pytest.approx(
        rnd["background"]["evals_per_s"] / rnd["inline"]["evals_per_s"])


def test_throughput_benchmark_bounds_skip_only_what_they_say(monkeypatch):
    """--bounds adds a run without checkpoints and a run in memory: only the
    file run writes checkpoints (one per generation), and the real
    checkpoint writer is back in place afterwards."""
    spec = importlib.util.spec_from_file_location("evolve_throughput",
                                                  ROOT / "benchmarks/evolve_throughput.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    written = []
    real = runner.write_checkpoint

    def counted(path, g, *args, **kwargs):
        written.append(g)
        return real(path, g, *args, **kwargs)

    monkeypatch.setattr(runner, "write_checkpoint", counted)
    res = bench.main(["--pop", "6", "--generations", "4", "--rounds", "1", "--no-inline",
                      "--bounds"])
    (rnd,) = res["rounds"]
    for mode in ("background", "no_checkpoint", "memory"):
        assert min(rnd[mode][f"ratio_vs_{ref}"] for ref in ("bare", "fingerprint")) > 0
        assert res[f"{mode}_ratio_vs_bare_median"] == rnd[mode]["ratio_vs_bare"]
    assert "inline" not in rnd
    assert written == [0, 1, 2, 3]
    assert runner.write_checkpoint is counted
