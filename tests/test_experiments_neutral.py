"""The neutral-network experiments run end to end at small size."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(rel):
    spec = importlib.util.spec_from_file_location(rel.replace("/", "_"), ROOT / rel)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_rna_experiment_small(tmp_path):
    RNA = pytest.importorskip("RNA")
    exp = _load("experiments/rna/run.py")
    res = exp.run(L=7, out=tmp_path, cache=tmp_path / "fold.h5", workers=0)
    # independent count: fold every sequence directly with ViennaRNA's defaults
    letters = "ACGU"
    seqs = ["".join(letters[(r >> (2 * (6 - i))) & 3] for i in range(7)) for r in range(4 ** 7)]
    structs = [RNA.fold(s)[0] for s in seqs]
    assert res["n_structures_folded"] == len(set(structs) - {"." * 7})
    assert res["unfolded_fraction"] == pytest.approx(structs.count("." * 7) / 4 ** 7)
    assert json.loads((tmp_path / "results.json").read_text())["L"] == 7
    rows = (tmp_path / "phenotypes.csv").read_text().splitlines()
    assert len(rows) == 1 + res["n_structures_folded"]
    sizes = [int(r.split(",")[1]) for r in rows[1:]]
    assert sum(sizes) == 4 ** 7 - structs.count("." * 7)
    # a second run reuses the cache
    again = exp.run(L=7, out=tmp_path, cache=tmp_path / "fold.h5", workers=0)
    assert again["seconds"]["fold_cached"] and again["unfolded_fraction"] == res["unfolded_fraction"]
    assert "| unfolded fraction |" in exp.markdown(res)


def test_hnca_neutral_experiment_quick(tmp_path):
    exp = _load("experiments/hnca_neutral/run.py")
    res = exp.run(out=tmp_path, work=tmp_path / "work", quick=True)
    rows = res["rows"]
    assert [r["kind"] for r in rows] == ["evolved", "random"] * 3
    budget = exp.QUICK["evaluations"]
    for r in rows:
        assert r["evaluations"] <= budget + 1        # + the seed's own evaluation
        d = r["dense_probe"]
        if d is not None:                            # the rest of the budget, densely
            assert d["evaluations"] == 51 * d["m"] + 1 and r["evaluations"] + d["evaluations"] <= budget + 2
        assert 0.0 <= r["R"] <= 1.0 and len(r["profile"]) == 51
        # every one-mutant of the seed is classified: 51 genes x m resamples
        assert sum(r["mutation_classes"].values()) == 51 * exp.QUICK["m"]
    assert (tmp_path / "profiles.png").read_bytes()[:4] == b"\x89PNG"
    assert "| evolved" in exp.markdown(res)
