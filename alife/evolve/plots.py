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

from ..nca import trajectory
from ..nca.phenotype import binarise, new_figure, render_filmstrip, render_phenotype, save_figure
from ..store import RunFile, RunFileError
from .config import loads
from .lineage import CLASS_NAMES

__all__ = ["plot_run"]


def _loss_figure(loss: np.ndarray, path: Path) -> Path:
    """Best and median loss per generation; ``loss`` is (G, P)."""
    fig = new_figure((6, 4))
    ax = fig.add_subplot()
    gens = np.arange(loss.shape[0])
    ax.plot(gens, loss.min(axis=1), label="best")
    ax.plot(gens, np.median(loss, axis=1), label="median", alpha=0.8)
    ax.set_xlabel("generation")
    ax.set_ylabel("loss (mismatched cells)")
    ax.set_title("loss per generation")
    ax.legend()
    return save_figure(fig, path)


def _mutations_figure(counts: np.ndarray, path: Path) -> Path:
    """Stacked fractions of the mutation classes 0..4 among each generation's
    mutated offspring; ``counts`` is the (G, 6) class_counts of the run file."""
    fig = new_figure((6, 4))
    ax = fig.add_subplot()
    offspring = counts[:, 1:].sum(axis=1)          # codes 0..4: offspring with a parent
    frac = counts[:, 1:] / np.maximum(offspring, 1)[:, None]
    ax.stackplot(np.arange(counts.shape[0]), frac.T, labels=[CLASS_NAMES[c] for c in range(5)])
    ax.set_xlabel("generation")
    ax.set_ylabel("fraction of mutated offspring")
    ax.set_ylim(0, 1)
    ax.set_title("mutation classes")
    ax.legend(loc="upper left", fontsize=8)
    return save_figure(fig, path)


def plot_run(run_path, out_dir) -> list[Path]:
    """Write the run's figures into ``out_dir``; return their paths.

    Raises
    ------
    alife.store.RunFileError
        If the run file cannot be read or holds no complete generation.
    """
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
    paths = [_loss_figure(loss, out / "loss.png")]

    spec = config.spec()
    task = config.task_object()
    best = int(np.argmin(loss[-1]))
    hist = trajectory(spec, genomes_last[best])
    pheno = binarise(hist[spec.output_level][-1], spec.threshold)
    paths.append(render_phenotype(pheno, out / "best.png", target=task.target,
                                  title=f"best of generation {G - 1}: loss {loss[-1, best]:g}"))
    paths.append(render_filmstrip(hist, out / "filmstrip.png",
                                  title=f"development of the best genome, generation {G - 1}"))
    paths.append(_mutations_figure(counts, out / "mutations.png"))
    return paths
