"""The result files of the genonets port (:mod:`alife.neutral.genonets`).

Names, columns, column order, row order and number formatting are those of
genonets 2.0; GML files follow igraph 1.0's dialect (which attributes it
drops, how it writes lists and NaN; see the notes in
:mod:`alife.neutral.genonets`).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ._genonets_graphs import Graph, SetLists, TargetDicts
from ._genonets_text import Table, dict_pieces, float_pieces, list_pieces, string_pieces

#: The longest set name, in UTF-8 bytes: its longest file name
#: (``<set>_genotype_measures.tsv``) must fit in the 255 bytes of a file name.
MAX_SET_NAME_BYTES = 255 - len("_genotype_measures.tsv")


def unsafe_set_name(name: str) -> str | None:
    """Why genotype set ``name`` cannot name a result file (None if it can).

    A set's name becomes part of its file names (``<set>.gml``,
    ``<set>_genotype_measures.tsv``, ...), written into the output folder as
    they are (the names genonets writes).  A name that would lead out of
    that folder, or cannot be part of a file name, is refused: one with a
    path separator (``/`` or ``\\``), a NUL character, or more than
    :data:`MAX_SET_NAME_BYTES` bytes.  Every other name is used unchanged.
    """
    if "/" in name or "\\" in name:
        return "has a path separator (/ or \\); a set name becomes a file name"
    if "\x00" in name:
        return "has a NUL character"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_SET_NAME_BYTES:
        return f"is longer than {MAX_SET_NAME_BYTES} bytes, too long for a file name"
    return None


def _create(out: Path, name: str, mode: str = "w"):
    """``out / name`` opened for writing (text, or bytes with ``mode="wb"``),
    as ``open(path, mode)`` would,
    but only as a plain name inside ``out`` and never through a symbolic link
    (a link planted there is an error, not followed)."""
    if name != os.path.basename(name) or name in ("", ".", ".."):
        raise ValueError(f"refusing to write {name!r}: not a plain file name inside {str(out)!r}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(Path(out) / name, flags, 0o666)
    except OSError as e:
        raise OSError(f"cannot write {str(Path(out) / name)!r}: "
                      f"{e.strerror or e} (is it a symbolic link?)") from None
    return os.fdopen(fd, mode)


def planned_files(sets) -> list:
    """The file names :func:`write_results` will write for ``sets``, in order."""
    files = ["in_params.tsv"]
    for net, dom in zip(sets.networks, sets.dominant):
        files += [f"{g.name}.gml" for g in ([net, dom] if dom is not net else [net])]
    files.append("Genotype_set_measures.tsv")
    files += [f"{k}_genotype_measures.tsv" for k in sets.names]
    if sets.overlap is not None:
        files.append("Genotype_set_overlap.tsv")
    if _writes_phenotype_network(sets):
        files.append("phenotype_network.gml")
    return files


def check_planned_files(sets) -> None:
    """Two result files of one analysis must not have one name (a set named
    ``phenotype_network``, or ``X_dominant`` beside a set ``X`` of several
    components): ValueError naming the clash, before anything is written."""
    seen = set()
    for name in planned_files(sets):
        if name in seen:
            raise ValueError(f"two result files would both be called {name!r} (a genotype set "
                             f"name clashes with another set's or a fixed result file's name); "
                             f"rename that genotype set in the input file")
        seen.add(name)

#: genonets' column order of the set-level and genotype-level tables (others go last).
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


def write_params(out, input_path, alphabet, tau, indels, allc):
    """``in_params.tsv``: the run parameters as genonets writes them (``key: value``, sorted)."""
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
    with _create(out, "in_params.tsv") as f:
        for k in sorted(params):
            f.write(f"{k}: {params[k]}\n")


def write_results(out: Path, sets) -> list:
    """Write every result file of an analysis (:class:`~alife.neutral.genonets.GenotypeSets`)
    into ``out``; returns the file names in the order written (``in_params.tsv`` first)."""
    files = ["in_params.tsv"]
    files += _write_networks(out, sets)
    files.append(_write_set_measures(out, sets))
    files += _write_genotype_measures(out, sets)
    if sets.overlap is not None:
        files.append(_write_overlap(out, sets))
    if _writes_phenotype_network(sets):
        files.append(_write_phenotype_network(out, sets))
    return files


def _writes_phenotype_network(sets) -> bool:
    # genonets reads each *dominant* network's Evolvability; with use_all_components a set of
    # several components has none there and genonets 2.0 dies with KeyError before writing
    # this file: we skip it in exactly that case
    several = any(d is not n for d, n in zip(sets.dominant, sets.networks))
    return len(sets.names) >= 2 and not (sets.use_all_components and several)


def _write_networks(out: Path, sets) -> list:
    """``<set>.gml`` for every set, then ``<set>_dominant.gml`` if it has several components."""
    files = []
    for net, dom, rows in zip(sets.networks, sets.dominant, sets.dominant_rows):
        pieces, at, index = float_pieces(net.vattrs["escores"], "%.15g")   # scores, once per set
        for g in ([net, dom] if dom is not net else [net]):
            write_network_gml(out / f"{g.name}.gml", sets, g, (pieces, at, index if g is net else index[rows]))
            files.append(f"{g.name}.gml")
    return files


def _write_set_measures(out: Path, sets) -> str:
    """``Genotype_set_measures.tsv``: one row per set, the columns of the first set."""
    attrs = list(sets.networks[0].attrs)
    if sets.dominant[0] is not sets.networks[0]:
        attrs += list(sets.dominant[0].attrs)
    attrs.sort(key=_order_key(_NET_ORDER))
    with _create(out, "Genotype_set_measures.tsv") as f:
        f.write("Genotype_set\t" + "".join(a + "\t" for a in attrs) + "\n")
        for k, net, dom in zip(sets.names, sets.networks, sets.dominant):
            f.write(k + "\t")
            for a in attrs:
                if a in net.attrs:
                    v = net.attrs[a]
                elif a in dom.attrs:
                    v = dom.attrs[a]
                else:
                    v = None
                f.write(str(v) + "\t")
            f.write("\n")
    return "Genotype_set_measures.tsv"


def _write_genotype_measures(out: Path, sets) -> list:
    """``<set>_genotype_measures.tsv``: one row per genotype of the dominant network, sorted."""
    files = []
    for k, g in zip(sets.names, sets.dominant):
        cols = [a for a in g.vattrs if a != "escores"]
        cols.sort(key=_order_key(_SEQ_ORDER))
        table = Table(g.n)
        table.pieces("", *_genotype_pieces(sets, g))
        for a in cols:
            _tsv_column(table, sets, g.vattrs[a])
        table.const("\t\n")
        order = np.argsort(sets.string_key()[g.vid], kind="stable")
        with _create(out, f"{k}_genotype_measures.tsv", "wb") as f:
            f.write(("Sequence\t" + "".join(a + "\t" for a in cols) + "\n").encode("utf-8"))
            f.write(table.render(order))
        files.append(f"{k}_genotype_measures.tsv")
    return files


def _genotype_pieces(sets, g):
    """Piece table of every listed genotype and the index of each vertex of ``g``."""
    L = sets.mutants.space.L
    letters = sets.genotype_letters()
    return letters, np.arange(letters.size // L + 1, dtype=np.int64) * L, g.vid


def _name_pieces(sets):
    """Piece table of the Python reprs of the set names."""
    return string_pieces([repr(k) for k in sets.names])


def _tsv_column(table: Table, sets, v):
    """One genotype-level column of a TSV file, as Python's ``str`` writes each value."""
    if isinstance(v, SetLists):
        table.pieces("\t", *list_pieces(v.indptr, v.sets, *_name_pieces(sets)), np.arange(v.indptr.size - 1))
    elif isinstance(v, TargetDicts):
        pieces, at = dict_pieces(v.indptr, v.sets, v.genotypes, *_name_pieces(sets),
                                 sets.genotype_letters(), sets.mutants.space.L)
        table.pieces("\t", pieces, at, np.arange(v.indptr.size - 1))
    elif isinstance(v, np.ndarray) and v.dtype.kind in "iu":
        table.ints("\t", v)
    elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
        table.pieces("\t", *float_pieces(v, repr))
    else:            # a list of Python values (path counts beyond int64)
        table.pieces("\t", *string_pieces([str(x) for x in v]), np.arange(len(v)))


