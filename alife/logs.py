"""Messages and progress bars: one place that decides what a user sees while alife works.

Messages go through :mod:`logging`: each package logs to its own module
logger (``logging.getLogger(__name__)``, all below the ``"alife"`` logger),
and nothing is printed unless a handler is configured.  In a notebook or
script, show them with, for example::

    import logging
    logging.basicConfig(level=logging.INFO)      # or:
    logging.getLogger("alife").setLevel(logging.INFO)

The ``alife`` command configures a handler itself (:func:`cli_logging`):
information on stdout, warnings and errors on stderr; ``--quiet`` keeps
warnings and errors only.

Progress bars are tqdm bars (:func:`progress_bar`) with a rate and an
estimate of the time left.  They draw on a terminal and in a Jupyter
notebook (``tqdm.auto``) and stay silent when stderr is not a terminal (a
log file, a pipe, a test), unless asked for explicitly.
"""
from __future__ import annotations

import contextlib
import logging
import sys
from typing import Iterator

__all__ = ["LOGGER", "progress_bar", "cli_logging"]

#: The name of the logger every alife module logger sits below.
LOGGER = "alife"


def progress_bar(total: int, desc: str, *, enabled: bool | None = None, unit: str = "it",
                 initial: int = 0):
    """A tqdm progress bar with a rate and the time left (ETA).

    Parameters
    ----------
    total : int
        Steps the whole job takes (e.g. generations).
    desc : str
        What is counted, shown before the bar (e.g. ``"generations"``).
    enabled : bool or None
        True: always draw; False: never; None (default): draw only on a
        terminal or in a notebook, stay silent off a terminal.
    unit : str
        Name of one step, for the rate (``"gen"`` gives ``gen/s``).
    initial : int
        Steps already done (a resumed job).

    Returns
    -------
    tqdm.tqdm
        Use ``update(n)``, ``set_postfix_str(text)`` and ``close()``; a
        disabled bar accepts the same calls and draws nothing.
    """
    from tqdm.auto import tqdm

    disable = None if enabled is None else not enabled
    try:
        return tqdm(total=total, desc=desc, unit=unit, initial=initial, disable=disable,
                    dynamic_ncols=True, leave=True)
    except ImportError:      # a notebook without ipywidgets: the plain text bar
        from tqdm.std import tqdm as text_tqdm
        return text_tqdm(total=total, desc=desc, unit=unit, initial=initial, disable=disable,
                         dynamic_ncols=True, leave=True)


class _ConsoleHandler(logging.StreamHandler):
    """Information to ``sys.stdout``, warnings and errors to ``sys.stderr``
    (whatever they are when a record arrives)."""

    def __init__(self, command: str):
        super().__init__()
        self.setFormatter(_CliFormatter(command))

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout if record.levelno < logging.WARNING else sys.stderr
        super().emit(record)


class _CliFormatter(logging.Formatter):
    """Information as the plain message; warnings and errors as one line
    ``alife COMMAND: warning: ...`` (the form of the command's other errors)."""

    def __init__(self, command: str):
        super().__init__()
        self.command = command

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno < logging.WARNING:
            return message
        level = "warning" if record.levelno < logging.ERROR else "error"
        return f"alife {self.command}: {level}: {' '.join(message.split())}"


@contextlib.contextmanager
def cli_logging(command: str, quiet: bool = False) -> Iterator[None]:
    """While the ``alife`` command runs: alife's messages on the console.

    Information goes to stdout (as the command's other output), warnings and
    errors to stderr, one line each.

    Parameters
    ----------
    command : str
        The subcommand, named in warnings.
    quiet : bool
        Only warnings and errors (``--quiet``); otherwise information too.

    The handler and the level are removed again on leaving, so a program that
    calls :func:`alife.cli.main` keeps its own logging set-up.
    """
    logger = logging.getLogger(LOGGER)
    handler = _ConsoleHandler(command)
    old_level = logger.level
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
