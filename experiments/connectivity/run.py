"""Are independently evolved HNCAs neutrally connected?  A calibrated answer.

    python experiments/connectivity/run.py --out out/connectivity              # full (allowed: 60 min, 2 cores)
    python experiments/connectivity/run.py --quick --out DIR                   # < 1 min (the tests)
    python experiments/connectivity/run.py --executor dask --workers 2 ...     # sharded over Dask
    python experiments/connectivity/run.py --out out/connectivity              # again: resumes

1. **Endpoints.**  The evolved pairs of ``experiments/bridge/hnca_pairs.py``:
   12 hill-climbing runs (100 neutral (1+1) climbers, resample mutation,
   1000 generations) of the Bielawski HNCA at base 8, 10 steps, towards the
   diamond; the best genome of every run at loss 0 is an endpoint, and every
   two endpoints are an independent pair.  The trained endpoints: the same
   task learnt by gradient (:func:`alife.bridge.hnca_train.train_hnca`, 6
   seeds) on a small residual MLP-rule HNCA; every two at mismatch 0 are a pair.
2. **Reach.**  From every endpoint, neutral walkers with the evolution's own
   kernel (one gene resampled from the gene range, kept when the phenotype
   is); their quotient distance to the start and to every other endpoint.
3. **Positive controls.**  Each endpoint with the walkers that ended farthest
   from it (a walk is itself a neutral path, so these pairs are connected);
   every method on them: ``line`` staircase, guided ``walk``, trained
   ``curve``, and the new ``search``; recall with 95 % Wilson intervals.
4. **Ground truth.**  The flat NCA (9 genes) on the K-value lattice at base 8,
   10 steps, enumerated with :func:`alife.neutral.exhaustive`: same-phenotype
   pairs in one exact genotype network and in two; every method's recall
   against exact membership, and its false positives (must be 0).
5. **The answer.**  Every evolved pair and every trained pair through the
   search: k/n with a 95 % Clopper-Pearson interval; the internal states along
   every path found, against a null of random same-phenotype pairs.
6. **Storage.**  Every path found is written as its genome sequence
   (:mod:`alife.neutral.pathfile`) and checked by re-developing every row.

Sharding: every unit (a run, a walk, one method on one pair) is a job of
``connectivity_units.py``; the job list is shuffled with a fixed seed (so
slices cost about the same) and goes, a chunk at a time, through
``map_rows`` of an :mod:`alife.parallel` executor, one contiguous slice of
the chunk per worker.  Each job carries
its own random stream, so results do not depend on the executor.  With
``--scheduler tcp://HOST:PORT`` the workers must be able to import
``connectivity_units`` (put this folder on their ``PYTHONPATH``).

Resuming: every stage saves its finished jobs as it goes, a chunk at a time
(``--chunk`` jobs, default 4 per worker), in ``WORK/jobs/STAGE-NNNNN.partial``
(see ``jobstore.py``: numbers and arrays in a checksummed ``.npz``, never a
pickle, so reading one cannot run code).  A run that is killed loses at most
the chunk it was computing: run the same command again (same ``--out`` or
``--work``, parameters and ``--seed``) and the saved jobs are read back,
checksums verified, and only the missing ones run; the executor and the
chunk size may differ.  The results, and ``results.json`` but for its clock
readings (``seconds``), are those of an uninterrupted run.  A damaged saved
file, or one from a run with other parameters, another seed or another
version of the code, stops the run with one line naming the file: delete it,
use a new ``--out``, or pass ``--force`` to discard every saved job.

Writes ``results.json``, ``reach.png``, ``recall.png``, ``internal.png`` and
the path files ``paths_evolved.h5``, ``paths_trained.h5``, ``paths_controls.h5``
into ``--out``; evolution run files (reused when finished) and the saved jobs
go to ``--work`` (default ``OUT/work``).
"""
from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:           # the job module, also for spawned workers
    sys.path.insert(0, str(HERE))

import connectivity_units as U  # noqa: E402
import jobstore  # noqa: E402
from paths_report import (METHODS, internal_figure, markdown, reach_figure,  # noqa: E402
                          recall_figure, recall_table)

