"""The RNA12 partial correlation (experiments/comparison/rna_partial.py):
positive and null controls, and the committed numbers reproduce."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location(
        "rna_partial", ROOT / "experiments/comparison/rna_partial.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_partial_correlation_controls():
    rp = _load()
    rng = np.random.default_rng(0)
    z = rng.normal(size=200)
    shared = rng.normal(size=200)
    # both follow z and share nothing else: a large raw correlation, no partial one
    x, y = z + 0.3 * rng.normal(size=200), z + 0.3 * rng.normal(size=200)
    null = rp.partial_spearman(x, y, z, reps=500)
    assert np.corrcoef(x, y)[0, 1] > 0.8 and abs(null["r"]) < 0.15 and null["p"] > 0.05
    # a shared component beside z: the partial correlation finds it
    x, y = z + shared, z + shared + 0.3 * rng.normal(size=200)
    pos = rp.partial_spearman(x, y, z, reps=500)
    assert pos["r"] > 0.8 and pos["lo"] > 0.7 and pos["p"] < 0.01
    lin = rp.partial_spearman(x, y, z, reps=500, rank=False)
    assert lin["r"] > 0.8
    with pytest.raises(ValueError, match="three finite arrays"):
        rp.partial_spearman([1, 2, 3], [1, 2, 3], [1, 2, 3])


def test_the_committed_rna12_numbers_reproduce():
    rp = _load()
    committed = json.loads((ROOT / "experiments/comparison/rna12_partial.json").read_text())
    res = rp.analyse(reps=50)        # point estimates do not depend on reps
    for name in ("R_vs_E", "R_vs_E_cowperthwaite"):
        assert res[name]["spearman"] == pytest.approx(committed[name]["spearman"], abs=1e-12)
        for part in ("partial_given_log_f", "pearson_partial_given_log_f"):
            assert res[name][part]["r"] == pytest.approx(committed[name][part]["r"], abs=1e-12)
    assert res["R_vs_E"]["spearman"] > 0.6             # the raw correlation of the RNA page
