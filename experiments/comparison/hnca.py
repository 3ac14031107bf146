"""The 2x2 design on HNCAs: its grid, its run, its reading and its figure.

One cell = one disjoint pair of genomes of one rule, evolved or trained
(:func:`alife.bridge.hnca_sweep.hnca_pair_cell`); :func:`cells` lays out the
grid, :func:`run` runs it through :func:`alife.sweep.run_sweep`,
:func:`analyse` turns the tables into fractions connected with Wilson
intervals, robustness with t intervals and a logistic regression with
errors clustered by pair, :func:`markdown` and :func:`figure` show them.
``run.py hnca`` is the command line.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from alife.store import refuse_same_file
from alife.sweep import grid, read_sweep, run_sweep
from alife.sweep import stats as S
from alife.sweep.regression import logit_cluster

#: The rules on the diamond, both modes, PAIRS disjoint pairs each.
RULES = ["linear", "sigmoid-bias", "mlp-H2", "mlp-H4", "mlp-H8", "mlp-H16", "mlp-H32"]
#: Rules also run on the asymmetric target.
ASYMMETRIC_RULES = ["linear", "mlp-H8"]
#: Multi-channel rules (on the diamond).
CHANNEL_RULES = ["mlp-H8-C2", "mlp-H8-C4"]
MODES = ["evolved", "trained"]
PAIRS = 5
QUICK = {"rules": ["linear", "mlp-H2"], "asymmetric_rules": [], "channel_rules": [], "pairs": 1}
METHODS = ("line", "matched_line", "search")


def cells(rules=RULES, asymmetric_rules=ASYMMETRIC_RULES, channel_rules=CHANNEL_RULES,
          pairs: int = PAIRS):
    """The grid: every rule x mode x pair on the diamond, then the asymmetric
    target and the multi-channel rules."""
    from alife.bridge.hnca_sweep import ASYMMETRIC
    out = grid({"rule": list(rules) + list(channel_rules), "mode": MODES, "pair": range(pairs)},
               target="diamond")
    if asymmetric_rules:
        out += grid({"rule": list(asymmetric_rules), "mode": MODES, "pair": range(pairs)},
                    target=ASYMMETRIC)
    return out


def cost(cell) -> float:
    """Rough CPU seconds of a cell (for the schedule only): an evolved cell
    grows with the genes (timed: 15 s to 60 s per 1,000 generations of 100
    climbers from 51 to 1,892 genes), a trained one hardly."""
    from alife.bridge.hnca_sweep import rule_spec
    genes = rule_spec(cell["rule"]).n_genes
    return 2 * 2 * (14 + 0.024 * genes) if cell["mode"] == "evolved" else 40.0


def run(out: Path, *, quick: bool = False, pairs=None, executor=None, work=None,
        force: bool = False, progress=True):
    """Run the sweep into ``out/hnca_sweep.h5`` (cells in ``work``); returns the SweepTable."""
    from alife.bridge.hnca_sweep import HNCA_QUICK_SETTINGS, HNCA_SETTINGS, hnca_pair_cell
    settings = HNCA_QUICK_SETTINGS if quick else HNCA_SETTINGS
    size = QUICK if quick else {"rules": RULES, "asymmetric_rules": ASYMMETRIC_RULES,
                                "channel_rules": CHANNEL_RULES, "pairs": PAIRS}
    pairs = size["pairs"] if pairs is None else pairs
    name = "hnca_sweep_quick.h5" if quick else "hnca_sweep.h5"
    out = Path(out)
    cells_dir = None if work is None else Path(work) / (name + ".cells")
    return run_sweep(hnca_pair_cell, cells(size["rules"], size["asymmetric_rules"],
                                           size["channel_rules"], pairs),
                     out / name, settings=dict(settings), root_seed=0, executor=executor,
                     cells_dir=cells_dir, force=force, progress=progress, cost=cost)


# ----------------------------------------------------------------------- reading
def _interval(x) -> dict:
    m, lo, hi, n = S.t_interval(x)
    return {"mean": m, "lo": lo, "hi": hi, "n": n}


def _kn(flags) -> dict:
    flags = np.asarray(flags, dtype=bool)
    k, n = int(flags.sum()), int(flags.size)
    return {"k": k, "n": n, "ci": list(S.wilson(k, n))}


def _groups(t) -> list[tuple[str, str, str]]:
    return list(dict.fromkeys(zip(list(t["rule"]), list(t["target"]),
                                  list(t["mode"]))))


def _per_rule(sw) -> list[dict]:
    """Per (rule, target, mode): endpoints solved, fraction connected per
    method, robustness of the solved endpoints."""
    t, conn = sw.cells, _table(sw, "connectivity")
    out = []
    for rule, target, mode in _groups(t):
        g = t.where(rule=rule, target=target, mode=mode)
        row = {"rule": rule, "target": target, "mode": mode, "n_params": int(g["n_params"][0]),
               "pairs": len(g), "both_solved": _kn(np.asarray(g["solved_a"], bool)
                                                   & np.asarray(g["solved_b"], bool))}
        c = conn.where(rule=rule, target=target, mode=mode) if len(conn) else conn
        for m in METHODS:
            sel = np.asarray(c["method"]) == m if len(c) else np.zeros(0, bool)
            if sel.any():
                row[m] = _kn(np.asarray(c["connected"], bool)[sel])
                row[f"{m}_kept"] = _interval(np.asarray(c["kept"], float)[sel])
        for col in ("sigma50", "sites50"):
            vals = [v for tag in ("a", "b") if f"{col}_{tag}" in g.names
                    for v in np.asarray(g[f"{col}_{tag}"], float)]
            row[col] = _interval(vals)
        rob = _table(sw, "robustness")
        r = rob.where(rule=rule, target=target, mode=mode) if len(rob) else rob
        one = ((np.array(r["kernel"]) == "resample") & (np.asarray(r["strength"]) == 1.0)
               if len(r) else np.zeros(0, bool))
        k, n = (int(np.asarray(r["kept"])[one].sum()), int(np.asarray(r["n"])[one].sum())) \
            if one.any() else (0, 0)
        row["r_single"] = {"k": k, "n": n, "ci": list(S.wilson(k, n))}
        out.append(row)
    return out


def _table(sw, name: str):
    """A child table, or an empty one when no cell wrote a row of it."""
    from alife.sweep import Table
    return sw.tables.get(name) or Table(name, {})


def _family(rule: str) -> str:
    return "mlp" if rule.startswith("mlp") else rule


def regression(conn) -> dict:
    """connected ~ log10 params + method + rule family + mode (+ target),
    logistic, errors clustered by the pair's seed."""
    rule = np.asarray(conn["rule"]).astype(str)
    method = np.asarray(conn["method"]).astype(str)
    mode = np.asarray(conn["mode"]).astype(str)
    target = np.asarray(conn["target"]).astype(str)
    fam = np.array([_family(r) for r in rule])
    cols = {"intercept": np.ones(len(rule)),
            "log10_params": np.log10(np.asarray(conn["n_params"], float))}
    for m in METHODS[1:]:
        cols[f"method={m}"] = (method == m).astype(float)
    for f in ("sigmoid-bias", "mlp"):
        cols[f"rule={f}"] = (fam == f).astype(float)
    cols["mode=trained"] = (mode == "trained").astype(float)
    cols["target=ell"] = (target == "ell").astype(float)
    keep = [k for k, v in cols.items() if k == "intercept" or np.ptp(v) > 0]
    X = np.column_stack([cols[k] for k in keep])
    y = np.asarray(conn["connected"], bool).astype(float)
    if len(np.unique(np.asarray(conn["seed"]))) < 2 or len(np.unique(y)) < 2:
        return {"names": keep, "fitted": False,
                "why": "fewer than two pairs, or every path connected (or none)"}
    res = logit_cluster(y, X, np.asarray(conn["seed"]), keep)
    if res["separated"] or not res["converged"]:
        # e.g. a method that never connects: Firth's fit stays finite
        res = logit_cluster(y, X, np.asarray(conn["seed"]), keep, firth=True)
    res["fitted"] = True
    return res


