"""genonets-compatible genotype-network analysis (drop-in for genonets 2.0).

:func:`run_genonets` reads a genonets input file (see
:mod:`alife.gpmap.table`), builds one genotype network per genotype set and
writes the result files genonets 2.0 writes (``python -m
genonets.sample.minimal --alphabet A --tau T --input-file F --output-path D``)
with the same names, columns, order and number formatting:

* ``in_params.tsv``: the run parameters, ``key: value`` lines sorted by key;
* ``<set>.gml`` (every set) and ``<set>_dominant.gml`` (sets with more than
  one connected component): the genotype networks, in igraph's GML dialect;
* ``Genotype_set_measures.tsv``: one row per set (network-level measures);
* ``<set>_genotype_measures.tsv``: one row per genotype of the set's dominant
  network, sorted by genotype;
* ``Genotype_set_overlap.tsv``: genotypes shared between dominant networks;
* ``phenotype_network.gml``: the directed phenotype network.

Set names become file names unchanged (as in genonets), so a set name must
be a plain file name: one with a path separator (``/``, ``\\``), a NUL
character or more than 233 bytes is refused with a one-line error before
anything is computed, and so is an input whose result files would clash (a
set called ``phenotype_network``, or ``X_dominant`` beside a set ``X`` of
several components).  Every file is created inside the output folder,
never through a symbolic link.  A non-empty output folder is refused
unless ``force``.  The input is read with the caps of
:mod:`alife.gpmap.table` (a gzip bomb is refused after a megabyte), and an
analysis whose memory estimate is over the limit of
:mod:`alife.config.limits` (:func:`check_analysis_size`) is refused before
it starts.

:func:`analyse` builds the object every measure shares, :class:`GenotypeSets`
(each set's genotype network and dominant network, every genotype's mutants),
then calls one function per measure in genonets' order: :func:`peaks`,
:func:`accessible_paths`, :func:`epistasis`, :func:`robustness`,
:func:`evolvability` and :func:`interface_edges` (over
:func:`evolvability_targets`), :func:`accessibility`,
:func:`neighbor_abundance`, :func:`diversity_index`,
:func:`component_structure`, :func:`dominant_structure` and :func:`overlap`.

genonets' command-line flags and their ``run_genonets`` counterparts:
``--input-file F`` -> ``input_path``, ``--output-path D`` -> ``out_dir``,
``--alphabet {RNA,DNA,Protein,Binary}`` -> ``alphabet``, ``--tau X`` -> ``tau``,
``--include-indels`` -> ``include_indels``, ``--use-all-components`` ->
``use_all_components``; ``-np/--num-processes`` and ``-v/--verbose`` do not
change results (genonets' minimal script runs serially).  Not supported:
``-rc/--use-reverse-complements``, ``--store-epistasis-squares``, the genetic
code options (``--genetic-code-file``, ``--codon-alphabet``,
``--include-indels-for-codons``, ``--use-rc-for-codons``) and ``-c/--config-file``.

Everything is computed as genonets' *code* computes it (not as its papers or
docs describe it).  Notation: ``G`` is a set's dominant network (giant
component: the first largest in igraph's component order, i.e. the component
of the lowest-numbered vertex among the largest), ``N(g)`` the neighbours of
``g`` in its network, ``M(g)`` the set of all mutants of ``g`` (point
mutations, plus with ``include_indels`` the "shift" mutants ``g[1:] + x`` and
``x + g[:-1]``, minus ``g`` itself), ``ext(G) = U_{g in G} M(g) \\ G``, ``S``
the number of genotype sets.

* Robustness of ``g``: ``|N(g)| / |M(g)|``; of a set: numpy mean over ``G``.
* Evolvability of ``g``: ``|T(g)| / (S - 1)`` where ``T(g)`` are the other sets
  whose *dominant network* contains a genotype of ``M(g) \\ N(g)`` (with
  ``use_all_components``: ``g`` ranges over the whole network and targets are
  whole sets); of a set: ``|U_g T(g)| / (S - 1)``.  ``Interface_edges``
  counts, per target set, the (genotype, target genotype) pairs by mutation
  type (``"XY"`` for a point mutation X->Y, ``"indel"`` for a shift).
* Accessibility of set A: ``sum_{T != A} |ext(G_T) & G_A| / |ext(G_T)|``.
* Neighbor abundance of A: ``sum_{T != A} |ext(G_A) & G_T| / |ext(G_A)| * |G_T|``.
* Diversity index of A: ``sum_{T != A} (|ext(G_A) & G_T| / |ext(G_A)|)**2``
  (the code's sum of squared fractions, *not* the ``1 - sum p**2`` Gini-Simpson
  index of the documentation).
* Structure: component sizes (igraph order), edge density ``2m / (n(n-1))``,
  igraph's average local clustering (vertices of degree < 2 left out),
  degree assortativity, coreness and local clustering (NaN for degree < 2).
* Overlap: ``|G_A & G_B|``; ``Ratio_of_overlapping_genotype_sets`` =
  (sets sharing a genotype with ``G_A``) / ``(S - 1)``.
* Peaks, paths (summits = all genotypes of maximal score; shortest paths and
  the counts of accessible/inaccessible shortest paths, shortest accessible
  paths) and epistasis (squares of the dominant network, classified with the
  set's delta), following ``PeakAnalyzer``, ``PathAnalyzer`` and
  ``EpistasisAnalyzer`` step by step.

Differences between genonets' code and its documentation
(``docs/source/concepts_and_terminology.rst`` and ``result_attributes.rst``
of genonets 2.0); we follow the code:

1. Diversity index: documented as ``1 - sum_T p_T**2``; the code returns
   ``sum_T p_T**2``.
2. Neighbor abundance: documented as ``sum_T p_T * |S|`` (size of the focal
   set); the code multiplies by ``|G_T|``, the size of the *target's* dominant
   network.
3. Evolvability (genotype and set level) and ``Ratio_of_overlapping_genotype_sets``:
   documented as divided by the total number of genotype sets; the code divides
   by ``S - 1``.  By default only genotypes in a target set's *dominant*
   network count as evolvability targets, and the phenotype network's edge
   weight (undocumented) is the number of distinct target genotypes.
4. Paths: documented as "all accessible mutational paths from each genotype to
   the summit"; the code counts only *shortest* paths (BFS from all summits),
   a path being accessible while each next genotype's score is <= the lowest
   score met so far + delta; ``Ratio_of_accessible_mutational_paths`` covers
   path lengths >= 2 only.  ``Summit`` is documented under Peaks but computed
   by the paths analysis (it is missing when the dominant network has < 2
   genotypes, and then so is its column if that set is the first one).
5. Structure: the documented diameter is never computed (no ``Diameter``
   column); ``Edge_density`` and ``Assortativity`` are of the dominant network;
   coreness is an int; the genotype-level file is
   ``<set>_genotype_measures.tsv`` (documented ``<set>_set_measures.tsv``).
   Robustness divides by the number of *distinct* mutants (with indels a
   shift mutant equal to a point mutant or to the genotype counts once).

Other behaviour of genonets 2.0 worth knowing, and where we differ from it:

6. The ``Peaks`` lists and the per-genotype ``Evolvability_targets`` dicts are
   written by genonets in Python ``set``/hash order, which changes from run to
   run (string hashing is randomised); we write peak members sorted and target
   sets in input order.  Edges in GML files are likewise in an arbitrary order
   in genonets; we write them sorted.
7. In GML files igraph drops dict- and list-valued attributes, except that a
   graph-level list of strings is written as its ``str`` and an empty list as
   ``0``; NaN values are left out.  We reproduce that.
8. With ``use_all_components`` genonets 2.0 crashes (``KeyError: 'Attribute
   does not exist'``) while building the phenotype network whenever a set has
   more than one component, after all other files are written; we write the
   same files and no ``phenotype_network.gml`` in that case (the returned
   dict's ``"warnings"`` says so).  The same happens (in genonets and here)
   with a single genotype set, where genonets skips evolvability and then
   cannot build the phenotype network.
9. genonets 2.0 crashes (``IndexError`` in ``PathAnalyzer._compute_summits``)
   when every genotype of a dominant network with >= 2 genotypes has the same
   score; we take all of them as summits and carry on.
10. ``use_reverse_complements`` (DNA) is not implemented here: it raises.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alife.gpmap.table import TableMap

from ..config.limits import Term, max_memory, over_memory
from . import _genonets_kernels as kernels
from ._genonets_files import check_planned_files, unsafe_set_name, write_params, write_results
from ._genonets_graphs import Graph, SetLists, TargetDicts, assortativity, csr_rows, shortest_paths, uniq
from ._genonets_sets import GenotypeSets, genotype_sets

__all__ = ["run_genonets", "analyse", "GenotypeSets", "GENONETS_ALPHABETS",
           "check_analysis_size"]

#: genonets' letter order (its bit codes), used for nothing but documentation:
#: results do not depend on the letter codes.
GENONETS_ALPHABETS = {"Binary": "01", "RNA": "AUCG", "DNA": "ATCG",
                      "Protein": "ARNDCEQGHILKMFPSTWYV"}


# ----------------------------------------------------------------------------------------------
# measures: one function per measure, each writing its attributes into the set's graphs
# (attribute insertion order is column order in genonets' files, so the order of calls matters)

def analyse(tm: TableMap, *, include_indels: bool = False,
            use_all_components: bool = False) -> GenotypeSets:
    """Every genonets measure of every genotype set, in genonets' order.

    Returns the :class:`GenotypeSets`; each set's measures are in the
    ``attrs`` (set level) and ``vattrs`` (genotype level) of its
    :attr:`~GenotypeSets.networks` and :attr:`~GenotypeSets.dominant` graphs.
    A genotype-level measure is one value per vertex: an int64 or float64
    array (``Accessible_paths_from`` a list of Python integers where path
    counts exceed int64), or for the list- and dict-valued measures a
    :class:`~alife.neutral._genonets_graphs.SetLists` (``Evolves_to_genotypes_in``,
    ``Overlaps_with_genotypes_in``) or
    :class:`~alife.neutral._genonets_graphs.TargetDicts` (``Evolvability_targets``).
    """
    sets = genotype_sets(tm, include_indels=include_indels,
                         use_all_components=use_all_components)
    for si in range(sets.n_sets):
        if si > 0:
            overlap(sets, si)      # genonets computes the first set's overlap last (below)
        peaks(sets, si)
        if sets.dominant[si].n >= 2:
            accessible_paths(sets, si)
        epistasis(sets, si)
        robustness(sets, si)
        if sets.n_sets >= 2:
            found = evolvability_targets(sets, si)
            evolvability(sets, si, found)
            interface_edges(sets, si, found)
            del found
            accessibility(sets, si)
            neighbor_abundance(sets, si)
            diversity_index(sets, si)
        sets.mutant_index[si] = None       # not needed any more
        component_structure(sets, si)
        dominant_structure(sets, si)
        if si == 0:
            overlap(sets, 0)
    return sets


def _by_score(graph: Graph) -> np.ndarray:
    """Vertices by decreasing score (stable): the order of genonets' peak and epistasis scans."""
    return np.argsort(-graph.vattrs["escores"], kind="stable")


