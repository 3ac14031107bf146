"""Pairs of HNCA genotypes with the same phenotype: are they neutrally connected?

Two sources of pairs (``docs/concepts/mode-connectivity.md`` and
``docs/concepts/neutral-networks.md``):

(a) **evolved**: independent runs (different seeds) of the Bielawski HNCA
    (4 levels, 1 channel, linear rule, 51 genes) at base 8, 10 steps, on the
    diamond target, each 100 neutral (1+1) hill climbers (``hillclimb``,
    resample mutation: a child replaces its climber when its loss is not
    worse) for 1000 generations; the run's best genome is its lowest-loss
    climber.  Most runs reach loss 0 (the target itself is their phenotype),
    so pairs of different runs are the normal case.  Runs are grouped by the
    phenotype of their best genomes (loss-0 groups first, then any other
    shared phenotype), and pairs are picked so that as many different runs as
    possible are used.  Fallback, when no two runs share a phenotype (quick
    mode): see :func:`_fallback_pair` (two genomes of the best run's final
    population, else the lowest-loss phenotype shared by two final-population
    genomes of any runs; ``same_run`` marks a pair that is not independent).
    Why this setup: at base 16, 20 steps, square target, AFPO pop 100 x 1000
    generations only 1 of 32 runs reached loss 0 (see HNCA_PAIRS.md for the
    success rates measured).
(b) **trained**: :func:`alife.bridge.hnca_train.train_hnca` with different
    seeds on a small residual MLP-rule HNCA (2 levels, 2 channels, 8 hidden
    units, bias; same base size, steps and target as (a)); runs whose
    Numba-developed phenotype equals the target are paired.

For every pair (g_A, g_B):

* ``neutral_path``: the continuous guided walk of
  :func:`alife.neutral.neutral_path` on :class:`alife.gpmap.hnca.HNCAMap`
  under an evaluation budget: found or not, its number of steps and its
  Euclidean length (vs ``distance`` = ‖g_B − g_A‖), the evaluations it used
  and why it stopped (``path_stop``: found / budget / max_steps).  Each step
  of the walk sets one differing gene to its value in g_B (the neutral one
  that closes the largest gap), else moves one gene a random part of the
  way, else resamples one random gene neutrally (a detour); it gives up
  after ``path_max_steps`` steps (None: the library default 50 L, L genes) or
  when the next step could overrun ``path_evaluations``;
* ``line``: the fraction of 61 equally spaced points of the straight line
  (1−t)g_A + t g_B whose phenotype (Numba ``develop``) is the endpoints';
* ``curve``: the same along a one-bend Bezier curve (:class:`BezierPath` over
  :class:`HNCAModel`) whose bend is trained with :func:`train_curve` on the
  differentiable surrogate (:func:`surrogate_loss`), Adam;
* ``internal``: distance between the endpoints' internal (non-output) level
  states after development: RMS difference and fraction of cells whose
  binarised (> threshold) channel-0 state differs, averaged over the
  non-output levels; ``internal_rel`` = RMS difference / RMS state.

Run ``python experiments/bridge/hnca_pairs.py [--quick] [--work DIR] [--out DIR]``;
prints a table, and writes ``hnca_pairs.json`` into ``--out`` when given.
"""
from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.func import functional_call

from alife.bridge.hnca_train import mismatch_loss, surrogate_loss, train_hnca
from alife.bridge.models import HNCAModel
from alife.bridge.paths import BezierPath, LinearPath, train_curve
from alife.evolve.config import dumps, loads
from alife.evolve.runner import evolve
from alife.gpmap.hnca import HNCAMap
from alife.nca import HNCASpec, develop
from alife.neutral import neutral_path, staircase_path
from alife.store import RunFile
from alife.tasks import target as make_target

HERE = Path(__file__).resolve().parent

EVOLVE = """
seed = {seed}
generations = {generations}
[model]
preset = "bielawski"
base_size = {base}
steps = {steps}
[task]
target = "{target}"
[algorithm]
name = "{algorithm}"
pop_size = {pop}
{algorithm_extra}
[mutation]
name = "{mutation}"
"""

