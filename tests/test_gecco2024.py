"""experiments/gecco2024/run.py and analysis/gecco2024.py, end to end on the smoke variant.

The statistics are checked against values computed here, independently,
from the run files with h5py (not alife.store) and scipy.
"""
from __future__ import annotations

import csv
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import h5py
import numpy as np
import pytest
from scipy.stats import mannwhitneyu

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "experiments" / "gecco2024" / "run.py"
ANALYSIS = ROOT / "analysis" / "gecco2024.py"
ARMS = ("hnca", "flat")
TASKS = ("square", "diamond", "hollow_circle")
TRIALS = 2   # the smoke variant's


def _script(path: Path, *args, timeout: float = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run([sys.executable, str(path), *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _load_run_module():
    spec = importlib.util.spec_from_file_location("gecco2024_run", RUN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _digests(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir())}


def _final_best(path: Path) -> float:
    """The last complete generation's lowest loss, read with h5py directly."""
    with h5py.File(path, "r") as f:
        assert f.attrs["status"] == "done"
        last = int(f.attrs["last_complete_generation"])
        return float(f["loss"][last].min())


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """The smoke variant run once, then analysed; returns (out dir, run stdout, analysis stdout)."""
    out = tmp_path_factory.mktemp("gecco2024") / "smoke"
    run = _script(RUN, "--variant", "smoke", "--out", out)
    assert run.returncode == 0, run.stderr
    before = _digests(out / "runs")
    ana = _script(ANALYSIS, out)
    assert ana.returncode == 0, ana.stderr
    assert _digests(out / "runs") == before, "the analysis modified a run file"
    return out, run.stdout, ana.stdout


def test_run_writes_one_config_and_finished_run_per_arm_task_trial(smoke):
    out, stdout, _ = smoke
    names = {f"{a}-{t}-{k}" for a in ARMS for t in TASKS for k in range(TRIALS)}
    assert {p.stem for p in (out / "configs").glob("*.toml")} == names
    assert {p.stem for p in (out / "runs").glob("*.h5")} == names
    finished = [line for line in stdout.splitlines() if "final best loss" in line]
    assert len(finished) == len(names)
    seeds = set()
    for name in names:
        text = (out / "configs" / f"{name}.toml").read_text()
        with h5py.File(out / "runs" / f"{name}.h5", "r") as f:
            assert f.attrs["config_toml"] == text
            assert f["loss"].shape[0] == 6
        cfg = tomllib.loads(text)
        seeds.add(cfg["seed"])
        arm, task, _ = name.split("-")
        assert cfg["task"]["target"] == task
        assert cfg["model"].get("levels", 4) == (1 if arm == "flat" else 4)
        assert (cfg["model"]["base_size"], cfg["model"]["steps"]) == (16, 20)
        assert cfg["algorithm"] == {"name": "afpo", "pop_size": 12, "n_newcomers": 2}
        assert cfg["mutation"] == {"name": "resample"}
    assert len(seeds) == len(names)


def test_arms_share_everything_but_levels_and_seed():
    run = _load_run_module()
    for variant in run.VARIANTS:
        for task in TASKS:
            d = {arm: run.make_config(variant, arm, task, 0).to_dict() for arm in ARMS}
            for arm in ARMS:
                d[arm].pop("seed")
                d[arm]["model"].pop("levels", None)
            assert d["hnca"] == d["flat"]


def test_seeds_are_a_pure_function_of_the_coordinates():
    run = _load_run_module()
    assert run.run_seed("quick", "hnca", "square", 3) == run.run_seed("quick", "hnca", "square", 3)
    every = {run.run_seed(v, a, t, k) for v in run.VARIANTS for a in ARMS for t in TASKS
             for k in range(20)}
    assert len(every) == len(run.VARIANTS) * len(ARMS) * len(TASKS) * 20
    assert all(0 <= s < 2**63 for s in every)
    assert run.VARIANTS["quick"] == dict(model={}, pop_size=100, n_newcomers=2,
                                         generations=200, trials=5)
    full = run.VARIANTS["full"]
    assert (full["model"], full["pop_size"], full["generations"], full["trials"]) == ({}, 500, 2000, 20)


def test_table_matches_independent_statistics(smoke):
    out, _, stdout = smoke
    finals = {(t, a): [_final_best(out / "runs" / f"{a}-{t}-{k}.h5") for k in range(TRIALS)]
              for t in TASKS for a in ARMS}
    with open(out / "results" / "table.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["task"], r["arm"]) for r in rows] == [(t, a) for t in TASKS for a in ARMS]
    md = (out / "results" / "table.md").read_text()
    assert md in stdout
    for r in rows:
        x = np.array(finals[(r["task"], r["arm"])])
        assert int(r["n"]) == TRIALS
        assert float(r["median"]) == np.median(x)
        assert float(r["q25"]) == np.percentile(x, 25)
        assert float(r["q75"]) == np.percentile(x, 75)
        p = mannwhitneyu(finals[(r["task"], "hnca")], finals[(r["task"], "flat")],
                         alternative="two-sided").pvalue
        assert float(r["p_value"]) == pytest.approx(p, rel=1e-12)
        assert f"| {r['task']} | {r['arm']} | {TRIALS} | {np.median(x):g} |" in md


def test_figure_is_a_png(smoke):
    out, _, _ = smoke
    png = out / "results" / "best_loss.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000


def test_rerun_skips_finished_runs_and_leaves_them_unchanged(smoke):
    out, _, _ = smoke
    before = _digests(out / "runs")
    again = _script(RUN, "--variant", "smoke", "--out", out)
    assert again.returncode == 0, again.stderr
    lines = [line for line in again.stdout.splitlines() if "final best loss" in line]
    assert len(lines) == len(ARMS) * len(TASKS) * TRIALS
    assert all("skipped" in line for line in lines)
    assert "(0 ran" in again.stdout
    assert _digests(out / "runs") == before


def test_a_missing_run_is_run_again_identically(smoke, tmp_path):
    out, _, _ = smoke
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    name = "flat-diamond-1"
    with h5py.File(copy / "runs" / f"{name}.h5", "r") as f:
        loss = f["loss"][()]
    (copy / "runs" / f"{name}.h5").unlink()
    (copy / "runs" / f"{name}.h5.ckpt.npz").unlink()
    others = {k: v for k, v in _digests(copy / "runs").items() if not k.startswith(name)}
    r = _script(RUN, "--variant", "smoke", "--out", copy)
    assert r.returncode == 0, r.stderr
    ran = [line for line in r.stdout.splitlines() if "final best loss" in line and "skipped" not in line]
    assert len(ran) == 1 and "flat diamond" in ran[0] and "trial 1" in ran[0]
    with h5py.File(copy / "runs" / f"{name}.h5", "r") as f:
        np.testing.assert_array_equal(f["loss"][()], loss)
    assert {k: v for k, v in _digests(copy / "runs").items() if not k.startswith(name)} == others


def test_another_variant_in_the_same_folder_is_refused(smoke):
    out, _, _ = smoke
    before = _digests(out / "configs"), _digests(out / "runs")
    r = _script(RUN, "--variant", "quick", "--out", out)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "different config" in r.stderr
    assert (_digests(out / "configs"), _digests(out / "runs")) == before


@pytest.mark.parametrize("make", ["empty", "missing", "empty_runs"])
def test_analysis_of_a_folder_without_runs_exits_2_with_one_line(tmp_path, make):
    folder = tmp_path / "d"
    if make != "missing":
        folder.mkdir()
    if make == "empty_runs":
        (folder / "runs").mkdir()
    r = _script(ANALYSIS, folder, timeout=60)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error:")
    assert not (folder / "results").exists()
