"""The ``alife`` command line.  It parses arguments and calls the library.

    alife demo [--seed N] [--out DIR] [--preset NAME]
    alife evolve CONFIG.toml|EXAMPLE --out RUN.h5 [--force] [--no-progress]
                 [--executor threads|processes|dask] [--workers N] [--scheduler tcp://HOST:PORT]
    alife show RUN.h5
    alife plot RUN.h5|BRIDGE.h5 [--out DIR] [--format png|pdf|svg] [--force]
    alife bridge CONFIG.toml|EXAMPLE --out BRIDGE.h5 [--save-checkpoints DIR] [--force]
    alife compare BRIDGE.h5 --out TABLE.md [--rna-phenotypes CSV] [--hnca-neutral JSON]
                  [--hnca-pairs JSON] [--force]
    alife neutral CONFIG.toml|EXAMPLE --out NET.h5 [--figs DIR] [--format png|pdf|svg]
                  [--force] [--executor ...]
                  [--workers N] [--scheduler tcp://HOST:PORT]
    alife genonets INPUT.tsv --alphabet RNA --tau 0 --out DIR [--include-indels]
                   [--use-all-components] [--force]
    alife report RUN.h5|NET.h5|BRIDGE.h5 -o REPORT.html [--force] [--include-host]
    alife verify RUN.h5|NET.h5|BRIDGE.h5

EXAMPLE is the name of a config shipped with alife (smoke; digits for bridge),
see :mod:`alife.examples`.

Bad input is reported as one line on stderr with exit code 2, never a
traceback; so is running out of memory.  ``evolve``, ``neutral``, ``bridge``
and ``genonets`` refuse, before any work, sizes whose memory or work
estimate is over ``--max-memory SIZE`` / ``--max-work N`` (or
``ALIFE_MAX_MEMORY`` / ``ALIFE_MAX_WORK``; see :mod:`alife.config.limits`).
Every command that writes takes its output's lock first
(:func:`alife.store.output_lock`): a second process writing the same output
is refused (exit 2), with or without ``--force``; an output that is one of
the command's inputs, or not a regular file, is refused too.
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


def _add_format_arg(parser) -> None:
    from .figures import FORMATS

    parser.add_argument("--format", choices=FORMATS, default=FORMATS[0],
                        help="file format of the figures: png, or pdf and svg (vector, "
                             "for print) (default: png)")


def _add_limit_args(p, work: bool = True):
    p.add_argument("--max-memory", metavar="SIZE",
                   help="memory the config may ask for, e.g. 64G or none (default: half of "
                        "this machine's memory, or ALIFE_MAX_MEMORY)")
    if work:
        p.add_argument("--max-work", metavar="N",
                       help="operations the config may ask for, e.g. 1e18 or none (default "
                            "1e16, or ALIFE_MAX_WORK)")


def _add_executor_args(p):
    p.add_argument("--executor", help="where batches are developed: threads (default, this "
                   "process), processes (a local pool) or dask")
    p.add_argument("--workers", type=int, help="worker processes for --executor processes or a "
                   "local dask cluster (default 2)")
    p.add_argument("--scheduler", help="a running Dask scheduler, tcp://HOST:PORT (implies "
                   "--executor dask)")


def _executor_options(args) -> dict:
    """Check --executor/--workers/--scheduler (before any work starts); the
    keyword arguments of :func:`alife.parallel.make_executor`."""
    from .parallel import EXECUTORS

    name, scheduler = args.executor, args.scheduler
    if name is not None and name not in EXECUTORS:
        raise UsageError(f"unknown --executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    if scheduler is not None:
        if name not in (None, "dask"):
            raise UsageError(f"--scheduler needs --executor dask, not {name!r}")
        if "://" not in scheduler:
            raise UsageError(f"--scheduler must look like tcp://HOST:PORT, got {scheduler!r}")
        if args.workers is not None:
            raise UsageError("--workers is set by the Dask cluster behind --scheduler; drop it")
    if args.workers is not None:
        if args.workers < 1:
            raise UsageError(f"--workers must be >= 1, got {args.workers}")
        if name in (None, "threads") and scheduler is None:
            raise UsageError("--workers needs --executor processes or dask")
    return {"name": name, "workers": args.workers, "scheduler": scheduler}


def _executor(options: dict):
    from .parallel import make_executor

    try:
        return make_executor(**options)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _not_an_input(out, *inputs) -> None:
    """Refuse an output that is one of the command's input files."""
    from .store import refuse_same_file

    refuse_same_file(out, inputs)


