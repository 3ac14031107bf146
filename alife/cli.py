"""The ``alife`` command line.  It parses arguments and calls the library.

    alife --version
    alife demo [--seed N] [--out DIR] [--preset NAME]
    alife evolve CONFIG.toml|EXAMPLE --out RUN.h5 [--seed N] [--generations N] [--force]
                 [--executor threads|processes|dask] [--workers N] [--scheduler tcp://HOST:PORT]
    alife show RUN.h5|NET.h5|BRIDGE.h5|SWEEP.h5
    alife plot RUN.h5|NET.h5|BRIDGE.h5|SWEEP.h5 [--out DIR] [--format png|pdf|svg] [--force]
    alife bridge CONFIG.toml|EXAMPLE --out BRIDGE.h5 [--seed N] [--save-checkpoints DIR] [--force]
    alife compare SWEEP.h5 [SWEEP.h5 ...] --out DIR [--format png|pdf|svg] [--force]
    alife compare BRIDGE.h5 --out TABLE.md [--rna-phenotypes CSV] [--hnca-neutral JSON]
                  [--hnca-pairs JSON] [--force]        (the earlier table, legacy)
    alife neutral CONFIG.toml|EXAMPLE --out NET.h5 [--seed N] [--figs DIR] [--format png|pdf|svg] [--force]
                  [--executor ...] [--workers N] [--scheduler tcp://HOST:PORT]
    alife genonets INPUT.tsv --alphabet RNA --tau 0 --out DIR [--include-indels]
                   [--use-all-components] [--force]
    alife report RUN.h5|NET.h5|BRIDGE.h5|SWEEP.h5 --out REPORT.html [--force] [--include-host]
    alife verify RUN.h5|NET.h5|BRIDGE.h5|SWEEP.h5

EXAMPLE is the name of a config shipped with alife (smoke; digits for bridge),
see :mod:`alife.examples`.  SWEEP.h5 is the result file of a sweep
(:func:`alife.sweep.run_sweep`).  The options several commands share are
built in :mod:`alife.cli_options`.

Every command that writes names its output with ``--out`` (``-o`` for
short; ``report`` also takes its old ``--output``), and every command takes
``--quiet`` (``-q``; ``--no-progress`` too where it existed): no progress
bars and no information messages, only warnings and errors.  Information
goes through :mod:`logging` (:func:`alife.logs.cli_logging`): to stdout,
warnings and errors to stderr; progress bars draw on stderr.  What a
command is asked to print (``show``'s summary, ``verify``'s verdict,
``compare``'s table) is printed whatever ``--quiet`` says.  ``--seed`` and ``--generations`` are
written into the config before it is checked and stored, so the stored config
records them: resuming needs the same values, other values are another run.

Bad input is reported as one line on stderr with exit code 2, never a
traceback; so is running out of memory, and so are argparse's own errors
(a missing argument, a value not among an option's choices).  ``evolve``,
``neutral``, ``bridge`` and ``genonets`` refuse, before any work, sizes whose
memory or work estimate is over ``--max-memory SIZE`` / ``--max-work N`` (or
``ALIFE_MAX_MEMORY`` / ``ALIFE_MAX_WORK``; see :mod:`alife.config.limits`).
Every command that writes takes its output's lock first
(:func:`alife.store.output_lock`): a second process writing the same output
is refused (exit 2), with or without ``--force``; an output that is one of
the command's inputs, or not a regular file, is refused too.
"""
from __future__ import annotations

import argparse
import logging
import sys

from . import __version__
from .cli_options import ANY_FILE as _ANY_FILE
from .cli_options import Choices as _Choices
from .cli_options import Parser as _Parser
from .cli_options import add_command as _sub
from .cli_options import add_executor_args as _add_executor_args
from .cli_options import add_format_arg as _add_format_arg
from .cli_options import add_limit_args as _add_limit_args
from .cli_options import add_out as _add_out
from .cli_options import add_quiet as _add_quiet
from .cli_options import add_seed as _add_seed
from .cli_options import alphabets as _alphabets
from .cli_options import config_help as _config_help
from .cli_options import install_hint as _install_hint
from .cli_options import one_of as _one_of
from .cli_options import out_of_memory as _out_of_memory
from .cli_options import presets as _presets

