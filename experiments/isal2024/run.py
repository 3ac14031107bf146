"""Per-layer neutrality of the multiscale NCA of Bielawski & Bongard (ISAL 2024), reproduced.

The study: take a random genome (the parent), redraw one gene of one chosen
layer from U(-1, 1) (the child), develop both, and call the pair neutral when
the two phenotypes are exactly equal -- degenerate (all-0 / all-1) phenotypes
included.  The fraction of neutral pairs per layer is the paper's measure.
The model is ``HNCASpec.preset("isal2024")``: 4 levels 64/32/16/8, one
channel, linear rule, rectified sigmoid, development seeded with one "on"
cell at the centre of the coarsest level, 99 updates, the phenotype the
coarsest level's final state > 0 (8 x 8 cells).

Conditions (``CONDITIONS``; each gets its own random stream):

* ``gecco2024`` -- (a) the reference protocol with the reference code's down
  links (``down_wiring="gecco2024"``: all four down weights read the top-left
  child at levels >= 2);
* ``children`` -- (b) the same with the model's down links (four children);
* (c) is not a separate run: the pairs of (a) and (b) whose parent has a
  non-degenerate phenotype;
* ``base_seed``, ``base_seed_children``, ``below_only``,
  ``below_only_children``, ``random_below``, ``random_maps`` -- (d) the wiring
  variants of the reference's branches (``alife.nca.wiring``): no input from
  above (with the reference's and the model's down links), and
  per-individual random links.  As in those branches, development starts
  from the centre of the base level (with the ISAL seed on the coarsest
  level, a below-only wiring never reaches the finer levels and their
  mutations are neutral by construction); ``base_seed*`` are the
  hierarchical controls with that seed.  Random links are kept only if an
  all-ones genome developed from the base seed reaches every level, the
  filter the reference applied to its random maps;
* ``evolved_gecco2024``, ``evolved_children`` -- (e) the final populations of
  AFPO runs (``alife.evolve.runner``) towards the 8 x 8 square, the paper's
  setting, as parents; ``--children`` children per parent and layer.

Every pair's parent is shared by the four layers (one child per layer), so
layers are compared on the same parents; within a layer the pairs are
independent.  Mutations use ``alife.evolve.mutation.resample`` on the chosen
level's mutable genes (one gene, uniform, redrawn from U(-1, 1)); phenotypes
come from ``alife.gpmap.hnca.HNCAMap.patterns``.

Usage::

    python experiments/isal2024/run.py --out out/isal2024              # full (see README)
    python experiments/isal2024/run.py --quick --out out/isal2024-quick  # seconds

Writes ``OUT/results.json`` (every count, interval and timing),
``OUT/summary.md`` (the tables of RESULTS.md), ``OUT/neutral_fractions.png``,
``OUT/changed_cells.png`` and the evolution runs ``OUT/runs/*.h5``.
An existing ``OUT/results.json`` is replaced only with ``--force``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from alife.config import ConfigError
from alife.evolve.config import dumps, from_dict
from alife.evolve.mutation import resample
from alife.evolve.runner import RunError, evolve
from alife.gpmap.hnca import HNCAMap
from alife.nca import HNCASpec, develop
from alife.nca.phenotype import degenerate
from alife.store import RunFile, RunFileError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402  (the experiment's tables and figures)

#: Root of every random stream of the experiment (``--seed``).
BASE_SEED = 2024

#: Parents per chunk: each chunk has its own generator (``SeedSequence.spawn``),
#: so the first chunks of a condition are the same whatever ``--pairs`` is.
CHUNK = 2048

#: Random-parent conditions: spec overrides on the isal2024 preset, which
#: size key gives their pair count, and whether random links must percolate.
_BASE = dict(seed_level=0)
CONDITIONS = {
    "gecco2024": dict(spec=dict(down_wiring="gecco2024"), size="pairs"),
    "children": dict(spec={}, size="pairs"),
    "base_seed": dict(spec=dict(_BASE, down_wiring="gecco2024"), size="variant_pairs"),
    "base_seed_children": dict(spec=dict(_BASE), size="variant_pairs"),
    "below_only": dict(spec=dict(_BASE, wiring="below_only", down_wiring="gecco2024"),
                       size="variant_pairs"),
    "below_only_children": dict(spec=dict(_BASE, wiring="below_only"), size="variant_pairs"),
    "random_below": dict(spec=dict(_BASE, wiring="random_below"), size="random_pairs",
                         percolate=True),
    "random_maps": dict(spec=dict(_BASE, wiring="random_maps"), size="random_pairs",
                        percolate=True),
}

#: Evolved-parent conditions: the [model] down_wiring of their AFPO runs.
EVOLVED = {"evolved_gecco2024": "gecco2024", "evolved_children": "children"}

#: Experiment sizes.  ``model`` overrides the preset (quick: a 32x32 base).
#: ``pairs``: (a) and (b); ``variant_pairs``: the fixed-link variants and their
#: controls (lanes kernel); ``random_pairs``: the random-link variants (the
#: slower mapped kernel), all per layer.  The full sizes keep the whole
#: experiment under 20 minutes on 2 cores (README: measured runtime).
SIZES = {
    "full": dict(model={}, pairs=100_000, variant_pairs=20_000, random_pairs=10_000, runs=2,
                 pop_size=100, n_newcomers=20, generations=150, children=50),
    "quick": dict(model={"base_size": 32}, pairs=300, variant_pairs=150, random_pairs=100,
                  runs=1, pop_size=12, n_newcomers=2, generations=4, children=3),
}

#: The published numbers: the reference notebook ``parent_child_by_layer.ipynb``
#: (github.com/ngaylinn/mocs-final, main, committed 2024-04-06 and unchanged
#: since), outputs stored in the notebook: cell 18 prints the fractions of
#: 100,000 pairs per layer with the same phenotype; cells 14 and 15 plot the
#: mean number of changed output cells (all pairs / changed pairs only); cell
#: 13 prints the layer-0 histogram of changed cells (10 bins over 0..64).
PUBLISHED = {
    "source": "parent_child_by_layer.ipynb (reference repository, 2024-04-06), stored outputs",
    "n": 100_000,
    "neutral_fraction": [0.96535, 0.92972, 0.81288, 0.51114],
    "mean_changed": [0.65, 1.43, 4.32, 12.06],
    "mean_changed_if_changed": [18.84, 20.38, 23.10, 24.66],
    "layer0_histogram": [97208, 622, 651, 462, 441, 394, 104, 65, 28, 25],
}


# --------------------------------------------------------------------------- #
# the protocol
# --------------------------------------------------------------------------- #
def level_columns(spec: HNCASpec, level: int) -> np.ndarray:
    """Indices of the mutable genes of one level (the genes a layer mutation may hit)."""
    lv = spec.layout.levels[level]
    cols = np.arange(lv.start, lv.stop)
    return cols[spec.layout.mutable[cols]]


def percolates(spec: HNCASpec, genomes: np.ndarray) -> np.ndarray:
    """(P,) bool: with every weight 1 and a seed at the base level's centre,
    does development reach every level within the spec's steps?

    The reference's test of random maps (all-ones genotypes from its default
    seed; a map is kept if every layer is non-zero at some step).  With
    weights 1 and the rectified sigmoid a cell that is on stays on (its own
    state feeds it with weight 1), so the final state decides.
    """
    ones = np.array(genomes, np.float32, copy=True)
    ones[:, spec.layout.mutable] = 1.0
    out = develop(spec.replace(seed_level=0, seed_cell=None), ones)
    return np.all([(s != 0).reshape(len(ones), -1).any(axis=1) for s in out.states], axis=0)


def draw_parents(spec: HNCASpec, n: int, rng: np.random.Generator, percolate: bool):
    """``n`` random parents; with ``percolate``, only ones whose links percolate.

    Returns (parents (n, D) float32, candidates tested, candidates that percolated)."""
    if not percolate:
        return spec.random_genomes(n, rng), n, n
    kept, have, tested = [], 0, 0
    while have < n:
        G = spec.random_genomes(max(64, 2 * (n - have)), rng)
        ok = G[percolates(spec, G)]
        tested += len(G)
        kept.append(ok)
        have += len(ok)
    return np.concatenate(kept)[:n], tested, have


def mutate_level(spec: HNCASpec, parents: np.ndarray, level: int, rng) -> np.ndarray:
    """Children: one mutable gene of ``level`` redrawn from U(-1, 1) (the
    ``resample`` operator on that level's genes)."""
    cols = level_columns(spec, level)
    sub, _ = resample(np.ascontiguousarray(parents[:, cols]), rng, n_genes=1)
    kids = parents.copy()
    kids[:, cols] = sub
    return kids


def pair_outcomes(hmap: HNCAMap, parents: np.ndarray, rng, copies: int = 1) -> dict:
    """Develop ``parents`` and, per level, ``copies`` children of each.

    Returns a dict with ``changed`` (L, copies, P) int: output cells that
    differ from the parent (0 = neutral), ``child_degenerate`` (L, copies, P)
    and ``parent_degenerate`` (P,) bool.
    """
    spec = hmap.spec
    L, P = spec.levels, len(parents)
    kids = [mutate_level(spec, np.tile(parents, (copies, 1)), lvl, rng) for lvl in range(L)]
    pats = hmap.patterns(np.concatenate([parents] + kids))
    par, ch = pats[:P], pats[P:].reshape(L, copies, P, *pats.shape[1:])
    changed = (ch != par[None, None]).reshape(L, copies, P, -1).sum(axis=-1)
    return {"changed": changed, "parent_degenerate": degenerate(par),
            "child_degenerate": degenerate(ch.reshape(-1, *pats.shape[1:])).reshape(L, copies, P)}


def _counts(changed: np.ndarray, keep: np.ndarray | None, n_cells: int) -> dict:
    """Neutral count, pair count and changed-cell histogram of one level's pairs."""
    c = changed if keep is None else changed[keep]
    return {"k": int((c == 0).sum()), "n": int(c.size),
            "hist": np.bincount(c.ravel(), minlength=n_cells + 1).tolist()}


def _merge(acc: dict | None, new: dict) -> dict:
    if acc is None:
        return new
    return {"k": acc["k"] + new["k"], "n": acc["n"] + new["n"],
            "hist": [a + b for a, b in zip(acc["hist"], new["hist"])]}


def random_condition(name: str, spec: HNCASpec, n_pairs: int, ss: np.random.SeedSequence,
                     percolate: bool) -> dict:
    """Per-level counts for ``n_pairs`` random parents (all / non-degenerate)."""
    hmap = HNCAMap(spec)
    n_cells = spec.sizes[spec.output_level] ** 2
    n_chunks = -(-n_pairs // CHUNK)
    per_all, per_nd = [None] * spec.levels, [None] * spec.levels
    tested = passed = 0
    t = time.perf_counter()
    for c, css in enumerate(ss.spawn(n_chunks)):
        rng = np.random.default_rng(css)
        parents, d, k = draw_parents(spec, min(CHUNK, n_pairs - c * CHUNK), rng, percolate)
        tested, passed = tested + d, passed + k
        out = pair_outcomes(hmap, parents, rng)
        nd = ~out["parent_degenerate"]
        for lvl in range(spec.levels):
            ch = out["changed"][lvl, 0]
            per_all[lvl] = _merge(per_all[lvl], _counts(ch, None, n_cells))
            per_nd[lvl] = _merge(per_nd[lvl], _counts(ch, nd, n_cells))
    return {"name": name, "spec": _spec_dict(spec), "pairs_per_layer": n_pairs,
            "candidates_tested": tested, "candidates_kept": passed,
            "levels": per_all, "levels_nondegenerate_parent": per_nd,
            "seconds": time.perf_counter() - t}


def _spec_dict(spec: HNCASpec) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in spec.to_dict().items()}


# --------------------------------------------------------------------------- #
# evolved parents
# --------------------------------------------------------------------------- #
def evolve_config(name: str, down_wiring: str, run: int, size: dict, seed: int):
    words = [seed, *name.encode(), run]
    run_seed = int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0] >> np.uint64(1))
    data = {
        "seed": run_seed,
        "generations": size["generations"],
        "model": {"preset": "isal2024", "down_wiring": down_wiring, **size["model"]},
        "task": {"target": "square"},
        "algorithm": {"name": "afpo", "pop_size": size["pop_size"],
                      "n_newcomers": size["n_newcomers"]},
        "mutation": {"name": "resample"},
    }
    return from_dict(data, name=f"{name}-{run}")


