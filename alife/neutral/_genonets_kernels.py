"""Numba kernels behind :mod:`alife.neutral.genonets` (graphs as CSR arrays).

Every kernel takes an undirected graph as ``indptr, indices`` (scipy CSR,
neighbour lists sorted) on vertices ``0..n-1``.
"""
from __future__ import annotations


import numpy as np
from numba import njit
from .._numba import CAN_CACHE, grown


_JIT = dict(cache=CAN_CACHE, nogil=True)


@njit(**_JIT)
def coreness(indptr, indices):
    """k-core number of every vertex (Batagelj & Zaversnik 2003, as igraph)."""
    n = indptr.size - 1
    deg = np.empty(n, np.int64)
    md = 0
    for v in range(n):
        deg[v] = indptr[v + 1] - indptr[v]
        if deg[v] > md:
            md = deg[v]
    binc = np.zeros(md + 1, np.int64)
    for v in range(n):
        binc[deg[v]] += 1
    start = 0
    for d in range(md + 1):
        num = binc[d]
        binc[d] = start
        start += num
    pos = np.empty(n, np.int64)
    vert = np.empty(n, np.int64)
    for v in range(n):
        pos[v] = binc[deg[v]]
        vert[pos[v]] = v
        binc[deg[v]] += 1
    for d in range(md, 0, -1):
        binc[d] = binc[d - 1]
    if md >= 0:
        binc[0] = 0
    for i in range(n):
        v = vert[i]
        for k in range(indptr[v], indptr[v + 1]):
            u = indices[k]
            if deg[u] > deg[v]:
                du = deg[u]
                pu = pos[u]
                pw = binc[du]
                w = vert[pw]
                if u != w:
                    pos[u] = pw
                    vert[pu] = w
                    pos[w] = pu
                    vert[pw] = u
                binc[du] += 1
                deg[u] -= 1
    return deg


@njit(**_JIT)
def triangles(indptr, indices):
    """Number of triangles through each vertex."""
    n = indptr.size - 1
    mark = np.full(n, -1, np.int64)
    tri = np.zeros(n, np.int64)
    for v in range(n):          # each triangle v < u < w once, credited to all three
        for k in range(indptr[v], indptr[v + 1]):
            mark[indices[k]] = v
        for k in range(indptr[v], indptr[v + 1]):
            u = indices[k]
            if u <= v:
                continue
            for kk in range(indptr[u], indptr[u + 1]):
                w = indices[kk]
                if w > u and mark[w] == v:
                    tri[v] += 1
                    tri[u] += 1
                    tri[w] += 1
    return tri


@njit(**_JIT)
def bfs_levels(indptr, indices, sources):
    """Multi-source BFS distance (-1 unreached) and the BFS visiting order."""
    n = indptr.size - 1
    dist = np.full(n, -1, np.int64)
    order = np.empty(n, np.int64)
    head = 0
    tail = 0
    for s in sources:
        if dist[s] < 0:
            dist[s] = 0
            order[tail] = s
            tail += 1
    while head < tail:
        v = order[head]
        head += 1
        for k in range(indptr[v], indptr[v + 1]):
            u = indices[k]
            if dist[u] < 0:
                dist[u] = dist[v] + 1
                order[tail] = u
                tail += 1
    return dist, order[:tail]


