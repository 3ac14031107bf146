"""Exhaustive genotype networks at RNA scale: 4**12 = 16.8 M genotypes.

The phenotype array is synthetic (no folding): a cheap integer hash of the
rank, so the timing is that of the network kernels alone —
``networks_from_table`` (dense phenotype index + Numba union–find) and the
measures (one Numba pass over all 16.8 M x 36 one-mutants).

Two maps stress different paths:

* ``random``: ``hash(rank) % 512`` with 1/8 undefined — an uncorrelated map,
  almost every genotype its own network (few unions, ~16 M components);
* ``structured``: the hash of the first 7 letters only (``% 64``), so the last
  5 positions are neutral everywhere — large networks, many unions.

Run: ``NUMBA_CACHE_DIR=.numba_cache .venv/bin/python benchmarks/neutral_exhaustive.py [L]``
(prints one line per stage; the first run includes Numba compilation, so
each map is timed on a warm second pass too).
"""
from __future__ import annotations

import sys
import time

import numpy as np

from alife.gpmap.base import DiscreteSpace
from alife.neutral import measures, networks_from_table


def _hash(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on uint64 (vectorised, wraps mod 2**64)."""
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return x


def synthetic(space: DiscreteSpace, kind: str) -> np.ndarray:
    r = np.arange(space.size, dtype=np.int64)
    if kind == "random":
        h = _hash(r)
        ph = (h % np.uint64(512)).astype(np.int64)
        ph[(h >> np.uint64(40)) % np.uint64(8) == 0] = -1
        return ph
    if kind == "structured":
        head = r // space.K ** 5                     # the first L - 5 letters
        return (_hash(head) % np.uint64(64)).astype(np.int64)
    raise ValueError(kind)


def bench(L: int, kind: str) -> dict:
    space = DiscreteSpace(L, 4, "ACGU")
    ph = synthetic(space, kind)
    t = {}
    t0 = time.perf_counter()
    nets = networks_from_table(space, ph)
    t["build (unique + union-find)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pm = measures.phenotype_measures(nets)          # includes per-genotype r, e
    t["genotype + phenotype measures"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cm = measures.component_measures(nets)
    t["component measures"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    measures.transition_matrix(nets)
    t["transition matrix"] = time.perf_counter() - t0
    return {"times": t, "n_phenotypes": nets.n_phenotypes, "n_components": nets.n_components,
            "largest_component": int(cm.size.max()), "mean_R": float(np.nanmean(pm.robustness))}


def bench_evaluation(L: int) -> float:
    """``exhaustive()`` end to end through a GPMap (TableLookupMap over the
    synthetic table): adds the batched unrank -> phenotypes -> rank round trip
    that a real map pays on top of its own phenotype function."""
    from alife.gpmap.toy import TableLookupMap
    from alife.neutral import exhaustive
    space = DiscreteSpace(L, 4, "ACGU")
    m = TableLookupMap(space, synthetic(space, "structured"))
    t0 = time.perf_counter()
    exhaustive(m)
    return time.perf_counter() - t0


def main():
    L = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    bench(6, "random")   # compile the kernels
    bench(6, "structured")
    for kind in ("random", "structured"):
        res = bench(L, kind)
        total = sum(res["times"].values())
        print(f"4**{L} {kind}: {res['n_phenotypes']} phenotypes, {res['n_components']} components "
              f"(largest {res['largest_component']}), mean R {res['mean_R']:.4f}")
        for k, v in res["times"].items():
            print(f"  {k:34s} {v:7.2f} s")
        print(f"  {'total':34s} {total:7.2f} s")
    print(f"4**{L} exhaustive() via TableLookupMap (evaluation + build): "
          f"{bench_evaluation(L):.2f} s")


if __name__ == "__main__":
    main()
