"""The exhaustive-maps experiment (experiments/connectivity/exhaustive.py) in
its quick mode: every stage runs, and its numbers agree with independent
counts."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location(
        "exhaustive_exp_quick", ROOT / "experiments/connectivity/exhaustive.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_exhaustive_experiment_quick(tmp_path):
    pytest.importorskip("RNA")
    exp = _load()
    doc = exp.run(tmp_path, quick=True, workers=0)
    names = [m["name"] for m in doc["maps"]]
    assert names == ["flat", "rna8"]
    flat, rna = doc["maps"]
    # the flat NCA on the K = 3 lattice: every genotype counted once
    t = flat["table"]
    assert t["genotypes"] == 3 ** 9
    und = flat["undefined"]
    assert und["all_zero"] + und["all_one"] == round(t["undefined_fraction"] * 3 ** 9)
    assert flat["recorder_check"]["equal"] == flat["recorder_check"]["n"] == 200
    mc = flat["mutation_classes"]
    assert sum(mc[k]["k"] for k in ("silent", "cryptic", "changed")) == mc["mutations"] == 200 * 18
    assert flat["aliasing"]["systems"] == flat["aliasing"]["systems_closed_form"] == 3 ** 9
    sym = flat["symmetry"]                 # the square's symmetries act exactly on the lattice
    assert sym["agree"] == sym["checked"] == 200 * 7
    assert all(t["largest_onto_itself"] + t["largest_onto_other"] == t["symmetries_fixing_pattern"]
               for t in sym["targets"])
    # RNA8 agrees with the RNA experiment's own count of the same fold table
    rexp_spec = importlib.util.spec_from_file_location("rna_exp", ROOT / "experiments/rna/run.py")
    rexp = importlib.util.module_from_spec(rexp_spec)
    rexp_spec.loader.exec_module(rexp)
    ref = rexp.run(L=8, out=tmp_path / "rna", cache=tmp_path / "rna8_fold.h5", workers=0)
    assert rna["table"]["phenotypes"] == ref["n_structures_folded"]
    assert rna["table"]["components"] == ref["n_genotype_networks"]
    assert rna["table"]["undefined_fraction"] == pytest.approx(ref["unfolded_fraction"])
    assert rna["wagner"]["pooled"]["rho"] == pytest.approx(ref["wagner"]["genotype_rho"])
    for m in doc["maps"]:
        s = m["same_component"]
        assert 1 <= len(s["targets"]) <= 20
        for row in s["targets"]:
            assert row["n_components"] >= 2 and 0 <= row["random_pair"] <= 1
            assert row["label"]
            assert row["climbed_pairs"] == row["reached"] * (row["reached"] - 1) // 2
        w = m["wagner"]
        lo, hi = w["pooled"]["ci"]
        assert lo <= hi
    saved = json.loads((tmp_path / "exhaustive.json").read_text())
    assert saved["config"]["quick"] is True and len(saved["maps"]) == 2
    for f in ("robustness_frequency", "wagner", "same_component", "patterns"):
        assert (tmp_path / "figures" / f"exhaustive_{f}.png").read_bytes()[:4] == b"\x89PNG"
    rows = (tmp_path / "exhaustive_rna8_phenotypes.csv").read_text().splitlines()
    assert len(rows) == 1 + rna["table"]["phenotypes"]
    assert "| genotypes |" in exp.report.markdown(saved)
    assert np.isfinite(saved["seconds_total"])
