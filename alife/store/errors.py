"""The one error of the store, and the small checks every store module uses."""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["RunFileError", "error_line", "is_integer"]


class RunFileError(ValueError):
    """A run file, checkpoint, progress file or result file that cannot be used;
    the message is one line that names the file and what is wrong with it."""


def error_line(exc: BaseException) -> str:
    """An exception's message on one line (its type name when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def is_integer(x) -> bool:
    """Whether ``x`` is an integer (Python or numpy), not a bool."""
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))