# Evolved and trained HNCAs share base, steps and target.  Success rates of
# the evolution setup (best genome at loss 0, base 8, 10 steps, diamond),
# measured on seed batches before settling on it (HNCA_PAIRS.md):
# hillclimb 100 x 1000 generations 5/6 (and 2/6 with 500 generations), AFPO
# pop 100 x 500 generations 5/12, x 1000 generations 0/6; the square target
# at base 8 reached loss 0 in 1/12 AFPO runs, and base 16 / 20 steps / square
# in 1/32 (AFPO pop 100 x 1000 generations).
FULL = dict(base=8, steps=10, target="diamond", algorithm="hillclimb", mutation="resample",
            generations=1000, pop=100, evo_seeds=12,
            train_seeds=6, train_iterations=300, max_pairs=6, path_evaluations=100_000,
            path_max_steps=None,
            curve_epochs=300, curve_lr=0.02, temperature=0.1, n_points=61)
QUICK = dict(base=8, steps=10, target="diamond", algorithm="hillclimb", mutation="resample",
             generations=15, pop=20, evo_seeds=2,
             train_seeds=2, train_iterations=120, max_pairs=1, path_evaluations=600,
             path_max_steps=None,
             curve_epochs=20, curve_lr=0.02, temperature=0.1, n_points=61)


def _evolve_config(p, seed: int):
    extra = "n_newcomers = 2" if p["algorithm"] == "afpo" else ""
    return loads(EVOLVE.format(seed=seed, algorithm_extra=extra, **p))


def evolved_spec(p) -> HNCASpec:
    return HNCASpec.preset("bielawski", base_size=p["base"], steps=p["steps"])


def trained_spec(p) -> HNCASpec:
    return HNCASpec(levels=2, base_size=p["base"], channels=2, hidden=8, bias=True,
                    hidden_activation="relu", output_activation="identity",
                    update="residual", steps=p["steps"], init_scale=0.1)


# --------------------------------------------------------------------- pairs
def _pick_pairs(candidates: list, n: int) -> list:
    """Up to ``n`` of ``candidates`` (already in order of preference), first
    those whose two runs are both still unused, then the rest in order."""
    used, out = set(), []
    for c in candidates:
        if len(out) < n and not ({c["run_a"], c["run_b"]} & used):
            out.append(c)
            used |= {c["run_a"], c["run_b"]}
    for c in candidates:
        if len(out) < n and all(c is not o for o in out):
            out.append(c)
    return out


def _fallback_pair(gm: HNCAMap, bests: list) -> list:
    """One pair when no two runs' best genomes share a phenotype.

    First two distinct genomes of the best run's final population with the
    best genome's phenotype, the most distant one from the best genome (an
    AFPO population carries such copies); failing that (independent hill
    climbers rarely share one), the lowest-loss phenotype shared by two
    distinct genomes of any final populations, preferring genomes of two
    different runs.  ``same_run`` marks a pair from one run."""
    k = int(np.argmin([b[1] for b in bests]))
    seed, bl, g0, gs, ls = bests[k]
    pid = gm.phenotypes(gs)
    same = np.flatnonzero((pid == pid[0]) & (pid >= 0))
    if same.size > 1:
        d = np.linalg.norm(gs[same] - g0[None], axis=1)
        j = same[int(np.argmax(d))]
        if d.max() > 0:
            return [{"a": g0, "b": gs[j], "label": f"evo s{seed} same-run", "loss": bl,
                     "same_run": True, "run_a": seed, "run_b": seed}]
    g = np.concatenate([b[3] for b in bests])
    ls = np.concatenate([b[4] for b in bests])
    run = np.concatenate([np.full(len(b[3]), b[0]) for b in bests])
    pid = gm.phenotypes(g)
    best = None
    for q in np.unique(pid[pid >= 0]):
        idx = np.flatnonzero(pid == q)
        idx = idx[np.unique(g[idx], axis=0, return_index=True)[1]]  # distinct genomes
        if idx.size < 2:
            continue
        idx = idx[np.argsort(run[idx], kind="stable")]
        i, j = idx[0], idx[-1]  # two different runs when the group spans several
        key = (float(ls[i]), run[i] == run[j])
        if best is None or key < best[0]:
            best = (key, i, j)
    if best is None:
        return []
    _, i, j = best
    sr = bool(run[i] == run[j])
    return [{"a": g[i], "b": g[j], "loss": float(ls[i]), "same_run": sr,
             "label": f"evo s{run[i]}" + (" same-run pop" if sr else f"-s{run[j]} pop"),
             "run_a": int(run[i]), "run_b": int(run[j])}]