def _cmd_evolve(args) -> int:
    from .evolve.config import load_config
    from .evolve.runner import evolve
    from .examples import config_path

    options = _executor_options(args)
    config_file = config_path("evolve", args.config)
    _not_an_input(args.out, config_file)
    config = load_config(config_file)
    with _executor(options) as ex:
        s = evolve(config, args.out, force=args.force,
                   progress=False if args.no_progress else None, executor=ex)
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

    from .store import folder_lock, result_kind

    out = args.out or str(Path(args.run).with_suffix("")) + "_plots"
    kind = result_kind(args.run)
    if kind not in ("bridge", None):
        raise UsageError(f"{args.run} is an alife {kind} file; alife plot draws run files and "
                         f"bridge files (alife neutral draws its figures itself, see --figs)")
    with folder_lock(out):
        if kind == "bridge":
            from .bridge.plots import plot_bridge
            files = plot_bridge(args.run, out, force=args.force, fmt=args.format)
        else:
            from .evolve.plots import plot_run
            files = plot_run(args.run, out, force=args.force, fmt=args.format)
    for p in files:
        print(f"wrote {p}")
    return 0


def _cmd_bridge(args) -> int:
    from .bridge.config import load_bridge_config
    from .examples import config_path

    config_file = config_path("bridge", args.config)
    _not_an_input(args.out, config_file)
    config = load_bridge_config(config_file)   # before torch is imported
    from .bridge.run import run_bridge
    s = run_bridge(config, args.out, force=args.force, progress=not args.no_progress,
                   save_checkpoints=args.save_checkpoints)
    print(f"wrote {args.out}: {len(s['pairs'])} pairs, {len(s['align'])} aligned pairs, "
          f"{s['seconds']:.0f} s")
    return 0


def _cmd_compare(args) -> int:
    from pathlib import Path

    from .bridge.compare import compare
    from .store import atomic_write, check_target, output_lock
    from .store.atomic import open_exclusive

    out = Path(args.out)
    _not_an_input(out, args.bridge, args.rna_phenotypes, args.hnca_neutral, args.hnca_pairs)
    with output_lock(out):
        check_target(out, force=args.force)
        table = compare(args.bridge, args.rna_phenotypes, args.hnca_neutral, args.hnca_pairs,
                        sigma=args.sigma)
        with atomic_write(out) as tmp, open_exclusive(tmp, "w") as fh:
            fh.write(table)
    print(table, end="")
    print(f"wrote {out}")
    return 0


def _cmd_neutral(args) -> int:
    from .examples import config_path
    from .neutral.config import load_neutral_config
    from .neutral.run import run_neutral

    options = _executor_options(args)
    config_file = config_path("neutral", args.config)
    _not_an_input(args.out, config_file)
    config = load_neutral_config(config_file)
    _not_an_input(args.out, config.seeds.get("run"), config.map.get("file"))
    with _executor(options) as ex:
        s = run_neutral(config, args.out, force=args.force, figs=args.figs, executor=ex,
                        fmt=args.format)
    if "pairs" in s:
        for r in s["pairs"]:
            print(f"{r['label']}: {'connected' if r['found'] else 'no path found'} "
                  f"({r['stop']}; {r['path_steps'] or 0} one-gene steps, "
                  f"{r['n_evaluations']:,} evaluations)")
        print(f"{s['n_found']} of {s['n_pairs']} pairs connected")
    elif "networks" in s:
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
    from .store import folder_lock

    _not_an_input(args.out, args.input)
    with folder_lock(args.out):
        run_genonets(args.input, args.alphabet, args.tau, args.out, force=args.force,
                     include_indels=args.include_indels,
                     use_all_components=args.use_all_components)
    print(f"wrote the genonets result files into {args.out}")
    return 0


