"""Figures of a neutral-network analysis (``alife neutral``, ``alife report NET.h5``).

``plot_neutral(summary, arrays, graphs, OUT_DIR, fmt="png")`` writes, where the
data are there (``.png``, ``.pdf`` or ``.svg``; :data:`FIGURES` lists them as PNGs):

``network``           the largest network drawn, nodes coloured by genotype
                      robustness r(g) on a scale fitted to its values
``genotype_r_vs_e``   r(g) vs e(g) over genotypes (Wagner 2008, Fig. 2a),
                      with Spearman's rho when there are at least 3 genotypes
``phenotype_R_vs_E``  R(p) vs E(p) over phenotypes / networks, likewise
``rank_frequency``    phenotype rank vs frequency (log-log)
``profile``           per-gene robustness profile (HNCA maps), grouped by
                      level and rule block
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..figures import annotate_statistic, check_format, figure_path, new_figure, save_figure

__all__ = ["plot_neutral", "FIGURES"]

#: The files :func:`plot_neutral` may write, in the default format
#: (:func:`alife.figures.in_format` gives them in another).
FIGURES = ("network.png", "genotype_r_vs_e.png", "phenotype_R_vs_E.png", "rank_frequency.png",
           "profile.png")


def _network_figure(graphs: dict):
    """The largest of ``graphs`` (networkx graphs), nodes coloured by their
    ``robustness`` attribute on a colour scale spanning the values present;
    nodes without one (not expanded) drawn as grey rings."""
    import networkx as nx

    key = max(graphs, key=lambda k: graphs[k].number_of_nodes())
    G = graphs[key]
    fig = new_figure((6.5, 6))
    ax = fig.add_subplot()
    pos = nx.spring_layout(G, seed=0) if G.number_of_nodes() <= 2000 else nx.random_layout(G, seed=0)
    nodes = list(G.nodes)
    xy = np.array([pos[n] for n in nodes], float).reshape(-1, 2)
    rob = np.array([G.nodes[n].get("robustness", np.nan) for n in nodes], float)
    have = np.isfinite(rob)
    nx.draw_networkx_edges(G, pos, ax=ax, alpha=0.3, width=0.5)
    if (~have).any():
        ax.scatter(xy[~have, 0], xy[~have, 1], s=10, facecolors="none", edgecolors="0.55",
                   linewidths=0.8, label=f"r(g) not measured ({int((~have).sum())})")
    if have.any():
        lo, hi = float(rob[have].min()), float(rob[have].max())
        if hi - lo < 1e-9:
            lo, hi = max(0.0, lo - 0.05), min(1.0, hi + 0.05)
        sc = ax.scatter(xy[have, 0], xy[have, 1], c=rob[have], cmap="viridis", s=14,
                        vmin=lo, vmax=hi, zorder=3)
        fig.colorbar(sc, ax=ax, shrink=0.8, label="genotype robustness r(g)")
    if (~have).any():
        ax.legend(loc="upper left", bbox_to_anchor=(0, 0), fontsize=8, frameon=False)
    ax.set_title(f"{key}: {G.number_of_nodes()} genotypes, {G.number_of_edges()} neutral edges",
                 fontsize=10)
    ax.set_axis_off()
    return fig


def _spearman_text(x, y) -> tuple[str, int]:
    """Spearman's rho of finite pairs as one line, and the number of pairs."""
    from .measures import spearman

    rho, p, n = spearman(x, y)
    if not np.isfinite(rho):
        return "", n
    return f"Spearman \u03c1 = {rho:.2f}, p = {p:.2g}, n = {n:,}", n


def _genotype_measures(arrays: dict) -> tuple[np.ndarray, np.ndarray]:
    """(r, e): float arrays of genotype robustness and evolvability, from the
    exhaustive datasets or concatenated over the sampled networks."""
    if "genotypes/robustness" in arrays:
        return (np.asarray(arrays["genotypes/robustness"], float),
                np.asarray(arrays["genotypes/evolvability"], float))
    keys = sorted(k for k in arrays if k.startswith("networks/") and k.endswith("/robustness"))
    if not keys:
        return np.zeros(0), np.zeros(0)
    r = np.concatenate([np.asarray(arrays[k], float) for k in keys])
    e = np.concatenate([np.asarray(arrays[k.replace("robustness", "evolvability")], float)
                        for k in keys])
    return r, e