log = logging.getLogger(__name__)


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
    log.info(f"grew {summary['preset']} genome #{summary['genome_index']} (seed "
             f"{summary['seed']}): {summary['cells_on']} cells on, phenotype id "
             f"{summary['phenotype_id']}")
    for f in summary["files"]:
        log.info(f"  wrote {args.out}/{f}")
    return 0


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


def _overrides(args) -> dict:
    """The top-level config keys the command line sets (``--seed``, ``--generations``)."""
    keys = ("seed", "generations")
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


def _load(command: str, args):
    """The validated config of ``evolve``/``neutral``/``bridge``, with the
    command-line overrides written into the TOML data before it is checked,
    so the config text the result file stores records them."""
    from .examples import config_path

    config_file = config_path(command, args.config)
    _not_an_input(args.out, config_file)
    if command == "evolve":
        from .evolve.config import check_sizes, from_dict, load_config as load_file
    elif command == "neutral":
        from .neutral.config import check_sizes, load_neutral_config as load_file, loads_neutral
    else:
        from .bridge.config import check_sizes, load_bridge_config as load_file, loads_bridge
    overrides = _overrides(args)
    if not overrides:
        return load_file(config_file)
    from .config.toml import dump_toml, parse_toml, read_config_text

    name, text, base_dir = read_config_text(config_file)
    data = parse_toml(text, name)
    data.update(overrides)
    if command == "evolve":
        config = from_dict(data, name=name, base_dir=base_dir)
    else:
        try:
            text = dump_toml(data)
        except (TypeError, ValueError) as e:
            raise UsageError(f"{name}: cannot apply {', '.join('--' + k for k in overrides)} "
                             f"to this config ({e})") from None
        loads = loads_neutral if command == "neutral" else loads_bridge
        config = loads(text, name=name, base_dir=base_dir)
    check_sizes(config, name)
    return config


# ----------------------------------------------------------------- commands
def _cmd_evolve(args) -> int:
    from .evolve.runner import evolve

    options = _executor_options(args)
    config = _load("evolve", args)
    with _executor(options) as ex:
        s = evolve(config, args.out, force=args.force,
                   progress=False if args.quiet else None, executor=ex)
    log.info(f"{args.out}: {s['generations_done']} generations, best loss "
             f"{float(s['best_loss'][-1]):g}, {s['mean_evals_per_s']:,.0f} evaluations/s")
    return 0


def _cmd_show(args) -> int:
    from .describe import describe

    print(describe(args.file), end="")
    return 0


def _cmd_plot(args) -> int:
    from pathlib import Path

    from .store import folder_lock, result_kind

    out = args.out or str(Path(args.file).with_suffix("")) + "_plots"
    kind = result_kind(args.file)
    if kind not in ("bridge", "neutral", "sweep", None):
        raise UsageError(f"{args.file} is an alife {kind} file, with no figures; alife plot "
                         f"draws run files, NET.h5, BRIDGE.h5 and sweep result files")
    _not_an_input(out, args.file)
    with folder_lock(out):
        if kind == "sweep":
            from .sweep.plots import plot_sweep
            files, notes = plot_sweep(args.file, out, force=args.force, fmt=args.format)
            for note in notes:
                log.warning(note)
        elif kind == "bridge":
            from .bridge.plots import plot_bridge
            files = plot_bridge(args.file, out, force=args.force, fmt=args.format)
        elif kind == "neutral":
            from .report import plot_neutral_file
            files, notes = plot_neutral_file(args.file, out, force=args.force, fmt=args.format)
            for note in notes:
                log.warning(note)
        else:
            from .evolve.plots import plot_run
            files = plot_run(args.file, out, force=args.force, fmt=args.format)
    for p in files:
        log.info(f"wrote {p}")
    return 0


