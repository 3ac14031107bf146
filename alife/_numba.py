"""Numba options shared by every kernel module.

``CAN_CACHE``: whether Numba can write its on-disk cache here.  Numba raises
at decoration time when ``cache=True`` finds no writable location (a
read-only install with no ``NUMBA_CACHE_DIR``): then kernels compile on
every run instead of failing at import.  ``ALIFE_NUMBA_CACHE=0`` turns
caching off explicitly.
"""
from __future__ import annotations

import os

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


CAN_CACHE = _can_cache()


@njit(cache=CAN_CACHE, nogil=True)
def grown(a, n, cap):
    """A new array of length ``cap`` (a growable buffer's next size) holding ``a[:n]``."""
    b = np.empty(cap, a.dtype)
    b[:n] = a[:n]
    return b
