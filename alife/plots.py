"""Figures of an evolution run file (reads the run file only; never writes it).

``plot_run(RUN.h5, OUT_DIR)`` writes:

``loss.png``            best and median loss per generation
``best.png``            the best phenotype of the last generation beside the target
``filmstrip.png``       the development of that best genome, every level
``mutations.png``       fractions of mutation classes among each generation's offspring
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .evolve.config import loads
from .evolve.lineage import CLASS_NAMES
from .nca import trajectory
from .nca.phenotype import binarise, new_figure, render_filmstrip, render_phenotype
from .store import RunFile, RunFileError


def plot_run(run_path, out_dir) -> list[Path]:
    """Write the run's figures into ``out_dir``; return their paths."""
    out = Path(out_dir)
    with RunFile.open(run_path, "r") as run:
        G = run.generations_done
        if G == 0:
            raise RunFileError(f"{run_path}: no complete generation to plot yet")
        loss = run.read("loss")
        genomes_last = run.read("genomes", -1)
        counts = run.class_counts()
        config = loads(run.config_toml, name=str(run_path))
    out.mkdir(parents=True, exist_ok=True)
    paths = []

    fig = new_figure((6, 4))
    ax = fig.add_subplot()
    gens = np.arange(G)
    ax.plot(gens, loss.min(axis=1), label="best")
    ax.plot(gens, np.median(loss, axis=1), label="median", alpha=0.8)
    ax.set_xlabel("generation")
    ax.set_ylabel("loss (mismatched cells)")
    ax.set_title("loss per generation")
    ax.legend()
    fig.savefig(out / "loss.png", dpi=100, bbox_inches="tight")
    paths.append(out / "loss.png")

    spec = config.spec()
    task = config.task_object()
    best = int(np.argmin(loss[-1]))
    hist = trajectory(spec, genomes_last[best])
    pheno = binarise(hist[spec.output_level][-1], spec.threshold)
    paths.append(render_phenotype(pheno, out / "best.png", target=task.target,
                                  title=f"best of generation {G - 1}: loss {loss[-1, best]:g}"))
    paths.append(render_filmstrip(hist, out / "filmstrip.png",
                                  title=f"development of the best genome, generation {G - 1}"))

    fig = new_figure((6, 4))
    ax = fig.add_subplot()
    offspring = counts[:, 1:].sum(axis=1)          # codes 0..4: offspring with a parent
    frac = counts[:, 1:] / np.maximum(offspring, 1)[:, None]
    ax.stackplot(gens, frac.T, labels=[CLASS_NAMES[c] for c in range(5)])
    ax.set_xlabel("generation")
    ax.set_ylabel("fraction of mutated offspring")
    ax.set_ylim(0, 1)
    ax.set_title("mutation classes")
    ax.legend(loc="upper left", fontsize=8)
    fig.savefig(out / "mutations.png", dpi=100, bbox_inches="tight")
    paths.append(out / "mutations.png")
    return paths


# --------------------------------------------------------------------------- #
# neutral-network figures (alife neutral)
# --------------------------------------------------------------------------- #
def _save(fig, path: Path) -> str:
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path.name


def plot_neutral(summary: dict, arrays: dict, graphs: dict, out_dir) -> list[str]:
    """Figures of a neutral-network analysis; returns the file names written.

    ``network.png``          the first (or largest) network drawn, nodes
                             coloured by genotype robustness r(g)
    ``genotype_r_vs_e.png``  r(g) vs e(g) over genotypes (Wagner 2008, Fig. 2a)
    ``phenotype_R_vs_E.png`` R(p) vs E(p) over phenotypes / networks
    ``rank_frequency.png``   phenotype rank vs frequency (log-log)
    ``profile.png``          per-gene robustness profile (HNCA maps)
    """
    import networkx as nx

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = []
    if graphs:
        key = max(graphs, key=lambda k: graphs[k].number_of_nodes())   # the largest
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
        names.append(_save(fig, out / "network.png"))

    if "genotypes/robustness" in arrays:                      # exhaustive
        r = np.asarray(arrays["genotypes/robustness"], float)
        e = np.asarray(arrays["genotypes/evolvability"], float)
    else:
        keys = sorted(k for k in arrays if k.startswith("networks/") and k.endswith("/robustness"))
        r = np.concatenate([np.asarray(arrays[k], float) for k in keys]) if keys else np.zeros(0)
        e = np.concatenate([np.asarray(arrays[k.replace("robustness", "evolvability")], float)
                            for k in keys]) if keys else np.zeros(0)
    ok = np.isfinite(r) & (e >= 0)
    if ok.any():
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
        names.append(_save(fig, out / "genotype_r_vs_e.png"))

    if "phenotypes/robustness" in arrays:
        R = np.asarray(arrays["phenotypes/robustness"], float)
        E = np.asarray(arrays["phenotypes/evolvability"], float)
        size = np.asarray(arrays["phenotypes/size"], float)
    else:
        nets = summary.get("networks", [])
        R = np.array([n["robustness"] for n in nets], float)
        E = np.array([n["evolvability"] for n in nets], float)
        size = np.array([n["size"] for n in nets], float)
    if R.size:
        fig = new_figure((5, 4))
        ax = fig.add_subplot()
        ax.scatter(R, E, s=8 + 40 * size / max(size.max(), 1), alpha=0.6)
        ax.set_xlabel("phenotype robustness R(p)")
        ax.set_ylabel("phenotype evolvability E(p)")
        ax.set_title("phenotypes" if "phenotypes/robustness" in arrays else "sampled networks")
        names.append(_save(fig, out / "phenotype_R_vs_E.png"))

    if "phenotypes/frequency" in arrays:
        f = np.sort(np.asarray(arrays["phenotypes/frequency"], float))[::-1]
        what = "fraction of all genotypes"
    else:
        keys = [k for k in arrays if k.endswith("/boundary_phenotype")]
        q = np.concatenate([np.asarray(arrays[k]) for k in keys]) if keys else np.zeros(0, int)
        q = q[q >= 0]
        f = np.sort(np.unique(q, return_counts=True)[1] / max(q.size, 1))[::-1] if q.size else q
        what = "fraction of boundary mutations"
    if f.size:
        fig = new_figure((5, 4))
        ax = fig.add_subplot()
        ax.loglog(np.arange(1, f.size + 1), f, marker=".", lw=0.8)
        ax.set_xlabel("phenotype rank")
        ax.set_ylabel(what)
        ax.set_title("phenotype rank-frequency")
        names.append(_save(fig, out / "rank_frequency.png"))

    if "profile/robustness" in arrays:
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
        names.append(_save(fig, out / "profile.png"))
    return names
