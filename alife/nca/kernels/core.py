"""What every rollout strategy shares: state layout, constants, activations,
ghost borders, trajectory fingerprints, scoring and damage.

State layout
------------
All levels of one rollout live in one flat buffer of "rows".  Level ``l`` is
stored with a one-cell ghost border (side ``N_l + 2``) so that the toroidal
wrap never needs a modulo in the inner loops; the row of padded cell
``(pi, pj)``, channel ``c`` is ``offs[l] + (pi * (N_l + 2) + pj) * C + c``.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit
from ..._numba import CAN_CACHE

#: Genomes per batch in the ``lanes`` strategy (a multiple of the vector
#: width).  Measured in one run of 512 genomes on 2 threads: 16 lanes 2,286,
#: 32 lanes 3,014, 64 lanes 3,790, 128 lanes 2,448 lifetimes/s.  A batch runs
#: on one thread, so populations of at most 64 use one core.
LANES = 64

ACT_CODES = {"rectified_sigmoid": 0, "sigmoid": 1, "tanh": 2, "relu": 3, "identity": 4}

_JIT = dict(cache=CAN_CACHE, error_model="numpy", nogil=True)
# 'contract' only: lets LLVM fuse a*b + c into one FMA (one rounding instead
# of two); no reassociation, so the order of every sum stays as written.
_JIT_FAST = dict(_JIT, fastmath={"contract"})
#: The exponent field of a float32: all ones for NaN and the infinities.
_EXP_BITS = np.uint32(0x7F800000)

# Rational approximation of tanh on [-7.905, 7.905] (the float32 scheme used by
# Eigen); outside that interval tanh rounds to +-1 in float32.
_TC = np.float32(7.90531110763549805)
_A1, _A3, _A5, _A7 = (np.float32(4.89352455891786e-03), np.float32(6.37261928875436e-04),
                      np.float32(1.48572235717979e-05), np.float32(5.12229709037114e-08))
_A9, _A11, _A13 = (np.float32(-8.60467152213735e-11), np.float32(2.00018790482477e-13),
                   np.float32(-2.76076847742355e-16))
_B0, _B2, _B4, _B6 = (np.float32(4.89352518554385e-03), np.float32(2.26843463243900e-03),
                      np.float32(1.18534705686654e-04), np.float32(1.19825839466702e-06))
_HALF = np.float32(0.5)
_ZERO = np.float32(0.0)


@njit(inline="always", **_JIT)
def fast_tanh(x):
    v = min(max(x, -_TC), _TC)
    x2 = v * v
    p = _A13
    p = p * x2 + _A11
    p = p * x2 + _A9
    p = p * x2 + _A7
    p = p * x2 + _A5
    p = p * x2 + _A3
    p = p * x2 + _A1
    q = _B6
    q = q * x2 + _B4
    q = q * x2 + _B2
    q = q * x2 + _B0
    return (p * v) / q


@njit(inline="always", **_JIT)
def fast_sigmoid(x):
    return _HALF + _HALF * fast_tanh(_HALF * x)


@njit(inline="always", **_JIT_FAST)
def fast_activate(v, n, act):
    """Apply activation ``act`` (an ACT_CODES value) to ``v[:n]`` in place,
    with the fast approximations above (the lanes and mapped strategies).

    Inlined into its caller, so a constant ``n`` (the lanes strategy's pair
    or single cell) makes the loops vectorise; identity (code 4) leaves
    ``v`` as it is.
    """
    if act == 0:
        for b in range(n):
            x = v[b]
            s = fast_sigmoid(x)
            v[b] = s if x > _ZERO else _ZERO
    elif act == 1:
        for b in range(n):
            v[b] = fast_sigmoid(v[b])
    elif act == 2:
        for b in range(n):
            v[b] = fast_tanh(v[b])
    elif act == 3:
        for b in range(n):
            x = v[b]
            v[b] = x if x > _ZERO else _ZERO


@njit(**_JIT)
def activate_inplace(v, n, act):
    """Apply activation ``act`` (an ACT_CODES value) to ``v[:n]`` in place.

    Uses libm's exp/tanh (accurate to about 1 ulp): this serves the gemm
    strategy, where the matrix products dominate and the activation's cost
    does not matter.  The lanes strategy uses the fast approximations.
    """
    if act == 0:
        for b in range(n):
            x = v[b]
            v[b] = np.float32(1.0) / (np.float32(1.0) + math.exp(-x)) if x > _ZERO else _ZERO
    elif act == 1:
        for b in range(n):
            v[b] = np.float32(1.0) / (np.float32(1.0) + math.exp(-v[b]))
    elif act == 2:
        for b in range(n):
            v[b] = math.tanh(v[b])
    elif act == 3:
        for b in range(n):
            x = v[b]
            v[b] = x if x > _ZERO else _ZERO


@njit(**_JIT)
def fill_ghosts(S, off, N, C):
    """Copy the toroidal wrap of one padded level into its ghost border.

    S : (rows, K) array; the level starts at row ``off`` and has side N.
    """
    Np = N + 2
    K = S.shape[1]
    # ghost columns of interior rows
    for pi in range(1, N + 1):
        for c in range(C):
            dst_l = off + (pi * Np + 0) * C + c
            src_l = off + (pi * Np + N) * C + c
            dst_r = off + (pi * Np + N + 1) * C + c
            src_r = off + (pi * Np + 1) * C + c
            for b in range(K):
                S[dst_l, b] = S[src_l, b]
                S[dst_r, b] = S[src_r, b]
    # ghost rows (whole padded rows, corners included)
    for pj in range(Np):
        for c in range(C):
            dst_t = off + (0 * Np + pj) * C + c
            src_t = off + (N * Np + pj) * C + c
            dst_b = off + ((N + 1) * Np + pj) * C + c
            src_b = off + (1 * Np + pj) * C + c
            for b in range(K):
                S[dst_t, b] = S[src_t, b]
                S[dst_b, b] = S[src_b, b]


@njit(**_JIT)
def all_finite(a):
    """Whether every value of the C-contiguous float32 array ``a`` is finite.

    A float32 is NaN or infinite exactly when its exponent field is all ones;
    the largest exponent field is found with an integer max over the bit
    patterns, which vectorises (``np.isfinite(a).all()`` makes a temporary
    bool array and takes 2-3x longer on a population of genomes).
    """
    bits = a.reshape(-1).view(np.uint32)
    m = np.uint32(0)
    for i in range(bits.shape[0]):
        m = max(m, bits[i] & _EXP_BITS)
    return m != _EXP_BITS


@njit(**_JIT)
def _all_zero(S):
    for r in range(S.shape[0]):
        for b in range(S.shape[1]):
            if S[r, b] != _ZERO:
                return False
    return True


# --------------------------------------------------------------------------
# trajectory fingerprints
# --------------------------------------------------------------------------
#: Trajectory fingerprints.  For every step t = 1..T and level l (base
#: first), the float32 bit patterns x_c of the level's interior cells
#: (c = (i * N + j) * C + channel; each value as ``x + 0.0`` so -0.0 and +0.0
#: agree) are reduced with per-cell keys to one 32-bit word
#:
#:     a = sum_c (x_c XOR k[l, c])  mod 2**32,
#:
#: which is folded into two FNV-1a-style chains, h1 = (h1 ^ a) * 0x01000193
#: and h2 = (h2 ^ a) * 0x9E3779B1 (mod 2**32, from 0x811C9DC5 and
#: 0x9747B28C); the fingerprint is ``h1 << 32 | h2``.  A change in any one
#: cell always changes a (XOR with a key is a bijection); the keys tie each
#: term to its cell, so a permuted state (a mirrored pattern) changes a
#: unless the keys agree on every differing bit of every swapped pair.
#: Keys: k = fmix32((l << 24 | c) ^ 0x5BD1E995), murmur3's finaliser.
#: Per cell this is an add, an XOR and a key load shared by the 64 genomes
#: of a lanes batch, done as the cell is computed: an FNV multiply per cell
#: cost 14-30% of a Bielawski rollout, a separate pass over the state ~25%.
_H1_OFFSET = np.uint32(0x811C9DC5)
_H1_PRIME = np.uint32(0x01000193)
_H2_OFFSET = np.uint32(0x9747B28C)
_H2_PRIME = np.uint32(0x9E3779B1)
_KEY_SEED = np.uint32(0x5BD1E995)
_NEG_ZERO_BITS = np.uint32(0x80000000)


@njit(**_JIT)
def _fmix32(h):
    h = np.uint32(h ^ (h >> np.uint32(16)))
    h = np.uint32(h * np.uint32(0x85EBCA6B))
    h = np.uint32(h ^ (h >> np.uint32(13)))
    h = np.uint32(h * np.uint32(0xC2B2AE35))
    return np.uint32(h ^ (h >> np.uint32(16)))


@njit(**_JIT)
def hash_keys(sizes, C):
    """Per-cell fingerprint keys: (sum_l N_l**2 * C,) uint32 and the (L+1,)
    offset of each level's keys."""
    L = sizes.shape[0]
    koffs = np.zeros(L + 1, np.int64)
    for lvl in range(L):
        koffs[lvl + 1] = koffs[lvl] + sizes[lvl] * sizes[lvl] * C
    keys = np.empty(koffs[L], np.uint32)
    for lvl in range(L):
        for c in range(koffs[lvl + 1] - koffs[lvl]):
            keys[koffs[lvl] + c] = _fmix32(np.uint32(np.uint32((lvl << 24) | c) ^ _KEY_SEED))
    return keys, koffs