def analyse(path) -> dict:
    """The reading of a sweep file: per-rule intervals and the regression (JSON-able)."""
    sw = read_sweep(path)
    conn = _table(sw, "connectivity")
    res = {"rules": _per_rule(sw), "settings": sw.settings, "n_cells": len(sw.cells),
           "regression": regression(conn) if len(conn) else {"fitted": False,
                                                             "why": "no connectivity rows"},
           "timing": {k: v for k, v in sw.timing.items() if k != "cells"}}
    res["criteria"] = criteria(res, conn)
    res["robustness"] = robustness_criteria(sw)
    return res


def _pooled(res, method, mode, test) -> dict:
    """k/n of connected pairs pooled over the diamond rules selected by ``test(n_params)``."""
    k = n = 0
    for r in res["rules"]:
        if r["target"] == "diamond" and r["mode"] == mode and method in r and test(r):
            k, n = k + r[method]["k"], n + r[method]["n"]
    return {"k": k, "n": n, "ci": list(S.wilson(k, n))}


def matching_gain(conn) -> dict:
    """C3: per pair of an MLP rule, the fraction of the matched line kept minus
    that of the plain line; their mean over pairs (t interval, sign-flip p)
    and Spearman's rho of the gain against log10 genes (levels resampled)."""
    if not len(conn):
        return {"n": 0}
    method = np.asarray(conn["method"]).astype(str)
    seed = np.asarray(conn["seed"])
    kept = np.asarray(conn["kept"], float)
    genes = np.asarray(conn["n_params"], float)
    line = {s: k for s, k, m in zip(seed, kept, method) if m == "line"}
    pairs = [(line[s], k, g) for s, k, g, m in zip(seed, kept, genes, method)
             if m == "matched_line" and s in line]
    if not pairs:
        return {"n": 0}
    lk, mk, g = (np.array(v, float) for v in zip(*pairs))
    return {"gain": S.paired_difference(mk, lk),
            "trend": S.spearman_trend(np.log10(g), mk - lk)}


