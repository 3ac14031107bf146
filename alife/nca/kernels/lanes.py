"""The ``lanes`` rollout strategy (one-channel linear rules -- the Bielawski preset).

One genome per SIMD lane: a batch of ``LANES`` genomes is advanced
together, every row of the state holds the ``LANES`` genomes' values
contiguously, and every weight is a ``LANES``-vector.  The innermost
loops run over lanes, so LLVM vectorises them at every level (small
levels included) without gathers.  ``prange`` runs over batches.

Each pre-activation is accumulated in float32; the activations use a
rational approximation of tanh (max abs error 3.6e-7 for tanh, 2.3e-7 for
the logistic function) that LLVM vectorises, unlike libm's ``exp``.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .core import (LANES, NW, STOP_EVERY, _H1_OFFSET, _H2_OFFSET, _JIT, _JIT_FAST,
                   _NEG_ZERO_BITS, _U1, _U2, _ZERO, _all_zero, _damage, _fold_level,
                   _pack_hashes, _score_rest, _score_steps, aligned_empty, fast_activate,
                   fill_ghosts, hash_keys)


_UL = np.uint64(LANES)


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
        _lanes_level_one(W, S1, C1, P1, Sn1, has_down, has_up, act, residual, keys, acc,
                         hashing, v)
    else:
        _lanes_level_body(W, S1, C1, P1, Sn1, N, has_down, has_up, act, residual, keys,
                          acc, hashing, v)


@njit(inline="always", **_JIT_FAST)
def _lanes_level_one(W, S1, C1, P1, Sn1, has_down, has_up, act, residual, keys, acc, hashing,
                     v):
    """:func:`_lanes_level_body` for a level of one cell (side 1, a top level).

    The body computes cells in pairs, and for a 1x1 level the second cell
    of its one pair is a ghost, thrown away; this computes the one cell
    alone (about half the time for that level).  Same inputs, same
    expressions in the same order, so the same numbers: the offsets are the
    body's with N = 1 (padded rows 3 cells long, the child's 4, the parent
    row unused).
    """
    UL = _UL
    a0 = np.uint64(0)
    a1 = np.uint64(3) * UL
    a2 = np.uint64(6) * UL
    d0 = np.uint64(5) * UL        # child rows 0 and 1, first interior column
    d1 = np.uint64(9) * UL
    up = np.uint64(3) * UL if has_up else np.uint64(0)
    vbits = v.view(np.uint32)
    if has_down:
        for b in range(UL):
            w0 = W[b]
            w1 = W[UL + b]
            w2 = W[2 * UL + b]
            w3 = W[3 * UL + b]
            t = W[13 * UL + b] * P1[up + b] + W[14 * UL + b]
            da = ((w0 * C1[d0 + b] + w1 * C1[d0 + UL + b])
                  + (w2 * C1[d1 + b] + w3 * C1[d1 + UL + b]))
            ra = (((W[4 * UL + b] * S1[a0 + b] + W[5 * UL + b] * S1[a0 + UL + b])
                   + (W[6 * UL + b] * S1[a0 + 2 * UL + b] + W[7 * UL + b] * S1[a1 + b]))
                  + ((W[8 * UL + b] * S1[a1 + UL + b] + W[9 * UL + b] * S1[a1 + 2 * UL + b])
                     + (W[10 * UL + b] * S1[a2 + b] + W[11 * UL + b] * S1[a2 + UL + b])))
            v[b] = (da + ra) + (W[12 * UL + b] * S1[a2 + 2 * UL + b] + t)
    else:
        for b in range(UL):
            t = W[13 * UL + b] * P1[up + b] + W[14 * UL + b]
            ra = (((W[4 * UL + b] * S1[a0 + b] + W[5 * UL + b] * S1[a0 + UL + b])
                   + (W[6 * UL + b] * S1[a0 + 2 * UL + b] + W[7 * UL + b] * S1[a1 + b]))
                  + ((W[8 * UL + b] * S1[a1 + UL + b] + W[9 * UL + b] * S1[a1 + 2 * UL + b])
                     + (W[10 * UL + b] * S1[a2 + b] + W[11 * UL + b] * S1[a2 + UL + b])))
            v[b] = ra + (W[12 * UL + b] * S1[a2 + 2 * UL + b] + t)
    fast_activate(v, LANES, act)
    dst = a1 + UL
    if residual:
        for b in range(UL):
            v[b] = S1[dst + b] + v[b]
    for b in range(UL):
        Sn1[dst + b] = v[b]
    if hashing:
        ka = keys[0]
        for b in range(UL):
            x = vbits[b]
            x = x if x != _NEG_ZERO_BITS else np.uint32(0)
            acc[b] = np.uint32(acc[b] + (x ^ ka))
    return True


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
    Snb = Sn1.view(np.uint32)        # the new states as bit patterns (fused store and hash)
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
            fast_activate(v, 2 * LANES, act)
            dst = a1 + UL
            if residual:
                for b in range(2 * UL):
                    v[b] = S1[dst + b] + v[b]
            if not hashing:
                for b in range(2 * UL):
                    Sn1[dst + b] = v[b]
                continue
            # store the new cells and reduce them into the level's hash words
            # in one pass, as bit patterns (see the fingerprint notes in
            # .core): the two cells' terms are summed before the one update
            # of acc (the same sum mod 2**32).  Fused, the hash costs about
            # half of a second pass over v (measured: it adds 2.2 instead of
            # 4.1 ms to the 84 ms of a 502-genome Bielawski develop)
            kk = i * N + j
            ka = keys[kk]
            if j + _U1 < N:
                kb = keys[kk + _U1]
                if unsigned_zero:
                    for b in range(UL):
                        xa = vbits[b]
                        xb = vbits[UL + b]
                        Snb[dst + b] = xa
                        Snb[dst + UL + b] = xb
                        acc[b] = np.uint32(acc[b] + np.uint32((xa ^ ka) + (xb ^ kb)))
                else:
                    # -0.0 is stored as it is and hashed as +0.0: an
                    # integer select, not a float add
                    for b in range(UL):
                        xa = vbits[b]
                        xb = vbits[UL + b]
                        Snb[dst + b] = xa
                        Snb[dst + UL + b] = xb
                        xa = xa if xa != _NEG_ZERO_BITS else np.uint32(0)
                        xb = xb if xb != _NEG_ZERO_BITS else np.uint32(0)
                        acc[b] = np.uint32(acc[b] + np.uint32((xa ^ ka) + (xb ^ kb)))
            else:
                # the last pair of an odd row: its second cell is the ghost
                # column (overwritten by fill_ghosts), stored but not hashed
                for b in range(2 * UL):
                    Sn1[dst + b] = v[b]
                for b in range(UL):
                    x = vbits[b]
                    x = x if x != _NEG_ZERO_BITS else np.uint32(0)
                    acc[b] = np.uint32(acc[b] + (x ^ ka))


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
