"""The `alife` command, the quick benchmark run, and import without a writable cache."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from alife.cli import main
from alife.demo import first_survivor
from alife.nca import HNCASpec, develop

ROOT = Path(__file__).resolve().parents[1]


def test_demo_writes_a_surviving_genome_and_its_figures(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--seed", "3", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for f in summary["files"]:
        assert (out / f).stat().st_size > 0
    assert (out / "phenotype.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    g = np.load(out / "genome.npy")
    spec = HNCASpec.preset("bielawski")
    dev = develop(spec, g[None])
    assert not dev.degenerate[0]
    assert int(dev.ids[0]) == summary["phenotype_id"]
    assert int(dev.phenotypes[0].sum()) == summary["cells_on"]
    # it is the first survivor of the seeded stream: every earlier genome died
    G = spec.random_genomes(summary["genome_index"] + 1,
                            seed=np.random.default_rng(np.random.SeedSequence(3)))
    assert develop(spec, G[:-1]).degenerate.all()
    np.testing.assert_array_equal(G[-1], g)


def test_first_survivor_is_reproducible():
    spec = HNCASpec.preset("bielawski", levels=1)
    a, ia, _ = first_survivor(spec, seed=5)
    b, ib, _ = first_survivor(spec, seed=5)
    assert ia == ib and np.array_equal(a, b)


@pytest.mark.parametrize("argv, message", [
    (["demo", "--preset", "gecco"], "unknown preset"),
    (["demo", "--seed", "-1"], "--seed"),
])
def test_bad_demo_input_is_one_line_and_exit_2(argv, message, capsys, tmp_path):
    assert main(argv + ["--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_cli_entry_point_usage_error_exits_2():
    r = subprocess.run([sys.executable, "-m", "alife.cli", "demo", "--seed", "abc"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "invalid int" in r.stderr


def test_import_and_develop_without_a_writable_numba_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(blocker / "cache"))
    code = ("from alife.nca import HNCASpec, develop; s = HNCASpec.preset('bielawski', levels=1,"
            " base_size=8, steps=3); print(develop(s, s.random_genomes(2)).phenotypes.shape)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "(2, 8, 8)"


def test_benchmark_quick_run_reports_every_figure():
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "rollout.py"), "--quick", "--json"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    b, n = res["bielawski"], res["neural"]
    assert b["develop_lifetimes_per_s"] > 0 and b["torch_lifetimes_per_s"] > 0
    assert b["phenotypes_equal_to_torch"] == b["genomes"]
    assert n["develop_gflops"] > 0 and n["torch_gflops"] > 0 and res["sgemm_gflops"] > 0
    # the flop count is the rule's multiply-adds: check it by hand for the neural preset
    macs = 32 * 32 * ((9 + 1) * 16 * 64 + 64 * 16) + 16 * 16 * ((4 + 9) * 16 * 64 + 64 * 16)
    assert n["rule_gflop_per_run"] == pytest.approx(2 * macs * 64 * n["genomes"] / 1e9)
    assert "lifetimes/s" in r.stderr
    for name in ("levels4", "flat"):
        g = res["small_grids"][name]
        assert g["base8_cell_updates_per_s"] > 0 and g["base64_cell_updates_per_s"] > 0
        assert g["base8_over_base64"] == pytest.approx(
            g["base8_cell_updates_per_s"] / g["base64_cell_updates_per_s"])
        assert g["base8_first_call_over_base64"] == pytest.approx(
            g["base8_first_call_cell_updates_per_s"] / g["base64_cell_updates_per_s"])
        assert g["sizes_base8"][0] == 8 and g["steps_base8"] == 10
    assert g["sizes_base8"] == [8] and res["small_grids"]["levels4"]["sizes_base8"] == [8, 4, 2, 1]
    assert res["neural_share_of_sgemm"] == pytest.approx(n["develop_gflops"] / res["sgemm_gflops"])
    d = res["devices"]                     # lifetimes/s per device develop can use
    assert d["numba"]["lifetimes_per_s"] > 0 and d["cpu_twin"]["lifetimes_per_s"] > 0
    assert d["cpu_twin"]["phenotypes_equal_to_kernels"] == d["cpu_twin"]["of"] == b["genomes"]
    import torch
    assert ("lifetimes_per_s" in d["cuda"]) == torch.cuda.is_available()
    assert "device cpu_twin:" in r.stderr