def _sigma50_ranked(sw) -> dict:
    """σ50 of every solved diamond endpoint as a rankable number, per
    (rule, mode): censored values (r below 1/2 already at the smallest σ, or
    above it at the largest) sit below or above every measured one."""
    t = sw.cells
    lo_s, hi_s = min(sw.settings["noise_sigmas"]), max(sw.settings["noise_sigmas"])
    out: dict = {}
    for tag in ("a", "b"):
        for rule, target, mode, solved, v, st in zip(
                t["rule"], t["target"], t["mode"], t[f"solved_{tag}"], t[f"sigma50_{tag}"],
                t[f"sigma50_{tag}_status"]):
            if target != "diamond" or not bool(solved):
                continue
            v = {"below_range": lo_s / 2, "above_range": hi_s * 2}.get(str(st), float(v))
            if math.isfinite(v):
                out.setdefault((str(rule), str(mode)), []).append(v)
    return out


def _superiority(groups: dict, rules) -> float:
    """P(σ50 evolved > σ50 trained) for endpoints of the same rule (ties ½),
    averaged over ``rules`` weighted by the comparisons each gives."""
    num = den = 0.0
    for r in rules:
        x, y = np.asarray(groups[(r, "evolved")]), np.asarray(groups[(r, "trained")])
        num += float((x[:, None] > y[None]).sum() + 0.5 * (x[:, None] == y[None]).sum())
        den += x.size * y.size
    return num / den if den else float("nan")


