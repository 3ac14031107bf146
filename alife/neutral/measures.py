"""Measures of neutral networks: robustness, evolvability, size, shape, frequency.

Notation: ``N(g)`` is the set of one-mutant neighbours of ``g`` (all
``L (K - 1)`` substitutions of a discrete space; the ``L m`` sampled
resamples of a continuous one), ``P(g)`` its phenotype, ``G_p`` the genotypes
of phenotype ``p`` (the whole neutral set, or one genotype network when a
measure is taken per component).

Undefined neighbours (phenotype ``-1``) are **never a phenotype**: they are
not counted in any evolvability (``e``, ``E``, Cowperthwaite's) nor in the
transition matrix's phenotype columns (they get their own
``undefined_fraction``).  For robustness they count as **non-neutral**: the
denominator of ``r(g)`` is always the whole neighbourhood ``|N(g)|``, so a
genotype surrounded by undefined mutants has ``r = 0``, as a mutation to an
undefined (unfolded, dead) phenotype destroys the phenotype.  Undefined
genotypes themselves have no network: their ``r`` is NaN and ``e`` is -1.

Sampled networks (:class:`~alife.neutral.sampling.SampledNetwork`) give
*estimates* from what was evaluated: ``r``/``e`` are exact for every expanded
node of a discrete space (its whole neighbourhood was evaluated) and Monte
Carlo estimates for a continuous one; ``R`` is the mean over expanded nodes
(BFS order, so biased towards the seeds' neighbourhood unless the search is
complete); ``E`` and Cowperthwaite's evolvability count only the boundary
seen, so they are lower bounds / plug-in estimates that become exact when the
search is complete (discrete).
"""
from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
from scipy import sparse, stats
from scipy.sparse import csgraph

from .enumeration import ExhaustiveNetworks
from .sampling import SampledNetwork

__all__ = ["genotype_robustness", "genotype_evolvability", "PhenotypeMeasures",
           "phenotype_measures", "ComponentMeasures", "component_measures", "SampledMeasures",
           "sampled_measures", "cowperthwaite_evolvability", "transition_matrix",
           "sampled_transitions", "distance_stats", "robustness_frequency",
           "wagner_correlations", "spearman"]


# ----------------------------------------------------------------------------
# Genotype level (Wagner 2008)
# ----------------------------------------------------------------------------

def genotype_robustness(nets: ExhaustiveNetworks) -> np.ndarray:
    """Genotype robustness of every genotype (Wagner 2008, Proc. R. Soc. B 275:91).

    ``r(g) = |{g' in N(g) : P(g') = P(g)}| / |N(g)|``, with
    ``|N(g)| = L (K - 1)``; undefined neighbours count as non-neutral.

    Returns
    -------
    (K**L,) float64 indexed by rank, NaN for undefined genotypes.
    """
    neu, _ = nets.genotype_stats()
    r = neu / float(nets.space.n_neighbours)
    r[neu < 0] = np.nan
    return r


def genotype_evolvability(nets: ExhaustiveNetworks) -> np.ndarray:
    """Genotype evolvability of every genotype (Wagner 2008).

    ``e(g) = |{P(g') : g' in N(g), P(g') != P(g), P(g') != -1}|``, the number
    of distinct other (defined) phenotypes one mutation away.

    Returns
    -------
    (K**L,) int64 indexed by rank, -1 for undefined genotypes.
    """
    _, ev = nets.genotype_stats()
    return ev.astype(np.int64)


def cowperthwaite_evolvability(counts) -> float:
    """Cowperthwaite's phenotype evolvability from mutation counts.

    Cowperthwaite, Economo & Meyers (2008), "The ascent of the abundant: how
    mutational networks constrain evolution", PLoS Comput Biol 4:e1000110.
    With ``nu_pq`` the number of point mutations leading from a genotype of
    ``p`` to one of phenotype ``q != p``, the evolvability of ``p`` is the
    Simpson diversity of those non-neutral mutations::

        E_C(p) = 1 - sum_{q != p} (nu_pq / sum_{q' != p} nu_pq')^2

    the probability that two random non-neutral mutations of ``p`` lead to
    different phenotypes (0 when all lead to one phenotype, close to 1 when
    they spread evenly over many).  The same formula is used as
    ``evolvability_cowperthwaite`` by the C++ genotype-network walker in the
    GP-map literature (``cwalker``: ``1 - sum_f`` with
    ``f = transitions[q] / sum_nu``); undefined neighbours are excluded here
    (its ``_nond`` variant).

    Parameters
    ----------
    counts : array of ``nu_pq`` over the other defined phenotypes ``q``

    Returns
    -------
    float, NaN when there is no non-neutral defined mutation.
    """
    c = np.asarray(counts, dtype=np.float64)
    c = c[c > 0]
    if c.size == 0:
        return float("nan")
    f = c / c.sum()
    return float(1.0 - (f * f).sum())


