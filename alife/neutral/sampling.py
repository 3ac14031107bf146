"""Sampled neutral networks: breadth-first search from seed genotypes.

:func:`sample_bfs` grows the neutral network of a seed's phenotype by
breadth-first search along neutral neighbours, one batched evaluation per
frontier, under node and evaluation budgets, recording the boundary (the
non-neutral one-mutants).  It works on any genotype space: exact
neighbourhoods of a :class:`~alife.gpmap.base.DiscreteSpace`, sampled ones
of a continuous space.  Phenotypes are cached by genotype
(:class:`~alife.gpmap.base.CachedMap`); :func:`alife.neutral.measures.sampled_measures`
turns a :class:`SampledNetwork` into Wagner's measures.
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from alife.gpmap.base import GPMap, as_cached

__all__ = ["SampledNetwork", "sample_bfs"]


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
    cm = as_cached(gpmap)
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
    search = _Search(p, max_nodes)
    for row in np.ascontiguousarray(seeds):
        search.add(row, 0)
    n_nb = space.n_neighbours
    frontier = list(range(len(search.geno)))
    while frontier:
        fit = (max_evaluations - (cm.n_evaluations - ev0)) // n_nb
        if fit <= 0:
            search.truncated = True
            break
        if fit < len(frontier):
            search.truncated = True
            frontier = frontier[:fit]
        f = np.stack([search.geno[i] for i in frontier])
        nbrs = np.ascontiguousarray(_neighbours(space, f, rng))       # (F, n_nb, L)
        q = cm.phenotypes(nbrs.reshape(-1, space.L)).reshape(len(frontier), n_nb)
        frontier = search.expand(frontier, nbrs, q)
    return search.network(space, seeds.dtype, int(cm.n_evaluations - ev0))


class _Search:
    """The state of one BFS: nodes found (genotype, depth), what each expanded
    node's neighbourhood held, neutral edges and boundary mutations."""

    def __init__(self, phenotype: int, max_nodes: int):
        self.phenotype, self.max_nodes = phenotype, max_nodes
        self.index: dict[bytes, int] = {}
        self.geno: list[np.ndarray] = []
        self.depth: list[int] = []
        self.truncated = False
        self.n_nb, self.n_neutral, self.n_undefined, self.n_other = {}, {}, {}, {}
        self.edges: set[tuple[int, int]] = set()
        self.b_node, self.b_geno, self.b_ph = [], [], []

    def add(self, row: np.ndarray, depth: int) -> int | None:
        """Node index of genotype ``row``, adding it unless the node budget is
        spent (then None); ``depth`` is used for a new node only."""
        k = row.tobytes()
        j = self.index.get(k)
        if j is None:
            if len(self.geno) >= self.max_nodes:
                self.truncated = True
                return None
            j = len(self.geno)
            self.index[k] = j
            self.geno.append(row.copy())
            self.depth.append(depth)
        return j

    def expand(self, frontier: list, nbrs: np.ndarray, q: np.ndarray) -> list:
        """Record the evaluated neighbourhoods ``nbrs`` (F, n_nb, L) with
        phenotypes ``q`` (F, n_nb) of the frontier nodes; returns the next frontier."""
        p = self.phenotype
        new_frontier = []
        for a, i in enumerate(frontier):
            qa = q[a]
            neutral = qa == p
            other = qa[~neutral]
            self.n_nb[i] = q.shape[1]
            self.n_neutral[i] = int(neutral.sum())
            self.n_undefined[i] = int((other < 0).sum())
            self.n_other[i] = int(np.unique(other[other >= 0]).size)
            for s in np.flatnonzero(~neutral):
                self.b_node.append(i)
                self.b_geno.append(nbrs[a, s])
                self.b_ph.append(int(qa[s]))
            for s in np.flatnonzero(neutral):
                n_before = len(self.geno)
                j = self.add(nbrs[a, s], self.depth[i] + 1)
                if j is None:
                    continue
                if j == n_before:
                    new_frontier.append(j)
                if i != j:
                    self.edges.add((min(i, j), max(i, j)))
        return new_frontier

    def network(self, space, dtype, n_evaluations: int) -> SampledNetwork:
        n = len(self.geno)
        expanded = np.zeros(n, bool)
        expanded[list(self.n_nb)] = True

        def arr(d, default):
            out = np.full(n, default, np.int64)
            if d:
                out[list(d)] = list(d.values())
            return out
        return SampledNetwork(
            space=space, phenotype=self.phenotype, genotypes=np.stack(self.geno),
            depth=np.asarray(self.depth, np.int64), expanded=expanded,
            n_neighbours=arr(self.n_nb, 0), n_neutral=arr(self.n_neutral, -1),
            n_undefined=arr(self.n_undefined, -1), evolvability=arr(self.n_other, -1),
            edges=np.array(sorted(self.edges), np.int64).reshape(-1, 2),
            boundary_node=np.asarray(self.b_node, np.int64),
            boundary_genotypes=(np.stack(self.b_geno) if self.b_geno
                                else np.zeros((0, space.L), dtype)),
            boundary_phenotype=np.asarray(self.b_ph, np.int64),
            complete=bool(not self.truncated and expanded.all()),
            n_evaluations=n_evaluations)
