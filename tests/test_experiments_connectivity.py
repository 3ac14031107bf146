"""The connectivity experiment runs end to end in its quick mode (< 1 minute)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(rel):
    spec = importlib.util.spec_from_file_location(rel.replace("/", "_"), ROOT / rel)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_connectivity_experiment_quick(tmp_path):
    exp = _load("experiments/connectivity/run.py")
    res = exp.run(quick=True, out=tmp_path, executor="threads")
    groups = {(r["group"], r["method"]) for r in res["table"]}
    for m in exp.METHODS:
        assert ("controls evolved", m) in groups
    assert ("answer: evolved pairs", "search") in groups
    assert ("lattice: same network", "search") in groups
    # ground truth: never a path between two exact genotype networks
    assert res["lattice_false_positives"] == 0
    for r in res["table"]:
        assert 0 <= r["k"] <= r["n"]
        lo, hi = r["wilson"]
        assert 0 <= lo <= r["k"] / r["n"] <= hi <= 1
    # every stored path re-develops step by step (checked inside the run)
    assert all(s["all_verified"] for s in res["storage"])
    assert sum(s["n_paths"] for s in res["storage"]) >= 1
    for name in res["figures"]:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "results.json").read_text())["quick"]
    assert "| controls evolved | search |" in exp.markdown(res)
    # under a minute on a quiet 2-core machine; the bound only catches blow-ups
    assert res["seconds"]["total"] < 180
