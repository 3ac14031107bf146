"""The comparison sweeps: biology and ML measured on one scale.

    python experiments/comparison/run.py mlp                     # the MLP width sweep (one process)
    python experiments/comparison/run.py mlp --executor dask --workers 2
    python experiments/comparison/run.py mlp --quick --out DIR   # seconds; the tests run it
    python experiments/comparison/run.py mlp-report              # tables, figure, JSON from the sweep file
    python experiments/comparison/run.py rna-partial             # RNA12 R-E correlation given log f
    python experiments/comparison/run.py compare                 # comparison.{csv,md,png} from the sweeps
    python experiments/comparison/run.py systems [--quick] [--out DIR]   # every system, one definition
    python experiments/comparison/run.py hnca                    # the 2x2 design on HNCAs
    python experiments/comparison/run.py hnca --quick --out DIR  # seconds; the tests run it
    python experiments/comparison/run.py hnca-report             # its reading from the sweep file

Subcommands
-----------
``mlp``
    The MLP width sweep on digits (:mod:`mlp`): one hidden layer of width 4
    to 512 and one two-hidden-layer net, 5 disjoint pairs each, every pair
    measured by :func:`alife.bridge.width_sweep.mlp_pair_cell`.  Writes
    ``OUT/mlp_sweep.h5`` (the tidy table, :func:`alife.sweep.read_sweep`),
    one CSV per table and, with ``--report`` (the default), the reading.
    Every finished cell is kept in ``WORK/mlp_sweep.h5.cells/``: a killed
    run resumes where it stopped; a changed config is refused.
``same A.h5 B.h5``
    Whether two sweep files hold the same tables bit for bit (e.g. one run
    in one process and one on Dask); exit status 1 and the differences if not.
``rna-partial``
    RNA12: the correlation of phenotype robustness and evolvability given
    log frequency (:mod:`rna_partial`), from ``experiments/rna/phenotypes.csv``;
    writes ``rna12_partial.json`` and ``rna12_partial.md``.
``systems``
    Every system on one set of definitions (:mod:`systems`): robustness,
    evolvability rarefied to a fixed number of mutants, Cowperthwaite's
    E_C, the diamond's rho/f and distances in the symmetry quotient, for
    RNA12, evolved and trained HNCAs and the MLPs.  Writes
    ``OUT/systems.h5`` (table ``systems``), ``systems.csv``, ``systems.md``.
``hnca``
    The 2x2 design on HNCAs (:mod:`hnca`): Bielawski's linear rule, a
    linear rule with a sigmoid and bias, and MLP rules of 2 to 32 hidden
    units (8 with 2 and 4 channels), each evolved and trained, 5 disjoint
    pairs each, on the diamond (and an asymmetric L for two rules); every
    pair measured by :func:`alife.bridge.hnca_sweep.hnca_pair_cell`.
    Writes ``OUT/hnca_sweep.h5`` (tables ``connectivity`` and
    ``robustness`` among them), the CSVs and, with ``--report``, the
    reading; resumes from ``WORK/hnca_sweep.h5.cells/`` like ``mlp``.
``hnca-report``
    Redo the HNCA reading from an existing sweep file.
``mlp-report``
    Redo the reading (``mlp_sweep_summary.json``, ``mlp_sweep_tables.md``,
    ``mlp_sweep.png``, the CSVs) from an existing sweep file, and
    ``mlp_contract.h5``: its rows in the comparison's common tables
    (:mod:`alife.bridge.width_contract`).
``compare``
    The comparison across systems (:func:`alife.bridge.compare.write_comparison`,
    the same as ``alife compare``): ``comparison.csv``, ``comparison.md`` and
    ``comparison.png`` from the committed sweep files that carry the common
    tables (:data:`COMPARED`, those present), or from ``--inputs``.

Each command holds the lock of its output folder, and ``mlp`` those of the
sweep file and its cells folder, for as long as it writes: a second process
writing the same output is refused in one line.  Bad options give one line
on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import hnca  # noqa: E402
import mlp  # noqa: E402

from alife.store import folder_lock  # noqa: E402


def _executor(args):
    from alife.parallel import make_executor
    return make_executor(args.executor, workers=args.workers, scheduler=args.scheduler)


def _run_sweep(args, module, **sizes) -> int:
    """Run one sweep module (:mod:`mlp` or :mod:`hnca`) from its subcommand's
    options, write its reading (or only its CSVs) and say how long it took."""
    out = Path(args.out)
    work = Path(args.work) if args.work else None
    t0 = time.perf_counter()
    with folder_lock(out):          # one writer of the folder's tables and figure
        with _executor(args) as ex:
            sw = module.run(out, quick=args.quick, pairs=args.pairs, executor=ex, work=work,
                            force=args.force, progress=not args.silent, **sizes)
        wall = time.perf_counter() - t0
        stem = Path(sw.path).stem
        if args.report:
            print(module.markdown(module.write_outputs(sw.path, out, stem)))
        else:
            sw.to_csv(out, stem)
    print(f"{sw.path}: {len(sw.cells)} cells ({sw.timing['computed']} computed, "
          f"{sw.timing['reused']} reused) in {wall:.1f} s on {sw.timing['executor']}")
    return 0


def _report(args, module) -> int:
    """Redo a sweep module's reading from an existing sweep file."""
    path = Path(args.sweep)
    with folder_lock(args.out):
        res = module.write_outputs(path, Path(args.out), path.stem)
    print(module.markdown(res))
    return 0