def _cmd_report(args) -> int:
    from .report import write_report

    out = write_report(args.file, args.output, force=args.force, include_host=args.include_host)
    print(f"wrote {out}")
    return 0


def _cmd_verify(args) -> int:
    from .store import verify_file

    print(f"{args.file}: ok ({verify_file(args.file)})")
    return 0


def _config_help(command: str) -> str:
    from .examples import names
    listed = ", ".join(names(command))
    return f"TOML config file, or the name of an example shipped with alife: {listed}"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alife", description="Neutral networks of evolved and trained systems.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="grow one surviving random HNCA and draw its phenotype and development")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    d.add_argument("--preset", default="bielawski", help="HNCA preset (default bielawski)")
    d.set_defaults(func=_cmd_demo)
    e = sub.add_parser("evolve", help="run or resume an evolution experiment into an HDF5 run file")
    e.add_argument("config", help=_config_help("evolve"))
    e.add_argument("--out", required=True, help="run file; an unfinished one with the same config is resumed")
    e.add_argument("--force", action="store_true", help="overwrite a finished or different run")
    e.add_argument("--no-progress", action="store_true", help="no progress line")
    _add_limit_args(e)
    _add_executor_args(e)
    e.set_defaults(func=_cmd_evolve)
    sh = sub.add_parser("show", help="config, generations done, best loss and speed of a run file")
    sh.add_argument("run")
    sh.set_defaults(func=_cmd_show)
    pl = sub.add_parser("plot", help="figures of a run file (loss, best phenotype, filmstrip, "
                                     "mutation classes) or of a BRIDGE.h5 file")
    pl.add_argument("run", help="RUN.h5 of alife evolve or BRIDGE.h5 of alife bridge")
    pl.add_argument("--out", help="folder for the figures (default: RUN_plots next to the run file)")
    _add_format_arg(pl)
    pl.add_argument("--force", action="store_true", help="overwrite figures already in the folder")
    pl.set_defaults(func=_cmd_plot)
    br = sub.add_parser("bridge", help="mode connectivity of trained nets (paths, CKA, loss plane, "
                                       "ensembles, weight matching) into BRIDGE.h5")
    br.add_argument("config", help=_config_help("bridge"))
    br.add_argument("--out", required=True, help="result file (HDF5); never overwritten without --force")
    br.add_argument("--save-checkpoints", metavar="DIR",
                    help="also write every endpoint as a checkpoint (pairN_a.h5, pairN_b.h5)")
    br.add_argument("--force", action="store_true", help="overwrite an existing result file")
    br.add_argument("--no-progress", action="store_true", help="no progress lines")
    _add_limit_args(br)
    br.set_defaults(func=_cmd_bridge)
    cp = sub.add_parser("compare", help="the biology-vs-ML comparison table (markdown)")
    cp.add_argument("bridge", help="BRIDGE.h5 of alife bridge (the trained-MLP row)")
    cp.add_argument("--rna-phenotypes",
                    help="phenotypes.csv of experiments/rna/run.py (default: the shipped one)")
    cp.add_argument("--hnca-neutral",
                    help="results.json of experiments/hnca_neutral/run.py (default: the shipped one)")
    cp.add_argument("--hnca-pairs",
                    help="hnca_pairs.json of experiments/bridge/hnca_pairs.py "
                         "(default: the shipped one)")
    cp.add_argument("--sigma", type=float, default=None,
                    help="weight-perturbation size of the MLP's robustness cell (default 0.01)")
    cp.add_argument("--out", required=True, help="markdown file for the table")
    cp.add_argument("--force", action="store_true", help="overwrite an existing table")
    cp.set_defaults(func=_cmd_compare)
    nn = sub.add_parser("neutral", help="build and measure neutral networks of a GP map into NET.h5")
    nn.add_argument("config", help=_config_help("neutral"))
    nn.add_argument("--out", required=True, help="result file (HDF5); never overwritten without --force")
    nn.add_argument("--figs", help="folder for figures and GraphML (default: NET_figs next to --out)")
    _add_format_arg(nn)
    nn.add_argument("--force", action="store_true",
                    help="overwrite an existing result file and the figures in --figs")
    _add_limit_args(nn)
    _add_executor_args(nn)
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
    _add_limit_args(gn, work=False)
    gn.set_defaults(func=_cmd_genonets)
    rp = sub.add_parser("report", help="one self-contained HTML page: config, provenance, "
                                       "headline numbers and every figure of a run or result file")
    rp.add_argument("file", help="run file (alife evolve) or result file (alife neutral, bridge)")
    rp.add_argument("-o", "--output", required=True, help="HTML file to write")
    rp.add_argument("--force", action="store_true", help="overwrite an existing report")
    rp.add_argument("--include-host", action="store_true",
                    help="also show the hostname, the Python executable and the file's full path "
                         "(left out by default, so reports can be shared)")
    rp.set_defaults(func=_cmd_report)
    vf = sub.add_parser("verify", help="check a run or result file end to end (every chunk's "
                                       "checksum, every generation's CRC): one line, exit 2 if damaged")
    vf.add_argument("file", help="run file (alife evolve) or result file (alife neutral, bridge)")
    vf.set_defaults(func=_cmd_verify)
    return p