def evolved_pairs(p, work: Path) -> tuple[list, dict]:
    """Best genomes of independent evolution runs, paired by phenotype."""
    spec = evolved_spec(p)
    gm = HNCAMap(spec)
    bests, info = [], []
    for seed in range(p["evo_seeds"]):
        cfg = _evolve_config(p, seed)
        path = work / f"evolve_{seed}.h5"
        t0 = time.perf_counter()
        reused = RunFile.is_finished(path, dumps(cfg))
        if not reused:  # a finished run of this config in ``work`` is reused
            evolve(cfg, path, force=True, progress=False)
        with RunFile.open(path) as rf:
            loss = rf.read("loss", -1)
            genomes = rf.read("genomes", -1)
        order = np.argsort(loss, kind="stable")
        bests.append((seed, float(loss[order[0]]), genomes[order[0]], genomes[order], loss[order]))
        info.append({"seed": seed, "best_loss": float(loss[order[0]]),
                     "n_at_best_loss": int(np.sum(loss == loss[order[0]])),
                     "seconds": time.perf_counter() - t0, "reused": reused})
    ids = gm.phenotypes(np.stack([b[2] for b in bests]))
    for r, pid in zip(info, ids):
        r["phenotype"] = int(pid)
    cands = []
    for (i, a), (j, b) in itertools.combinations(enumerate(bests), 2):
        if ids[i] == ids[j] and ids[i] >= 0:
            cands.append({"a": a[2], "b": b[2], "label": f"evo s{a[0]}-s{b[0]}",
                          "loss": a[1], "same_run": False, "run_a": a[0], "run_b": b[0]})
    cands.sort(key=lambda d: d["loss"])  # stable: loss-0 (target) pairs first
    pairs = _pick_pairs(cands, p["max_pairs"])
    if not pairs:
        pairs = _fallback_pair(gm, bests)
    groups: dict = {}
    for r in info:
        groups.setdefault(r["phenotype"], []).append(r["seed"])
    summary = {"n_runs": len(info), "n_loss0": sum(r["best_loss"] == 0 for r in info),
               "n_independent_pairs_available": len(cands),
               "shared_phenotypes": [{"phenotype": k, "seeds": v,
                                      "loss": info[v[0]]["best_loss"]}
                                     for k, v in groups.items() if len(v) > 1 and k >= 0]}
    return pairs, {"runs": info, "summary": summary, "spec": spec.to_dict(),
                   "config": dumps(_evolve_config(p, 0))}


def trained_pairs(p) -> tuple[list, dict]:
    """Gradient-trained genomes (different seeds) whose phenotype is the target."""
    spec = trained_spec(p)
    tgt = make_target(p["target"], spec.sizes[spec.output_level])
    good, info = [], []
    for seed in range(p["train_seeds"]):
        t0 = time.perf_counter()
        g = train_hnca(spec, tgt, seed=seed, iterations=p["train_iterations"], lr=0.01,
                       temperature=p["temperature"])
        ml = mismatch_loss(spec, g, tgt)
        info.append({"seed": seed, "surrogate": float(min(g.history)),
                     "iterations": len(g.history) - 1, "mismatch": ml,
                     "seconds": time.perf_counter() - t0})
        if ml == 0:
            good.append((seed, np.asarray(g, np.float32)))
    pairs = [{"a": a[1], "b": b[1], "label": f"sgd s{a[0]}-s{b[0]}", "loss": 0.0,
              "same_run": False, "run_a": a[0], "run_b": b[0]}
             for a, b in itertools.combinations(good, 2)]
    return _pick_pairs(pairs, p["max_pairs"]), {"runs": info, "spec": spec.to_dict()}


# ------------------------------------------------------------------ measures
def internal_distance(spec: HNCASpec, a, b) -> dict:
    """Distance between the non-output level states of two developed genomes."""
    dev = develop(spec, np.stack([a, b]).astype(np.float32))
    rms, rel, flips = [], [], []
    for lvl, s in enumerate(dev.states):
        if lvl == spec.output_level:
            continue
        s = s.astype(np.float64)
        rms.append(float(np.sqrt(np.mean((s[0] - s[1]) ** 2))))
        scale = float(np.sqrt(0.5 * (np.mean(s[0] ** 2) + np.mean(s[1] ** 2))))
        rel.append(rms[-1] / scale if scale > 0 else 0.0)
        flips.append(float(np.mean((s[0, ..., 0] > spec.threshold)
                                   != (s[1, ..., 0] > spec.threshold))))
    if not rms:
        return {"internal_rms": float("nan"), "internal_rel": float("nan"),
                "internal_flip": float("nan")}
    return {"internal_rms": float(np.mean(rms)), "internal_rel": float(np.mean(rel)),
            "internal_flip": float(np.mean(flips)),
            "internal_rms_per_level": rms}


