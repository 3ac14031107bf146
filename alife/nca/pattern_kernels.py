"""Numba kernels for binary patterns: thresholding with counts, and stable ids.

:func:`row_ids` computes the phenotype id of :func:`alife.nca.phenotype.phenotype_ids`
(the 8-byte BLAKE2b digest of RFC 7693, unkeyed, of the pattern's height
and width as little-endian uint32 followed by its cells packed 8 per byte,
most significant bit first) for many patterns at once, without building
the bytes in Python: each pattern's message is assembled word by word from
its cells and compressed in place.  The ids are those of :mod:`hashlib`
bit for bit (the tests compare them on patterns of many shapes).

The kernels are serial and release the GIL: they run between two rollouts
on the calling thread, and for a generation's few hundred patterns a
parallel loop costs more in waiting threads than it saves (measured on two
busy cores).

:func:`threshold_rows` binarises one channel of a level's cell states and
counts, per pattern, the on cells and the cells that differ from a target,
in one pass.

Both write into arrays the caller allocates; see
:func:`alife.nca.phenotype.phenotype_ids` for the checked entry point.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .._numba import CAN_CACHE

__all__ = ["row_ids", "threshold_rows"]

_JIT = dict(cache=CAN_CACHE, nogil=True)

# BLAKE2b's initial state (RFC 7693, section 2.6)
_IV = np.array([0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B,
                0xA54FF53A5F1D36F1, 0x510E527FADE682D1, 0x9B05688C2B3E6C1F,
                0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179], dtype=np.uint64)
#: Parameter block word 0 of an unkeyed 8-byte digest: 0x0101kknn, kk = 0, nn = 8.
_PARAM0 = np.uint64(0x01010008)
#: Multiplier that gathers the low bits of 8 bytes (cells 0/1) into the top
#: byte, the first byte's bit highest (numpy's ``packbits`` order).
_GATHER = np.uint64(0x8040201008040201)
_ID_MASK = np.uint64(0x7FFF_FFFF_FFFF_FFFF)


@njit(**_JIT)
def _rotr(x, n):
    """Rotate the uint64 ``x`` right by ``n`` bits (0 < n < 64)."""
    return (x >> np.uint64(n)) | (x << np.uint64(64 - n))


@njit(**_JIT)
def _g(a, b, c, d, x, y):
    """BLAKE2b's mixing function G on four state words and two message words."""
    a = a + b + x
    d = _rotr(d ^ a, 32)
    c = c + d
    b = _rotr(b ^ c, 24)
    a = a + b + y
    d = _rotr(d ^ a, 16)
    c = c + d
    b = _rotr(b ^ c, 63)
    return a, b, c, d


@njit(**_JIT)
def _compress(h, m, t, last):
    """BLAKE2b's compression F: mix the 16-word block ``m`` into the 8-word
    state ``h`` (uint64, in place); ``t`` bytes hashed so far including
    this block, ``last`` for the final block.  The 12 rounds are written
    out, round r reading the message words in the order of row r mod 10 of
    RFC 7693's SIGMA table."""
    v0, v1, v2, v3, v4, v5, v6, v7 = h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]
    v8, v9, v10, v11, v12, v13, v14, v15 = (_IV[0], _IV[1], _IV[2], _IV[3],
                                            _IV[4] ^ np.uint64(t), _IV[5], _IV[6], _IV[7])
    if last:
        v14 = ~v14
    m0, m1, m2, m3, m4, m5, m6, m7 = m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]
    m8, m9, m10, m11, m12, m13, m14, m15 = (m[8], m[9], m[10], m[11], m[12], m[13], m[14],
                                            m[15])
    # round 0: message schedule SIGMA[0]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m0, m1)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m2, m3)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m4, m5)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m6, m7)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m8, m9)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m10, m11)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m12, m13)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m14, m15)
    # round 1: message schedule SIGMA[1]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m14, m10)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m4, m8)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m9, m15)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m13, m6)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m1, m12)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m0, m2)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m11, m7)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m5, m3)
    # round 2: message schedule SIGMA[2]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m11, m8)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m12, m0)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m5, m2)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m15, m13)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m10, m14)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m3, m6)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m7, m1)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m9, m4)
    # round 3: message schedule SIGMA[3]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m7, m9)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m3, m1)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m13, m12)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m11, m14)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m2, m6)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m5, m10)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m4, m0)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m15, m8)
    # round 4: message schedule SIGMA[4]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m9, m0)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m5, m7)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m2, m4)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m10, m15)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m14, m1)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m11, m12)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m6, m8)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m3, m13)
    # round 5: message schedule SIGMA[5]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m2, m12)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m6, m10)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m0, m11)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m8, m3)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m4, m13)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m7, m5)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m15, m14)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m1, m9)
    # round 6: message schedule SIGMA[6]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m12, m5)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m1, m15)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m14, m13)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m4, m10)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m0, m7)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m6, m3)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m9, m2)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m8, m11)
    # round 7: message schedule SIGMA[7]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m13, m11)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m7, m14)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m12, m1)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m3, m9)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m5, m0)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m15, m4)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m8, m6)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m2, m10)
    # round 8: message schedule SIGMA[8]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m6, m15)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m14, m9)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m11, m3)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m0, m8)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m12, m2)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m13, m7)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m1, m4)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m10, m5)
    # round 9: message schedule SIGMA[9]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m10, m2)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m8, m4)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m7, m6)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m1, m5)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m15, m11)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m9, m14)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m3, m12)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m13, m0)
    # round 10: message schedule SIGMA[0]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m0, m1)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m2, m3)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m4, m5)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m6, m7)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m8, m9)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m10, m11)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m12, m13)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m14, m15)
    # round 11: message schedule SIGMA[1]
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, m14, m10)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, m4, m8)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, m9, m15)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, m13, m6)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, m1, m12)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, m0, m2)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, m11, m7)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, m5, m3)
    h[0] ^= v0 ^ v8
    h[1] ^= v1 ^ v9
    h[2] ^= v2 ^ v10
    h[3] ^= v3 ^ v11
    h[4] ^= v4 ^ v12
    h[5] ^= v5 ^ v13
    h[6] ^= v6 ^ v14
    h[7] ^= v7 ^ v15