# ----------------------------------------------------------------------------
# Phenotype and component level
# ----------------------------------------------------------------------------

@dataclass(eq=False)
class PhenotypeMeasures:
    """Per-phenotype measures of an exhaustively enumerated space (arrays of length P).

    Attributes
    ----------
    phenotype : int64 ids (ascending)
    size : int64, ``|G_p|``, genotypes with phenotype p
    frequency : float64, ``f_p = |G_p| / K^L`` (the whole space, undefined included)
    n_components : int64, genotype networks of p
    largest_component : int64, size of the largest of them
    robustness : float64, ``R(p)`` = mean ``r(g)`` over ``G_p``
    evolvability : int64, ``E(p)`` = distinct other defined phenotypes in ``N(G_p)``
    evolvability_cowperthwaite : float64, :func:`cowperthwaite_evolvability` of p
    undefined_fraction : float64, fraction of p's one-mutants that are undefined
    """

    phenotype: np.ndarray
    size: np.ndarray
    frequency: np.ndarray
    n_components: np.ndarray
    largest_component: np.ndarray
    robustness: np.ndarray
    evolvability: np.ndarray
    evolvability_cowperthwaite: np.ndarray
    undefined_fraction: np.ndarray

    def row(self, pid: int) -> dict:
        """The measures of phenotype ``pid`` as a dict."""
        i = int(np.searchsorted(self.phenotype, pid))
        if i >= self.phenotype.size or self.phenotype[i] != pid:
            raise KeyError(f"no phenotype {pid}")
        return {k: getattr(self, k)[i].item() for k in self.__dataclass_fields__}


def phenotype_measures(nets: ExhaustiveNetworks) -> PhenotypeMeasures:
    """Wagner's phenotype measures over each whole neutral set, plus size,
    frequency, components and Cowperthwaite's evolvability.

    Wagner (2008, Proc. R. Soc. B 275:91):
    ``R(p) = (1/|G_p|) sum_{g in G_p} r(g)`` and
    ``E(p) = |{P(g') : g' in N(G_p), P(g') != p, P(g') != -1}|``.
    Since every ``g`` has ``|N(g)| = L(K-1)`` neighbours,
    ``R(p) = n_neutral(p) / (|G_p| L (K-1))`` with ``n_neutral(p)`` the
    neutral (ordered) mutations out of ``G_p``.

    Cost: one Numba pass over all ``K^L L (K-1)`` mutations (cached on ``nets``).
    """
    n_neu, n_und, n_oth, n_dist, simpson, _, _, _ = nets.group_stats("phenotype", pairs=False)
    size = nets.phenotype_sizes
    n_nb = nets.space.n_neighbours
    with np.errstate(invalid="ignore", divide="ignore"):
        R = n_neu / (size * float(n_nb))
        und = n_und / (size * float(n_nb))
    ncomp = np.bincount(nets.phenotype_index[nets.component_root], minlength=nets.n_phenotypes)
    largest = np.zeros(nets.n_phenotypes, np.int64)
    np.maximum.at(largest, nets.phenotype_index[nets.component_root], nets.component_sizes)
    return PhenotypeMeasures(
        phenotype=nets.phenotype_ids.copy(), size=size.copy(),
        frequency=size / float(nets.n_genotypes), n_components=ncomp.astype(np.int64),
        largest_component=largest, robustness=R, evolvability=n_dist.astype(np.int64),
        evolvability_cowperthwaite=simpson.copy(), undefined_fraction=und)


@dataclass(eq=False)
class ComponentMeasures:
    """Per-component (genotype network) measures (arrays of length C).

    Attributes
    ----------
    component : int64 labels (0..C-1, numbered by smallest rank)
    phenotype : int64, the component's phenotype id
    size : int64, genotypes in the component
    robustness : float64, Wagner's R over the component
    evolvability : int64, Wagner's E over the component's 1-neighbourhood
    evolvability_cowperthwaite : float64, Cowperthwaite's E_C over it
    undefined_fraction : float64, fraction of its one-mutants that are undefined
    """

    component: np.ndarray
    phenotype: np.ndarray
    size: np.ndarray
    robustness: np.ndarray
    evolvability: np.ndarray
    evolvability_cowperthwaite: np.ndarray
    undefined_fraction: np.ndarray


