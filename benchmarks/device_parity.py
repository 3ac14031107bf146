"""Phenotype parity of ``develop(..., device=...)`` (the torch twin) with the Numba kernels.

    python benchmarks/device_parity.py [--json] [--quick] [--device cpu] [--scale 1.0]

Develops random genomes (seeded) of every spec below from the seed with
``develop(spec, G)`` (the Numba kernels) and ``develop(spec, G,
device=...)``, and counts the genomes whose phenotypes differ, with a 95%
Wilson interval, and those whose states part by more than 1e-5 (relative
where a state exceeds 1).  The specs: the presets (Bielawski, flat NCA,
neural, ISAL 2024 under every wiring) and small specs covering 1-4 levels
and channels, hidden layers, every activation and both update modes.

Both sides compute in float32 but add a cell's inputs in different orders;
where a pre-activation lies within rounding of the rectified sigmoid's step
at 0 they may land on either side, so a non-zero count is possible in
principle.  ``--scale`` multiplies every genome count (``--quick``: tiny
counts, a smoke test).  The human summary goes to stderr, with ``--json``
one JSON object to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from alife.nca import HNCASpec, develop
from alife.sweep.stats import wilson


def specs() -> dict[str, tuple[HNCASpec, int]]:
    """Name -> (spec, genomes at scale 1)."""
    isal = HNCASpec.preset("isal2024")
    return {
        "bielawski": (HNCASpec.preset("bielawski"), 1000),
        "flat": (HNCASpec.preset("bielawski", levels=1), 1000),
        "neural": (HNCASpec.preset("neural"), 32),
        "isal2024-gecco2024": (isal.replace(down_wiring="gecco2024"), 200),
        "isal2024-below_only": (isal.replace(wiring="below_only"), 200),
        "isal2024-random_below": (isal.replace(wiring="random_below"), 200),
        "isal2024-random_maps": (isal.replace(wiring="random_maps"), 200),
        "L2-C1-bias-sigmoid-residual": (HNCASpec(levels=2, base_size=16, channels=1, bias=True,
                                                 output_activation="sigmoid",
                                                 update="residual", steps=20,
                                                 init_scale=0.3), 500),
        "L3-C1-odd-top": (HNCASpec(levels=3, base_size=12, channels=1, steps=40), 500),
        "L3-C2-tanh": (HNCASpec(levels=3, base_size=16, channels=2, output_activation="tanh",
                                steps=8), 500),
        "L4-C4-relu-bias": (HNCASpec(levels=4, base_size=16, channels=4, bias=True,
                                     output_activation="relu", steps=12, init_scale=0.25), 500),
        "L2-C3-H8-tanh/rsig": (HNCASpec(levels=2, base_size=16, channels=3, hidden=8, bias=True,
                                        hidden_activation="tanh",
                                        output_activation="rectified_sigmoid", steps=25), 500),
        "L3-C2-H6-relu/identity-residual": (HNCASpec(levels=3, base_size=16, channels=2,
                                                     hidden=6, hidden_activation="relu",
                                                     output_activation="identity",
                                                     update="residual", steps=15,
                                                     init_scale=0.3), 500),
    }


def compare(spec: HNCASpec, P: int, device: str, seed: int) -> dict:
    """Develop P random genomes both ways; the counts and timings."""
    G = spec.random_genomes(P, seed=seed)
    t = time.perf_counter()
    ref = develop(spec, G)
    t_kernel = time.perf_counter() - t
    t = time.perf_counter()
    out = develop(spec, G, device=device)
    t_device = time.perf_counter() - t
    differ = ~(out.phenotypes == ref.phenotypes).all(axis=(1, 2))
    gap = np.max([(np.abs(a - b) / np.maximum(1.0, np.abs(b))).reshape(P, -1).max(1)
                  for a, b in zip(out.states, ref.states)], axis=0)
    k = int(differ.sum())
    lo, hi = wilson(k, P)
    return {"genomes": P, "phenotypes_differ": k, "differ_ci95": [lo, hi],
            "states_apart_1e-5": int((gap > 1e-5).sum()), "max_state_gap": float(gap.max()),
            "kernel_s": t_kernel, "device_s": t_device}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    ap.add_argument("--quick", action="store_true", help="tiny counts (a smoke test)")
    ap.add_argument("--device", default="cpu", help="torch device of the twin (default cpu)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every genome count")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    scale = 0.01 if args.quick else args.scale
    res = {"device": args.device, "seed": args.seed, "load_before": os.getloadavg(),
           "specs": {}}
    for i, (name, (spec, P)) in enumerate(specs().items()):
        r = compare(spec, max(2, int(round(P * scale))), args.device, args.seed + i)
        res["specs"][name] = r
        print(f"{name}: {r['phenotypes_differ']}/{r['genomes']} phenotypes differ "
              f"(95% CI {r['differ_ci95'][0]:.4f}-{r['differ_ci95'][1]:.4f}), states apart "
              f"> 1e-5 for {r['states_apart_1e-5']}, max gap {r['max_state_gap']:.2g}; kernel "
              f"{r['kernel_s']:.2f} s, {args.device} {r['device_s']:.2f} s", file=sys.stderr)
    n = sum(r["genomes"] for r in res["specs"].values())
    k = sum(r["phenotypes_differ"] for r in res["specs"].values())
    res["total"] = {"genomes": n, "phenotypes_differ": k, "differ_ci95": list(wilson(k, n))}
    res["load_after"] = os.getloadavg()
    print(f"all specs: {k}/{n} phenotypes differ (95% CI {res['total']['differ_ci95'][0]:.5f}-"
          f"{res['total']['differ_ci95'][1]:.5f}); load {res['load_before'][0]:.1f} before, "
          f"{res['load_after'][0]:.1f} after", file=sys.stderr)
    if args.json:
        print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