@njit(**_JIT)
def peaks(indptr, indices, order, score, delta):
    """genonets' PeakAnalyzer: returns (peak id per vertex or -1, number of peaks).

    ``order`` is the vertices sorted by decreasing score (stable).
    """
    n = indptr.size - 1
    processed = np.zeros(n, np.bool_)
    pos = np.empty(n, np.int64)
    for i in range(n):
        pos[order[i]] = i
    inzone = np.full(n, -1, np.int64)
    peak_of = np.full(n, -1, np.int64)
    zone = np.empty(n, np.int64)
    npk = 0
    for i in range(n):
        f = order[i]
        if processed[f]:
            continue
        thr = score[f] - delta
        # the band: unprocessed vertices after f in score order with score >= thr (as the
        # order is by decreasing score, genonets' scan down the order finds exactly these);
        # zone = focal + band vertices reachable from focal through the band
        # (breadth first: the focal vertex's neighbours, then theirs, ...)
        nz = 0
        inzone[f] = i
        v = f
        h = 0
        while True:
            for k in range(indptr[v], indptr[v + 1]):
                u = indices[k]
                if pos[u] > i and score[u] >= thr and not processed[u] and inzone[u] != i:
                    inzone[u] = i
                    zone[nz] = u
                    nz += 1
            if h == nz:
                break
            v = zone[h]
            h += 1
        zone[nz] = f
        nz += 1
        touches = False
        for z in range(nz):
            v = zone[z]
            for k in range(indptr[v], indptr[v + 1]):
                if processed[indices[k]]:
                    touches = True
                    break
            if touches:
                break
        if not touches:
            for z in range(nz):
                peak_of[zone[z]] = npk
            npk += 1
        for z in range(nz):
            processed[zone[z]] = True
    return peak_of, npk


@njit(**_JIT)
def accessible_path_lengths(indptr, indices, summits, score, gmax, delta):
    """genonets' PathAnalyzer.compute_indirect_paths (shortest accessible path
    length from the summits, -1 if none)."""
    n = indptr.size - 1
    visited = np.zeros(n, np.bool_)
    spl = np.full(n, -1, np.int64)
    best = np.full(n, -np.inf)
    cap = 4 * n + 16
    qv = np.empty(cap, np.int64)
    ql = np.empty(cap, np.int64)
    qm = np.empty(cap, np.float64)
    head = 0
    tail = 0
    for s in summits:
        visited[s] = True
        spl[s] = 0
        best[s] = gmax
    for s in summits:
        qv[tail] = s
        ql[tail] = 0
        qm[tail] = gmax
        tail += 1
    while head < tail:
        v = qv[head]
        pl = ql[head]
        m = qm[head]
        head += 1
        for k in range(indptr[v], indptr[v + 1]):
            u = indices[k]
            su = score[u]
            mm = m if m < su else su
            c1 = (not visited[u]) and m >= su - delta
            c2 = visited[u] and mm > best[u]
            if c1 or c2:
                if tail == cap:
                    cap *= 2
                    qv, ql, qm = grown(qv, tail, cap), grown(ql, tail, cap), grown(qm, tail, cap)
                qv[tail] = u
                ql[tail] = pl + 1
                qm[tail] = mm
                tail += 1
                best[u] = mm
                if c1:
                    visited[u] = True
                    spl[u] = pl + 1
    return spl


@njit(inline="always")
def _fsum4(a, b, c, d, partials):
    """math.fsum([a, b, c, d]) (Shewchuk's exact summation, CPython's rounding);
    ``partials`` is scratch space of 8 floats."""
    n = 0
    for x0 in (a, b, c, d):
        x = x0
        i = 0
        for j in range(n):
            y = partials[j]
            if abs(x) < abs(y):
                t = x
                x = y
                y = t
            hi = x + y
            lo = y - (hi - x)
            if lo != 0.0:
                partials[i] = lo
                i += 1
            x = hi
        partials[i] = x
        n = i + 1
    hi = 0.0
    if n > 0:
        n -= 1
        hi = partials[n]
        lo = 0.0
        while n > 0:
            x = hi
            n -= 1
            y = partials[n]
            hi = x + y
            yr = hi - x
            lo = y - yr
            if lo != 0.0:
                break
        if n > 0 and ((lo < 0.0 and partials[n - 1] < 0.0) or (lo > 0.0 and partials[n - 1] > 0.0)):
            y = lo * 2.0
            x = hi + y
            yr = x - hi
            if y == yr:
                hi = x
    return hi