@njit(**_JIT)
def _fold_level(h1, h2, acc):
    """Fold one level-step's keyed sums into the hash chains; reset them."""
    for b in range(h1.shape[0]):
        h1[b] = np.uint32((h1[b] ^ acc[b]) * _H1_PRIME)
        h2[b] = np.uint32((h2[b] ^ acc[b]) * _H2_PRIME)
        acc[b] = 0


@njit(**_JIT)
def _hash_level(S, off, N, C, keys, h1, h2, acc, buf):
    """Hash one level's interior cells (S : (rows, K) padded states, level
    at row ``off``, side N) into h1, h2; ``keys`` the level's keys."""
    K = h1.shape[0]
    bits = buf.view(np.uint32)
    for i in range(N):
        for jc in range(N * C):
            r = off + ((i + 1) * (N + 2) + 1) * C + jc
            k = i * N * C + jc
            for b in range(K):
                buf[b] = S[r, b] + _ZERO
            for b in range(K):
                x = bits[b]
                acc[b] = np.uint32(acc[b] + (x ^ keys[k]))
    _fold_level(h1, h2, acc)


@njit(**_JIT)
def _pack_hashes(h1, h2, fp):
    for b in range(fp.shape[0]):
        fp[b] = (np.uint64(h1[b]) << np.uint64(32)) | np.uint64(h2[b])