#: Optional packages (top-level import name) and the extra that installs them.
_EXTRAS = {"torch": "bridge", "sklearn": "bridge", "RNA": "rna", "dask": "dask",
           "distributed": "dask"}


def _install_hint(e: ImportError) -> str | None:
    """One line saying which extra to install, for a missing optional package."""
    top = (getattr(e, "name", None) or "").split(".")[0]
    if isinstance(e, ModuleNotFoundError) and top in _EXTRAS:
        return (f"this needs {top}, which is not installed; "
                f"pip install 'alife-neutral[{_EXTRAS[top]}]'")
    if "pip install" in str(e):
        return " ".join(str(e).split())
    return None


def _out_of_memory(command: str) -> str:
    return (f"alife {command}: error: out of memory; use smaller sizes (population, budgets, "
            f"grids) or a smaller input, or free memory (the size checks estimate it "
            f"against --max-memory, see the README)")


def main(argv=None) -> int:
    import warnings

    from .config.limits import limits

    parser = build_parser()
    args = parser.parse_args(argv)   # argparse itself exits 2 with one usage line

    def one_line(message, category, filename, lineno, file=None, line=None):
        # warnings (e.g. an unverified old result file) as one line each
        print(f"alife {args.command}: warning: {' '.join(str(message).split())}",
              file=sys.stderr if file is None else file)
    with warnings.catch_warnings():
        from .store import UnverifiedResultWarning
        warnings.filterwarnings("default", category=UnverifiedResultWarning)
        warnings.showwarning = one_line
        try:
            with limits(memory=getattr(args, "max_memory", None),
                        work=getattr(args, "max_work", None)):
                return args.func(args)
        except (UsageError, ValueError, OSError) as e:
            print(f"alife {args.command}: error: {' '.join(str(e).split()) or type(e).__name__}",
                  file=sys.stderr)
            return 2
        except MemoryError:
            print(_out_of_memory(args.command), file=sys.stderr)
            return 2
        except ImportError as e:
            hint = _install_hint(e)
            if hint is None:
                raise
            print(f"alife {args.command}: error: {hint}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
