"""Statistics, tables and figures of the ISAL 2024 per-layer neutrality experiment.

Used by ``run.py``; every function reads the ``results`` dict that run.py
writes to ``results.json``, so the tables and figures can be redrawn from the
file alone (``python experiments/isal2024/report.py OUT``).

Intervals:

* a fraction k/n: Wilson score interval (95% and 99%);
* a difference of two independent fractions: Newcombe's hybrid score
  interval (method 10 of Newcombe 1998), built from the two Wilson intervals;
* evolved parents (several children per parent, so pairs are not
  independent): percentile bootstrap over parents (2,000 resamples);
* a mean number of changed cells: mean +- z * sd / sqrt(n);
* two changed-cell histograms: chi-square test of homogeneity.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import chi2_contingency, norm

Z95, Z99 = norm.ppf(0.975), norm.ppf(0.995)
LAYER_NAMES = ("layer 1 (64x64)", "layer 2 (32x32)", "layer 3 (16x16)", "layer 4 (8x8)")

#: Display names of the conditions, in table order.
LABELS = {
    "gecco2024": "(a) reference protocol, gecco2024 down links",
    "children": "(b) model's down links (four children)",
    "gecco2024_nondegenerate": "(c) as (a), non-degenerate parents only",
    "children_nondegenerate": "(c) as (b), non-degenerate parents only",
    "base_seed": "(d) control: base-level seed, gecco2024 down links",
    "base_seed_children": "(d) control: base-level seed, four children",
    "below_only": "(d) below-only, base seed, gecco2024 down links",
    "below_only_children": "(d) below-only, base seed, four children",
    "random_below": "(d) random below-links per individual, base seed",
    "random_maps": "(d) random above- and below-links per individual, base seed",
    "evolved_gecco2024": "(e) AFPO-evolved (square), gecco2024 down links",
    "evolved_children": "(e) AFPO-evolved (square), four children",
}


def wilson(k: int, n: int, z: float) -> list[float]:
    """Wilson score interval of k/n at normal quantile z; [nan, nan] for n = 0."""
    if n == 0:
        return [float("nan")] * 2
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [float(c - h), float(c + h)]


def newcombe(k1: int, n1: int, k2: int, n2: int, z: float) -> list[float]:
    """Interval of p1 - p2 (independent samples), Newcombe's hybrid score method."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return [float(lo), float(hi)]


def bootstrap_over(per_parent: np.ndarray, rng: np.random.Generator, B: int = 2000) -> list:
    """Per level, the 95% percentile interval of the mean of ``per_parent``
    (L, P) over resampled parents."""
    L, P = per_parent.shape
    idx = rng.integers(0, P, size=(B, P))
    means = per_parent[:, idx].mean(axis=2)          # (L, B)
    return [[float(np.percentile(m, 2.5)), float(np.percentile(m, 97.5))] for m in means]


def _level_stats(c: dict) -> dict:
    k, n, hist = c["k"], c["n"], np.asarray(c["hist"], np.float64)
    cells = np.arange(len(hist))
    mean = float((hist * cells).sum() / n) if n else float("nan")
    sd = float(np.sqrt((hist * (cells - mean) ** 2).sum() / max(n - 1, 1))) if n else float("nan")
    nz = n - k
    mean_nz = float((hist * cells).sum() / nz) if nz else float("nan")
    return {"fraction": k / n if n else float("nan"), "wilson95": wilson(k, n, Z95),
            "wilson99": wilson(k, n, Z99), "mean_changed": mean,
            "mean_changed_ci95": [mean - Z95 * sd / np.sqrt(n), mean + Z95 * sd / np.sqrt(n)]
            if n else [float("nan")] * 2,
            "mean_changed_ci99": [mean - Z99 * sd / np.sqrt(n), mean + Z99 * sd / np.sqrt(n)]
            if n else [float("nan")] * 2, "mean_changed_if_changed": mean_nz}


def _rows(results: dict) -> dict:
    """{row name: list of per-level count dicts} for every table row."""
    rows = {}
    for name, c in results["conditions"].items():
        rows[name] = c["levels"]
        if "levels_nondegenerate_parent" in c and name in ("gecco2024", "children"):
            rows[f"{name}_nondegenerate"] = c["levels_nondegenerate_parent"]
    return rows


