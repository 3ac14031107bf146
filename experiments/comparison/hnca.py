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

import math
from pathlib import Path

import numpy as np

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
#: Fewest connected (and unconnected) paths per term of the regression for
#: its coefficients to be read (the usual rule of thumb for logistic models).
EVENTS_PER_TERM = 10


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
                                                   & np.asarray(g["solved_b"], bool)),
               "endpoints_solved": _kn(np.concatenate([np.asarray(g["solved_a"], bool),
                                                       np.asarray(g["solved_b"], bool)]))}
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
    events = int(min(y.sum(), y.size - y.sum()))
    res = logit_cluster(y, X, np.asarray(conn["seed"]), keep)
    if res["separated"] or not res["converged"]:
        # e.g. a method that never connects: Firth's fit stays finite
        res = logit_cluster(y, X, np.asarray(conn["seed"]), keep, firth=True)
    res["fitted"] = True
    res["events"] = events
    res["interpretable"] = events >= EVENTS_PER_TERM * (len(keep) - 1)
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


def _pairs(conn) -> dict:
    """The connectivity rows by pair: seed -> {"genes", "rule", "mode",
    method: (connected, kept), ...}."""
    out: dict = {}
    if not len(conn):
        return out
    for seed, rule, mode, genes, m, c, k in zip(
            conn["seed"], conn["rule"], conn["mode"], conn["n_params"], conn["method"],
            conn["connected"], conn["kept"]):
        row = out.setdefault(int(seed), {"genes": float(genes), "rule": str(rule),
                                         "mode": str(mode)})
        row[str(m)] = (bool(c), float(k))
    return out


def matching_gain(conn) -> dict:
    """C3: per pair of an MLP rule, the fraction of the matched line kept minus
    that of the plain line; their mean over pairs (t interval, sign-flip p)
    and Spearman's rho of the gain against log10 genes (levels resampled)."""
    rows = [r for r in _pairs(conn).values() if "matched_line" in r and "line" in r]
    if not rows:
        return {"n": 0}
    mk = np.array([r["matched_line"][1] for r in rows])
    lk = np.array([r["line"][1] for r in rows])
    g = np.array([r["genes"] for r in rows])
    return {"gain": S.paired_difference(mk, lk),
            "trend": S.spearman_trend(np.log10(g), mk - lk)}


def pair_tests(conn) -> dict:
    """The tests on pairs that stand in for the regression when it has too few
    connected paths: C2 as the paired difference search - line in connected
    (0/1) over the solved pairs (t interval, sign-flip p); C1 as Spearman's
    rho of the fraction of the line kept against log10 genes; C4 as the
    rules with solved pairs under both modes (none: not testable)."""
    rows = list(_pairs(conn).values())
    both = [r for r in rows if "line" in r and "search" in r]
    out = {"search_minus_line": S.paired_difference(
        [float(r["search"][0]) for r in both], [float(r["line"][0]) for r in both]),
        "line_kept_trend": S.spearman_trend([math.log10(r["genes"]) for r in both],
                                            [r["line"][1] for r in both])}
    modes: dict = {}
    for r in rows:
        modes.setdefault(r["rule"], set()).add(r["mode"])
    out["rules_in_both_modes"] = sorted(k for k, v in modes.items() if len(v) == 2)
    return out


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


#: Fewest solved endpoints per mode for a rule to enter the evolved-trained
#: robustness contrast.
MIN_ENDPOINTS = 3


