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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from alife.gpmap.table import TableMap

from . import _genonets_kernels as K

#: genonets' letter order (its bit codes), used for nothing but documentation:
#: results do not depend on the letter codes.
GENONETS_ALPHABETS = {"Binary": "01", "RNA": "AUCG", "DNA": "ATCG",
                      "Protein": "ARNDCEQGHILKMFPSTWYV"}

_NET_ORDER = ["Robustness", "Evolvability", "Evolvability_targets", "Interface_edges", "Accessibility",
              "Neighbor_abundance", "Diversity_index", "Number_of_genotype_networks",
              "Genotype_network_sizes", "Size_of_dominant_genotype_network",
              "Proportional_size_of_dominant_genotype_network", "Diameter", "Edge_density",
              "Assortativity", "Average_clustering_coefficient_of_dominant_genotype_network",
              "Number_of_peaks", "Peaks", "Number_of_squares", "Magnitude_epistasis",
              "Simple_sign_epistasis", "Reciprocal_sign_epistasis", "Summit",
              "Ratio_of_accessible_mutational_paths", "Ratio_of_overlapping_genotype_sets",
              "Overlapping_genotype_sets"]
_SEQ_ORDER = ["Robustness", "Evolvability", "Evolvability_targets", "Evolves_to_genotypes_in",
              "Overlaps_with_genotypes_in", "Coreness", "Clustering_coefficient", "Distance from Summit",
              "Shortest_path_length", "Shortest_accessible_path_length", "Accessible_paths_through",
              "Accessible_paths_from"]
_GML_IGNORE_NET = {"Evolvability_targets", "SqrEpi_list", "diameterPath_list", "Squares_list"}
_GML_IGNORE_VTX = {"label", "pathsToSummit", "VtxToSqrs"}


def _order_key(table):
    def key(a):
        return table.index(a) + 1 if a in table else 1000
    return key


@dataclass
class _Graph:
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


# ----------------------------------------------------------------------------------------------
# mutants by rank arithmetic