def cmd_mlp(args) -> int:
    return _run_sweep(args, mlp, widths=args.widths)


def cmd_hnca(args) -> int:
    return _run_sweep(args, hnca)


def cmd_hnca_report(args) -> int:
    return _report(args, hnca)


def cmd_report(args) -> int:
    return _report(args, mlp)


#: The sweep files ``compare`` reads by default (those present, in this order).
COMPARED = ("mlp_contract.h5", "hnca_sweep.h5", "systems.h5")


def cmd_compare(args) -> int:
    from alife.bridge.compare import write_comparison
    inputs = args.inputs or [HERE / n for n in COMPARED if (HERE / n).is_file()]
    if not inputs:
        raise ValueError(f"none of {', '.join(COMPARED)} in {HERE}; run mlp-report first")
    with folder_lock(args.out):
        files = write_comparison(inputs, Path(args.out), fmt=args.format, force=True)
    print(files[1].read_text(), end="")
    return 0


def cmd_same(args) -> int:
    from alife.sweep import read_sweep, table_differences
    a, b = read_sweep(args.a), read_sweep(args.b)
    diff = table_differences(a, b)
    if diff:
        print(f"{args.a} and {args.b} differ: " + "; ".join(diff))
        return 1
    rows = {n: len(t) for n, t in a.tables.items()}
    print(f"{args.a} and {args.b} hold identical tables, bit for bit: "
          + ", ".join(f"{n} ({k} rows x {len(a.tables[n].names)} columns)" for n, k in rows.items()))
    return 0


def cmd_rna(args) -> int:
    import json

    import rna_partial
    out = Path(args.out)
    with folder_lock(out):
        res = rna_partial.analyse(args.phenotypes)
        text = rna_partial.markdown(res)
        mlp._write_text(out / "rna12_partial.json", json.dumps(res, indent=1) + "\n")
        mlp._write_text(out / "rna12_partial.md", text)
    print(text, end="")
    return 0


def cmd_systems(args) -> int:
    import systems
    out = Path(args.out)
    work = Path(args.work) if args.work else None
    t0 = time.perf_counter()
    with folder_lock(out):
        sw = systems.run(out, quick=args.quick, work=work, force=args.force,
                         progress=not args.silent)
        systems.write_outputs(sw, out)
    print(systems.markdown(sw), end="")
    print(f"{sw.path}: {len(sw.cells)} cells ({sw.timing['computed']} computed, "
          f"{sw.timing['reused']} reused) in {time.perf_counter() - t0:.1f} s")
    return 0