def robustness_criteria(sw, reps: int = 2000, seed: int = 0) -> dict:
    """The robustness expectations: Spearman's rho of σ50 against log10 genes
    per mode (censored σ50 ranked at the ends), and the probability that an
    evolved endpoint's σ50 exceeds a trained one's of the same rule, with a
    percentile bootstrap over endpoints within each rule and mode."""
    from alife.bridge.hnca_sweep import rule_spec
    groups = _sigma50_ranked(sw)
    out = {}
    for mode in MODES:
        xs, ys = [], []
        for (rule, m), v in groups.items():
            if m == mode:
                xs += [math.log10(rule_spec(rule).n_genes)] * len(v)
                ys += v
        out[f"sigma50_trend_{mode}"] = S.spearman_trend(xs, ys, reps=reps, seed=seed)
    both = sorted({r for r, m in groups if (r, "evolved") in groups and (r, "trained") in groups})
    rng = np.random.default_rng(seed)
    boot = [_superiority({k: rng.choice(v, len(v)) for k, v in groups.items()}, both)
            for _ in range(reps if both else 0)]
    boot = [b for b in boot if math.isfinite(b)]
    out["evolved_above_trained"] = {
        "p_superiority": _superiority(groups, both), "rules": both,
        "lo": float(np.quantile(boot, 0.025)) if boot else float("nan"),
        "hi": float(np.quantile(boot, 0.975)) if boot else float("nan")}
    return out


def _coef(reg, name) -> dict | None:
    if not reg.get("fitted") or name not in reg["names"]:
        return None
    i = reg["names"].index(name)
    return {"coef": reg["coef"][i], "lo": reg["lo"][i], "hi": reg["hi"][i], "p": reg["p"][i]}


def criteria(res, conn=None) -> dict:
    """The success criteria stated in RESULTS.md before the run, evaluated:
    C1 and C2 from the regression's clustered intervals, C3 from
    :func:`matching_gain`, C4 from the mode coefficient and the pooled k/n
    per mode (search, diamond)."""
    reg = res["regression"]
    out = {}
    c1, c2, c4 = (_coef(reg, n) for n in ("log10_params", "method=search", "mode=trained"))
    out["C1"] = {"term": c1, "held": None if c1 is None else bool(c1["lo"] > 0)}
    out["C2"] = {"term": c2, "held": None if c2 is None else bool(c2["lo"] > 0)}
    gain = matching_gain(conn) if conn is not None else {"n": 0}
    out["C3"] = {**gain, "held": (bool(gain["gain"]["lo"] > 0) if gain.get("gain")
                                  and gain["gain"]["n"] >= 2 else None)}
    out["C4"] = {"term": c4, "differ": None if c4 is None else bool(c4["lo"] > 0 or c4["hi"] < 0)}
    for mode in MODES:
        out["C4"][f"search_{mode}"] = _pooled(res, "search", mode, lambda r: True)
    return out


# ---------------------------------------------------------------------- markdown
def _ci(d, digits=3) -> str:
    if not d or d["n"] == 0 or not math.isfinite(d["mean"]):
        return "—"
    if not math.isfinite(d["lo"]):
        return f"{d['mean']:.{digits}g} (n = {d['n']})"
    return f"{d['mean']:.{digits}g} [{d['lo']:.{digits}g}, {d['hi']:.{digits}g}] (n = {d['n']})"


def _knf(d) -> str:
    if not d:
        return "—"
    if d["n"] == 0:
        return "0/0"
    return f"{d['k']}/{d['n']} [{d['ci'][0]:.2f}, {d['ci'][1]:.2f}]"


