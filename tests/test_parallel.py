"""Executors (alife.parallel): the same run files and phenotypes on threads, a
spawned process pool and a local Dask cluster; a Dask worker killed in the
middle of a generation loses nothing; exact row coverage; CLI options."""
from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from alife.cli import main
from alife.evolve.config import loads
from alife.tasks import evaluation
from alife.evolve.runner import evolve
from alife.gpmap.hnca import HNCAMap
from alife.nca import HNCASpec
from alife.parallel import (DaskExecutor, ExecutorError, InProcess, ProcessPool, make_executor,
                            reassemble, split_rows)

sys.path.insert(0, str(Path(__file__).parent))
from test_evolve_run import _assert_same_datasets  # noqa: E402
from h5files import datasets  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# the smoke config (Bielawski HNCA, 64x64, 100 steps, AFPO with 100 + 2 per
# generation), fewer generations
SMOKE = (ROOT / "experiments/smoke/evolve.toml").read_text().replace(
    "generations = 30", "generations = 4")


@pytest.fixture(scope="module")
def pool():
    with ProcessPool(workers=2, threads_per_worker=1) as ex:
        yield ex


@pytest.fixture(scope="module")
def dask_ex():
    pytest.importorskip("distributed")
    with make_executor("dask", workers=2) as ex:
        yield ex


@pytest.fixture(scope="module")
def threads_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("threads") / "threads.h5"
    evolve(loads(SMOKE), path, progress=False)
    return path


# --------------------------------------------------------------------------- rows
def test_split_rows_is_contiguous_and_reassemble_demands_exact_coverage():
    assert split_rows(10, 3) == [(0, 3), (3, 7), (7, 10)]
    assert split_rows(2, 5) == [(0, 1), (1, 2)]
    part = lambda a, b: (a, b, {"x": np.arange(a, b), "none": None})  # noqa: E731
    out = reassemble(10, [part(7, 10), part(0, 3), part(3, 7)])     # any order back
    assert out["x"].tolist() == list(range(10)) and out["none"] is None
    with pytest.raises(ExecutorError, match="missing"):
        reassemble(10, [part(0, 3), part(7, 10)])
    with pytest.raises(ExecutorError, match="missing"):
        reassemble(10, [part(0, 3), part(3, 7)])
    with pytest.raises(ExecutorError, match="duplicated"):
        reassemble(10, [part(0, 3), part(3, 7), part(3, 7), part(7, 10)])
    with pytest.raises(ExecutorError, match="rows"):
        reassemble(4, [(0, 4, {"x": np.arange(3)})])


def rows_task(rows, scale):
    """An executor task: every row's index, and which process computed it."""
    return {"row": rows[:, 0] * scale, "pid": np.full(len(rows), os.getpid())}


def test_map_rows_one_contiguous_sub_batch_per_worker(pool):
    rows = np.arange(11)[:, None]
    assert InProcess().map_rows(rows_task, rows, 1)["pid"].tolist() == [os.getpid()] * 11
    out = pool.map_rows(rows_task, rows, 2)
    assert out["row"].tolist() == list(range(0, 22, 2))
    pids = out["pid"]
    assert len(set(pids[:6])) == 1 and len(set(pids[6:])) == 1 and pids[0] != pids[-1]
    assert os.getpid() not in pids
    assert pool.map_rows(rows_task, rows[:0], 1)["row"].shape == (0,)


# --------------------------------------------------------------------------- evolution
def test_evolution_is_bit_identical_on_threads_processes_and_dask(tmp_path, threads_run, pool,
                                                                  dask_ex):
    cfg = loads(SMOKE)
    for name, ex in [("processes", pool), ("dask", dask_ex)]:
        evolve(cfg, tmp_path / f"{name}.h5", progress=False, executor=ex)
        _assert_same_datasets(threads_run, tmp_path / f"{name}.h5")
    # the executor is no part of the config: start on threads, resume on dask
    evolve(cfg, tmp_path / "mixed.h5", progress=False, stop_after=2)
    evolve(cfg, tmp_path / "mixed.h5", progress=False, executor=dask_ex)
    _assert_same_datasets(threads_run, tmp_path / "mixed.h5")


def killing_evaluate_rows(marker, log, genomes, *args, **kwargs):
    """evaluation.evaluate_rows (the evaluator's executor task), but the first
    call after generation 0 SIGKILLs its
    own Dask worker process (the marker file records it); every finished call
    logs its row count."""
    marker, log = Path(marker), Path(log)
    calls = log.read_text().count("\n") if log.exists() else 0
    if calls >= 2:
        _kill_once(marker)
    out = evaluation.evaluate_rows(genomes, *args, **kwargs)
    with open(log, "a") as f:
        f.write(f"{len(genomes)} {os.getpid()}\n")
    return out


