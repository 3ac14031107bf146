"""The ``alife`` command line.  It parses arguments and calls the library.

    alife demo [--seed N] [--out DIR] [--preset NAME]

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
    from .nca.spec import _PRESETS

    if args.preset not in _PRESETS:
        raise UsageError(f"unknown preset {args.preset!r}; choose one of {', '.join(_PRESETS)}")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    summary = run_demo(args.out, seed=args.seed, preset=args.preset)
    print(f"grew {summary['preset']} genome #{summary['genome_index']} (seed {summary['seed']}): "
          f"{summary['cells_on']} cells on, phenotype id {summary['phenotype_id']}")
    for f in summary["files"]:
        print(f"  wrote {args.out}/{f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alife", description="Neutral networks of evolved and trained systems.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="grow one surviving random HNCA and draw its phenotype and development")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    d.add_argument("--preset", default="bielawski", help="HNCA preset (default bielawski)")
    d.set_defaults(func=_cmd_demo)
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
