"""Reading TOML with one-line errors, and the canonical TOML writer.

Reading uses only the standard library's :mod:`tomllib`.  Writing is
:func:`dump_toml`, a small writer kept (rather than ``tomli-w``) because its
text is stored in run and result files and compared on resume: ``tomli-w``
writes every non-empty array over several lines (``sizes = [\\n    64,\\n ...``)
where this writer, and every file already written, has ``sizes = [64, 32, 10]``.
"""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from .errors import ConfigError

__all__ = ["parse_toml", "read_config_text", "dump_toml", "toml_value", "toml_string",
           "toml_key", "canonical_table", "BARE_KEY"]

#: A key TOML accepts without quotes.
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_MAX_DEPTH = 32


# --------------------------------------------------------------------------- #
# reading
# --------------------------------------------------------------------------- #
def parse_toml(text: str, name: str, fn: str = "loads", file_fn: str = "load_config") -> dict:
    """``tomllib.loads(text)`` with every syntax problem as a one-line ConfigError.

    Parameters
    ----------
    text : str
        The TOML text.
    name : str
        What error messages start with (the file name, or ``"<string>"``).
    fn, file_fn : str
        The calling function and its file-reading twin, named in the
        TypeError raised for a non-str ``text``.

    Raises
    ------
    ConfigError
        For a TOML syntax error (with tomllib's line and column).
    TypeError
        If ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"{fn}() takes TOML text as a str, got {type(text).__name__}; "
                        f"use {file_fn}(path) for a file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(name, None, f"TOML syntax error: {' '.join(str(e).split())}") from None
    except RecursionError:
        raise ConfigError(name, None, "TOML syntax error: values nested too deeply") from None


#: The longest config file read (a device such as /dev/zero is cut off there).
MAX_CONFIG_BYTES = 16 << 20


def read_config_text(path) -> tuple[str, str, Path]:
    """``(name, text, folder)`` of a config file (at most :data:`MAX_CONFIG_BYTES`).

    ``name`` is the path as given (what error messages start with), ``folder``
    the absolute folder that relative paths in the config are resolved against.

    Raises
    ------
    ConfigError
        One line, if the file cannot be read (missing, a folder, not UTF-8, ...).
    """
    name = os.fsdecode(os.fspath(path))
    try:
        with open(name, "rb") as f:
            raw = f.read(MAX_CONFIG_BYTES + 1)
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ConfigError(name, None, f"cannot read the config file: {reason}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(name, None, f"cannot read the config file: it is longer than "
                                      f"{MAX_CONFIG_BYTES >> 20} MiB (a config is a short TOML "
                                      f"text; is this the right file?)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(name, None, f"cannot read the config file: not UTF-8 text "
                                      f"(byte {e.start})") from None
    return name, text, Path(os.path.abspath(name)).parent


# --------------------------------------------------------------------------- #
# writing
# --------------------------------------------------------------------------- #
def toml_string(s: str) -> str:
    """``s`` as a TOML basic string (quoted; non-printable characters escaped).

    Raises
    ------
    ValueError
        For a lone surrogate, which TOML cannot hold.
    """
    out = ['"']
    for ch in s:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            cp = ord(ch)
            if 0xD800 <= cp <= 0xDFFF:
                raise ValueError(f"cannot write the lone surrogate U+{cp:04X} in TOML")
            out.append(f"\\u{cp:04X}" if cp <= 0xFFFF else f"\\U{cp:08X}")
    out.append('"')
    return "".join(out)


def toml_key(key) -> str:
    """A key as TOML text: bare when it can be, else a quoted string."""
    if not isinstance(key, str):
        raise TypeError(f"TOML keys are strings, got {type(key).__name__}")
    return key if BARE_KEY.match(key) else toml_string(key)


def toml_value(v, depth: int = 0) -> str:
    """One value as inline TOML text (arrays and tables on one line).

    Floats are written with ``repr``: the shortest text that reads back to
    the same float (``inf`` and ``nan`` included).

    Raises
    ------
    TypeError
        For a value of a type TOML cannot hold (e.g. None: TOML has no null).
    ValueError
        For values nested more than 32 deep.
    """
    if depth > _MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x, depth + 1) for x in v) + "]"
    if isinstance(v, dict):
        items = ", ".join(f"{toml_key(k)} = {toml_value(x, depth + 1)}" for k, x in v.items())
        return "{" + items + "}" if items else "{}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dump_toml(data: dict) -> str:
    """The canonical TOML text of nested dicts of str, int, float, bool and arrays.

    Keys keep the dict's order; in each table the plain values come first,
    then the sub-tables as ``[a.b]`` sections, each after one empty line.
    Arrays (and tables inside arrays) are written inline, floats with
    ``repr``, line ends are ``\\n``.  ``dump_toml(tomllib.loads(t)) == t`` for
    every ``t`` it writes.

    Raises
    ------
    TypeError
        For a value of another type (e.g. None: TOML has no null).
    """
    lines: list[str] = []

    def table(d: dict, prefix: tuple[str, ...]):
        if len(prefix) > _MAX_DEPTH:
            raise ValueError("tables nested too deeply")
        subs = []
        for k, v in d.items():
            if isinstance(v, dict):
                subs.append((k, v))
            else:
                lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for k, v in subs:
            path = prefix + (toml_key(k),)
            if lines:
                lines.append("")
            lines.append(f"[{'.'.join(path)}]")
            table(v, path)

    if not isinstance(data, dict):
        raise TypeError(f"dump_toml() takes a dict, got {type(data).__name__}")
    table(data, ())
    return "\n".join(lines) + "\n" if lines else ""


def canonical_table(d, order) -> dict:
    """A table's keys in canonical order: those in ``order`` first (in that
    order), then any others sorted; tuples become lists (TOML arrays)."""
    out = {k: d[k] for k in order if k in d}
    out.update((k, d[k]) for k in sorted(d) if k not in out)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}
