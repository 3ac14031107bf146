"""Numba kernels for population rollouts of HNCAs.

These functions see only arrays and scalars (no specs, no files); the public
wrapper :func:`alife.nca.develop.develop` validates input, packs the genomes
and unpacks the results.

State layout
------------
All levels of one rollout live in one flat buffer of "rows".  Level ``l`` is
stored with a one-cell ghost border (side ``N_l + 2``) so that the toroidal
wrap never needs a modulo in the inner loops; the row of padded cell
``(pi, pj)``, channel ``c`` is ``offs[l] + (pi * (N_l + 2) + pj) * C + c``.

Three rollout strategies
------------------------
``lanes``  (one-channel linear rules — the Bielawski preset)
    One genome per SIMD lane: a batch of ``LANES`` genomes is advanced
    together, every row of the state holds the ``LANES`` genomes' values
    contiguously, and every weight is a ``LANES``-vector.  The innermost
    loops run over lanes, so LLVM vectorises them at every level (small
    levels included) without gathers.  ``prange`` runs over batches.
``gemm``   (MLP rules or many channels — the neural preset)
    One genome per task: an im2col matrix of every cell's inputs is built
    into a reused buffer and the rule is applied as matrix products
    (``np.dot`` -> single-threaded BLAS sgemm).  ``prange`` runs over genomes.
``mapped`` (one-channel linear rules whose links differ per genome — the
    random wirings of :mod:`alife.nca.wiring`)
    One genome per task: the 3x3 neighbourhood at fixed offsets, the down
    and up inputs gathered through per-genome link tables; the loop over a
    row's cells vectorises (with gathers).  ``prange`` runs over genomes.

``lanes`` and ``gemm`` run the model's fixed links (``hierarchy`` wiring,
``children`` down links); other fixed wirings reach them as equivalent
genomes (see :func:`alife.nca.develop.kernel_form`).

All accumulate each pre-activation in float32.  ``lanes`` evaluates the
activations with a rational approximation of tanh (max abs error 3.6e-7 for
tanh, 2.3e-7 for the logistic function) that LLVM vectorises, unlike libm's
``exp`` (``mapped`` too); ``gemm`` uses libm (about 1 ulp), where the matrix
products dominate.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from .._numba import CAN_CACHE

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
def _all_zero(S):
    for r in range(S.shape[0]):
        for b in range(S.shape[1]):
            if S[r, b] != _ZERO:
                return False
    return True


# --------------------------------------------------------------------------
# lanes strategy: linear rule, one genome per SIMD lane
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


#: Rows of a level's weight table in the lanes strategy: down (4), around (9),
#: up, bias.  Absent blocks have zero weights and read the zero row.
NW = 15


@njit(inline="always", **_JIT_FAST)
def _activate_pair(v, act):
    """Activation on 2 * LANES values in place (constant trip count: vectorises)."""
    if act == 0:
        for b in range(2 * LANES):
            x = v[b]
            s = fast_sigmoid(x)
            v[b] = s if x > _ZERO else _ZERO
    elif act == 1:
        for b in range(2 * LANES):
            v[b] = fast_sigmoid(v[b])
    elif act == 2:
        for b in range(2 * LANES):
            v[b] = fast_tanh(v[b])
    elif act == 3:
        for b in range(2 * LANES):
            x = v[b]
            v[b] = x if x > _ZERO else _ZERO


#: How often (in steps) the lanes strategy checks whether a batch has died.
STOP_EVERY = 8

_UL = np.uint64(LANES)
_U1 = np.uint64(1)
_U2 = np.uint64(2)
_U3 = np.uint64(3)


@njit(**_JIT_FAST)
def _lanes_level(W, S1, C1, P1, Sn1, N, has_down, has_up, act, residual, keys, acc,
                 hashing, v):
    """Update every cell of one level (side N) for a batch of LANES genomes.

    Dispatches to copies of the loop body in which the side N is a
    compile-time constant: with N known, LLVM's code for the body runs 2-3x
    faster than with N at run time (measured 30-37 vs 80-87 ns per 64x64
    cell for 32 genomes, with the level's own views, not offsets, as
    inputs: one flat buffer indexed with run-time offsets ran 3-6x slower
    than per-level views at base 8).  Other sides take the generic copy.
    The arguments are as :func:`_lanes_level_body` takes them.
    """
    if N == 64:
        _lanes_level_body(W, S1, C1, P1, Sn1, 64, has_down, has_up, act, residual, keys,
                          acc, hashing, v)
    elif N == 32:
        _lanes_level_body(W, S1, C1, P1, Sn1, 32, has_down, has_up, act, residual, keys,
                          acc, hashing, v)
    elif N == 16:
        _lanes_level_body(W, S1, C1, P1, Sn1, 16, has_down, has_up, act, residual, keys,
                          acc, hashing, v)
    elif N == 8:
        _lanes_level_body(W, S1, C1, P1, Sn1, 8, has_down, has_up, act, residual, keys,
                          acc, hashing, v)
    elif N == 128:
        _lanes_level_body(W, S1, C1, P1, Sn1, 128, has_down, has_up, act, residual, keys,
                          acc, hashing, v)
    elif N == 4:
        _lanes_level_body(W, S1, C1, P1, Sn1, 4, has_down, has_up, act, residual, keys,
                          acc, hashing, v)
    elif N == 2:
        _lanes_level_body(W, S1, C1, P1, Sn1, 2, has_down, has_up, act, residual, keys,
                          acc, hashing, v)
    elif N == 1:
        _lanes_level_body(W, S1, C1, P1, Sn1, 1, has_down, has_up, act, residual, keys,
                          acc, hashing, v)
    else:
        _lanes_level_body(W, S1, C1, P1, Sn1, N, has_down, has_up, act, residual, keys,
                          acc, hashing, v)


@njit(inline="always", **_JIT_FAST)
def _lanes_level_body(W, S1, C1, P1, Sn1, N, has_down, has_up, act, residual, keys, acc,
                      hashing, v):
    """Update every cell of one level for a batch of LANES genomes.

    W : (NW * LANES,) weights, flat.  S1 / Sn1 : ((N+2)**2 * LANES,) old /
    new padded states of this level, flat; C1 / P1 : old padded states of
    the child / parent level, flat (the zero row when absent).  v : (2 *
    LANES,) float32 scratch.  All are the caller's flat views: a
    ``reshape`` or an allocation here costs ~15 ns each per call, which
    added up to ~20% of updating a 2x2 or 1x1 level.

    What makes it fast (measured, see PERFORMANCE-NOTES): indices are
    unsigned (no negative-index wraparound code) and flat with a compile-time
    row length, so every input is a constant displacement from one of three
    row pointers; two horizontally adjacent cells are computed together,
    sharing 6 of their 9 neighbourhood loads, every weight load and the
    parent; products are summed as balanced trees, not a serial chain.  When
    N is odd (a top level), the second cell of the last pair is the right
    ghost column: computed from rows inside the views (the caller passes
    one row of slack), then overwritten by ``fill_ghosts``.
    """
    UL = _UL
    N = np.uint64(N)
    Np = N + _U2
    Ncp = _U2 * N + _U2
    Npp = N // _U2 + _U2
    vbits = v.view(np.uint32)
    # a replace update through an activation that maps -0.0 and every
    # non-positive input to +0.0 (rectified sigmoid, relu) or never reaches 0
    # from below (sigmoid: 0.5 + 0.5 * -1 is +0.0) writes no -0.0: its cells
    # are hashed without the -0.0 select
    unsigned_zero = not residual and (act == 0 or act == 1 or act == 3)
    for i in range(N):
        r0 = (i * Np) * UL                # padded row i   (dy = -1)
        r1 = r0 + Np * UL                 # padded row i+1 (dy = 0)
        r2 = r1 + Np * UL                 # padded row i+2 (dy = +1)
        c0 = ((_U2 * i + _U1) * Ncp + _U1) * UL   # children rows 2i, 2i+1
        c1 = c0 + Ncp * UL
        for jj in range((N + _U1) // _U2):
            j = _U2 * jj
            up = ((i // _U2 + _U1) * Npp + (jj + _U1)) * UL if has_up else np.uint64(0)
            a0 = r0 + j * UL
            a1 = r1 + j * UL
            a2 = r2 + j * UL
            # The two branches repeat the neighbourhood sums on purpose: a
            # shared helper or zero "down" weights at level 0 (40% more work
            # on the largest level) would cost more than the repetition.
            if has_down:
                d0 = c0 + _U2 * j * UL
                d1 = c1 + _U2 * j * UL
                for b in range(UL):
                    w4 = W[4 * UL + b]
                    w5 = W[5 * UL + b]
                    w6 = W[6 * UL + b]
                    w7 = W[7 * UL + b]
                    w8 = W[8 * UL + b]
                    w9 = W[9 * UL + b]
                    w10 = W[10 * UL + b]
                    w11 = W[11 * UL + b]
                    w12 = W[12 * UL + b]
                    x00 = S1[a0 + b]
                    x01 = S1[a0 + UL + b]
                    x02 = S1[a0 + 2 * UL + b]
                    x03 = S1[a0 + 3 * UL + b]
                    x10 = S1[a1 + b]
                    x11 = S1[a1 + UL + b]
                    x12 = S1[a1 + 2 * UL + b]
                    x13 = S1[a1 + 3 * UL + b]
                    x20 = S1[a2 + b]
                    x21 = S1[a2 + UL + b]
                    x22 = S1[a2 + 2 * UL + b]
                    x23 = S1[a2 + 3 * UL + b]
                    w0 = W[b]
                    w1 = W[UL + b]
                    w2 = W[2 * UL + b]
                    w3 = W[3 * UL + b]
                    t = W[13 * UL + b] * P1[up + b] + W[14 * UL + b]
                    da = ((w0 * C1[d0 + b] + w1 * C1[d0 + UL + b])
                          + (w2 * C1[d1 + b] + w3 * C1[d1 + UL + b]))
                    db = ((w0 * C1[d0 + 2 * UL + b] + w1 * C1[d0 + 3 * UL + b])
                          + (w2 * C1[d1 + 2 * UL + b] + w3 * C1[d1 + 3 * UL + b]))
                    ra = (((w4 * x00 + w5 * x01) + (w6 * x02 + w7 * x10))
                          + ((w8 * x11 + w9 * x12) + (w10 * x20 + w11 * x21)))
                    rb = (((w4 * x01 + w5 * x02) + (w6 * x03 + w7 * x11))
                          + ((w8 * x12 + w9 * x13) + (w10 * x21 + w11 * x22)))
                    v[b] = (da + ra) + (w12 * x22 + t)
                    v[LANES + b] = (db + rb) + (w12 * x23 + t)
            else:
                for b in range(UL):
                    w4 = W[4 * UL + b]
                    w5 = W[5 * UL + b]
                    w6 = W[6 * UL + b]
                    w7 = W[7 * UL + b]
                    w8 = W[8 * UL + b]
                    w9 = W[9 * UL + b]
                    w10 = W[10 * UL + b]
                    w11 = W[11 * UL + b]
                    w12 = W[12 * UL + b]
                    x00 = S1[a0 + b]
                    x01 = S1[a0 + UL + b]
                    x02 = S1[a0 + 2 * UL + b]
                    x03 = S1[a0 + 3 * UL + b]
                    x10 = S1[a1 + b]
                    x11 = S1[a1 + UL + b]
                    x12 = S1[a1 + 2 * UL + b]
                    x13 = S1[a1 + 3 * UL + b]
                    x20 = S1[a2 + b]
                    x21 = S1[a2 + UL + b]
                    x22 = S1[a2 + 2 * UL + b]
                    x23 = S1[a2 + 3 * UL + b]
                    t = W[13 * UL + b] * P1[up + b] + W[14 * UL + b]
                    ra = (((w4 * x00 + w5 * x01) + (w6 * x02 + w7 * x10))
                          + ((w8 * x11 + w9 * x12) + (w10 * x20 + w11 * x21)))
                    rb = (((w4 * x01 + w5 * x02) + (w6 * x03 + w7 * x11))
                          + ((w8 * x12 + w9 * x13) + (w10 * x21 + w11 * x22)))
                    v[b] = ra + (w12 * x22 + t)
                    v[LANES + b] = rb + (w12 * x23 + t)
            _activate_pair(v, act)
            dst = a1 + UL
            if residual:
                for b in range(2 * UL):
                    v[b] = S1[dst + b] + v[b]
            for b in range(2 * UL):
                Sn1[dst + b] = v[b]
            if hashing:
                # reduce the new cells into the level's hash words while
                # they are in cache (see the fingerprint notes above); the
                # two cells' terms are summed before the one update of acc
                # (the same sum mod 2**32)
                kk = i * N + j
                ka = keys[kk]
                if j + _U1 < N:
                    kb = keys[kk + _U1]
                    if unsigned_zero:
                        for b in range(UL):
                            acc[b] = np.uint32(acc[b] + np.uint32((vbits[b] ^ ka)
                                                                  + (vbits[UL + b] ^ kb)))
                    else:
                        # -0.0 is hashed as +0.0: an integer select, not a float add
                        for b in range(UL):
                            xa = vbits[b]
                            xa = xa if xa != _NEG_ZERO_BITS else np.uint32(0)
                            xb = vbits[UL + b]
                            xb = xb if xb != _NEG_ZERO_BITS else np.uint32(0)
                            acc[b] = np.uint32(acc[b] + np.uint32((xa ^ ka) + (xb ^ kb)))
                else:
                    for b in range(UL):
                        x = vbits[b]
                        x = x if x != _NEG_ZERO_BITS else np.uint32(0)
                        acc[b] = np.uint32(acc[b] + (x ^ ka))


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


@njit(**_JIT)
def _lanes_rollout_batch(Wx, S, T, sizes, offs, act, residual, can_stop, hist, fp,
                         score, tgt, rec, wrong, on, dmg):
    """Advance one batch of LANES genomes for T steps, in place in S.

    Wx : (L, NW, LANES) weight tables.  S : (rows + 1, LANES) padded states;
    the last row is the zero row.  hist : (T+1, rows) records lane 0 at
    every step when it has T+1 rows.  fp : (LANES,) uint64 trajectory
    fingerprints, computed when it has LANES entries (the batch then never
    stops early, so a fingerprint always covers all T steps).
    score : (out_level, threshold) and tgt : (N_out**2,) int64 target;
    rec : (R,) increasing steps in 0..T at which the output level is scored
    into wrong, on : (R, LANES) int64 (see :func:`_score_level`).
    dmg : (5,) int64 ``(t_damage, row0, col0, height, width)``: the
    rectangle is zeroed on every level after step t_damage (after that
    step is recorded, scored and hashed); t_damage < 0 for none.
    Returns the number of steps computed.
    """
    L = sizes.shape[0]
    zrow = S.shape[0] - 1
    S_in = S
    # every row of Snew but the zero row is written (interiors by the level
    # bodies, borders by fill_ghosts) before it is read: no copy of S needed
    Snew = aligned_empty(S.size).reshape(S.shape)
    Snew[zrow, :] = _ZERO
    K = S.shape[1]
    S1 = S.reshape(-1)          # flat views of S, Snew and Wx for the level bodies
    Sn1 = Snew.reshape(-1)
    W1 = Wx.reshape(-1)
    v = aligned_empty(2 * LANES)
    hashing = fp.shape[0] == S.shape[1]
    h1 = np.full(S.shape[1], _H1_OFFSET, np.uint32)
    h2 = np.full(S.shape[1], _H2_OFFSET, np.uint32)
    acc = np.zeros(S.shape[1], np.uint32)
    if hashing:
        keys, koffs = hash_keys(sizes, 1)
    else:
        keys, koffs = np.zeros(0, np.uint32), np.zeros(L + 1, np.int64)
    if hashing:
        can_stop = False
    record = hist.shape[0] == T + 1
    if record:
        for r in range(zrow):
            hist[0, r] = S[r, 0]
    out_lvl, thr = score
    ri = _score_steps(S, 0, 0, rec, offs, sizes, 1, out_lvl, thr, tgt, wrong, on)
    if dmg[0] == 0:
        _damage(S, sizes, offs, 1, dmg)
    t = 0
    while t < T:
        for lvl in range(L):
            # flat views, 1-D slices of flat buffers (see _lanes_level_body);
            # offsets in float32 values, i.e. rows * K
            zero = S1[zrow * K:]
            Sc = S1[offs[lvl - 1] * K:offs[lvl] * K] if lvl > 0 else zero
            Sp = S1[offs[lvl + 1] * K:offs[lvl + 2] * K] if lvl < L - 1 else zero
            # one row of slack past the level (the next level or the zero
            # row): an odd top level's last pair reads one row past its end
            _lanes_level(W1[lvl * NW * K:(lvl + 1) * NW * K],
                         S1[offs[lvl] * K:(offs[lvl + 1] + 1) * K], Sc, Sp,
                         Sn1[offs[lvl] * K:(offs[lvl + 1] + 1) * K], sizes[lvl], lvl > 0,
                         lvl < L - 1, act, residual, keys[koffs[lvl]:koffs[lvl + 1]], acc,
                         hashing, v)
            if hashing:
                _fold_level(h1, h2, acc)
            fill_ghosts(Snew, offs[lvl], sizes[lvl], 1)
        S, Snew = Snew, S
        S1, Sn1 = Sn1, S1
        t += 1
        if record:
            for r in range(zrow):
                hist[t, r] = S[r, 0]
        ri = _score_steps(S, t, ri, rec, offs, sizes, 1, out_lvl, thr, tgt, wrong, on)
        if dmg[0] == t:
            _damage(S, sizes, offs, 1, dmg)
        # a batch dies only when all its genomes do (rare): check every
        # STOP_EVERY steps; stopping late changes nothing, the state is fixed
        if can_stop and t % STOP_EVERY == 0 and _all_zero(S):
            if record:
                for tt in range(t + 1, T + 1):
                    for r in range(zrow):
                        hist[tt, r] = S[r, 0]
            if ri < rec.shape[0]:
                ri = _score_steps(S, rec[ri], ri, rec, offs, sizes, 1, out_lvl, thr, tgt,
                                  wrong, on)
                _score_rest(ri, rec, wrong, on)
            break
    if t % 2 == 1:
        S_in[:, :] = S
    if hashing:
        _pack_hashes(h1, h2, fp)
    return t


@njit(parallel=True, **_JIT)
def lanes_rollout(Wx, S, T, sizes, offs, act, residual, can_stop, steps_run, fps,
                  score, tgt, rec, wrong, on, dmg):
    """Population rollout, ``lanes`` strategy (one channel, linear rule), in place.

    Wx : (nbatch, L, NW, LANES) float32 weight tables, lanes last.
    S : (nbatch, rows + 1, LANES) float32 padded states: initial in, final out.
    steps_run : (nbatch,) int64, receives the steps computed per batch.
    fps : (nbatch, LANES) uint64 receives trajectory fingerprints, or
        (nbatch, 0) for none.
    score, tgt, rec, dmg : as in :func:`_lanes_rollout_batch` (rec empty and
        dmg[0] < 0 for a plain rollout); wrong, on : (nbatch, R, LANES) int64.
    """
    nb = Wx.shape[0]
    nohist = np.zeros((0, S.shape[1]), np.float32)
    for bi in prange(nb):
        steps_run[bi] = _lanes_rollout_batch(Wx[bi], S[bi], T, sizes, offs, act, residual,
                                             can_stop, nohist, fps[bi], score, tgt, rec,
                                             wrong[bi], on[bi], dmg)


@njit(**_JIT)
def lanes_trajectory(Wx, S, T, sizes, offs, act, residual, can_stop, hist):
    """Lane 0's full trajectory; Wx (L, NW, LANES), S (rows+1, LANES), hist (T+1, rows)."""
    none = np.zeros((0, S.shape[1]), np.int64)
    return _lanes_rollout_batch(Wx, S, T, sizes, offs, act, residual, can_stop, hist,
                                np.zeros(0, np.uint64), (0, np.float32(0.0)),
                                np.zeros(0, np.int64), np.zeros(0, np.int64), none, none,
                                np.full(5, -1, np.int64))


