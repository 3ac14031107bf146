"""The building blocks of the ``alife`` command line (:mod:`alife.cli`).

The parser class whose errors are one line, the lazily loaded choices of
options whose values come from the library, the options several commands
share (``--out``/``-o``, ``--quiet``, ``--seed``/``--generations``,
``--max-memory``/``--max-work``, ``--executor``/``--workers``/``--scheduler``,
``--format``), and the one-line messages for a missing optional package
and for running out of memory.  Building a parser with these imports
nothing heavy: the library is imported only when a value is checked or the
help is shown.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence

__all__ = ["Parser", "Choices", "presets", "executors", "alphabets", "one_of", "int_at_least",
           "add_command", "add_out", "add_quiet", "add_seed", "add_limit_args",
           "add_executor_args", "add_format_arg", "config_help", "ANY_FILE", "EXTRAS",
           "install_hint", "out_of_memory"]


class Parser(argparse.ArgumentParser):
    """argparse's parser with its errors as one line, ``alife CMD: error: ...`` (exit 2)."""

    def error(self, message):
        message = " ".join(message.split())
        head, sep, rest = message.partition(": ")
        if head.startswith("argument ") and sep and head.split()[1].split("/")[0] in rest:
            message = rest          # the message names the option itself
        self.exit(2, f"{self.prog}: error: {message}; see {self.prog} --help\n")


class Choices(Sequence):
    """The allowed values of an option, read from the library only when needed
    (checking a given value, ``--help``, the CLI reference), so building the
    parser imports nothing heavy."""

    def __init__(self, load):
        self._load, self._values = load, None

    def _all(self) -> tuple:
        if self._values is None:
            self._values = tuple(self._load())
        return self._values

    def __getitem__(self, i):
        return self._all()[i]

    def __len__(self):
        return len(self._all())

    def __contains__(self, value):
        return value in self._all()


def presets():
    """The HNCA presets (``demo --preset``)."""
    from .nca import HNCASpec
    return HNCASpec.presets()


def executors():
    """The executor names (``--executor``)."""
    from .parallel import EXECUTORS
    return EXECUTORS


def alphabets():
    """The genonets alphabets (``genonets --alphabet``)."""
    from .gpmap.table import ALPHABETS
    return ALPHABETS


def one_of(what: str, choices: Choices):
    """An argparse ``type``: the value itself, if it is one of ``choices``."""
    def check(value: str) -> str:
        if value not in choices:
            raise argparse.ArgumentTypeError(f"unknown {what} {value!r}; choose one of "
                                             f"{', '.join(choices)}")
        return value
    check.__name__ = what
    return check


def int_at_least(low: int):
    """An argparse ``type``: an integer that is at least ``low``."""
    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value
    check.__name__ = "int"
    return check


# ----------------------------------------------------------------- shared options
def add_format_arg(parser) -> None:
    """``--format png|pdf|svg``, the file format of the figures a command draws."""
    from .figures import FORMATS

    parser.add_argument("--format", choices=FORMATS, default=FORMATS[0],
                        help="file format of the figures: png, or pdf and svg (vector, "
                             "for print) (default: png)")


def add_out(p, metavar: str, help: str, *, required: bool = True, default=None, aliases=()):
    """``--out`` (``-o``, and any older ``aliases``): what the command writes."""
    p.add_argument("--out", "-o", *aliases, dest="out", metavar=metavar, required=required,
                   default=default, help=help)


def add_quiet(p, no_progress: bool = False):
    """``--quiet`` (``-q``; ``--no-progress`` too where it existed before)."""
    names = ("-q", "--quiet") + (("--no-progress",) if no_progress else ())
    p.add_argument(*names, dest="quiet", action="store_true",
                   help="no progress bars and no information messages, only warnings and "
                        "errors" + (" (--no-progress is the same)" if no_progress else ""))


def add_seed(p, generations: bool = False):
    """``--seed`` (and ``--generations``): overrides recorded in the stored config."""
    p.add_argument("--seed", type=int_at_least(0), metavar="N",
                   help="use this seed instead of the config's (recorded in the stored config)")
    if generations:
        p.add_argument("--generations", type=int_at_least(1), metavar="N",
                       help="run this many generations instead of the config's (recorded in "
                            "the stored config)")


def add_limit_args(p, work: bool = True):
    """``--max-memory`` (and ``--max-work``): the size checks' limits."""
    p.add_argument("--max-memory", metavar="SIZE",
                   help="memory the config may ask for, e.g. 64G or none (default: half of "
                        "this machine's memory, or ALIFE_MAX_MEMORY)")
    if work:
        p.add_argument("--max-work", metavar="N",
                       help="operations the config may ask for, e.g. 1e18 or none (default "
                            "1e16, or ALIFE_MAX_WORK)")


def add_executor_args(p):
    """``--executor``, ``--workers`` and ``--scheduler``: where batches are developed."""
    choices = Choices(executors)
    p.add_argument("--executor", type=one_of("--executor", choices), choices=choices,
                   metavar="NAME", help="where batches are developed: threads (default, this "
                   "process), processes (a local pool) or dask")
    p.add_argument("--workers", type=int, help="worker processes for --executor processes or a "
                   "local dask cluster (default 2)")
    p.add_argument("--scheduler", help="a running Dask scheduler, tcp://HOST:PORT (implies "
                   "--executor dask)")


def config_help(command: str) -> str:
    """The help of a command's CONFIG argument, naming the shipped examples."""
    from .examples import names
    listed = ", ".join(names(command))
    return f"TOML config file, or the name of an example shipped with alife: {listed}"


#: What every command that reads a result takes, and says in its help.
ANY_FILE = ("run file (alife evolve), NET.h5 (alife neutral), BRIDGE.h5 (alife bridge) or "
            "a sweep's result file (alife.sweep)")


def add_command(sub, name: str, help: str, func):
    """A subcommand ``name`` of ``sub`` that runs ``func(args)``; its parser."""
    p = sub.add_parser(name, help=help)
    p.set_defaults(func=func)
    return p


#: Optional packages (top-level import name) and the extra that installs them.
EXTRAS = {"torch": "bridge", "sklearn": "bridge", "RNA": "rna", "dask": "dask",
          "distributed": "dask"}


def install_hint(e: ImportError) -> str | None:
    """One line saying which extra to install, for a missing optional package."""
    top = (getattr(e, "name", None) or "").split(".")[0]
    if isinstance(e, ModuleNotFoundError) and top in EXTRAS:
        return (f"this needs {top}, which is not installed; "
                f"pip install 'alife-neutral[{EXTRAS[top]}]'")
    if "pip install" in str(e):
        return " ".join(str(e).split())
    return None


def out_of_memory(command: str) -> str:
    """The one-line error of a command that ran out of memory."""
    return (f"alife {command}: error: out of memory; use smaller sizes (population, budgets, "
            f"grids) or a smaller input, or free memory (the size checks estimate it "
            f"against --max-memory, see the README)")