def component_measures(nets: ExhaustiveNetworks) -> ComponentMeasures:
    """Wagner's R and E (and Cowperthwaite's E_C) for each genotype network
    ``G`` separately: ``R(G) = mean_{g in G} r(g)``,
    ``E(G) = |{P(g') : g' in N(G), P(g') != p, P(g') != -1}|`` (Wagner 2008
    defines both on the genotype network; :func:`phenotype_measures` takes
    them over the union of a phenotype's networks)."""
    n_neu, n_und, _, n_dist, simpson, _, _, _ = nets.group_stats("component")
    denom = nets.component_sizes * float(nets.space.n_neighbours)
    with np.errstate(invalid="ignore", divide="ignore"):
        R = n_neu / denom
        und = n_und / denom
    return ComponentMeasures(
        component=np.arange(nets.n_components, dtype=np.int64),
        phenotype=nets.component_phenotype.copy(), size=nets.component_sizes.copy(),
        robustness=R, evolvability=n_dist.astype(np.int64),
        evolvability_cowperthwaite=simpson.copy(), undefined_fraction=und)


def transition_matrix(nets: ExhaustiveNetworks):
    """Phenotype transition matrix ``M[p, q]``: the fraction of one-mutants of
    genotypes with phenotype ``p`` that have phenotype ``q``.

    ``M[p, q] = nu_pq / (|G_p| L (K - 1))`` where ``nu_pq`` counts the
    mutations from ``G_p`` into phenotype ``q``; the diagonal is ``R(p)``.
    Each row plus ``undefined_fraction[p]`` sums to 1.

    Returns
    -------
    phenotype_ids : (P,) int64, row/column order
    M : (P, P) scipy.sparse.csr_matrix, float64
    undefined_fraction : (P,) float64
    """
    n_neu, n_und, _, _, _, pg, pq, pc = nets.group_stats("phenotype")
    P = nets.n_phenotypes
    denom = nets.phenotype_sizes * float(nets.space.n_neighbours)
    rows = np.concatenate([pg, np.arange(P)])
    cols = np.concatenate([pq, np.arange(P)])
    vals = np.concatenate([pc, n_neu]).astype(np.float64) / denom[rows]
    M = sparse.csr_matrix((vals, (rows, cols)), shape=(P, P))
    M.eliminate_zeros()
    return nets.phenotype_ids.copy(), M, n_und / denom


# ----------------------------------------------------------------------------
# Sampled networks
# ----------------------------------------------------------------------------

@dataclass(eq=False)
class SampledMeasures:
    """Estimates of Wagner's and Cowperthwaite's measures from a BFS sample.

    Attributes
    ----------
    phenotype : int
    size : int, nodes found (a lower bound on ``|G|`` unless ``complete``)
    n_expanded : int, nodes whose whole neighbourhood was evaluated
    robustness : float, ``R_hat`` = mean ``r(g)`` over expanded nodes
    evolvability : int, ``E_hat`` = distinct defined phenotypes on the recorded boundary
    evolvability_cowperthwaite : float, E_C of the boundary mutation counts
    undefined_fraction : float, undefined among evaluated one-mutants of expanded nodes
    genotype_robustness : (n,) float64, r(g) per node (NaN if not expanded)
    genotype_evolvability : (n,) int64, e(g) per node (-1 if not expanded)
    complete : bool, the search found the whole network (discrete: all exact)
    """

    phenotype: int
    size: int
    n_expanded: int
    robustness: float
    evolvability: int
    evolvability_cowperthwaite: float
    undefined_fraction: float
    genotype_robustness: np.ndarray
    genotype_evolvability: np.ndarray
    complete: bool


