"""Values, key paths and suggestions as they appear in one-line config errors."""
from __future__ import annotations

import datetime
import difflib

from .errors import Invalid, one_line
from .toml import BARE_KEY, toml_string, toml_value

__all__ = ["type_name", "show_value", "show_key", "got", "key_path", "suggest", "unknown_key",
           "unknown_name", "unknown_table"]


def type_name(v) -> str:
    """What a TOML value is, with its article: ``"an integer"``, ``"a table"``, ..."""
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a float"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, (list, tuple)):
        return "an array"
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, datetime.datetime):
        return "a date-time"
    if isinstance(v, datetime.date):
        return "a date"
    if isinstance(v, datetime.time):
        return "a time"
    return f"a {type(v).__name__}"


def show_value(v, limit: int = 60) -> str:
    """A value as TOML-like text for a message: one line, at most ``limit`` characters."""
    try:
        text = toml_value(v, depth=0)
    except (TypeError, ValueError):
        if isinstance(v, (datetime.date, datetime.time)):
            text = v.isoformat()
        elif isinstance(v, dict):
            text = "{...}"
        else:
            text = f"<{type(v).__name__}>"
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show_key(key) -> str:
    """A key for a message: bare when TOML allows it, else quoted (at most 40 characters)."""
    key = str(key)
    return key if BARE_KEY.match(key) else show_value(key, 40)


def got(v) -> str:
    """``got <value> (<type>)`` for a message about a wrong value."""
    return f"got {show_value(v)} ({type_name(v)})"


def key_path(table: str | None, key: str | None = None) -> str:
    """The path of a key in messages: ``[model] steps``, ``[model]`` or ``seed``."""
    if table is None:
        return show_key(key)
    return f"[{table}]" if key is None else f"[{table}] {show_key(key)}"


def suggest(word, valid) -> str:
    """The entry of ``valid`` that ``word`` most likely meant (same letters in
    another case, or a close spelling); ``""`` if none is close."""
    valid = list(valid)
    lower = {v.lower(): v for v in valid}
    if isinstance(word, str) and word.lower() in lower:
        return lower[word.lower()]
    close = difflib.get_close_matches(str(word), valid, n=1, cutoff=0.6)
    return close[0] if close else ""


def unknown_key(table: str | None, key: str, valid, *, context: str = "", owners=(),
                top=None) -> Invalid:
    """The error for a key that ``table`` does not take.

    Parameters
    ----------
    table : str or None
        The table the key was found in; None for the top level.
    key : str
    valid : sequence of str
        The keys the table takes.
    context : str
        The registry entry whose keys ``valid`` are (e.g. ``algorithm "ga"``).
    owners : sequence of str
        Other registry entries that do take the key: they replace the guess.
    top : TopLevel or None
        The config's own top-level keys and tables (:class:`alife.config.TopLevel`):
        a key inside a table that matches one of them is probably misplaced.
        None: no such hint.

    Returns
    -------
    Invalid
        ``unknown key [t] k; did you mean ...?`` (to raise).
    """
    best = "" if owners else suggest(key, valid)
    top_key = top_table = ""
    if table is not None and not best and top is not None:
        top_key = suggest(key, top.keys)
        top_table = "" if top_key else suggest(key, top.tables)
    if best:
        hint = f"did you mean {best}?"
    elif owners:
        hint = f"it is a parameter of {', '.join(owners)}, not of {context}; valid keys: {', '.join(valid)}"
    elif top_key:
        hint = (f"did you mean the top-level key {top_key}? (a key after a [table] header belongs to "
                f"that table: put top-level keys before the first header)")
    elif top_table:
        hint = f"did you mean the table [{top_table}]? (a table starts with its own [{top_table}] header)"
    else:
        hint = f"valid keys{' of ' + context if context else ''}: {', '.join(valid) or '(none)'}"
    path = key_path(table, key)
    return Invalid(path, f"unknown key {path}; {hint}", keyed=False)


def unknown_name(what: str, value: str, valid, alternative: str = "") -> str:
    """``unknown <what> "x"; did you mean "y"? (choose one of ...)``.

    ``alternative`` is appended to the list of choices (e.g. ``", or give file = a bitmap"``).
    """
    best = suggest(value, valid)
    hint = f"did you mean {toml_string(best)}? " if best else ""
    return f"unknown {what} {show_value(value)}; {hint}(choose one of {', '.join(valid)}{alternative})"


def unknown_table(name: str, tables) -> Invalid:
    """The error for a top-level table the config does not have."""
    best = suggest(name, tables)
    hint = f"did you mean [{best}]?" if best else f"valid tables: {', '.join(tables)}"
    return Invalid(f"[{show_key(name)}]", f"unknown table [{show_key(name)}]; {hint}", keyed=False)
