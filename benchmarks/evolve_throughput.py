"""Evaluations per second inside a real AFPO run vs the raw ``develop`` rate.

    python benchmarks/evolve_throughput.py [--json] [--generations 12] [--pop 500]

Runs AFPO on the Bielawski preset (square target, resample mutation) into a
temporary run file, and in the same process times bare ``develop`` on as
many random genomes as one generation evaluates (best of 3).  The run's
figure counts everything a generation does — asking, developing with
trajectory fingerprints, scoring, mutation classes, selection, the HDF5
append and the checkpoint — so the ratio shows whether bookkeeping and
writing, not the simulator, limit evolution.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from alife.config import loads
from alife.evolve.runner import evolve
from alife.nca import HNCASpec, develop
from alife.store import RunFile


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--generations", type=int, default=12)
    ap.add_argument("--pop", type=int, default=500)
    args = ap.parse_args(argv)
    config = loads(f"""
seed = 1
generations = {args.generations}
[model]
preset = "bielawski"
[task]
target = "square"
[algorithm]
name = "afpo"
pop_size = {args.pop}
n_newcomers = 2
[mutation]
name = "resample"
""")
    spec = HNCASpec.preset("bielawski")
    K = args.pop + 2
    G = spec.random_genomes(K, seed=0)
    develop(spec, G)
    best = min(_timed(lambda: develop(spec, G)) for _ in range(3))
    raw = K / best
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "run.h5"
        evolve(config, path, progress=False)
        with RunFile.open(path) as run:
            eps = run.read("evals_per_s")[1:]        # generation 0 includes compilation
    res = {"population": args.pop, "offspring_per_generation": K,
           "develop_genomes_per_s": raw, "run_evals_per_s_median": float(np.median(eps)),
           "run_evals_per_s_per_generation": eps.tolist(),
           "ratio": float(np.median(eps)) / raw}
    print(f"AFPO run (population {args.pop}): {res['run_evals_per_s_median']:,.0f} evaluations/s "
          f"(median of {len(eps)} generations); bare develop {raw:,.0f} genomes/s -> "
          f"{100 * res['ratio']:.0f}%", file=sys.stderr)
    if args.json:
        print(json.dumps(res, indent=1))
    return res


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
