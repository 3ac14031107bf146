"""Neutral networks around evolved and random Bielawski HNCAs.

    python experiments/hnca_neutral/run.py                 # the full experiment (~10 min)
    python experiments/hnca_neutral/run.py --quick --out D # the small version the tests run

1. Evolve the Bielawski HNCA (AFPO, resample mutation) towards square,
   diamond and hollow circle: one real run per target (``alife evolve``'s
   runner, run files in ``--work``).
2. For the best genotype of each run, and for as many random genotypes
   with a non-degenerate phenotype, grow the neutral network of its
   phenotype by BFS with a budget of ``--evaluations`` phenotype evaluations
   (continuous genes, m resamples per gene as the neighbourhood), walk it
   with neutral random walkers, and measure it (``alife neutral``'s runner,
   one NET.h5 per seed).
   When the search ends early (the network is tiny: no neutral neighbour
   among the sampled resamples), the rest of the budget probes the seed's
   neighbourhood densely: ``(budget - used) // n_genes`` resamples of every
   gene (:func:`alife.gpmap.hnca.robustness_profile`), so every seed gets at
   least the budget of evaluations and an estimate of r(g) from them.
3. Compare evolved with random: network size found, R, E, the walkers'
   acceptance and reach, per-gene robustness profiles and mutation classes.

Writes ``results.json``, ``profiles.png`` and the NET.h5 files; prints the
Markdown table that RESULTS.md quotes.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from alife.evolve.config import loads
from alife.evolve.runner import evolve
from alife.nca.phenotype import new_figure
from alife.neutral.config import loads_neutral
from alife.neutral.run import run_neutral
from alife.store import read_results

HERE = Path(__file__).resolve().parent
TARGETS = ("square", "diamond", "hollow_circle")

EVOLVE = """
seed = {seed}
generations = {generations}
[model]
preset = "bielawski"
[task]
target = "{target}"
[algorithm]
name = "afpo"
pop_size = {pop}
n_newcomers = 2
[mutation]
name = "resample"
"""

NEUTRAL = """
seed = {seed}
[map]
kind = "hnca"
m = {m}
[model]
preset = "bielawski"
[task]
target = "{target}"
[seeds]
{seeds}
[build]
method = "bfs"
max_nodes = {max_nodes}
max_evaluations = {evaluations}
walks = {walks}
walk_steps = {walk_steps}
[measures]
path_sources = 32
"""

FULL = dict(generations=500, pop=200, evaluations=100_000, max_nodes=100_000, m=4, walks=16,
            walk_steps=200)
QUICK = dict(generations=6, pop=20, evaluations=1_500, max_nodes=2_000, m=2, walks=2,
             walk_steps=5)


def run(out=HERE, work=None, quick: bool = False) -> dict:
    p = QUICK if quick else FULL
    out = Path(out)
    work = Path(work) if work else Path("out/hnca_neutral")
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    t0 = time.perf_counter()
    for i, target in enumerate(TARGETS):
        run_path = work / f"evolve_{target}.h5"
        cfg = loads(EVOLVE.format(seed=i, target=target, **p))
        s = evolve(cfg, run_path, force=True, progress=False)
        for kind, seeds in (("evolved", f'run = "{run_path.resolve()}"\nbest = 1'),
                            ("random", "random = 1")):
            text = NEUTRAL.format(seed=100 + i, target=target, seeds=seeds, **p)
            net_path = work / f"net_{kind}_{target}.h5"
            summary = run_neutral(loads_neutral(text), net_path, force=True,
                                  figs=work / f"figs_{kind}_{target}")
            _, arrays = read_results(net_path)
            n = summary["networks"][0]
            dense = None
            left = p["evaluations"] - n["n_evaluations"]
            if left >= 2 * 51:
                dense = _dense_probe(text, arrays["networks/0/genotypes"][0], left // 51, 200 + i)
            rows.append({"kind": kind, "target": target,
                         "evolved_best_loss": float(s["best_loss"][-1]) if kind == "evolved" else None,
                         "nodes_found": n["size"], "expanded": n["n_expanded"],
                         "complete": n["complete"], "R": n["robustness"], "E": n["evolvability"],
                         "E_cowperthwaite": n["evolvability_cowperthwaite"],
                         "undefined_fraction": n["undefined_fraction"],
                         "evaluations": n["n_evaluations"],
                         "walk_acceptance": n.get("walk_acceptance"),
                         "walk_final_distance": n.get("walk_final_distance_mean"),
                         "diameter": n.get("diameter"), "mean_path_length": n.get("mean_path_length"),
                         "mutation_classes": summary["mutation_classes"],
                         "dense_probe": dense,
                         "profile": arrays["profile/robustness"][0].tolist(),
                         "gene_names": arrays["profile/gene_names"]})
    res = {"params": p, "rows": rows, "seconds": time.perf_counter() - t0}
    (out / "results.json").write_text(json.dumps(res, indent=1) + "\n")
    _figure(rows, out / "profiles.png")
    return res


def _dense_probe(text, seed_genotype, m, seed):
    """r(g) of one genotype from ``m`` resamples of every gene (51 m evaluations)."""
    from alife.gpmap.hnca import robustness_profile
    gmap = loads_neutral(text).gpmap()
    prof = robustness_profile(gmap, seed_genotype[None], np.random.default_rng(seed), m=m)
    return {"m": int(m), "evaluations": int(gmap.n_evaluations), "r": float(prof.mean()),
            "genes_with_a_neutral_resample": int((prof > 0).sum())}


def _figure(rows, path):
    names = rows[0]["gene_names"]
    fig = new_figure((12, 4))
    ax = fig.add_subplot()
    x = np.arange(len(names))
    for kind, colour in (("evolved", "C0"), ("random", "C3")):
        prof = np.array([r["profile"] for r in rows if r["kind"] == kind])
        for row in prof:
            ax.plot(x, row, color=colour, alpha=0.25, lw=0.8)
        ax.plot(x, prof.mean(axis=0), color=colour, lw=2, label=f"{kind} (mean of {len(prof)})")
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=90, fontsize=6)
    ax.set_ylabel("fraction of resamples keeping the phenotype")
    ax.set_ylim(0, 1)
    ax.legend()
    ax.set_title("per-gene robustness of evolved vs random Bielawski HNCAs")
    fig.savefig(path, dpi=100, bbox_inches="tight")


def markdown(res: dict) -> str:
    head = ("| genotype | target | nodes found (expanded) | evaluations | R | E | E_C | "
            "walk acceptance | walk distance | dense probe: r(g) (resamples per gene, genes with "
            "a neutral one) | silent / cryptic / deleterious / beneficial / neutral-changed |")
    lines = [head, "|" + "---|" * 11]
    for r in res["rows"]:
        mc = r["mutation_classes"]
        classes = " / ".join(str(mc.get(k, 0)) for k in
                             ("silent", "cryptic", "deleterious", "beneficial", "neutral_changed"))
        loss = f" (loss {r['evolved_best_loss']:g})" if r["evolved_best_loss"] is not None else ""
        d = r["dense_probe"]
        dense = (f"{d['r']:.4f} ({d['m']:,}, {d['genes_with_a_neutral_resample']})" if d else "—")
        total = r["evaluations"] + (d["evaluations"] if d else 0)
        lines.append(f"| {r['kind']}{loss} | {r['target']} | {r['nodes_found']:,} ({r['expanded']:,}) | "
                     f"{total:,} | {r['R']:.3f} | {r['E']:,} | "
                     f"{r['E_cowperthwaite']:.3f} | {r['walk_acceptance']:.3f} | "
                     f"{r['walk_final_distance']:.2f} | {dense} | {classes} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(HERE))
    ap.add_argument("--work", help="folder for run files and NET.h5 (default out/hnca_neutral)")
    args = ap.parse_args(argv)
    res = run(args.out, args.work, args.quick)
    print(markdown(res))
    print(f"\n{res['seconds']:.0f} s", file=sys.stderr)
    return res


if __name__ == "__main__":
    main()