def _write_overlap(out: Path, sets) -> str:
    """``Genotype_set_overlap.tsv``: genotypes shared by the dominant networks of two sets."""
    names, ov = sets.names, sets.overlap
    with _create(out, "Genotype_set_overlap.tsv") as f:
        for k in names:
            f.write("\t" + k)
        for i in range(len(names)):
            f.write("\n" + names[i])
            for j in range(len(names)):
                f.write("\t" + (str(int(ov[i, j])) if i != j else "NaN"))
    return "Genotype_set_overlap.tsv"


def _write_phenotype_network(out: Path, sets) -> str:
    """``phenotype_network.gml``: an edge A -> B where B is among A's evolvability
    targets, weighted by the number of distinct target genotypes in B."""
    names, dom = sets.names, sets.dominant
    edges, weights = [], []
    for i, a in enumerate(names):
        targets = json.loads(dom[i].attrs.get("Evolvability_targets", "[]"))
        for j, b in enumerate(names):
            if i != j and b in targets:
                edges.append((i, j))
                weights.append(int(sets.target_genotypes[i][j]))
    write_gml(out / "phenotype_network.gml", directed=True, nodes=len(names), edges=edges,
              attrs={"name": "phenotype_network"},
              vattrs={"Repertoires": list(names), "GenotypeSet": list(names),
                      "Evolvability": [g.attrs.get("Evolvability", 0) for g in dom]},
              eattrs={"weight": weights, "label": weights})
    return "phenotype_network.gml"