def fraction_kept(gm: HNCAMap, genomes: np.ndarray, pid: int) -> float:
    return float(np.mean(gm.phenotypes(np.asarray(genomes, np.float32)) == pid))


def endpoint_measures(gm: HNCAMap, g: np.ndarray, pid: int, rng: np.random.Generator) -> tuple:
    """Wagner's r(g) and e(g) of one genome from its sampled one-mutants
    (``gm.space.m`` uniform resamples of every gene): the fraction keeping
    phenotype ``pid`` and the number of distinct other defined phenotypes."""
    nb, _ = gm.neighbours(g[None], rng)
    ids = gm.phenotypes(nb[0])
    other = ids[(ids != pid) & (ids >= 0)]
    return float(np.mean(ids == pid)), int(np.unique(other).size)


def measure_pair(spec: HNCASpec, pair: dict, p, seed: int) -> dict:
    a, b = pair["a"].astype(np.float32), pair["b"].astype(np.float32)
    gm = HNCAMap(spec)
    pid = int(gm.phenotypes(a[None])[0])
    assert pid == int(gm.phenotypes(b[None])[0]), "pair endpoints differ in phenotype"
    ts = np.linspace(0.0, 1.0, p["n_points"])
    row = {"pair": pair["label"], "same_run": pair["same_run"], "n_genes": spec.n_genes,
           "loss": float(pair["loss"]), "distance": float(np.linalg.norm(a - b))}
    # neutral path (guided walk), under a budget
    t0 = time.perf_counter()
    ev0 = gm.n_evaluations
    path = neutral_path(gm, a, b, max_evaluations=p["path_evaluations"],
                        max_steps=p.get("path_max_steps"), rng=np.random.default_rng(seed))
    used = gm.n_evaluations - ev0
    row["path_found"] = path is not None
    row["path_evaluations"] = int(used)
    # the walk stops when the next step could overrun the budget (at most
    # 2 L + 1 evaluations a step), else after its 50 L steps
    row["path_stop"] = ("found" if path is not None else
                        "budget" if used + 2 * spec.n_genes + 1 > p["path_evaluations"]
                        else "max_steps")
    row["path_steps"] = None if path is None else int(len(path) - 1)
    row["path_length"] = (None if path is None else
                          float(np.linalg.norm(np.diff(path.astype(np.float64), axis=0),
                                               axis=1).sum()))
    row["path_seconds"] = time.perf_counter() - t0
    # straight line
    model = HNCAModel(spec, genome=a)
    ta, tb = {"genome": torch.from_numpy(a)}, {"genome": torch.from_numpy(b)}
    line = LinearPath(model, ta, tb)
    with torch.no_grad():
        pts = np.stack([line.params(float(t))["genome"].numpy() for t in ts])
    row["line_kept"] = fraction_kept(gm, pts, pid)
    # Bezier curve trained on the surrogate
    tgt = torch.from_numpy(develop(spec, a[None]).phenotypes[0].astype(np.float32))
    out_level = spec.output_level

    def loss_fn(params, batch):
        states = functional_call(model, params, ())
        return surrogate_loss(states[out_level][0, ..., 0], tgt, p["temperature"],
                              spec.threshold)

    t0 = time.perf_counter()
    curve = BezierPath(model, ta, tb, n_bends=1)
    # Adam moves every gene by about lr per step whatever the gradient's scale:
    # scale the rate to the endpoints' per-gene separation so the bend cannot
    # wander far beyond the pair's own scale
    lr = p["curve_lr"] * row["distance"] / np.sqrt(spec.n_genes)
    hist = train_curve(curve, loss_fn, [None], epochs=p["curve_epochs"], lr=lr,
                       seed=seed, batch_size=None, optimizer="adam")
    with torch.no_grad():
        cpts = np.stack([curve.params(float(t))["genome"].numpy() for t in ts])
    row["curve_kept"] = fraction_kept(gm, cpts, pid)
    # the curve as a mutational path: a staircase of one-gene moves along it
    t1 = time.perf_counter()
    cpts[0], cpts[-1] = a, b
    ev0 = gm.n_evaluations
    stair = staircase_path(gm, cpts, max_evaluations=p["path_evaluations"])
    row["curve_path_found"] = stair is not None
    row["curve_path_steps"] = None if stair is None else int(len(stair) - 1)
    row["curve_path_evaluations"] = int(gm.n_evaluations - ev0)
    row["curve_path_seconds"] = time.perf_counter() - t1
    row["curve_length"] = float(curve.length(p["n_points"]))
    row["curve_final_objective"] = float(hist["loss"][-1]) if hist["loss"] else float("nan")
    row["curve_seconds"] = time.perf_counter() - t0
    # internal computation along the curve: how far the internal levels of the
    # points that keep the phenotype move away from endpoint A's
    kept = gm.phenotypes(cpts.astype(np.float32)) == pid
    along = [internal_distance(spec, a, c)["internal_rel"] for c in cpts[kept]]
    row["curve_internal_rel_max"] = float(np.nanmax(along)) if along else None
    row.update(internal_distance(spec, a, b))
    rng = np.random.default_rng([seed, 1])
    ra, ea = endpoint_measures(gm, a, pid, rng)
    rb, eb = endpoint_measures(gm, b, pid, rng)
    row["endpoint_robustness"] = [ra, rb]
    row["endpoint_evolvability"] = [ea, eb]
    return row