@njit(**_JIT)
def epistasis_counts(indptr, indices, order, score, delta):
    """genonets' EpistasisAnalyzer squares: counts of
    (no epistasis, magnitude, simple sign, reciprocal sign)."""
    n = indptr.size - 1
    pos = np.empty(n, np.int64)
    for i in range(n):
        pos[order[i]] = i
    markg = np.full(n, -1, np.int64)
    marka = np.full(n, -1, np.int64)
    counts = np.zeros(4, np.int64)
    partials = np.empty(8)
    nb = np.empty(n, np.int64)
    stamp = 0
    for i in range(n):
        g = order[i]
        nn = 0
        for k in range(indptr[g], indptr[g + 1]):
            u = indices[k]
            if pos[u] > i:
                nb[nn] = u
                nn += 1
                markg[u] = g
        if nn < 2:
            continue
        sAB = score[g]
        for x in range(nn - 1):
            a = nb[x]
            stamp += 1
            for k in range(indptr[a], indptr[a + 1]):
                marka[indices[k]] = stamp
            for y in range(x + 1, nn):
                b = nb[y]
                if marka[b] == stamp:
                    continue
                for k in range(indptr[b], indptr[b + 1]):
                    d = indices[k]
                    if marka[d] == stamp and d != g and pos[d] > i and markg[d] != g:
                        _classify(counts, sAB, score[a], score[b], score[d], delta, partials)
    return counts


@njit(inline="always")
def _classify(counts, sAB, sAb, saB, sab, delta, partials):
    """Add one square to ``counts`` (no epistasis, magnitude, simple sign, reciprocal sign).

    genonets compares ``|fsum(...)|`` with ``2 delta``; the plain sum is within
    ``4e-16 * sum |x|`` of the exact one, so it decides unless it lies within a
    margin (1e-12 relative, far above that error) of ``2 delta``: only then is
    the exactly rounded sum taken."""
    two_delta = 2.0 * delta
    plain = abs((sAB + sab) - (sAb + saB))
    margin = 1e-12 * (abs(sAB) + abs(sab) + abs(sAb) + abs(saB) + two_delta)
    if plain + margin < two_delta:
        no_epistasis = True
    elif plain - margin > two_delta:
        no_epistasis = False
    else:
        no_epistasis = abs(_fsum4(sAB, sab, -sAb, -saB, partials)) <= two_delta
    if no_epistasis:
        counts[0] += 1
    else:
        d1 = sAb - sab
        d2 = saB - sab
        if d1 >= -delta and d2 >= -delta:
            counts[1] += 1
        elif d1 >= -delta or d2 >= -delta:
            counts[2] += 1
        else:
            counts[3] += 1


@njit(**_JIT)
def epistasis_counts_point(indptr, indices, order, score, delta):
    """:func:`epistasis_counts` on a network whose edges are point mutations only
    (an induced subgraph of the Hamming graph).  Two neighbours ``a``, ``b`` of
    ``g`` that are not adjacent mutate different positions, and their common
    neighbours are ``g`` and the genotype ``d`` carrying both mutations; so the
    squares of ``g`` are found from the genotypes ``d`` two steps from ``g``
    (not ``g``, not its neighbours) that two of ``g``'s later neighbours reach."""
    n = indptr.size - 1
    pos = np.empty(n, np.int64)
    for i in range(n):
        pos[order[i]] = i
    near = np.full(n, -1, np.int64)      # near[u] == i: u is g or a neighbour of g
    seen = np.full(n, -1, np.int64)      # seen[d] == i: d reached from corner first[d]
    first = np.empty(n, np.int64)
    counts = np.zeros(4, np.int64)
    partials = np.empty(8)
    for i in range(n):
        g = order[i]
        near[g] = i
        for k in range(indptr[g], indptr[g + 1]):
            near[indices[k]] = i
        sAB = score[g]
        for k in range(indptr[g], indptr[g + 1]):
            a = indices[k]
            if pos[a] <= i:
                continue
            for kk in range(indptr[a], indptr[a + 1]):
                d = indices[kk]
                if near[d] == i or pos[d] <= i:
                    continue
                if seen[d] == i:
                    _classify(counts, sAB, score[first[d]], score[a], score[d], delta, partials)
                else:
                    seen[d] = i
                    first[d] = a
    return counts


