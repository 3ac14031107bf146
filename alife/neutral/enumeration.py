"""Exhaustive neutral networks: every genotype of an enumerable discrete space.

Definitions (see :mod:`alife.neutral`): the neutral network of phenotype
``p`` is the set of genotypes with phenotype ``p`` with edges between
genotypes one point mutation apart; its connected components are *genotype
networks*.  Undefined genotypes (phenotype ``-1``) belong to no network.

:func:`exhaustive` evaluates every genotype of an enumerable
:class:`~alife.gpmap.base.DiscreteSpace` (batched), then
:func:`networks_from_table` labels genotype networks by union-find over
Hamming-1 neighbours in Numba (:mod:`alife.neutral._kernels`), working on
ranks: the neighbour of rank ``r`` with letter ``new`` instead of ``old`` at
position ``pos`` has rank ``r + (new - old) K^(L-1-pos)``
(:func:`alife.gpmap.base.substitution_rank`).  No Python loop over
genotypes: 4**12 RNA genotypes take seconds
(``benchmarks/neutral_exhaustive.py``).  :class:`ExhaustiveNetworks` holds
the result and computes the neighbourhood statistics that
:mod:`alife.neutral.measures` turns into Wagner's measures.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy import sparse

from alife.gpmap.base import CachedMap, DiscreteSpace, GPMap

from . import _kernels as kernels

__all__ = ["ExhaustiveNetworks", "exhaustive", "networks_from_table", "DENSE_PHENOTYPE_LIMIT"]


def _stats_from_dense(T, und):
    """The per-phenotype tuple of ``neighbourhood_stats``, from the dense matrix."""
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
        within :data:`alife.neutral._kernels.SCRATCH_BYTES`); results do not depend on it
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
                nch = self.n_chunks or kernels.chunk_count(8 * P * (P + 1))
                neu, ev, T, und = kernels.rank_pass(self.phenotype_index, self.space.weights,
                                                    self.space.K, P, nch)
                self._cache["gstats"] = (neu, ev)
                self._cache["pstats"] = _stats_from_dense(T.sum(axis=0), und.sum(axis=0))
            else:
                # no (phenotype, phenotype) pairs here: with millions of phenotypes
                # they take gigabytes, and only transition_matrix needs them
                order, starts = self._groups("phenotype")
                out = kernels.neighbourhood_stats(self.phenotype_index, order, starts,
                                                  self.space.weights, self.space.K,
                                                  self.n_phenotypes, True, False)
                self._cache["gstats"] = (out[0], out[1])
                self._cache["ptotals"] = out[2:7]
        return self._cache["gstats"]

    def _groups(self, kind: str):
        key = "order_" + kind
        if key not in self._cache:
            if kind == "phenotype":
                self._cache[key] = kernels.group_order(self.phenotype_index, self.n_phenotypes)
            else:
                self._cache[key] = kernels.group_order(self.component, self.n_components)
        return self._cache[key]

    def group_stats(self, kind: str, pairs: bool = True):
        """Neighbourhood totals per phenotype (``kind="phenotype"``) or per
        component (``kind="component"``): ``(n_neutral, n_undefined, n_other,
        n_distinct, simpson, pair_group, pair_phenotype_index, pair_count)``;
        see :mod:`alife.neutral.measures` for their meaning.  Component pairs
        are not kept (empty arrays): there may be millions of components.
        ``pairs=False`` leaves the phenotype pairs out too (empty arrays):
        beyond :attr:`dense_limit` phenotypes they cost a second pass over all
        mutations and memory in proportion to ``sum_p E(p)``."""
        if kind == "phenotype":
            self.genotype_stats()
            if "pstats" in self._cache:
                out = self._cache["pstats"]
                return out if pairs else out[:5] + (np.zeros(0, np.int64),) * 3
            if not pairs:
                return self._cache["ptotals"] + (np.zeros(0, np.int64),) * 3
            order, starts = self._groups("phenotype")
            out = kernels.neighbourhood_stats(self.phenotype_index, order, starts,
                                              self.space.weights, self.space.K,
                                              self.n_phenotypes, False, True)
            self._cache["pstats"] = out[2:]
            return self._cache["pstats"]
        if kind != "component":
            raise ValueError(f"kind must be 'phenotype' or 'component', got {kind!r}")
        if "cstats" not in self._cache:
            order, starts = self._groups("component")
            nch = self.n_chunks or kernels.chunk_count(16 * self.n_phenotypes)
            e = np.zeros(0, np.int64)
            self._cache["cstats"] = kernels.group_totals(self.phenotype_index, order, starts,
                                                         self.space.weights, self.space.K,
                                                         self.n_phenotypes, nch) + (e, e, e)
        return self._cache["cstats"]

    def neighbour_ranks(self, ranks) -> np.ndarray:
        """(n, L (K - 1)) int64 ranks of all one-mutants, in the order of
        :meth:`DiscreteSpace.neighbours` (:meth:`DiscreteSpace.neighbour_ranks`)."""
        return self.space.neighbour_ranks(ranks)

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
    label, roots = kernels.union_find(pidx, space.weights, space.K)
    sizes = np.bincount(pidx[defined], minlength=ids.size).astype(np.int64)
    csizes = np.bincount(label[defined], minlength=roots.size).astype(np.int64)
    return ExhaustiveNetworks(space=space, phenotype=ph, component=label, phenotype_ids=ids,
                              phenotype_index=pidx, phenotype_sizes=sizes,
                              component_phenotype=ph[roots], component_sizes=csizes,
                              component_root=roots, n_undefined=int((~defined).sum()),
                              labeler=labeler)


def exhaustive(gpmap: GPMap, *, batch_size: int = 1 << 18, on_batch=None) -> ExhaustiveNetworks:
    """Evaluate every genotype of an enumerable discrete space and label its
    genotype networks.

    Parameters
    ----------
    gpmap : GPMap over an enumerable :class:`DiscreteSpace`; a
        :class:`CachedMap` is unwrapped (each genotype is evaluated once, and a
        dict of ``K**L`` entries would cost more than it saves)
    batch_size : int, genotypes per call of ``gpmap.phenotypes``
    on_batch : callable, optional; called with the number of genotypes of
        each batch once it is evaluated (e.g. a progress bar's ``update``)

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
        if on_batch is not None:
            on_batch(hi - lo)
    return networks_from_table(space, ph, labeler=gpmap.label)