def robustness_criteria(sw, reps: int = 2000, seed: int = 0) -> dict:
    """The robustness expectations: Spearman's rho of σ50 against log10 genes
    per mode (censored σ50 ranked at the ends), and the probability that an
    evolved endpoint's σ50 exceeds a trained one's of the same rule (rules
    with :data:`MIN_ENDPOINTS` solved endpoints in both modes), with a
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
    both = sorted({r for r, m in groups if min(len(groups.get((r, mm), [])) for mm in MODES)
                   >= MIN_ENDPOINTS})
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
    """The success criteria stated in RESULTS.md before the run, evaluated.

    C1 and C2 from the regression's clustered intervals when it has at least
    :data:`EVENTS_PER_TERM` connected (and unconnected) paths per term; with
    fewer, from :func:`pair_tests` (the regression is still reported, marked
    not interpretable).  C3 from :func:`matching_gain`; C4 from the mode
    coefficient, testable only when some rule has solved pairs under both
    modes; the pooled k/n of the search per mode beside it."""
    reg = res["regression"]
    ok = bool(reg.get("fitted") and reg.get("interpretable"))
    pt = pair_tests(conn) if conn is not None else None
    out = {"regression_used": ok, "pair_tests": pt}
    c1, c2, c4 = (_coef(reg, n) if ok else None
                  for n in ("log10_params", "method=search", "mode=trained"))
    if ok:
        out["C1"] = {"term": c1, "held": bool(c1["lo"] > 0) if c1 else None}
        out["C2"] = {"term": c2, "held": bool(c2["lo"] > 0) if c2 else None}
    elif pt is not None:
        t, d = pt["line_kept_trend"], pt["search_minus_line"]
        out["C1"] = {"term": None, "held": bool(t["lo"] > 0) if t["n"] >= 3 else None}
        out["C2"] = {"term": None, "held": bool(d["lo"] > 0) if d["n"] >= 2 else None}
    else:
        out["C1"] = out["C2"] = {"term": None, "held": None}
    gain = matching_gain(conn) if conn is not None else {"n": 0}
    out["C3"] = {**gain, "held": (bool(gain["gain"]["lo"] > 0) if gain.get("gain")
                                  and gain["gain"]["n"] >= 2 else None)}
    testable = bool(pt and pt["rules_in_both_modes"])
    out["C4"] = {"term": c4, "differ": (None if c4 is None or not testable
                                        else bool(c4["lo"] > 0 or c4["hi"] < 0))}
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
         "| rule | target | mode | genes | endpoints solved | pairs solved | line connected | points kept on the line | matched line connected | search connected | σ50 (noise / level RMS) | genes resampled for r = 1/2 | r, one gene resampled (mutants kept / drawn) |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["rules"]:
        L.append(f"| {r['rule']} | {r['target']} | {r['mode']} | {r['n_params']} | "
                 f"{_knf(r['endpoints_solved'])} | {_knf(r['both_solved'])} | {_knf(r.get('line'))} | "
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
        if not reg.get("interpretable", True):
            L.append(f"Not to be read: {reg['events']} of {reg['n']} paths are on the rarer "
                     f"side, fewer than {EVENTS_PER_TERM} per term ({len(reg['names']) - 1} "
                     f"terms); with so few events the coefficients and their clustered "
                     f"errors are unstable.")
    return "\n".join(L + ["", *_criteria_lines(res)]) + "\n"


def _held(v) -> str:
    return {True: "held", False: "did not hold (the interval is not above 0)",
            None: "not testable"}[v]


def _term(t) -> str:
    return "—" if t is None else f"{t['coef']:.3g} [{t['lo']:.3g}, {t['hi']:.3g}]"


def _criteria_lines(res) -> list[str]:
    """The criteria stated before the run, each with its number and verdict."""
    c, rob = res["criteria"], res.get("robustness", {})
    L = ["**Criteria stated before the run**", ""]
    pt = c.get("pair_tests")
    if c.get("regression_used") or not pt:
        L += [f"* C1 (connectivity rises with log10 genes): coefficient "
              f"{_term(c['C1']['term'])}: {_held(c['C1']['held'])}.",
              f"* C2 (the search connects more pairs than the line): coefficient "
              f"{_term(c['C2']['term'])}: {_held(c['C2']['held'])}."]
    else:
        t, d = pt["line_kept_trend"], pt["search_minus_line"]
        L += ["The regression has too few connected paths to be read, so C1 and C2 are "
              "tested on the pairs themselves:",
              f"* C1 (connectivity rises with log10 genes): Spearman's rho of the fraction "
              f"of the line kept against log10 genes {t['rho']:.2f} [{t['lo']:.2f}, "
              f"{t['hi']:.2f}] over {t['n']} pairs (p = {t['p']:.2g}): {_held(c['C1']['held'])}.",
              f"* C2 (the search connects more pairs than the line): connected by the search "
              f"minus by the line, {d['mean']:.3g} [{d['lo']:.3g}, {d['hi']:.3g}] over "
              f"{d['n']} pairs (sign-flip p = {d['p']:.2g}): {_held(c['C2']['held'])}."]
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
    both = pt["rules_in_both_modes"] if pt else []
    why = ("" if both else " (no rule has solved pairs under both modes, so the mode "
           "cannot be separated from the rule)")
    L.append(f"* C4 (trained and evolved differ at equal size): mode coefficient "
             f"{_term(c['C4']['term'])}, {verdict}{why}; {pooled}.")
    for mode in MODES:
        t = rob.get(f"sigma50_trend_{mode}")
        if t and t["n"] >= 3:
            L.append(f"* σ50 against log10 genes, {mode}: Spearman's rho {t['rho']:.2f} "
                     f"[{t['lo']:.2f}, {t['hi']:.2f}] over {t['n']} endpoints (p = {t['p']:.2g}).")
    e = rob.get("evolved_above_trained")
    if e and not e["rules"]:
        L.append(f"* σ50, evolved against trained at equal rule: no rule has {MIN_ENDPOINTS} "
                 "solved endpoints in both modes: not testable.")
    if e and e["rules"]:
        L.append(f"* P(σ50 of an evolved endpoint > a trained one of the same rule): "
                 f"{e['p_superiority']:.2f} [{e['lo']:.2f}, {e['hi']:.2f}] over the rules "
                 f"{', '.join(e['rules'])}.")
    return L


# ------------------------------------------------------------------------ figure
def offs_of(mode: str) -> float:
    """Horizontal offset of a mode's points, so that the two modes do not hide each other."""
    return {"evolved": -0.012, "trained": 0.012}[mode]


