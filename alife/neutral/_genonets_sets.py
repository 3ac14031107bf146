"""The shared object of the genonets port (:mod:`alife.neutral.genonets`).

:func:`genotype_sets` reads the genotype sets of a parsed genonets input
(:class:`~alife.gpmap.table.TableMap`), builds each set's genotype network
(genotypes one mutation apart), its components in igraph order and its
dominant network, and every genotype's mutants by rank arithmetic of the
input's :class:`~alife.gpmap.base.DiscreteSpace`; the result,
:class:`GenotypeSets`, is what every measure of :mod:`alife.neutral.genonets`
reads and writes into.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alife.gpmap.base import DiscreteSpace
from alife.gpmap.table import TableMap

from . import _genonets_kernels as kernels
from ._genonets_graphs import Graph, uniq


# ----------------------------------------------------------------------------------------------
# mutants by rank arithmetic

class Mutants:
    """All mutants of genotypes given as ranks of a :class:`DiscreteSpace` (int64):
    the space's point mutations, plus with ``indels`` genonets' shift mutants."""

    def __init__(self, space: DiscreteSpace, indels: bool):
        L, K = space.L, space.K
        if K ** L >= 2 ** 62:
            raise ValueError(f"genotypes of length {L} over {K} letters are too long to rank in int64; "
                             f"use shorter genotypes")
        self.space, self.indels = space, indels

    def all(self, r):
        """(n, m) mutant ranks (m = L (K-1) [+ 2K]); shift mutants equal to the
        genotype or to an earlier mutant are marked -1 (genonets' dedupe)."""
        point = self.space.neighbour_ranks(r)
        if not self.indels:
            return point
        K, first = self.space.K, self.space.weights[0]
        x = np.arange(K, dtype=np.int64)
        drop_first = (r % first)[:, None] * K + x[None, :]       # g[1:] + x
        drop_last = (r // K)[:, None] + x[None, :] * first       # x + g[:-1]
        allm = np.concatenate([point, drop_first, drop_last], axis=1)
        # remove duplicates / the source among shift mutants (keep first occurrence)
        srt = np.argsort(allm, axis=1, kind="stable")
        sv = np.take_along_axis(allm, srt, axis=1)
        dup = np.zeros_like(sv, dtype=bool)
        dup[:, 1:] = sv[:, 1:] == sv[:, :-1]
        dup |= sv == r[:, None]
        mask = np.empty_like(dup)
        np.put_along_axis(mask, srt, dup, axis=1)
        allm[mask] = -1
        return allm

    def mutation_code(self, a, b):
        """genonets' get_mutation_type as an int: ``x*K + y`` for the point
        mutation x -> y (letter indices), ``K*K`` for a shift ('indel')."""
        K = self.space.K
        la, lb = self.space.letters(a), self.space.letters(b)
        diff = la != lb
        point = diff.sum(1) == 1
        p = np.argmax(diff, axis=1)
        rows = np.arange(a.size)
        return np.where(point, la[rows, p] * K + lb[rows, p], K * K)


# ----------------------------------------------------------------------------------------------
# the genotype sets, their networks and their mutants

@dataclass(eq=False)
class GenotypeSets:
    """Everything the measures share: the genotype sets of a genonets input,
    their genotype networks and every genotype's mutants.

    Genotypes are numbered by their position in :attr:`universe` (every listed
    genotype, by rank).  Per set ``s`` (in input order):

    Attributes
    ----------
    table : TableMap, the parsed input
    names : list of str, the sets in input order (``S = len(names)``)
    use_all_components : bool, genonets' ``--use-all-components``
    mutants : the mutant table (point mutations, plus shifts with indels)
    universe : (U,) int64, ranks of every listed genotype, ascending
    networks : list of Graph, the whole genotype network of each set (vertices
        in the set's genotype order); its ``attrs``/``vattrs`` collect the measures
    dominant : list of Graph, each set's dominant network (the same object as
        the network when it has one component)
    dominant_rows : list of (n_dominant,) int64, the dominant network's
        vertices as rows of the set's network
    component_sizes : list of (c,) int64, component sizes in igraph order
    n_mutants : list of (n_dominant,) int64, the number of distinct mutants of
        each genotype of the dominant network
    mutant_index : list of (n, m) int32 (int64 beyond 2**31 genotypes), the
        universe indices of each genotype's mutants (``-1``: not listed, or a
        shift mutant that repeats another mutant or the genotype); ``None``
        once :func:`~alife.neutral.genonets.analyse` has measured the set's
        evolvability (to save memory)
    in_set, in_dominant : (U, S) bool, membership of each genotype in each
        set and in each set's dominant network
    exterior_size : (S,) int64, ``|ext(G_s)|``: distinct mutants of the
        dominant network outside it (listed or not)
    exterior_listed : list of (e,) int64, the listed genotypes of each ``ext(G_s)``
    exterior_hits : (S, S) int64, ``[t, a] = |ext(G_t) & G_a|``
    overlap : (S, S) int64 ``|G_a & G_b|``, or None for a single set
    target_genotypes : dict set index -> (S,) int64, the number of distinct
        genotypes of each other set that the set's evolvability graph reaches
        by one mutation (filled by the evolvability measure)
    """

    table: TableMap
    names: list
    use_all_components: bool
    mutants: Mutants
    universe: np.ndarray
    networks: list = field(default_factory=list)
    dominant: list = field(default_factory=list)
    dominant_rows: list = field(default_factory=list)
    component_sizes: list = field(default_factory=list)
    n_mutants: list = field(default_factory=list)
    mutant_index: list = field(default_factory=list)
    exterior_listed: list = field(default_factory=list)
    in_set: np.ndarray | None = None
    in_dominant: np.ndarray | None = None
    exterior_size: np.ndarray | None = None
    exterior_hits: np.ndarray | None = None
    overlap: np.ndarray | None = None
    target_genotypes: dict = field(default_factory=dict)
    _letters: np.ndarray | None = field(default=None, repr=False)
    _key: np.ndarray | None = field(default=None, repr=False)
    _dense_index: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_sets(self) -> int:
        return len(self.names)

    def genotype_letters(self) -> np.ndarray:
        """(U * L,) uint8: every listed genotype as ASCII text, genotype ``u`` at
        ``[u * L:(u + 1) * L]`` (computed once)."""
        if self._letters is None:
            space = self.mutants.space
            lut = np.frombuffer(space.alphabet.encode("ascii"), np.uint8)
            self._letters = lut[space.unrank(self.universe)].ravel()
        return self._letters

    def strings(self, index) -> list:
        """The genotypes of universe indices ``index`` as strings."""
        L = self.mutants.space.L
        raw = self.genotype_letters().reshape(-1, L)[np.asarray(index, np.int64)]
        text = raw.tobytes().decode("ascii")
        return [text[i * L:(i + 1) * L] for i in range(raw.shape[0])]

    def string_key(self) -> np.ndarray:
        """(U,) int64: a key that sorts the listed genotypes as their strings sort."""
        if self._key is None:
            space = self.mutants.space
            order = np.argsort(np.frombuffer(space.alphabet.encode("ascii"), np.uint8), kind="stable")
            place = np.empty(space.K, np.int64)
            place[order] = np.arange(space.K)
            key = np.zeros(self.universe.size, np.int64)
            raw = self.genotype_letters().reshape(-1, space.L)
            lut = np.zeros(256, np.int64)
            lut[np.frombuffer(space.alphabet.encode("ascii"), np.uint8)] = place
            for pos in range(space.L):
                key *= space.K
                key += lut[raw[:, pos]]
            self._key = key
        return self._key

    def universe_index(self, ranks) -> np.ndarray:
        """Universe index of each rank (``-1``: not a listed genotype, or a rank < 0)."""
        x = np.asarray(ranks)
        ok = x >= 0
        out = np.full(x.shape, -1, np.int64)
        if self._dense_index is not None:
            out[ok] = self._dense_index[x[ok]]
        else:
            xv = x[ok]
            p = np.searchsorted(self.universe, xv)
            p[p >= self.universe.size] = self.universe.size - 1
            out[ok] = np.where(self.universe[p] == xv, p, -1)
        return out


def genotype_sets(tm: TableMap, *, include_indels: bool = False,
                  use_all_components: bool = False) -> GenotypeSets:
    """Build every set's genotype network and dominant network, the mutant
    table and the exterior counts the set-level measures need."""
    space = tm.space
    names = list(tm.set_names)
    set_ranks = [space.rank(tm.set_array(k)) for k in names]
    universe = uniq(np.concatenate(set_ranks))
    sets = GenotypeSets(table=tm, names=names, use_all_components=use_all_components,
                        mutants=Mutants(space, include_indels), universe=universe)
    if space.size <= 1 << 24:        # dense rank -> universe index table
        sets._dense_index = np.full(space.size, -1, np.int32)
        sets._dense_index[universe] = np.arange(universe.size, dtype=np.int32)
    sets.in_set = np.zeros((universe.size, len(names)), bool)
    sets.in_dominant = np.zeros((universe.size, len(names)), bool)
    sets.exterior_size = np.zeros(len(names), np.int64)
    for si, (k, ranks) in enumerate(zip(names, set_ranks)):
        _add_network(sets, si, k, ranks)
    _exteriors(sets)
    if sets.n_sets >= 2:
        member = sets.in_dominant.astype(np.int64)
        sets.overlap = member.T @ member
    return sets


def _add_network(sets: GenotypeSets, si: int, name: str, ranks: np.ndarray):
    """Set ``si``'s network (edges: one mutation apart), components, dominant
    network and exterior (``|ext(G_s)|`` and the listed genotypes in it)."""
    vid = sets.universe_index(ranks)
    space = sets.mutants.space
    fast = not sets.mutants.indels and sets._dense_index is not None
    if fast:      # point mutations on a dense rank table: one kernel, no (n, m) rank table
        mutant_ranks = None
        mutant_index = kernels.point_mutant_index(ranks, space.L, space.K, sets._dense_index)
    else:
        mutant_ranks = sets.mutants.all(ranks)               # n, m (-1: duplicate)
        mutant_index = sets.universe_index(mutant_ranks)     # -1: unlisted
    indptr, indices, label, sizes = kernels.network(mutant_index, vid, sets.universe.size)
    scores = sets.table.set_scores[name]
    net = Graph(name, vid, indptr, indices)
    net.vattrs["escores"] = scores
    sets.in_set[vid, si] = True
    if sizes.size > 1:
        keep = np.flatnonzero(label == int(np.argmax(sizes)))
        dp, dx = kernels.component_subgraph(indptr, indices, keep)
        dom = Graph(name + "_dominant", vid[keep], dp, dx)
        dom.vattrs["escores"] = scores[keep]
        mutant_ranks = None if fast else mutant_ranks[keep]
    else:
        dom, keep = net, np.arange(vid.size)
    sets.in_dominant[dom.vid, si] = True
    sets.networks.append(net)
    sets.dominant.append(dom)
    sets.dominant_rows.append(keep)
    sets.component_sizes.append(sizes)
    if fast:                                                 # of the dominant network's genotypes
        sets.n_mutants.append(np.full(keep.size, space.L * (space.K - 1), np.int64))
    else:
        sets.n_mutants.append((mutant_ranks >= 0).sum(1))
    sets.mutant_index.append(mutant_index.astype(np.int32, copy=False)
                             if sets.universe.size < 2 ** 31 else mutant_index)
    # |ext(G_s)|: distinct mutants of the dominant network (listed or not) outside it
    index = sets.mutant_index[si][keep]
    listed = uniq(index[index >= 0])
    inside = sets.in_dominant[listed, si]
    if fast:
        n_mutants = kernels.count_point_mutants(ranks[keep], space.L, space.K, space.size)
    elif space.size <= 1 << 24:
        n_mutants = kernels.count_distinct(mutant_ranks.ravel(), space.size)
    else:
        n_mutants = uniq(mutant_ranks[mutant_ranks >= 0]).size
    sets.exterior_size[si] = n_mutants - int(inside.sum())
    sets.exterior_listed.append(listed[~inside])


def _exteriors(sets: GenotypeSets):
    """``|ext(G_t) & G_a|`` from the listed genotypes of each exterior."""
    S = sets.n_sets
    hits = np.zeros((S, S), np.int64)
    for si in range(S):
        hits[si] = sets.in_dominant[sets.exterior_listed[si]].sum(0)
    sets.exterior_hits = hits