def sampled_measures(net: SampledNetwork) -> SampledMeasures:
    """Wagner's measures estimated from a :class:`SampledNetwork`.

    ``r_hat(g) = n_neutral(g) / n_evaluated(g)`` per expanded node,
    ``R_hat = mean r_hat(g)`` over expanded nodes,
    ``E_hat = |{q : q on the boundary, q != -1}|``, ``E_C`` from the boundary
    counts ``nu_q``.  For a complete search of a discrete space these equal
    the exact per-component values of :func:`component_measures` (for the
    union of the seeds' components when seeds lie in several).
    """
    ex = net.expanded
    r = net.robustness
    bq = net.boundary_phenotype
    defined = bq[bq >= 0]
    _, counts = np.unique(defined, return_counts=True)
    n_eval = int(net.n_neighbours[ex].sum())
    return SampledMeasures(
        phenotype=int(net.phenotype), size=net.n_nodes, n_expanded=int(ex.sum()),
        robustness=float(r[ex].mean()) if ex.any() else float("nan"),
        evolvability=int(counts.size), evolvability_cowperthwaite=cowperthwaite_evolvability(counts),
        undefined_fraction=(float(net.n_undefined[ex].sum()) / n_eval) if n_eval else float("nan"),
        genotype_robustness=r, genotype_evolvability=net.evolvability.copy(),
        complete=bool(net.complete))


def sampled_transitions(net: SampledNetwork) -> dict:
    """Estimated transition row of the sampled phenotype: ``{q: fraction}``
    over all one-mutants evaluated from expanded nodes (``q = p`` is the
    neutral fraction, ``q = -1`` the undefined one)."""
    n_eval = int(net.n_neighbours[net.expanded].sum())
    if n_eval == 0:
        return {}
    out = {int(net.phenotype): float(net.n_neutral[net.expanded].sum()) / n_eval}
    q, c = np.unique(net.boundary_phenotype, return_counts=True)
    out.update({int(a): float(b) / n_eval for a, b in zip(q, c)})
    return out


# ----------------------------------------------------------------------------
# Shape: size, components, diameter, path lengths
# ----------------------------------------------------------------------------

def _as_csr(graph) -> sparse.csr_matrix:
    if isinstance(graph, nx.Graph):
        return nx.to_scipy_sparse_array(graph, format="csr", dtype=np.int8).astype(np.int8)
    if sparse.issparse(graph):
        return sparse.csr_matrix(graph)
    raise TypeError("graph must be a networkx Graph or a scipy sparse adjacency matrix")


def distance_stats(graph, *, exact_max_nodes: int = 3000, n_sources: int = 64,
                   rng: np.random.Generator | None = None) -> dict:
    """Size, components, diameter and mean shortest-path length of a network.

    Distances are taken within connected components (pairs in different
    components are not counted): the diameter is the largest finite
    shortest-path distance, the mean is over ordered pairs of distinct nodes
    in the same component.

    Exact (BFS from every node, ``scipy.sparse.csgraph.shortest_path``,
    ``O(n m)``) for ``n <= exact_max_nodes``.  Beyond, BFS from
    ``n_sources`` uniformly random sources (``rng``): the mean path length is
    the mean over the sampled sources' finite distances (unbiased for the
    pair mean), and the diameter is a lower bound — the largest eccentricity
    seen, improved by a second sweep from the farthest node found (the
    classic double-sweep heuristic).

    Parameters
    ----------
    graph : networkx Graph or (n, n) scipy sparse adjacency
    exact_max_nodes : int
    n_sources : int, BFS sources when sampling
    rng : numpy Generator (sampling only)

    Returns
    -------
    dict: ``n_nodes``, ``n_edges``, ``n_components``, ``largest_component``,
    ``diameter``, ``mean_path_length`` (NaN when no pair is connected),
    ``exact`` (bool), ``n_sources``.
    """
    A = _as_csr(graph)
    n = A.shape[0]
    out = {"n_nodes": int(n), "n_edges": int(sparse.triu(A, k=1).nnz)}
    if n == 0:
        return out | {"n_components": 0, "largest_component": 0, "diameter": 0,
                      "mean_path_length": float("nan"), "exact": True, "n_sources": 0}
    ncomp, lab = csgraph.connected_components(A, directed=False)
    out["n_components"] = int(ncomp)
    out["largest_component"] = int(np.bincount(lab).max())
    if n <= exact_max_nodes:
        D = csgraph.shortest_path(A, directed=False, unweighted=True)
        exact, src = True, n
    else:
        if rng is None:
            raise ValueError(f"{n} nodes exceeds exact_max_nodes={exact_max_nodes}: pass rng to sample sources")
        src = min(n_sources, n)
        s = rng.choice(n, size=src, replace=False)
        D = csgraph.shortest_path(A, directed=False, unweighted=True, indices=s)
        exact = False
    fin = np.isfinite(D) & (D > 0)
    diam = int(D[fin].max()) if fin.any() else 0
    if not exact and fin.any():
        far = np.unravel_index(np.argmax(np.where(fin, D, -1)), D.shape)[1]
        d2 = csgraph.shortest_path(A, directed=False, unweighted=True, indices=[far])
        f2 = np.isfinite(d2)
        diam = max(diam, int(d2[f2].max()))
    mean = float(D[fin].mean()) if fin.any() else float("nan")
    return out | {"diameter": diam, "mean_path_length": mean, "exact": exact, "n_sources": int(src)}


