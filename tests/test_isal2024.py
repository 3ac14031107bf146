"""experiments/isal2024: the quick mode end to end, its counts recomputed
independently with ``develop``, its intervals against scipy and Newcombe's
published examples, and its refusals."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binomtest

from alife.evolve.mutation import resample
from alife.nca import HNCASpec, develop

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "experiments" / "isal2024"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"isal2024_{name}", FOLDER / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(FOLDER))
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(FOLDER))
    return mod


def _script(path: Path, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run([sys.executable, str(path), *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("isal2024") / "quick"
    run = _script(FOLDER / "run.py", "--quick", "--out", out)
    assert run.returncode == 0, run.stderr
    return out, json.loads((out / "results.json").read_text())


def test_quick_run_writes_every_condition_and_figure(quick):
    out, res = quick
    mod = _load("run")
    assert set(res["conditions"]) == set(mod.CONDITIONS) | set(mod.EVOLVED)
    for name in ("results.json", "summary.md", "neutral_fractions.png", "changed_cells.png"):
        assert (out / name).stat().st_size > 0, name
    assert sorted(p.name for p in (out / "runs").glob("*.h5")) == [
        "evolved_children-0.h5", "evolved_gecco2024-0.h5"]
    for name, c in res["conditions"].items():
        n_expected = res["size"][mod.CONDITIONS[name]["size"]] if name in mod.CONDITIONS else \
            c["parents"] * c["children_per_parent_and_layer"]
        for lvl, level in enumerate(c["levels"]):
            assert level["n"] == n_expected and 0 <= level["k"] <= level["n"]
            assert sum(level["hist"]) == level["n"] and level["hist"][0] == level["k"]
            assert len(level["hist"]) == 16 + 1          # a 4x4 phenotype on the 32x32 base
            s = res["stats"][name][lvl]
            assert s["wilson99"][0] <= s["fraction"] <= s["wilson99"][1]
        for nd, al in zip(c.get("levels_nondegenerate_parent", []), c["levels"]):
            assert nd["n"] <= al["n"] and nd["k"] <= al["k"]
    summary = (out / "summary.md").read_text()
    assert "(a) reference protocol" in summary and "96.54" in summary


def test_counts_equal_a_direct_recomputation_with_develop(quick):
    """Condition (a) of the quick run, recomputed here: the same random streams,
    the mutation drawn with resample on the level's genes, phenotypes from
    develop directly (not HNCAMap), neutral = equal patterns."""
    _, res = quick
    mod = _load("run")
    spec = HNCASpec.preset("isal2024", base_size=32, down_wiring="gecco2024")
    n = res["size"]["pairs"]
    root = np.random.SeedSequence(res["seed"])
    stream = root.spawn(len(mod.CONDITIONS) + len(mod.EVOLVED))[list(mod.CONDITIONS).index("gecco2024")]
    rng = np.random.default_rng(stream.spawn(1)[0])        # one chunk: n < CHUNK
    parents = spec.random_genomes(n, rng)
    pa = develop(spec, parents).phenotypes
    for lvl in range(4):
        lv = spec.layout.levels[lvl]
        kids = parents.copy()
        kids[:, lv.start:lv.stop], _ = resample(np.ascontiguousarray(parents[:, lv.start:lv.stop]),
                                                rng, n_genes=1)
        changed = (develop(spec, kids).phenotypes != pa).sum(axis=(1, 2))
        level = res["conditions"]["gecco2024"]["levels"][lvl]
        assert level["k"] == int((changed == 0).sum())
        assert level["hist"] == np.bincount(changed, minlength=17).tolist()


def test_intervals_match_scipy_and_newcombes_examples():
    report = _load("report")
    for k, n in ((0, 10), (7, 10), (81, 263), (99_000, 100_000)):
        ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
        np.testing.assert_allclose(report.wilson(k, n, report.Z95), [ci.low, ci.high], atol=1e-12)
    # Newcombe (1998), Statistics in Medicine 17:873, Table II, method 10
    np.testing.assert_allclose(report.newcombe(56, 70, 48, 80, report.Z95), [0.0524, 0.3339],
                               atol=1e-4)
    np.testing.assert_allclose(report.newcombe(9, 10, 3, 10, report.Z95), [0.1705, 0.8090],
                               atol=1e-4)


def test_refuses_to_overwrite_and_bad_sizes_are_one_line(quick, tmp_path):
    out, _ = quick
    before = hashlib.sha256((out / "results.json").read_bytes()).hexdigest()
    again = _script(FOLDER / "run.py", "--quick", "--out", out)
    assert again.returncode == 2 and "--force" in again.stderr and "Traceback" not in again.stderr
    assert hashlib.sha256((out / "results.json").read_bytes()).hexdigest() == before
    bad = _script(FOLDER / "run.py", "--quick", "--out", tmp_path / "x", "--pairs", "0")
    assert bad.returncode == 2 and "must be an integer >= 1" in bad.stderr
    assert not (tmp_path / "x").exists()


def test_report_redraws_from_results_json(quick, tmp_path):
    out, _ = quick
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "results.json").write_bytes((out / "results.json").read_bytes())
    r = _script(FOLDER / "report.py", copy)
    assert r.returncode == 0, r.stderr
    assert (copy / "summary.md").read_text() == (out / "summary.md").read_text()
    assert (copy / "neutral_fractions.png").exists()