def evolved_condition(name: str, down_wiring: str, size: dict, out: Path, seed: int,
                      ss: np.random.SeedSequence) -> dict:
    """AFPO runs (resumed or reused if already in ``out/runs``), then the
    per-layer neutrality of their final populations, ``size['children']``
    children per parent and layer."""
    t = time.perf_counter()
    parents, best = [], []
    (out / "runs").mkdir(parents=True, exist_ok=True)
    for run in range(size["runs"]):
        cfg = evolve_config(name, down_wiring, run, size, seed)
        path = out / "runs" / f"{name}-{run}.h5"
        done = False
        if path.exists():
            with RunFile.open(path, "r") as rf:
                if rf.config_toml != dumps(cfg):
                    raise RunError(f"{path} was written by a different config (other sizes or "
                                   "seed?); use a new --out")
                done = rf.status == "done"
        if not done:
            evolve(cfg, path, progress=False)
        with RunFile.open(path, "r") as rf:
            parents.append(rf.read("genomes", -1))
            best.append(float(rf.read("loss", -1).min()))
    spec = cfg.spec()
    t_evolve = time.perf_counter() - t
    P = np.concatenate(parents)
    runs = np.repeat(np.arange(len(parents)), [len(p) for p in parents])
    out_ = pair_outcomes(HNCAMap(spec), P, np.random.default_rng(ss), copies=size["children"])
    neutral = (out_["changed"] == 0).mean(axis=1)           # (L, P) per-parent fraction
    n_cells = spec.sizes[spec.output_level] ** 2
    levels = [_counts(out_["changed"][lvl], None, n_cells) for lvl in range(spec.levels)]
    boot = report.bootstrap_over(neutral, np.random.default_rng(ss.spawn(1)[0]))
    return {"name": name, "spec": _spec_dict(spec), "runs": size["runs"],
            "parents": int(len(P)), "distinct_parents": int(len(np.unique(P, axis=0))),
            "children_per_parent_and_layer": size["children"],
            "final_best_loss": best, "parent_degenerate_fraction":
            float(out_["parent_degenerate"].mean()), "levels": levels,
            "parent_bootstrap_95": boot,
            "per_run_fraction": [[float(neutral[lvl, runs == r].mean()) for r in
                                  range(len(parents))] for lvl in range(spec.levels)],
            "seconds_evolution": t_evolve, "seconds": time.perf_counter() - t}