def peaks(sets: GenotypeSets, si: int):
    """``Peaks`` (peak number -> sorted member genotypes) and ``Number_of_peaks``
    of the dominant network: connected plateaus within ``delta`` of their best
    score with no better neighbour (genonets' PeakAnalyzer)."""
    dom = sets.dominant[si]
    score = dom.vattrs["escores"]
    peak_of, n_peaks = kernels.peaks(dom.indptr, dom.indices, _by_score(dom), score,
                                     float(sets.table.deltas[sets.names[si]]))
    v = np.flatnonzero(peak_of >= 0)
    v = v[np.lexsort((sets.string_key()[dom.vid[v]], peak_of[v]))]     # by peak, then genotype
    members = {pk: [] for pk in range(n_peaks)}
    for pk, g in zip(peak_of[v].tolist(), sets.strings(dom.vid[v])):
        members[pk].append(g)
    dom.attrs["Peaks"] = members
    dom.attrs["Number_of_peaks"] = n_peaks


def accessible_paths(sets: GenotypeSets, si: int):
    """``Summit``, ``Ratio_of_accessible_mutational_paths`` and, per genotype,
    ``Accessible_paths_from``, ``Shortest_path_length`` and
    ``Shortest_accessible_path_length`` (genonets' PathAnalyzer; dominant
    networks of >= 2 genotypes)."""
    dom = sets.dominant[si]
    score = dom.vattrs["escores"]
    delta = float(sets.table.deltas[sets.names[si]])
    sources = np.flatnonzero(score == score.max())          # the summits, by genotype
    sources = sources[np.argsort(sets.string_key()[dom.vid[sources]], kind="stable")].astype(np.int64)
    top = sets.strings(dom.vid[sources])
    best = float(score[sources[0]])
    ratio, from_counts, lengths = shortest_paths(dom.indptr, dom.indices, sources, score, best, delta)
    accessible = kernels.accessible_path_lengths(dom.indptr, dom.indices, sources, score, best, delta)
    dom.attrs["Summit"] = top
    dom.attrs["Ratio_of_accessible_mutational_paths"] = ratio
    dom.vattrs["Accessible_paths_from"] = from_counts
    dom.vattrs["Shortest_path_length"] = lengths
    dom.vattrs["Shortest_accessible_path_length"] = accessible


