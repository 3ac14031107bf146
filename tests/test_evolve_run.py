"""`alife evolve`: resume after SIGKILL bit-identically, thread-count independence, bad input."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest

from alife.cli import main
from configs import KILL_AT_NTH_CALL, afpo_toml
from h5files import datasets
from alife.evolve.config import loads
from alife.evolve.runner import evolve
from alife.nca.phenotype import phenotype_ids
from alife.store import RunFile

ROOT = Path(__file__).resolve().parents[1]

CONFIG = afpo_toml(seed=7, generations=12, pop_size=24)

#: A child process that runs `alife evolve` and SIGKILLs itself at the n-th
#: call of one function: an HDF5 flush, the checkpoint's atomic rename, or
#: the evaluation of a generation.
CHILD = KILL_AT_NTH_CALL + textwrap.dedent("""
    from alife import store
    from alife.tasks import Task
    if where == "flush":
        store.RunFile.flush = killing(store.RunFile.flush)
    elif where == "replace":
        os.replace = killing(os.replace)
    elif where == "evaluate":
        Task.evaluate = killing(Task.evaluate)
    from alife.cli import main
    sys.exit(main(sys.argv[3:]))
""")


def _assert_same_datasets(a, b):
    da, db = datasets(a), datasets(b)
    assert sorted(da) == sorted(db)
    for name in da:
        assert da[name].dtype == db[name].dtype and da[name].shape == db[name].shape, name
        assert da[name].tobytes() == db[name].tobytes(), name


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **extra)
    return env


@pytest.fixture
def config_file(tmp_path):
    p = tmp_path / "evolve.toml"
    p.write_text(CONFIG)
    return p


def test_stopped_and_resumed_run_is_bit_identical(tmp_path, config_file):
    cfg = loads(CONFIG)
    evolve(cfg, tmp_path / "straight.h5", progress=False)
    for n in (3, 4):
        evolve(cfg, tmp_path / "resumed.h5", progress=False, stop_after=n)
    s = evolve(cfg, tmp_path / "resumed.h5", progress=False)
    assert s["generations_done"] == 12 and s["status"] == "done"
    _assert_same_datasets(tmp_path / "straight.h5", tmp_path / "resumed.h5")


def test_sigkill_at_three_moments_then_resume_is_bit_identical(tmp_path, config_file):
    straight, killed = tmp_path / "straight.h5", tmp_path / "killed.h5"
    evolve(loads(CONFIG), straight, progress=False)
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    args = ["evolve", str(config_file), "--out", str(killed), "--no-progress"]
    # during an HDF5 flush (rows written, not yet flushed), during the
    # checkpoint's atomic rename, and in the middle of evaluating a generation
    for where, n in [("flush", 7), ("replace", 5), ("evaluate", 4)]:
        r = subprocess.run([sys.executable, str(child), where, str(n)] + args,
                           capture_output=True, text=True, env=_env(), timeout=300)
        assert r.returncode == -signal.SIGKILL, (where, r.stderr)
    r = subprocess.run([sys.executable, "-m", "alife.cli"] + args, capture_output=True,
                       text=True, env=_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    _assert_same_datasets(straight, killed)


def test_one_and_two_threads_give_identical_run_files(tmp_path, config_file):
    for t in ("1", "2"):
        r = subprocess.run([sys.executable, "-m", "alife.cli", "evolve", str(config_file),
                            "--out", str(tmp_path / f"t{t}.h5"), "--no-progress"],
                           capture_output=True, text=True, env=_env(NUMBA_NUM_THREADS=t),
                           timeout=300)
        assert r.returncode == 0, r.stderr
    _assert_same_datasets(tmp_path / "t1.h5", tmp_path / "t2.h5")


def test_evolution_makes_progress_and_records_mutation_classes(tmp_path):
    s = evolve(loads(CONFIG), tmp_path / "r.h5", progress=False)
    assert s["best_loss"][-1] < s["best_loss"][0]
    assert np.all(np.diff(s["best_loss"]) <= 0)        # AFPO keeps its best
    with h5py.File(tmp_path / "r.h5", "r") as f:
        codes = f["mutation_class"][()]
        ids = f["phenotype_id"][()]
        stored = f["phenotypes/id"][()]
    # every phenotype of the population is stored, and is the pattern of its id
    assert set(np.unique(ids[ids >= 0]).tolist()) <= set(stored.tolist())
    with RunFile.open(tmp_path / "r.h5") as run:
        for pid in np.unique(ids[ids >= 0])[:5]:
            assert phenotype_ids(run.phenotype(pid)[None])[0] == pid
    assert (codes[0] == -1).all() and (codes[1:] >= -1).all() and (codes[1:] >= 0).any()


def _one_line_exit_2(argv, capsys, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err and "Traceback" not in err


def test_bad_config_is_one_line_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.replace("pop_size", "pop_szie"))
    _one_line_exit_2(["evolve", str(bad), "--out", str(tmp_path / "r.h5")], capsys, "pop_size")
    assert not (tmp_path / "r.h5").exists()


def test_finished_run_other_config_and_corrupt_file_are_refused_untouched(tmp_path, config_file,
                                                                          capsys):
    out = tmp_path / "r.h5"
    assert main(["evolve", str(config_file), "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    before = out.read_bytes()
    _one_line_exit_2(["evolve", str(config_file), "--out", str(out)], capsys, "--force")
    other = tmp_path / "other.toml"
    other.write_text(CONFIG.replace("seed = 7", "seed = 8"))
    _one_line_exit_2(["evolve", str(other), "--out", str(out)], capsys, "different config")
    assert out.read_bytes() == before
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(before[: len(before) // 2])
    _one_line_exit_2(["evolve", str(config_file), "--out", str(corrupt)], capsys, "corrupt")
    assert corrupt.read_bytes() == before[: len(before) // 2]
    _one_line_exit_2(["show", str(corrupt)], capsys, "corrupt")
    assert main(["show", str(out)]) == 0
    assert "generations:  12" in capsys.readouterr().out


def test_plot_writes_every_figure_and_refuses_bad_files(tmp_path, config_file, capsys):
    out = tmp_path / "r.h5"
    evolve(loads(CONFIG), out, progress=False)
    assert main(["plot", str(out), "--out", str(tmp_path / "figs")]) == 0
    for name in ("loss.png", "best.png", "filmstrip.png", "mutations.png"):
        assert (tmp_path / "figs" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with h5py.File(out, "r") as f:
        counts = f["class_counts"][:]
        # 24 mutated children (codes 0..4) and 2 random newcomers (code -1) per generation
        assert counts.shape == (12, 6) and counts[0, 0] == 24
        assert (counts[1:, 0] == 2).all() and (counts[1:, 1:].sum(axis=1) == 24).all()
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not an hdf5 file")
    _one_line_exit_2(["plot", str(junk)], capsys, "junk.h5")