def _genotype_figure(arrays: dict):
    """r(g) vs e(g), at most 20,000 genotypes (a fixed random subset), e
    jittered; Spearman's rho over all of them when there are at least 3."""
    r, e = _genotype_measures(arrays)
    ok = np.isfinite(r) & (e >= 0)
    if not ok.any():
        return None
    idx = np.flatnonzero(ok)
    text, n = _spearman_text(r[idx], e[idx])
    if idx.size > 20000:
        idx = np.random.default_rng(0).choice(idx, 20000, replace=False)
    fig = new_figure((5, 4))
    ax = fig.add_subplot()
    jitter = np.random.default_rng(1).uniform(-0.2, 0.2, idx.size)
    ax.scatter(r[idx], e[idx] + jitter, s=4, alpha=0.4)
    annotate_statistic(ax, text, n)
    ax.set_xlabel("genotype robustness r(g)")
    ax.set_ylabel("genotype evolvability e(g) (jittered)")
    ax.set_title(f"genotypes ({idx.size:,} of {ok.sum():,} shown)" if idx.size < ok.sum()
                 else f"genotypes ({idx.size:,})")
    return fig


def _phenotype_figure(summary: dict, arrays: dict):
    """R(p) vs E(p) over phenotypes (exhaustive) or sampled networks, marker
    area by size; Spearman's rho when there are at least 3."""
    if "phenotypes/robustness" in arrays:
        R = np.asarray(arrays["phenotypes/robustness"], float)
        E = np.asarray(arrays["phenotypes/evolvability"], float)
        size = np.asarray(arrays["phenotypes/size"], float)
    else:
        nets = summary.get("networks", [])
        R = np.array([n["robustness"] for n in nets], float)
        E = np.array([n["evolvability"] for n in nets], float)
        size = np.array([n["size"] for n in nets], float)
    if not R.size:
        return None
    fig = new_figure((5, 4))
    ax = fig.add_subplot()
    ax.scatter(R, E, s=8 + 40 * size / max(size.max(), 1), alpha=0.6)
    annotate_statistic(ax, *_spearman_text(R, E))
    ax.set_xlabel("phenotype robustness R(p)")
    ax.set_ylabel("phenotype evolvability E(p)")
    ax.set_title("phenotypes (marker area: network size)" if "phenotypes/robustness" in arrays
                 else "sampled networks (marker area: size)")
    return fig


def _rank_frequency_figure(arrays: dict):
    """Phenotype frequencies (exhaustive) or boundary-phenotype frequencies
    (sampled), ranked, on log-log axes."""
    if "phenotypes/frequency" in arrays:
        f = np.sort(np.asarray(arrays["phenotypes/frequency"], float))[::-1]
        what = "fraction of all genotypes"
    else:
        keys = [k for k in arrays if k.endswith("/boundary_phenotype")]
        q = np.concatenate([np.asarray(arrays[k]) for k in keys]) if keys else np.zeros(0, int)
        q = q[q >= 0]
        f = np.sort(np.unique(q, return_counts=True)[1] / max(q.size, 1))[::-1] if q.size else q
        what = "fraction of boundary mutations"
    if not f.size:
        return None
    fig = new_figure((5, 4))
    ax = fig.add_subplot()
    ax.loglog(np.arange(1, f.size + 1), f, marker=".", lw=0.8)
    ax.set_xlabel("phenotype rank")
    ax.set_ylabel(what)
    ax.set_title("phenotype rank-frequency")
    return fig


_GENE = re.compile(r"^L(\d+)\.([A-Za-z_][A-Za-z0-9_]*)")


def _gene_groups(names) -> list[tuple[str, list[tuple[str, np.ndarray]]]]:
    """Consecutive genes grouped by level and block, from names such as
    ``L1.down[0,1].c0>o0``: ``[(panel label, [(block label, indices), ...]), ...]``.

    Names without a level (other GP maps) form one unlabelled panel whose
    blocks are the names' text before the first ``.`` (each gene its own
    block when there is none)."""
    keys = []
    for i, name in enumerate(str(n) for n in names):
        m = _GENE.match(name)
        keys.append((f"level {m.group(1)}", m.group(2)) if m else ("", name.split(".")[0]))
    panels: list[tuple[str, list]] = []
    for i, (panel, block) in enumerate(keys):
        if not panels or panels[-1][0] != panel:
            panels.append((panel, []))
        blocks = panels[-1][1]
        if not blocks or blocks[-1][0] != block:
            blocks.append((block, []))
        blocks[-1][1].append(i)
    return [(p, [(b, np.asarray(ix)) for b, ix in blocks]) for p, blocks in panels]


