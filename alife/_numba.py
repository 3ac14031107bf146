"""Numba options shared by every kernel module.

Cached machine code is tied to all of alife's kernel sources.  Numba stamps
a cached function with its own file's contents only, but a kernel compiled
here carries compiled copies of the functions it calls from other modules
(``lanes_develop`` calls the lanes kernels, which call the shared helpers of
:mod:`alife.nca.kernels.core`).  Edit one of those, or check out a version
of alife where it differs, and Numba would load the old copies without a
word.  So alife puts its own locators first in Numba's list: for functions
defined in alife they keep Numba's cache folders but stamp every entry with
:data:`SOURCES_DIGEST`, a hash of every alife module that uses Numba, so a
change to any of them recompiles all of alife's kernels (and nothing else's).

``CAN_CACHE``: whether Numba can write its on-disk cache here.  Numba raises
at decoration time when ``cache=True`` finds no writable location (a
read-only install with no ``NUMBA_CACHE_DIR``): then kernels compile on
every run instead of failing at import.  ``ALIFE_NUMBA_CACHE=0`` turns
caching off explicitly.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from numba import njit


def _probe():  # pragma: no cover - never called, only decorated
    return 0


def _can_cache() -> bool:
    if os.environ.get("ALIFE_NUMBA_CACHE", "1") == "0":
        return False
    try:
        njit(cache=True)(_probe)
        return True
    except (RuntimeError, OSError):
        return False


_PACKAGE = Path(__file__).resolve().parent


def _sources_digest() -> bytes:
    """SHA-256 of every alife module that uses Numba (its path and bytes)."""
    h = hashlib.sha256()
    for f in sorted(_PACKAGE.rglob("*.py")):
        data = f.read_bytes()
        if b"numba" in data:
            h.update(f.relative_to(_PACKAGE).as_posix().encode() + b"\0" + data + b"\0")
    return h.digest()


#: Hash of alife's Numba-using sources: the stamp of every cached alife kernel.
SOURCES_DIGEST = _sources_digest()


def _stamped(locator):
    """``locator`` (a Numba cache locator class) for alife's functions only,
    stamping their cache entries with :data:`SOURCES_DIGEST`."""

    class Stamped(locator):
        def get_source_stamp(self):
            return SOURCES_DIGEST

        @classmethod
        def from_function(cls, py_func, py_file):
            if not Path(py_file).resolve().is_relative_to(_PACKAGE):
                return None
            return super().from_function(py_func, py_file)

    Stamped.__name__ = Stamped.__qualname__ = f"AlifeStamped{locator.__name__}"
    return Stamped


def _install_locators() -> bool:
    """Put the stamped locators first in Numba's list (once); False where
    this Numba has no such list (then caching is turned off: stale machine
    code is worse than compiling every run)."""
    try:
        from numba.core import caching
        classes = caching.CacheImpl._locator_classes
        wanted = (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator,
                  caching.UserWideCacheLocator)
    except AttributeError:
        return False
    if not any(c.__name__.startswith("AlifeStamped") for c in classes):
        classes[:0] = [_stamped(c) for c in wanted]
    return True


CAN_CACHE = _install_locators() and _can_cache()


@njit(cache=CAN_CACHE, nogil=True)
def grown(a, n, cap):
    """A new array of length ``cap`` (a growable buffer's next size) holding ``a[:n]``."""
    b = np.empty(cap, a.dtype)
    b[:n] = a[:n]
    return b


@njit(cache=CAN_CACHE, nogil=True)
def smallest_keys(row, buf_k, buf_i):
    """Keep the ``m = len(buf_k)`` smallest values of ``row`` in ``buf_k``,
    ascending, and their indices in ``buf_i`` (of equal values, the earlier
    one first); return how many were kept, ``min(m, len(row))``.

    One pass of insertion into a sorted buffer: for the few smallest of a
    row (a tournament's entrants, a mutation's genes) far cheaper than a
    partial sort of the row."""
    m = buf_k.shape[0]
    filled = 0
    for i in range(row.shape[0]):
        k = row[i]
        if filled == m and not k < buf_k[m - 1]:
            continue
        pos = filled if filled < m else m - 1
        while pos > 0 and k < buf_k[pos - 1]:
            buf_k[pos] = buf_k[pos - 1]
            buf_i[pos] = buf_i[pos - 1]
            pos -= 1
        buf_k[pos] = k
        buf_i[pos] = i
        if filled < m:
            filled += 1
    return filled
