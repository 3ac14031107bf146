"""The MLP width sweep on digits: its grid, its run, its reading and its figure.

One cell = one disjoint pair of nets (:func:`alife.bridge.width_sweep.mlp_pair_cell`);
:func:`cells` lays out the grid, :func:`run` runs it through
:func:`alife.sweep.run_sweep`, :func:`analyse` turns the table into per-width
means with intervals and trend tests, :func:`markdown` and :func:`figure`
show them.  ``run.py mlp`` is the command line.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from alife.store import atomic_write, refuse_same_file
from alife.store.atomic import open_exclusive
from alife.sweep import grid, read_sweep, run_sweep
from alife.sweep import stats as S

#: One hidden layer of these widths, 5 disjoint pairs each, plus one
#: two-hidden-layer depth at DEPTH2_WIDTH.
WIDTHS = [4, 8, 16, 32, 64, 128, 256, 512]
DEPTH2_WIDTH = 64
PAIRS = 5
QUICK = {"widths": [4, 16], "depth2_width": 8, "pairs": 2}
PATHS = ("line", "matched", "bezier")
MATCHED_FRACTIONS = {"1/51": 1 / 51, "1/12": 1 / 12}


def cells(widths=WIDTHS, depth2_width: int | None = DEPTH2_WIDTH, pairs: int = PAIRS):
    """The grid: ``depth=1`` at every width, ``depth=2`` at ``depth2_width``."""
    out = grid({"width": list(widths), "pair": range(pairs)}, depth=1)
    if depth2_width:
        out += grid({"width": [depth2_width], "pair": range(pairs)}, depth=2)
    return out


def cost(cell) -> float:
    """Rough run time of a cell (for the schedule only): grows with the parameters."""
    w, d = cell["width"], cell["depth"]
    return 64 * w + (d - 1) * w * w + 10 * w + 3000


def run(out: Path, *, quick: bool = False, widths=None, pairs=None, depth2_width="default",
        executor=None, work=None, force: bool = False, progress=True):
    """Run the sweep into ``out/mlp_sweep.h5`` (cells in ``work``); returns the SweepTable."""
    from alife.bridge.width_sweep import QUICK_SETTINGS, SETTINGS
    settings = QUICK_SETTINGS if quick else SETTINGS
    size = QUICK if quick else {"widths": WIDTHS, "depth2_width": DEPTH2_WIDTH, "pairs": PAIRS}
    widths = size["widths"] if widths is None else widths
    pairs = size["pairs"] if pairs is None else pairs
    d2 = size["depth2_width"] if depth2_width == "default" else depth2_width
    name = "mlp_sweep_quick.h5" if quick else "mlp_sweep.h5"
    out = Path(out)
    cells_dir = None if work is None else Path(work) / (name + ".cells")
    return run_sweep(_cell_function(), cells(widths, d2, pairs), out / name,
                     settings=dict(settings), root_seed=0, executor=executor,
                     cells_dir=cells_dir, force=force, progress=progress, cost=cost)


def _cell_function():
    from alife.bridge.width_sweep import mlp_pair_cell
    return mlp_pair_cell


# ----------------------------------------------------------------------- reading
def _interval(x) -> dict:
    m, lo, hi, n = S.t_interval(x)
    return {"mean": m, "lo": lo, "hi": hi, "n": n}


def _group_keys(t) -> list[tuple[int, int]]:
    return list(dict.fromkeys(zip(t["depth"].tolist(), t["width"].tolist())))


def _per_width(t, rob) -> list[dict]:
    """Means with intervals per (depth, width): barriers, neutrality, CKA, robustness."""
    out = []
    for depth, width in _group_keys(t):
        g = t.where(depth=depth, width=width)
        row = {"depth": depth, "width": width, "n_params": int(g["n_params"][0]),
               "pairs": len(g)}
        for p in PATHS:
            for m in ("train_loss_barrier", "train_loss_barrier_ez", "test_error_barrier",
                      "test_error_barrier_ez", "train_error_barrier"):
                row[f"{p}_{m}"] = _interval(g[f"{p}_{m}"])
            row[f"{p}_kept"] = _interval(g[f"{p}_kept"])
            row[f"{p}_fit_kept"] = _interval(g[f"{p}_fit_kept"])
            conn = int(np.sum(np.asarray(g[f"{p}_kept"]) == 1.0))
            row[f"{p}_connected"] = {"k": conn, "n": len(g), "ci": S.wilson(conn, len(g))}
        removed = 1 - np.asarray(g["matched_train_loss_barrier"]) / np.asarray(
            g["line_train_loss_barrier"])
        row["removed_by_matching"] = _interval(removed)
        row["distance"] = _interval(g["distance"])
        row["distance_matched"] = _interval(g["distance_matched"])
        row["distance_ratio"] = _interval(np.asarray(g["distance_matched"]) /
                                          np.asarray(g["distance"]))
        same = int(np.sum(g["same_phenotype"]))
        row["same_phenotype"] = {"k": same, "n": len(g), "ci": S.wilson(same, len(g))}
        row["test_error"] = _interval(np.concatenate([g["test_error_a"], g["test_error_b"]]))
        row["train_error"] = _interval(np.concatenate([g["train_error_a"], g["train_error_b"]]))
        row["test_disagreement"] = _interval(g["test_disagreement"])
        for layer in (1, 2):
            if np.all(np.isnan(np.asarray(g[f"cka_h{layer}"], dtype=float))):
                continue
            row[f"cka_h{layer}"] = _interval(g[f"cka_h{layer}"])
            row[f"cka_init_h{layer}"] = _interval(g[f"cka_init_h{layer}"])
            row[f"cka_gap_h{layer}"] = S.paired_difference(g[f"cka_h{layer}"],
                                                           g[f"cka_init_h{layer}"])
        for col in ("sigma50", "f50", "r_single"):
            vals = np.concatenate([g[f"{col}_a"], g[f"{col}_b"]])
            row[col] = _interval(vals)
            if col != "r_single":
                st = list(g[f"{col}_a_status"]) + list(g[f"{col}_b_status"])
                row[f"{col}_status"] = {s: st.count(s) for s in sorted(set(st))}
        r = rob.where(depth=depth, width=width)
        for label, f in MATCHED_FRACTIONS.items():
            sel = (np.asarray(r["strength"]) == f) & (np.array(r["kernel"]) == "resample")
            row[f"r_at_{label}"] = _interval(np.asarray(r["r"])[sel])
        out.append(row)
    return out


def _trends(t, rob) -> dict:
    """Spearman trends against log2 width over the one-hidden-layer cells."""
    d1 = t.where(depth=1)
    lw = np.log2(np.asarray(d1["width"], dtype=float))
    y = {f"{p}_train_loss_barrier": d1[f"{p}_train_loss_barrier"] for p in PATHS}
    y.update({f"{p}_test_error_barrier": d1[f"{p}_test_error_barrier"] for p in PATHS})
    y["matched_train_loss_barrier_ez"] = d1["matched_train_loss_barrier_ez"]
    y["removed_by_matching"] = 1 - np.asarray(d1["matched_train_loss_barrier"]) / np.asarray(
        d1["line_train_loss_barrier"])
    y["line_kept"] = d1["line_kept"]
    y["cka_h1"] = d1["cka_h1"]
    y["cka_init_h1"] = d1["cka_init_h1"]
    y["cka_gap_h1"] = np.asarray(d1["cka_h1"]) - np.asarray(d1["cka_init_h1"])
    out = {k: S.spearman_trend(lw, np.asarray(v, dtype=float)) for k, v in y.items()}
    # robustness: one value per net (10 per width)
    lw2 = np.concatenate([lw, lw])
    for col in ("sigma50", "f50"):
        vals = np.concatenate([d1[f"{col}_a"], d1[f"{col}_b"]])
        out[col] = S.spearman_trend(lw2, vals)
    return out


def analyse(path) -> dict:
    """The reading of a sweep file: per-width intervals and trend tests (JSON-able)."""
    sw = read_sweep(path)
    t, rob = sw.cells, sw["robustness"]
    res = {"widths": _per_width(t, rob), "trends": _trends(t, rob),
           "settings": sw.settings, "n_cells": len(t),
           "timing": {k: v for k, v in sw.timing.items() if k != "cells"}}
    res["criteria"] = criteria(res)
    return res


def criteria(res) -> dict:
    """The success criteria stated in RESULTS.md before the run, evaluated."""
    d1 = [w for w in res["widths"] if w["depth"] == 1]
    tr = res["trends"]

    def falls(k):
        return bool(tr[k]["hi"] < 0 and tr[k]["p"] < 0.05)

    out = {
        "P1_matched_barrier_shrinks_with_width": falls("matched_train_loss_barrier"),
        "S1_line_barrier_shrinks_with_width": falls("line_train_loss_barrier"),
        "S2_matched_barrier_le_0.05_at_width_ge_128": {
            w["width"]: bool(w["matched_train_loss_barrier"]["hi"] <= 0.05)
            for w in d1 if w["width"] >= 128},
        "S3_matching_removes_over_half_at_width_ge_32": {
            w["width"]: bool(w["removed_by_matching"]["lo"] > 0.5) for w in d1 if w["width"] >= 32},
        "S4_bezier_barrier_le_0.06_at_width_ge_16": {
            w["width"]: bool(w["bezier_train_loss_barrier"]["hi"] <= 0.06)
            for w in d1 if w["width"] >= 16},
        "S5_cka_above_init_null_every_width": {
            w["width"]: bool(w["cka_gap_h1"]["lo"] > 0) for w in d1},
        "S5_cka_gap_shrinks_with_width": falls("cka_gap_h1"),
        "S6_same_phenotype_5_of_5_at_width_ge_16": {
            w["width"]: w["same_phenotype"]["k"] == w["same_phenotype"]["n"]
            for w in d1 if w["width"] >= 16},
        "S6_matched_line_keeps_phenotype_4_of_5_at_width_ge_128": {
            w["width"]: w["matched_connected"]["k"] >= 4 for w in d1 if w["width"] >= 128},
    }
    return out


# ---------------------------------------------------------------------- markdown
def _ci(d, scale=1.0, digits=3, full=None) -> str:
    """``mean [lo, hi]``; ``(n = k)`` when fewer than ``full`` values entered."""
    if not d or d["n"] == 0 or not math.isfinite(d["mean"]):
        return "—"
    m = d["mean"] * scale
    if not math.isfinite(d["lo"]):
        text = f"{m:.{digits}g}"
    else:
        text = f"{m:.{digits}g} [{d['lo'] * scale:.{digits}g}, {d['hi'] * scale:.{digits}g}]"
    if full is not None and d["n"] < full:
        text += f" (n = {d['n']})"
    return text


def _s50(w, col, grid_lo) -> str:
    """s50 with the count of nets whose curve starts below one half (s50 < the grid)."""
    below = w.get(f"{col}_status", {}).get("below_range", 0)
    nets = 2 * w["pairs"]
    if not below:
        return _ci(w[col], full=nets)
    text = f"{below} of {nets} nets < {grid_lo:g}"
    if below < nets:
        text += f"; the other {nets - below}: {_ci(w[col])}"
    return text


def _kn(d) -> str:
    return f"{d['k']}/{d['n']} [{d['ci'][0]:.2f}, {d['ci'][1]:.2f}]"


def _label(w) -> str:
    return f"{w['width']}" if w["depth"] == 1 else f"{w['width']}×2"


def markdown(res) -> str:
    """The per-width tables and the trend tests as Markdown."""
    W = res["widths"]
    L = ["Means over the 5 disjoint pairs (10 nets for per-net columns) with 95 % "
         "t intervals; k/n with 95 % Wilson intervals.  Width `64×2` is the "
         "two-hidden-layer net.", "",
         "**Barriers (train NLL, Frankle's definition; test error in points)**", "",
         "| width | params | line NLL | matched NLL | Bezier NLL | share of line barrier removed by matching | line err (pts) | matched err (pts) | Bezier err (pts) |",
         "|---|---|---|---|---|---|---|---|---|"]
    for w in W:
        L.append(f"| {_label(w)} | {w['n_params']:,} | {_ci(w['line_train_loss_barrier'])} | "
                 f"{_ci(w['matched_train_loss_barrier'])} | {_ci(w['bezier_train_loss_barrier'])} | "
                 f"{_ci(w['removed_by_matching'], digits=2)} | "
                 f"{_ci(w['line_test_error_barrier'], 100, 2)} | "
                 f"{_ci(w['matched_test_error_barrier'], 100, 2)} | "
                 f"{_ci(w['bezier_test_error_barrier'], 100, 2)} |")
    L += ["", "**Phenotype (training-set argmax) and neutrality along the paths**", "",
          "| width | train error (%) | test error (%) | endpoints share the phenotype | line: points keeping it | matched line | Bezier | pairs kept at all 61 points: matched line | Bezier | line fitness-neutral (train error ≤ worse endpoint) |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for w in W:
        full = w["pairs"]
        L.append(f"| {_label(w)} | {_ci(w['train_error'], 100, 2)} | {_ci(w['test_error'], 100, 2)} | "
                 f"{_kn(w['same_phenotype'])} | {_ci(w['line_kept'], digits=2, full=full)} | "
                 f"{_ci(w['matched_kept'], digits=2, full=full)} | "
                 f"{_ci(w['bezier_kept'], digits=2, full=full)} | "
                 f"{_kn(w['matched_connected'])} | {_kn(w['bezier_connected'])} | "
                 f"{_ci(w['line_fit_kept'], digits=2)} |")
    L += ["", "**Representations: linear CKA of the hidden layer between A and B (test inputs)**", "",
          "| width | CKA trained | CKA of the same pair at initialisation (null) | trained − null (paired) | test disagreement (%) | ‖θ_B − θ_A‖ | after matching, / before |",
          "|---|---|---|---|---|---|---|"]
    for w in W:
        gap = w["cka_gap_h1"]
        cka = _ci(w["cka_h1"], digits=4)
        null = _ci(w["cka_init_h1"], digits=4)
        if "cka_h2" in w:
            cka += f"; layer 2: {_ci(w['cka_h2'], digits=4)}"
            null += f"; layer 2: {_ci(w['cka_init_h2'], digits=4)}"
        L.append(f"| {_label(w)} | {cka} | {null} | {gap['mean']:.3g} [{gap['lo']:.3g}, "
                 f"{gap['hi']:.3g}] | {_ci(w['test_disagreement'], 100, 2)} | "
                 f"{_ci(w['distance'])} | {_ci(w['distance_ratio'])} |")
    sig_lo = min(res["settings"]["rms_sigmas"])
    f_lo = min(res["settings"]["resample_fractions"])
    L += ["", "**Robustness of the exact phenotype (10 nets per width)**", "",
          "| width | σ50 (noise / layer RMS) | f50 (fraction resampled) | r, one weight resampled | r at 1/51 of the weights resampled | r at 1/12 |",
          "|---|---|---|---|---|---|"]
    for w in W:
        L.append(f"| {_label(w)} | {_s50(w, 'sigma50', sig_lo)} | {_s50(w, 'f50', f_lo)} | "
                 f"{_ci(w['r_single'])} | {_ci(w['r_at_1/51'])} | {_ci(w['r_at_1/12'])} |")
    L += ["", "**Trends against log₂ width (one hidden layer, 40 pairs; robustness 80 nets)**", "",
          "| measure | Spearman ρ | 95 % interval (pairs resampled within widths) | permutation p |",
          "|---|---|---|---|"]
    for k, v in res["trends"].items():
        L.append(f"| {k} | {v['rho']:.3f} | [{v['lo']:.3f}, {v['hi']:.3f}] | {v['p']:.2g} |")
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------------ figure
def figure(path, out_png) -> Path:
    """Six panels: barriers, test-error barriers, neutrality, CKA vs its null,
    and the robustness curves under both kernels."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sw = read_sweep(path)
    res = {"widths": _per_width(sw.cells, sw["robustness"])}
    d1 = [w for w in res["widths"] if w["depth"] == 1]
    d2 = [w for w in res["widths"] if w["depth"] == 2]
    x = np.array([w["width"] for w in d1], float)
    fig, ax = plt.subplots(2, 3, figsize=(15, 8.5))
    colors = {"line": "C3", "matched": "C0", "bezier": "C2"}
    names = {"line": "straight line", "matched": "line after weight matching",
             "bezier": "Bezier curve"}

    def band(a, key, label, color, scale=1.0, marker="o"):
        m = np.array([w[key]["mean"] for w in d1]) * scale
        lo = np.array([w[key]["lo"] for w in d1]) * scale
        hi = np.array([w[key]["hi"] for w in d1]) * scale
        a.errorbar(x, m, yerr=[m - lo, hi - m], color=color, marker=marker, capsize=3,
                   label=label)
        for w in d2:
            a.errorbar([w["width"] * 1.08], [w[key]["mean"] * scale],
                       yerr=[[(w[key]["mean"] - w[key]["lo"]) * scale],
                             [(w[key]["hi"] - w[key]["mean"]) * scale]],
                       color=color, marker="s", mfc="white", capsize=3)

    for p in PATHS:
        band(ax[0, 0], f"{p}_train_loss_barrier", names[p], colors[p])
        band(ax[0, 1], f"{p}_test_error_barrier", names[p], colors[p], scale=100)
        band(ax[0, 2], f"{p}_kept", names[p], colors[p])
    ax[0, 0].set_ylabel("train-NLL barrier (Frankle)")
    ax[0, 1].set_ylabel("test-error barrier (points)")
    ax[0, 0].set_yscale("log", nonpositive="clip")
    ax[0, 1].set_yscale("log", nonpositive="clip")
    ax[0, 2].set_ylabel("fraction of 61 points keeping the\nexact training-set phenotype")
    band(ax[1, 0], "cka_h1", "trained pair", "k")
    band(ax[1, 0], "cka_init_h1", "same pair at initialisation (null)", "0.6", marker="^")
    ax[1, 0].set_ylabel("linear CKA, hidden layer 1 (test inputs)")
    for a in list(ax[0]) + [ax[1, 0]]:
        a.set_xscale("log", base=2)
        a.set_xlabel("hidden width (open squares: two hidden layers)")
        a.grid(alpha=0.3)
    ax[0, 0].legend(fontsize=8)
    ax[1, 0].legend(fontsize=8)
    rob = sw["robustness"]
    cmap = plt.get_cmap("viridis")
    for kernel, a, xlabel in (("rms_noise", ax[1, 1], "σ (noise / each layer's RMS)"),
                              ("resample", ax[1, 2], "fraction of weights resampled from init")):
        for i, w in enumerate(x):
            r = rob.where(depth=1, width=int(w), kernel=kernel, single_site=False)
            s = np.asarray(r["strength"])
            levels = np.unique(s)
            mean = [np.mean(np.asarray(r["r"])[s == v]) for v in levels]
            a.plot(levels, mean, marker=".", color=cmap(i / max(1, len(x) - 1)),
                   label=f"width {int(w)}")
        a.set_xscale("log")
        a.axhline(0.5, color="0.7", lw=0.8)
        a.set_xlabel(xlabel)
        a.set_ylabel("r: fraction of mutants keeping the phenotype")
        a.grid(alpha=0.3)
    ax[1, 1].legend(fontsize=7, ncol=2)
    fig.suptitle("Digits MLPs against width: means with 95 % t intervals over 5 disjoint pairs "
                 "(robustness: mean r over 10 nets); the exact phenotype is the training-set argmax")
    fig.tight_layout()
    return _write_png(fig, out_png)