def _profile_figure(arrays: dict):
    """Per-gene robustness, one panel per level and one labelled group per
    block of genes: bars for the mean over seeds, a dot for each seed."""
    if "profile/robustness" not in arrays:
        return None
    prof = np.asarray(arrays["profile/robustness"], float)
    panels = _gene_groups(arrays["profile/gene_names"])
    n = prof.shape[1]
    fig = new_figure((min(max(6.0, 0.15 * n + 1.5), 24.0), 4))
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False,
                        width_ratios=[sum(ix.size for _, ix in b) + 1 for _, b in panels])[0]
    for ax, (panel, blocks) in zip(axes, panels):
        genes = np.concatenate([ix for _, ix in blocks])
        x = np.arange(genes.size)
        ax.bar(x, prof[:, genes].mean(axis=0), width=0.8, color="tab:blue", alpha=0.7)
        for row in prof[:, genes]:
            ax.plot(x, row, ls="none", marker="o", ms=2.5, color="0.25", alpha=0.7)
        starts = np.cumsum([0] + [ix.size for _, ix in blocks])
        if len(blocks) < genes.size or genes.size <= 30:
            ax.set_xticks((starts[:-1] + starts[1:] - 1) / 2, [b for b, _ in blocks],
                          fontsize=8, rotation=0 if len(blocks) < genes.size else 90)
        for s0 in starts[1:-1]:
            ax.axvline(s0 - 0.5, color="0.6", lw=0.8)
        ax.set_xlim(-0.6, genes.size - 0.4)
        ax.set_title(panel, fontsize=9)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("fraction of mutations keeping the phenotype")
    fig.supxlabel("genes, grouped by rule block (down: from children, around: "
                  "neighbours, up: from the parent)" if panels[0][0] else "genes", fontsize=9)
    k = prof.shape[0]
    fig.suptitle(f"per-gene robustness (bars: mean over {k} seed genome{'s' if k != 1 else ''}; "
                 "dots: each seed)")
    return fig


def plot_neutral(summary: dict, arrays: dict, graphs: dict, out_dir, *,
                 fmt: str = "png") -> list[str]:
    """Figures of a neutral-network analysis; returns the file names written.

    Parameters
    ----------
    summary : dict
        The analysis summary (``networks``: a list of dicts with
        ``robustness``, ``evolvability`` and ``size``, for sampled networks).
    arrays : dict
        The result file's datasets, ``"group/name" -> array`` (as
        :func:`alife.store.read_results` returns them).
    graphs : dict
        Network name -> networkx graph (node attribute ``robustness``); may be empty.
    out_dir : str or Path
        Folder for the figures (created).
    fmt : {"png", "pdf", "svg"}, default "png"
        File format of the figures (see :data:`alife.figures.FORMATS`).

    Raises
    ------
    ValueError
        If ``fmt`` is not a known figure format.
    """
    fmt = check_format(fmt)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in _BUILDERS.items():
        fig = build(summary, arrays, graphs)
        if fig is not None:
            written.append(save_figure(fig, figure_path(out, name, fmt)).name)
            fig.clear()
    return written


#: figure name -> builder ``(summary, arrays, graphs) -> Figure or None``
#: (None where the data for that figure are not there), in the order of FIGURES
_BUILDERS = {
    "network": lambda summary, arrays, graphs: _network_figure(graphs) if graphs else None,
    "genotype_r_vs_e": lambda summary, arrays, graphs: _genotype_figure(arrays),
    "phenotype_R_vs_E": lambda summary, arrays, graphs: _phenotype_figure(summary, arrays),
    "rank_frequency": lambda summary, arrays, graphs: _rank_frequency_figure(arrays),
    "profile": lambda summary, arrays, graphs: _profile_figure(arrays),
}