@njit(**_JIT)
def _packed_byte(row, i, n):
    """Cells ``i .. i+7`` of ``row`` (uint8 0/1) packed into one byte, the
    first cell in the highest bit; cells at or past ``n`` count as 0."""
    if i + 8 <= n:
        x = np.uint64(0)
        for k in range(8):
            x |= np.uint64(row[i + k]) << np.uint64(8 * k)
        return (x * _GATHER) >> np.uint64(56)
    b = np.uint64(0)
    for k in range(max(n - i, 0)):
        b |= np.uint64(row[i + k]) << np.uint64(7 - k)
    return b


@njit(**_JIT)
def _row_id(row, H, W, h, m):
    """The id of one pattern: ``row`` (H * W,) uint8 0/1 cells in row-major
    order; ``h`` (8,) and ``m`` (16,) uint64 scratch."""
    n = row.shape[0]
    n_words = 1 + (n + 63) // 64           # the 8-byte header, then 64 cells a word
    n_bytes = 8 + (n + 7) // 8
    h[:] = _IV
    h[0] ^= _PARAM0
    m[0] = np.uint64(H) | (np.uint64(W) << np.uint64(32))
    for wi in range(1, n_words):
        c = (wi - 1) * 64
        w = np.uint64(0)
        for k in range(8):                 # message bytes are little-endian in a word
            w |= _packed_byte(row, c + 8 * k, n) << np.uint64(8 * k)
        m[wi & 15] = w
        if (wi & 15) == 15 and wi + 1 < n_words:   # a full block, and more to come
            _compress(h, m, (wi + 1) * 8, False)
    if n_words & 15:                       # zero padding of the last block
        m[n_words & 15:] = 0
    _compress(h, m, n_bytes, True)
    return np.int64(h[0] & _ID_MASK)      # digest bytes 0..7 read little-endian


@njit(**_JIT)
def row_ids(cells, H, W, ids):
    """Stable ids of P patterns of shape (H, W), into ``ids``.

    Parameters
    ----------
    cells : (P, H * W) uint8, C-contiguous
        Each row one pattern's cells (0 or 1) in row-major order.
    H, W : int
        The patterns' height and width (hashed with the cells).
    ids : (P,) int64
        Receives the ids (see :func:`alife.nca.phenotype.phenotype_ids`).
    """
    for p in range(cells.shape[0]):
        h = np.empty(8, np.uint64)
        m = np.empty(16, np.uint64)
        ids[p] = _row_id(cells[p], H, W, h, m)


@njit(**_JIT)
def threshold_rows(x, threshold, target, patterns, on, wrong):
    """Binarise P patterns and count their on cells and their mismatches.

    Parameters
    ----------
    x : (P, n) float32
        Cell states, one pattern a row.
    threshold : float32
        A cell is on when ``x > threshold`` (NaN is off).
    target : (n,) uint8
        0/1 target cells (zeros when there is no target).
    patterns : (P, n) bool
        Receives ``x > threshold``.
    on, wrong : (P,) int64
        Receive each pattern's on cells, and its cells that differ from ``target``.
    """
    P, n = x.shape
    for p in range(P):
        o = 0
        w = 0
        for c in range(n):
            b = x[p, c] > threshold
            patterns[p, c] = b
            o += b
            w += b ^ target[c]
        on[p] = o
        wrong[p] = w
