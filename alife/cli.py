"""The ``alife`` command line.  It parses arguments and calls the library.

    alife demo [--seed N] [--out DIR] [--preset NAME]
    alife evolve CONFIG.toml --out RUN.h5 [--force] [--no-progress]
    alife show RUN.h5
    alife plot RUN.h5 [--out DIR]
    alife neutral CONFIG.toml --out NET.h5 [--figs DIR] [--force]
    alife genonets INPUT.tsv --alphabet RNA --tau 0 --out DIR [--include-indels]
                   [--use-all-components] [--force]

Bad input is reported as one line on stderr with exit code 2, never a
traceback.
"""
from __future__ import annotations

import argparse
import sys


class UsageError(Exception):
    """A problem with what the user asked for: one line, exit code 2."""


def _cmd_demo(args) -> int:
    from .demo import run_demo
    from .nca import HNCASpec

    if args.preset not in HNCASpec.presets():
        raise UsageError(f"unknown preset {args.preset!r}; "
                         f"choose one of {', '.join(HNCASpec.presets())}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    summary = run_demo(args.out, seed=args.seed, preset=args.preset)
    print(f"grew {summary['preset']} genome #{summary['genome_index']} (seed {summary['seed']}): "
          f"{summary['cells_on']} cells on, phenotype id {summary['phenotype_id']}")
    for f in summary["files"]:
        print(f"  wrote {args.out}/{f}")
    return 0


def _cmd_evolve(args) -> int:
    from .config import load_config
    from .evolve.runner import evolve

    config = load_config(args.config)
    s = evolve(config, args.out, force=args.force, progress=False if args.no_progress else None)
    print(f"{args.out}: {s['generations_done']} generations, best loss "
          f"{float(s['best_loss'][-1]):g}, {s['mean_evals_per_s']:,.0f} evaluations/s")
    return 0


def _cmd_show(args) -> int:
    from .store import RunFile

    with RunFile.open(args.run, "r") as run:
        s = run.summary()
    best = s["best_loss"]
    print(f"run file:     {s['path']} ({s['status']})")
    print(f"generations:  {s['generations_done']}  population {s['pop_size']}  genes {s['genome_size']}")
    if len(best):
        print(f"best loss:    {float(best[-1]):g} (first generation {float(best[0]):g})")
    print(f"evaluations/s (mean): {s['mean_evals_per_s']:,.0f}")
    print(f"phenotypes stored: {s['n_phenotypes']}")
    print("config:")
    for line in s["config_toml"].splitlines():
        print(f"  {line}")
    return 0


def _cmd_plot(args) -> int:
    from pathlib import Path

    from .plots import plot_run

    out = args.out or str(Path(args.run).with_suffix("")) + "_plots"
    for p in plot_run(args.run, out):
        print(f"wrote {p}")
    return 0


def _cmd_neutral(args) -> int:
    from .neutral.config import load_neutral_config
    from .neutral.run import run_neutral

    config = load_neutral_config(args.config)
    s = run_neutral(config, args.out, force=args.force, figs=args.figs)
    if "networks" in s:
        for n in s["networks"]:
            print(f"network {n['seed']} ({n['source']}): {n['size']} genotypes"
                  f"{' (complete)' if n['complete'] else ''}, R = {n['robustness']:.3f}, "
                  f"E = {n['evolvability']}, {n['n_evaluations']:,} evaluations")
    else:
        print(f"{s['n_genotypes']:,} genotypes, {s['n_phenotypes']:,} phenotypes, "
              f"{s['n_components']:,} genotype networks, undefined {s['undefined_fraction']:.3f}")
    print(f"wrote {args.out} and {len(s['files'])} figure/GraphML files")
    return 0


def _cmd_genonets(args) -> int:
    from .neutral.genonets import run_genonets

    run_genonets(args.input, args.alphabet, args.tau, args.out, force=args.force,
                 include_indels=args.include_indels, use_all_components=args.use_all_components)
    print(f"wrote the genonets result files into {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alife", description="Neutral networks of evolved and trained systems.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="grow one surviving random HNCA and draw its phenotype and development")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    d.add_argument("--preset", default="bielawski", help="HNCA preset (default bielawski)")
    d.set_defaults(func=_cmd_demo)
    e = sub.add_parser("evolve", help="run or resume an evolution experiment into an HDF5 run file")
    e.add_argument("config", help="TOML config (see experiments/smoke/evolve.toml)")
    e.add_argument("--out", required=True, help="run file; an unfinished one with the same config is resumed")
    e.add_argument("--force", action="store_true", help="overwrite a finished or different run")
    e.add_argument("--no-progress", action="store_true", help="no progress line")
    e.set_defaults(func=_cmd_evolve)
    sh = sub.add_parser("show", help="config, generations done, best loss and speed of a run file")
    sh.add_argument("run")
    sh.set_defaults(func=_cmd_show)
    pl = sub.add_parser("plot", help="loss curves, best phenotype vs target, filmstrip, mutation classes")
    pl.add_argument("run")
    pl.add_argument("--out", help="folder for the PNGs (default: RUN_plots next to the run file)")
    pl.set_defaults(func=_cmd_plot)
    nn = sub.add_parser("neutral", help="build and measure neutral networks of a GP map into NET.h5")
    nn.add_argument("config", help="TOML config (see experiments/smoke/neutral.toml)")
    nn.add_argument("--out", required=True, help="result file (HDF5); never overwritten without --force")
    nn.add_argument("--figs", help="folder for figures and GraphML (default: NET_figs next to --out)")
    nn.add_argument("--force", action="store_true", help="overwrite an existing result file")
    nn.set_defaults(func=_cmd_neutral)
    gn = sub.add_parser("genonets", help="genonets-compatible analysis of a genonets input file")
    gn.add_argument("input", help="tab-separated genonets input (Genotypeset, Delta, Genotype, Score)")
    gn.add_argument("--alphabet", required=True, help="RNA, DNA, Protein or Binary")
    gn.add_argument("--tau", type=float, required=True, help="score threshold (genonets' tau)")
    gn.add_argument("--out", required=True, help="output folder for the result files")
    gn.add_argument("--include-indels", action="store_true",
                    help="also count single insertions/deletions as mutations (genonets' flag)")
    gn.add_argument("--use-all-components", action="store_true",
                    help="measure every component, not just the dominant network (genonets' flag)")
    gn.add_argument("--force", action="store_true", help="write into a non-empty output folder")
    gn.set_defaults(func=_cmd_genonets)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)   # argparse itself exits 2 with one usage line
    try:
        return args.func(args)
    except (UsageError, ValueError, OSError) as e:
        print(f"alife {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