def markdown(res) -> str:
    """The per-rule table and the regression as Markdown."""
    L = ["k/n with 95 % Wilson intervals (pairs whose endpoints both solve the target; "
         "for r, mutants pooled over the solved endpoints); means with 95 % t intervals "
         "over endpoints.", "",
         "| rule | target | mode | genes | pairs solved | line connected | points kept on the line | matched line connected | search connected | σ50 (noise / level RMS) | genes resampled for r = 1/2 | r, one gene resampled (mutants kept / drawn) |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["rules"]:
        L.append(f"| {r['rule']} | {r['target']} | {r['mode']} | {r['n_params']} | "
                 f"{_knf(r['both_solved'])} | {_knf(r.get('line'))} | "
                 f"{_ci(r.get('line_kept'), 2)} | {_knf(r.get('matched_line'))} | "
                 f"{_knf(r.get('search'))} | {_ci(r['sigma50'])} | {_ci(r['sites50'])} | "
                 f"{_knf(r['r_single']) if r['r_single']['n'] else '—'} |")
    reg = res["regression"]
    L += ["", "**Logistic regression: connected ~ log10 genes + method + rule family + mode "
          "(+ target), standard errors clustered by pair**", ""]
    if not reg.get("fitted"):
        L.append(f"Not fitted: {reg.get('why')}.")
    else:
        L += ["| term | coefficient | clustered SE | 95 % interval | p | model SE |",
              "|---|---|---|---|---|---|"]
        for i, n in enumerate(reg["names"]):
            L.append(f"| {n} | {reg['coef'][i]:.3g} | {reg['se'][i]:.3g} | "
                     f"[{reg['lo'][i]:.3g}, {reg['hi'][i]:.3g}] | {reg['p'][i]:.2g} | "
                     f"{reg['se_model'][i]:.3g} |")
        L.append("")
        how = ("Firth's penalised likelihood (the maximum-likelihood fit did not exist: "
               "some outcome pattern is separated)" if reg["firth"] else "maximum likelihood")
        L.append(f"{reg['n']} paths on {reg['clusters']} pairs; fitted by {how}; "
                 f"converged: {reg['converged']}.")
    return "\n".join(L + ["", *_criteria_lines(res)]) + "\n"


def _held(v) -> str:
    return {True: "held", False: "did not hold", None: "not testable"}[v]


def _term(t) -> str:
    return "—" if t is None else f"{t['coef']:.3g} [{t['lo']:.3g}, {t['hi']:.3g}]"


def _criteria_lines(res) -> list[str]:
    """The criteria stated before the run, each with its number and verdict."""
    c, rob = res["criteria"], res.get("robustness", {})
    L = ["**Criteria stated before the run**", "",
         f"* C1 (connectivity rises with log10 genes): coefficient {_term(c['C1']['term'])}: "
         f"{_held(c['C1']['held'])}.",
         f"* C2 (the search connects more pairs than the line): coefficient "
         f"{_term(c['C2']['term'])}: {_held(c['C2']['held'])}."]
    g = c["C3"].get("gain")
    if g and g["n"]:
        tr = c["C3"]["trend"]
        L.append(f"* C3 (matching raises the fraction of the line kept, more for wide rules): "
                 f"gain {g['mean']:.3g} [{g['lo']:.3g}, {g['hi']:.3g}] over {g['n']} MLP pairs "
                 f"(sign-flip p = {g['p']:.2g}); Spearman's rho of the gain against log10 genes "
                 f"{tr['rho']:.2f} [{tr['lo']:.2f}, {tr['hi']:.2f}]: {_held(c['C3']['held'])}.")
    else:
        L.append("* C3: no MLP pair had both endpoints solved: not testable.")
    pooled = "; ".join(f"search connected {m}: {_knf(c['C4'][f'search_{m}'])}" for m in MODES)
    verdict = {True: "they differ", False: "no difference shown",
               None: "not testable"}[c["C4"]["differ"]]
    L.append(f"* C4 (trained and evolved differ at equal size): mode coefficient "
             f"{_term(c['C4']['term'])}, {verdict}; {pooled}.")
    for mode in MODES:
        t = rob.get(f"sigma50_trend_{mode}")
        if t and t["n"] >= 3:
            L.append(f"* σ50 against log10 genes, {mode}: Spearman's rho {t['rho']:.2f} "
                     f"[{t['lo']:.2f}, {t['hi']:.2f}] over {t['n']} endpoints (p = {t['p']:.2g}).")
    e = rob.get("evolved_above_trained")
    if e and e["rules"]:
        L.append(f"* P(σ50 of an evolved endpoint > a trained one of the same rule): "
                 f"{e['p_superiority']:.2f} [{e['lo']:.2f}, {e['hi']:.2f}] over the rules "
                 f"{', '.join(e['rules'])}.")
    return L


# ------------------------------------------------------------------------ figure
def figure(res, out_png) -> Path:
    """Fraction of pairs connected against log10 genes, per method and mode
    (diamond), with Wilson intervals; and σ50 against log10 genes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(12, 4.6))
    colors = {"line": "C3", "matched_line": "C0", "search": "C2"}
    offs = {"evolved": -0.012, "trained": 0.012}
    for method in METHODS:
        for mode in MODES:
            rows = [r for r in res["rules"] if r["target"] == "diamond" and r["mode"] == mode
                    and method in r and r[method]["n"] > 0]
            if not rows:
                continue
            x = np.log10([r["n_params"] for r in rows]) + offs[mode]
            k = np.array([r[method]["k"] / r[method]["n"] for r in rows])
            lo = np.array([r[method]["ci"][0] for r in rows])
            hi = np.array([r[method]["ci"][1] for r in rows])
            ax[0].errorbar(x, k, yerr=[k - lo, hi - k], color=colors[method], capsize=3,
                           marker="o" if mode == "evolved" else "s",
                           mfc=colors[method] if mode == "evolved" else "white",
                           ls="-" if mode == "evolved" else "--", label=f"{method}, {mode}")
    ax[0].set_xlabel("log10 genes (free parameters)")
    ax[0].set_ylabel("fraction of pairs connected (exact phenotype)")
    ax[0].set_ylim(-0.05, 1.05)
    ax[0].legend(fontsize=7)
    for mode in MODES:
        rows = [r for r in res["rules"] if r["target"] == "diamond" and r["mode"] == mode
                and r["sigma50"]["n"] > 0]
        if rows:
            x = np.log10([r["n_params"] for r in rows]) + offs[mode]
            m = np.array([r["sigma50"]["mean"] for r in rows])
            lo = np.array([r["sigma50"]["lo"] for r in rows])
            hi = np.array([r["sigma50"]["hi"] for r in rows])
            lo, hi = np.where(np.isfinite(lo), lo, m), np.where(np.isfinite(hi), hi, m)
            ax[1].errorbar(x, m, yerr=[m - lo, hi - m], marker="o", capsize=3, label=mode)
    ax[1].set_xlabel("log10 genes (free parameters)")
    ax[1].set_ylabel("σ50: noise (× each level's RMS) keeping half the mutants")
    ax[1].set_yscale("log", nonpositive="clip")
    ax[1].legend(fontsize=8)
    for a in ax:
        a.grid(alpha=0.3)
    fig.suptitle("HNCA rules on the diamond (base 8, 10 steps), evolved and trained: "
                 "5 disjoint pairs per rule and mode")
    fig.tight_layout()
    from mlp import _write_png
    return _write_png(fig, out_png)


def write_outputs(path, out_dir, stem: str) -> dict:
    """CSV of every table, the analysis JSON, the Markdown tables and the figure."""
    from mlp import _write_text
    out_dir = Path(out_dir)
    sw = read_sweep(path)
    outputs = [out_dir / f"{stem}.{t}.csv" for t in sw.tables] + [
        out_dir / f"{stem}{tail}" for tail in ("_summary.json", "_tables.md", ".png")]
    for p in outputs:
        refuse_same_file(p, [path], what="output")
    sw.to_csv(out_dir, stem)
    res = analyse(path)
    _write_text(out_dir / f"{stem}_summary.json", json.dumps(res, indent=1, default=float) + "\n")
    _write_text(out_dir / f"{stem}_tables.md", markdown(res))
    figure(res, out_dir / f"{stem}.png")
    return res