@njit(**_JIT)
def accessible_path_counts(indptr, indices, dist, order, is_summit, score, gmax, delta):
    """genonets' PathAnalyzer.compute_shortest_paths counts, pulled level by level.

    Each non-summit vertex ``v`` carries a multiset ``{min score on path: number
    of shortest paths}``; level-1 vertices start with ``{gmax: 1}``.  A path is
    accessible at ``v`` iff ``score[v] <= m + delta``; accessible entries move on
    to the next level with key ``min(m, score[v])``; inaccessible path counts
    are added to ``v`` and passed on (``inacc[N] += inacc[V]``).
    Returns (accessible, inaccessible, overflow flag).
    """
    n = indptr.size - 1
    acc = np.zeros(n, np.int64)
    inacc = np.zeros(n, np.int64)
    ostart = np.zeros(n, np.int64)
    olen = np.zeros(n, np.int64)
    cap = 4 * n + 16
    bk = np.empty(cap, np.float64)
    bc = np.empty(cap, np.int64)
    used = 0
    tk = np.empty(16, np.float64)
    tc = np.empty(16, np.int64)
    big = np.int64(1) << 61
    overflow = False
    for idx in range(order.size):
        v = order[idx]
        if is_summit[v]:
            continue
        d = dist[v]
        # gather incoming entries
        nt = 0
        if d == 1:
            tk[0] = gmax
            tc[0] = 1
            nt = 1
        else:
            for k in range(indptr[v], indptr[v + 1]):
                u = indices[k]
                if dist[u] == d - 1 and not is_summit[u]:
                    inacc[v] += inacc[u]
                    need = nt + olen[u]
                    if need > tk.size:
                        m2 = max(2 * tk.size, need)
                        tk2 = np.empty(m2, np.float64)
                        tc2 = np.empty(m2, np.int64)
                        tk2[:nt] = tk[:nt]
                        tc2[:nt] = tc[:nt]
                        tk, tc = tk2, tc2
                    for e in range(ostart[u], ostart[u] + olen[u]):
                        tk[nt] = bk[e]
                        tc[nt] = bc[e]
                        nt += 1
        sv = score[v]
        a = 0
        ia = 0
        # outgoing entries: accessible ones with key min(m, sv), merged by key
        o0 = used
        if used + nt > cap:
            cap = max(2 * cap, used + nt)
            bk, bc = grown(bk, used, cap), grown(bc, used, cap)
        for e in range(nt):
            m = tk[e]
            c = tc[e]
            if sv <= m + delta:
                a += c
                key = m if m < sv else sv
                found = False
                for f in range(o0, used):
                    if bk[f] == key:
                        bc[f] += c
                        found = True
                        break
                if not found:
                    bk[used] = key
                    bc[used] = c
                    used += 1
            else:
                ia += c
        acc[v] += a
        inacc[v] += ia
        if acc[v] > big or inacc[v] > big:
            overflow = True
        ostart[v] = o0
        olen[v] = used - o0
    return acc, inacc, overflow


@njit(**_JIT)
def level_sums(dist, x, maxlen):
    """Sums of ``x`` (int64, >= 0) over the vertices of each BFS level
    ``0..maxlen``; returns (sums, ok), ``ok`` False if a sum would exceed int64."""
    sums = np.zeros(maxlen + 1, np.int64)
    limit = 9223372036854775807
    for v in range(dist.size):
        d = dist[v]
        if d < 0:
            continue
        if sums[d] > limit - x[v]:
            return sums, False
        sums[d] += x[v]
    return sums, True


