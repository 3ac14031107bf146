"""Figures of an evolution run file (reads the run file only; never writes it).

``plot_run(RUN.h5, OUT_DIR, fmt="png")`` writes (``.png`` shown; ``.pdf`` and
``.svg`` with ``fmt``):

``loss.png``            best and median loss per generation
``best.png``            the best phenotype of the last generation beside the target
``filmstrip.png``       the development of that best genome, every level
``mutations.png``       fractions of mutation classes among each generation's offspring

An existing file of these names (in the format asked for) in ``OUT_DIR`` is
an error unless ``force=True`` (:func:`alife.outputs.check_new_outputs`),
checked before the run file is read.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..figures import check_format, figure_path, in_format, new_figure, save_figure
from ..nca import trajectory
from ..nca.phenotype import binarise, render_filmstrip, render_phenotype
from ..outputs import check_new_outputs
from ..store import RunFile, RunFileError
from .config import loads

__all__ = ["plot_run", "FIGURES"]

#: The files :func:`plot_run` writes, in the default format
#: (:func:`alife.figures.in_format` gives them in another).
FIGURES = ("loss.png", "best.png", "filmstrip.png", "mutations.png")

#: code -> (legend label, colour) of the mutation classes 0..4
_CLASSES = {
    0: ("beneficial: phenotype changed, loss down", "tab:green"),
    1: ("silent: same states at every level and step", "0.72"),
    2: ("cryptic: inner states changed, phenotype kept", "tab:blue"),
    3: ("deleterious: phenotype changed, loss up", "tab:red"),
    4: ("neutral, changed: new phenotype, same loss", "tab:orange"),
}


def _loss_figure(loss: np.ndarray):
    """Best and median loss per generation; ``loss`` is (G, P)."""
    from matplotlib.ticker import MaxNLocator

    fig = new_figure((6, 4))
    ax = fig.add_subplot()
    gens = np.arange(loss.shape[0])
    ax.plot(gens, loss.min(axis=1), label="best")
    ax.plot(gens, np.median(loss, axis=1), label="median", alpha=0.8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("generation")
    ax.set_ylabel("loss (mismatched cells)")
    ax.set_title("loss per generation")
    ax.legend()
    return fig


def _mutations_figure(counts: np.ndarray):
    """Stacked fractions of the mutation classes 0..4 among each generation's
    mutated offspring, one column per generation; ``counts`` is the (G, 6)
    class_counts of the run file.  Generations without mutated offspring
    (generation 0: random genomes) are hatched, not drawn as a ramp."""
    from matplotlib.ticker import MaxNLocator

    G = counts.shape[0]
    offspring = counts[:, 1:].sum(axis=1)          # codes 0..4: offspring with a parent
    has = offspring > 0
    frac = np.where(has[:, None], counts[:, 1:] / np.maximum(offspring, 1)[:, None], 0.0)
    edges = np.arange(G + 1) - 0.5
    fig = new_figure((7, 4.6))
    ax = fig.add_subplot()
    bottom = np.zeros(G)
    for c, (label, color) in _CLASSES.items():
        ax.stairs(bottom + frac[:, c], edges, baseline=bottom.copy(), fill=True,
                  color=color, label=label)
        bottom += frac[:, c]
    if not has.all():
        ax.stairs(np.where(has, 0.0, 1.0), edges, fill=True, facecolor="none",
                  edgecolor="0.6", hatch="//", lw=0,
                  label="no mutated offspring (random genomes only)")
    ax.set_xlim(edges[0], edges[-1])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(0, 1)
    ax.set_xlabel("generation")
    ax.set_ylabel("fraction of mutated offspring")
    ax.set_title("what each generation's point mutations did")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return fig


def plot_run(run_path, out_dir, *, force: bool = False, fmt: str = "png") -> list[Path]:
    """Write the run's figures into ``out_dir``; return their paths.

    Parameters
    ----------
    run_path : str or Path
        An alife run file (``alife evolve``).
    out_dir : str or Path
        Folder for the figures (created).
    force : bool, default False
        Allow replacing figures already in ``out_dir``.
    fmt : {"png", "pdf", "svg"}, default "png"
        File format of the figures (see :data:`alife.figures.FORMATS`);
        :data:`FIGURES` names them in the default format.

    Raises
    ------
    alife.store.RunFileError
        If the run file cannot be read or holds no complete generation.
    ValueError
        If ``fmt`` is not a known figure format, or a figure exists in
        ``out_dir`` and ``force`` is false (before anything is read).
    """
    fmt = check_format(fmt)
    out = Path(out_dir)
    check_new_outputs(out, in_format(FIGURES, fmt), force=force)
    with RunFile.open(run_path, "r") as run:
        G = run.generations_done
        if G == 0:
            raise RunFileError(f"{run_path}: no complete generation to plot yet")
        loss = run.read("loss")
        genomes_last = run.read("genomes", -1)
        counts = run.class_counts()
        config = loads(run.config_toml, name=str(run_path))
    out.mkdir(parents=True, exist_ok=True)
    paths = [save_figure(_loss_figure(loss), figure_path(out, "loss", fmt))]

    spec = config.spec()
    task = config.task_object()
    best = int(np.argmin(loss[-1]))
    hist = trajectory(spec, genomes_last[best])
    pheno = binarise(hist[spec.output_level][-1], spec.threshold)
    paths.append(render_phenotype(pheno, figure_path(out, "best", fmt), target=task.target,
                                  title=f"best of generation {G - 1}: loss {loss[-1, best]:g}",
                                  threshold=spec.threshold))
    paths.append(render_filmstrip(hist, figure_path(out, "filmstrip", fmt),
                                  title=f"development of the best genome, generation {G - 1}",
                                  threshold=spec.threshold))
    paths.append(save_figure(_mutations_figure(counts), figure_path(out, "mutations", fmt)))
    return paths
