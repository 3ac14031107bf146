"""The ``mapped`` rollout strategy (one-channel linear rules whose links differ
per genome -- the random wirings of :mod:`alife.nca.wiring`).

One genome per task: the 3x3 neighbourhood at fixed offsets, the down
and up inputs gathered through per-genome link tables; the loop over a
row's cells vectorises (with gathers).  ``prange`` runs over genomes.

Each pre-activation is accumulated in float32; the activations use the
``lanes`` strategy's rational approximation of tanh, which LLVM
vectorises, unlike libm's ``exp``.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .core import (STOP_EVERY, _H1_OFFSET, _H2_OFFSET, _JIT, _JIT_FAST, _NEG_ZERO_BITS,
                   _U1, _U2, _ZERO, _all_zero, _damage, _fold_level, _pack_hashes,
                   _score_rest, _score_steps, fast_activate, fill_ghosts, hash_keys)


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
        fast_activate(v, N, act)
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
