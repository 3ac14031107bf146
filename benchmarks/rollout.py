"""Rollout throughput: Numba ``develop`` vs the batched PyTorch twin, in one run.

    python benchmarks/rollout.py [--json] [--quick] [--repeats 3]

Bielawski preset (4 levels 64/32/16/8, 100 steps): 500 random genomes whose
final phenotype is non-degenerate, so early stopping cannot flatter the
figure; lifetimes per second for ``develop`` and for the torch twin.

Neural preset (2 levels 32/16, 16 channels, 64 hidden, 64 steps, 256
genomes): cell updates per second and achieved GFLOP/s of the rule's
multiply-adds (2 flops each), for both, beside this machine's float32
2048x2048 matrix-multiply GFLOP/s measured in the same run.

Small grids: cell updates per second of ``develop`` at base 8, 10 steps (the
size path searches, sweeps and exhaustive maps use; 8,192 genomes) against
base 64 at the preset's 100 steps (512 genomes), for the 4-level spec
(64/32/16/8 and 8/4/2/1) and the flat one (one level), on random genomes
still alive (some cell non-zero) at the end, so that no batch stops early.
The two sizes are timed alternately: one base-64 call, then five base-8
calls in a row.  The ratio of the rates is reported for the base-8 calls
that follow another base-8 call (a stream of small calls, as those users
make them) and, apart, for the first base-8 call after a base-64 one, which
is slower: it finds the caches full of the large grid and allocates its
output afresh.

Devices: lifetimes per second of the Bielawski preset (the same 500
non-degenerate genomes) on every device ``develop`` can use: the Numba
kernels (``device=None``), the torch twin on the CPU (``device="cpu"``) and,
when torch sees a CUDA GPU, the twin there (``device="cuda"``, also on a
population of a device-sized batch), each with the number of genomes whose
phenotypes equal the kernels'.  Without a GPU the ``cuda`` entry says so.

Every figure is the best of ``--repeats`` timed runs after one warm-up run.
With ``--json`` one JSON object goes to stdout; the human summary always
goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numba
import numpy as np
import torch

from alife.nca import HNCASpec, develop
from alife.nca.torch_twin import develop_torch


def best_time(fn, repeats):
    fn()  # warm-up: compilation, caches, allocator
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def non_degenerate_genomes(spec, n, seed=0):
    """First n random genomes (seeded) whose final phenotype is not all 0/1."""
    rng = np.random.default_rng(seed)
    keep = []
    while sum(len(k) for k in keep) < n:
        G = spec.random_genomes(4 * n, seed=rng)
        keep.append(G[~develop(spec, G).degenerate])
    return np.concatenate(keep)[:n]


def living_genomes(spec, n, seed=0):
    """First n random genomes (seeded) with some non-zero cell at the end."""
    rng = np.random.default_rng(seed)
    keep = []
    while sum(len(k) for k in keep) < n:
        G = spec.random_genomes(4 * n, seed=rng)
        out = develop(spec, G)
        alive = np.zeros(len(G), bool)
        for s in out.states:
            alive |= (s.reshape(len(G), -1) != 0).any(axis=1)
        keep.append(G[alive])
    return np.concatenate(keep)[:n]


def bench_small_grids(P_large, P_small, repeats, burst=5):
    """Cell updates/s at base 64 (preset steps) and base 8 (10 steps), timed
    alternately, for the 4-level and the flat spec; the base-8/base-64 ratio.

    Each repeat times one base-64 call, then ``burst`` consecutive base-8
    calls: the first of them (right after the large grid has filled the
    caches and freed its memory) and the rest (a stream of small calls, as
    exhaustive maps, sweeps and path searches make them) are reported
    apart."""
    res = {}
    for name, levels in (("levels4", 4), ("flat", 1)):
        runs = []
        for base, steps, P in ((64, 100, P_large), (8, 10, P_small)):
            spec = HNCASpec.preset("bielawski", levels=levels, base_size=base, steps=steps)
            G = living_genomes(spec, P)
            cells = sum(n * n for n in spec.sizes) * steps * P
            develop(spec, G)  # warm-up
            runs.append((spec, G, cells))
        (s64, G64, c64), (s8, G8, c8) = runs
        t64, first, stream = [], [], []
        for _ in range(repeats):
            t = time.perf_counter()
            develop(s64, G64)
            t64.append(time.perf_counter() - t)
            for k in range(burst):
                t = time.perf_counter()
                develop(s8, G8)
                (first if k == 0 else stream).append(time.perf_counter() - t)
        r64, r8, r8_first = c64 / min(t64), c8 / min(stream), c8 / min(first)
        res[name] = {"sizes_base64": list(s64.sizes), "steps_base64": s64.steps,
                     "genomes_base64": len(G64), "sizes_base8": list(s8.sizes),
                     "steps_base8": s8.steps, "genomes_base8": len(G8),
                     "base64_cell_updates_per_s": r64, "base8_cell_updates_per_s": r8,
                     "base8_over_base64": r8 / r64,
                     "base8_first_call_cell_updates_per_s": r8_first,
                     "base8_first_call_over_base64": r8_first / r64}
    return res


def bench_devices(P, repeats, P_gpu=16384):
    """Bielawski lifetimes/s per device of ``develop``; phenotypes equal to the kernels'."""
    spec = HNCASpec.preset("bielawski")
    G = non_degenerate_genomes(spec, P)
    ref = develop(spec, G).phenotypes

    def one(device, genomes, reps):
        # the first call is the warm-up and gives the phenotypes
        same = (develop(spec, G, device=device).phenotypes == ref).all(axis=(1, 2)).sum()
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            develop(spec, genomes, device=device)
            times.append(time.perf_counter() - t)
        return {"genomes": len(genomes), "lifetimes_per_s": len(genomes) / min(times),
                "phenotypes_equal_to_kernels": int(same), "of": P}

    res = {"numba": one(None, G, repeats), "cpu_twin": one("cpu", G, max(1, repeats - 1))}
    if torch.cuda.is_available():
        res["cuda"] = one("cuda", G, repeats)
        res["cuda"]["name"] = torch.cuda.get_device_name()
        big = np.resize(G, (P_gpu, G.shape[1]))           # G repeated: a device-sized population
        res["cuda_large"] = {"genomes": P_gpu, "lifetimes_per_s": P_gpu / best_time(
            lambda: develop(spec, big, device="cuda"), repeats)}
    else:
        res["cuda"] = {"not_measured": "torch.cuda.is_available() is False on this machine"}
    return res