def _sweep_parser(sub, name: str, help_: str, func, pairs_help: str):
    """A sweep's subcommand with the options every sweep takes."""
    p = sub.add_parser(name, help=help_)
    p.add_argument("--out", default=str(HERE), help="folder of the table, CSVs and reading")
    p.add_argument("--work", default="out/comparison",
                   help="folder of the finished cells (resume state); default out/comparison")
    p.add_argument("--quick", action="store_true", help="a small sweep (seconds), for tests")
    p.add_argument("--pairs", type=int, help=pairs_help)
    p.add_argument("--executor", choices=["threads", "processes", "dask"], default=None,
                   help="threads (one process, default), processes or dask")
    p.add_argument("--workers", type=int, help="worker processes (processes, dask)")
    p.add_argument("--scheduler", help="a running Dask scheduler, tcp://HOST:PORT")
    p.add_argument("--force", action="store_true", help="discard finished cells of another config")
    p.add_argument("--no-report", dest="report", action="store_false",
                   help="only the table and CSVs, no figure or reading")
    p.add_argument("--silent", action="store_true", help="no line per cell")
    p.set_defaults(func=func)
    return p


def _report_parser(sub, name: str, help_: str, func, sweep_file: str):
    """A subcommand that redoes a sweep's reading from its file (default: the committed one)."""
    p = sub.add_parser(name, help=help_)
    p.add_argument("--sweep", default=str(HERE / sweep_file))
    p.add_argument("--out", default=str(HERE))
    p.set_defaults(func=func)
    return p


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    m = _sweep_parser(sub, "mlp", "the MLP width sweep on digits", cmd_mlp,
                      "disjoint pairs per width (default 5)")
    m.add_argument("--widths", type=int, nargs="+", help="one-hidden-layer widths (default 4..512)")
    _report_parser(sub, "mlp-report", "the reading of an existing MLP sweep file", cmd_report,
                   "mlp_sweep.h5")
    _sweep_parser(sub, "hnca", "the 2x2 design on HNCAs (evolved and trained rules)", cmd_hnca,
                  "disjoint pairs per rule and mode (default 5)")
    _report_parser(sub, "hnca-report", "the reading of an existing HNCA sweep file",
                   cmd_hnca_report, "hnca_sweep.h5")
    q = sub.add_parser("rna-partial", help="RNA12: R-E correlation across phenotypes given "
                                           "log frequency")
    q.add_argument("--phenotypes", default=str(HERE.parent / "rna" / "phenotypes.csv"))
    q.add_argument("--out", default=str(HERE))
    q.set_defaults(func=cmd_rna)
    c = sub.add_parser("compare", help="comparison.{csv,md,png} from the sweep files")
    c.add_argument("--inputs", nargs="+", help=f"sweep files (default: {', '.join(COMPARED)} here)")
    c.add_argument("--out", default=str(HERE))
    c.add_argument("--format", choices=["png", "pdf", "svg"], default="png")
    c.set_defaults(func=cmd_compare)
    y = sub.add_parser("systems", help="every system on one set of definitions")
    y.add_argument("--out", default=str(HERE), help="folder of systems.h5, .csv and .md")
    y.add_argument("--work", default="out/comparison",
                   help="folder of the finished cells (resume state); default out/comparison")
    y.add_argument("--quick", action="store_true", help="a small run (seconds), for tests")
    y.add_argument("--force", action="store_true", help="discard finished cells of another config")
    y.add_argument("--silent", action="store_true", help="no line per cell")
    y.set_defaults(func=cmd_systems)
    s = sub.add_parser("same", help="whether two sweep files hold identical tables")
    s.add_argument("a")
    s.add_argument("b")
    s.set_defaults(func=cmd_same)
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "pairs", None) is not None and args.pairs < 1:
        print("error: --pairs must be >= 1", file=sys.stderr)
        return 2
    if getattr(args, "widths", None) is not None and min(args.widths) < 1:
        print("error: --widths must be >= 1", file=sys.stderr)
        return 2
    from alife.store import RunFileError
    from alife.sweep import SweepError
    try:
        return args.func(args)
    except (SweepError, RunFileError, ValueError, OSError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