def _write_png(fig, out_png) -> Path:
    """Write ``fig`` as a PNG (110 dpi) to ``out_png`` atomically, close it; the path."""
    import matplotlib.pyplot as plt
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out_png) as tmp, open_exclusive(tmp, "wb") as fh:
        fig.savefig(fh, dpi=110, format="png")
    plt.close(fig)
    return out_png


def _write_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text`` (UTF-8)."""
    with atomic_write(path) as tmp, open_exclusive(tmp, "w") as fh:
        fh.write(text)


def write_reading(path, out_dir, stem: str, analyse, markdown, draw, extra=()):
    """The reading of a sweep file, shared by the experiments of this folder:
    one CSV per table, ``<stem>_summary.json`` (``analyse(path)``),
    ``<stem>_tables.md`` (``markdown(res)``) and ``<stem>.png``
    (``draw(res, png)``), each written atomically; no output may be the sweep
    file itself or one of ``extra`` (outputs the caller writes next).
    Returns (the SweepTable, the analysis)."""
    out_dir = Path(out_dir)
    sw = read_sweep(path)
    outputs = [out_dir / f"{stem}.{t}.csv" for t in sw.tables] + [
        out_dir / f"{stem}{tail}" for tail in ("_summary.json", "_tables.md", ".png")]
    for p in outputs + list(extra):
        refuse_same_file(p, [path], what="output")
    sw.to_csv(out_dir, stem)
    res = analyse(path)
    _write_text(out_dir / f"{stem}_summary.json", json.dumps(res, indent=1, default=float) + "\n")
    _write_text(out_dir / f"{stem}_tables.md", markdown(res))
    draw(res, out_dir / f"{stem}.png")
    return sw, res


def write_outputs(path, out_dir, stem: str) -> dict:
    """CSV of every table, the analysis JSON, the Markdown tables, the figure and
    the rows in the comparison's common tables (``mlp_contract.h5``, or
    ``<stem>_contract.h5`` for another stem)."""
    from alife.bridge.width_contract import write_contract
    contract = Path(out_dir) / f"{stem.replace('_sweep', '')}_contract.h5"
    sw, res = write_reading(path, out_dir, stem, analyse, markdown,
                            lambda res, png: figure(path, png), extra=[contract])
    write_contract(sw, contract, force=True)
    return res


