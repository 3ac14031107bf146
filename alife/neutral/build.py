"""Building neutral networks: exhaustive enumeration, BFS sampling, neutral
walks and neutral paths.

Definitions (DESIGN.md, "Genotype–phenotype maps and neutral networks"): the
neutral network of phenotype ``p`` is the set of genotypes with phenotype
``p`` with edges between genotypes one point mutation apart; its connected
components are *genotype networks*.  Undefined genotypes (phenotype ``-1``)
belong to no network.

* :func:`exhaustive` — evaluate every genotype of an enumerable
  :class:`~alife.gpmap.base.DiscreteSpace` (batched), then label genotype
  networks by union–find over Hamming-1 neighbours in Numba, working on
  ranks: the neighbour of rank ``r`` with letter ``new`` instead of ``old``
  at position ``pos`` has rank ``r + (new - old) K^(L-1-pos)``.  No Python
  loop over genotypes: 4**12 RNA genotypes take seconds
  (``benchmarks/neutral_exhaustive.py``).
* :func:`sample_bfs` — grow the neutral network of a seed's phenotype by
  breadth-first search along neutral neighbours, one batched evaluation per
  frontier, under node and evaluation budgets, recording the boundary.
* :func:`neutral_walks` — blind-ant neutral random walks.
* :func:`neutral_path` — a neutral path between two genotypes of one
  phenotype: bidirectional BFS (discrete; exact shortest within budget) or a
  guided walk (continuous).

Phenotype evaluations are always batched and cached by genotype through
:class:`~alife.gpmap.base.CachedMap`.  Wagner's measures computed from these
objects live in :mod:`alife.neutral.measures`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import numba
from numba import njit, prange
from .._numba import CAN_CACHE, grown
from scipy import sparse

from alife.gpmap.base import CachedMap, DiscreteSpace, GPMap

__all__ = ["ExhaustiveNetworks", "exhaustive", "networks_from_table", "SampledNetwork",
           "sample_bfs", "NeutralWalks", "neutral_walks", "neutral_path", "staircase_path"]


_JIT = dict(cache=CAN_CACHE, nogil=True)


# ----------------------------------------------------------------------------
# Numba kernels (arrays in, arrays out)
# ----------------------------------------------------------------------------

@njit(**_JIT)
def _close_group(counts, touched, nt):
    """End one group's tally: the total of ``counts`` over the ``nt`` touched
    phenotypes and their Simpson diversity ``1 - sum f^2`` (NaN when none);
    the touched counts are left in place for the caller, then reset by
    :func:`_reset_group`."""
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
def _reset_group(counts, touched, nt):
    for t in range(nt):
        counts[touched[t]] = 0


@njit(**_JIT)
def _find(parent, x):
    # path halving; parents always point to smaller ranks (see _union_find)
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(**_JIT)
def _union_find(ph, weights, K):
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
            d = rem % K
            rem //= K
            w = weights[pos]
            for nd in range(d + 1, K):  # upward neighbours only: each edge once
                nr = r + (nd - d) * w
                if ph[nr] == p:
                    a = _find(parent, r)
                    b = _find(parent, nr)
                    if a < b:
                        parent[b] = a
                    elif b < a:
                        parent[a] = b
    label = np.full(N, -1, np.int64)
    n = 0
    for r in range(N):
        if ph[r] < 0:
            continue
        root = _find(parent, r)
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
def _group_order(labels, n_groups):
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
def _neighbourhood_stats(pidx, order, starts, weights, K, n_pheno, per_genotype, want_pairs):
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
                d = rem % K
                rem //= K
                w = weights[pos]
                for nd in range(K):
                    if nd == d:
                        continue
                    q = pidx[r + (nd - d) * w]
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
        n_other[gi], simpson[gi] = _close_group(counts, touched, nt)
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
        _reset_group(counts, touched, nt)
    return (g_neutral, g_evolv, n_neutral, n_undef, n_other, n_distinct, simpson,
            pg[:npairs], pq[:npairs], pc[:npairs])


@njit(parallel=True, **_JIT)
def _rank_pass(pidx, weights, K, n_pheno, n_chunks):
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
                d = rem % K
                rem //= K
                w = weights[pos]
                for nd in range(K):
                    if nd == d:
                        continue
                    q = pidx[r + (nd - d) * w]
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
def _group_totals(pidx, order, starts, weights, K, n_pheno, n_chunks):
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
                    d = rem % K
                    rem //= K
                    w = weights[pos]
                    for nd in range(K):
                        if nd == d:
                            continue
                        q = pidx[r + (nd - d) * w]
                        if q == p:
                            neu += 1
                        elif q < 0:
                            und += 1
                        else:
                            if counts[q] == 0:
                                touched[nt] = q
                                nt += 1
                            counts[q] += 1
            n_other[gi], simpson[gi] = _close_group(counts, touched, nt)
            _reset_group(counts, touched, nt)
            n_neutral[gi] = neu
            n_undef[gi] = und
            n_distinct[gi] = nt
    return n_neutral, n_undef, n_other, n_distinct, simpson


#: Scratch memory the parallel kernels may use for per-chunk counts (bytes).
SCRATCH_BYTES = 256 << 20


def _n_chunks(per_chunk_bytes: int) -> int:
    return int(max(1, min(numba.get_num_threads(), SCRATCH_BYTES // max(per_chunk_bytes, 1))))


def _stats_from_dense(T, und):
    """The per-phenotype tuple of _neighbourhood_stats, from the dense matrix."""
    n_neutral = np.diagonal(T).copy()
    off = T.copy()
    np.fill_diagonal(off, 0)
    n_other = off.sum(axis=1)
    n_distinct = (off > 0).sum(axis=1).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = off / n_other[:, None]
        simpson = np.where(n_other > 0, 1.0 - (f * f).sum(axis=1), np.nan)
    pg, pq = np.nonzero(off)
    return (n_neutral, und.copy(), n_other, n_distinct, simpson, pg.astype(np.int64),
            pq.astype(np.int64), off[pg, pq].astype(np.int64))


#: Up to this many phenotypes, genotype and phenotype statistics come from one
#: pass in rank order into a dense (P, P) count matrix (about 2x faster on a
#: random 4**12 map than the grouped pass, whose memory accesses jump around).
DENSE_PHENOTYPE_LIMIT = 2048


def _weights(space: DiscreteSpace) -> np.ndarray:
    return int(space.K) ** np.arange(space.L - 1, -1, -1, dtype=np.int64)


# ----------------------------------------------------------------------------
# Exhaustive networks
# ----------------------------------------------------------------------------

@dataclass(eq=False)
class ExhaustiveNetworks:
    """Every genotype of an enumerable discrete space, its phenotype and its
    genotype network (component).

    Attributes
    ----------
    space : DiscreteSpace
    phenotype : (N,) int64, phenotype id of each rank (``-1`` undefined)
    component : (N,) int64, component (genotype network) of each rank, ``-1``
        for undefined genotypes; components are numbered by their smallest rank
    phenotype_ids : (P,) int64, the distinct defined phenotype ids, ascending
    phenotype_index : (N,) int32, index into ``phenotype_ids`` per rank (``-1`` undefined)
    phenotype_sizes : (P,) int64, genotypes per phenotype
    component_phenotype : (C,) int64, phenotype id of each component
    component_sizes : (C,) int64, genotypes per component
    component_root : (C,) int64, smallest rank of each component
    n_undefined : int, number of undefined genotypes
    labeler : callable or None, ``pid -> str`` (the map's ``label``)
    dense_limit : int, largest number of phenotypes for the dense rank-order pass
    n_chunks : int, parallel chunks for the kernels (0 = one per Numba thread,
        within :data:`SCRATCH_BYTES`); results do not depend on it
    """

    space: DiscreteSpace
    phenotype: np.ndarray
    component: np.ndarray
    phenotype_ids: np.ndarray
    phenotype_index: np.ndarray
    phenotype_sizes: np.ndarray
    component_phenotype: np.ndarray
    component_sizes: np.ndarray
    component_root: np.ndarray
    n_undefined: int
    labeler: object = None
    dense_limit: int = DENSE_PHENOTYPE_LIMIT
    n_chunks: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_genotypes(self) -> int:
        return int(self.phenotype.shape[0])

    @property
    def n_phenotypes(self) -> int:
        return int(self.phenotype_ids.shape[0])

    @property
    def n_components(self) -> int:
        return int(self.component_sizes.shape[0])

    def phenotype_position(self, pid: int) -> int:
        """Index of phenotype id ``pid`` in :attr:`phenotype_ids` (KeyError if absent)."""
        i = int(np.searchsorted(self.phenotype_ids, pid))
        if i >= self.n_phenotypes or self.phenotype_ids[i] != pid:
            raise KeyError(f"phenotype {pid} does not occur in this space")
        return i

    def components_of(self, pid: int) -> np.ndarray:
        """Component labels of phenotype ``pid``, ascending."""
        self.phenotype_position(pid)
        return np.flatnonzero(self.component_phenotype == pid)

    def ranks_of(self, pid: int | None = None, *, component: int | None = None) -> np.ndarray:
        """Ranks (ascending) of the genotypes of phenotype ``pid`` or of one component."""
        if (pid is None) == (component is None):
            raise ValueError("give exactly one of pid or component")
        if component is not None:
            if not 0 <= component < self.n_components:
                raise KeyError(f"no component {component}")
            return np.flatnonzero(self.component == component)
        return np.flatnonzero(self.phenotype_index == self.phenotype_position(pid))

    def genotype_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Per rank: (number of neutral neighbours, e(g)), both int32, ``-1``
        for undefined genotypes.  Computed once (Numba) and cached."""
        if "gstats" not in self._cache:
            if self.n_phenotypes <= self.dense_limit:
                P = self.n_phenotypes
                nch = self.n_chunks or _n_chunks(8 * P * (P + 1))
                neu, ev, T, und = _rank_pass(self.phenotype_index, _weights(self.space),
                                             self.space.K, P, nch)
                self._cache["gstats"] = (neu, ev)
                self._cache["pstats"] = _stats_from_dense(T.sum(axis=0), und.sum(axis=0))
            else:
                order, starts = self._groups("phenotype")
                out = _neighbourhood_stats(self.phenotype_index, order, starts,
                                           _weights(self.space), self.space.K,
                                           self.n_phenotypes, True, True)
                self._cache["gstats"] = (out[0], out[1])
                self._cache["pstats"] = out[2:]
        return self._cache["gstats"]

    def _groups(self, kind: str):
        key = "order_" + kind
        if key not in self._cache:
            if kind == "phenotype":
                self._cache[key] = _group_order(self.phenotype_index, self.n_phenotypes)
            else:
                self._cache[key] = _group_order(self.component, self.n_components)
        return self._cache[key]

    def group_stats(self, kind: str):
        """Neighbourhood totals per phenotype (``kind="phenotype"``) or per
        component (``kind="component"``): ``(n_neutral, n_undefined, n_other,
        n_distinct, simpson, pair_group, pair_phenotype_index, pair_count)``;
        see :mod:`alife.neutral.measures` for their meaning.  Component pairs
        are not kept (empty arrays): there may be millions of components."""
        if kind == "phenotype":
            self.genotype_stats()
            return self._cache["pstats"]
        if kind != "component":
            raise ValueError(f"kind must be 'phenotype' or 'component', got {kind!r}")
        if "cstats" not in self._cache:
            order, starts = self._groups("component")
            nch = self.n_chunks or _n_chunks(16 * self.n_phenotypes)
            e = np.zeros(0, np.int64)
            self._cache["cstats"] = _group_totals(self.phenotype_index, order, starts,
                                                  _weights(self.space), self.space.K,
                                                  self.n_phenotypes, nch) + (e, e, e)
        return self._cache["cstats"]

    def neighbour_ranks(self, ranks) -> np.ndarray:
        """(n, L (K - 1)) int64 ranks of all one-mutants, in the order of
        :meth:`DiscreteSpace.neighbours`."""
        r = np.asarray(ranks, dtype=np.int64).reshape(-1)
        L, K = self.space.L, self.space.K
        w = _weights(self.space)
        digits = (r[:, None] // w[None, :]) % K                        # (n, L)
        pos = np.repeat(np.arange(L), K - 1)
        shift = np.tile(np.arange(1, K), L)
        old = digits[:, pos]
        new = (old + shift) % K
        return r[:, None] + (new - old) * w[pos][None, :]

    def adjacency(self, ranks) -> sparse.csr_matrix:
        """Neutral adjacency (CSR, 0/1) among the given ranks (sorted
        internally to the order of ``np.unique(ranks)``): edges join
        genotypes one mutation apart with the same defined phenotype."""
        r = np.unique(np.asarray(ranks, dtype=np.int64))
        if r.size == 0:
            return sparse.csr_matrix((0, 0), dtype=np.int8)
        nb = self.neighbour_ranks(r)
        same = self.phenotype[nb] == self.phenotype[r][:, None]
        same &= self.phenotype[r][:, None] >= 0
        j = np.searchsorted(r, nb)
        j = np.minimum(j, r.size - 1)
        inside = same & (r[j] == nb)
        rows = np.repeat(np.arange(r.size), nb.shape[1])[inside.ravel()]
        cols = j[inside]
        data = np.ones(rows.size, np.int8)
        return sparse.csr_matrix((data, (rows, cols)), shape=(r.size, r.size))

    def graph(self, pid: int | None = None, *, component: int | None = None,
              max_nodes: int = 5000) -> nx.Graph:
        """The neutral network of phenotype ``pid`` (all its components) or one
        component, as a networkx Graph on ranks.

        Node attributes: ``genotype`` (string over the alphabet, or the letter
        indices joined by ``,``), ``phenotype`` (id), ``label`` (the map's
        ``label(pid)``, e.g. a dot-bracket structure), ``component``,
        ``robustness`` (r(g)) and ``evolvability`` (e(g)).  Raises ValueError
        beyond ``max_nodes`` genotypes (graphs are for human-scale networks).
        """
        ranks = self.ranks_of(pid, component=component)
        if ranks.size > max_nodes:
            raise ValueError(f"network has {ranks.size} genotypes, more than max_nodes={max_nodes}")
        A = sparse.triu(self.adjacency(ranks), k=1).tocoo()
        neu, ev = self.genotype_stats()
        n_nb = self.space.n_neighbours
        g = self.space.unrank(ranks)
        if self.space.alphabet is not None:
            names = self.space.decode(g)
        else:
            names = [",".join(map(str, row)) for row in g.tolist()]
        labels = {}
        G = nx.Graph()
        for i, rk in enumerate(ranks.tolist()):
            pid = int(self.phenotype[rk])
            if pid not in labels:
                labels[pid] = self.labeler(pid) if self.labeler is not None else str(pid)
            G.add_node(rk, genotype=names[i], phenotype=pid, label=labels[pid],
                       component=int(self.component[rk]), robustness=float(neu[rk] / n_nb),
                       evolvability=int(ev[rk]))
        G.add_edges_from(zip(ranks[A.row].tolist(), ranks[A.col].tolist()))
        return G


def _dense_index(ph: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct defined ids (ascending) and each entry's index among them as
    int32 (-1 for undefined).  Small non-negative ids (toy maps, tables) go
    through a bincount in O(N); large ones (hashed labels) through a sort."""
    n = ph.size
    hi = int(ph.max()) if n else -1
    if hi < max(4 * n, 1 << 16):
        present = np.bincount(ph + 1, minlength=hi + 2)[1:] > 0
        ids = np.flatnonzero(present).astype(np.int64)
        lut = np.full(hi + 2, -1, np.int32)
        lut[ids + 1] = np.arange(ids.size, dtype=np.int32)
        return ids, lut[ph + 1]
    ids = np.unique(ph)
    ids = ids[ids >= 0]
    pidx = np.searchsorted(ids, ph).astype(np.int32)
    pidx[ph < 0] = -1
    return ids, pidx


def networks_from_table(space: DiscreteSpace, phenotype_of_rank, labeler=None) -> ExhaustiveNetworks:
    """Genotype networks of an explicit phenotype array indexed by rank.

    Parameters
    ----------
    space : DiscreteSpace with ``K**L`` genotypes
    phenotype_of_rank : (K**L,) int array, ``-1`` = undefined
    """
    if not isinstance(space, DiscreteSpace):
        raise TypeError("exhaustive networks need a DiscreteSpace")
    ph = np.ascontiguousarray(phenotype_of_rank, dtype=np.int64)
    if ph.shape != (space.size,):
        raise ValueError(f"need one phenotype per genotype, shape ({space.size},); got {ph.shape}")
    if ph.size and ph.min() < -1:
        raise ValueError("phenotype ids must be >= 0, or -1 for undefined")
    defined = ph >= 0
    ids, pidx = _dense_index(ph)
    label, roots = _union_find(pidx, _weights(space), space.K)
    sizes = np.bincount(pidx[defined], minlength=ids.size).astype(np.int64)
    csizes = np.bincount(label[defined], minlength=roots.size).astype(np.int64)
    return ExhaustiveNetworks(space=space, phenotype=ph, component=label, phenotype_ids=ids,
                              phenotype_index=pidx, phenotype_sizes=sizes,
                              component_phenotype=ph[roots], component_sizes=csizes,
                              component_root=roots, n_undefined=int((~defined).sum()),
                              labeler=labeler)


def exhaustive(gpmap: GPMap, *, batch_size: int = 1 << 18) -> ExhaustiveNetworks:
    """Evaluate every genotype of an enumerable discrete space and label its
    genotype networks.

    Parameters
    ----------
    gpmap : GPMap over an enumerable :class:`DiscreteSpace`; a
        :class:`CachedMap` is unwrapped (each genotype is evaluated once, and a
        dict of ``K**L`` entries would cost more than it saves)
    batch_size : int, genotypes per call of ``gpmap.phenotypes``

    Returns
    -------
    ExhaustiveNetworks
    """
    space = gpmap.space
    if not isinstance(space, DiscreteSpace):
        raise TypeError("exhaustive() needs a DiscreteSpace; sample continuous spaces with sample_bfs")
    if not space.enumerable:
        raise ValueError(f"{space.K}**{space.L} genotypes is too many to enumerate; use sample_bfs")
    inner = gpmap.inner if isinstance(gpmap, CachedMap) else gpmap
    N = space.size
    ph = np.empty(N, np.int64)
    for lo in range(0, N, batch_size):
        hi = min(N, lo + batch_size)
        ph[lo:hi] = inner.phenotypes(space.unrank(np.arange(lo, hi, dtype=np.int64)))
    return networks_from_table(space, ph, labeler=gpmap.label)


# ----------------------------------------------------------------------------
# Sampled networks
# ----------------------------------------------------------------------------

def _cached(gpmap: GPMap) -> CachedMap:
    return gpmap if isinstance(gpmap, CachedMap) else CachedMap(gpmap)


def _neighbours(space, g, rng):
    if space.discrete:
        return space.neighbours(g)
    if rng is None:
        raise ValueError("a continuous space samples its neighbours: pass rng")
    return space.neighbours(g, rng)


def _genotype_names(space, g) -> list[str]:
    if space.discrete and space.alphabet is not None:
        return space.decode(g)
    if space.discrete:
        return [",".join(map(str, row)) for row in g.tolist()]
    return [",".join(f"{x:.6g}" for x in row) for row in g.tolist()]


@dataclass(eq=False)
class SampledNetwork:
    """What a BFS from seed genotypes saw of one phenotype's neutral network.

    Attributes
    ----------
    space : the genotype space
    phenotype : int, the seeds' phenotype id
    genotypes : (n, L) genotypes of the network found (seeds first, BFS order)
    depth : (n,) int64, BFS distance from the nearest seed
    expanded : (n,) bool, whether the node's whole neighbourhood was evaluated
    n_neighbours : (n,) int64, neighbours evaluated (``L (K - 1)`` or ``L m``; 0 if not expanded)
    n_neutral : (n,) int64, neutral neighbours among them (-1 if not expanded)
    n_undefined : (n,) int64, undefined neighbours among them (-1 if not expanded)
    evolvability : (n,) int64, distinct other defined phenotypes among them (-1 if not expanded)
    edges : (m, 2) int64, node index pairs (i < j) of neutral edges found
    boundary_node : (b,) int64, the node each boundary mutation starts from
    boundary_genotypes : (b, L), the non-neutral one-mutants (one row per mutation)
    boundary_phenotype : (b,) int64, their phenotypes (``-1`` = undefined)
    complete : bool, the frontier ran empty with every node expanded.  For a
        discrete space this means the union of the seeds' genotype networks
        was found exactly.
    n_evaluations : int, new phenotype evaluations this search made
    """

    space: object
    phenotype: int
    genotypes: np.ndarray
    depth: np.ndarray
    expanded: np.ndarray
    n_neighbours: np.ndarray
    n_neutral: np.ndarray
    n_undefined: np.ndarray
    evolvability: np.ndarray
    edges: np.ndarray
    boundary_node: np.ndarray
    boundary_genotypes: np.ndarray
    boundary_phenotype: np.ndarray
    complete: bool
    n_evaluations: int

    @property
    def n_nodes(self) -> int:
        return int(self.genotypes.shape[0])

    @property
    def robustness(self) -> np.ndarray:
        """(n,) float64 r(g) of expanded nodes (neutral / evaluated neighbours), NaN otherwise."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.expanded, self.n_neutral / np.maximum(self.n_neighbours, 1), np.nan)

    def graph(self, max_nodes: int = 100_000) -> nx.Graph:
        """networkx Graph on node indices; attributes ``genotype`` (string),
        ``phenotype``, ``depth``, ``expanded``, ``robustness`` (NaN when not
        expanded), ``evolvability`` (-1 when not expanded)."""
        if self.n_nodes > max_nodes:
            raise ValueError(f"network has {self.n_nodes} nodes, more than max_nodes={max_nodes}")
        names = _genotype_names(self.space, self.genotypes)
        rob = self.robustness
        G = nx.Graph()
        for i in range(self.n_nodes):
            G.add_node(i, genotype=names[i], phenotype=int(self.phenotype), depth=int(self.depth[i]),
                       expanded=bool(self.expanded[i]), robustness=float(rob[i]),
                       evolvability=int(self.evolvability[i]))
        G.add_edges_from(map(tuple, self.edges.tolist()))
        return G


def sample_bfs(gpmap: GPMap, seed_genotypes, *, max_nodes: int = 10_000,
               max_evaluations: int = 1_000_000, rng: np.random.Generator | None = None
               ) -> SampledNetwork:
    """Grow the neutral network of the seeds' phenotype by breadth-first search.

    Each BFS level is one batch: the one-mutants of every frontier node are
    evaluated together (exact neighbours for a discrete space, ``m``
    resamples per gene drawn from ``rng`` for a continuous one); neutral
    mutants not seen before join the next frontier, non-neutral ones are
    recorded as the boundary.

    Parameters
    ----------
    gpmap : GPMap (wrapped in a :class:`CachedMap` unless it is one)
    seed_genotypes : (s, L) or (L,) genotypes, all of one defined phenotype
    max_nodes : int, stop adding nodes beyond this many
    max_evaluations : int, never start a batch that could take the number of
        new evaluations past this (a frontier is cut to fit)
    rng : numpy Generator, required for continuous spaces

    Returns
    -------
    SampledNetwork
    """
    cm = _cached(gpmap)
    space = cm.space
    seeds = space.check(seed_genotypes)
    if seeds.shape[0] == 0:
        raise ValueError("need at least one seed genotype")
    if max_nodes < 1 or max_evaluations < 0:
        raise ValueError("max_nodes must be >= 1 and max_evaluations >= 0")
    ev0 = cm.n_evaluations
    sp = cm.phenotypes(seeds)
    if (sp != sp[0]).any():
        raise ValueError(f"seeds have different phenotypes: {sorted(set(sp.tolist()))}")
    p = int(sp[0])
    if p < 0:
        raise ValueError("seeds have an undefined phenotype (-1): it has no neutral network")
    seeds = np.ascontiguousarray(seeds)
    index: dict[bytes, int] = {}
    geno: list[np.ndarray] = []
    depth: list[int] = []
    truncated = False
    for row in seeds:
        k = row.tobytes()
        if k in index:
            continue
        if len(geno) >= max_nodes:
            truncated = True
            continue
        index[k] = len(geno)
        geno.append(row.copy())
        depth.append(0)
    n_nb = space.n_neighbours
    nn_list, nneu, nund, nev = {}, {}, {}, {}
    edges: set[tuple[int, int]] = set()
    b_node, b_geno, b_ph = [], [], []
    frontier = list(range(len(geno)))
    while frontier:
        room = max_evaluations - (cm.n_evaluations - ev0)
        fit = room // n_nb
        if fit <= 0:
            truncated = True
            break
        if fit < len(frontier):
            truncated = True
            frontier = frontier[:fit]
        f = np.stack([geno[i] for i in frontier])
        nbrs = np.ascontiguousarray(_neighbours(space, f, rng))       # (F, n_nb, L)
        q = cm.phenotypes(nbrs.reshape(-1, space.L)).reshape(len(frontier), n_nb)
        new_frontier = []
        for a, i in enumerate(frontier):
            qa = q[a]
            neutral = qa == p
            other = qa[~neutral]
            nn_list[i] = n_nb
            nneu[i] = int(neutral.sum())
            nund[i] = int((other < 0).sum())
            nev[i] = int(np.unique(other[other >= 0]).size)
            for s in np.flatnonzero(~neutral):
                b_node.append(i)
                b_geno.append(nbrs[a, s])
                b_ph.append(int(qa[s]))
            for s in np.flatnonzero(neutral):
                k = nbrs[a, s].tobytes()
                j = index.get(k)
                if j is None:
                    if len(geno) >= max_nodes:
                        truncated = True
                        continue
                    j = len(geno)
                    index[k] = j
                    geno.append(nbrs[a, s].copy())
                    depth.append(depth[i] + 1)
                    new_frontier.append(j)
                if i != j:
                    edges.add((min(i, j), max(i, j)))
        frontier = new_frontier
    n = len(geno)
    expanded = np.zeros(n, bool)
    expanded[list(nn_list)] = True
    def arr(d, default):
        out = np.full(n, default, np.int64)
        if d:
            out[list(d)] = list(d.values())
        return out
    e = np.array(sorted(edges), np.int64).reshape(-1, 2)
    return SampledNetwork(
        space=space, phenotype=p, genotypes=np.stack(geno), depth=np.asarray(depth, np.int64),
        expanded=expanded, n_neighbours=arr(nn_list, 0), n_neutral=arr(nneu, -1),
        n_undefined=arr(nund, -1), evolvability=arr(nev, -1), edges=e,
        boundary_node=np.asarray(b_node, np.int64),
        boundary_genotypes=(np.stack(b_geno) if b_geno else np.zeros((0, space.L), seeds.dtype)),
        boundary_phenotype=np.asarray(b_ph, np.int64),
        complete=bool(not truncated and expanded.all()),
        n_evaluations=int(cm.n_evaluations - ev0))


# ----------------------------------------------------------------------------
# Neutral walks
# ----------------------------------------------------------------------------

@dataclass(eq=False)
class NeutralWalks:
    """Trajectories of blind-ant neutral random walks.

    Attributes
    ----------
    phenotype : int, the start's phenotype
    genotypes : (n_steps + 1, n_walkers, L) positions, row 0 the start
    accepted : (n_steps, n_walkers) bool, whether each proposed mutation was neutral
    distance : (n_steps + 1, n_walkers) float64, distance from the start
        (Hamming for discrete spaces, Euclidean for continuous ones)
    n_evaluations : int, new phenotype evaluations made
    """

    phenotype: int
    genotypes: np.ndarray
    accepted: np.ndarray
    distance: np.ndarray
    n_evaluations: int

    @property
    def acceptance_rate(self) -> float:
        return float(self.accepted.mean()) if self.accepted.size else float("nan")

    def visited(self) -> np.ndarray:
        """The distinct genotypes visited by any walker, (v, L)."""
        g = self.genotypes.reshape(-1, self.genotypes.shape[-1])
        return np.unique(g, axis=0)


def neutral_walks(gpmap: GPMap, seed, n_steps: int, n_walkers: int,
                  rng: np.random.Generator) -> NeutralWalks:
    """Neutral random walks from ``seed``.

    At each step every walker proposes one random single mutation (discrete: a
    uniform position and a uniform *other* letter; continuous: a uniform gene
    resampled uniformly in ``[low, high]``; a space with a ``mutate(g, rng)``
    method, such as :class:`alife.gpmap.net.GaussianSpace`, uses its own kernel);
    all proposals are evaluated in one batch and a walker moves only when its
    mutant keeps the phenotype (a "blind ant": rejected steps are spent in
    place, so the acceptance rate estimates mean robustness along the walk).

    Parameters
    ----------
    gpmap : GPMap (cached by genotype)
    seed : (L,) one start for all walkers, or (n_walkers, L) starts of one phenotype
    n_steps, n_walkers : int
    rng : numpy Generator

    Returns
    -------
    NeutralWalks
    """
    cm = _cached(gpmap)
    space = cm.space
    s = space.check(seed)
    if s.shape[0] == 1:
        s = np.repeat(s, n_walkers, axis=0)
    if s.shape[0] != n_walkers:
        raise ValueError(f"seed must be one genotype or {n_walkers}, got {s.shape[0]}")
    ev0 = cm.n_evaluations
    ph = cm.phenotypes(s)
    if (ph != ph[0]).any() or ph[0] < 0:
        raise ValueError("walkers must start on one defined phenotype")
    p = int(ph[0])
    L = space.L
    traj = np.empty((n_steps + 1,) + s.shape, s.dtype)
    traj[0] = s
    acc = np.zeros((n_steps, n_walkers), bool)
    cur = s.copy()
    rows = np.arange(n_walkers)
    for t in range(n_steps):
        prop = cur.copy()
        pos = rng.integers(0, L, n_walkers)
        if hasattr(space, "mutate"):      # a space with its own mutation kernel
            prop = space.mutate(cur, rng)
        elif space.discrete:
            prop[rows, pos] = (cur[rows, pos].astype(np.int64)
                               + rng.integers(1, space.K, n_walkers)) % space.K
        else:
            prop[rows, pos] = rng.uniform(space.low, space.high, n_walkers).astype(np.float32)
        ok = cm.phenotypes(prop) == p
        cur[ok] = prop[ok]
        acc[t] = ok
        traj[t + 1] = cur
    if space.discrete:
        dist = (traj != traj[0][None]).sum(axis=2).astype(np.float64)
    else:
        dist = np.sqrt(((traj.astype(np.float64) - traj[0][None]) ** 2).sum(axis=2))
    return NeutralWalks(phenotype=p, genotypes=traj, accepted=acc, distance=dist,
                        n_evaluations=int(cm.n_evaluations - ev0))


# ----------------------------------------------------------------------------
# Neutral paths
# ----------------------------------------------------------------------------

def neutral_path(gpmap: GPMap, g_a, g_b, *, max_evaluations: int = 1_000_000,
                 rng: np.random.Generator | None = None, max_steps: int | None = None):
    """A neutral path from ``g_a`` to ``g_b`` (same defined phenotype).

    Discrete spaces: bidirectional BFS along neutral one-mutants, expanding
    one whole level of the smaller side per batch.  Any meeting found while
    expanding a level closes a shortest path (the two balls were disjoint
    before, so ``d > d_a + d_b``, and the meeting gives ``d_a + 1 + d_b``),
    so the path returned is an exact shortest neutral path even when a level
    is cut short by the budget.  Returns ``None`` when the budget runs out, or
    when a side's component is exhausted (then no neutral path exists).

    Continuous spaces: first a staircase along the straight line
    (:func:`staircase_path`, with half the budget), then a guided walk.  Each
    step of the walk evaluates, in one batch, the
    mutants that set one differing gene to its value in ``g_b``; the neutral
    one that removes the largest gap is taken.  When none is neutral, partial
    moves (a random fraction of each gap) are tried, then a random neutral
    resample of one gene (a detour).  Returns ``None`` when the evaluation
    budget or ``max_steps`` (default ``50 L``) runs out.

    Parameters
    ----------
    gpmap : GPMap (cached by genotype)
    g_a, g_b : (L,) genotypes
    max_evaluations : int, budget of new phenotype evaluations
    rng : numpy Generator (continuous spaces)

    Returns
    -------
    (k + 1, L) array of genotypes, consecutive rows one mutation apart,
    row 0 = ``g_a``, row k = ``g_b``; or None.
    """
    cm = _cached(gpmap)
    space = cm.space
    a = space.check(g_a)
    b = space.check(g_b)
    if a.shape[0] != 1 or b.shape[0] != 1:
        raise ValueError("g_a and g_b must be single genotypes")
    ph = cm.phenotypes(np.concatenate([a, b]))
    if ph[0] != ph[1]:
        raise ValueError(f"endpoints have different phenotypes ({ph[0]} and {ph[1]}): "
                         "no neutral path joins them")
    if ph[0] < 0:
        raise ValueError("endpoints have an undefined phenotype (-1)")
    if space.discrete:
        return _bidirectional_bfs(cm, a[0], b[0], int(ph[0]), max_evaluations)
    if rng is None:
        raise ValueError("continuous neutral paths are sampled: pass rng")
    ev0 = cm.n_evaluations
    path = _staircase(cm, [a[0], b[0]], int(ph[0]), max_evaluations // 2)
    if path is not None:
        return path
    return _guided_walk(cm, a[0], b[0], int(ph[0]), max_evaluations - (cm.n_evaluations - ev0),
                        rng, max_steps if max_steps is not None else 50 * space.L)


def staircase_path(gpmap: GPMap, waypoints, *, max_evaluations: int = 1_000_000,
                   max_depth: int = 16):
    """A neutral path of one-gene moves that follows a polyline (continuous genes).

    Each leg x → y between consecutive ``waypoints`` is tried as a
    staircase: the genes where x and y differ are set to y's values one at a
    time, largest gap first.  When a stair leaves the phenotype, the leg is
    halved at its midpoint (which must itself keep the phenotype) and both
    halves are tried again, at most ``max_depth`` times, so a path is found
    whenever the polyline runs inside a neutral tube wide enough for the
    finest staircase.  A low-loss curve between two optima (e.g. points of a
    trained :class:`~alife.bridge.paths.BezierPath`) thus becomes a neutral
    path in the analyser's sense: consecutive rows differ in one gene.

    Parameters
    ----------
    gpmap : GPMap with a continuous space
    waypoints : (n, L) genotypes, all with one defined phenotype
    max_evaluations : budget of new phenotype evaluations
    max_depth : most halvings of one leg

    Returns
    -------
    (k + 1, L) array from ``waypoints[0]`` to ``waypoints[-1]``, or None when
    a waypoint or a midpoint leaves the phenotype, ``max_depth`` is reached
    or the budget runs out.
    """
    cm = _cached(gpmap)
    w = cm.space.check(np.asarray(waypoints))
    ph = cm.phenotypes(w)
    if ph[0] < 0 or (ph != ph[0]).any():
        return None
    return _staircase(cm, list(w), int(ph[0]), max_evaluations, max_depth)


def _staircase(cm: CachedMap, waypoints, p, max_evaluations, max_depth: int = 16):
    ev0 = cm.n_evaluations
    path = [waypoints[0].copy()]
    # a stack of legs (from, to, depth), the next leg on top; "from" is always
    # the path's last row
    todo = [(waypoints[i], waypoints[i + 1], 0) for i in reversed(range(len(waypoints) - 1))]
    while todo:
        x, y, depth = todo.pop()
        diff = np.flatnonzero(x != y)
        if diff.size == 0:
            continue
        if cm.n_evaluations - ev0 + diff.size + 1 > max_evaluations:
            return None
        order = diff[np.argsort(-np.abs(y[diff] - x[diff]), kind="stable")]
        stairs = np.repeat(x[None], order.size, axis=0)
        for k in range(order.size):
            stairs[k:, order[k]] = y[order[k]]
        if (cm.phenotypes(stairs) == p).all():
            path.extend(stairs)
            continue
        if depth >= max_depth:
            return None
        mid = ((x.astype(np.float64) + y) / 2).astype(x.dtype)
        if cm.phenotypes(mid[None])[0] != p:
            return None
        todo.append((mid, y, depth + 1))
        todo.append((x, mid, depth + 1))
    return np.stack(path)


def _bidirectional_bfs(cm: CachedMap, a, b, p, max_evaluations):
    space = cm.space
    ev0 = cm.n_evaluations
    ka, kb = a.tobytes(), b.tobytes()
    if ka == kb:
        return a[None].copy()
    # per side: parent pointers (key -> parent key), distance, frontier of keys
    par = [{ka: None}, {kb: None}]
    gen = [{ka: a}, {kb: b}]
    front = [[ka], [kb]]
    n_nb = space.n_neighbours
    while front[0] and front[1]:
        s = 0 if len(front[0]) <= len(front[1]) else 1
        other = 1 - s
        room = max_evaluations - (cm.n_evaluations - ev0)
        fit = room // n_nb
        if fit <= 0:
            return None
        level = front[s][:fit]
        cut = len(level) < len(front[s])
        nbrs = np.ascontiguousarray(space.neighbours(np.stack([gen[s][k] for k in level])))
        q = cm.phenotypes(nbrs.reshape(-1, space.L)).reshape(len(level), n_nb)
        nxt = []
        for i, k in enumerate(level):
            for j in np.flatnonzero(q[i] == p):
                kn = nbrs[i, j].tobytes()
                if kn in par[s]:
                    continue
                par[s][kn] = k
                gen[s][kn] = nbrs[i, j].copy()
                if kn in par[other]:
                    return _join(par, gen, kn, s)
                nxt.append(kn)
        if cut:
            return None
        front[s] = nxt
    return None


def _join(par, gen, meet, s):
    def chain(side, k):
        out = []
        while k is not None:
            out.append(gen[side][k])
            k = par[side][k]
        return out
    first = chain(s, meet)[::-1]          # from side s's start to meet
    second = chain(1 - s, meet)[1:]       # from meet to side (1-s)'s start
    path = first + second
    if s == 1:
        path = path[::-1]
    return np.stack(path)


def _guided_walk(cm: CachedMap, a, b, p, max_evaluations, rng, max_steps):
    space = cm.space
    ev0 = cm.n_evaluations
    cur = a.copy()
    path = [cur.copy()]
    for _ in range(max_steps):
        diff = np.flatnonzero(cur != b)
        if diff.size == 0:
            return np.stack(path)
        if cm.n_evaluations - ev0 + 2 * diff.size + 1 > max_evaluations:
            return None
        cand = np.repeat(cur[None], diff.size, axis=0)
        cand[np.arange(diff.size), diff] = b[diff]
        ok = cm.phenotypes(cand) == p
        if ok.any():
            gap = np.abs(cur[diff] - b[diff])
            i = np.flatnonzero(ok)[np.argmax(gap[ok])]
            cur = cand[i].copy()
        else:
            u = rng.uniform(0.0, 1.0, diff.size).astype(np.float32)
            part = np.repeat(cur[None], diff.size, axis=0)
            part[np.arange(diff.size), diff] = cur[diff] + u * (b[diff] - cur[diff])
            okp = (cm.phenotypes(part) == p) & (part[np.arange(diff.size), diff] != cur[diff])
            if okp.any():
                cur = part[rng.choice(np.flatnonzero(okp))].copy()
            else:
                pos = int(rng.integers(space.L))
                det = cur.copy()
                det[pos] = np.float32(rng.uniform(space.low, space.high))
                if det[pos] == cur[pos] or cm.phenotypes(det[None])[0] != p:
                    continue
                cur = det
        path.append(cur.copy())
    return np.stack(path) if np.array_equal(cur, b) else None
