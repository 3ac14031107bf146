"""Figures of a neutral-network analysis (``alife neutral``, ``alife report NET.h5``).

``plot_neutral(summary, arrays, graphs, OUT_DIR)`` writes, where the data are there:

``network.png``          the largest network drawn, nodes coloured by
                         genotype robustness r(g)
``genotype_r_vs_e.png``  r(g) vs e(g) over genotypes (Wagner 2008, Fig. 2a)
``phenotype_R_vs_E.png`` R(p) vs E(p) over phenotypes / networks
``rank_frequency.png``   phenotype rank vs frequency (log-log)
``profile.png``          per-gene robustness profile (HNCA maps)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..nca.phenotype import new_figure, save_figure

__all__ = ["plot_neutral"]


def _network_figure(graphs: dict, path: Path) -> Path:
    """The largest of ``graphs`` (networkx graphs), nodes coloured by their
    ``robustness`` attribute."""
    import networkx as nx

    key = max(graphs, key=lambda k: graphs[k].number_of_nodes())
    G = graphs[key]
    fig = new_figure((6, 6))
    ax = fig.add_subplot()
    pos = nx.spring_layout(G, seed=0) if G.number_of_nodes() <= 2000 else nx.random_layout(G, seed=0)
    rob = np.array([d.get("robustness", np.nan) for _, d in G.nodes(data=True)], float)
    nx.draw_networkx_edges(G, pos, ax=ax, alpha=0.3, width=0.5)
    sc = ax.scatter([pos[n][0] for n in G.nodes], [pos[n][1] for n in G.nodes],
                    c=np.where(np.isfinite(rob), rob, np.nan), cmap="viridis", s=12,
                    vmin=0, vmax=1)
    fig.colorbar(sc, ax=ax, label="genotype robustness r(g)")
    ax.set_title(f"{key}: {G.number_of_nodes()} genotypes, {G.number_of_edges()} neutral edges")
    ax.set_axis_off()
    return save_figure(fig, path)


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


def _genotype_figure(arrays: dict, path: Path) -> Path | None:
    """r(g) vs e(g), at most 20,000 genotypes (a fixed random subset), e jittered."""
    r, e = _genotype_measures(arrays)
    ok = np.isfinite(r) & (e >= 0)
    if not ok.any():
        return None
    idx = np.flatnonzero(ok)
    if idx.size > 20000:
        idx = np.random.default_rng(0).choice(idx, 20000, replace=False)
    fig = new_figure((5, 4))
    ax = fig.add_subplot()
    jitter = np.random.default_rng(1).uniform(-0.2, 0.2, idx.size)
    ax.scatter(r[idx], e[idx] + jitter, s=3, alpha=0.3)
    ax.set_xlabel("genotype robustness r(g)")
    ax.set_ylabel("genotype evolvability e(g)")
    ax.set_title(f"genotypes ({idx.size:,} shown)")
    return save_figure(fig, path)


def _phenotype_figure(summary: dict, arrays: dict, path: Path) -> Path | None:
    """R(p) vs E(p) over phenotypes (exhaustive) or sampled networks, marker size by size."""
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
    ax.set_xlabel("phenotype robustness R(p)")
    ax.set_ylabel("phenotype evolvability E(p)")
    ax.set_title("phenotypes" if "phenotypes/robustness" in arrays else "sampled networks")
    return save_figure(fig, path)


def _rank_frequency_figure(arrays: dict, path: Path) -> Path | None:
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
    return save_figure(fig, path)


def _profile_figure(arrays: dict, path: Path) -> Path | None:
    """Per-gene robustness: one line per seed, bars for the mean over seeds."""
    if "profile/robustness" not in arrays:
        return None
    prof = np.asarray(arrays["profile/robustness"], float)
    genes = arrays["profile/gene_names"]
    fig = new_figure((max(6, 0.15 * len(genes)), 4))
    ax = fig.add_subplot()
    x = np.arange(prof.shape[1])
    for row in prof:
        ax.plot(x, row, color="0.7", lw=0.6)
    ax.bar(x, prof.mean(axis=0), alpha=0.7)
    ax.set_xticks(x)
    ax.set_xticklabels(genes, rotation=90, fontsize=5)
    ax.set_ylabel("fraction of mutations keeping the phenotype")
    ax.set_ylim(0, 1)
    ax.set_title(f"per-gene robustness (bars: mean of {prof.shape[0]} seeds, lines: each)")
    return save_figure(fig, path)


def plot_neutral(summary: dict, arrays: dict, graphs: dict, out_dir) -> list[str]:
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
        Folder for the PNGs (created).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [_network_figure(graphs, out / "network.png") if graphs else None,
               _genotype_figure(arrays, out / "genotype_r_vs_e.png"),
               _phenotype_figure(summary, arrays, out / "phenotype_R_vs_E.png"),
               _rank_frequency_figure(arrays, out / "rank_frequency.png"),
               _profile_figure(arrays, out / "profile.png")]
    return [p.name for p in written if p is not None]