from alife.evolve.config import dumps, loads  # noqa: E402
from alife.gpmap.hnca import HNCAMap  # noqa: E402
from alife.nca import HNCASpec  # noqa: E402
from alife.nca.symmetry import symmetries  # noqa: E402
from alife.neutral.pathfile import check_path_file, write_path_file  # noqa: E402
from alife.parallel import make_executor  # noqa: E402
from alife.store import RunFile, RunFileError, folder_lock  # noqa: E402

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
name = "hillclimb"
pop_size = {pop}
[mutation]
name = "resample"
"""

FULL = dict(base=8, steps=10, target="diamond", generations=1000, pop=100, evo_seeds=12,
            train_seeds=6, train_iterations=300, temperature=0.1,
            walkers=8, walk_steps=4000, walk_every=50, controls_per_endpoint=3,
            trained_walkers=4, trained_walk_steps=2000, trained_controls_per_endpoint=1,
            budget=400_000, pivots=16, max_pivots=1024, curve_epochs=300, curve_lr=0.02,
            gt_k=5, gt_pairs=30, gt_budget=20_000, null_pairs=200, internal_rows=64)
QUICK = dict(base=8, steps=10, target="diamond", generations=40, pop=20, evo_seeds=2,
             train_seeds=2, train_iterations=60, temperature=0.1,
             walkers=2, walk_steps=60, walk_every=20, controls_per_endpoint=1,
             trained_walkers=1, trained_walk_steps=20, trained_controls_per_endpoint=1,
             budget=3000, pivots=8, max_pivots=64, curve_epochs=5, curve_lr=0.02,
             gt_k=3, gt_pairs=3, gt_budget=2000, null_pairs=10, internal_rows=8)


def evolved_spec(p) -> HNCASpec:
    return HNCASpec.preset("bielawski", base_size=p["base"], steps=p["steps"])


def trained_spec(p) -> HNCASpec:
    return HNCASpec(levels=2, base_size=p["base"], channels=2, hidden=8, bias=True,
                    hidden_activation="relu", output_activation="identity",
                    update="residual", steps=p["steps"], init_scale=0.1)


def lattice_spec(p) -> HNCASpec:
    return HNCASpec.preset("bielawski", levels=1, base_size=p["base"], steps=p["steps"])


class Runner:
    """The experiment's state: parameters, executor, seed streams, saved jobs and timings.

    Parameters
    ----------
    p : dict, the parameters (:data:`FULL` or :data:`QUICK`)
    executor : an :mod:`alife.parallel` executor
    seed : int, the root of every random stream
    store : :class:`jobstore.JobStore` or None (nothing saved)
    chunk : int >= 1, jobs per chunk: each chunk is one ``map_rows`` call and
        is saved as soon as it returns (a kill loses at most one chunk)
    """

    def __init__(self, p, executor, seed, store=None, chunk: int = 1):
        self.p, self.ex, self.store, self.chunk = p, executor, store, int(chunk)
        self.root = np.random.SeedSequence(seed)    # children spawned one by one, as needed
        self.seconds = {}        # wall-clock seconds per stage
        self.cpu = {}            # CPU seconds of the jobs per stage (busy-machine proof)
        self.computed = {}       # jobs run (not read back) per stage

    def jobs(self, jobs, what: str) -> list:
        """Run jobs on the executor (shuffled for balance, results in job order).

        Saved results of the same jobs (``self.store``) are read back, not run;
        the rest run in chunks of ``self.chunk``, each saved when it returns."""
        t0 = time.perf_counter()
        if not jobs:
            return []
        ids = [jobstore.job_id(j) for j in jobs]
        done = self.store.load(what) if self.store is not None else {}
        order = np.random.default_rng(len(jobs)).permutation(len(jobs))
        todo = [int(i) for i in order if ids[i] not in done]
        for s in range(0, len(todo), self.chunk):
            part = todo[s:s + self.chunk]
            out = self.ex.map_rows(U.run_jobs, np.arange(len(part)), [jobs[i] for i in part])
            new = {ids[i]: r for i, r in zip(part, out["out"])}
            if self.store is not None:
                self.store.save(what, list(new), list(new.values()))
            done.update(new)
        res = [done[i] for i in ids]
        self.computed[what] = self.computed.get(what, 0) + len(todo)
        self.seconds[what] = self.seconds.get(what, 0.0) + time.perf_counter() - t0
        self.cpu[what] = self.cpu.get(what, 0.0) + sum(r["cpu_seconds"] for r in res)
        print(f"{what}: {len(jobs)} jobs ({len(jobs) - len(todo)} read back), "
              f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        return res

    def stream(self) -> np.random.SeedSequence:
        """The next child of the root seed (the same as ``root.spawn(n)[k]``)."""
        return self.root.spawn(1)[0]


# --------------------------------------------------------------------------- endpoints
def evolved_endpoints(R: Runner, work: Path) -> tuple[np.ndarray, list, dict]:
    """Best genome of every run; endpoints = the loss-0 bests (quick fallback:
    distinct final-population climbers of the most common defined phenotype)."""
    p = R.p
    work.mkdir(parents=True, exist_ok=True)
    jobs = [{"kind": "evolve", "seed": seed, "config": dumps(loads(EVOLVE.format(seed=seed, **p))),
             "path": str(work / f"evolve_{seed}.h5")} for seed in range(p["evo_seeds"])]
    done = {r["seed"]: r for r in R.jobs(jobs, "evolution")}
    gm = HNCAMap(evolved_spec(p))
    runs, finals = [], []
    for seed in range(p["evo_seeds"]):
        with RunFile.open(work / f"evolve_{seed}.h5") as rf:
            loss, G = rf.read("loss", -1), rf.read("genomes", -1)
        k = int(np.argmin(loss))
        runs.append({"seed": seed, "best_loss": float(loss[k]), "best": G[k],
                     "seconds": done[seed]["seconds"], "reused": done[seed]["reused"]})
        finals.append(G)
    ids = gm.phenotypes(np.stack([r["best"] for r in runs]))
    for r, i in zip(runs, ids):
        r["phenotype"] = int(i)
    ends = [(f"s{r['seed']}", r["best"]) for r in runs if r["best_loss"] == 0]
    fallback = False
    if len(ends) < 2:          # quick mode: too few generations to reach the target
        fallback = True
        G = np.concatenate(finals)
        pid = gm.phenotypes(G)
        vals, cnt = np.unique(pid[pid >= 0], return_counts=True)
        keep = np.flatnonzero(pid == vals[np.argmax(cnt)])
        keep = keep[np.unique(G[keep], axis=0, return_index=True)[1]][:4]
        ends = [(f"climber {i}", G[i]) for i in sorted(keep)]
    info = {"runs": [{k: v for k, v in r.items() if k != "best"} for r in runs],
            "n_loss0": sum(r["best_loss"] == 0 for r in runs), "fallback": fallback,
            "config": dumps(loads(EVOLVE.format(seed=0, **p)))}
    return np.stack([g for _, g in ends]).astype(np.float32), [n for n, _ in ends], info


def trained_endpoints(R: Runner) -> tuple[np.ndarray, list, dict]:
    p = R.p
    jobs = [{"kind": "train", "seed": s, "spec": trained_spec(p).to_dict(),
             "target": p["target"], "iterations": p["train_iterations"],
             "temperature": p["temperature"]} for s in range(p["train_seeds"])]
    res = R.jobs(jobs, "training")
    good = [r for r in res if r["mismatch"] == 0]
    info = {"runs": [{k: v for k, v in r.items() if k != "genome"} for r in res]}
    if not good:
        return np.zeros((0, trained_spec(p).n_genes), np.float32), [], info
    return np.stack([r["genome"] for r in good]), [f"t{r['seed']}" for r in good], info


# --------------------------------------------------------------------------- reach / controls
def reach(R: Runner, spec, ends, walkers, steps, group) -> list:
    jobs = [{"kind": "reach", "spec": spec.to_dict(), "endpoint": i, "start": ends[i],
             "others": np.delete(ends, i, axis=0), "walkers": walkers, "steps": steps,
             "every": R.p["walk_every"], "seed_seq": R.stream()} for i in range(len(ends))]
    return R.jobs(jobs, f"reach_{group}")


def controls(reach_res, ends, names, per_endpoint) -> list:
    """(label, a, b): each endpoint with its walkers that ended farthest from it."""
    out = []
    for r in reach_res:
        i = r["endpoint"]
        far = np.argsort(-r["to_start"][-1], kind="stable")[:per_endpoint]
        for w in far:
            out.append((f"{names[i]} walker {int(w)}", ends[i], r["final"][w]))
    return out


def lattice_pairs(R: Runner) -> tuple[list, dict]:
    """Same-phenotype pairs of the exhaustive lattice map: in one genotype network
    (two random genotypes of the largest network of a phenotype that has
    several) and in two (one from the largest network, one from another)."""
    from alife.neutral import exhaustive
    p = R.p
    t0 = time.perf_counter()
    gm = HNCAMap(lattice_spec(p), lattice_k=p["gt_k"])
    nets = exhaustive(gm)
    rng = np.random.default_rng(R.stream())
    csize = nets.component_sizes
    multi = []
    for pid in nets.phenotype_ids:
        comps = nets.components_of(int(pid))
        if comps.size > 1 and csize[comps].max() >= 4:
            multi.append(int(pid))
    same, diff = [], []
    for k in range(p["gt_pairs"]):
        pid = multi[int(rng.integers(len(multi)))]
        comps = nets.components_of(pid)
        big = int(comps[np.argmax(csize[comps])])
        a, b = rng.choice(nets.ranks_of(component=big), 2, replace=False)
        same.append((f"same {k}", a, b))
        pid = multi[int(rng.integers(len(multi)))]
        comps = nets.components_of(pid)
        big = int(comps[np.argmax(csize[comps])])
        other = int(rng.choice(comps[comps != big]))
        diff.append((f"different {k}", int(rng.choice(nets.ranks_of(component=big))),
                     int(rng.choice(nets.ranks_of(component=other)))))
    sp = gm.space
    pairs = [(lab, sp.unrank([a])[0], sp.unrank([b])[0], g) for g, group in
             (("same", same), ("different", diff)) for lab, a, b in group]
    info = {"K": p["gt_k"], "n_genotypes": nets.n_genotypes, "n_phenotypes": nets.n_phenotypes,
            "n_components": nets.n_components, "n_phenotypes_several_networks": len(multi),
            "hamming_same": [int(np.sum(a != b)) for _, a, b, g in pairs if g == "same"],
            "hamming_different": [int(np.sum(a != b)) for _, a, b, g in pairs if g != "same"],
            "seconds": time.perf_counter() - t0}
    R.seconds["exhaustive_map"] = info["seconds"]
    return pairs, info


def pair_jobs(R: Runner, pairs, spec, group, methods, budget, keep_path=False, lattice_k=None):
    p = R.p
    jobs = []
    for label, a, b in pairs:
        for m in methods:
            jobs.append({"kind": "pair", "id": len(jobs), "group": group, "method": m,
                         "label": label, "a": a, "b": b, "spec": spec.to_dict(),
                         "lattice_k": lattice_k, "budget": budget, "pivots": p["pivots"],
                         "max_pivots": p["max_pivots"], "curve_epochs": p["curve_epochs"],
                         "curve_lr": p["curve_lr"], "temperature": p["temperature"],
                         "keep_path": keep_path, "internal_rows": p["internal_rows"],
                         "seed_seq": R.stream()})
    return jobs


def internal_null(spec, genotypes, n_pairs, rng) -> dict:
    """Internal difference between random pairs of same-phenotype genotypes."""
    G = np.asarray(genotypes, np.float32)
    if G.shape[0] < 2:
        return {"rel": [], "flip": []}
    i = rng.integers(0, G.shape[0], n_pairs)
    j = (i + 1 + rng.integers(0, G.shape[0] - 1, n_pairs)) % G.shape[0]
    rel, flip = [], []
    for a, b in zip(i, j):
        d = U.internal_distance(spec, G[a], G[b][None])
        rel.append(float(d["rel"][0]))
        flip.append(float(d["flip"][0]))
    return {"rel": rel, "flip": flip}


def _mean_ci(x) -> dict:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return {"mean": float(x.mean()) if x.size else float("nan"), "ci95": [float("nan")] * 2,
                "n": int(x.size)}
    h = 1.96 * x.std(ddof=1) / np.sqrt(x.size)
    return {"mean": float(x.mean()), "ci95": [float(x.mean() - h), float(x.mean() + h)],
            "n": int(x.size)}


def store_paths(out: Path, spec, results, name, steps) -> dict:
    recs = []
    for r in results:
        rec = {k: v for k, v in r.items() if k not in ("path", "internal_along", "stats")}
        rec["steps"] = steps
        rec["path"] = U.decode_path(r["path"]) if r.get("path") is not None else None
        recs.append(rec)
    path = write_path_file(out / name, spec, recs, force=True, compress=True)
    checks = check_path_file(path)
    ok = [c.ok for c in checks if c is not None]
    return {"file": name, "n_paths": len(ok), "all_verified": bool(all(ok)),
            "n_steps": [c.n_steps for c in checks if c is not None]}


# --------------------------------------------------------------------------- the run
def _reach_summary(reach_res, ends, spec, rng) -> dict:
    steps = reach_res[0]["steps"]
    ts = np.concatenate([r["to_start"] for r in reach_res], axis=1)          # (t, walkers)
    to = np.concatenate([r["to_others"].reshape(len(steps), -1) for r in reach_res], axis=1)
    q = symmetries(spec).distance          # plain Euclidean where there are no tap groups
    ind = [q(ends[i], ends[j]) for i, j in itertools.combinations(range(len(ends)), 2)]
    G = spec.random_genomes(2000, seed=rng)
    rnd = q(G[:1000], G[1000:])

    def band(x):
        return {"mean": x.mean(axis=1).tolist(), "p10": np.percentile(x, 10, axis=1).tolist(),
                "p90": np.percentile(x, 90, axis=1).tolist()}

    return {"steps": steps.tolist(), "to_start": band(ts),
            "to_others": band(to) if to.size else band(np.zeros((len(steps), 1))),
            "independent_pairs": float(np.mean(ind)) if ind else float("nan"),
            "random_pairs": float(np.mean(rnd)),
            "acceptance": float(np.mean([r["acceptance"] for r in reach_res])),
            "final_to_start": _mean_ci(ts[-1]),
            "final_to_others": _mean_ci(to[-1]) if to.size else None}


def run(quick: bool = False, out=None, work=None, seed: int = 0, executor: str = "threads",
        workers: int | None = None, scheduler: str | None = None, chunk: int | None = None,
        force: bool = False) -> dict:
    """The whole experiment; returns (and writes to ``out``) the results dict.

    Finished jobs are saved in ``work/jobs`` (:mod:`jobstore`) and read back by
    a rerun with the same parameters, seed and code; ``chunk`` jobs run (and
    are saved) at a time (default 4 per worker); ``force`` discards the saved
    jobs first."""
    import numba
    p = dict(QUICK if quick else FULL)
    out = Path(out if out is not None else HERE / "out")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(work) if work is not None else out / "work"
    if chunk is not None and (isinstance(chunk, bool) or int(chunk) != chunk or chunk < 1):
        raise ValueError(f"chunk must be a whole number of jobs >= 1, got {chunk!r}")
    t0, c0 = time.perf_counter(), time.process_time()
    threads = numba.get_num_threads()
    if executor == "threads":        # small batches: one thread avoids waking idle ones
        numba.set_num_threads(1)
    store = jobstore.JobStore(work / "jobs", {"params": p, "seed": int(seed),
                                              "code": jobstore.code_hash()})
    try:                            # one writer per output folder, as for alife's commands
        with folder_lock(out), folder_lock(store.folder), \
                make_executor(executor, workers=workers, scheduler=scheduler) as ex:
            if force:
                store.discard()
            R = Runner(p, ex, seed, store, chunk or 4 * max(1, ex.n_parts()))
            res = _run(R, out, work)
            res["params"], res["quick"], res["executor"] = p, quick, executor
            res["seconds"]["total"] = time.perf_counter() - t0
            res["cpu_seconds"]["jobs_total"] = sum(res["cpu_seconds"].values())
            res["cpu_seconds"]["main_process"] = time.process_time() - c0
            (out / "results.json").write_text(json.dumps(res, indent=1, default=_json) + "\n")
    finally:
        numba.set_num_threads(threads)
    print(markdown(res))
    print(f"total {res['seconds']['total']:.0f} s")
    return res


def _json(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(type(v).__name__)


def _run(R: Runner, out: Path, work: Path) -> dict:
    p = R.p
    es, ts_, ls = evolved_spec(p), trained_spec(p), lattice_spec(p)
    ends_e, names_e, evo_info = evolved_endpoints(R, work)
    ends_t, names_t, train_info = trained_endpoints(R)
    reach_e = reach(R, es, ends_e, p["walkers"], p["walk_steps"], "evolved")
    reach_t = reach(R, ts_, ends_t, p["trained_walkers"], p["trained_walk_steps"], "trained") \
        if len(ends_t) else []
    ctrl_e = controls(reach_e, ends_e, names_e, p["controls_per_endpoint"])
    ctrl_t = controls(reach_t, ends_t, names_t, p["trained_controls_per_endpoint"])
    gt, gt_info = lattice_pairs(R)
    pairs_e = [(f"{names_e[i]}-{names_e[j]}", ends_e[i], ends_e[j])
               for i, j in itertools.combinations(range(len(ends_e)), 2)]
    pairs_t = [(f"{names_t[i]}-{names_t[j]}", ends_t[i], ends_t[j])
               for i, j in itertools.combinations(range(len(ends_t)), 2)]
    B = p["budget"]
    jobs = (pair_jobs(R, ctrl_e, es, "controls evolved", METHODS, B, keep_path=True)
            + pair_jobs(R, ctrl_t, ts_, "controls trained", METHODS, B, keep_path=True)
            + pair_jobs(R, [(lab, a, b) for lab, a, b, g in gt if g == "same"], ls,
                        "lattice: same network", ("line", "walk", "search"), p["gt_budget"],
                        lattice_k=p["gt_k"])
            + pair_jobs(R, [(lab, a, b) for lab, a, b, g in gt if g != "same"], ls,
                        "lattice: different networks", ("line", "walk", "search"),
                        p["gt_budget"], lattice_k=p["gt_k"])
            + pair_jobs(R, pairs_e, es, "answer: evolved pairs", ("search",), B, keep_path=True)
            + pair_jobs(R, pairs_t, ts_, "answer: trained pairs", ("search",), B, keep_path=True))
    results = R.jobs(jobs, "pairs")
    false_pos = [r for r in results if r["group"] == "lattice: different networks" and r["found"]]
    rng = np.random.default_rng(R.stream())
    res = {"endpoints": {"evolved": names_e, "trained": names_t},
           "evolution": evo_info, "training": train_info, "lattice": gt_info,
           "table": recall_table(results), "lattice_false_positives": len(false_pos),
           "reach": {"evolved": _reach_summary(reach_e, ends_e, es, rng) if reach_e else None,
                     "trained": _reach_summary(reach_t, ends_t, ts_, rng) if reach_t else None},
           "pairs": [{k: v for k, v in r.items() if k not in ("path", "internal_along")}
                     for r in results]}
    res["internal"] = {}
    for g, spec, reach_res, ends in (("evolved", es, reach_e, ends_e),
                                     ("trained", ts_, reach_t, ends_t)):
        found = [r for r in results if r["group"] == f"answer: {g} pairs" and r["found"]]
        if not reach_res:
            continue
        pool = np.concatenate([ends] + [r["final"] for r in reach_res])
        null = internal_null(spec, pool, p["null_pairs"], rng)
        res["internal"][g] = {"null": null, "null_rel": _mean_ci(null["rel"]),
                              "path_end": [r["internal_along"]["rel"][-1] for r in found],
                              "path_max": [max(r["internal_along"]["rel"]) for r in found],
                              "path_flip_end": [r["internal_along"]["flip"][-1] for r in found]}
    t1 = time.perf_counter()
    res["storage"] = [
        store_paths(out, es, [r for r in results if r["group"] == "answer: evolved pairs"],
                    "paths_evolved.h5", p["steps"]),
        store_paths(out, ts_, [r for r in results if r["group"] == "answer: trained pairs"],
                    "paths_trained.h5", p["steps"]),
        store_paths(out, es, [r for r in results if r["group"] == "controls evolved"
                              and r["method"] == "search"], "paths_controls.h5", p["steps"])]
    R.seconds["store_and_check"] = time.perf_counter() - t1
    res["figures"] = [f.name for f in (reach_figure(res, out), recall_figure(res, out),
                                       internal_figure(res, out)) if f is not None]
    res["seconds"] = dict(R.seconds)
    res["cpu_seconds"] = dict(R.cpu)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the small version (< 1 min)")
    ap.add_argument("--out", default=None, help="folder for results.json, figures and path files")
    ap.add_argument("--work", default=None, help="folder for the evolution run files and the "
                    "saved jobs (a rerun reads them back and resumes; default OUT/work)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--executor", choices=("threads", "processes", "dask"), default="processes")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--scheduler", default=None, help="tcp://HOST:PORT of a Dask scheduler")
    ap.add_argument("--chunk", type=int, default=None, help="jobs run and saved at a time "
                    "(default 4 per worker); a killed run loses at most one chunk")
    ap.add_argument("--force", action="store_true", help="discard the job results saved in "
                    "WORK/jobs by an earlier run and compute every job again")
    a = ap.parse_args(argv)
    if a.chunk is not None and a.chunk < 1:
        ap.error(f"--chunk must be at least 1, got {a.chunk}")
    ex = "dask" if a.scheduler else a.executor
    try:
        run(quick=a.quick, out=a.out, work=a.work, seed=a.seed, executor=ex, workers=a.workers,
            scheduler=a.scheduler, chunk=a.chunk, force=a.force)
    except RunFileError as e:      # also OutputLockedError: one line, exit 2, no traceback
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
