"""RNA secondary-structure GP map of every sequence of length L (default 12).

    python experiments/rna/run.py                    # RNA12: fold (cached) + all measures
    python experiments/rna/run.py --L 8 --out DIR    # the quick version the tests run

1. Fold all 4**L sequences with ViennaRNA (:func:`alife.gpmap.rna.fold_all`,
   a spawn pool of 2 workers, RNA12 conventions of Greenbury, Louis & Ahnert
   2022), cached to HDF5 (reused when the settings match).
2. Build every phenotype's neutral set and genotype networks
   (:func:`alife.neutral.networks_from_table`).
3. Measure: number of phenotypes and unfolded fraction (the published RNA12
   figures), Wagner's four measures and his two correlations, robustness vs
   log frequency and rho_p / f_p, per-network measures, Cowperthwaite's
   evolvability.
4. Write ``results.json``, ``phenotypes.csv`` and ``rna.png`` into ``--out``
   and print a Markdown summary (pasted into RESULTS.md).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from alife.gpmap.rna import (RNA12_PUBLISHED, TableRNAMap, fold_all, load_fold_cache,
                             save_fold_cache)
from alife.neutral import measures as M
from alife.neutral import networks_from_table
from alife.nca.phenotype import new_figure

HERE = Path(__file__).resolve().parent


def run(L: int = 12, out=HERE, cache=None, workers: int = 2) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(cache) if cache else Path("out/rna") / f"rna{L}_fold.h5"
    t0 = time.perf_counter()
    try:
        table = load_fold_cache(cache, L=L)
        fold_s, cached = 0.0, True
    except FileNotFoundError:
        table = fold_all(L, n_workers=workers)
        save_fold_cache(cache, table)
        fold_s, cached = table.seconds, False
    t1 = time.perf_counter()
    gmap = TableRNAMap(table)
    nets = networks_from_table(gmap.space, table.ids, labeler=gmap.label)
    pm = M.phenotype_measures(nets)
    cm = M.component_measures(nets)
    wc = M.wagner_correlations(nets, max_genotypes=None)
    rf = M.robustness_frequency(pm.robustness, pm.frequency)
    t2 = time.perf_counter()
    labels = [gmap.label(int(p)) for p in pm.phenotype]
    order = np.argsort(-pm.size, kind="stable")
    res = {
        "L": L, "genotypes": int(nets.n_genotypes),
        "viennarna": table.viennarna_version, "settings": table.settings.to_dict(),
        "n_structures_folded": int(table.n_phenotypes),
        "n_phenotypes_with_unfolded": int(table.n_phenotypes) + 1,
        "unfolded_fraction": float(nets.n_undefined) / nets.n_genotypes,
        "published": RNA12_PUBLISHED if L == 12 else None,
        "n_genotype_networks": int(nets.n_components),
        "wagner": wc,
        "robustness_vs_log10_frequency": {k: v for k, v in rf.items() if k != "ratio"},
        "rho_over_f_median": float(np.nanmedian(rf["ratio"])),
        "rho_over_f_min": float(np.nanmin(rf["ratio"])),
        "seconds": {"fold": fold_s, "fold_cached": cached, "load_or_fold": t1 - t0,
                    "networks_and_measures": t2 - t1},
    }
    (out / "results.json").write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    with open(out / "phenotypes.csv", "w") as f:
        f.write("structure,size,frequency,n_networks,largest_network,R,E,E_cowperthwaite,"
                "rho_over_f\n")
        for i in order:
            f.write(f"{labels[i]},{pm.size[i]},{pm.frequency[i]:.6g},{pm.n_components[i]},"
                    f"{pm.largest_component[i]},{pm.robustness[i]:.6f},{pm.evolvability[i]},"
                    f"{pm.evolvability_cowperthwaite[i]:.6f},{rf['ratio'][i]:.6g}\n")
    _figure(pm, cm, nets, out / "rna.png", L)
    return res


def _figure(pm, cm, nets, path, L):
    fig = new_figure((13, 3.8))
    ax = fig.add_subplot(1, 3, 1)
    ax.scatter(np.log10(pm.frequency), pm.robustness, s=10)
    ax.plot(np.log10(pm.frequency), pm.frequency, "k:", lw=0.8, label="null: R = f")
    ax.set_xlabel("log10 phenotype frequency f_p")
    ax.set_ylabel("phenotype robustness R(p)")
    ax.legend(fontsize=8)
    ax = fig.add_subplot(1, 3, 2)
    ax.scatter(pm.robustness, pm.evolvability, s=10)
    ax.set_xlabel("R(p)")
    ax.set_ylabel("E(p)")
    ax.set_title(f"RNA{L}: phenotypes")
    ax = fig.add_subplot(1, 3, 3)
    r = M.genotype_robustness(nets)
    e = M.genotype_evolvability(nets)
    idx = np.flatnonzero(nets.phenotype >= 0)
    idx = np.random.default_rng(0).choice(idx, min(20000, idx.size), replace=False)
    ax.scatter(r[idx], e[idx] + np.random.default_rng(1).uniform(-.2, .2, idx.size), s=2, alpha=.3)
    ax.set_xlabel("genotype robustness r(g)")
    ax.set_ylabel("genotype evolvability e(g)")
    ax.set_title("genotypes (20,000 sampled)")
    fig.savefig(path, dpi=100, bbox_inches="tight")


def markdown(res: dict) -> str:
    w = res["wagner"]
    rf = res["robustness_vs_log10_frequency"]
    pub = res["published"]
    lines = [
        f"| quantity | ours (RNA{res['L']}) | published |",
        "|---|---|---|",
        f"| phenotypes incl. unfolded | {res['n_phenotypes_with_unfolded']} | "
        f"{pub['N_p'] if pub else '—'} |",
        f"| unfolded fraction | {res['unfolded_fraction']:.5f} | {pub['f_del'] if pub else '—'} |",
        f"| genotype networks | {res['n_genotype_networks']:,} | |",
        f"| Spearman r(g) vs e(g) | {w['genotype_rho']:.3f} (n = {w['genotype_n']:,}) | negative |",
        f"| Spearman R(p) vs E(p) | {w['phenotype_rho']:.3f} (p = {w['phenotype_p']:.2g}, "
        f"n = {w['phenotype_n']}) | positive |",
        f"| R(p) vs log10 f_p | slope {rf['slope']:.3f}, Spearman {rf['spearman_rho']:.3f} | "
        f"grows ~ linearly |",
        f"| rho_p / f_p | median {res['rho_over_f_median']:.3g}, min {res['rho_over_f_min']:.3g} |"
        f" >> 1 |",
        f"| time | fold {res['seconds']['fold']:.0f} s"
        f"{' (cached)' if res['seconds']['fold_cached'] else ''}, networks + measures "
        f"{res['seconds']['networks_and_measures']:.0f} s | |",
    ]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--L", type=int, default=12)
    ap.add_argument("--out", default=str(HERE))
    ap.add_argument("--cache", help="fold cache (default out/rna/rnaL_fold.h5)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    res = run(args.L, args.out, args.cache, args.workers)
    print(markdown(res))
    return res


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
