"""alife compare on sweep files: the common tables, read, checked, summarised,
written as CSV, Markdown and one figure; the MLP width sweep's adapter; bad
input as one line and exit 2, nothing written."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest

from alife.cli import main
from alife.sweep import grid, read_sweep, run_sweep
from alife.sweep.stats import wilson

ROOT = Path(__file__).resolve().parents[1]
MLP_SWEEP = ROOT / "experiments/comparison/mlp_sweep.h5"
RULES = {"linear": 51, "mlp-H2": 120, "mlp-H8": 450, "mlp-H32": 1800}


def hnca_like_cell(params, seed, settings):
    """A synthetic comparison cell: one pair of HNCA-like models of a rule and
    mode; connectivity drawn with a probability that grows with the
    parameters, robustness curves r(s) = exp(-s / scale) sampled binomially."""
    rng = np.random.default_rng(seed)
    n_params = RULES[params["rule"]]
    p = min(0.95, math.log10(n_params) / 3.5) * (1.0 if params["mode"] == "trained" else 0.6)
    cluster = (1000 * list(RULES).index(params["rule"]) + params["pair"]
               + 100 * (params["mode"] == "trained") + 500 * (params["target"] != "diamond"))
    conn = []
    for method in ("line", "matched_line", "search"):
        ok = bool(rng.random() < p * (0.3 if method == "line" else 1.0))
        conn.append({"system": "hnca", "n_params": n_params, "seed": cluster, "method": method,
                     "connected": ok, "kept": 1.0 if ok else float(rng.uniform(0, 0.99))})
    rob = []
    for endpoint in ("a", "b"):
        for kernel, strengths in (("resample", [1, 2, 5, 10]), ("rms_noise", [0.01, 0.1, 1.0])):
            for s in strengths:
                frac = s / n_params if kernel == "resample" else 1.0
                r = math.exp(-(frac if kernel == "resample" else s) * 8)
                rob.append({"system": "hnca", "seed": cluster, "endpoint": endpoint,
                            "kernel": kernel, "strength": float(s), "fraction_changed": frac,
                            "n": 50, "kept": int(rng.binomial(50, r))})
    return {"n_params": n_params, "connectivity": conn, "robustness": rob}


@pytest.fixture(scope="module")
def hnca_sweep(tmp_path_factory):
    d = tmp_path_factory.mktemp("hnca")
    cells = grid({"rule": list(RULES), "mode": ["evolved", "trained"], "pair": range(3)},
                 target="diamond")
    cells += grid({"rule": ["linear"], "mode": ["evolved"], "pair": range(3)}, target="asym")
    run_sweep(hnca_like_cell, cells, d / "hnca.h5", settings={}, root_seed=3, progress=False)
    return d / "hnca.h5"


def _csv(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_mlp_adapter_keeps_the_sweep_cell_results():
    from alife.bridge.width_contract import contract_tables
    sw = read_sweep(MLP_SWEEP)
    t = contract_tables(sw)
    conn, rob = t["connectivity"], t["robustness"]
    assert len(conn) == 3 * len(sw.cells) and len(rob) == len(sw["robustness"])
    for kind, method in (("line", "line"), ("matched", "matched_line"), ("bezier", "bezier")):
        mine = conn.where(method=method)
        kept = np.asarray(sw.cells[f"{kind}_kept"], float)
        assert np.array_equal(np.asarray(mine["kept"]), kept, equal_nan=True)
        assert np.array_equal(np.asarray(mine["connected"]), kept == 1.0)
    # one seed (cluster) per pair of nets; resample strength counted in genes
    assert len(set(conn["seed"].tolist())) == len(sw.cells)
    res = rob.where(kernel="resample")
    assert np.allclose(np.asarray(res["strength"]) / np.asarray(res["n_params"]),
                       res["fraction_changed"])
    assert set(rob["kernel"]) == {"resample", "noise"}
    assert np.array_equal(rob["kept"], sw["robustness"]["kept"])


def test_compare_of_a_synthetic_hnca_sweep_and_the_mlp_sweep(hnca_sweep, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(hnca_sweep), str(MLP_SWEEP), "--out", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "comparison.md",
                                                     "comparison.png"]
    assert (out / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    rows = _csv(out / "comparison.csv")
    assert len(rows) == 2 * len(RULES) + 1 + 9
    # every k/n and its Wilson interval recomputed from the sweep's own rows
    conn = read_sweep(hnca_sweep)["connectivity"]
    for r in (x for x in rows if x["system"] == "hnca"):
        g = conn.where(rule=r["rule"], mode=r["mode"], target=r["target"], method="search")
        k, n = int(np.sum(g["connected"])), len(g)
        assert (int(r["search_k"]), int(r["search_n"])) == (k, n) == (k, 3)
        assert np.allclose([float(r["search_lo"]), float(r["search_hi"])], wilson(k, n))
        assert r["n_params"] == str(RULES[r["rule"]]) and r["bezier_n"] == ""
    mlp = {r["rule"]: r for r in rows if r["system"] == "mlp"}
    assert (mlp["width-128"]["matched_line_k"], mlp["width-128"]["matched_line_n"]) == ("5", "5")
    md = (out / "comparison.md").read_text()
    assert md == capsys.readouterr().out
    assert "| hnca | evolved | linear (diamond) | 51 | 3 |" in md and "**Definitions**" in md
    assert "| hnca | evolved | linear (asym) | 51 | 3 |" in md
    assert md.count("\n| mlp | trained | width-") == 9


def test_the_adapter_file_gives_the_same_comparison(tmp_path):
    from alife.bridge.compare import _methods, combine, csv_text, summarise
    from alife.bridge.width_contract import write_contract
    derived = write_contract(read_sweep(MLP_SWEEP), tmp_path / "mlp_contract.h5")
    assert list(read_sweep(derived).tables) == ["connectivity", "robustness"]
    texts = []
    for path in (MLP_SWEEP, derived):
        t = combine([path])
        texts.append(csv_text(summarise(t), _methods(t["connectivity"])))
    assert texts[0] == texts[1]


def test_systems_table_and_vector_format(tmp_path):
    from alife.sweep.table import build_table, write_sweep
    rows = [{"system": "rna", "measure": "robustness", "value": 0.4, "lo": 0.38, "hi": 0.42,
             "n": 57, "definition": "mean r over structures"},
            {"system": "hnca", "measure": "E_C", "value": 3.0, "lo": float("nan"),
             "hi": float("nan"), "n": 10, "definition": "Cowperthwaite's evolvability"}]
    key = {"function": "tests:systems", "root_seed": 0, "settings": {}}
    path = write_sweep(tmp_path / "systems.h5", {"systems": build_table("systems", rows)},
                       key=key, timing={})
    out = tmp_path / "o"
    assert main(["compare", str(path), "--out", str(out), "--format", "svg", "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "comparison.md",
                                                     "comparison.svg", "comparison_systems.csv"]
    assert [r["measure"] for r in _csv(out / "comparison_systems.csv")] == ["robustness", "E_C"]
    md = (out / "comparison.md").read_text()
    # one short row per measure (no rule or mode in this file), each definition once below
    assert "| rna |  |  | robustness [1] | 0.4 (0.38–0.42) | 57 |" in md
    assert "| hnca |  |  | E_C [2] | 3 | 10 |" in md
    assert ("[1] *robustness*: mean r over structures; [2] *E_C*: Cowperthwaite's evolvability."
            in md)


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("alife compare: error: ") and "\n" not in err, err
    return err


def test_bad_input_is_one_line_exit_2_and_writes_nothing(hnca_sweep, tmp_path, capsys):
    from alife.sweep.toy import toy_cell
    toy = tmp_path / "toy.h5"
    run_sweep(toy_cell, grid({"rep": range(2)}), toy, settings={"n": 10}, root_seed=0,
              progress=False)
    out = tmp_path / "out"
    cases = [([toy], ["toy.h5", "none of the comparison tables", "cells, quantiles"]),
             ([hnca_sweep, hnca_sweep], ["given twice"]),
             ([hnca_sweep, toy], ["toy.h5", "none of the comparison tables"]),
             ([hnca_sweep, ROOT / "experiments/bridge/digits.h5"], ["not a sweep file"])]
    for inputs, fragments in cases:
        assert main(["compare", *map(str, inputs), "--out", str(out)]) == 2
        err = _one_line(capsys)
        assert all(f in err for f in fragments), err
        assert not out.exists()
    assert main(["compare", str(hnca_sweep), "--out", str(out), "--hnca-pairs", "x.json"]) == 2
    assert "--hnca-pairs" in _one_line(capsys) and not out.exists()
    # a table of the contract's name without its columns
    from alife.sweep.table import build_table, write_sweep
    bad = write_sweep(tmp_path / "bad.h5", {"connectivity": build_table(
        "connectivity", [{"system": "hnca", "rule": "x", "connected": True}])},
        key={"function": "tests:bad", "root_seed": 0, "settings": {}}, timing={})
    assert main(["compare", str(bad), "--out", str(out)]) == 2
    assert "lacks the column(s) mode, n_params, seed, pair, method, kept" in _one_line(capsys)
    # outputs already there: refused without --force, nothing changed
    assert main(["compare", str(hnca_sweep), "--out", str(out), "-q"]) == 0
    before = (out / "comparison.md").read_bytes()
    (out / "comparison.md").write_text("edited")
    assert main(["compare", str(hnca_sweep), "--out", str(out)]) == 2
    assert "already exists" in _one_line(capsys)
    assert (out / "comparison.md").read_text() == "edited"
    assert main(["compare", str(hnca_sweep), "--out", str(out), "--force", "-q"]) == 0
    assert (out / "comparison.md").read_bytes() == before        # the same tables, the same bytes


def test_the_committed_comparison_reproduces_from_the_committed_sweeps():
    import importlib.util
    from alife.bridge.compare import _methods, combine, csv_text, markdown, summarise
    spec = importlib.util.spec_from_file_location("comparison_run",
                                                  ROOT / "experiments/comparison/run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    here = ROOT / "experiments/comparison"
    inputs = [here / n for n in run.COMPARED if (here / n).is_file()]
    assert here / "mlp_contract.h5" in inputs
    t = combine(inputs)
    rows, methods = summarise(t), _methods(t["connectivity"])
    _assert_same_csv(csv_text(rows, methods), (here / "comparison.csv").read_text())
    assert markdown(rows, methods, t["systems"], [p.name for p in inputs]) == \
        (here / "comparison.md").read_text()


def _assert_same_csv(got: str, want: str) -> None:
    """The same cells; floats within 1e-12 relative.

    The CSV keeps every digit, and σ50 goes through NumPy's exp and log,
    whose last bit differs between CPUs (NumPy picks SIMD code by CPU):
    the same sweeps summarised on another machine differ by a few parts in
    1e16 there.  Words, counts and NaNs must match exactly.
    """
    a, b = (list(csv.reader(io.StringIO(x))) for x in (got, want))
    assert a[0] == b[0] and len(a) == len(b)
    for ra, rb in zip(a[1:], b[1:]):
        assert len(ra) == len(rb)
        for h, x, y in zip(a[0], ra, rb):
            if x == y:
                continue
            try:
                fx, fy = float(x), float(y)
            except ValueError:
                raise AssertionError(f"{ra[:4]} {h}: {x!r} != {y!r}") from None
            assert "." in x and "." in y and math.isclose(fx, fy, rel_tol=1e-12), \
                f"{ra[:4]} {h}: {x} != {y}"
