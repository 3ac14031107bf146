"""Figures, CSV tables and Markdown for ``exhaustive.py`` (no computation of results)."""
from __future__ import annotations

import numpy as np

from alife.nca.phenotype import new_figure

TITLES = {"flat": "flat NCA", "hier8": "2-level HNCA, base 8", "hier4": "2-level HNCA, base 4"}


def title(r: dict) -> str:
    m = r["map"]
    if "L" in m:
        return f"RNA{m['L']}"
    return f"{TITLES.get(r['name'], r['name'])} (K={m['K']})"


def jsonable(x):
    """Numbers, lists and dicts only (NumPy scalars and small arrays converted)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


# --------------------------------------------------------------------------- #
# figures
# --------------------------------------------------------------------------- #
def _scatter(ax, x, y, n_max=20000, seed=0):
    x, y = np.asarray(x), np.asarray(y)
    if x.size > n_max:
        i = np.random.default_rng(seed).choice(x.size, n_max, replace=False)
        x, y = x[i], y[i]
    ax.scatter(x, y, s=4, alpha=0.4, lw=0)


def figures(results: list, outdir) -> list:
    """Write the four figures; returns their paths."""
    paths = []
    n = len(results)
    fig = new_figure((4.0 * n, 3.4))
    for j, r in enumerate(results):
        pm = r["_pm"]
        ax = fig.add_subplot(1, n, j + 1)
        lf = np.log10(pm.frequency)
        _scatter(ax, lf, pm.robustness)
        xs = np.linspace(lf.min(), lf.max(), 50)
        ax.plot(xs, 10 ** xs, "k:", lw=0.8, label="null: R = f")
        ax.set_xlabel("log10 phenotype frequency f_p")
        ax.set_ylabel("R(p)")
        ax.set_title(f"{title(r)}\n{r['table']['phenotypes']:,} phenotypes", fontsize=9)
        ax.legend(fontsize=7)
    paths.append(outdir / "exhaustive_robustness_frequency.png")
    fig.savefig(paths[-1], dpi=100, bbox_inches="tight")

    fig = new_figure((4.0 * n, 3.4))
    for j, r in enumerate(results):
        w = r["wagner"]
        ax = fig.add_subplot(1, n, j + 1)
        rho = w["within"]["rho"]
        rho = rho[np.isfinite(rho)]
        ax.hist(rho, bins=np.linspace(-1, 1, 41), color="0.6")
        ax.axvline(0, color="k", lw=0.6)
        ax.axvline(w["within"]["median"], color="C3", lw=1.2, label="median within")
        ax.axvline(w["pooled"]["rho"], color="C0", ls="--", lw=1.2, label="pooled")
        ax.set_xlabel("Spearman r(g) vs e(g) within a phenotype")
        ax.set_ylabel("phenotypes")
        ax.set_title(f"{title(r)}\npartial R(p)-E(p) | log f = "
                     f"{w['phenotype']['partial_given_log_f']:+.2f}", fontsize=9)
        ax.legend(fontsize=7)
    paths.append(outdir / "exhaustive_wagner.png")
    fig.savefig(paths[-1], dpi=100, bbox_inches="tight")

    fig = new_figure((4.0 * n, 3.6))
    for j, r in enumerate(results):
        ax = fig.add_subplot(1, n, j + 1)
        for t in r["same_component"]["targets"]:
            if t["climbed_pairs"] == 0:
                continue
            lo, hi = t["climbed_pair_ci"]
            ax.errorbar(t["random_pair"], t["climbed_pair"],
                        yerr=[[t["climbed_pair"] - lo], [hi - t["climbed_pair"]]],
                        fmt="o", ms=3, color="C0", elinewidth=0.7)
        ax.plot([0, 1], [0, 1], "k:", lw=0.8)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("P(same network), random pair (exact)")
        ax.set_ylabel("P(same network), climbed pair")
        ax.set_title(title(r), fontsize=9)
    paths.append(outdir / "exhaustive_same_component.png")
    fig.savefig(paths[-1], dpi=100, bbox_inches="tight")

    hn = [r for r in results if r["_top"]["patterns"] is not None]
    if hn:
        k = 12
        fig = new_figure((1.1 * k, 1.35 * len(hn)))
        for i, r in enumerate(hn):
            pats = r["_top"]["patterns"][:k]
            pm = r["_pm"]
            for j, p in enumerate(pats):
                ax = fig.add_subplot(len(hn), k, i * k + j + 1)
                ax.imshow(p, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
                ax.set_xticks([])
                ax.set_yticks([])
                f = pm.frequency[r["_top"]["order"][j]]
                ax.set_title(f"{f:.2%}", fontsize=6)
                if j == 0:
                    ax.set_ylabel(TITLES.get(r["name"], r["name"]), fontsize=6)
        paths.append(outdir / "exhaustive_patterns.png")
        fig.savefig(paths[-1], dpi=100, bbox_inches="tight")
    return paths


def phenotype_csv(r: dict, path) -> None:
    """The most frequent phenotypes (up to 200) with the RNA12 columns."""
    pm, rf, top = r["_pm"], r["_rf"], r["_top"]
    with open(path, "w") as f:
        f.write("phenotype,size,frequency,n_networks,largest_network,R,E,E_cowperthwaite,"
                "rho_over_f\n")
        for i, lab in zip(top["order"], top["labels"]):
            f.write(f"{lab},{pm.size[i]},{pm.frequency[i]:.6g},{pm.n_components[i]},"
                    f"{pm.largest_component[i]},{pm.robustness[i]:.6f},{pm.evolvability[i]},"
                    f"{pm.evolvability_cowperthwaite[i]:.6f},{rf['ratio'][i]:.6g}\n")


# --------------------------------------------------------------------------- #
# Markdown
# --------------------------------------------------------------------------- #
def _ci(c, fmt="{:.3f}"):
    lo, hi = c
    if lo is None or hi is None:
        return "—"
    return f"[{fmt.format(lo)}, {fmt.format(hi)}]"


def _row(label, values):
    return f"| {label} | " + " | ".join(values) + " |"


def markdown(doc: dict) -> str:
    """The tables EXHAUSTIVE.md quotes."""
    maps = doc["maps"]
    head = ["| quantity | " + " | ".join(title(r) for r in maps) + " |",
            "|---|" + "---|" * len(maps)]
    T = [r["table"] for r in maps]

    def und(r):
        u = r["undefined"]
        n = r["table"]["genotypes"]
        return ", ".join(f"{k.replace('_', '-')} {v / n:.4f}" for k, v in u.items())

    lines = ["### The maps", ""] + head + [
        _row("genotypes", [f"{t['genotypes']:,}" for t in T]),
        _row("phenotypes (defined)", [f"{t['phenotypes']:,}" for t in T]),
        _row("undefined fraction", [f"{t['undefined_fraction']:.4f}" for t in T]),
        _row("  of which", [und(r) for r in maps]),
        _row("genotype networks (components)", [f"{t['components']:,}" for t in T]),
        _row("phenotypes with >= 2 networks", [f"{t['phenotypes_multi_component']:,}" for t in T]),
        _row("phenotypes with one genotype", [f"{t['singleton_phenotypes']:,}" for t in T]),
        _row("largest phenotype's frequency",
             [f"{t['largest_phenotype_fraction']:.4f}" for t in T]),
        _row("R(p): mean / median over phenotypes",
             [f"{t['R_mean']:.3f} / {t['R_median']:.3f}" for t in T]),
        _row("mean r(g) over defined genotypes", [f"{t['r_genotype_mean']:.3f}" for t in T]),
        _row("E(p): median / max", [f"{t['E_median']:g} / {t['E_max']:,}" for t in T]),
        _row("E_C(p) (Cowperthwaite): median", [f"{t['EC_median']:.3f}" for t in T]),
        _row("R vs log10 f: slope, Spearman",
             [f"{t['R_vs_log10_f']['slope']:.3f}, {t['R_vs_log10_f']['spearman_rho']:.3f}"
              for t in T]),
        _row("rho_p / f_p: median (min, max)",
             [f"{t['rho_over_f_median']:.3g} ({t['rho_over_f_min']:.3g}, "
              f"{t['rho_over_f_max']:.3g})" for t in T]),
        _row("phenotypes with >= 10 genotypes", [f"{t['phenotypes_10']:,}" for t in T]),
        _row("  their R(p) median, rho_p / f_p median",
             [f"{t['R_median_10']:.3f}, {t['rho_over_f_median_10']:.3g}" for t in T]),
    ]
    lines += ["", "### Wagner's correlations, three ways (95% intervals)", ""] + head
    W = [r["wagner"] for r in maps]
    lines += [
        _row("pooled: Spearman r(g) vs e(g) [cluster bootstrap]",
             [f"{w['pooled']['rho']:+.3f} {_ci(w['pooled']['ci'])}" for w in W]),
        _row("within: phenotypes used (>= 10 genotypes)",
             [f"{w['within']['n_phenotypes']:,}" for w in W]),
        _row("within: median [bootstrap]",
             [f"{w['within']['median']:+.3f} {_ci(w['within']['median_ci'])}" for w in W]),
        _row("within: quartiles", [_ci(w["within"]["quartiles"], "{:+.3f}") for w in W]),
        _row("within: negative k/n [Wilson]",
             [f"{w['within']['n_negative']:,}/{w['within']['n_phenotypes']:,} "
              f"{_ci(w['within']['fraction_negative_ci'])}" for w in W]),
        _row("phenotypes: Spearman R(p) vs E(p) [bootstrap]",
             [f"{w['phenotype']['spearman']:+.3f} {_ci(w['phenotype']['spearman_ci'])}"
              for w in W]),
        _row("phenotypes: partial given log f [bootstrap]",
             [f"{w['phenotype']['partial_given_log_f']:+.3f} "
              f"{_ci(w['phenotype']['partial_ci'])}" for w in W]),
    ]
    lines += ["", "### Same genotype network: random vs hill-climbed pairs (95% intervals)",
              ""] + head
    S = [r["same_component"] for r in maps]

    def reach(s):
        k = sum(t["reached"] for t in s["targets"])
        n = sum(t["starts"] for t in s["targets"])
        return k, n

    lines += [
        _row("targets (most frequent with >= 2 networks)",
             [f"{len(s['targets'])}" for s in S]),
        _row("climbers reaching the target", [f"{reach(s)[0]}/{reach(s)[1]}" for s in S]),
        _row("random pair, mean over targets (exact per target)",
             [f"{s['pooled'].get('random_pair_mean', float('nan')):.3f}" for s in S]),
        _row("climbed pair, mean over targets [bootstrap]",
             [f"{s['pooled'].get('climbed_pair_mean', float('nan')):.3f} "
              f"{_ci(s['pooled'].get('climbed_pair_ci', (None, None)))}" for s in S]),
        _row("difference climbed - random [bootstrap]",
             [f"{s['pooled'].get('difference_mean', float('nan')):+.3f} "
              f"{_ci(s['pooled'].get('difference_ci', (None, None)))}" for s in S]),
        _row("targets where climbed > random [Clopper-Pearson]",
             [f"{s['pooled'].get('targets_climbed_higher', 0)}/{s['pooled'].get('n_targets', 0)} "
              f"{_ci(s['pooled'].get('targets_climbed_higher_ci', (None, None)), '{:.2f}')}"
              for s in S]),
    ]
    hn = [r for r in maps if "recorder_check" in r]
    if hn:
        lines += ["", "### Checks and structure of the HNCA maps (95% Wilson intervals)", "",
                  "| quantity | " + " | ".join(title(r) for r in hn) + " |",
                  "|---|" + "---|" * len(hn)]
        lines.append(_row("recorder ids = map's own ids",
                          [f"{r['recorder_check']['equal']}/{r['recorder_check']['n']}"
                           for r in hn]))
        for k in ("silent", "cryptic", "changed"):
            lines.append(_row(f"one-mutants {k}", [
                f"{r['mutation_classes'][k]['fraction']:.3f} "
                f"{_ci(r['mutation_classes'][k]['ci'])}" for r in hn]))
        lines.append(_row("distinct developmental systems (aliased taps merged)",
                          [f"{r['aliasing']['systems']:,} (closed form "
                           f"{r['aliasing']['systems_closed_form']:,})" for r in hn]))
        lines.append(_row("defined genotypes with an identical system in another network", [
            f"{r['aliasing']['defined_genotypes_with_equivalent_in_other_network']:,} / "
            f"{r['aliasing']['defined_genotypes']:,}" if "defined_genotypes" in r["aliasing"]
            else "— (no aliased taps)" for r in hn]))
        lines.append(_row("square symmetries: phenotype maps as the pattern", [
            f"{r['symmetry']['agree']:,}/{r['symmetry']['checked']:,}" if r.get("symmetry")
            else "—" for r in hn]))
        lines.append(_row("targets whose largest network a symmetry maps onto another", [
            f"{sum(t['largest_onto_other'] > 0 for t in r['symmetry']['targets'])}/"
            f"{len(r['symmetry']['targets'])}" if r.get("symmetry") else "—" for r in hn]))
    lines += ["", "### Seconds: wall (CPU, all threads)", ""] + head
    for k in ("enumerate", "fold_or_load", "networks", "table", "wagner", "climbs", "checks",
              "outputs"):
        lines.append(_row(k, [f"{r['seconds'][k]:.1f} ({r['cpu_seconds'][k]:.1f})"
                              if k in r["seconds"] else "—" for r in maps]))
    lines += ["", f"Total: {doc['seconds_total']:.0f} s wall, {doc['cpu_seconds_total']:.0f} s "
              "CPU (this process; folding workers, if any, not included)."]
    return "\n".join(lines)


def target_table(r: dict) -> str:
    """One map's per-target rows of the same-network test."""
    lines = ["| phenotype (genotypes, networks) | random pair | climbers reached | climbed pairs "
             "same/all | climbed pair [95%] | in largest network: genotypes / climbers [95%] |",
             "|---|---|---|---|---|---|"]
    for t in r["same_component"]["targets"]:
        lines.append(
            f"| `{t['label']}` ({t['size']:,}, {t['n_components']}) | {t['random_pair']:.3f} | "
            f"{t['reached']}/{t['starts']} | {t['climbed_same']}/{t['climbed_pairs']} | "
            f"{t['climbed_pair']:.3f} {_ci(t['climbed_pair_ci'])} | {t['largest_fraction']:.3f} / "
            f"{t['climbers_in_largest']}/{t['reached']} {_ci(t['climbers_in_largest_ci'])} |")
    return "\n".join(lines)
