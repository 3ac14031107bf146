"""Numba kernels for binary patterns: thresholding with counts, and stable ids.

:func:`row_ids` computes the phenotype id of :func:`alife.nca.phenotype.phenotype_ids`
(the 8-byte BLAKE2b digest of RFC 7693, unkeyed, of the pattern's height
and width as little-endian uint32 followed by its cells packed 8 per byte,
most significant bit first) for many patterns at once, without a Python
loop: :func:`messages` lays every pattern's message out as 64-bit words,
and :func:`row_ids` hashes each distinct message once.  The ids are those
of :mod:`hashlib` bit for bit (the tests compare them on patterns of many
shapes).

The kernels are serial and release the GIL: they run between two rollouts
on the calling thread, and for a generation's few hundred patterns a
parallel loop costs more in waiting threads than it saves (measured on two
busy cores).

:func:`threshold_rows` binarises one channel of a level's cell states and
counts, per pattern, the on cells and the cells that differ from a target,
in one pass.

The kernels write into arrays the caller allocates; see
:func:`alife.nca.phenotype.phenotype_ids` for the checked entry point.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .._numba import CAN_CACHE

__all__ = ["messages", "row_ids", "threshold_rows"]

_JIT = dict(cache=CAN_CACHE, nogil=True)

# BLAKE2b's initial state (RFC 7693, section 2.6)
_IV = np.array([0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B,
                0xA54FF53A5F1D36F1, 0x510E527FADE682D1, 0x9B05688C2B3E6C1F,
                0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179], dtype=np.uint64)
#: Parameter block word 0 of an unkeyed 8-byte digest: 0x0101kknn, kk = 0, nn = 8.
_PARAM0 = np.uint64(0x01010008)
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


@njit(inline="always", **_JIT)
def _round(v, x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15):
    """One BLAKE2b round on the 16-word state ``v``: G on the four columns,
    then on the four diagonals, reading the message words in the order
    given (row r mod 10 of the RFC's SIGMA table for round r)."""
    v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15 = v
    v0, v4, v8, v12 = _g(v0, v4, v8, v12, x0, x1)
    v1, v5, v9, v13 = _g(v1, v5, v9, v13, x2, x3)
    v2, v6, v10, v14 = _g(v2, v6, v10, v14, x4, x5)
    v3, v7, v11, v15 = _g(v3, v7, v11, v15, x6, x7)
    v0, v5, v10, v15 = _g(v0, v5, v10, v15, x8, x9)
    v1, v6, v11, v12 = _g(v1, v6, v11, v12, x10, x11)
    v2, v7, v8, v13 = _g(v2, v7, v8, v13, x12, x13)
    v3, v4, v9, v14 = _g(v3, v4, v9, v14, x14, x15)
    return v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15


@njit(**_JIT)
def _message_id(words, n_bytes, h):
    """The id of one message: ``words`` (16 * blocks,) uint64 as made by
    :func:`messages`, ``n_bytes`` its length in bytes; ``h`` (8,) uint64
    scratch for the hash state.

    Each 16-word block goes through BLAKE2b's compression F (RFC 7693,
    section 3.2): ``t`` counts the bytes hashed so far including the block
    (the message length for the last), whose final-block flag inverts word
    14.  The 12 rounds are :func:`_round` (inlined) with the message words
    in the order of row r mod 10 of the RFC's SIGMA table.  (One function:
    a separate compression function would be compiled twice, once on its
    own and once inlined.)"""
    h[:] = _IV
    h[0] ^= _PARAM0
    blocks = words.shape[0] // 16
    for blk in range(blocks):
        last = blk == blocks - 1
        t = n_bytes if last else (blk + 1) * 128
        m = words[16 * blk:16 * blk + 16]
        v0, v1, v2, v3, v4, v5, v6, v7 = h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]
        v8, v9, v10, v11, v12, v13, v14, v15 = (_IV[0], _IV[1], _IV[2], _IV[3],
                                                _IV[4] ^ np.uint64(t), _IV[5], _IV[6], _IV[7])
        if last:
            v14 = ~v14
        m0, m1, m2, m3, m4, m5, m6, m7 = m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]
        m8, m9, m10, m11, m12, m13, m14, m15 = (m[8], m[9], m[10], m[11], m[12], m[13],
                                                m[14], m[15])
        v = (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15)
        v = _round(v, m0, m1, m2, m3, m4, m5, m6, m7,
                   m8, m9, m10, m11, m12, m13, m14, m15)  # SIGMA[0]
        v = _round(v, m14, m10, m4, m8, m9, m15, m13, m6,
                   m1, m12, m0, m2, m11, m7, m5, m3)  # SIGMA[1]
        v = _round(v, m11, m8, m12, m0, m5, m2, m15, m13,
                   m10, m14, m3, m6, m7, m1, m9, m4)  # SIGMA[2]
        v = _round(v, m7, m9, m3, m1, m13, m12, m11, m14,
                   m2, m6, m5, m10, m4, m0, m15, m8)  # SIGMA[3]
        v = _round(v, m9, m0, m5, m7, m2, m4, m10, m15,
                   m14, m1, m11, m12, m6, m8, m3, m13)  # SIGMA[4]
        v = _round(v, m2, m12, m6, m10, m0, m11, m8, m3,
                   m4, m13, m7, m5, m15, m14, m1, m9)  # SIGMA[5]
        v = _round(v, m12, m5, m1, m15, m14, m13, m4, m10,
                   m0, m7, m6, m3, m9, m2, m8, m11)  # SIGMA[6]
        v = _round(v, m13, m11, m7, m14, m12, m1, m3, m9,
                   m5, m0, m15, m4, m8, m6, m2, m10)  # SIGMA[7]
        v = _round(v, m6, m15, m14, m9, m11, m3, m0, m8,
                   m12, m2, m13, m7, m1, m4, m10, m5)  # SIGMA[8]
        v = _round(v, m10, m2, m8, m4, m7, m6, m1, m5,
                   m15, m11, m9, m14, m3, m12, m13, m0)  # SIGMA[9]
        v = _round(v, m0, m1, m2, m3, m4, m5, m6, m7,
                   m8, m9, m10, m11, m12, m13, m14, m15)  # SIGMA[0]
        v = _round(v, m14, m10, m4, m8, m9, m15, m13, m6,
                   m1, m12, m0, m2, m11, m7, m5, m3)  # SIGMA[1]
        v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15 = v
        h[0] ^= v0 ^ v8
        h[1] ^= v1 ^ v9
        h[2] ^= v2 ^ v10
        h[3] ^= v3 ^ v11
        h[4] ^= v4 ^ v12
        h[5] ^= v5 ^ v13
        h[6] ^= v6 ^ v14
        h[7] ^= v7 ^ v15
    return np.int64(h[0] & _ID_MASK)      # digest bytes 0..7 read little-endian