def test_killed_dask_worker_mid_generation_loses_and_repeats_nothing(tmp_path, threads_run,
                                                                     dask_ex, monkeypatch):
    # (a partial of a function of this module pickles by reference; the
    # spawned workers import this module from the same sys.path)
    marker, log = tmp_path / "killed", tmp_path / "calls.log"
    monkeypatch.setattr(evaluation, "evaluate_rows",
                        functools.partial(killing_evaluate_rows, str(marker), str(log)))
    # a generation where one sub-batch's worker dies: every row back once
    s = evolve(loads(SMOKE), tmp_path / "killed.h5", progress=False, executor=dask_ex)
    assert s["status"] == "done"
    assert marker.exists(), "no worker was killed"
    killed_pid = int(marker.read_text())
    done = [line.split() for line in log.read_text().splitlines()]
    with pytest.raises(ProcessLookupError):      # really gone
        os.kill(killed_pid, 0)
    # 100 initial genomes, then 3 generations of 102 offspring, one sub-batch
    # per live worker (one while the killed one restarts): the killed
    # sub-batch was run again, and every genome was scored exactly once
    assert sum(int(n) for n, _ in done) == 100 + 3 * 102
    _assert_same_datasets(threads_run, tmp_path / "killed.h5")
    # and straight through map_rows: the rows come back once each, in order
    marker.unlink()
    out = dask_ex.map_rows(functools.partial(_kill_rows, str(marker)), np.arange(1000)[:, None])
    assert marker.exists()
    assert out["row"].tolist() == list(range(1000))


def _kill_once(marker: Path):
    """SIGKILL this process unless some process already did (atomic marker)."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_rows(marker, rows):
    _kill_once(Path(marker))
    return {"row": rows[:, 0].copy()}


def test_process_pool_reruns_the_rows_of_a_dead_worker(tmp_path, pool):
    marker = tmp_path / "killed"
    out = pool.map_rows(functools.partial(_kill_rows, str(marker)), np.arange(500)[:, None])
    assert marker.exists() and out["row"].tolist() == list(range(500))
    assert pool.map_rows(rows_task, np.arange(4)[:, None], 1)["row"].tolist() == [0, 1, 2, 3]


def test_dask_executor_on_a_running_schedulers_workers(dask_ex):
    with make_executor(scheduler=dask_ex.cluster.scheduler_address) as ex:
        assert isinstance(ex, DaskExecutor) and ex.cluster is None
        out = ex.map_rows(rows_task, np.arange(9)[:, None], 3)
        assert out["row"].tolist() == list(range(0, 27, 3))
    assert dask_ex.map_rows(rows_task, np.arange(3)[:, None], 1)["row"].tolist() == [0, 1, 2]


# --------------------------------------------------------------------------- GP map
def test_hnca_map_phenotypes_are_the_same_through_every_executor(pool, dask_ex):
    spec = HNCASpec.preset("bielawski", base_size=32, steps=30)
    G = spec.random_genomes(150, seed=3)
    here = HNCAMap(spec, target="square", chunk=40)
    want_ids, want_ev, want_pat = here.phenotypes(G), here.evaluate(G), here.patterns(G)
    for ex in (pool, dask_ex):
        m = HNCAMap(spec, target="square", chunk=40, executor=ex)
        assert np.array_equal(m.phenotypes(G), want_ids)
        ev = m.evaluate(G)
        assert sorted(ev) == sorted(want_ev)
        for k in want_ev:
            assert ev[k].dtype == want_ev[k].dtype and np.array_equal(ev[k], want_ev[k]), k
        assert np.array_equal(m.patterns(G), want_pat)
        assert m.n_evaluations == here.n_evaluations
    import pickle
    assert pickle.loads(pickle.dumps(m)).executor is None


# --------------------------------------------------------------------------- CLI
@pytest.mark.parametrize("extra, fragment", [
    (["--executor", "gpu"], "unknown --executor"),
    (["--workers", "0", "--executor", "processes"], "--workers must be >= 1"),
    (["--workers", "2"], "--workers needs"),
    (["--scheduler", "localhost:8786"], "tcp://HOST:PORT"),
    (["--executor", "processes", "--scheduler", "tcp://127.0.0.1:1"], "needs --executor dask"),
])
def test_cli_rejects_bad_executor_options_in_one_line(tmp_path, capsys, extra, fragment):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMOKE)
    for cmd, c in (("evolve", cfg), ("neutral", ROOT / "experiments/smoke/neutral.toml")):
        assert main([cmd, str(c), "--out", str(tmp_path / "x.h5")] + extra) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and fragment in err, err
    assert not (tmp_path / "x.h5").exists()


def test_cli_evolve_on_processes(tmp_path, threads_run):
    cfg = tmp_path / "c.toml"
    cfg.write_text(SMOKE)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "alife.cli", "evolve", str(cfg), "--out",
                        str(tmp_path / "p.h5"), "--no-progress", "--executor", "processes",
                        "--workers", "2"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    _assert_same_datasets(threads_run, tmp_path / "p.h5")


def test_neutral_run_on_dask_equals_threads(tmp_path, dask_ex):
    from alife.neutral.config import loads_neutral
    from alife.neutral.run import run_neutral

    text = (ROOT / "experiments/smoke/neutral.toml").read_text().replace(
        "max_evaluations = 3000", "max_evaluations = 600").replace("walks = 4", "walks = 1")
    config = loads_neutral(text)
    a = run_neutral(config, tmp_path / "a.h5", figs=tmp_path / "fa")
    b = run_neutral(config, tmp_path / "b.h5", figs=tmp_path / "fb", executor=dask_ex)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)   # NaN == NaN here
    da, db = datasets(tmp_path / "a.h5"), datasets(tmp_path / "b.h5")
    assert sorted(da) == sorted(db)
    for k in da:
        if da[k].dtype == object:
            assert da[k].tolist() == db[k].tolist(), k
        else:
            assert da[k].dtype == db[k].dtype and da[k].tobytes() == db[k].tobytes(), k
