"""Numba kernels of the exhaustive neutral networks (arrays in, arrays out).

Every kernel walks genotypes by *rank* (:class:`alife.gpmap.base.DiscreteSpace`):
a genotype's letters come out last-first by repeated division
(:func:`alife.gpmap.base.last_letter`) and the one-mutant writing letter
``nd`` over ``d`` at place value ``w`` has rank
:func:`alife.gpmap.base.substitution_rank` ``(r, d, nd, w)``.  Both are the
space's own definitions, compiled inline here, so the kernels and the space
cannot disagree on the order of ranks or neighbours.

Inputs: ``pidx`` / ``ph`` (N,) dense phenotype index per rank (``-1``
undefined), ``weights`` (L,) int64 place values, ``K`` the alphabet size.
Used by :mod:`alife.neutral.enumeration`.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from alife._numba import CAN_CACHE, grown
from alife.gpmap.base import last_letter, substitution_rank

_JIT = dict(cache=CAN_CACHE, nogil=True)

# the space's rank arithmetic, inlined into every kernel (no call per neighbour)
_last_letter = njit(inline="always")(last_letter)
_substitution_rank = njit(inline="always")(substitution_rank)


@njit(**_JIT)
def close_group(counts, touched, nt):
    """End one group's tally: the total of ``counts`` over the ``nt`` touched
    phenotypes and their Simpson diversity ``1 - sum f^2`` (NaN when none);
    the touched counts are left in place for the caller, then reset by
    :func:`reset_group`."""
    tot = 0
    for t in range(nt):
        tot += counts[touched[t]]
    simpson = np.nan
    if nt > 0:
        s = 0.0
        for t in range(nt):
            f = counts[touched[t]] / tot
            s += f * f
        simpson = 1.0 - s
    return tot, simpson


@njit(**_JIT)
def reset_group(counts, touched, nt):
    for t in range(nt):
        counts[touched[t]] = 0


@njit(**_JIT)
def find(parent, x):
    # path halving; parents always point to smaller ranks (see union_find)
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(**_JIT)
def union_find(ph, weights, K):
    """Component label per rank (-1 where ``ph < 0``) and each component's
    smallest rank.  Linking the larger root under the smaller makes every
    root its component's smallest rank, so labels number components by their
    smallest rank: independent of evaluation order."""
    N = ph.shape[0]
    L = weights.shape[0]
    parent = np.arange(N)
    for r in range(N):
        p = ph[r]
        if p < 0:
            continue
        rem = r
        for pos in range(L - 1, -1, -1):
            d, rem = _last_letter(rem, K)
            w = weights[pos]
            for nd in range(d + 1, K):  # upward neighbours only: each edge once
                nr = _substitution_rank(r, d, nd, w)
                if ph[nr] == p:
                    a = find(parent, r)
                    b = find(parent, nr)
                    if a < b:
                        parent[b] = a
                    elif b < a:
                        parent[a] = b
    label = np.full(N, -1, np.int64)
    n = 0
    for r in range(N):
        if ph[r] < 0:
            continue
        root = find(parent, r)
        if root == r:
            label[r] = n
            n += 1
        else:
            label[r] = label[root]  # root < r: already labelled
    roots = np.empty(n, np.int64)
    for r in range(N):
        if label[r] >= 0 and parent[r] == r:
            roots[label[r]] = r
    return label, roots


@njit(**_JIT)
def group_order(labels, n_groups):
    """Counting sort: ranks grouped by label (ascending rank within a group),
    and the (n_groups + 1,) group offsets; negative labels are left out."""
    counts = np.zeros(n_groups + 1, np.int64)
    for i in range(labels.shape[0]):
        if labels[i] >= 0:
            counts[labels[i] + 1] += 1
    for g in range(n_groups):
        counts[g + 1] += counts[g]
    starts = counts.copy()
    order = np.empty(counts[n_groups], np.int64)
    fill = counts[:n_groups].copy()
    for i in range(labels.shape[0]):
        g = labels[i]
        if g >= 0:
            order[fill[g]] = i
            fill[g] += 1
    return order, starts


@njit(**_JIT)
def neighbourhood_stats(pidx, order, starts, weights, K, n_pheno, per_genotype, want_pairs):
    """One pass over the one-mutant neighbourhoods of grouped genotypes.

    ``pidx``: dense phenotype index per rank (-1 undefined); groups (all
    genotypes of one phenotype, or one component) are ``order[starts[i]:
    starts[i+1]]``.  Returns per genotype (if ``per_genotype``) the number of
    neutral neighbours and the number of distinct other defined phenotypes;
    per group the totals of neutral, undefined and other-phenotype mutations,
    the number of distinct other phenotypes, the Simpson index over those
    other-phenotype mutations, and (if ``want_pairs``) the (group,
    phenotype, count) triplets of non-neutral defined mutations."""
    N = pidx.shape[0]
    L = weights.shape[0]
    G = starts.shape[0] - 1
    g_neutral = np.full(N if per_genotype else 0, -1, np.int32)
    g_evolv = np.full(N if per_genotype else 0, -1, np.int32)
    stamp = np.full(n_pheno if per_genotype else 0, -1, np.int64)
    n_neutral = np.zeros(G, np.int64)
    n_undef = np.zeros(G, np.int64)
    n_other = np.zeros(G, np.int64)
    n_distinct = np.zeros(G, np.int64)
    simpson = np.full(G, np.nan)
    counts = np.zeros(n_pheno, np.int64)
    touched = np.empty(n_pheno, np.int64)
    cap = 16
    pg = np.empty(cap, np.int64)
    pq = np.empty(cap, np.int64)
    pc = np.empty(cap, np.int64)
    npairs = 0
    for gi in range(G):
        nt = 0
        for j in range(starts[gi], starts[gi + 1]):
            r = order[j]
            p = pidx[r]
            rem = r
            neu = 0
            ev = 0
            for pos in range(L - 1, -1, -1):
                d, rem = _last_letter(rem, K)
                w = weights[pos]
                for nd in range(K):
                    if nd == d:
                        continue
                    q = pidx[_substitution_rank(r, d, nd, w)]
                    if q == p:
                        neu += 1
                    elif q < 0:
                        n_undef[gi] += 1
                    else:
                        if counts[q] == 0:
                            touched[nt] = q
                            nt += 1
                        counts[q] += 1
                        if per_genotype and stamp[q] != r:
                            stamp[q] = r
                            ev += 1
            n_neutral[gi] += neu
            if per_genotype:
                g_neutral[r] = neu
                g_evolv[r] = ev
        n_other[gi], simpson[gi] = close_group(counts, touched, nt)
        n_distinct[gi] = nt
        if want_pairs:
            if npairs + nt > cap:
                while npairs + nt > cap:
                    cap *= 2
                pg, pq, pc = grown(pg, npairs, cap), grown(pq, npairs, cap), grown(pc, npairs, cap)
            for t in range(nt):
                pg[npairs] = gi
                pq[npairs] = touched[t]
                pc[npairs] = counts[touched[t]]
                npairs += 1
        reset_group(counts, touched, nt)
    return (g_neutral, g_evolv, n_neutral, n_undef, n_other, n_distinct, simpson,
            pg[:npairs], pq[:npairs], pc[:npairs])


@njit(parallel=True, **_JIT)
def rank_pass(pidx, weights, K, n_pheno, n_chunks):
    """Per-genotype neutral-neighbour counts and e(g), and per chunk of ranks
    the dense (P, P) mutation count matrix ``T[p, q]`` (diagonal: neutral
    mutations) plus the undefined-mutation count per phenotype, in rank
    order (cache-friendly: most neighbours of rank r lie near r).  Chunks run
    in parallel; the caller sums their integer counts, so the result does not
    depend on the number of chunks or threads."""
    N = pidx.shape[0]
    L = weights.shape[0]
    g_neutral = np.full(N, -1, np.int32)
    g_evolv = np.full(N, -1, np.int32)
    T = np.zeros((n_chunks, n_pheno, n_pheno), np.int64)
    und = np.zeros((n_chunks, n_pheno), np.int64)
    for c in prange(n_chunks):
        lo = c * N // n_chunks
        hi = (c + 1) * N // n_chunks
        stamp = np.full(n_pheno, -1, np.int64)
        for r in range(lo, hi):
            p = pidx[r]
            if p < 0:
                continue
            rem = r
            neu = 0
            ev = 0
            for pos in range(L - 1, -1, -1):
                d, rem = _last_letter(rem, K)
                w = weights[pos]
                for nd in range(K):
                    if nd == d:
                        continue
                    q = pidx[_substitution_rank(r, d, nd, w)]
                    if q < 0:
                        und[c, p] += 1
                        continue
                    T[c, p, q] += 1
                    if q == p:
                        neu += 1
                    elif stamp[q] != r:
                        stamp[q] = r
                        ev += 1
            g_neutral[r] = neu
            g_evolv[r] = ev
    return g_neutral, g_evolv, T, und


@njit(parallel=True, **_JIT)
def group_totals(pidx, order, starts, weights, K, n_pheno, n_chunks):
    """Per group (e.g. component): neutral, undefined and other-phenotype
    mutation totals, distinct other phenotypes and their Simpson index.
    Groups are split into ``n_chunks`` contiguous ranges run in parallel,
    each with its own scratch counts; every output is written by one chunk."""
    L = weights.shape[0]
    G = starts.shape[0] - 1
    n_neutral = np.zeros(G, np.int64)
    n_undef = np.zeros(G, np.int64)
    n_other = np.zeros(G, np.int64)
    n_distinct = np.zeros(G, np.int64)
    simpson = np.full(G, np.nan)
    for c in prange(n_chunks):
        counts = np.zeros(n_pheno, np.int64)
        touched = np.empty(n_pheno, np.int64)
        for gi in range(c * G // n_chunks, (c + 1) * G // n_chunks):
            nt = 0
            neu = 0
            und = 0
            for j in range(starts[gi], starts[gi + 1]):
                r = order[j]
                p = pidx[r]
                rem = r
                for pos in range(L - 1, -1, -1):
                    d, rem = _last_letter(rem, K)
                    w = weights[pos]
                    for nd in range(K):
                        if nd == d:
                            continue
                        q = pidx[_substitution_rank(r, d, nd, w)]
                        if q == p:
                            neu += 1
                        elif q < 0:
                            und += 1
                        else:
                            if counts[q] == 0:
                                touched[nt] = q
                                nt += 1
                            counts[q] += 1
            n_other[gi], simpson[gi] = close_group(counts, touched, nt)
            reset_group(counts, touched, nt)
            n_neutral[gi] = neu
            n_undef[gi] = und
            n_distinct[gi] = nt
    return n_neutral, n_undef, n_other, n_distinct, simpson


#: Scratch memory the parallel kernels may use for per-chunk counts (bytes).
SCRATCH_BYTES = 256 << 20


def chunk_count(per_chunk_bytes: int) -> int:
    """Parallel chunks for a kernel whose chunks need ``per_chunk_bytes`` of
    scratch each: one per Numba thread, within :data:`SCRATCH_BYTES`."""
    return int(max(1, min(numba.get_num_threads(), SCRATCH_BYTES // max(per_chunk_bytes, 1))))
