"""The ``gemm`` rollout strategy (MLP rules or many channels -- the neural preset).

One genome per task: an im2col matrix of every cell's inputs is built
into a reused buffer and the rule is applied as matrix products
(``np.dot`` -> single-threaded BLAS sgemm).  ``prange`` runs over genomes.

Each pre-activation is accumulated in float32; the activations use libm
(about 1 ulp), where the matrix products dominate.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .core import (_H1_OFFSET, _H2_OFFSET, _JIT, _U1, _U2, _U3, _ZERO, _all_zero, _damage,
                   _hash_level, _pack_hashes, _score_rest, _score_steps,
                   activate_inplace, fill_ghosts, hash_keys)


@njit(**_JIT)
def _im2col(S, X, lvl, L, sizes, offs, C):
    """Inputs of every cell of level ``lvl`` as rows of X (N*N, n_inputs).

    Every input group is a contiguous run of the padded state: the two
    children of a child row (2C values), a neighbourhood row (3C), the
    parent (C).  Indices are unsigned (no negative-index wraparound code)
    and C = 16 gets a copy of the body with constant run lengths: together
    2.6x faster than signed indices and runtime lengths.  When C is a
    multiple of 4 every run and every offset is too, and the runs are copied
    as 16-byte words (complex128 views of S and X: moves, not arithmetic,
    so the bits are the float32 values' own), another 2.5x (level 0 of the
    neural preset: 52 -> 21 us per step).
    """
    has_down = lvl > 0
    has_up = lvl < L - 1
    off = offs[lvl]
    offc = offs[lvl - 1] if has_down else 0
    offp = offs[lvl + 1] if has_up else 0
    N = sizes[lvl]
    ni = X.shape[1]
    if C % 4 == 0:
        Sw = S.view(np.complex128)
        Xw = X.reshape(-1).view(np.complex128)
        if C == 16:
            _im2col_body(Sw, Xw, ni // 4, N, 4, off // 4, offc // 4, offp // 4,
                         has_down, has_up)
        else:
            _im2col_body(Sw, Xw, ni // 4, N, C // 4, off // 4, offc // 4, offp // 4,
                         has_down, has_up)
    else:
        _im2col_body(S, X.reshape(-1), ni, N, C, off, offc, offp, has_down, has_up)


@njit(inline="always", **_JIT)
def _im2col_body(S, Xf, ni, N, C, off, offc, offp, has_down, has_up):
    """The copies of :func:`_im2col` on flat S and X of any one element
    type; ``ni``, ``C`` and the offsets are counted in that type."""
    N = np.uint64(N)
    C = np.uint64(C)
    off = np.uint64(off)
    offc = np.uint64(offc)
    offp = np.uint64(offp)
    ni = np.uint64(ni)
    Np = N + _U2
    C2 = _U2 * C
    C3 = _U3 * C
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
    """Y[:n, :m] <- act(Y + bias); no bias when bstart < 0.

    ReLU and identity take one fused pass over rows of Y (each element
    ``y + b`` then the activation, as two passes would compute it, bit for
    bit; 6x faster than a bias pass plus an activation pass: 8 against 47 us
    per neural-preset step).  The libm activations add the bias first.
    """
    if act == 3 or act == 4:
        if act == 3 or bstart >= 0:          # identity without a bias: nothing to do
            _bias_relu_rows(Y, n, m, g, bstart, act == 3)
        return
    if bstart >= 0:
        _bias_relu_rows(Y, n, m, g, bstart, False)
    activate_inplace(Y.reshape(-1), n * m, act)


@njit(**_JIT)
def _bias_relu_rows(Y, n, m, g, bstart, relu):
    """Y[r, o] <- Y[r, o] + b[o] (no bias when bstart < 0), then max with 0
    when ``relu`` (NaN -> 0, as :func:`activate_inplace`)."""
    has_bias = bstart >= 0
    b = g[max(bstart, 0): max(bstart, 0) + m]
    for r in range(n):
        row = Y[r]
        if has_bias and relu:
            for o in range(m):
                x = row[o] + b[o]
                row[o] = x if x > _ZERO else _ZERO
        elif has_bias:
            for o in range(m):
                row[o] += b[o]
        elif relu:
            for o in range(m):
                x = row[o]
                row[o] = x if x > _ZERO else _ZERO


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