# --------------------------------------------------------------------------- #
# command line
# --------------------------------------------------------------------------- #
def _positive(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return v


def parse(argv):
    p = argparse.ArgumentParser(description="Per-layer neutrality of the ISAL 2024 multiscale "
                                            "NCA: reference protocol, correct wiring, variants, "
                                            "evolved genomes.")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--quick", action="store_true", help="tiny sizes on a 32x32 base (seconds)")
    p.add_argument("--force", action="store_true", help="replace an existing OUT/results.json")
    p.add_argument("--seed", type=int, default=BASE_SEED, help=f"root seed (default {BASE_SEED})")
    for key, help_ in (("pairs", "pairs per layer for (a) gecco2024 and (b) children"),
                       ("variant_pairs", "pairs per layer for each fixed-link variant (d)"),
                       ("random_pairs", "pairs per layer for each random-link variant (d)"),
                       ("runs", "AFPO runs per evolved condition (e)"),
                       ("pop_size", "AFPO population size"),
                       ("generations", "AFPO generations"),
                       ("children", "children per evolved parent and layer")):
        p.add_argument("--" + key.replace("_", "-"), type=_positive, default=None,
                       help=f"{help_} (default: full {SIZES['full'][key]}, "
                            f"quick {SIZES['quick'][key]})")
    args = p.parse_args(argv)
    if args.seed < 0:
        p.error(f"--seed must be >= 0, got {args.seed}")
    size = dict(SIZES["quick" if args.quick else "full"])
    for key in ("pairs", "variant_pairs", "random_pairs", "runs", "pop_size", "generations",
                "children"):
        if getattr(args, key) is not None:
            size[key] = getattr(args, key)
    return args, size


def main(argv=None) -> int:
    args, size = parse(argv)
    out = args.out
    if (out / "results.json").exists() and not args.force:
        print(f"error: {out / 'results.json'} exists; use --force to replace it or a new --out",
              file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    root = np.random.SeedSequence(args.seed)
    streams = dict(zip(list(CONDITIONS) + list(EVOLVED), root.spawn(len(CONDITIONS) + len(EVOLVED))))
    given = sys.argv[1:] if argv is None else list(argv)
    results = {"command": " ".join(["python experiments/isal2024/run.py", *given]),
               "seed": args.seed, "size": size, "published": PUBLISHED, "conditions": {},
               "numba_threads": int(os.environ.get("NUMBA_NUM_THREADS", "0")) or None}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, c in CONDITIONS.items():
            spec = HNCASpec.preset("isal2024", **size["model"], **c["spec"])
            r = random_condition(name, spec, size[c["size"]], streams[name],
                                 c.get("percolate", False))
            results["conditions"][name] = r
            print(f"{name}: {r['pairs_per_layer']} pairs per layer, {r['seconds']:.0f} s", flush=True)
        for name, dw in EVOLVED.items():
            r = evolved_condition(name, dw, size, out, args.seed, streams[name])
            results["conditions"][name] = r
            print(f"{name}: {r['parents']} parents, {r['seconds']:.0f} s", flush=True)
    except (ConfigError, RunError, RunFileError, OSError, ValueError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    results["seconds_total"] = time.perf_counter() - t0
    report.add_statistics(results)
    tmp = out / "results.json.tmp"
    tmp.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, out / "results.json")
    (out / "summary.md").write_text(report.summary_markdown(results), encoding="utf-8")
    report.figures(results, out)
    print(f"done in {results['seconds_total']:.0f} s: {out / 'results.json'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