def messages(cells: np.ndarray, H: int, W: int) -> tuple[np.ndarray, int]:
    """Every pattern's id message, as BLAKE2b reads it: ``(words, n_bytes)``.

    Parameters
    ----------
    cells : (P, H * W) bool
        Each row one pattern's cells in row-major order.
    H, W : int

    Returns
    -------
    words : (P, 16 * blocks) uint64
        Row p: the height and width as little-endian uint32, then the cells
        packed 8 per byte, first cell in the highest bit (``np.packbits``),
        read as little-endian 64-bit words and zero-padded to whole 128-byte
        blocks (at least one).
    n_bytes : int
        The message's length in bytes, ``8 + ceil(H * W / 8)``.
    """
    P, n = cells.shape
    n_bytes = 8 + (n + 7) // 8
    buf = np.zeros((P, 128 * max(1, -(-n_bytes // 128))), np.uint8)
    buf[:, :8] = np.frombuffer(np.array([H, W], "<u4").tobytes(), np.uint8)
    buf[:, 8:n_bytes] = np.packbits(cells, axis=1)
    return buf.view("<u8").astype(np.uint64, copy=False), n_bytes   # a copy only if big-endian


@njit(**_JIT)
def _same(words, p, q):
    """Whether rows p and q of ``words`` are equal."""
    for i in range(words.shape[1]):
        if words[p, i] != words[q, i]:
            return False
    return True


@njit(**_JIT)
def _keys(words):
    """A cheap 64-bit key of every row of ``words`` (equal rows, equal keys)."""
    P, n = words.shape
    key = np.empty(P, np.uint64)
    for p in range(P):
        k = np.uint64(0)
        for i in range(n):
            k = _rotr(k ^ (words[p, i] * np.uint64(0x9E3779B97F4A7C15)), 37)
        key[p] = k
    return key


def row_ids(words: np.ndarray, n_bytes: int, ids: np.ndarray) -> None:
    """Stable ids of P patterns, from their messages, into ``ids``.

    A pattern whose message equals one already hashed in the batch (found
    by sorting a cheap key of every message, then comparing the messages
    word by word) takes that pattern's id instead of being hashed again:
    offspring often share a phenotype.

    Parameters
    ----------
    words, n_bytes : what :func:`messages` returns for the patterns
    ids : (P,) int64
        Receives the ids (see :func:`alife.nca.phenotype.phenotype_ids`).
    """
    key = _keys(words)
    _hash_distinct(words, n_bytes, key, np.argsort(key), ids)   # NumPy's sort: compiles nothing


@njit(**_JIT)
def _hash_distinct(words, n_bytes, key, order, ids):
    """:func:`row_ids` given every message's ``key`` and the ``order`` that sorts the keys."""
    P = words.shape[0]
    reps = np.empty(P, np.int64)    # the patterns hashed in the current run of equal keys
    n_reps = 0
    h = np.empty(8, np.uint64)
    for i in range(P):
        p = order[i]
        if i > 0 and key[p] != key[order[i - 1]]:
            n_reps = 0
        for r in range(n_reps):     # almost always one: equal keys, equal messages
            if _same(words, p, reps[r]):
                ids[p] = ids[reps[r]]
                break
        else:
            ids[p] = _message_id(words[p], n_bytes, h)
            reps[n_reps] = p
            n_reps += 1


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
