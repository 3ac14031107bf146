"""Graph helpers of the genonets port (:mod:`alife.neutral.genonets`).

A genotype network is a :class:`Graph`: its vertices (indices into the
sorted universe of listed genotypes, in genonets' vertex order), an
undirected CSR adjacency (``indptr``, ``indices``; neighbour lists sorted)
and the graph- and vertex-level attributes genonets' igraph objects carry.
The functions here compute the measures that need more than one kernel
call (assortativity, shortest accessible paths to the summits); the graphs
themselves are built by kernels of :mod:`._genonets_kernels`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _genonets_kernels as kernels


@dataclass
class Graph:
    """A genotype network: vertices (genonets order), CSR adjacency and the
    attributes genonets' igraph objects carry (insertion-ordered dicts)."""
    name: str
    vid: np.ndarray            # universe index of each vertex
    indptr: np.ndarray
    indices: np.ndarray
    attrs: dict = field(default_factory=dict)
    vattrs: dict = field(default_factory=dict)

    @property
    def n(self):
        return self.vid.size

    @property
    def degree(self):
        return np.diff(self.indptr)


@dataclass
class SetLists:
    """A genotype-level attribute whose value is a list of genotype sets per
    vertex: vertex ``v``'s sets are ``sets[indptr[v]:indptr[v + 1]]`` (set
    indices, in the order written).  Written as a Python list of names."""
    indptr: np.ndarray
    sets: np.ndarray


@dataclass
class TargetDicts:
    """A genotype-level attribute whose value is a dict ``{set: [genotype, ...]}``
    per vertex: vertex ``v``'s entries are ``indptr[v]:indptr[v + 1]`` of
    ``sets`` (set indices) and ``genotypes`` (universe indices), grouped by set
    in the order written.  Written as a Python dict of names to genotype lists."""
    indptr: np.ndarray
    sets: np.ndarray
    genotypes: np.ndarray


def csr_rows(n, rows):
    """``indptr`` (n + 1,) of a CSR whose entries belong to the sorted rows ``rows``."""
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr


def uniq(x, counts=False):
    """Sorted unique values (and counts) of a 1-d integer array by sorting
    (numpy 2.x's hash-based ``np.unique`` is far slower on millions of int64)."""
    s = np.sort(np.asarray(x).ravel())
    if s.size == 0:
        return (s, np.zeros(0, np.int64)) if counts else s
    m = np.empty(s.size, bool)
    m[0] = True
    np.not_equal(s[1:], s[:-1], out=m[1:])
    u = s[m]
    if counts:
        starts = np.flatnonzero(m)
        return u, np.diff(np.append(starts, s.size))
    return u


def assortativity(indptr, indices):
    """igraph assortativity_degree on an undirected graph (NaN when undefined)."""
    deg = np.diff(indptr).astype(np.float64)
    src = np.repeat(np.arange(indptr.size - 1), np.diff(indptr))
    keep = src < indices
    j, k = deg[src[keep]], deg[indices[keep]]
    m = j.size
    if m == 0:
        return float("nan")
    num1 = np.sum(j * k) / m
    num2 = (np.sum(j + k) / (2 * m)) ** 2
    den1 = np.sum(j * j + k * k) / (2 * m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float((num1 - num2) / (den1 - num2))


def shortest_paths(indptr, indices, summits, score, gmax, delta):
    """genonets' PathAnalyzer.compute_shortest_paths: returns
    (Ratio_of_accessible_mutational_paths, Accessible_paths_from, Shortest_path_length);
    the path counts are an int64 array, or a list of Python integers where
    they exceed int64."""
    n = indptr.size - 1
    dist, order = kernels.bfs_levels(indptr, indices, summits)
    is_summit = np.zeros(n, np.bool_)
    is_summit[summits] = True
    acc, inacc, overflow = kernels.accessible_path_counts(indptr, indices, dist, order, is_summit,
                                                          score, float(gmax), float(delta))
    maxlen = int(dist.max()) if n else 0
    if overflow:  # path counts beyond int64: redo with Python integers
        acc, inacc = shortest_paths_exact(indptr, indices, dist, order, is_summit, score, gmax, delta)
    accs, ok_a = kernels.level_sums(dist, acc, maxlen) if not overflow else (None, False)
    inaccs, ok_i = kernels.level_sums(dist, inacc, maxlen) if not overflow else (None, False)
    if ok_a and ok_i:
        accs, inaccs = accs.tolist(), inaccs.tolist()
    else:         # sums beyond int64: Python integers
        accs = [0] * (maxlen + 1)
        inaccs = [0] * (maxlen + 1)
        for d, a, b in zip(dist.tolist(), list(acc), list(inacc)):
            accs[d] += int(a)
            inaccs[d] += int(b)
    ratio = {}
    for i in range(2, maxlen + 1):
        ratio[i] = accs[i] / (accs[i] + inaccs[i])
    return ratio, acc, dist


def shortest_paths_exact(indptr, indices, dist, order, is_summit, score, gmax, delta):
    """The path counts of :func:`shortest_paths` with unbounded Python
    integers (used only if int64 would overflow)."""
    n = indptr.size - 1
    acc = [0] * n
    inacc = [0] * n
    mins = [None] * n
    ind, ptr, dl, sc = indices.tolist(), indptr.tolist(), dist.tolist(), score.tolist()
    for v in order.tolist():
        if dl[v] == 1:
            mins[v] = {gmax: 1}
    for v in order.tolist():
        if is_summit[v]:
            continue
        vs = sc[v]
        good = []
        for m, c in (mins[v] or {}).items():
            if vs <= m + delta:
                acc[v] += c
                good.append((min(m, vs), c))
            else:
                inacc[v] += c
        for k in range(ptr[v], ptr[v + 1]):
            u = ind[k]
            if dl[u] == dl[v] + 1:
                mu = mins[u]
                if mu is None:
                    mu = mins[u] = {}
                for key, c in good:
                    mu[key] = mu.get(key, 0) + c
                inacc[u] += inacc[v]
    return acc, inacc