def _cmd_bridge(args) -> int:
    config = _load("bridge", args)   # before torch is imported
    from .bridge.run import run_bridge
    s = run_bridge(config, args.out, force=args.force, progress=not args.quiet,
                   save_checkpoints=args.save_checkpoints)
    log.info(f"wrote {args.out}: {len(s['pairs'])} pairs, {len(s['align'])} aligned pairs, "
             f"{s['seconds']:.0f} s")
    return 0


def _cmd_compare(args) -> int:
    from pathlib import Path

    from .bridge.compare import inputs_are_sweeps, write_comparison
    from .store import atomic_write, check_target, folder_lock, output_lock
    from .store.atomic import open_exclusive

    legacy = {"--rna-phenotypes": args.rna_phenotypes, "--hnca-neutral": args.hnca_neutral,
              "--hnca-pairs": args.hnca_pairs, "--sigma": args.sigma}
    out = Path(args.out)
    if inputs_are_sweeps(args.inputs):
        given = [k for k, v in legacy.items() if v is not None]
        if given:
            raise UsageError(f"{', '.join(given)}: only for the earlier table of a BRIDGE.h5; "
                             f"sweep files carry every row themselves")
        _not_an_input(out, *args.inputs)
        with folder_lock(out):
            files = write_comparison(args.inputs, out, fmt=args.format or "png",
                                     force=args.force)
        print(files[1].read_text(), end="")
        for p in files:
            log.info(f"wrote {p}")
        return 0
    if args.format is not None:
        raise UsageError("--format is for the comparison of sweep files; the earlier table of "
                         "a BRIDGE.h5 is one Markdown file")
    from .bridge.compare_legacy import compare
    bridge = args.inputs[0]
    _not_an_input(out, bridge, args.rna_phenotypes, args.hnca_neutral, args.hnca_pairs)
    with output_lock(out):
        check_target(out, force=args.force)
        table = compare(bridge, args.rna_phenotypes, args.hnca_neutral, args.hnca_pairs,
                        sigma=args.sigma)
        with atomic_write(out) as tmp, open_exclusive(tmp, "w") as fh:
            fh.write(table)
    print(table, end="")
    log.info(f"wrote {out}")
    return 0


def _cmd_neutral(args) -> int:
    from .neutral.run import run_neutral

    options = _executor_options(args)
    config = _load("neutral", args)
    _not_an_input(args.out, config.seeds.get("run"), config.map.get("file"))
    with _executor(options) as ex:
        s = run_neutral(config, args.out, force=args.force, figs=args.figs, executor=ex,
                        fmt=args.format, progress=False if args.quiet else None)
    if "pairs" in s:
        for r in s["pairs"]:
            print(f"{r['label']}: {'connected' if r['found'] else 'no path found'} "
                  f"({r['stop']}; {r['path_steps'] or 0} one-gene steps, "
                  f"{r['n_evaluations']:,} evaluations)")
        print(f"{s['n_found']} of {s['n_pairs']} pairs connected")
    elif "networks" in s:
        for n in s["networks"]:
            log.info(f"network {n['seed']} ({n['source']}): {n['size']} genotypes"
                     f"{' (complete)' if n['complete'] else ''}, R = {n['robustness']:.3f}, "
                     f"E = {n['evolvability']}, {n['n_evaluations']:,} evaluations")
    else:
        log.info(f"{s['n_genotypes']:,} genotypes, {s['n_phenotypes']:,} phenotypes, "
                 f"{s['n_components']:,} genotype networks, undefined "
                 f"{s['undefined_fraction']:.3f}")
    log.info(f"wrote {args.out} and {len(s['files'])} figure/GraphML files")
    return 0


def _cmd_genonets(args) -> int:
    from .neutral.genonets import run_genonets
    from .store import folder_lock

    _not_an_input(args.out, args.input)
    with folder_lock(args.out):
        run_genonets(args.input, args.alphabet, args.tau, args.out, force=args.force,
                     include_indels=args.include_indels,
                     use_all_components=args.use_all_components)
    log.info(f"wrote the genonets result files into {args.out}")
    return 0


def _cmd_report(args) -> int:
    from .report import write_report

    out = write_report(args.file, args.out, force=args.force, include_host=args.include_host)
    log.info(f"wrote {out}")
    return 0


