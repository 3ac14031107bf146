"""The GECCO 2024 comparison: a 4-level HNCA against the flat NCA, evolved with AFPO.

Bielawski et al., "Evolving hierarchical neural cellular automata", GECCO 2024.
Two arms that differ only in ``[model] levels``:

* ``hnca``: the Bielawski preset, 4 levels 64/32/16/8, 100 steps, 51 genes;
* ``flat``: the same preset with ``levels = 1`` (one 64x64 level, 9 genes);

both evolved by AFPO with the ``resample`` mutation (one gene redrawn from
U(-1, 1)) on three built-in targets: ``square``, ``diamond`` and
``hollow_circle``.  Every (arm, task, trial) is one run: its config is written
to ``OUT/configs/<arm>-<task>-<trial>.toml`` (canonical text,
:func:`alife.evolve.config.dumps`) and evolved into ``OUT/runs/<arm>-<task>-<trial>.h5``,
one run after another.  A finished run is skipped; an unfinished one resumes
from its checkpoint (:func:`alife.evolve.runner.evolve` does that); a run file
or config file written by a different config (another variant in the same
OUT) stops the script before anything runs.

Usage::

    python experiments/gecco2024/run.py --variant quick --out out/gecco2024-quick
    python analysis/gecco2024.py out/gecco2024-quick

Seeds: the run's ``seed`` is a pure function of (variant, arm, task, trial),
:func:`run_seed`: the first 64-bit word of ``numpy.random.SeedSequence(
[BASE_SEED, crc32(variant), crc32(arm), crc32(task), trial])``, shifted right
by one bit (so it fits TOML's signed 64-bit integers).  Names, not positions,
enter the seed, so adding a task or an arm never changes the others' seeds,
and ``--trials N`` runs trials 0 .. N-1 with the same seeds whatever N is
(``--trials 2`` now and ``--trials 5`` later extends the same experiment).
"""
from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

import numpy as np

from alife.config import ConfigError
from alife.evolve.config import dumps, from_dict
from alife.evolve.runner import RunError, evolve
from alife.store import RunFile, RunFileError

#: The arms: each one's ``[model]`` overrides on top of the variant's.  They
#: share everything else (preset, base size, steps, task, algorithm, mutation).
ARMS: dict[str, dict] = {"hnca": {}, "flat": {"levels": 1}}

#: The targets of the comparison (alife.tasks.TARGETS).
TASKS: tuple[str, ...] = ("square", "diamond", "hollow_circle")

#: Root of every run seed (see :func:`run_seed`).
BASE_SEED = 2024

#: The sizes of the experiment.  ``model`` is added to ``[model]`` (preset
#: "bielawski"); ``pop_size`` and ``n_newcomers`` go to AFPO.
#:
#: * ``full``: the paper's scale, 500 individuals, 2000 generations, 20 trials
#:   per (arm, task).  ``n_newcomers = 100`` follows the GECCO reference code
#:   (``n_random_individuals_per_generation: 100`` beside
#:   ``target_population_size: 500`` in github.com/ngaylinn/mocs-final).
#:   About 120 runs x 1.2 million lifetimes: not for CI (README: how long).
#: * ``quick``: 100 individuals + 2 newcomers, 200 generations, 5 trials;
#:   the full model (64x64, 100 steps); 30 runs, meant to finish in under
#:   15 minutes on 2 cores.
#: * ``smoke``: a 16x16 base, 20 steps, 12 individuals, 6 generations,
#:   2 trials: seconds, for the test suite.
VARIANTS: dict[str, dict] = {
    "full": dict(model={}, pop_size=500, n_newcomers=100, generations=2000, trials=20),
    "quick": dict(model={}, pop_size=100, n_newcomers=2, generations=200, trials=5),
    "smoke": dict(model={"base_size": 16, "steps": 20}, pop_size=12, n_newcomers=2,
                  generations=6, trials=2),
}


def run_seed(variant: str, arm: str, task: str, trial: int) -> int:
    """The seed of one run, a pure function of its four coordinates.

    Returns
    -------
    int in [0, 2**63)
    """
    words = [BASE_SEED, zlib.crc32(variant.encode()), zlib.crc32(arm.encode()),
             zlib.crc32(task.encode()), int(trial)]
    word = np.random.SeedSequence(words).generate_state(1, np.uint64)[0]
    return int(word >> np.uint64(1))


def run_name(arm: str, task: str, trial: int) -> str:
    """``<arm>-<task>-<trial>``: the stem of the config and run file names."""
    return f"{arm}-{task}-{trial}"


def make_config(variant: str, arm: str, task: str, trial: int):
    """The :class:`alife.evolve.config.EvolveConfig` of one run (validated)."""
    v = VARIANTS[variant]
    data = {
        "seed": run_seed(variant, arm, task, trial),
        "generations": v["generations"],
        "model": {"preset": "bielawski", **v["model"], **ARMS[arm]},
        "task": {"target": task},
        "algorithm": {"name": "afpo", "pop_size": v["pop_size"], "n_newcomers": v["n_newcomers"]},
        "mutation": {"name": "resample"},
    }
    return from_dict(data, name=run_name(arm, task, trial))