def epistasis(sets: GenotypeSets, si: int):
    """``Number_of_squares`` of the dominant network and the fractions of them
    showing magnitude, simple sign and reciprocal sign epistasis (genonets'
    EpistasisAnalyzer, with the set's delta)."""
    dom = sets.dominant[si]
    args = (dom.indptr, dom.indices, _by_score(dom), dom.vattrs["escores"],
            float(sets.table.deltas[sets.names[si]]))
    if sets.mutants.indels:
        counts = kernels.epistasis_counts(*args)
    else:     # point mutations only: squares from the genotypes two steps away
        counts = kernels.epistasis_counts_point(*args)
    n_squares = int(counts.sum())
    dom.attrs["Number_of_squares"] = n_squares
    for name, kind in (("Magnitude_epistasis", 1), ("Simple_sign_epistasis", 2),
                       ("Reciprocal_sign_epistasis", 3)):
        dom.attrs[name] = float(counts[kind]) / float(n_squares) if n_squares else 0


def robustness(sets: GenotypeSets, si: int):
    """``Robustness`` of each genotype of the dominant network, ``|N(g)| / |M(g)|``
    (distinct mutants), and of the set (their mean)."""
    dom = sets.dominant[si]
    r = dom.degree / sets.n_mutants[si]
    dom.attrs["Robustness"] = np.mean(r)
    dom.vattrs["Robustness"] = r