# ----------------------------------------------------------------------------
# Frequency, correlations
# ----------------------------------------------------------------------------

def spearman(x, y) -> tuple[float, float, int]:
    """Spearman's rank correlation ``(rho, p-value, n)`` over pairs where both
    are finite; ``(nan, nan, n)`` when fewer than 3 pairs or a constant side
    (where the coefficient is undefined)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan"), float("nan"), n
    res = stats.spearmanr(x, y)
    return float(res.statistic), float(res.pvalue), n


def robustness_frequency(robustness, frequency) -> dict:
    """How phenotype robustness grows with phenotype frequency.

    For RNA (Greenbury, Schaper, Ahnert & Louis 2016, PLoS Comput Biol
    12:e1004773) ``R(p)`` grows
    roughly linearly in ``log f_p`` and far exceeds the null expectation: in a
    random (uncorrelated) map a mutant of a ``p`` genotype has phenotype ``p``
    with probability ``f_p``, so ``R(p) = rho_p`` would equal ``f_p``.  The
    ratio ``rho_p / f_p`` (with ``rho_p = R(p)``) measures the excess.

    Parameters
    ----------
    robustness : (P,) R(p)
    frequency : (P,) f_p (> 0)

    Returns
    -------
    dict: ``slope``, ``intercept`` (least squares ``R = slope log10 f + intercept``),
    ``spearman_rho``, ``spearman_p``, ``n`` (phenotypes used: finite R, f > 0),
    ``ratio`` ((P,) ``R / f``, NaN where f = 0).
    """
    R = np.asarray(robustness, np.float64)
    f = np.asarray(frequency, np.float64)
    if R.shape != f.shape:
        raise ValueError("robustness and frequency must have the same shape")
    ok = np.isfinite(R) & (f > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(f > 0, R / np.where(f > 0, f, 1.0), np.nan)
    lf = np.log10(f[ok])
    if ok.sum() >= 2 and not np.all(lf == lf[0]):
        slope, intercept = np.polyfit(lf, R[ok], 1)
    else:
        slope = intercept = float("nan")
    rho, pval, n = spearman(lf, R[ok])
    return {"slope": float(slope), "intercept": float(intercept), "spearman_rho": rho,
            "spearman_p": pval, "n": n, "ratio": ratio}


def wagner_correlations(nets: ExhaustiveNetworks, *, max_genotypes: int | None = 1_000_000,
                        rng: np.random.Generator | None = None) -> dict:
    """Wagner's (2008) two correlations.

    * genotype level: Spearman ``r(g)`` vs ``e(g)`` across defined genotypes
      (negative in RNA: robust genotypes have few alternative phenotypes
      nearby);
    * phenotype level: Spearman ``R(p)`` vs ``E(p)`` across phenotypes
      (positive in RNA: robust phenotypes have large networks whose
      neighbourhoods reach many phenotypes).

    Parameters
    ----------
    nets : ExhaustiveNetworks
    max_genotypes : int or None, use a uniform random subset of this many
        defined genotypes for the genotype-level rank correlation (``rng``
        required then); None = all
    rng : numpy Generator

    Returns
    -------
    dict: ``genotype_rho``, ``genotype_p``, ``genotype_n``, ``phenotype_rho``,
    ``phenotype_p``, ``phenotype_n``.
    """
    r = genotype_robustness(nets)
    e = genotype_evolvability(nets).astype(np.float64)
    idx = np.flatnonzero(nets.phenotype >= 0)
    if max_genotypes is not None and idx.size > max_genotypes:
        if rng is None:
            raise ValueError("subsampling genotypes needs rng")
        idx = np.sort(rng.choice(idx, size=max_genotypes, replace=False))
    grho, gp, gn = spearman(r[idx], e[idx])
    pm = phenotype_measures(nets)
    prho, pp, pn = spearman(pm.robustness, pm.evolvability)
    return {"genotype_rho": grho, "genotype_p": gp, "genotype_n": gn,
            "phenotype_rho": prho, "phenotype_p": pp, "phenotype_n": pn}