def _hist_bins(hist, edges):
    """Counts of changed cells in the notebook's bins [e_i, e_i+1) (last closed)."""
    h = np.asarray(hist)
    cells = np.arange(len(h))
    out = []
    for i in range(len(edges) - 1):
        hi_ok = cells <= edges[i + 1] if i == len(edges) - 2 else cells < edges[i + 1]
        out.append(int(h[(cells >= edges[i]) & hi_ok].sum()))
    return out


def add_statistics(results: dict) -> None:
    """Add ``stats`` (per row and level) and ``comparisons`` to ``results``."""
    rows = _rows(results)
    results["stats"] = {name: [_level_stats(c) for c in levels] for name, levels in rows.items()}
    pub = results["published"]
    comp = {}
    a = rows.get("gecco2024")
    if a is not None:
        n_pub = pub["n"]
        vs = []
        for lvl, c in enumerate(a):
            k_pub = round(pub["neutral_fraction"][lvl] * n_pub)
            vs.append({"ours": c["k"] / c["n"], "published": pub["neutral_fraction"][lvl],
                       "difference": c["k"] / c["n"] - pub["neutral_fraction"][lvl],
                       "difference_ci99": newcombe(c["k"], c["n"], k_pub, n_pub, Z99),
                       "published_inside_our_wilson99":
                           bool(results["stats"]["gecco2024"][lvl]["wilson99"][0]
                                <= pub["neutral_fraction"][lvl]
                                <= results["stats"]["gecco2024"][lvl]["wilson99"][1])})
        comp["gecco2024_vs_published"] = vs
        n_cells = len(a[0]["hist"]) - 1
        if n_cells == 64:
            edges = np.linspace(0, 64, 11)
            ours = _hist_bins(a[0]["hist"], edges)
            table = np.array([ours, pub["layer0_histogram"]])
            keep = table.sum(axis=0) > 0
            chi2, p, dof, _ = chi2_contingency(table[:, keep])
            comp["layer0_histogram_vs_published"] = {"ours": ours, "published":
                                                     pub["layer0_histogram"], "chi2": float(chi2),
                                                     "dof": int(dof), "p": float(p)}
    for x, y in (("children", "gecco2024"), ("children_nondegenerate", "gecco2024_nondegenerate"),
                 ("base_seed_children", "base_seed"), ("below_only", "base_seed"),
                 ("below_only_children", "base_seed_children"), ("random_below", "base_seed"),
                 ("random_below", "base_seed_children"), ("random_maps", "base_seed"),
                 ("random_maps", "base_seed_children")):
        if x in rows and y in rows:
            comp[f"{x}_minus_{y}"] = [
                {"difference": cx["k"] / cx["n"] - cy["k"] / cy["n"],
                 "ci99": newcombe(cx["k"], cx["n"], cy["k"], cy["n"], Z99)}
                for cx, cy in zip(rows[x], rows[y])]
    results["comparisons"] = comp


# --------------------------------------------------------------------------- #
# tables
# --------------------------------------------------------------------------- #
def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def _ci(iv) -> str:
    return f"[{_pct(iv[0])}, {_pct(iv[1])}]"