# ----------------------------------------------------------------------- run
def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list):
        return "/".join(_fmt(x) for x in v)
    return str(v)


def table(rows) -> str:
    cols = ["kind", "pair", "n_genes", "loss", "distance", "path_found", "path_steps",
            "path_length", "path_stop", "line_kept", "curve_kept", "curve_path_found",
            "curve_path_steps", "curve_length", "internal_rms",
            "internal_rel", "internal_flip", "curve_internal_rel_max", "endpoint_robustness",
            "endpoint_evolvability"]
    lines = [" | ".join(cols), " | ".join("---" for _ in cols)]
    for r in rows:
        lines.append(" | ".join(_fmt(r.get(c)) for c in cols))
    return "\n".join(lines)


def run(quick: bool = False, out=None, work=None, seed: int = 0) -> dict:
    """Build the pairs, measure them, print a table; returns the results dict."""
    torch.set_num_threads(1)
    p = dict(QUICK if quick else FULL)
    t0 = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        wdir = Path(work) if work else Path(tmp)
        wdir.mkdir(parents=True, exist_ok=True)
        evo, evo_info = evolved_pairs(p, wdir)
    t_evo = time.perf_counter() - t0
    spec_e = evolved_spec(p)
    for i, pair in enumerate(evo):
        rows.append({"kind": "evolved", **measure_pair(spec_e, pair, p, seed + i)})
    t_evo_measure = time.perf_counter() - t0 - t_evo
    t1 = time.perf_counter()
    sgd, sgd_info = trained_pairs(p)
    t_train = time.perf_counter() - t1
    spec_t = trained_spec(p)
    for i, pair in enumerate(sgd):
        rows.append({"kind": "trained", **measure_pair(spec_t, pair, p, seed + 100 + i)})
    t_train_measure = time.perf_counter() - t1 - t_train
    res = {"params": p, "rows": rows, "evolved": evo_info, "trained": sgd_info,
           "n_evolved_pairs": len(evo), "n_trained_pairs": len(sgd),
           "n_independent_evolved_pairs": sum(not d["same_run"] for d in evo),
           "seconds": {"evolution": t_evo, "evolved_measures": t_evo_measure,
                       "training": t_train, "trained_measures": t_train_measure,
                       "total": time.perf_counter() - t0}}
    print(table(rows))
    print(f"evolved runs (best loss): {[r['best_loss'] for r in evo_info['runs']]} "
          f"({evo_info['summary']['n_loss0']} of {evo_info['summary']['n_runs']} at loss 0); "
          f"trained runs (mismatch): {[r['mismatch'] for r in sgd_info['runs']]}; "
          f"{res['seconds']['total']:.1f} s")
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "hnca_pairs.json").write_text(json.dumps(res, indent=1, default=float) + "\n")
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--work", default=None, help="folder for the evolution run files "
                    "(finished runs of the same config there are reused)")
    ap.add_argument("--out", default=None, help="folder for hnca_pairs.json")
    args = ap.parse_args(argv)
    run(quick=args.quick, work=args.work, out=args.out)


if __name__ == "__main__":
    main()