def evaluations(variant: str) -> int:
    """Lifetimes one run of ``variant`` develops: P at generation 0, then P + R per generation."""
    v = VARIANTS[variant]
    return v["pop_size"] + (v["generations"] - 1) * (v["pop_size"] + v["n_newcomers"])


def plan(trials: int) -> list[tuple[str, str, int]]:
    """Every (arm, task, trial), trial-major so a stopped experiment has whole trials."""
    return [(arm, task, trial) for trial in range(trials) for task in TASKS for arm in ARMS]


def _check_existing(out: Path, variant: str, order) -> dict:
    """Refuse to mix configs in one folder; return {name: (config, text, finished)}."""
    found = {}
    for arm, task, trial in order:
        name = run_name(arm, task, trial)
        config = make_config(variant, arm, task, trial)
        text = dumps(config)
        cfg_path = out / "configs" / f"{name}.toml"
        if cfg_path.exists() and cfg_path.read_text(encoding="utf-8") != text:
            raise RunError(f"{cfg_path} holds a different config (another variant?); "
                           f"use a new --out")
        finished = False
        run_path = out / "runs" / f"{name}.h5"
        if run_path.exists():
            with RunFile.open(run_path, "r") as rf:
                if rf.config_toml != text:
                    raise RunError(f"{run_path} was written by a different config (another "
                                   f"variant?); use a new --out")
                finished = rf.status == "done"
        found[name] = (config, text, finished)
    return found


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description="GECCO 2024 comparison: 4-level HNCA vs flat NCA, AFPO + resample mutation, "
                    "on square, diamond and hollow_circle.")
    p.add_argument("--variant", required=True, choices=sorted(VARIANTS),
                   help="experiment size: " + "; ".join(
                       f"{k}: pop {v['pop_size']}, {v['generations']} generations, "
                       f"{v['trials']} trials" for k, v in VARIANTS.items()))
    p.add_argument("--out", required=True, type=Path, help="output folder (configs/, runs/)")
    p.add_argument("--trials", type=int, default=None,
                   help="trials per (arm, task), 0 .. N-1 (default: the variant's)")
    p.add_argument("--progress", action="store_true",
                   help="show a progress line per run (default: only on a terminal)")
    args = p.parse_args(argv)
    trials = VARIANTS[args.variant]["trials"] if args.trials is None else args.trials
    if trials < 1:
        p.error(f"--trials must be >= 1, got {trials}")

    order = plan(trials)
    try:
        found = _check_existing(args.out, args.variant, order)
        (args.out / "configs").mkdir(parents=True, exist_ok=True)
        (args.out / "runs").mkdir(parents=True, exist_ok=True)
    except (ConfigError, RunError, RunFileError, OSError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2

    n = len(order)
    spent = {arm: [0.0, 0] for arm in ARMS}   # seconds and runs that ran here, per arm
    t_all = time.perf_counter()
    for i, (arm, task, trial) in enumerate(order, 1):
        name = run_name(arm, task, trial)
        config, text, finished = found[name]
        cfg_path = args.out / "configs" / f"{name}.toml"
        run_path = args.out / "runs" / f"{name}.h5"
        head = f"[{i:>{len(str(n))}}/{n}] {arm:<4} {task:<13} trial {trial}:"
        if finished:
            with RunFile.open(run_path, "r") as rf:
                best = rf.summary()["best_loss"]
            print(f"{head} final best loss {best[-1]:g} (finished before, skipped)", flush=True)
            continue
        try:
            if not cfg_path.exists():
                cfg_path.write_text(text, encoding="utf-8")
            t = time.perf_counter()
            summary = evolve(config, run_path, progress=True if args.progress else None)
            dt = time.perf_counter() - t
        except (RunError, RunFileError, OSError) as e:
            print(f"error: {name}: {' '.join(str(e).split())}", file=sys.stderr)
            return 2
        spent[arm][0] += dt
        spent[arm][1] += 1
        print(f"{head} final best loss {summary['best_loss'][-1]:g} ({dt:.1f} s)", flush=True)

    ran = sum(c for _, c in spent.values())
    total = time.perf_counter() - t_all
    print(f"done: {n} runs in {args.out / 'runs'} ({ran} ran in {total:.0f} s, {n - ran} skipped)")
    _print_extrapolation(args.variant, spent)
    return 0


def _print_extrapolation(variant: str, spent: dict) -> None:
    """How long the full variant would take on this machine, from this run's timing.

    Only for variants with the full model (same base size and steps), where
    seconds per lifetime carry over: scaled by lifetimes, per arm (the flat
    NCA develops faster).
    """
    if VARIANTS[variant]["model"] != VARIANTS["full"]["model"] or variant == "full":
        return
    if any(c == 0 for _, c in spent.values()):
        return
    full_runs = VARIANTS["full"]["trials"] * len(TASKS)
    est = sum(s / c / evaluations(variant) * evaluations("full") * full_runs
              for s, c in spent.values())
    print(f"estimate: the full variant ({full_runs * len(ARMS)} runs of "
          f"{evaluations('full'):,} lifetimes) would take about {est / 3600:.1f} hours "
          f"on this machine (seconds per lifetime of this run, per arm)")


if __name__ == "__main__":
    sys.exit(main())