# --------------------------------------------------------------------------
# gemm strategy: im2col + BLAS per genome
# --------------------------------------------------------------------------
@njit(**_JIT)
def _im2col(S, X, lvl, L, sizes, offs, C):
    """Inputs of every cell of level ``lvl`` as rows of X (N*N, n_inputs).

    Every input group is a contiguous run of the padded state: the two
    children of a child row (2C values), a neighbourhood row (3C), the
    parent (C).  Indices are unsigned (no negative-index wraparound code)
    and C = 16 gets a copy of the body with constant run lengths: together
    2.6x faster than signed indices and runtime lengths (44 vs 114 us per
    neural-preset step).
    """
    has_down = lvl > 0
    has_up = lvl < L - 1
    offc = offs[lvl - 1] if has_down else 0
    offp = offs[lvl + 1] if has_up else 0
    if C == 16:
        _im2col_body(S, X, sizes[lvl], 16, offs[lvl], offc, offp, has_down, has_up)
    else:
        _im2col_body(S, X, sizes[lvl], C, offs[lvl], offc, offp, has_down, has_up)


@njit(inline="always", **_JIT)
def _im2col_body(S, X, N, C, off, offc, offp, has_down, has_up):
    N = np.uint64(N)
    C = np.uint64(C)
    off = np.uint64(off)
    offc = np.uint64(offc)
    offp = np.uint64(offp)
    Np = N + _U2
    C2 = _U2 * C
    C3 = _U3 * C
    Xf = X.reshape(-1)
    ni = np.uint64(X.shape[1])
    Ncp = _U2 * N + _U2
    Npp = N // _U2 + _U2
    for i in range(N):
        for j in range(N):
            x0 = (i * N + j) * ni
            if has_down:
                for di in range(_U2):   # children (2i+di, 2j) and (2i+di, 2j+1)
                    row = offc + ((_U2 * i + _U1 + di) * Ncp + _U2 * j + _U1) * C
                    dst = x0 + di * C2
                    for m in range(C2):
                        Xf[dst + m] = S[row + m]
                x0 += _U2 * C2
            for dy in range(_U3):
                row = off + ((i + dy) * Np + j) * C
                dst = x0 + dy * C3
                for m in range(C3):
                    Xf[dst + m] = S[row + m]
            x0 += _U3 * C3
            if has_up:
                row = offp + ((i // _U2 + _U1) * Npp + j // _U2 + _U1) * C
                for m in range(C):
                    Xf[x0 + m] = S[row + m]


@njit(**_JIT)
def _bias_act(Y, n, m, g, bstart, act):
    """Y[:n, :m] <- act(Y + bias), whole-matrix passes; no bias when bstart < 0."""
    if bstart >= 0:
        Yf = Y.reshape(-1)
        b = g[bstart: bstart + m]
        mu = np.uint64(m)
        for r in range(np.uint64(n)):
            base = r * mu
            for o in range(mu):
                Yf[base + o] += b[o]
    if act != 4:
        activate_inplace(Y.reshape(-1), n * m, act)


@njit(**_JIT)
def _write_cells(Z, S, Snew, off, N, C, residual):
    """New interior states of one level (side N) from the rule's outputs Z (N*N, C)."""
    Zf = Z.reshape(-1)
    N = np.uint64(N)
    C = np.uint64(C)
    off = np.uint64(off)
    Np = N + _U2
    for i in range(N):
        dst = off + ((i + _U1) * Np + _U1) * C     # cell (i, 0)
        src = i * N * C
        if residual:
            for m in range(N * C):
                Snew[dst + m] = S[dst + m] + Zf[src + m]
        else:
            for m in range(N * C):
                Snew[dst + m] = Zf[src + m]


@njit(**_JIT)
def _gemm_rollout_one(g, S, T, sizes, offs, gstart, ninp, nout1, b1start, w2start, b2start,
                      H, C, hact, oact, residual, can_stop, hist, fp, score, tgt, rec, wrong,
                      on, dmg):
    """One genome's rollout in place in S (rows,); fp (1,) uint64 receives its
    trajectory fingerprint when it has one entry (no early stop then).
    score, tgt, rec, dmg as in :func:`_lanes_rollout_batch`; wrong, on : (R, 1)."""
    L = sizes.shape[0]
    R = S.shape[0]
    Snew = S.copy()
    Sv = Snew.reshape(R, 1)
    maxcells = sizes[0] * sizes[0]
    maxin = 0
    for lvl in range(L):
        maxin = max(maxin, ninp[lvl])
    # buffers reused across steps: no allocation in the loop
    Xbuf = np.empty(maxcells * maxin, np.float32)
    Ybuf = np.empty(maxcells * nout1, np.float32)
    Zbuf = np.empty(maxcells * C, np.float32)
    hashing = fp.shape[0] == 1
    buf = np.empty(1, np.float32)
    h1 = np.full(1, _H1_OFFSET, np.uint32)
    h2 = np.full(1, _H2_OFFSET, np.uint32)
    acc = np.zeros(1, np.uint32)
    keys, koffs = hash_keys(sizes, C)
    if hashing:
        can_stop = False
    record = hist.shape[0] == T + 1
    if record:
        hist[0, :] = S
    out_lvl, thr = score
    ri = _score_steps(Sv, 0, 0, rec, offs, sizes, C, out_lvl, thr, tgt, wrong, on)
    if dmg[0] == 0:
        _damage(Sv, sizes, offs, C, dmg)
        S[:] = Snew
    t = 0
    while t < T:
        for lvl in range(L):
            N = sizes[lvl]
            n = N * N
            ni = ninp[lvl]
            X = Xbuf[: n * ni].reshape(n, ni)
            Y = Ybuf[: n * nout1].reshape(n, nout1)
            _im2col(S, X, lvl, L, sizes, offs, C)
            W1 = g[gstart[lvl]: gstart[lvl] + ni * nout1].reshape(ni, nout1)
            np.dot(X, W1, Y)
            if H > 0:
                _bias_act(Y, n, H, g, b1start[lvl], hact)
                Z = Zbuf[: n * C].reshape(n, C)
                W2 = g[w2start[lvl]: w2start[lvl] + H * C].reshape(H, C)
                np.dot(Y, W2, Z)
                _bias_act(Z, n, C, g, b2start[lvl], oact)
            else:
                Z = Y
                _bias_act(Z, n, C, g, b1start[lvl], oact)
            _write_cells(Z, S, Snew, offs[lvl], N, C, residual)
            fill_ghosts(Sv, offs[lvl], N, C)
        S[:] = Snew
        t += 1
        if hashing:
            for lvl in range(L):
                _hash_level(Sv, offs[lvl], sizes[lvl], C, keys[koffs[lvl]:koffs[lvl + 1]],
                            h1, h2, acc, buf)
        if record:
            hist[t, :] = S
        ri = _score_steps(Sv, t, ri, rec, offs, sizes, C, out_lvl, thr, tgt, wrong, on)
        if dmg[0] == t:
            _damage(Sv, sizes, offs, C, dmg)
            S[:] = Snew
        if can_stop and _all_zero(Sv):
            if record:
                for tt in range(t + 1, T + 1):
                    hist[tt, :] = S
            if ri < rec.shape[0]:
                ri = _score_steps(Sv, rec[ri], ri, rec, offs, sizes, C, out_lvl, thr, tgt,
                                  wrong, on)
                _score_rest(ri, rec, wrong, on)
            break
    if hashing:
        _pack_hashes(h1, h2, fp)
    return t


@njit(parallel=True, **_JIT)
def gemm_rollout(G, S, T, sizes, offs, gstart, ninp, nout1, b1start, w2start, b2start,
                 H, C, hact, oact, residual, can_stop, steps_run, fps, score, tgt, rec,
                 wrong, on, dmg):
    """Population rollout, ``gemm`` strategy, in place.

    G : (P, D) float32 genomes.  S : (P, rows) padded states: initial in, final out.
    steps_run : (P,) int64.  fps : (P, 1) uint64 trajectory fingerprints or
    (P, 0) for none.  score, tgt, rec, dmg as in :func:`_lanes_rollout_batch`;
    wrong, on : (P, R, 1) int64.  Call with BLAS limited to one thread (the
    wrapper does).
    """
    P = G.shape[0]
    R = S.shape[1]
    nohist = np.zeros((0, R), np.float32)
    for p in prange(P):
        steps_run[p] = _gemm_rollout_one(G[p], S[p], T, sizes, offs, gstart, ninp, nout1,
                                         b1start, w2start, b2start, H, C, hact, oact,
                                         residual, can_stop, nohist, fps[p], score, tgt, rec,
                                         wrong[p], on[p], dmg)


@njit(**_JIT)
def gemm_trajectory(g, S, T, sizes, offs, gstart, ninp, nout1, b1start, w2start, b2start,
                    H, C, hact, oact, residual, can_stop, hist):
    """One genome's full trajectory (S: (rows,), in place); ``hist`` (T+1, rows)."""
    none = np.zeros((0, 1), np.int64)
    return _gemm_rollout_one(g, S, T, sizes, offs, gstart, ninp, nout1, b1start, w2start,
                             b2start, H, C, hact, oact, residual, can_stop, hist,
                             np.zeros(0, np.uint64), (0, np.float32(0.0)),
                             np.zeros(0, np.int64), np.zeros(0, np.int64), none, none,
                             np.full(5, -1, np.int64))


# --------------------------------------------------------------------------
# mapped strategy: one-channel linear rules, links read through tables
# --------------------------------------------------------------------------
@njit(**_JIT)
def link_tables(links, sizes, offs, rtab, ctab):
    """Where every cell's down and up inputs lie, from its level's links.

    links : (L, 5, 3) int64 links ``(m, r, c)`` of the four down slots and the
        up slot (``alife.nca.wiring``); ``m < 0`` marks an absent input, which
        then reads the cell itself (its weight is zero).
    rtab, ctab : (L, 5, N_0) uint64, filled: slot s of cell (i, j) of level l
        reads padded row ``rtab[l, s, i] + ctab[l, s, j]`` of the state buffer,
        i.e. level m's cell ``(((i << l) >> m) + (r >> m)) mod N_m``, likewise j.
    """
    L = sizes.shape[0]
    for lvl in range(L):
        N = sizes[lvl]
        for s in range(5):
            m = links[lvl, s, 0]
            r = links[lvl, s, 1]
            c = links[lvl, s, 2]
            if m < 0:
                m, r, c = lvl, 0, 0
            Nm = sizes[m]
            for i in range(N):
                a = (((i << lvl) >> m) + (r >> m)) % Nm
                b = (((i << lvl) >> m) + (c >> m)) % Nm
                rtab[lvl, s, i] = offs[m] + (a + 1) * (Nm + 2)
                ctab[lvl, s, i] = b + 1


@njit(**_JIT_FAST)
def _activate_n(v, n, act):
    """Activation on v[:n] in place, with the lanes strategy's fast approximations."""
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


@njit(**_JIT_FAST)
def _mapped_level(w, S, Snew, off, N, rtab, ctab, present, act, residual, keys, acc, hashing,
                  v):
    """Update every cell of one level (side N) of one genome.

    w : (NW,) the level's weights (down 4, around 9, up, bias).  S / Snew :
    (rows,) old / new padded states of the whole genome.  rtab, ctab : (5, N_0)
    the level's link tables (:func:`link_tables`); present : (5,) bool, the
    slots that have a link.  Per row: the 3x3 neighbourhood and bias at fixed
    offsets (a contiguous, vectorised pass), then one gathering pass per
    present link slot (absent slots cost nothing: the base level of a
    below-only wiring has none).
    """
    # unsigned indices: no negative-index wraparound code in the loops
    N = np.uint64(N)
    off = np.uint64(off)
    Np = N + _U2
    w4, w5, w6, w7, w8 = w[4], w[5], w[6], w[7], w[8]
    w9, w10, w11, w12, w14 = w[9], w[10], w[11], w[12], w[14]
    vbits = v.view(np.uint32)
    for i in range(N):
        r0 = off + i * Np
        r1 = r0 + Np
        r2 = r1 + Np
        for j in range(N):
            v[j] = ((((w4 * S[r0 + j] + w5 * S[r0 + j + _U1])
                      + (w6 * S[r0 + j + _U2] + w7 * S[r1 + j]))
                     + ((w8 * S[r1 + j + _U1] + w9 * S[r1 + j + _U2])
                        + (w10 * S[r2 + j] + w11 * S[r2 + j + _U1])))
                    + (w12 * S[r2 + j + _U2] + w14))
        for s in range(5):
            if present[s]:
                ws = w[s] if s < 4 else w[13]
                q = rtab[s, i]
                cs = ctab[s]
                for j in range(N):
                    v[j] += ws * S[q + cs[j]]
        _activate_n(v, N, act)
        dst = r1 + _U1
        if residual:
            for j in range(N):
                v[j] = S[dst + j] + v[j]
        for j in range(N):
            Snew[dst + j] = v[j]
        if hashing:
            a = acc[0]
            kk = i * N
            for j in range(N):
                x = vbits[j]
                x = x if x != _NEG_ZERO_BITS else np.uint32(0)
                a = np.uint32(a + (x ^ keys[kk + j]))
            acc[0] = a


@njit(**_JIT)
def _mapped_rollout_one(w, S, T, sizes, offs, links, act, residual, can_stop, hist, fp,
                        score, tgt, rec, wrong, on, dmg):
    """One genome's rollout in place in S (rows,), its links read through
    tables; fp (1,) uint64 receives its trajectory fingerprint when it has one
    entry (no early stop then).  score, tgt, rec, dmg as in
    :func:`_lanes_rollout_batch`; wrong, on : (R, 1).  Returns the number of
    steps computed."""
    L = sizes.shape[0]
    R = S.shape[0]
    S_in = S
    Snew = S.copy()
    nmax = sizes[0]
    rtab = np.zeros((L, 5, nmax), np.uint64)
    ctab = np.zeros((L, 5, nmax), np.uint64)
    link_tables(links, sizes, offs, rtab, ctab)
    present = np.zeros((L, 5), np.bool_)
    for lvl in range(L):
        for s in range(5):
            present[lvl, s] = links[lvl, s, 0] >= 0
    v = np.empty(nmax, np.float32)
    hashing = fp.shape[0] == 1
    h1 = np.full(1, _H1_OFFSET, np.uint32)
    h2 = np.full(1, _H2_OFFSET, np.uint32)
    acc = np.zeros(1, np.uint32)
    keys, koffs = hash_keys(sizes, 1)
    if hashing:
        can_stop = False
    record = hist.shape[0] == T + 1
    if record:
        hist[0, :] = S
    out_lvl, thr = score
    ri = _score_steps(S.reshape(R, 1), 0, 0, rec, offs, sizes, 1, out_lvl, thr, tgt, wrong, on)
    if dmg[0] == 0:
        _damage(S.reshape(R, 1), sizes, offs, 1, dmg)
    t = 0
    while t < T:
        for lvl in range(L):
            _mapped_level(w[lvl], S, Snew, offs[lvl], sizes[lvl], rtab[lvl], ctab[lvl],
                          present[lvl], act, residual, keys[koffs[lvl]:koffs[lvl + 1]], acc,
                          hashing, v)
            if hashing:
                _fold_level(h1, h2, acc)
            fill_ghosts(Snew.reshape(R, 1), offs[lvl], sizes[lvl], 1)
        S, Snew = Snew, S
        t += 1
        if record:
            hist[t, :] = S
        Sv = S.reshape(R, 1)
        ri = _score_steps(Sv, t, ri, rec, offs, sizes, 1, out_lvl, thr, tgt, wrong, on)
        if dmg[0] == t:
            _damage(Sv, sizes, offs, 1, dmg)
        # a dead genome stays dead: check every STOP_EVERY steps (a scan of
        # the whole, mostly empty, state every step costs more than it saves)
        if can_stop and t % STOP_EVERY == 0 and _all_zero(Sv):
            if record:
                for tt in range(t + 1, T + 1):
                    hist[tt, :] = S
            if ri < rec.shape[0]:
                ri = _score_steps(Sv, rec[ri], ri, rec, offs, sizes, 1, out_lvl, thr, tgt,
                                  wrong, on)
                _score_rest(ri, rec, wrong, on)
            break
    if t % 2 == 1:
        S_in[:] = S
    if hashing:
        _pack_hashes(h1, h2, fp)
    return t


@njit(parallel=True, **_JIT)
def mapped_rollout(Wt, S, T, sizes, offs, links, act, residual, can_stop, steps_run, fps,
                   score, tgt, rec, wrong, on, dmg):
    """Population rollout, ``mapped`` strategy (one channel, linear rule), in place.

    Wt : (P, L, NW) float32 weight tables.  S : (P, rows) float32 padded
    states: initial in, final out.  links : (P, L, 5, 3) int64 every genome's
    links.  steps_run : (P,) int64.  fps : (P, 1) uint64 trajectory
    fingerprints or (P, 0) for none.  score, tgt, rec, dmg as in
    :func:`_lanes_rollout_batch`; wrong, on : (P, R, 1) int64.
    """
    P = Wt.shape[0]
    nohist = np.zeros((0, S.shape[1]), np.float32)
    for p in prange(P):
        steps_run[p] = _mapped_rollout_one(Wt[p], S[p], T, sizes, offs, links[p], act, residual,
                                           can_stop, nohist, fps[p], score, tgt, rec,
                                           wrong[p], on[p], dmg)


@njit(**_JIT)
def mapped_trajectory(w, S, T, sizes, offs, links, act, residual, can_stop, hist):
    """One genome's full trajectory: w (L, NW), S (rows,) in place, links
    (L, 5, 3), hist (T+1, rows)."""
    none = np.zeros((0, 1), np.int64)
    return _mapped_rollout_one(w, S, T, sizes, offs, links, act, residual, can_stop, hist,
                               np.zeros(0, np.uint64), (0, np.float32(0.0)),
                               np.zeros(0, np.int64), np.zeros(0, np.int64), none, none,
                               np.full(5, -1, np.int64))