def _cmd_verify(args) -> int:
    from .store import verify_file

    print(f"{args.file}: ok ({verify_file(args.file)})")
    return 0


# ----------------------------------------------------------------- the parser
def _parsers_demo_evolve(sub):
    d = _sub(sub, "demo", "grow one surviving random HNCA and draw its phenotype and "
                          "development", _cmd_demo)
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    _add_out(d, "DIR", "output folder (default out/demo)", required=False, default="out/demo")
    presets = _Choices(_presets)
    d.add_argument("--preset", default="bielawski", type=_one_of("preset", presets),
                   choices=presets, metavar="NAME", help="HNCA preset (default bielawski)")
    e = _sub(sub, "evolve", "run or resume an evolution experiment into an HDF5 run file",
             _cmd_evolve)
    e.add_argument("config", help=_config_help("evolve"))
    _add_out(e, "RUN.h5", "run file; an unfinished one with the same config is resumed")
    _add_seed(e, generations=True)
    e.add_argument("--force", action="store_true", help="overwrite a finished or different run")
    _add_limit_args(e)
    _add_executor_args(e)


def _parsers_show_plot(sub):
    sh = _sub(sub, "show", "kind, provenance, key numbers and config of a run or result file",
              _cmd_show)
    sh.add_argument("file", help=_ANY_FILE)
    pl = _sub(sub, "plot", "figures of a run file (loss, best phenotype, filmstrip, mutation "
                           "classes), a NET.h5, a BRIDGE.h5 or a sweep's result file (each "
                           "column of its tables against its main parameter)", _cmd_plot)
    pl.add_argument("file", help=_ANY_FILE)
    _add_out(pl, "DIR", "folder for the figures (default: FILE_plots next to the file)",
             required=False)
    _add_format_arg(pl)
    pl.add_argument("--force", action="store_true", help="overwrite figures already in the folder")


def _parsers_report_verify(sub):
    rp = _sub(sub, "report", "one self-contained HTML page: config, provenance, headline "
                             "numbers and every figure of a run or result file", _cmd_report)
    rp.add_argument("file", help=_ANY_FILE)
    _add_out(rp, "REPORT.html", "HTML file to write", aliases=("--output",))
    rp.add_argument("--force", action="store_true", help="overwrite an existing report")
    rp.add_argument("--include-host", action="store_true",
                    help="also show the hostname, the Python executable and the file's full path "
                         "(left out by default, so reports can be shared)")
    vf = _sub(sub, "verify", "check a run or result file end to end (every chunk's checksum, "
                             "every generation's CRC): one line, exit 2 if damaged", _cmd_verify)
    vf.add_argument("file", help=_ANY_FILE)


def _parsers_bridge(sub):
    br = _sub(sub, "bridge", "mode connectivity of trained nets (paths, CKA, loss plane, "
                             "ensembles, weight matching) into BRIDGE.h5", _cmd_bridge)
    br.add_argument("config", help=_config_help("bridge"))
    _add_out(br, "BRIDGE.h5", "result file (HDF5); never overwritten without --force")
    _add_seed(br)
    br.add_argument("--save-checkpoints", metavar="DIR",
                    help="also write every endpoint as a checkpoint (pairN_a.h5, pairN_b.h5)")
    br.add_argument("--force", action="store_true", help="overwrite an existing result file")
    _add_limit_args(br)
    cp = _sub(sub, "compare", "one table and one figure of connectivity and robustness across "
                              "systems, from sweep files (or the earlier table of a BRIDGE.h5)",
              _cmd_compare)
    cp.add_argument("inputs", nargs="+", metavar="SWEEP.h5",
                    help="sweep files carrying the comparison tables (connectivity, robustness, "
                         "systems; the MLP width sweep is read through its adapter); or one "
                         "BRIDGE.h5 for the earlier one-row-per-system table")
    _add_out(cp, "DIR", "folder for comparison.csv, comparison.md and the figure (for a "
                        "BRIDGE.h5: the Markdown file of the earlier table)")
    from .figures import FORMATS
    cp.add_argument("--format", choices=FORMATS, default=None,
                    help="file format of the figure: png (default), or pdf and svg (vector)")
    cp.add_argument("--force", action="store_true", help="overwrite outputs already there")
    old = cp.add_argument_group("the earlier table of a BRIDGE.h5 (legacy)")
    old.add_argument("--rna-phenotypes",
                     help="phenotypes.csv of experiments/rna/run.py (default: the shipped one)")
    old.add_argument("--hnca-neutral",
                     help="results.json of experiments/hnca_neutral/run.py (default: the shipped "
                          "one)")
    old.add_argument("--hnca-pairs",
                     help="hnca_pairs.json of experiments/bridge/hnca_pairs.py "
                          "(default: the shipped one)")
    old.add_argument("--sigma", type=float, default=None,
                     help="weight-perturbation size of the MLP's robustness cell (default 0.01)")


