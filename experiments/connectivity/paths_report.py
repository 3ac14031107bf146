"""Tables and figures of the connectivity experiment's path searches.

``recall_table`` counts, per group of pairs and method, the pairs connected
(with Wilson and Clopper-Pearson intervals), ``markdown`` renders it, and
the three figures show the neutral walkers' reach, the recall of every
method and the internal states along found paths.  ``run.py`` calls them
on its results dictionary.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import connectivity_units as U
from alife.nca.phenotype import new_figure, save_figure

#: The path methods, in the order tables and figures list them.
METHODS = ("line", "walk", "curve", "search")


# --------------------------------------------------------------------------- summaries
def recall_table(results) -> list:
    rows = []
    keys = sorted({(r["group"], r["method"]) for r in results},
                  key=lambda gm: (gm[0], METHODS.index(gm[1]) if gm[1] in METHODS else 9))
    for g, m in keys:
        rs = [r for r in results if r["group"] == g and r["method"] == m]
        k, n = sum(r["found"] for r in rs), len(rs)
        rows.append({"group": g, "method": m, "k": k, "n": n, "wilson": U.wilson(k, n),
                     "clopper_pearson": U.clopper_pearson(k, n),
                     "mean_evaluations": float(np.mean([r["evaluations"] for r in rs])),
                     "mean_seconds": float(np.mean([r["seconds"] for r in rs]))})
    return rows


def _ci(lo_hi):
    return f"[{lo_hi[0]:.2f}, {lo_hi[1]:.2f}]"


def markdown(res) -> str:
    lines = ["| pairs | method | found | recall / fraction | 95 % interval | mean evaluations |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in res["table"]:
        frac = r["k"] / r["n"] if r["n"] else float("nan")
        iv = r["clopper_pearson"] if r["group"].startswith("answer") else r["wilson"]
        lines.append(f"| {r['group']} | {r['method']} | {r['k']}/{r['n']} | {frac:.2f} | "
                     f"{_ci(iv)} | {r['mean_evaluations']:,.0f} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- figures
def reach_figure(res, out: Path) -> Path:
    panels = [g for g in ("evolved", "trained") if res["reach"].get(g)]
    fig = new_figure((5.5 * max(len(panels), 1), 4))
    for k, g in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        rr = res["reach"][g]
        steps = np.asarray(rr["steps"])
        for key, colour, label in (("to_start", "C0", "to its start"),
                                   ("to_others", "C1", "to the other endpoints")):
            m, lo, hi = (np.asarray(rr[key][q]) for q in ("mean", "p10", "p90"))
            ax.plot(steps, m, color=colour, label=f"walkers: {label}")
            ax.fill_between(steps, lo, hi, color=colour, alpha=0.2)
        ax.axhline(rr["independent_pairs"], color="k", ls="--", lw=1,
                   label="between independent endpoints")
        ax.axhline(rr["random_pairs"], color="0.5", ls=":", lw=1,
                   label="between random genomes")
        ax.set_xlabel("walk step (one proposed mutation)")
        ax.set_ylabel("quotient distance")
        ax.set_title(f"{g}: neutral walkers (mean, 10-90 %)")
        ax.legend(fontsize=7)
    return save_figure(fig, out / "reach.png")


def recall_figure(res, out: Path) -> Path:
    rows = res["table"]
    fig = new_figure((7, 0.32 * len(rows) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    for yy, r in zip(y, rows):
        iv = r["clopper_pearson"] if r["group"].startswith("answer") else r["wilson"]
        f = r["k"] / r["n"] if r["n"] else np.nan
        colour = f"C{METHODS.index(r['method']) if r['method'] in METHODS else 4}"
        ax.errorbar([f], [yy], xerr=[[max(f - iv[0], 0.0)], [max(iv[1] - f, 0.0)]], fmt="o",
                    color=colour, capsize=3)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r['group']}: {r['method']} ({r['k']}/{r['n']})" for r in rows],
                       fontsize=7)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("fraction of pairs connected (95 % Wilson; answers Clopper-Pearson)")
    return save_figure(fig, out / "recall.png")


def internal_figure(res, out: Path) -> Path | None:
    panels = [g for g in ("evolved", "trained") if res["internal"].get(g)]
    if not panels:
        return None
    fig = new_figure((5 * len(panels), 3.6))
    for k, g in enumerate(panels):
        d = res["internal"][g]
        ax = fig.add_subplot(1, len(panels), k + 1)
        bins = np.linspace(0, max([1.0] + d["null"]["rel"] + d["path_max"]), 30)
        ax.hist(d["null"]["rel"], bins=bins, alpha=0.5, density=True,
                label="random same-phenotype pairs (null)")
        for v in d["path_end"]:
            ax.axvline(v, color="C1", lw=1)
        for v in d["path_max"]:
            ax.axvline(v, color="C3", lw=1, ls=":")
        ax.plot([], [], color="C1", label="path end (B) vs A")
        ax.plot([], [], color="C3", ls=":", label="max along the path vs A")
        ax.set_xlabel("relative RMS difference of the internal levels")
        ax.set_title(f"{g}: internal states along found paths")
        ax.legend(fontsize=7)
    return save_figure(fig, out / "internal.png")