def summary_markdown(results: dict) -> str:
    """The tables of RESULTS.md, generated from ``results``."""
    st, comp, pub = results["stats"], results["comparisons"], results["published"]
    L = len(next(iter(st.values())))
    out = ["### Neutral fraction per layer (%, 99% Wilson interval; n pairs per layer)", "",
           "| condition | n | " + " | ".join(LAYER_NAMES[:L]) + " |",
           "| --- | --- | " + " | ".join(["---"] * L) + " |"]
    if "gecco2024" in st:
        out.append(f"| published (reference notebook) | {pub['n']:,} | "
                   + " | ".join(_pct(f) for f in pub["neutral_fraction"][:L]) + " |")
    rows = _rows(results)
    for name in LABELS:
        if name in st:
            n = rows[name][0]["n"]
            cells = []
            for s in st[name]:
                cells.append(f"{_pct(s['fraction'])} {_ci(s['wilson99'])}")
            out.append(f"| {LABELS[name]} | {n:,} | " + " | ".join(cells) + " |")
    if "gecco2024_vs_published" in comp:
        out += ["", "### (a) against the published fractions", "",
                "| layer | ours | published | difference (pp) | 99% interval of the difference (pp) "
                "| published inside our 99% Wilson interval |", "| --- | --- | --- | --- | --- | --- |"]
        for lvl, v in enumerate(comp["gecco2024_vs_published"]):
            out.append(f"| {LAYER_NAMES[lvl]} | {_pct(v['ours'])} | {_pct(v['published'])} | "
                       f"{100 * v['difference']:+.2f} | {_ci(v['difference_ci99'])} | "
                       f"{'yes' if v['published_inside_our_wilson99'] else 'no'} |")
    out += ["", "### Differences between conditions (percentage points, 99% Newcombe interval)", "",
            "| difference | " + " | ".join(LAYER_NAMES[:L]) + " |",
            "| --- | " + " | ".join(["---"] * L) + " |"]
    for key, vs in comp.items():
        if "_minus_" in key:
            x, y = key.split("_minus_")
            cells = [f"{100 * v['difference']:+.2f} [{100 * v['ci99'][0]:+.2f}, "
                     f"{100 * v['ci99'][1]:+.2f}]" for v in vs]
            out.append(f"| {x} - {y} | " + " | ".join(cells) + " |")
    out += ["", "### Changed output cells (of 64) per pair: mean [99% interval]; mean over changed "
            "pairs only", "", "| condition | " + " | ".join(LAYER_NAMES[:L]) + " |",
            "| --- | " + " | ".join(["---"] * L) + " |"]
    if "gecco2024" in st:
        out.append("| published (reference notebook) | " + " | ".join(
            f"{m:.2f}; {mn:.2f}" for m, mn in zip(pub["mean_changed"][:L],
                                                  pub["mean_changed_if_changed"][:L])) + " |")
    for name in ("gecco2024", "children"):
        if name in st:
            out.append(f"| {LABELS[name]} | " + " | ".join(
                f"{s['mean_changed']:.2f} [{s['mean_changed_ci99'][0]:.2f}, "
                f"{s['mean_changed_ci99'][1]:.2f}]; {s['mean_changed_if_changed']:.2f}"
                for s in st[name]) + " |")
    h = comp.get("layer0_histogram_vs_published")
    if h:
        out += ["", "### Layer 1 (64x64) mutations: changed cells in the notebook's 10 bins over 0..64",
                "", "| | " + " | ".join(f"bin {i}" for i in range(10)) + " |",
                "| --- | " + " | ".join(["---"] * 10) + " |",
                "| ours (a) | " + " | ".join(f"{x:,}" for x in h["ours"]) + " |",
                "| published | " + " | ".join(f"{x:,}" for x in h["published"]) + " |", "",
                f"Chi-square test of homogeneity: chi2 = {h['chi2']:.1f}, dof = {h['dof']}, "
                f"p = {h['p']:.3g}."]
    ev = [n for n in ("evolved_gecco2024", "evolved_children") if n in results["conditions"]]
    if ev:
        out += ["", "### (e) Evolved parents: neutral fraction (%) with a 95% bootstrap interval "
                "over parents", "", "| condition | runs | parents (distinct) | children per parent "
                "and layer | final best loss per run | " + " | ".join(LAYER_NAMES[:L]) + " |",
                "| --- | --- | --- | --- | --- | " + " | ".join(["---"] * L) + " |"]
        for name in ev:
            c = results["conditions"][name]
            cells = [f"{_pct(s['fraction'])} {_ci(b)}"
                     for s, b in zip(st[name], c["parent_bootstrap_95"])]
            out.append(f"| {LABELS[name]} | {c['runs']} | {c['parents']} ({c['distinct_parents']}) | "
                       f"{c['children_per_parent_and_layer']} | "
                       f"{', '.join(f'{b:g}' for b in c['final_best_loss'])} | " + " | ".join(cells) + " |")
        out += ["", "Per run (the fraction of each run's final population):", "",
                "| condition | " + " | ".join(LAYER_NAMES[:L]) + " |",
                "| --- | " + " | ".join(["---"] * L) + " |"]
        for name in ev:
            runs = results["conditions"][name]["per_run_fraction"]
            out.append(f"| {LABELS[name]} | " + " | ".join(
                ", ".join(_pct(f) for f in runs[lvl]) for lvl in range(L)) + " |")
    perc = [n for n in ("random_below", "random_maps") if n in results["conditions"]]
    if perc:
        out += ["", "Random links kept (percolating, as in the reference): " + "; ".join(
            f"{n} {results['conditions'][n]['candidates_kept']:,} of "
            f"{results['conditions'][n]['candidates_tested']:,} tested" for n in perc) + "."]
    out += ["", "Seconds per condition: " + ", ".join(
        f"{n} {c['seconds']:.0f}" for n, c in results["conditions"].items())
        + f"; total {results['seconds_total']:.0f} s.", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- #
# figures
# --------------------------------------------------------------------------- #
def figures(results: dict, out: Path) -> None:
    """``neutral_fractions.png`` and ``changed_cells.png`` in ``out``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = results["stats"]
    L = len(next(iter(st.values())))
    names = [n for n in LABELS if n in st]
    colors = plt.cm.tab20(np.linspace(0, 1, 20))[[0, 2, 1, 3, 4, 5, 6, 7, 8, 9, 16, 17, 10, 12]]
    fig, ax = plt.subplots(figsize=(12, 5.2))
    width = 0.8 / (len(names) + 1)
    x = np.arange(L)
    if "gecco2024" in st:
        ax.scatter(x - 0.4 + width / 2, results["published"]["neutral_fraction"][:L], marker="*",
                   s=90, color="black", zorder=3, label="published (reference notebook)")
    for i, name in enumerate(names, 1):
        f = np.array([s["fraction"] for s in st[name]])
        if name in results["conditions"] and "parent_bootstrap_95" in results["conditions"][name]:
            lohi = np.array(results["conditions"][name]["parent_bootstrap_95"])
        else:
            lohi = np.array([s["wilson99"] for s in st[name]])
        yerr = np.maximum(0.0, [f - lohi[:, 0], lohi[:, 1] - f])
        ax.errorbar(x - 0.4 + width * (i + 0.5), f, yerr=yerr, color=colors[(i - 1) % 14],
                    fmt="o", ms=4, capsize=2, label=LABELS[name])
    ax.set_xticks(x, LAYER_NAMES[:L])
    ax.set_ylabel("parent-child pairs with the same phenotype")
    ax.set_title("Per-layer neutrality (99% Wilson; evolved: 95% bootstrap over parents)")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "neutral_fractions.png", dpi=120)
    plt.close(fig)

    rows = _rows(results)
    fig, axes = plt.subplots(2, L, figsize=(3.2 * L, 6.2), squeeze=False)
    for lvl in range(L):
        top, bottom = axes[0, lvl], axes[1, lvl]
        for name, color in (("gecco2024", "C0"), ("children", "C1")):
            if name not in rows:
                continue
            h = np.asarray(rows[name][lvl]["hist"], np.float64)
            top.bar(np.arange(len(h)) + (0 if name == "gecco2024" else 0.4), h / h.sum(),
                    width=0.4, color=color, label=LABELS[name])
            # the reference notebook's drawing: 10 equal bins over 0..64, counts
            edges = np.linspace(0, len(h) - 1, 11)
            bins = _hist_bins(h, edges)
            bottom.bar(np.arange(10) + (-0.2 if name == "gecco2024" else 0.2), bins, width=0.4,
                       color=color, label=LABELS[name])
        pub = results["published"]["layer0_histogram"]
        if lvl == 0 and "gecco2024" in rows and len(rows["gecco2024"][0]["hist"]) == 65:
            bottom.scatter(np.arange(10) - 0.2, pub, marker="_", s=120, color="black", zorder=3,
                           label="published (reference notebook)")
        top.set_yscale("log")
        bottom.set_yscale("log")
        top.set_title(f"mutation in {LAYER_NAMES[lvl]}", fontsize=9)
        top.set_xlabel("changed output cells")
        bottom.set_xlabel("bin (10 equal bins over 0..64 cells)")
    axes[0, 0].set_ylabel("fraction of pairs")
    axes[1, 0].set_ylabel("pairs (the notebook's histogram)")
    axes[0, 0].legend(fontsize=7)
    axes[1, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "changed_cells.png", dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    """Redraw ``summary.md`` and the figures from ``OUT/results.json``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python experiments/isal2024/report.py OUT", file=sys.stderr)
        return 2
    out = Path(args[0])
    try:
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"error: cannot read {out / 'results.json'}: {e}", file=sys.stderr)
        return 2
    (out / "summary.md").write_text(summary_markdown(results), encoding="utf-8")
    figures(results, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
