"""Evaluations per second inside a real AFPO run vs the raw ``develop`` rate.

    python benchmarks/evolve_throughput.py [--json] [--generations 12] [--pop 500] [--rounds 3]

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

from alife.evolve.config import loads
from alife.evolve.runner import evolve
from alife.nca import HNCASpec, develop
from alife.store import RunFile


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--generations", type=int, default=12)
    ap.add_argument("--pop", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
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
    # Alternate bare develop and whole runs, so both see the same machine
    # (throughput here swings by up to 2x between minutes): each round times
    # bare develop (best of 3) on K random genomes and on the K last
    # genomes the run evaluated, then the run's median generation.
    rounds = []
    for r in range(args.rounds):
        raw = K / min(_timed(lambda: develop(spec, G)) for _ in range(3))
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "run.h5"
            evolve(config, path, progress=False)
            with RunFile.open(path) as run:
                eps = run.read("evals_per_s")[1:]    # generation 0 includes compilation
                evolved = run.read("genomes", -1)
        evolved = np.concatenate([evolved, evolved[:K - len(evolved)]])
        raw_evolved = K / min(_timed(lambda: develop(spec, evolved)) for _ in range(3))
        rounds.append({"develop_random_per_s": raw, "develop_evolved_per_s": raw_evolved,
                       "run_evals_per_s_median": float(np.median(eps)),
                       "ratio_vs_random": float(np.median(eps)) / raw,
                       "ratio_vs_evolved": float(np.median(eps)) / raw_evolved})
        print(f"round {r + 1}: AFPO run (population {args.pop}) {rounds[-1]['run_evals_per_s_median']:,.0f} "
              f"evaluations/s (median of {len(eps)} generations); bare develop {raw:,.0f}/s on "
              f"random genomes ({100 * rounds[-1]['ratio_vs_random']:.0f}%), {raw_evolved:,.0f}/s "
              f"on evolved ones ({100 * rounds[-1]['ratio_vs_evolved']:.0f}%)", file=sys.stderr)
    res = {"population": args.pop, "offspring_per_generation": K, "rounds": rounds,
           "ratio_vs_random_median": float(np.median([r["ratio_vs_random"] for r in rounds])),
           "ratio_vs_evolved_median": float(np.median([r["ratio_vs_evolved"] for r in rounds]))}
    print(f"median over {args.rounds} rounds: {100 * res['ratio_vs_random_median']:.0f}% of bare "
          f"develop (random genomes), {100 * res['ratio_vs_evolved_median']:.0f}% (evolved genomes)",
          file=sys.stderr)
    if args.json:
        print(json.dumps(res, indent=1))
    return res


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
