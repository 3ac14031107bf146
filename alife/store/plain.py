"""Plain data: nested Python values as JSON text plus numeric arrays, and back.

What alife saves between two runs of a command (the progress of an
analysis) must come back exactly, and reading it must never run code: no
pickle.  :func:`encode` turns a value into JSON text and a dict of arrays
(stored in an ``.npz`` read with ``allow_pickle=False``); :func:`decode`
rebuilds it and accepts nothing else.

Supported values: ``None``, ``bool``, ``int`` (any size), ``float`` (exact,
NaN and infinities included), ``str``, ``list``, ``tuple``, ``dict`` (any
keys of these kinds), numpy scalars of numeric or bool dtype (exact dtype
and bits) and numpy arrays of non-object dtype (exact dtype and shape).
Tuples, non-string keys and numpy values are tagged JSON objects
(``{"__t__": ...}``).
"""
from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["encode", "decode", "PlainDataError"]

_TAG = "__t__"


class PlainDataError(ValueError):
    """A value that :func:`encode` cannot store, or text :func:`decode` does not accept."""


def encode(value) -> tuple[str, dict[str, np.ndarray]]:
    """``value`` as ``(json_text, arrays)``; arrays are named ``a0``, ``a1``, ..."""
    arrays: dict[str, np.ndarray] = {}

    def enc(v):
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {_TAG: "float", "v": repr(v)}
        if isinstance(v, np.ndarray):
            if v.dtype.hasobject:
                raise PlainDataError(f"an array of dtype object cannot be stored as plain data")
            key = f"a{len(arrays)}"
            arrays[key] = v
            return {_TAG: "nd", "key": key}
        if isinstance(v, np.generic):
            if v.dtype.kind not in "biufc":
                raise PlainDataError(f"numpy scalars of dtype {v.dtype} cannot be stored")
            return {_TAG: "np", "dtype": v.dtype.str, "hex": np.asarray(v).tobytes().hex()}
        if isinstance(v, (list, tuple)):
            items = [enc(x) for x in v]
            return items if isinstance(v, list) else {_TAG: "tuple", "items": items}
        if isinstance(v, dict):
            if all(isinstance(k, str) for k in v) and _TAG not in v:
                return {k: enc(x) for k, x in v.items()}
            return {_TAG: "dict", "items": [[enc(k), enc(x)] for k, x in v.items()]}
        raise PlainDataError(f"a {type(v).__name__} cannot be stored as plain data")

    text = json.dumps(enc(value), allow_nan=False, separators=(",", ":"))
    return text, arrays


def decode(text: str, arrays: dict):
    """The value :func:`encode` turned into ``(text, arrays)``.

    Raises
    ------
    PlainDataError
        Text that is not JSON, an unknown tag, a missing array, a bad dtype.
    """
    try:
        tree = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise PlainDataError(f"not plain-data JSON ({type(e).__name__})") from None

    def dec(v):
        if isinstance(v, list):
            return [dec(x) for x in v]
        if not isinstance(v, dict):
            return v
        if _TAG not in v:
            return {k: dec(x) for k, x in v.items()}
        tag = v[_TAG]
        if tag == "nd":
            a = arrays.get(v.get("key"))
            if not isinstance(a, np.ndarray):
                raise PlainDataError(f"missing array {v.get('key')!r}")
            return a
        if tag == "np":
            dt = np.dtype(str(v["dtype"]))
            if dt.kind not in "biufc":
                raise PlainDataError(f"bad scalar dtype {dt}")
            return np.frombuffer(bytes.fromhex(v["hex"]), dtype=dt, count=1)[0]
        if tag == "float":
            return float(v["v"])
        if tag == "tuple":
            return tuple(dec(x) for x in v["items"])
        if tag == "dict":
            return {_hashable(dec(k)): dec(x) for k, x in v["items"]}
        raise PlainDataError(f"unknown tag {tag!r}")

    try:
        return dec(tree)
    except PlainDataError:
        raise
    except (KeyError, TypeError, ValueError, RecursionError) as e:
        raise PlainDataError(f"malformed plain data ({type(e).__name__})") from None


def _hashable(k):
    if isinstance(k, (list, dict, np.ndarray)):
        raise PlainDataError("an unhashable dict key")
    return k
