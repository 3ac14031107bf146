"""Evaluations per second inside a real AFPO run vs the raw ``develop`` rate.

    python benchmarks/evolve_throughput.py [--json] [--generations 10] [--pop 500] [--rounds 5]
                                           [--no-inline] [--bounds]

Runs AFPO on the Bielawski preset (square target, resample mutation) into a
temporary run file.  A generation of the run does everything: asking,
developing with trajectory fingerprints, scoring, mutation classes,
selection, the flushed HDF5 append and the atomic checkpoint; the ratio to
bare ``develop`` on as many random genomes shows whether bookkeeping and
writing, not the simulator, limit evolution.

The two are timed in alternation, one generation at a time, so that both
see the same machine (on a shared machine throughput swings by 2x between
minutes): a callback of the run times bare ``develop`` of K random genomes
(K = population + newcomers, what a generation evaluates), then ``develop``
with trajectory fingerprints of the same genomes (what the run itself must
compute), then ``develop`` with fingerprints of the run's current
population (evolved genomes, the first rows repeated up to K), between
every two generations.  Each generation's time is the
time between two such callbacks (their own time excluded), and its ratio
is the mean bare ``develop`` time of the callbacks on either side of it
over that time.  The first generation (compilation) and the last (nothing
develops while it is written) are left out.

Each round runs the evolution with its writes on the writer thread (the
default) and, unless ``--no-inline``, the same evolution with every
generation written in line before the next one develops
(``background_writes=False``), the two taking turns going first.  Reported:
the median ratio of each run, their medians over the rounds (the figure to
quote) and the machine's load average before and after every round.

``--bounds`` adds two runs to every round, taking turns with the others,
that show what the durable writes cost: ``no_checkpoint``, the same run
file written on the writer thread but no checkpoint (the run could not be
resumed), and ``memory``, the run file held in memory
(:func:`alife.evolve.runner.evolve_in_memory`: no file, no fsync, no
checkpoint).  Neither is a way to run; they bound what any cheaper
checkpoint or file could gain.
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

import alife.evolve.runner as runner
import alife.tasks.evaluation as evaluation
from alife.evolve.callbacks import Hooks
from alife.evolve.config import loads
from alife.evolve.runner import evolve, evolve_in_memory
from alife.nca import HNCASpec, develop

#: Run modes: name -> (``background_writes``, where the run is written).
MODES = {"background": (True, "file"), "inline": (False, "file"),
         "no_checkpoint": (True, "no_checkpoint"), "memory": (True, "memory")}


def _config(generations: int, pop: int):
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


class _Pacer:
    """A run callback that times bare and fingerprinted ``develop`` of ``G``,
    and fingerprinted ``develop`` of the population, between generations:
    ``marks`` holds (start, end, bare s, fingerprinted s, population s)."""

    def __init__(self, spec, G):
        self.spec, self.G, self.marks = spec, G, []

    def __call__(self, gen):
        t0 = time.perf_counter()
        develop(self.spec, self.G)
        t1 = time.perf_counter()
        develop(self.spec, self.G, fingerprint=True)
        t2 = time.perf_counter()
        pop = np.resize(gen.genomes, self.G.shape)       # repeats rows up to K
        develop(self.spec, pop, fingerprint=True)
        t3 = time.perf_counter()
        self.marks.append((t0, t3, t1 - t0, t2 - t1, t3 - t2))

    def ratios(self) -> dict:
        """Per generation between two callbacks but the last: its time and
        the ratios of each reference's time to it (adjacent means)."""
        m = np.array(self.marks)
        gen = m[1:-1, 0] - m[:-2, 1]      # end of one callback to the start of the next
        ref = (m[:-2] + m[1:-1]) / 2
        return {"generation_s": gen, "vs_bare": ref[:, 2] / gen,
                "vs_fingerprint": ref[:, 3] / gen, "vs_population": ref[:, 4] / gen}


class _Meter:
    """Where a generation's time goes: wraps the run's ``develop`` (wall
    time in the run) and its store of a generation (CPU time of the thread
    that writes it) for as long as it is installed (a ``with`` block)."""

    def __init__(self):
        self.develop_s, self.writer_cpu_s = [], []

    def __enter__(self):
        self._develop, self._save = evaluation.develop, runner._save

        def develop_timed(*a, **k):
            t = time.perf_counter()
            out = self._develop(*a, **k)
            self.develop_s.append(time.perf_counter() - t)
            return out

        def save_timed(*a, **k):
            t = time.thread_time()
            self._save(*a, **k)
            self.writer_cpu_s.append(time.thread_time() - t)

        evaluation.develop, runner._save = develop_timed, save_timed
        return self

    def __exit__(self, *exc):
        evaluation.develop, runner._save = self._develop, self._save

    def medians(self) -> dict:
        """Median seconds per generation, the first (compilation) left out."""
        return {"develop_in_run_s": float(np.median(self.develop_s[1:])),
                "writer_cpu_s": float(np.median(self.writer_cpu_s[1:]))}


