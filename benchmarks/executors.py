"""Evaluations per second of evolution's batch evaluation on each executor.

    python benchmarks/executors.py [--pop 500] [--rounds 5] [--reps 3] [--workers 2] [--runs]

Times evolution's evaluation, :meth:`alife.tasks.Task.evaluate` (develop
with trajectory fingerprints, score on the square target, phenotype ids) on one AFPO
generation's offspring of the Bielawski preset (``pop + 2`` genomes) with
the default executor (Numba threads in this process), a spawned process pool
(``workers`` x 1 Numba thread) and a local Dask cluster (``workers`` x 1).
Executors alternate inside every round (throughput on a shared machine swings
between minutes); each round takes the best of ``reps`` calls; the medians
over rounds and their ratios to the default are printed as JSON.  With
``--runs`` it also times a whole short AFPO run per executor (median
evaluations/s over its generations, which includes selection and HDF5 writes).
The pools are started (and their kernels loaded) before timing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from alife.evolve.config import loads
from alife.evolve.runner import evolve
from alife.parallel import make_executor
from alife.store import RunFile


def _config(pop: int, generations: int):
    return loads(f"""
seed = 1
generations = {generations}
[model]
preset = "bielawski"
[task]
target = "square"
[algorithm]
name = "afpo"
pop_size = {pop}
n_newcomers = 2
[mutation]
name = "resample"
""")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pop", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--runs", action="store_true", help="also time short AFPO runs")
    ap.add_argument("--generations", type=int, default=8)
    args = ap.parse_args(argv)
    config = _config(args.pop, args.generations)
    spec, task = config.spec(), config.task_object()
    K = args.pop + 2
    G = spec.random_genomes(K, seed=0)
    t0 = time.perf_counter()
    executors = {"default": make_executor("threads"),
                 "processes": make_executor("processes", workers=args.workers),
                 "dask": make_executor("dask", workers=args.workers)}
    startup = time.perf_counter() - t0
    names = list(executors)
    def evaluate(ex=None):
        return task.evaluate(spec, G, fingerprint=True, executor=ex)

    want = evaluate()
    try:
        for name, ex in executors.items():     # warm up: compile/load kernels everywhere
            got = evaluate(ex)
            assert np.array_equal(got.loss, want.loss) and np.array_equal(
                got.fingerprints, want.fingerprints) and np.array_equal(
                got.phenotypes, want.phenotypes), name
        per_round = {n: [] for n in names}
        for r in range(args.rounds):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                best = min(_timed(lambda: evaluate(executors[name]))
                           for _ in range(args.reps))
                per_round[name].append(K / best)
            print(f"round {r + 1}: " + ", ".join(f"{n} {per_round[n][-1]:,.0f}/s" for n in names),
                  file=sys.stderr)
        runs = {}
        if args.runs:
            runs = {n: [] for n in names}
            for r in range(max(1, args.rounds // 2)):
                for name in (names if r % 2 == 0 else names[::-1]):
                    with tempfile.TemporaryDirectory() as d:
                        path = Path(d) / "run.h5"
                        evolve(config, path, progress=False, executor=executors[name])
                        with RunFile.open(path) as run:
                            runs[name].append(float(np.median(run.read("evals_per_s")[1:])))
    finally:
        for ex in executors.values():
            ex.close()
    med = {n: float(np.median(v)) for n, v in per_round.items()}
    res = {"population": args.pop, "genomes_per_call": K, "workers": args.workers,
           "threads_per_worker": 1, "numba_threads_default": _numba_threads(),
           "rounds": args.rounds, "reps": args.reps, "startup_s": startup,
           "load_average": os.getloadavg(),
           "evaluate_per_s": per_round, "evaluate_per_s_median": med,
           "ratio_vs_default": {n: med[n] / med["default"] for n in names}}
    if runs:
        rmed = {n: float(np.median(v)) for n, v in runs.items()}
        res.update(run_evals_per_s=runs, run_evals_per_s_median=rmed,
                   run_ratio_vs_default={n: rmed[n] / rmed["default"] for n in names})
    print(json.dumps(res, indent=1))
    return res


def _numba_threads() -> int:
    import numba
    return numba.get_num_threads()


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