class _Mutants:
    """All mutants of genotypes given as base-K ranks (int64)."""

    def __init__(self, L: int, K: int, indels: bool):
        if K ** L >= 2 ** 62:
            raise ValueError(f"genotypes of length {L} over {K} letters are too long to rank in int64; "
                             f"use shorter genotypes")
        self.L, self.K, self.indels = L, K, indels
        self.w = K ** np.arange(L - 1, -1, -1, dtype=np.int64)

    def letters(self, r):
        return (r[:, None] // self.w[None, :]) % self.K

    def all(self, r):
        """(n, m) mutant ranks (m = L (K-1) [+ 2K]); shift mutants equal to the
        genotype or to an earlier mutant are marked -1 (genonets' dedupe)."""
        L, Kk = self.L, self.K
        let = self.letters(r)
        shift = np.arange(1, Kk, dtype=np.int64)
        newlet = (let[:, :, None] + shift[None, None, :]) % Kk          # n, L, K-1
        pt = r[:, None, None] + (newlet - let[:, :, None]) * self.w[None, :, None]
        out = pt.reshape(r.size, L * (Kk - 1))
        if not self.indels:
            return out
        x = np.arange(Kk, dtype=np.int64)
        left = (r % self.w[0])[:, None] * Kk + x[None, :]
        right = (r // Kk)[:, None] + x[None, :] * self.w[0]
        allm = np.concatenate([out, left, right], axis=1)
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
        la, lb = self.letters(a), self.letters(b)
        diff = la != lb
        point = diff.sum(1) == 1
        p = np.argmax(diff, axis=1)
        rows = np.arange(a.size)
        return np.where(point, la[rows, p] * self.K + lb[rows, p], self.K * self.K)


def _uniq(x, counts=False):
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


def _csr_from_pairs(n, i, j):
    keep = i < j
    i, j = i[keep], j[keep]
    if i.size:
        key = _uniq(i.astype(np.int64) * n + j)
        i, j = key // n, key % n
    a = sp.coo_matrix((np.ones(2 * i.size, np.int8), (np.concatenate([i, j]), np.concatenate([j, i]))),
                      shape=(n, n)).tocsr()
    a.sort_indices()
    return a.indptr.astype(np.int64), a.indices.astype(np.int64), i, j


def _subgraph(indptr, indices, keep_idx, n):
    a = sp.csr_matrix((np.ones(indices.size, np.int8), indices, indptr), shape=(n, n))
    s = a[keep_idx][:, keep_idx].tocsr()
    s.sort_indices()
    return s.indptr.astype(np.int64), s.indices.astype(np.int64)


def _component_order(indptr, indices, n):
    """Component labels renumbered in igraph order (by lowest vertex id) and sizes."""
    a = sp.csr_matrix((np.ones(indices.size, np.int8), indices, indptr), shape=(n, n))
    nc, lab = connected_components(a, directed=False)
    first = np.full(nc, n, np.int64)
    np.minimum.at(first, lab, np.arange(n))
    rank = np.empty(nc, np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(nc)
    lab = rank[lab]
    sizes = np.bincount(lab, minlength=nc)
    return lab, sizes


# ----------------------------------------------------------------------------------------------
# measures

def _assortativity(indptr, indices):
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


def _shortest_paths(indptr, indices, summits, score, gmax, delta):
    """genonets' PathAnalyzer.compute_shortest_paths: returns
    (Ratio_of_accessible_mutational_paths, Accessible_paths_from, Shortest_path_length)."""
    n = indptr.size - 1
    dist, order = K.bfs_levels(indptr, indices, summits)
    is_summit = np.zeros(n, np.bool_)
    is_summit[summits] = True
    acc, inacc, overflow = K.accessible_path_counts(indptr, indices, dist, order, is_summit, score,
                                                    float(gmax), float(delta))
    if overflow:  # path counts beyond int64: redo with Python integers
        acc, inacc = _shortest_paths_py(indptr, indices, dist, order, is_summit, score, gmax, delta)
    else:
        acc, inacc = acc.tolist(), inacc.tolist()
    maxlen = int(dist.max()) if n else 0
    ratio = {}
    accs = [0] * (maxlen + 1)
    inaccs = [0] * (maxlen + 1)
    for d, a, b in zip(dist.tolist(), acc, inacc):
        accs[d] += a
        inaccs[d] += b
    for i in range(2, maxlen + 1):
        ratio[i] = accs[i] / (accs[i] + inaccs[i])
    return ratio, acc, dist.tolist()


def _shortest_paths_py(indptr, indices, dist, order, is_summit, score, gmax, delta):
    """The same with unbounded Python integers (used only if int64 would overflow)."""
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


def _summits(genotypes, score):
    mx = score.max()
    return sorted(genotypes[i] for i in np.flatnonzero(score == mx))


# ----------------------------------------------------------------------------------------------

def _fmt_gml_num(v):
    if type(v) is float:
        return f"{v:.15g}"
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return str(int(v))
    return f"{float(v):.15g}"


def _gml_name(k):
    return "".join(c for c in k if c.isalnum())


def _write_gml(path, g: _Graph | None, *, directed=False, nodes=None, edges=None, attrs=None, vattrs=None,
               eattrs=None):
    """Write in igraph 1.0's GML dialect (see module docstring, item 7)."""
    if g is not None:
        attrs = {k: v for k, v in g.attrs.items() if k not in _GML_IGNORE_NET}
        vattrs = {k: v for k, v in g.vattrs.items() if k not in _GML_IGNORE_VTX}
        nodes = g.n
        src = np.repeat(np.arange(g.n), g.degree)
        keep = src < g.indices
        edges = np.stack([g.indices[keep], src[keep]], axis=1)
        eattrs = {}
    out = ["Creator \"igraph version 1.0.0 alife\"", "Version 1", "graph", "["]
    out.append(f"  directed {1 if directed else 0}")
    for k, v in attrs.items():
        line = _gml_value(v, graph_level=True)
        if line is not None:
            out.append(f"  {_gml_name(k)} {line}")
    vcols = []
    for k, vals in vattrs.items():
        kind = _column_kind(vals)
        if kind is not None:
            vcols.append((_gml_name(k), vals, kind))
    cols = []
    for name, vals, kind in vcols:
        if kind == "num":
            if set(map(type, vals)) <= {int}:
                cols.append((f"    {name} %d\n\x00" * len(vals) % tuple(vals)).split("\x00")[:-1])
            else:
                if all(type(v) is float for v in vals):
                    cols.append([("" if v != v else f"    {name} {v:.15g}\n") for v in vals])
                else:
                    cols.append([("" if v != v else f"    {name} {_fmt_gml_num(v)}\n") for v in vals])
        else:
            cols.append([f"    {name} \"{v}\"\n" for v in vals])
    body = []
    for i, parts in enumerate(zip(*cols) if cols else ([()] * nodes)):
        body.append(f"  node\n  [\n    id {i}\n{''.join(parts)}  ]\n")
    if eattrs:
        ecols = [[f"    {_gml_name(k)} {_fmt_gml_num(x)}\n" for x in vals] for k, vals in eattrs.items()]
        for e, (s_, t_) in enumerate(edges):
            body.append(f"  edge\n  [\n    source {s_}\n    target {t_}\n{''.join(c[e] for c in ecols)}  ]\n")
    else:
        flat = tuple(np.asarray(edges, dtype=np.int64).ravel().tolist())
        body.append("  edge\n  [\n    source %d\n    target %d\n  ]\n" * len(edges) % flat)
    out.append("".join(body).rstrip("\n"))
    out.append("]")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def _gml_value(v, graph_level):
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return _fmt_gml_num(v)
    if isinstance(v, (float, np.floating)):
        return None if v != v else _fmt_gml_num(v)
    if isinstance(v, str):
        return f"\"{v}\""
    if isinstance(v, list):
        if not v:
            return "0"
        if all(isinstance(x, str) for x in v):
            return f"\"{str(v)}\""
    return None


def _column_kind(vals):
    types = set(map(type, vals))
    if types <= {int, float}:
        if float in types and all(v != v for v in vals):
            return None
        return "num"
    if types <= {str}:
        return "str"
    if all(isinstance(v, (int, float, np.integer, np.floating)) for v in vals):
        if all(isinstance(v, float) and v != v for v in vals):
            return None
        return "num"
    if all(isinstance(v, str) for v in vals):
        return "str"
    return None


# ----------------------------------------------------------------------------------------------

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
        Allow writing into a non-empty ``out_dir``.

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
    out.mkdir(parents=True, exist_ok=True)
    _write_params(out, input_path, alphabet, tau, include_indels, use_all_components)
    res = _analyse(tm, include_indels, use_all_components)
    files = _write_all(out, tm, res, use_all_components)
    warnings = []
    if "phenotype_network.gml" not in files:
        warnings.append("phenotype_network.gml not written: genonets 2.0 fails there too (a single "
                        "genotype set, or use_all_components with a set of several components)")
    return {"sets": tm.set_names, "files": files, "seconds": time.perf_counter() - t0,
            "warnings": warnings,
            "measures": {k: dict(res["nets"][k].attrs) | dict(res["giants"][k].attrs)
                         for k in tm.set_names}}


def _write_params(out, input_path, alphabet, tau, indels, allc):
    params = {
        'Genonets input file': str(input_path),
        'Output path': str(out) + "/",
        'Genotype alphabet': alphabet,
        'Tau': float(tau),
        'Include indels for Genotypes': bool(indels),
        'Use reverse complements for genotypes': False,
        'Store epistasis squares': False,
        'Use all components for evolvability': bool(allc),
        'No. of parallel processes': 1,
        'Verbose': False,
        'Genetic code input file': None,
        'Codon alphabet': None,
        'Include indels for Codons': False,
        'Use reverse complements for codons': False,
    }
    with open(out / "in_params.tsv", "w") as f:
        for k in sorted(params):
            f.write(f"{k}: {params[k]}\n")


def _analyse(tm: TableMap, indels: bool, allc: bool) -> dict:
    L, Kk = tm.space.L, tm.space.K
    letters = tm.space.alphabet
    mut = _Mutants(L, Kk, indels)
    names = tm.set_names
    S = len(names)
    w = mut.w
    # universe of genotypes
    set_ranks = {}
    for k in names:
        set_ranks[k] = tm.set_array(k).astype(np.int64) @ w
    uni = _uniq(np.concatenate([set_ranks[k] for k in names]))
    nu = uni.size
    U_str = None

    def ustr():
        nonlocal U_str
        if U_str is None:
            lut = np.frombuffer(letters.encode(), np.uint8)
            arr = lut[mut.letters(uni)]
            U_str = np.array([r.tobytes().decode() for r in arr], dtype=object)
        return U_str

    if Kk ** L <= 1 << 24:        # dense rank -> universe index table
        lut = np.full(Kk ** L, -1, np.int64)
        lut[uni] = np.arange(nu)
    else:
        lut = None

    def lookup(x):
        """Universe index of each rank in ``x`` (-1: not a listed genotype or x < 0)."""
        x = np.asarray(x)
        ok = x >= 0
        out = np.full(x.shape, -1, np.int64)
        if lut is not None:
            out[ok] = lut[x[ok]]
        else:
            xv = x[ok]
            p = np.searchsorted(uni, xv)
            p[p >= nu] = nu - 1
            out[ok] = np.where(uni[p] == xv, p, -1)
        return out

    nets, giants, mutants = {}, {}, {}
    in_set = np.zeros((nu, S), bool)
    in_giant = np.zeros((nu, S), bool)
    for si, k in enumerate(names):
        r = set_ranks[k]
        vid = lookup(r)
        n = r.size
        M = mut.all(r)                                   # n, m mutant ranks (-1: duplicate)
        MU = lookup(M)                                   # their universe indices (-1: unlisted)
        # vertex index of each mutant inside this set (or -1)
        pos_in_set = np.full(nu, -1, np.int64)
        pos_in_set[vid] = np.arange(n)
        J = np.where(MU >= 0, pos_in_set[MU], -1)
        hit = J >= 0
        rows = np.repeat(np.arange(n), M.shape[1]).reshape(M.shape)
        indptr, indices, ei, ej = _csr_from_pairs(n, rows[hit], J[hit])
        net = _Graph(k, vid, indptr, indices)
        net.vattrs["escores"] = tm.set_scores[k]
        lab, sizes = _component_order(indptr, indices, n)
        in_set[vid, si] = True
        if sizes.size > 1:
            gi = int(np.argmax(sizes))
            keep = np.flatnonzero(lab == gi)
            gp, gx = _subgraph(indptr, indices, keep, n)
            giant = _Graph(k + "_dominant", vid[keep], gp, gx)
            giant.vattrs["escores"] = tm.set_scores[k][keep]
            gkeep = keep
        else:
            giant = net
            gkeep = np.arange(n)
        in_giant[giant.vid, si] = True
        nets[k], giants[k] = net, giant
        mutants[k] = (M, MU, gkeep, sizes)

    # --- per-set analyses, in genonets' order: peaks, paths, epistasis, robustness, evolvability,
    # accessibility, neighbor abundance, diversity, structure, overlap
    evo_member = in_set if allc else in_giant
    ext_sets = {}
    for si, k in enumerate(names):
        M, MU, gkeep, sizes = mutants[k]
        gm = M[gkeep]
        n_mut = _uniq(gm[gm >= 0]).size                  # distinct mutants of the giant
        gu = MU[gkeep]
        kn = _uniq(gu[gu >= 0])                          # the listed ones (universe indices)
        ing = in_giant[kn, si]
        ext_sets[k] = (n_mut - int(ing.sum()), kn[~ing])  # |ext(G)|, listed genotypes of ext(G)

    ext_count = np.array([ext_sets[k][0] for k in names], dtype=np.int64)
    # cnt[T, A] = |ext(G_T) & G_A|
    cnt = np.zeros((S, S), np.int64)
    for ti, k in enumerate(names):
        cnt[ti] = in_giant[ext_sets[k][1]].sum(0)
    gsize = np.array([giants[k].n for k in names], np.int64)

    overlap = None
    if S >= 2:
        G = in_giant.astype(np.int64)
        overlap = (G.T @ G)

    def set_overlap(si, k):
        # genonets computes overlap for *all* sets while analysing the first one
        if overlap is None:
            return
        giant = giants[k]
        memb = in_giant[giant.vid]
        memb[:, si] = False
        code = memb.astype(np.int64) @ (np.int64(1) << np.arange(S, dtype=np.int64))
        pats = _uniq(code)
        inv = np.searchsorted(pats, code)
        lists = [[names[j] for j in range(S) if (int(pt) >> j) & 1] for pt in pats.tolist()]
        giant.vattrs["Overlaps_with_genotypes_in"] = [list(lists[i]) for i in inv.ravel().tolist()]
        ov = sorted({names[j] for j in np.flatnonzero(memb.any(0))})
        giant.attrs["Overlapping_genotype_sets"] = ov
        giant.attrs["Ratio_of_overlapping_genotype_sets"] = float(len(ov)) / (float(S) - 1)

    for si, k in enumerate(names):
        net, giant = nets[k], giants[k]
        if si > 0:
            set_overlap(si, k)
        M, MU, gkeep, sizes = mutants[k]
        sc = giant.vattrs["escores"]
        delta = tm.deltas[k]
        # peaks
        order = np.argsort(-sc, kind="stable")
        peak_of, npk = K.peaks(giant.indptr, giant.indices, order, sc, float(delta))
        gstr = ustr()[giant.vid]
        peaks = {pk: [] for pk in range(npk)}
        for v in np.flatnonzero(peak_of >= 0).tolist():
            peaks[int(peak_of[v])].append(gstr[v])
        for pk in peaks:
            peaks[pk].sort()
        giant.attrs["Peaks"] = peaks
        giant.attrs["Number_of_peaks"] = npk
        # paths
        if giant.n >= 2:
            summ = _summits(gstr, sc)
            gidx = {s: i for i, s in enumerate(gstr.tolist())}
            sidx = np.array([gidx[s] for s in summ], np.int64)
            gmax = float(sc[sidx[0]])
            ratio, accfrom, spl = _shortest_paths(giant.indptr, giant.indices, sidx, sc, gmax, float(delta))
            sapl = K.accessible_path_lengths(giant.indptr, giant.indices, sidx, sc, gmax, float(delta))
            giant.attrs["Summit"] = summ
            giant.attrs["Ratio_of_accessible_mutational_paths"] = ratio
            giant.vattrs["Accessible_paths_from"] = accfrom
            giant.vattrs["Shortest_path_length"] = spl
            giant.vattrs["Shortest_accessible_path_length"] = sapl.tolist()
        # epistasis
        c = K.epistasis_counts(giant.indptr, giant.indices, order, sc, float(delta))
        nsq = int(c.sum())
        giant.attrs["Number_of_squares"] = nsq
        for name, idx in (("Magnitude_epistasis", 1), ("Simple_sign_epistasis", 2),
                          ("Reciprocal_sign_epistasis", 3)):
            giant.attrs[name] = float(c[idx]) / float(nsq) if nsq else 0
        # robustness
        nm = (M[gkeep] >= 0).sum(1)
        rob = giant.degree / nm
        giant.attrs["Robustness"] = np.mean(rob.tolist())
        giant.vattrs["Robustness"] = rob.tolist()
        # evolvability
        if S >= 2:
            evo_g = net if allc else giant
            rows_sel = np.arange(net.n) if allc else gkeep
            Me = MU[rows_sel]
            p = Me.ravel()
            vi = np.repeat(np.arange(Me.shape[0]), Me.shape[1])
            ok = p >= 0
            vi, p = vi[ok], p[ok]
            ok = ~in_set[p, si] if allc else ~in_giant[p, si]
            vi, p = vi[ok], p[ok]
            memb = evo_member[p].copy()
            memb[:, si] = False
            ti_v, ti_s = np.nonzero(memb)
            pv, pu = vi[ti_v], p[ti_v]        # (vertex, target genotype, target set)
            ustr_ = ustr()
            targets = [dict() for _ in range(evo_g.n)]
            o = np.lexsort((ustr_[pu].astype(str), ti_s, pv))
            for v, s_, u in zip(pv[o].tolist(), ti_s[o].tolist(), pu[o].tolist()):
                targets[v].setdefault(names[s_], []).append(ustr_[u])
            ntar = np.array([len(t) for t in targets], np.float64)
            evo_g.vattrs["Evolvability"] = (ntar / float(S - 1)).tolist()
            union = sorted({names[s_] for s_ in _uniq(ti_s).tolist()}, key=names.index)
            evo_g.attrs["Evolvability"] = float(len(union)) / float(S - 1)
            evo_g.attrs["Evolvability_targets"] = json.dumps(sorted(union))
            evo_g.vattrs["Evolves_to_genotypes_in"] = [sorted(t) if len(t) > 1 else list(t) for t in targets]
            evo_g.vattrs["Evolvability_targets"] = targets
            # interface edges: mutation type code a*K + b for a point mutation a -> b, K*K for a shift
            stats = {names[s_]: {} for s_ in _uniq(ti_s).tolist()}
            if pv.size:
                code = mut.mutation_code(uni[evo_g.vid[pv]], uni[pu])
                key = ti_s.astype(np.int64) * (Kk * Kk + 1) + code
                keys, counts = _uniq(key, counts=True)
                for kk, cn in zip(keys.tolist(), counts.tolist()):
                    s_, c_ = divmod(kk, Kk * Kk + 1)
                    mt = "indel" if c_ == Kk * Kk else letters[c_ // Kk] + letters[c_ % Kk]
                    stats[names[s_]][mt] = cn
            evo_g.attrs["Interface_edges"] = {r: dict(sorted(stats[r].items())) for r in sorted(stats)}
        # accessibility, neighbour abundance, diversity
        if S >= 2:
            accv, nav, divv = 0, 0, 0
            for ti in range(S):
                if ti == si:
                    continue
                fr = float(cnt[ti, si]) / float(ext_count[ti]) if ext_count[ti] else 0
                accv += fr
                fa = float(cnt[si, ti]) / float(ext_count[si]) if ext_count[si] else 0
                nav += float(fa) * float(gsize[ti])
                divv += fa * fa
            giant.attrs["Accessibility"] = accv
            giant.attrs["Neighbor_abundance"] = nav
            giant.attrs["Diversity_index"] = divv
        # structure
        net.attrs["Genotype_network_sizes"] = str(sizes.tolist())
        net.attrs["Number_of_genotype_networks"] = int(sizes.size)
        net.attrs["Size_of_dominant_genotype_network"] = int(giant.n)
        net.attrs["Proportional_size_of_dominant_genotype_network"] = float(giant.n) / float(net.n)
        n = giant.n
        m = giant.indices.size // 2
        giant.attrs["Edge_density"] = (2.0 * m / (n * (n - 1))) if n > 1 else float("nan")
        deg = giant.degree
        tri = K.triangles(giant.indptr, giant.indices)
        with np.errstate(invalid="ignore", divide="ignore"):
            cc = np.where(deg >= 2, tri / (deg * (deg - 1) / 2.0), np.nan)
        good = deg >= 2
        giant.attrs["Average_clustering_coefficient_of_dominant_genotype_network"] = \
            float(np.sum(cc[good]) / good.sum()) if good.any() else float("nan")
        giant.attrs["Assortativity"] = _assortativity(giant.indptr, giant.indices)
        giant.vattrs["Coreness"] = K.coreness(giant.indptr, giant.indices).tolist()
        giant.vattrs["Clustering_coefficient"] = cc.tolist()
        if si == 0:
            for sj, kj in enumerate(names):
                if sj == 0:
                    set_overlap(sj, kj)

    return {"nets": nets, "giants": giants, "overlap": overlap, "ustr": ustr}


def _write_all(out: Path, tm: TableMap, res: dict, allc: bool) -> list:
    names = tm.set_names
    nets, giants = res["nets"], res["giants"]
    ustr = res["ustr"]()
    files = ["in_params.tsv"]
    # GML networks: full network, then dominant if several components
    for k in names:
        for g in ([nets[k], giants[k]] if giants[k] is not nets[k] else [nets[k]]):
            g2 = _Graph(g.name, g.vid, g.indptr, g.indices)
            g2.attrs = {"name": g.name} | g.attrs
            va = {"name": ustr[g.vid].tolist()}
            for a, v in g.vattrs.items():
                if a != "escores":
                    va[a] = v
            va["genotype"] = ustr[g.vid].tolist()
            va["score"] = g.vattrs["escores"].tolist()
            g2.vattrs = va
            _write_gml(out / f"{g.name}.gml", g2)
            files.append(f"{g.name}.gml")
    # Genotype_set_measures.tsv
    first = names[0]
    attrs = list(nets[first].attrs)
    if giants[first] is not nets[first]:
        attrs += list(giants[first].attrs)
    attrs.sort(key=_order_key(_NET_ORDER))
    with open(out / "Genotype_set_measures.tsv", "w") as f:
        f.write("Genotype_set\t" + "".join(a + "\t" for a in attrs) + "\n")
        for k in names:
            f.write(k + "\t")
            for a in attrs:
                if a in nets[k].attrs:
                    v = nets[k].attrs[a]
                elif a in giants[k].attrs:
                    v = giants[k].attrs[a]
                else:
                    v = None
                f.write(str(v) + "\t")
            f.write("\n")
    files.append("Genotype_set_measures.tsv")
    # per-genotype measures (dominant network)
    for k in names:
        g = giants[k]
        cols = [a for a in g.vattrs if a != "escores"]
        cols.sort(key=_order_key(_SEQ_ORDER))
        seqs = ustr[g.vid].tolist()
        idx = sorted(range(g.n), key=lambda i: seqs[i])
        colvals = []
        for a in cols:
            vals = g.vattrs[a]
            colvals.append(list(map(str, map(vals.__getitem__, idx))))
        seq_sorted = [seqs[i] for i in idx]
        lines = ["Sequence\t" + "".join(a + "\t" for a in cols)]
        lines.extend("\t".join(parts) + "\t" for parts in zip(seq_sorted, *colvals))
        with open(out / f"{k}_genotype_measures.tsv", "w") as f:
            f.write("\n".join(lines) + "\n")
        files.append(f"{k}_genotype_measures.tsv")
    # overlap
    if res["overlap"] is not None:
        ov = res["overlap"]
        with open(out / "Genotype_set_overlap.tsv", "w") as f:
            for k in names:
                f.write("\t" + k)
            for i in range(len(names)):
                f.write("\n" + names[i])
                for j in range(len(names)):
                    f.write("\t" + (str(int(ov[i, j])) if i != j else "NaN"))
        files.append("Genotype_set_overlap.tsv")
    # phenotype network (genonets reads each *dominant* network's Evolvability; with
    # use_all_components a set of several components has none there and genonets 2.0 dies
    # with KeyError before writing this file: we skip it in exactly that case)
    if len(names) < 2 or (allc and any(giants[k] is not nets[k] for k in names)):
        return files
    evo_src = giants
    edges, weights = [], []
    for i, a in enumerate(names):
        targets = json.loads(evo_src[a].attrs.get("Evolvability_targets", "[]"))
        for j, b in enumerate(names):
            if i != j and b in targets:
                allt = set()
                for d in evo_src[a].vattrs["Evolvability_targets"]:
                    allt.update(d.get(b, ()))
                edges.append((i, j))
                weights.append(len(allt))
    _write_gml(out / "phenotype_network.gml", None, directed=True, nodes=len(names), edges=edges,
               attrs={"name": "phenotype_network"},
               vattrs={"Repertoires": list(names), "GenotypeSet": list(names),
                       "Evolvability": [evo_src[k].attrs.get("Evolvability", 0) for k in names]},
               eattrs={"weight": weights, "label": weights})
    files.append("phenotype_network.gml")
    return files