def rule_macs_per_step(spec):
    """Multiply-adds of the rule in one step of one genome, all levels."""
    total = 0
    for lv, n in zip(spec.layout.levels, spec.sizes):
        per_cell = lv.n_inputs * lv.n_out1 + (lv.hidden * lv.channels if lv.hidden else 0)
        total += n * n * per_cell
    return total


def sgemm_gflops(repeats, n=2048):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)).astype(np.float32)
    B = rng.standard_normal((n, n)).astype(np.float32)
    return 2 * n ** 3 / best_time(lambda: A @ B, repeats) / 1e9


def bench_bielawski(P, repeats):
    spec = HNCASpec.preset("bielawski")
    G = non_degenerate_genomes(spec, P)
    out = develop(spec, G)
    assert not out.degenerate.any()
    t_numba = best_time(lambda: develop(spec, G), repeats)
    with torch.no_grad():
        t_torch = best_time(lambda: develop_torch(spec, G), max(1, repeats - 1))
    _, t_phen = develop_torch(spec, G)
    return {
        "genomes": P, "steps": spec.steps, "sizes": list(spec.sizes),
        "early_stopped": int((out.steps_run < spec.steps).sum()),
        "develop_lifetimes_per_s": P / t_numba,
        "torch_lifetimes_per_s": P / t_torch,
        "speedup_vs_torch": t_torch / t_numba,
        "phenotypes_equal_to_torch": int((t_phen == out.phenotypes).all(axis=(1, 2)).sum()),
    }