# --------------------------------------------------------------------------
# scoring and damage: what the homeostasis and damage tasks need in one rollout
# --------------------------------------------------------------------------
@njit(**_JIT)
def _score_level(S, off, N, C, thr, tgt, wrong, on):
    """Compare one level's binarised channel 0 with a target, for K genomes.

    S : (rows, K) padded states, the level at row ``off``, side N, C channels.
    thr : float32 threshold (a cell is on when its value > thr, compared in
    float32 as numpy compares a float32 array with a Python float).
    tgt : (N * N,) int64 target, 0/1, row-major.  wrong, on : (K,) int64
    receive the number of cells that differ from the target and that are on.
    """
    K = S.shape[1]
    for b in range(K):
        wrong[b] = 0
        on[b] = 0
    for i in range(N):
        for j in range(N):
            r = off + ((i + 1) * (N + 2) + j + 1) * C
            tv = tgt[i * N + j]
            for b in range(K):
                x = np.int64(S[r, b] > thr)
                on[b] += x
                wrong[b] += x ^ tv


@njit(**_JIT)
def _score_steps(S, t, ri, rec, offs, sizes, C, out_lvl, thr, tgt, wrong, on):
    """Score the state of step ``t`` if it is the next scored step ``rec[ri]``;
    returns the index of the next scored step.  wrong, on : (R, K) int64."""
    if ri < rec.shape[0] and rec[ri] == t:
        _score_level(S, offs[out_lvl], sizes[out_lvl], C, thr, tgt, wrong[ri], on[ri])
        return ri + 1
    return ri


@njit(**_JIT)
def _score_rest(ri, rec, wrong, on):
    """After an early stop the state is fixed: every scored step still to come
    sees the last scored one's counts (the caller scored the final state)."""
    for r in range(ri, rec.shape[0]):
        wrong[r, :] = wrong[ri - 1, :]
        on[r, :] = on[ri - 1, :]


@njit(**_JIT)
def _damage(S, sizes, offs, C, dmg):
    """Zero a rectangle on every level of padded states S (rows, K), in place.

    dmg : (5,) int64 ``(t_damage, row0, col0, height, width)``, the rectangle
    in base-level cells; at level l the rows ``row0 >> l .. (row0 + height -
    1) >> l`` and the columns likewise (every cell containing a damaged base
    cell), all channels.  The ghost borders are refilled.
    """
    K = S.shape[1]
    for lvl in range(sizes.shape[0]):
        N = sizes[lvl]
        r0 = dmg[1] >> lvl
        r1 = (dmg[1] + dmg[3] - 1) >> lvl
        c0 = dmg[2] >> lvl
        c1 = (dmg[2] + dmg[4] - 1) >> lvl
        for i in range(r0, r1 + 1):
            for j in range(c0, c1 + 1):
                for c in range(C):
                    r = offs[lvl] + ((i + 1) * (N + 2) + j + 1) * C + c
                    for b in range(K):
                        S[r, b] = _ZERO
        fill_ghosts(S, offs[lvl], N, C)


#: Rows of a level's weight table in the lanes and mapped strategies: down (4),
#: around (9), up, bias.  Absent blocks have zero weights and read the zero row.
NW = 15

#: How often (in steps) the lanes and mapped strategies check whether a batch
#: (a genome) has died.
STOP_EVERY = 8

_U1 = np.uint64(1)
_U2 = np.uint64(2)
_U3 = np.uint64(3)


@njit(**_JIT)
def aligned_empty(n):
    """An uninitialised (n,) float32 array whose data start on a 64-byte
    boundary (a cache line).

    Numba's own allocations are 32-byte aligned at best; a lanes row (LANES
    float32 values) loaded with 64-byte vectors then straddles two cache
    lines on every load.
    """
    buf = np.empty(n + 16, np.float32)
    k = ((64 - buf.ctypes.data % 64) % 64) // 4
    return buf[k:k + n]
