"""Type and key checks of parsed TOML (strict: ``bool`` is not an integer, floats are finite)."""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from .errors import Invalid
from .messages import got, key_path, show_value, unknown_key, unknown_name, unknown_table

__all__ = ["INT64", "TopLevel", "is_int", "check_kind", "kind_of", "get_table", "check_keys",
           "check_name", "required_int", "library_error", "resolve_path"]

#: Integers must lie in [-INT64, INT64) (they are stored as int64).
INT64 = 2**63


@dataclass(frozen=True)
class TopLevel:
    """The top level of a config: its scalar keys and its tables, in canonical order.

    Each config passes its own to :func:`check_keys` (or :func:`unknown_key`),
    so a key misplaced inside a table is pointed to that config's top level.
    """

    keys: tuple[str, ...]
    tables: tuple[str, ...]

    def check(self, data) -> None:
        """Every top-level entry of ``data`` is one of :attr:`keys` or :attr:`tables`.

        Raises
        ------
        Invalid
            For a non-table document, an unknown table (with a suggestion) or
            an unknown key.
        """
        if not isinstance(data, dict):
            raise Invalid(None, f"a config must be a table of keys, {got(data)}")
        valid = self.keys + self.tables
        for key, v in data.items():
            if key not in valid:
                if isinstance(v, dict):
                    raise unknown_table(key, self.tables)
                raise unknown_key(None, key, list(valid))


def is_int(v) -> bool:
    """Whether ``v`` is a TOML integer (a Python int that is not a bool)."""
    return isinstance(v, int) and not isinstance(v, bool)


def check_kind(kind, v, where: str):
    """Check ``v`` against ``kind`` and return it normalised (int -> float for floats).

    Parameters
    ----------
    kind : str, tuple or None
        ``"int"``, ``"float"``, ``"bool"``, ``"str"``, ``("ints", n)`` (an
        array of n integers, returned as a tuple) or None (any scalar).
    v : object
        The parsed TOML value.
    where : str
        The key path for the error (:func:`key_path`).

    Raises
    ------
    Invalid
        If ``v`` is not of that kind, an integer does not fit in 64 bits, or
        a float is not finite.
    """
    if kind == "int":
        if not is_int(v):
            raise Invalid(where, f"must be an integer, {got(v)}")
        if not -INT64 <= v < INT64:
            raise Invalid(where, f"must fit in a 64-bit integer, got {show_value(v)}")
        return v
    if kind == "float":
        if is_int(v):
            if not -INT64 <= v < INT64:
                raise Invalid(where, f"must fit in a 64-bit integer, got {show_value(v)}")
            v = float(v)
        if not isinstance(v, float):
            raise Invalid(where, f"must be a number, {got(v)}")
        if not math.isfinite(v):
            raise Invalid(where, f"must be a finite number, got {show_value(v)}")
        return v
    if kind == "bool":
        if not isinstance(v, bool):
            raise Invalid(where, f"must be true or false, {got(v)}")
        return v
    if kind == "str":
        if not isinstance(v, str):
            raise Invalid(where, f"must be a string, {got(v)}")
        return v
    if isinstance(kind, tuple):
        n = kind[1]
        if not isinstance(v, (list, tuple)) or len(v) != n or not all(is_int(x) for x in v):
            raise Invalid(where, f"must be an array of {n} integers, {got(v)}")
        return tuple(check_kind("int", x, where) for x in v)
    # unknown type (a parameter the library added after its table was written)
    if isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float)):
        return check_kind("int" if is_int(v) else "float", v, where)
    raise Invalid(where, f"must be a number, a string or a boolean, {got(v)}")


def kind_of(name: str, default, overrides=None):
    """The :func:`check_kind` kind of a library parameter, from its default value.

    ``overrides`` (name -> kind) covers parameters whose default (None) does not say.
    """
    if overrides and name in overrides:
        return overrides[name]
    for t, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if isinstance(default, t):
            return kind
    return None


def get_table(data: dict, name: str) -> dict:
    """The table ``name`` of ``data`` ({} when absent); Invalid if it is not a table."""
    t = data.get(name, {})
    if not isinstance(t, dict):
        raise Invalid(key_path(name), f"must be a table, {got(t)}")
    return t


def check_keys(table: str | None, given: dict, valid, *, top: TopLevel | None = None,
               context: str = "", registry=None, params_of=None) -> None:
    """Every key of ``given`` must be in ``valid``.

    ``registry`` (names) and ``params_of`` (name -> its keys) find the other
    registry entries that take an unknown key; ``top`` points misplaced
    top-level keys out (see :func:`unknown_key`).
    """
    for key in given:
        if key not in valid:
            owners = [n for n in sorted(registry) if key in params_of(n)] if registry else []
            raise unknown_key(table, key, list(valid), context=context, owners=owners, top=top)


def check_name(table: str, given: dict, default: str, valid, what: str, key: str = "name") -> str:
    """The registry name ``given[key]`` (``default`` when absent); Invalid with a
    suggestion if it is not one of ``valid``."""
    where = key_path(table, key)
    v = check_kind("str", given.get(key, default), where)
    if v not in valid:
        raise Invalid(where, unknown_name(what, v, valid))
    return v


def required_int(data: dict, key: str, low: int) -> int:
    """The required top-level integer ``data[key]``, which must be >= ``low``."""
    if key not in data:
        raise Invalid(key, f"missing required key (an integer >= {low})")
    v = check_kind("int", data[key], key)
    if v < low:
        raise Invalid(key, f"must be >= {low}, got {v}")
    return v


def library_error(table: str, err: ValueError, given: dict) -> Invalid:
    """A ValueError from a library constructor (HNCASpec, get_operator,
    make_algorithm, ...), blamed on a key.

    The key is the first key the user set that the message names (so a
    divisibility error blames whichever of base_size / levels was set), else
    the table.
    """
    msg = " ".join(str(err).split())
    if msg.startswith("HNCASpec: "):
        msg = msg[len("HNCASpec: "):]
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", msg)
    key = next((w for w in words if w in given and w not in ("name", "preset")), None)
    if key is not None and msg.startswith(f"{key} must "):
        msg = msg[len(key) + 1:]
    return Invalid(key_path(table, key), msg)


def resolve_path(file: str, base_dir, where: str) -> str:
    """The absolute, normalised path of ``file`` (relative to ``base_dir``, or
    the working directory when it is None); ``where`` names the key in errors."""
    if "\x00" in file:
        raise Invalid(where, "must not contain a NUL character")
    base = os.getcwd() if base_dir is None else os.fspath(base_dir)
    return os.path.normpath(os.path.join(os.path.abspath(base), file))