@dataclass
class _Targets:
    """The mutations of set ``si``'s evolvability graph that land in another set:
    one entry per (vertex, target genotype, target set), in ``np.nonzero`` order."""
    graph: Graph                 # the dominant network (or the whole one with use_all_components)
    vertex: np.ndarray           # vertex of the graph the mutation starts from
    genotype: np.ndarray         # universe index of the mutant
    target_set: np.ndarray       # index of the set it belongs to


def evolvability_targets(sets: GenotypeSets, si: int) -> _Targets:
    """Which other sets each genotype reaches by one mutation: mutants outside
    the set's own (dominant) network that lie in another set's dominant network
    (in another set with ``use_all_components``)."""
    allc = sets.use_all_components
    graph = sets.networks[si] if allc else sets.dominant[si]
    rows = np.arange(graph.n) if allc else sets.dominant_rows[si]
    member = sets.in_set if allc else sets.in_dominant
    index = sets.mutant_index[si][rows]
    genotype = index.ravel().astype(np.int64)
    vertex = np.repeat(np.arange(index.shape[0]), index.shape[1])
    ok = genotype >= 0
    vertex, genotype = vertex[ok], genotype[ok]
    ok = ~member[genotype, si]
    vertex, genotype = vertex[ok], genotype[ok]
    lands = member[genotype].copy()
    lands[:, si] = False
    pair, target_set = np.nonzero(lands)
    return _Targets(graph, vertex[pair], genotype[pair], target_set)