def _parsers_neutral(sub):
    nn = _sub(sub, "neutral", "build and measure neutral networks of a GP map into NET.h5",
              _cmd_neutral)
    nn.add_argument("config", help=_config_help("neutral"))
    _add_out(nn, "NET.h5", "result file (HDF5); never overwritten without --force")
    _add_seed(nn)
    nn.add_argument("--figs", help="folder for figures and GraphML (default: NET_figs next to --out)")
    _add_format_arg(nn)
    nn.add_argument("--force", action="store_true",
                    help="overwrite an existing result file and the figures in --figs")
    _add_limit_args(nn)
    _add_executor_args(nn)
    gn = _sub(sub, "genonets", "genonets-compatible analysis of a genonets input file",
              _cmd_genonets)
    gn.add_argument("input", help="tab-separated genonets input (Genotypeset, Delta, Genotype, Score)")
    alphabets = _Choices(_alphabets)
    gn.add_argument("--alphabet", required=True, type=_one_of("alphabet", alphabets),
                    choices=alphabets, metavar="NAME", help="RNA, DNA, Protein or Binary")
    gn.add_argument("--tau", type=float, required=True, help="score threshold (genonets' tau)")
    _add_out(gn, "DIR", "output folder for the result files")
    gn.add_argument("--include-indels", action="store_true",
                    help="also count single insertions/deletions as mutations (genonets' flag)")
    gn.add_argument("--use-all-components", action="store_true",
                    help="measure every component, not just the dominant network (genonets' flag)")
    gn.add_argument("--force", action="store_true", help="write into a non-empty output folder")
    _add_limit_args(gn, work=False)


def build_parser() -> argparse.ArgumentParser:
    """The ``alife`` argument parser: one subparser per command."""
    p = _Parser(prog="alife", description="Neutral networks of evolved and trained systems.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                   help="print alife's version and exit")
    sub = p.add_subparsers(dest="command", required=True)
    for add in (_parsers_demo_evolve, _parsers_show_plot, _parsers_bridge, _parsers_neutral,
                _parsers_report_verify):
        add(sub)
    for name, command in sub.choices.items():     # last in every command's options
        _add_quiet(command, no_progress=name in ("evolve", "bridge"))
    return p


def main(argv=None) -> int:
    """Run the ``alife`` command with ``argv`` (default: ``sys.argv[1:]``); the exit status.

    0 on success (and for ``--help`` / ``--version``), 2 for bad input, after
    one line on stderr.
    """
    import warnings

    from .config.limits import limits
    from .logs import cli_logging

    parser = build_parser()
    try:
        args = parser.parse_args(argv)   # argparse's errors are one line too (_Parser)
    except SystemExit as e:              # --help, --version, or a usage error
        return e.code if isinstance(e.code, int) else 2

    def one_line(message, category, filename, lineno, file=None, line=None):
        # warnings (e.g. an unverified old result file) as one line each
        print(f"alife {args.command}: warning: {' '.join(str(message).split())}",
              file=sys.stderr if file is None else file)
    with warnings.catch_warnings():
        from .store import UnverifiedResultWarning
        warnings.filterwarnings("default", category=UnverifiedResultWarning)
        warnings.showwarning = one_line
        try:
            with cli_logging(args.command, quiet=args.quiet), \
                    limits(memory=getattr(args, "max_memory", None),
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
