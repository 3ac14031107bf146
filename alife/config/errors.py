"""Errors of the config toolkit: one line, naming the file and the key."""
from __future__ import annotations

import contextlib

__all__ = ["ConfigError", "Invalid", "one_line", "reporting"]

_LINE_BREAKS = {c: repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


def one_line(text: str) -> str:
    """``text`` with every line break written as its escape (``\\n``, ``\\u2028``, ...)."""
    return "".join(_LINE_BREAKS.get(c, c) for c in text)


class ConfigError(ValueError):
    """A problem with a configuration, as one line: ``<file>: <key>: <reason>``.

    Attributes
    ----------
    source : str
        The config file name, or ``"<string>"`` / ``"<dict>"``.
    key : str or None
        The key path, e.g. ``"[model] steps"`` or ``"seed"``; None for
        problems with the whole file (syntax, unreadable file).
    reason : str
        The message without the source and key.
    """

    def __init__(self, source: str, key: str | None, reason: str, *, keyed: bool = True):
        self.source, self.key, self.reason = source, key, reason
        head = f"{source}: {key}: " if (key and keyed) else f"{source}: "
        super().__init__(one_line(head + reason))


class Invalid(Exception):
    """A problem found while validating parsed TOML, before the source is known.

    Validation code raises it; :func:`reporting` turns it into a
    :class:`ConfigError` that starts with the file name.

    Parameters
    ----------
    key : str or None
        The key path (``"[model] steps"``, ``"seed"``, ``"[task]"``).
    reason : str
        What is wrong and how to fix it.
    keyed : bool
        Whether the message is prefixed with the key (False when ``reason``
        already names it, as in ``unknown key [t] k; ...``).
    """

    def __init__(self, key: str | None, reason: str, keyed: bool = True):
        super().__init__(reason)
        self.key, self.reason, self.keyed = key, reason, keyed


@contextlib.contextmanager
def reporting(source: str):
    """Turn an :class:`Invalid` raised in the block into a :class:`ConfigError` of ``source``."""
    try:
        yield
    except Invalid as e:
        raise ConfigError(source, e.key, e.reason, keyed=e.keyed) from None
