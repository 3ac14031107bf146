"""Lanes-strategy population rollouts with packing fused into the parallel loop.

The ``lanes`` strategy (see :mod:`alife.nca.kernels`) advances batches of
``LANES`` genomes, one genome per SIMD lane: weights and states are stored
lanes-last.  Packing a population into that layout and unpacking the final
states used to be whole-population NumPy passes run on one thread before and
after the parallel rollout.  On small grids (base 8, 10 steps) a batch's
rollout takes tens of microseconds, and those passes cost as much as a fifth
of the rollout on one thread (more on two).  Here every batch packs its own
genomes, runs and writes its own genomes' results from inside the ``prange``
loop, while its buffers are still in cache, and the per-level interior
states come out directly in the layout :class:`~alife.nca.develop.Development`
returns.

The numbers are exactly those of packing with NumPy: the same weight table
(absent blocks and padding genomes read zeros) and the same initial states
(padding lanes hold the shared start state when there is one, zeros
otherwise), then the same batch kernel.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._numba import CAN_CACHE
from . import kernels as K

_JIT = dict(cache=CAN_CACHE, error_model="numpy", nogil=True)
_B = K.LANES


@njit(**_JIT)
def _pack_batch(G, gidx, S0, p0, Wx, S):
    """Genomes p0 .. p0 + LANES - 1 into one batch's weight table and states.

    G : (P, D) float32 genomes.  gidx : (L, NW) int64 gene behind every row of
    a level's weight table, -1 for an absent block.  S0 : (Q, rows) float32
    padded initial states, Q = 1 (shared by every genome) or P.  Wx :
    (L, NW, LANES) and S : (rows + 1, LANES) float32 receive the batch; lanes
    past P get zero weights and the shared state (Q = 1) or zeros (Q = P);
    the last row of S is the kernels' zero row.

    Loops run over one genome's genes or one row's lanes at a time, and the
    mostly-zero shared start is a memset plus its non-zero rows: at base 8
    this packs a batch 4-6x faster than a loop over (row, lane) pairs.
    """
    n = min(_B, G.shape[0] - p0)
    L, NW = gidx.shape
    Wf = Wx.reshape(L * NW, _B)
    gf = gidx.reshape(-1)
    Wf[:, :] = np.float32(0.0)
    for b in range(n):
        g = G[p0 + b]
        for j in range(L * NW):
            if gf[j] >= 0:
                Wf[j, b] = g[gf[j]]
    rows = S0.shape[1]
    S[:, :] = np.float32(0.0)
    if S0.shape[0] == 1:
        bits = S0[0].view(np.uint32)    # -0.0 is not skipped: its bits are not 0
        for r in range(rows):
            if bits[r] != 0:
                x = S0[0, r]
                for b in range(_B):
                    S[r, b] = x
    else:
        for b in range(n):
            s0 = S0[p0 + b]
            for r in range(rows):
                S[r, b] = s0[r]


_U1, _U2, _U3, _U4 = np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(4)
_U5, _U6, _U7, _U8 = np.uint64(5), np.uint64(6), np.uint64(7), np.uint64(8)
_UB = np.uint64(_B)


@njit(**_JIT)
def _lanes_to_tile8(S1, r, K, tile):
    """``tile[b * 8 + j] = S1[r + j * K + b]`` for b < LANES, j < 8: eight
    consecutive rows of lanes (flat, K values a row) to eight values per lane.

    Indices are unsigned (no wraparound code) and the eight stores of an
    iteration form one interleaved group, which LLVM turns into SIMD shuffles.
    """
    for b in range(_UB):
        x0 = S1[r + b]
        x1 = S1[r + K + b]
        x2 = S1[r + _U2 * K + b]
        x3 = S1[r + _U3 * K + b]
        x4 = S1[r + _U4 * K + b]
        x5 = S1[r + _U5 * K + b]
        x6 = S1[r + _U6 * K + b]
        x7 = S1[r + _U7 * K + b]
        t = b * _U8
        tile[t] = x0
        tile[t + _U1] = x1
        tile[t + _U2] = x2
        tile[t + _U3] = x3
        tile[t + _U4] = x4
        tile[t + _U5] = x5
        tile[t + _U6] = x6
        tile[t + _U7] = x7


@njit(**_JIT)
def _tile8_to_genomes(tile, out, d, stride):
    """``out[d + b * stride + j] = tile[b * 8 + j]``, b < LANES, j < 8: each
    lane's eight values to its genome's row (one 32-byte copy per lane)."""
    for b in range(_UB):
        t = b * _U8
        o = d + b * stride
        x0 = tile[t]
        x1 = tile[t + _U1]
        x2 = tile[t + _U2]
        x3 = tile[t + _U3]
        x4 = tile[t + _U4]
        x5 = tile[t + _U5]
        x6 = tile[t + _U6]
        x7 = tile[t + _U7]
        out[o] = x0
        out[o + _U1] = x1
        out[o + _U2] = x2
        out[o + _U3] = x3
        out[o + _U4] = x4
        out[o + _U5] = x5
        out[o + _U6] = x6
        out[o + _U7] = x7


@njit(**_JIT)
def _unpack_batch(S, sizes, offs, p0, out):
    """One batch's final interior states into ``out``, level-major.

    S : (rows + 1, LANES) padded states of the batch.  out : (sum_l P * N_l**2,)
    float32: level l occupies ``out[P * k_l : P * k_(l+1)]`` with
    k_l = sum_(m < l) N_m**2, as a C-ordered (P, N_l, N_l) block.  Only the
    batch's real genomes (p0 .. min(p0 + LANES, P) - 1) are written.

    In a full batch, levels whose side is 8 or 16 are transposed eight cells
    of a row at a time through a small tile (SIMD shuffles, then one 32-byte
    store per genome: 1.9x faster than scalar stores at side 8).  Other levels
    of side <= 16 are read a row of lanes at a time (contiguous loads, stores
    N_l**2 apart: 2.4x faster than genome by genome at base 8); larger ones a
    genome at a time, whose stores stay contiguous (stores a page or more
    apart are 3x slower there).
    """
    L = sizes.shape[0]
    total = 0
    for lvl in range(L):
        total += sizes[lvl] * sizes[lvl]
    P = out.shape[0] // total
    n = min(_B, P - p0)
    S1 = S.reshape(-1)
    K = np.uint64(S.shape[1])
    tile = np.empty(8 * _B, np.float32)
    base = 0
    for lvl in range(L):
        N = sizes[lvl]
        cells = N * N
        Np = N + 2
        if n == _B and (N == 8 or N == 16):
            for i in range(N):
                for j0 in range(0, N, 8):
                    r = np.uint64(offs[lvl] + (i + 1) * Np + 1 + j0) * K
                    _lanes_to_tile8(S1, r, K, tile)
                    _tile8_to_genomes(tile, out, np.uint64(base + p0 * cells + i * N + j0),
                                      np.uint64(cells))
        elif N <= 16:
            for i in range(N):
                for j in range(N):
                    r = offs[lvl] + (i + 1) * Np + j + 1
                    dst = base + p0 * cells + i * N + j
                    for b in range(n):
                        out[dst + b * cells] = S[r, b]
        else:
            for b in range(n):
                dst = base + (p0 + b) * cells
                for i in range(N):
                    src = offs[lvl] + (i + 1) * Np + 1
                    for j in range(N):
                        out[dst + i * N + j] = S[src + j, b]
        base += P * cells


@njit(parallel=True, **_JIT)
def lanes_develop(G, gidx, S0, T, sizes, offs, act, residual, can_stop, out, steps_run,
                  fps, score, tgt, rec, wrong, on, dmg):
    """Population rollout, ``lanes`` strategy, packing and unpacking per batch.

    G : (P, D) float32 genomes, P >= 1.  gidx, S0 : as in :func:`_pack_batch`.
    T : steps.  sizes : (L,) int64 sides; offs : (L + 1,) int64 first row of
    each padded level.  act, residual, can_stop, score, tgt, rec, dmg : as in
    :func:`alife.nca.kernels.lanes_rollout`.
    out : (sum_l P * N_l**2,) float32 receives the final interior states
    (see :func:`_unpack_batch`).  steps_run : (P,) int64 receives the steps
    computed (shared by the genomes of a batch).  fps : (P,) uint64 receives
    trajectory fingerprints, or (0,) for none.  wrong, on : (P, R) int64
    receive the scoring counts.

    Every genome is computed by one thread in a fixed order, exactly as
    :func:`alife.nca.kernels.lanes_rollout` computes it: results do not depend
    on the thread count.
    """
    P = G.shape[0]
    L, NW = gidx.shape
    rows = S0.shape[1]
    R = rec.shape[0]
    hashing = fps.shape[0] == P
    nb = (P + _B - 1) // _B
    nohist = np.zeros((0, rows + 1), np.float32)
    for bi in prange(nb):
        p0 = bi * _B
        n = min(_B, P - p0)
        # cache-line aligned: a row of lanes is then whole cache lines
        Wx = K.aligned_empty(L * NW * _B).reshape(L, NW, _B)
        S = K.aligned_empty((rows + 1) * _B).reshape(rows + 1, _B)
        _pack_batch(G, gidx, S0, p0, Wx, S)
        fpb = np.zeros(_B if hashing else 0, np.uint64)
        wb = np.zeros((R, _B), np.int64)
        ob = np.zeros((R, _B), np.int64)
        t = K._lanes_rollout_batch(Wx, S, T, sizes, offs, act, residual, can_stop, nohist,
                                   fpb, score, tgt, rec, wb, ob, dmg)
        _unpack_batch(S, sizes, offs, p0, out)
        for b in range(n):
            steps_run[p0 + b] = t
            if hashing:
                fps[p0 + b] = fpb[b]
            for r in range(R):
                wrong[p0 + b, r] = wb[r, b]
                on[p0 + b, r] = ob[r, b]