def bench_neural(P, repeats):
    spec = HNCASpec.preset("neural")
    G = spec.random_genomes(P, seed=0)
    cells = sum(n * n for n in spec.sizes) * spec.steps * P
    flops = 2 * rule_macs_per_step(spec) * spec.steps * P
    t_numba = best_time(lambda: develop(spec, G), repeats)
    with torch.no_grad():
        t_torch = best_time(lambda: develop_torch(spec, G), max(1, repeats - 1))
    return {
        "genomes": P, "steps": spec.steps, "sizes": list(spec.sizes),
        "channels": spec.channels, "hidden": spec.hidden,
        "rule_gflop_per_run": flops / 1e9,
        "develop_cell_updates_per_s": cells / t_numba,
        "torch_cell_updates_per_s": cells / t_torch,
        "develop_gflops": flops / t_numba / 1e9,
        "torch_gflops": flops / t_torch / 1e9,
        "speedup_vs_torch": t_torch / t_numba,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object to stdout")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test, not a benchmark)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    Pb, Pn, n_mm = (500, 256, 2048) if not args.quick else (40, 8, 256)
    Pl, Ps = (512, 8192) if not args.quick else (8, 128)
    reps = args.repeats if not args.quick else 1
    res = {
        "machine": {"cpu_count": os.cpu_count(), "numba_threads": numba.get_num_threads(),
                    "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
                    "numba": numba.__version__, "torch": torch.__version__,
                    "numpy": np.__version__},
        "quick": args.quick,
        "sgemm_gflops": sgemm_gflops(reps, n_mm),
        "bielawski": bench_bielawski(Pb, reps),
        "neural": bench_neural(Pn, reps),
        "small_grids": bench_small_grids(Pl, Ps, max(reps, 3)),
        "devices": bench_devices(Pb, reps, 16384 if not args.quick else 64),
    }
    res["neural"]["develop_fraction_of_sgemm"] = res["neural"]["develop_gflops"] / res["sgemm_gflops"]
    res["neural_share_of_sgemm"] = res["neural"]["develop_fraction_of_sgemm"]
    b, n = res["bielawski"], res["neural"]
    print(f"bielawski ({b['genomes']} non-degenerate genomes, {b['steps']} steps): "
          f"develop {b['develop_lifetimes_per_s']:,.0f} lifetimes/s, torch twin "
          f"{b['torch_lifetimes_per_s']:,.0f} lifetimes/s -> {b['speedup_vs_torch']:.1f}x; "
          f"phenotypes equal for {b['phenotypes_equal_to_torch']}/{b['genomes']}", file=sys.stderr)
    print(f"neural ({n['genomes']} genomes, {n['channels']} ch, {n['hidden']} hidden, "
          f"{n['steps']} steps): develop {n['develop_cell_updates_per_s']:.3g} cell updates/s = "
          f"{n['develop_gflops']:.1f} GFLOP/s, torch {n['torch_gflops']:.1f} GFLOP/s -> "
          f"{n['speedup_vs_torch']:.2f}x; sgemm {res['sgemm_gflops']:.1f} GFLOP/s -> develop at "
          f"{100 * n['develop_fraction_of_sgemm']:.0f}% of sgemm", file=sys.stderr)
    for name, g in res["small_grids"].items():
        print(f"small grids, {name}: base 8 ({g['steps_base8']} steps) "
              f"{g['base8_cell_updates_per_s'] / 1e6:,.0f} M cell updates/s, base 64 "
              f"({g['steps_base64']} steps) {g['base64_cell_updates_per_s'] / 1e6:,.0f} M/s -> "
              f"{100 * g['base8_over_base64']:.0f}% (first call after a base-64 one: "
              f"{100 * g['base8_first_call_over_base64']:.0f}%)", file=sys.stderr)
    for name, d in res["devices"].items():
        print(f"device {name}: " + (d["not_measured"] if "not_measured" in d else
              f"{d['lifetimes_per_s']:,.0f} lifetimes/s on {d['genomes']} genomes"
              + (f", phenotypes equal to the kernels' for {d['phenotypes_equal_to_kernels']}"
                 f"/{d['of']}" if "of" in d else "")), file=sys.stderr)
    if args.json:
        print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
