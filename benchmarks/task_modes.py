"""Cost of evaluating a population under each task mode: one rollout vs the old calls.

    python benchmarks/task_modes.py [--json] [--quick] [--pop 500] [--rounds 5] [--reps 3]

Bielawski preset (64x64, 4 levels, 100 steps), ``pop`` random genomes, square
target.  Evolution evaluates every genome with trajectory fingerprints; for
each mode this times

* ``after``: :meth:`alife.tasks.Task.evaluate` (``fingerprint=True``): ONE
  rollout per genome in every mode;
* ``before``: the computation evolution used to make, kept below: a
  fingerprinted ``develop`` for the phenotype, then for ``homeostasis``
  (k = 10) ``develop`` to step T - k and k one-step ``develop`` calls, and
  for ``damage`` (after step 50, rectangle (0, 0, 16, 16)) two more
  ``develop`` calls.

Before and after alternate inside every round (throughput on a shared
machine swings between minutes); each figure is the best of ``reps`` calls
and the medians over rounds are reported, with the ratios
``before / after`` (speed-up) and ``mode / final`` (cost of a mode in
rollouts).  Both paths give the same losses; the script checks it.
``--quick`` (64 genomes, 2 rounds, 1 rep) only shows that it runs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from alife.nca import HNCASpec, develop
from alife.nca.phenotype import phenotype_ids
from alife.tasks import Task, damage_states, loss

K_HOMEOSTASIS = 10
DAMAGE_STEP = 50
DAMAGE_RECT = (0, 0, 16, 16)


def _old_final(spec, G, t):
    out = develop(spec, G, fingerprint=True)
    return out, loss(out.phenotypes, t).astype(np.float64)


def _old_homeostasis(spec, G, t):
    first = develop(spec, G, fingerprint=True)
    out = develop(spec, G, steps=spec.steps - K_HOMEOSTASIS)
    total = np.zeros(len(G))
    for _ in range(K_HOMEOSTASIS):
        out = develop(spec, G, states=out.states, steps=1)
        total += loss(out.phenotypes, t)
    return first, total / K_HOMEOSTASIS


def _old_damage(spec, G, t):
    first = develop(spec, G, fingerprint=True)
    before = develop(spec, G, steps=DAMAGE_STEP)
    after = develop(spec, G, states=damage_states(spec, before.states, DAMAGE_RECT),
                    steps=spec.steps - DAMAGE_STEP)
    return first, loss(after.phenotypes, t).astype(np.float64)


def _old(fn, spec, G, t):
    """The former runner path: rollouts, then ids of the fingerprinted one."""
    first, L = fn(spec, G, t)
    return L, phenotype_ids(first.phenotypes), first.fingerprints


OLD = {"final": _old_final, "homeostasis": _old_homeostasis, "damage": _old_damage}


def _tasks(N):
    return {"final": Task.from_name("square", N),
            "homeostasis": Task.from_name("square", N, "homeostasis",
                                          homeostasis_k=K_HOMEOSTASIS),
            "damage": Task.from_name("square", N, "damage", damage_step=DAMAGE_STEP,
                                     damage_rect=DAMAGE_RECT)}


def _best(fn, reps):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pop", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    if args.quick:
        args.pop, args.rounds, args.reps = 64, 2, 1
    spec = HNCASpec.preset("bielawski")
    G = spec.random_genomes(args.pop, seed=0)
    tasks = _tasks(spec.base_size)
    for mode, task in tasks.items():          # warm up, and the two paths agree
        ev = task.evaluate(spec, G, fingerprint=True)
        L, raw, _ = _old(OLD[mode], spec, G, task.target)
        assert np.array_equal(ev.loss, L), mode
        if mode != "damage":                  # under damage the phenotype is the recovered one
            assert np.array_equal(ev.raw_ids, raw), mode
    per = {f"{w}_{m}": [] for m in tasks for w in ("before", "after")}
    for r in range(args.rounds):
        for mode, task in tasks.items():
            order = ("before", "after") if r % 2 == 0 else ("after", "before")
            for who in order:
                if who == "before":
                    fn = lambda: _old(OLD[mode], spec, G, task.target)   # noqa: E731
                else:
                    fn = lambda: task.evaluate(spec, G, fingerprint=True)  # noqa: E731
                per[f"{who}_{mode}"].append(args.pop / _best(fn, args.reps))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in per.items()),
              file=sys.stderr)
    med = {k: float(np.median(v)) for k, v in per.items()}
    res = {"population": args.pop, "homeostasis_k": K_HOMEOSTASIS, "damage_step": DAMAGE_STEP,
           "damage_rect": DAMAGE_RECT, "rounds": args.rounds, "reps": args.reps,
           "load_average": os.getloadavg(), "evaluations_per_s": per,
           "evaluations_per_s_median": med,
           "speedup_after_vs_before": {m: med[f"after_{m}"] / med[f"before_{m}"] for m in tasks},
           "cost_vs_final_before": {m: med["before_final"] / med[f"before_{m}"] for m in tasks},
           "cost_vs_final_after": {m: med["after_final"] / med[f"after_{m}"] for m in tasks}}
    for m in tasks:
        print(f"{m:12s} before {med[f'before_{m}']:8,.0f}/s  after {med[f'after_{m}']:8,.0f}/s  "
              f"speed-up {res['speedup_after_vs_before'][m]:.2f}x  cost vs final: "
              f"{res['cost_vs_final_before'][m]:.2f} -> {res['cost_vs_final_after'][m]:.2f}",
              file=sys.stderr)
    if args.json:
        print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