def _fmt_gml_num(v):
    if type(v) is float:
        return f"{v:.15g}"
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return str(int(v))
    return f"{float(v):.15g}"


def _gml_name(k):
    return "".join(c for c in k if c.isalnum())


def _gml_head(attrs, directed) -> list:
    """The lines of a GML file before its nodes: creator, version, graph attributes."""
    out = ["Creator \"igraph version 1.0.0 alife\"", "Version 1", "graph", "["]
    out.append(f"  directed {1 if directed else 0}")
    for k, v in attrs.items():
        line = _gml_value(v, graph_level=True)
        if line is not None:
            out.append(f"  {_gml_name(k)} {line}")
    return out


def write_network_gml(path, sets, g: Graph, scores):
    """A genotype network ``g`` as igraph 1.0 writes it (see the module docstring):
    graph attributes, then per node ``id``, ``name``, the genotype-level
    attributes igraph keeps (numbers; NaN left out), ``genotype`` and ``score``,
    then each edge once (``source`` the higher-numbered end), in CSR order.
    ``scores`` is the piece table of the scores (:func:`float_pieces`)."""
    head = _gml_head({k: v for k, v in ({"name": g.name} | g.attrs).items() if k not in _GML_IGNORE_NET},
                     False)
    nodes = Table(g.n)
    nodes.ints("  node\n  [\n    id ", np.arange(g.n), "\n")
    genotypes = _genotype_pieces(sets, g)
    nodes.pieces("    name \"", *genotypes, "\"\n")
    for k, v in g.vattrs.items():
        if k != "escores" and k not in _GML_IGNORE_VTX:
            _gml_column(nodes, _gml_name(k), v)
    nodes.pieces("    genotype \"", *genotypes, "\"\n")
    nodes.pieces("    score ", *scores, "\n")
    nodes.const("  ]\n")
    src = np.repeat(np.arange(g.n, dtype=np.int64), g.degree)
    keep = src < g.indices
    edges = Table(int(keep.sum()))
    edges.ints("  edge\n  [\n    source ", g.indices[keep], "\n")
    edges.ints("    target ", src[keep], "\n  ]\n")
    del src, keep
    path = Path(path)
    with _create(path.parent, path.name, "wb") as f:
        f.write(("\n".join(head) + "\n").encode("utf-8"))
        # the body's last line break goes (igraph ends with "  ]\n]")
        body = nodes.render()
        f.write(body[:-1] if edges.rows == 0 and body.size else body)
        del body, nodes
        body = edges.render()
        f.write(body[:-1] if body.size else body)
        f.write(b"\n]\n")


def _gml_column(table: Table, name: str, v):
    """One node attribute of a GML file: numbers as igraph writes them; lists,
    dicts and all-NaN columns are left out (igraph drops them)."""
    if isinstance(v, np.ndarray) and v.dtype.kind in "iu":
        table.ints(f"    {name} ", v, "\n")
    elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
        if v.size and np.isnan(v).all():
            return
        table.pieces(f"    {name} ", *float_pieces(v, "%.15g", nan_omitted=True), "\n")
    elif isinstance(v, list) and _column_kind(v) == "num":     # path counts beyond int64
        table.pieces(f"    {name} ", *string_pieces([_fmt_gml_num(x) for x in v]), np.arange(len(v)), "\n")


def write_gml(path, *, directed=False, nodes=None, edges=None, attrs=None, vattrs=None, eattrs=None):
    """Write a small graph (the phenotype network) in igraph 1.0's GML dialect
    (see the module docstring, item 7)."""
    out = _gml_head(attrs, directed)
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
    path = Path(path)
    with _create(path.parent, path.name) as f:
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