@njit(**_JIT)
def network(mutant_index, vid, n_universe):
    """A genotype set's network from its mutant table.

    Parameters
    ----------
    mutant_index : (n, m) int, universe index of each genotype's mutants (-1: none)
    vid : (n,) int64, universe index of each genotype (vertex)
    n_universe : int, number of listed genotypes

    Returns
    -------
    indptr, indices : CSR adjacency (int64 and int32; an edge ``v - u`` for each
        ``u`` among the mutants of ``v`` with ``v < u``; neighbour lists sorted)
    label : (n,) int64, component of each vertex, components numbered in igraph
        order (by their lowest vertex)
    sizes : (c,) int64, component sizes
    """
    n, m = mutant_index.shape
    vertex_of = np.full(n_universe, -1, np.int64)
    for v in range(n):
        vertex_of[vid[v]] = v
    indptr = np.zeros(n + 1, np.int64)
    for v in range(n):
        for k in range(m):
            x = mutant_index[v, k]
            if x >= 0:
                u = vertex_of[x]
                if u > v:
                    indptr[v + 1] += 1
                    indptr[u + 1] += 1
    for v in range(n):
        indptr[v + 1] += indptr[v]
    fill = indptr[:n].copy()
    indices = np.empty(indptr[n], np.int32)
    for v in range(n):
        for k in range(m):
            x = mutant_index[v, k]
            if x >= 0:
                u = vertex_of[x]
                if u > v:
                    indices[fill[v]] = u
                    fill[v] += 1
                    indices[fill[u]] = v
                    fill[u] += 1
    for v in range(n):                 # sort each neighbour list (short: insertion sort)
        for a in range(indptr[v] + 1, indptr[v + 1]):
            x = indices[a]
            b = a - 1
            while b >= indptr[v] and indices[b] > x:
                indices[b + 1] = indices[b]
                b -= 1
            indices[b + 1] = x
    label = np.full(n, -1, np.int64)
    sizes = np.empty(n, np.int64)
    queue = np.empty(n, np.int64)
    nc = 0
    for s in range(n):
        if label[s] >= 0:
            continue
        label[s] = nc
        queue[0] = s
        head = 0
        tail = 1
        while head < tail:
            v = queue[head]
            head += 1
            for k in range(indptr[v], indptr[v + 1]):
                u = indices[k]
                if label[u] < 0:
                    label[u] = nc
                    queue[tail] = u
                    tail += 1
        sizes[nc] = tail
        nc += 1
    return indptr, indices, label, sizes[:nc].copy()


@njit(**_JIT)
def component_subgraph(indptr, indices, keep):
    """CSR adjacency (int64 indptr, int32 indices) of a whole component ``keep``
    (sorted vertices), renumbered 0..k-1."""
    n = indptr.size - 1
    new = np.full(n, -1, np.int64)
    for i in range(keep.size):
        new[keep[i]] = i
    dp = np.zeros(keep.size + 1, np.int64)
    for i in range(keep.size):
        v = keep[i]
        dp[i + 1] = dp[i] + indptr[v + 1] - indptr[v]
    dx = np.empty(dp[keep.size], np.int32)
    for i in range(keep.size):
        v = keep[i]
        w = dp[i]
        for k in range(indptr[v], indptr[v + 1]):
            dx[w] = new[indices[k]]
            w += 1
    return dp, dx


@njit(**_JIT)
def count_distinct(values, size):
    """Number of distinct values among ``values`` >= 0 (all < ``size``)."""
    seen = np.zeros(size, np.bool_)
    count = 0
    for x in values:
        if x >= 0 and not seen[x]:
            seen[x] = True
            count += 1
    return count


@njit(**_JIT)
def point_mutant_index(ranks, L, K, dense_index):
    """Universe index of every point mutant, in :meth:`DiscreteSpace.neighbour_ranks`
    order (mutant ``p (K - 1) + s`` writes letter ``(x + 1 + s) % K`` over the
    letter ``x`` at position ``p``); (n, L (K - 1)) int32, -1 where not listed.
    ``dense_index`` (K**L,) int32 is the universe index of every rank (-1: none)."""
    n = ranks.size
    out = np.empty((n, L * (K - 1)), np.int32)
    for v in range(n):
        r = ranks[v]
        w = 1
        for p in range(L - 1, -1, -1):      # place value of position p is K**(L - 1 - p)
            x = (r // w) % K
            for s in range(K - 1):
                y = (x + 1 + s) % K
                out[v, p * (K - 1) + s] = dense_index[r + (y - x) * w]
            w *= K
    return out


@njit(**_JIT)
def count_point_mutants(ranks, L, K, size):
    """Number of distinct point mutants of the genotypes ``ranks`` (ranks < ``size``)."""
    seen = np.zeros(size, np.bool_)
    count = 0
    for v in range(ranks.size):
        r = ranks[v]
        w = 1
        for p in range(L):
            x = (r // w) % K
            for y in range(K):
                if y != x:
                    q = r + (y - x) * w
                    if not seen[q]:
                        seen[q] = True
                        count += 1
            w *= K
    return count