def evolvability(sets: GenotypeSets, si: int, found: _Targets):
    """``Evolvability`` of each genotype (target sets / (S - 1)) and of the set
    (union of target sets / (S - 1)), ``Evolvability_targets`` (set level: the
    sorted names as JSON; genotype level: target set -> target genotypes) and
    ``Evolves_to_genotypes_in``."""
    names, graph, S = sets.names, found.graph, sets.n_sets
    o = np.lexsort((sets.string_key()[found.genotype], found.target_set, found.vertex))
    vertex, target_set, genotype = found.vertex[o], found.target_set[o], found.genotype[o]
    first = np.ones(vertex.size, bool)              # first entry of each (vertex, target set)
    first[1:] = (vertex[1:] != vertex[:-1]) | (target_set[1:] != target_set[:-1])
    pv, ps = vertex[first], target_set[first]
    graph.vattrs["Evolvability"] = np.bincount(pv, minlength=graph.n).astype(np.float64) / float(S - 1)
    reached = sorted({names[t] for t in uniq(found.target_set).tolist()}, key=names.index)
    graph.attrs["Evolvability"] = float(len(reached)) / float(S - 1)
    graph.attrs["Evolvability_targets"] = json.dumps(sorted(reached))
    by_name = np.empty(S, np.int64)
    by_name[sorted(range(S), key=names.__getitem__)] = np.arange(S)
    o = np.lexsort((by_name[ps], pv))
    graph.vattrs["Evolves_to_genotypes_in"] = SetLists(csr_rows(graph.n, pv[o]), ps[o])
    graph.vattrs["Evolvability_targets"] = TargetDicts(csr_rows(graph.n, vertex), target_set, genotype)
    # distinct target genotypes per target set: the phenotype network's edge weights
    pairs = uniq(target_set.astype(np.int64) * sets.universe.size + genotype)
    sets.target_genotypes[si] = np.bincount(pairs // sets.universe.size, minlength=S)


def interface_edges(sets: GenotypeSets, si: int, found: _Targets):
    """``Interface_edges``: per target set, the number of (genotype, target
    genotype) pairs by mutation type, ``"XY"`` for a point mutation X -> Y and
    ``"indel"`` for a shift."""
    names, K = sets.names, sets.mutants.space.K
    letters = sets.mutants.space.alphabet
    stats = {names[t]: {} for t in uniq(found.target_set).tolist()}
    if found.vertex.size:
        source = sets.universe[found.graph.vid[found.vertex]]
        code = sets.mutants.mutation_code(source, sets.universe[found.genotype])
        keys, counts = uniq(found.target_set.astype(np.int64) * (K * K + 1) + code, counts=True)
        for key, n in zip(keys.tolist(), counts.tolist()):
            t, c = divmod(key, K * K + 1)
            kind = "indel" if c == K * K else letters[c // K] + letters[c % K]
            stats[names[t]][kind] = n
    found.graph.attrs["Interface_edges"] = {r: dict(sorted(stats[r].items())) for r in sorted(stats)}


def _exterior_share(sets: GenotypeSets, t: int, a: int):
    """``|ext(G_t) & G_a| / |ext(G_t)|`` (0 when ``ext(G_t)`` is empty)."""
    size = sets.exterior_size[t]
    return float(sets.exterior_hits[t, a]) / float(size) if size else 0


def accessibility(sets: GenotypeSets, si: int):
    """``Accessibility``: ``sum_{t != s} |ext(G_t) & G_s| / |ext(G_t)|``."""
    total = 0
    for t in range(sets.n_sets):
        if t != si:
            total += _exterior_share(sets, t, si)
    sets.dominant[si].attrs["Accessibility"] = total


def neighbor_abundance(sets: GenotypeSets, si: int):
    """``Neighbor_abundance``: ``sum_{t != s} |ext(G_s) & G_t| / |ext(G_s)| * |G_t|``."""
    total = 0
    for t in range(sets.n_sets):
        if t != si:
            total += float(_exterior_share(sets, si, t)) * float(sets.dominant[t].n)
    sets.dominant[si].attrs["Neighbor_abundance"] = total


def diversity_index(sets: GenotypeSets, si: int):
    """``Diversity_index``: ``sum_{t != s} (|ext(G_s) & G_t| / |ext(G_s)|)**2``."""
    total = 0
    for t in range(sets.n_sets):
        if t != si:
            share = _exterior_share(sets, si, t)
            total += share * share
    sets.dominant[si].attrs["Diversity_index"] = total


def component_structure(sets: GenotypeSets, si: int):
    """``Genotype_network_sizes`` (igraph order), ``Number_of_genotype_networks``,
    ``Size_of_dominant_genotype_network`` and its proportion of the set."""
    net, dom, sizes = sets.networks[si], sets.dominant[si], sets.component_sizes[si]
    net.attrs["Genotype_network_sizes"] = str(sizes.tolist())
    net.attrs["Number_of_genotype_networks"] = int(sizes.size)
    net.attrs["Size_of_dominant_genotype_network"] = int(dom.n)
    net.attrs["Proportional_size_of_dominant_genotype_network"] = float(dom.n) / float(net.n)


def dominant_structure(sets: GenotypeSets, si: int):
    """``Edge_density``, average clustering coefficient and ``Assortativity`` of
    the dominant network; ``Coreness`` and ``Clustering_coefficient`` of its
    genotypes (NaN below degree 2, left out of the average)."""
    dom = sets.dominant[si]
    n, m = dom.n, dom.indices.size // 2
    dom.attrs["Edge_density"] = (2.0 * m / (n * (n - 1))) if n > 1 else float("nan")
    deg = dom.degree
    triangles = kernels.triangles(dom.indptr, dom.indices)
    with np.errstate(invalid="ignore", divide="ignore"):
        cc = np.where(deg >= 2, triangles / (deg * (deg - 1) / 2.0), np.nan)
    good = deg >= 2
    dom.attrs["Average_clustering_coefficient_of_dominant_genotype_network"] = \
        float(np.sum(cc[good]) / good.sum()) if good.any() else float("nan")
    dom.attrs["Assortativity"] = assortativity(dom.indptr, dom.indices)
    dom.vattrs["Coreness"] = kernels.coreness(dom.indptr, dom.indices)
    dom.vattrs["Clustering_coefficient"] = cc


def overlap(sets: GenotypeSets, si: int):
    """``Overlapping_genotype_sets`` (sets sharing a genotype with the dominant
    network), ``Ratio_of_overlapping_genotype_sets`` (their number / (S - 1))
    and, per genotype, ``Overlaps_with_genotypes_in``.  Nothing for a single set."""
    if sets.overlap is None:
        return
    names, S, dom = sets.names, sets.n_sets, sets.dominant[si]
    member = sets.in_dominant[dom.vid]
    member[:, si] = False
    rows, cols = np.nonzero(member)
    dom.vattrs["Overlaps_with_genotypes_in"] = SetLists(csr_rows(dom.n, rows), cols.astype(np.int64))
    shared = sorted({names[j] for j in np.flatnonzero(member.any(0))})
    dom.attrs["Overlapping_genotype_sets"] = shared
    dom.attrs["Ratio_of_overlapping_genotype_sets"] = float(len(shared)) / (float(S) - 1)


# ----------------------------------------------------------------------------------------------

def check_analysis_size(tm: TableMap, include_indels: bool = False) -> None:
    """Refuse an input whose analysis would need more memory than the limit
    (:func:`alife.config.limits.max_memory`), before it starts.

    The estimate, for ``n`` genotypes (rows kept) in ``S`` sets, ``U``
    distinct genotypes and ``M`` mutants per genotype: ``n M`` mutant ranks
    and indices (int64, with temporaries), ``U S`` membership flags and
    counts, ``S**2`` overlaps and, per genotype, its measures as Python
    values.

    Raises
    ------
    ValueError
        One line with the sizes, the estimate and how to raise the limit.
    """
    space = tm.space
    n = sum(len(g) for g in tm.set_genotypes.values())
    S = len(tm.set_names)
    M = space.L * (space.K - 1) + (2 * space.K if include_indels else 0)
    terms = [Term(None, n * M * 32.0, f"mutants: {n:,} genotypes x {M} mutants"),
             Term(None, n * S * 10.0, f"membership: {n:,} genotypes x {S:,} sets"),
             Term(None, S * S * 8.0 + n * 720.0, "the measures of every genotype and set")]
    total, limit = sum(t.amount for t in terms), max_memory()
    if total > limit:
        e = over_memory(None, None, total, max(terms, key=lambda t: t.amount), limit,
                        f"the analysis of {n:,} genotypes in {S:,} sets")
        raise ValueError(f"genonets input file {str(tm.path)!r}: {e.reason}")


def run_genonets(input_path, alphabet: str, tau: float, out_dir, *, include_indels: bool = False,
                 use_reverse_complements: bool = False, use_all_components: bool = False,
                 force: bool = False) -> dict:
    """Run the whole genonets 2.0 analysis and write its result files.

    Parameters
    ----------
    input_path : str or Path
        genonets input file (tab-separated ``Genotypeset, Delta, Genotype,
        Score``; ``.gz`` allowed).
    alphabet : {"RNA", "DNA", "Protein", "Binary"}
    tau : float
        Rows with ``Score >= tau`` are kept.
    out_dir : str or Path
        Output directory (created).  A non-empty directory is refused unless
        ``force=True``.
    include_indels : bool
        genonets ``--include-indels``: shift mutations ``g[1:] + x`` and
        ``x + g[:-1]`` are also mutations.
    use_reverse_complements : bool
        genonets ``-rc``; not implemented (raises ``ValueError``).
    use_all_components : bool
        genonets ``--use-all-components``: evolvability over whole networks.
    force : bool
        Allow writing into a non-empty ``out_dir`` (files there with the
        names written are replaced; a symbolic link among them is an error).

    Returns
    -------
    dict
        ``{"sets": [...], "files": [...], "seconds": float, "measures": {set: {attr: value}}}``.
    """
    t0 = time.perf_counter()
    if use_reverse_complements:
        if alphabet != "DNA":
            use_reverse_complements = False  # genonets ignores -rc for other alphabets (with a warning)
        else:
            raise ValueError("use_reverse_complements is not supported by alife's genonets port; "
                             "run without -rc (or use genonets itself)")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output path {str(out)!r} is a file; give a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ValueError(f"output directory {str(out)!r} is not empty; choose another or pass force=True")
    tm = TableMap(input_path, alphabet, tau)
    for name in tm.set_names:
        why = unsafe_set_name(name)
        if why is not None:
            raise ValueError(f"genotype set {name!r}"[:120] + f" of {str(input_path)!r} {why}; "
                             f"rename the set in the input file")
    if (len(tm.set_names) >= 2 and "phenotype_network" in tm.set_names
            and not use_all_components):
        # known from the names alone, so refused before any analysis; the
        # complete check (which needs the components) follows the analysis
        raise ValueError("two result files would both be called 'phenotype_network.gml' (a "
                         "genotype set name clashes with a fixed result file's name); rename "
                         "that genotype set in the input file")
    check_analysis_size(tm, include_indels)
    sets = analyse(tm, include_indels=include_indels, use_all_components=use_all_components)
    check_planned_files(sets)
    out.mkdir(parents=True, exist_ok=True)
    write_params(out, input_path, alphabet, tau, include_indels, use_all_components)
    files = write_results(out, sets)
    warnings = []
    if "phenotype_network.gml" not in files:
        warnings.append("phenotype_network.gml not written: genonets 2.0 fails there too (a single "
                        "genotype set, or use_all_components with a set of several components)")
    return {"sets": tm.set_names, "files": files, "seconds": time.perf_counter() - t0,
            "warnings": warnings,
            "measures": {k: dict(net.attrs) | dict(dom.attrs)
                         for k, net, dom in zip(sets.names, sets.networks, sets.dominant)}}


