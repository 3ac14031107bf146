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

from ._genonets_graphs import Graph

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


def _create(out: Path, name: str):
    """``out / name`` opened for writing text, as ``open(path, "w")`` would,
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
    return os.fdopen(fd, "w")


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
    strings = sets.genotype_strings()
    files = ["in_params.tsv"]
    files += _write_networks(out, sets, strings)
    files.append(_write_set_measures(out, sets))
    files += _write_genotype_measures(out, sets, strings)
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


def _write_networks(out: Path, sets, strings) -> list:
    """``<set>.gml`` for every set, then ``<set>_dominant.gml`` if it has several components."""
    files = []
    for net, dom in zip(sets.networks, sets.dominant):
        for g in ([net, dom] if dom is not net else [net]):
            g2 = Graph(g.name, g.vid, g.indptr, g.indices)
            g2.attrs = {"name": g.name} | g.attrs
            va = {"name": strings[g.vid].tolist()}
            for a, v in g.vattrs.items():
                if a != "escores":
                    va[a] = v
            va["genotype"] = strings[g.vid].tolist()
            va["score"] = g.vattrs["escores"].tolist()
            g2.vattrs = va
            write_gml(out / f"{g.name}.gml", g2)
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


def _write_genotype_measures(out: Path, sets, strings) -> list:
    """``<set>_genotype_measures.tsv``: one row per genotype of the dominant network, sorted."""
    files = []
    for k, g in zip(sets.names, sets.dominant):
        cols = [a for a in g.vattrs if a != "escores"]
        cols.sort(key=_order_key(_SEQ_ORDER))
        seqs = strings[g.vid].tolist()
        idx = sorted(range(g.n), key=lambda i: seqs[i])
        colvals = []
        for a in cols:
            vals = g.vattrs[a]
            colvals.append(list(map(str, map(vals.__getitem__, idx))))
        seq_sorted = [seqs[i] for i in idx]
        lines = ["Sequence\t" + "".join(a + "\t" for a in cols)]
        lines.extend("\t".join(parts) + "\t" for parts in zip(seq_sorted, *colvals))
        with _create(out, f"{k}_genotype_measures.tsv") as f:
            f.write("\n".join(lines) + "\n")
        files.append(f"{k}_genotype_measures.tsv")
    return files


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
                allt = set()
                for d in dom[i].vattrs["Evolvability_targets"]:
                    allt.update(d.get(b, ()))
                edges.append((i, j))
                weights.append(len(allt))
    write_gml(out / "phenotype_network.gml", None, directed=True, nodes=len(names), edges=edges,
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


def write_gml(path, g: Graph | None, *, directed=False, nodes=None, edges=None, attrs=None, vattrs=None,
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