def figure(res, out_png) -> Path:
    """Fraction of pairs connected against log10 genes, per method and mode
    (diamond), with Wilson intervals; and σ50 against log10 genes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(16, 4.8))
    for mode in MODES:
        rows = sorted((r for r in res["rules"] if r["target"] == "diamond"
                       and r["mode"] == mode), key=lambda r: r["n_params"])
        if rows:
            x = np.log10([r["n_params"] for r in rows]) + offs_of(mode)
            e = [r["endpoints_solved"] for r in rows]
            k = np.array([d["k"] / d["n"] for d in e])
            lo, hi = np.array([d["ci"][0] for d in e]), np.array([d["ci"][1] for d in e])
            ax[0].errorbar(x, k, yerr=[k - lo, hi - k], marker="o" if mode == "evolved" else "s",
                           capsize=3, ls="none", label=mode)
    ax[0].set_xlabel("log10 genes (free parameters)")
    ax[0].set_ylabel("fraction of endpoints reaching the diamond")
    ax[0].set_ylim(-0.05, 1.05)
    ax[0].legend(fontsize=8)
    ax = ax[1:]
    colors = {"line": "C3", "matched_line": "C0", "search": "C2"}
    for method in METHODS:
        for mode in MODES:
            rows = sorted((r for r in res["rules"] if r["target"] == "diamond"
                           and r["mode"] == mode and method in r and r[method]["n"] > 0),
                          key=lambda r: r["n_params"])
            if not rows:
                continue
            x = np.log10([r["n_params"] for r in rows]) + offs_of(mode)
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
        rows = sorted((r for r in res["rules"] if r["target"] == "diamond"
                       and r["mode"] == mode and r["sigma50"]["n"] > 0),
                      key=lambda r: r["n_params"])
        if rows:
            x = np.log10([r["n_params"] for r in rows]) + offs_of(mode)
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
    from mlp import write_reading
    return write_reading(path, out_dir, stem, analyse, markdown, figure)[1]
