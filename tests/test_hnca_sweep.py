"""The 2x2 design on HNCAs: surrogate gradient, rules, matching, regression, the quick sweep.

Invariants protected:

* the straight-through / leaky surrogate leaves the developed states bit for
  bit those of the exact twin, and gives a non-zero gradient where the
  rectified sigmoid's is exactly zero;
* the rule labels build the specs the design names (gene counts), bad labels
  and settings are refused in one line;
* hidden-unit matching undoes a relabelling: the matched line between a
  genome and its relabelled copy keeps the phenotype at every point;
* the clustered logistic regression equals a hand computation (intercept
  only: p = mean y, and the CR1 sandwich by hand) and the Newton fit
  satisfies the score equations; separated data get Firth's finite fit, and
  the reading builds its design (log10 genes, method, rule family, mode)
  from a connectivity table;
* a path the search reports re-develops, row by row, to the endpoints'
  phenotype, and begins and ends at the endpoints;
* the quick sweep runs end to end through ``run.py hnca --quick`` and its
  file carries the comparison's ``connectivity`` and ``robustness`` tables
  with the contract's columns.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from alife.bridge.hnca_sweep import (  # noqa: E402
    HNCA_QUICK_SETTINGS, check_hnca_settings, hnca_blocks, rule_spec, target_pattern)
from alife.sweep.regression import cluster_sandwich, logit_cluster  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ surrogate
def test_surrogate_forward_exact_and_gradient_nonzero_where_rule_gradient_is_zero():
    from alife.bridge.models import HNCAModel, SurrogateTwin
    from alife.nca.torch_twin import TorchHNCA
    spec = rule_spec("linear")
    g = torch.from_numpy(spec.random_genomes(3, seed=4))
    exact = TorchHNCA(spec)(g)
    for leak in (1.0, 0.1):
        st = SurrogateTwin(spec, leak=leak)(g)
        for a, b in zip(exact, st):
            assert torch.equal(a, b)
    # one activation: y <= 0 has gradient exactly 0 in the rule, not in the surrogate
    y = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
    twin_exact, twin_st = TorchHNCA(spec), SurrogateTwin(spec, leak=1.0)
    twin_exact._activate("rectified_sigmoid", y, False).sum().backward()
    g_exact = y.grad.clone()
    y.grad = None
    out = twin_st._activate("rectified_sigmoid", y, False)
    out.sum().backward()
    s = torch.sigmoid(y.detach())
    assert torch.all(g_exact[:3] == 0) and torch.all(g_exact[3:] > 0)
    assert torch.allclose(y.grad, s * (1 - s))              # straight through: sigmoid'
    assert torch.equal(out.detach(), torch.sigmoid(torch.nn.functional.threshold(
        y.detach(), 0.0, float("-inf"))))
    # through a whole development of a rule that dies at step 1 (every gene
    # negative: every pre-activation <= 0): the exact gradient is 0, the
    # surrogate's is not, and the states are the same (all 0)
    dead = np.full(spec.n_genes, -0.5, np.float32)
    grads = []
    for sur in (None, "straight_through", "leaky"):
        m = HNCAModel(spec, genome=dead, surrogate=sur)
        out = m.output()
        assert not out.detach().any()
        ((out - 1.0) ** 2).sum().backward()
        grads.append(m.genome.grad.clone())
    assert torch.count_nonzero(grads[0]) == 0
    assert torch.count_nonzero(grads[1]) > 0 and torch.count_nonzero(grads[2]) > 0
    with pytest.raises(ValueError, match="unknown surrogate"):
        HNCAModel(spec, surrogate="magic")
    with pytest.raises(ValueError, match="leak"):
        HNCAModel(spec, surrogate="leaky", leak=0.0)


# ---------------------------------------------------------------------- rules
def test_rule_labels_build_the_named_specs():
    assert rule_spec("linear").n_genes == 51
    assert rule_spec("sigmoid-bias").n_genes == 55
    h2 = rule_spec("mlp-H2")
    assert (h2.hidden, h2.channels, h2.bias, h2.threshold) == (2, 1, True, 0.5)
    c4 = rule_spec("mlp-H8-C4")
    assert (c4.hidden, c4.channels) == (8, 4)
    for bad in ("mlp", "mlp-H0", "cubic", "mlp-H8-C0"):
        with pytest.raises(ValueError, match="unknown rule"):
            rule_spec(bad)
    with pytest.raises(ValueError, match="unknown setting"):
        check_hnca_settings({"generation": 3})
    with pytest.raises(ValueError, match="unknown mutation|operator"):
        check_hnca_settings({"mutation": "swap"})
    with pytest.raises(ValueError, match="resample_sites"):
        check_hnca_settings({"resample_sites": [4, 1]})
    ell = target_pattern("ell", 8)
    assert ell.sum() == 7 and not np.array_equal(ell, ell.T) and not np.array_equal(ell, ell[::-1])
    blocks = hnca_blocks(rule_spec("mlp-H4"))
    assert blocks[0].start == 0 and blocks[-1].stop == rule_spec("mlp-H4").n_genes
    assert all(a.stop == b.start for a, b in zip(blocks, blocks[1:]))


# ------------------------------------------------------------------- matching
def test_matching_undoes_a_relabelling_and_the_matched_line_keeps_the_phenotype():
    from alife.bridge.align import permute_hnca_hidden, weight_matching_hnca
    from alife.bridge.hnca_sweep import _line_kept
    from alife.gpmap.hnca import HNCAMap
    spec = rule_spec("mlp-H4")
    a = spec.random_genomes(1, seed=11)[0]
    rng = np.random.default_rng(0)
    b = permute_hnca_hidden(spec, a, [rng.permutation(4) for _ in range(spec.levels)])
    gm = HNCAMap(spec)
    ph = int(gm.phenotypes(a[None])[0])
    bm = permute_hnca_hidden(spec, b, weight_matching_hnca(spec, a, b))
    np.testing.assert_array_equal(bm, a)
    assert _line_kept(gm, a, bm, 11, ph) == 1.0
    assert _line_kept(gm, a, a, 5, ph) == 1.0


# ----------------------------------------------------------------- regression
def test_clustered_logit_matches_a_hand_computation():
    y = np.array([1, 0, 1, 1, 0, 1], float)
    g = np.array([0, 0, 1, 1, 2, 2])
    X = np.ones((6, 1))
    r = logit_cluster(y, X, g, ["intercept"])
    p = y.mean()
    assert r["converged"]
    assert math.isclose(r["coef"][0], math.log(p / (1 - p)), rel_tol=1e-10)
    # by hand: bread = 1 / (n p (1 - p)); cluster scores u_g = sum (y - p)
    n, G, k = 6, 3, 1
    bread = 1.0 / (n * p * (1 - p))
    u = [(1 - p) + (0 - p), (1 - p) + (1 - p), (0 - p) + (1 - p)]
    var = G / (G - 1) * (n - 1) / (n - k) * bread * sum(v * v for v in u) * bread
    assert math.isclose(r["se"][0], math.sqrt(var), rel_tol=1e-10)
    assert math.isclose(r["se_model"][0], math.sqrt(bread), rel_tol=1e-10)
    # one covariate: the score equations hold at the fit, and the sandwich
    # equals the explicit sum over clusters
    x = np.array([0.1, 0.9, 0.4, 1.3, 0.2, 0.7])
    X2 = np.column_stack([np.ones(6), x])
    r2 = logit_cluster(y, X2, g)
    b = np.array(r2["coef"])
    pr = 1 / (1 + np.exp(-X2 @ b))
    np.testing.assert_allclose(X2.T @ (y - pr), 0, atol=1e-9)
    info = X2.T @ (X2 * (pr * (1 - pr))[:, None])
    meat = sum(np.outer(X2[g == c].T @ (y - pr)[g == c], X2[g == c].T @ (y - pr)[g == c])
               for c in range(3))
    cov = 3 / 2 * 5 / 4 * np.linalg.inv(info) @ meat @ np.linalg.inv(info)
    np.testing.assert_allclose(np.array(r2["cov"]), cov, rtol=1e-8)
    np.testing.assert_allclose(cluster_sandwich(X2, y - pr, pr * (1 - pr), g), cov, rtol=1e-8)
    # a perfectly separating covariate is flagged
    sep = logit_cluster(np.array([0, 0, 0, 1, 1, 1.0]),
                        np.column_stack([np.ones(6), np.arange(6.0)]), g)
    assert sep["separated"]
    firth = logit_cluster(np.array([0, 0, 0, 1, 1, 1.0]),
                          np.column_stack([np.ones(6), np.arange(6.0)]), g, firth=True)
    assert firth["converged"] and not firth["separated"]
    assert 0 < firth["coef"][1] < 10 and np.all(np.isfinite(firth["se"]))
    # without separation Firth's estimate shrinks the ML one towards 0
    f2 = logit_cluster(y, X2, g, firth=True)
    assert f2["converged"] and abs(f2["coef"][1]) < abs(r2["coef"][1])
    with pytest.raises(ValueError, match="only 0 and 1"):
        logit_cluster(np.array([0, 2.0]), np.ones((2, 1)), [0, 1])


# --------------------------------------------------------------------- search
def test_a_path_reported_connected_redevelops_to_the_endpoints_phenotype():
    from alife.bridge.hnca_sweep import _search
    from alife.gpmap.hnca import HNCAMap
    from alife.nca import develop
    spec = rule_spec("linear")
    gm = HNCAMap(spec)
    rng = np.random.default_rng(3)
    G = spec.random_genomes(400, seed=5)
    ph = develop(spec, G).phenotypes
    ids = gm.phenotypes(G)
    # two genomes of one phenotype: the commonest defined pattern
    vals, counts = np.unique(ids[ids >= 0], return_counts=True)
    idx = np.flatnonzero(ids == vals[np.argmax(counts)])
    assert len(idx) >= 2
    a, b = G[idx[0]], G[idx[1]]
    tgt = ph[idx[0]]
    s = check_hnca_settings({**HNCA_QUICK_SETTINGS, "search_budget": 20_000})
    r = _search(gm, spec, a, b, tgt, rng, s)
    assert r["found"], r
    assert r["redeveloped"] is True
    path = r["path"]
    np.testing.assert_array_equal(path[0], a)
    np.testing.assert_array_equal(path[-1], b)
    assert np.all((develop(spec, path).phenotypes == tgt[None]).all(axis=(1, 2)))
    assert np.all(np.count_nonzero(np.diff(path, axis=0), axis=1) <= 1)


# ---------------------------------------------------------------- quick sweep
CONNECTIVITY = ("system", "rule", "mode", "n_params", "seed", "pair", "method", "connected", "kept")
ROBUSTNESS = ("system", "rule", "mode", "seed", "pair", "endpoint", "kernel", "strength",
              "fraction_changed", "n", "kept")


def test_quick_sweep_end_to_end(tmp_path, capsys):
    sys.path.insert(0, str(ROOT / "experiments" / "comparison"))
    import run as comparison_run
    from alife.sweep import read_sweep
    rc = comparison_run.main(["hnca", "--quick", "--out", str(tmp_path), "--work",
                              str(tmp_path / "work"), "--silent"])
    assert rc == 0
    sw = read_sweep(tmp_path / "hnca_sweep_quick.h5")
    conn, rob = sw["connectivity"], sw["robustness"]
    assert len(conn) > 0 and len(rob) > 0
    assert set(CONNECTIVITY) <= set(conn.names)
    assert set(ROBUSTNESS) <= set(rob.names)
    assert set(np.asarray(conn["system"]).astype(str)) == {"hnca"}
    assert set(np.asarray(rob["kernel"]).astype(str)) == {"resample", "noise"}
    assert {"line", "search"} <= set(np.asarray(conn["method"]).astype(str))
    assert set(np.asarray(conn["mode"]).astype(str)) <= {"evolved", "trained"}
    found = np.asarray(sw.cells["search_found"], dtype=object)
    red = np.asarray(sw.cells["search_redeveloped"], dtype=object)
    for f, rd in zip(found, red):
        if f is True or f == 1:
            assert rd in (True, 1)
    out = capsys.readouterr().out
    assert "Logistic regression" in out
    assert (tmp_path / "hnca_sweep_quick.png").exists()
    assert (tmp_path / "hnca_sweep_quick.connectivity.csv").exists()
    # a resumed run reuses every cell
    rc = comparison_run.main(["hnca", "--quick", "--out", str(tmp_path), "--work",
                              str(tmp_path / "work"), "--silent", "--no-report"])
    assert rc == 0
    assert "0 computed" in capsys.readouterr().out


def test_the_reading_fits_the_regression_on_a_connectivity_table():
    sys.path.insert(0, str(ROOT / "experiments" / "comparison"))
    import hnca
    from alife.sweep import Table
    rng = np.random.default_rng(1)
    rules = ["linear", "sigmoid-bias", "mlp-H2", "mlp-H8", "mlp-H32"]
    genes = {r: rule_spec(r).n_genes for r in rules}
    rows = []
    for i in range(60):
        rule, mode = rules[i % 5], ("evolved", "trained")[i % 2]
        for method in ("line", "search"):
            # the search connects often, the line never (a separated pattern)
            ok = method == "search" and rng.random() < 0.3 + 0.1 * math.log10(genes[rule])
            rows.append({"rule": rule, "mode": mode, "target": "diamond", "method": method,
                         "n_params": genes[rule], "seed": i, "connected": bool(ok)})
    t = Table("connectivity", {k: [r[k] for r in rows] for k in rows[0]})
    for k in ("n_params", "seed"):
        t.columns[k] = np.asarray(t.columns[k])
    t.columns["connected"] = np.asarray(t.columns["connected"], bool)
    res = hnca.regression(t)
    assert res["fitted"] and res["firth"]           # the line never connects: Firth's fit
    assert res["names"][:2] == ["intercept", "log10_params"]
    assert "method=search" in res["names"] and "mode=trained" in res["names"]
    assert "target=ell" not in res["names"]         # a constant column is left out
    i = res["names"].index("method=search")
    assert res["coef"][i] > 0 and np.all(np.isfinite(res["se"]))
    assert res["clusters"] == 60


def test_a_regression_with_few_events_is_not_read_and_the_criteria_use_the_pairs():
    sys.path.insert(0, str(ROOT / "experiments" / "comparison"))
    import hnca
    from alife.sweep import Table
    rows = []
    for i in range(12):
        rule = ("mlp-H8", "mlp-H32")[i % 2]
        genes = rule_spec(rule).n_genes
        for method, kept in (("line", 0.1), ("matched_line", 0.1 + 0.01 * (i % 3)),
                             ("search", float("nan"))):
            rows.append({"rule": rule, "mode": "trained", "target": "diamond", "method": method,
                         "n_params": genes, "seed": i, "kept": kept,
                         "connected": method == "search" and i < 2})
    t = Table("connectivity", {k: np.asarray([r[k] for r in rows]) for k in rows[0]})
    reg = hnca.regression(t)
    assert reg["fitted"] and reg["events"] == 2 and not reg["interpretable"]
    res = {"regression": reg, "rules": []}
    c = hnca.criteria(res, t)
    assert not c["regression_used"]
    d = c["pair_tests"]["search_minus_line"]
    assert d["n"] == 12 and d["mean"] == pytest.approx(2 / 12)
    assert c["C3"]["gain"]["mean"] == pytest.approx(0.01)     # (0 + 0.01 + 0.02) / 3
    assert c["C4"]["differ"] is None                          # one mode only: not testable
    md = hnca.markdown({**res, "criteria": c})
    assert "Not to be read: 2 of 36 paths" in md and "tested on the pairs themselves" in md