def _evolve(config, path: Path, background: bool, where: str, hooks: Hooks) -> None:
    """One run as the mode says: into the file at ``path`` (with or without
    its checkpoint), or into a run file in memory."""
    if where == "memory":
        evolve_in_memory(config, progress=False, background_writes=background,
                         hooks=hooks).close()
        return
    write_checkpoint = runner.write_checkpoint
    if where == "no_checkpoint":
        runner.write_checkpoint = lambda *a, **k: None
    try:
        evolve(config, path, progress=False, background_writes=background, hooks=hooks)
    finally:
        runner.write_checkpoint = write_checkpoint


def _run(config, spec, G, mode: str) -> dict:
    pacer = _Pacer(spec, G)
    with tempfile.TemporaryDirectory() as d, _Meter() as meter:
        _evolve(config, Path(d) / "run.h5", *MODES[mode], Hooks(callbacks=[pacer]))
    r = pacer.ratios()
    m = np.array(pacer.marks)
    return {**meter.medians(), "bare_develop_s": float(np.median(m[:, 2])),
            "fingerprint_develop_s": float(np.median(m[:, 3])),
            "generation_median_s": float(np.median(r["generation_s"])),
            "generation_s": r["generation_s"].tolist(),
            "ratio_vs_bare": float(np.median(r["vs_bare"])),
            "ratio_vs_fingerprint": float(np.median(r["vs_fingerprint"])),
            "ratio_vs_population": float(np.median(r["vs_population"])),
            "evals_per_s": float(len(G) / np.median(r["generation_s"]))}


def _round(r: int, config, spec, G, modes: list[str]) -> dict:
    out = {"load_before": os.getloadavg()[0]}
    for mode in (modes if r % 2 == 0 else modes[::-1]):     # take turns going first
        out[mode] = _run(config, spec, G, mode)
    out["load_after"] = os.getloadavg()[0]
    runs = "; ".join(f"{m.replace('_', ' ')} writes {out[m]['evals_per_s']:,.0f} evaluations/s, "
                     f"{100 * out[m]['ratio_vs_bare']:.1f}% of bare develop, "
                     f"{100 * out[m]['ratio_vs_fingerprint']:.1f}% of develop with fingerprints, "
                     f"{100 * out[m]['ratio_vs_population']:.1f}% of it on the population"
                     for m in modes)
    print(f"round {r + 1} (load {out['load_before']:.2f} -> {out['load_after']:.2f}): "
          f"{runs}", file=sys.stderr)
    for m in modes:
        a = out[m]
        print(f"  {m.replace('_', ' ')} writes, ms per generation (medians): generation "
              f"{1e3 * a['generation_median_s']:.1f} = develop in the run "
              f"{1e3 * a['develop_in_run_s']:.1f} + the rest "
              f"{1e3 * (a['generation_median_s'] - a['develop_in_run_s']):.1f}; bare develop "
              f"{1e3 * a['bare_develop_s']:.1f}, with fingerprints "
              f"{1e3 * a['fingerprint_develop_s']:.1f}; the writer's CPU "
              f"{1e3 * a['writer_cpu_s']:.1f}", file=sys.stderr)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--generations", type=int, default=10)
    ap.add_argument("--pop", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-inline", action="store_true",
                    help="skip the comparison runs with every generation written in line")
    ap.add_argument("--bounds", action="store_true",
                    help="also run without the checkpoint, and into a run file in memory, "
                         "to bound what the durable writes cost")
    args = ap.parse_args(argv)
    if args.generations < 4:
        ap.error("--generations must be >= 4 (the first and last generations are not timed)")
    config = _config(args.generations, args.pop)
    modes = ["background"] if args.no_inline else ["background", "inline"]
    if args.bounds:
        modes += ["no_checkpoint", "memory"]
    spec = HNCASpec.preset("bielawski")
    K = args.pop + 2
    G = spec.random_genomes(K, seed=0)
    develop(spec, G)
    develop(spec, G, fingerprint=True)
    rounds = [_round(r, config, spec, G, modes) for r in range(args.rounds)]
    res = {"population": args.pop, "offspring_per_generation": K,
           "generations_timed_per_run": args.generations - 2, "rounds": rounds,
           "load_median": float(np.median([r["load_before"] for r in rounds]))}
    for mode in modes:
        for ref in ("bare", "fingerprint", "population"):
            res[f"{mode}_ratio_vs_{ref}_median"] = float(np.median(
                [r[mode][f"ratio_vs_{ref}"] for r in rounds]))
        print(f"median over {args.rounds} rounds, {mode.replace('_', ' ')} writes: "
              f"{100 * res[f'{mode}_ratio_vs_bare_median']:.1f}% of bare develop, "
              f"{100 * res[f'{mode}_ratio_vs_fingerprint_median']:.1f}% of develop with "
              f"fingerprints, {100 * res[f'{mode}_ratio_vs_population_median']:.1f}% of it on "
              f"the population", file=sys.stderr)
    if not args.no_inline:
        res["background_over_inline_median"] = float(np.median(
            [r["background"]["evals_per_s"] / r["inline"]["evals_per_s"] for r in rounds]))
        print(f"background / inline writes: {res['background_over_inline_median']:.3f} "
              f"(evaluations/s, median of the rounds)", file=sys.stderr)
    print(f"load average: {res['load_median']:.2f} (median at the rounds' start; the machine "
          f"has {os.cpu_count()} CPUs)", file=sys.stderr)
    if args.json:
        print(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
