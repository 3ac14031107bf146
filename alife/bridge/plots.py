"""Figures of a BRIDGE.h5 file (``alife plot BRIDGE.h5``; reads the file only).

``plot_bridge(BRIDGE.h5, OUT_DIR, fmt="png")`` writes (``.png`` shown; ``.pdf``
and ``.svg`` with ``fmt``):

``paths.png``        train loss and test error along every path kind, one row per pair
``cka.png``          linear CKA of each hidden layer against endpoints A and B along
                     every path kind, and the prediction agreement (pair 0)
``plane_pairN.png``  train loss and test error on the plane through θ_A, θ_B and
                     the bend, with the curve and the line (Garipov et al. 2018, fig. 1)
``align.png``        the straight line before and after weight matching
``ensembles.png``    test NLL of one model, both endpoints, FGE, the curve and SWA
``gpmap.png``        the net as a GP map: robustness and evolvability vs σ

An existing file of these names (in the format asked for) in ``OUT_DIR`` is
an error unless ``force=True`` (:func:`alife.outputs.check_new_outputs`),
checked before the result file is read.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..figures import check_format, figure_path, in_format, new_figure, save_figure
from ..outputs import check_new_outputs
from .run import read_bridge

#: The files :func:`plot_bridge` may write in the default format (``plane_pairN.png``
#: as a pattern; :func:`alife.figures.in_format` gives them in another).
FIGURES = ("paths.png", "cka.png", "align.png", "ensembles.png", "gpmap.png")
FIGURE_PATTERNS = ("plane_pair*.png",)

_COLORS = {"line": "tab:red", "bezier": "tab:blue", "polychain": "tab:green",
           "autoneb": "tab:purple"}

#: ensemble name in the file -> its label on the ensembles figure
_ENSEMBLES = {"single_a": "model A\nalone", "single_b": "model B\nalone",
              "endpoints": "A + B", "fge": "FGE", "curve": "along\nthe curve", "swa": "SWA"}


def _loss_axis(ax, values) -> None:
    """A log y axis for losses spanning more than a decade, linear otherwise
    (so that a narrow range is not labelled 2.1e0, 2.2e0, ...)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size and v.max() > 10 * v.min():
        ax.set_yscale("log")


def _paths_figure(summary, arrays):
    """Train loss and test error along every path kind, one row per pair."""
    pairs = summary["pairs"]
    fig = new_figure((10, 2.8 * len(pairs)))
    axes = fig.subplots(len(pairs), 2, squeeze=False, sharex=True)
    for row, r in zip(axes, pairs):
        p = r["pair"]
        losses = []
        for kind in r["paths"]:
            pre = f"pair{p}/paths/{kind}/"
            t = arrays[pre + "t"]
            c = _COLORS.get(kind)
            row[0].plot(t, arrays[pre + "train_loss"], color=c, label=kind)
            row[1].plot(t, 100 * arrays[pre + "test_error"], color=c, label=kind)
            losses.append(np.ravel(arrays[pre + "train_loss"]))
        _loss_axis(row[0], np.concatenate(losses) if losses else [])
        row[0].set_ylabel(f"pair {p}: train NLL")
        row[1].set_ylabel("test error (%)")
        for ax in row:
            ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("t (position along the path, A at 0, B at 1)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=max(1, len(labels)),
               fontsize=8, frameon=False)
    axes[0, 0].set_title("train loss along each path")
    axes[0, 1].set_title("test error along each path")
    return fig


def _cka_figure(summary, arrays):
    """Linear CKA of every hidden layer against both endpoints (top row) and
    prediction agreement (bottom row) along each path kind of pair 0; the
    panels of a row share the y axis, those of a column the t axis."""
    from matplotlib.lines import Line2D

    r = summary["pairs"][0]
    kinds = list(r["paths"])
    fig = new_figure((2.9 * len(kinds) + 1.0, 5.8))
    axes = fig.subplots(2, len(kinds), squeeze=False, sharex=True, sharey="row")
    lows = [0.5]
    for j, kind in enumerate(kinds):
        pre = f"pair0/paths/{kind}/"
        t = arrays[pre + "t"]
        ca, cb = arrays[pre + "cka_a"], arrays[pre + "cka_b"]
        for layer in range(ca.shape[1]):
            axes[0, j].plot(t, ca[:, layer], color=f"C{layer}")
            axes[0, j].plot(t, cb[:, layer], color=f"C{layer}", ls="--")
        lows.append(float(min(ca.min(), cb.min())) - 0.02)
        axes[0, j].set_title(kind)
        axes[1, j].plot(t, arrays[pre + "agree_a"], color="k")
        axes[1, j].plot(t, arrays[pre + "agree_b"], color="k", ls="--")
        axes[1, j].set_xlabel("t")
        for ax in axes[:, j]:
            ax.grid(alpha=0.3)
    axes[0, 0].set_ylim(min(lows), 1.01)
    axes[0, 0].set_ylabel("linear CKA (test inputs)")
    axes[1, 0].set_ylabel("prediction agreement")
    n_layers = arrays[f"pair0/paths/{kinds[0]}/cka_a"].shape[1]
    handles = [Line2D([], [], color=f"C{k}", label=f"hidden layer {k + 1}")
               for k in range(n_layers)]
    handles += [Line2D([], [], color="0.3", label="vs endpoint A"),
                Line2D([], [], color="0.3", ls="--", label="vs endpoint B")]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8,
               frameon=False)
    fig.suptitle("pair 0: representation along each path (1 \u2212 CKA = diversity)")
    return fig


def _plane_figure(summary, arrays, p):
    """Train loss and test error of pair ``p`` on the plane through both
    endpoints and the bend, with the curve and the straight line."""
    pre = f"pair{p}/plane/"
    u, v = arrays[pre + "u"], arrays[pre + "v"]
    anchors = arrays[pre + "anchors"]
    fig = new_figure((11, 3.8))
    axes = fig.subplots(1, 2)
    for ax, key, title in ((axes[0], "train_loss", "train NLL (log10)"),
                           (axes[1], "test_error", "test error (%)")):
        z = arrays[pre + key]
        z = np.log10(np.maximum(z, 1e-6)) if key == "train_loss" else 100 * z
        cs = ax.contourf(u, v, z, levels=20, cmap="viridis")
        # a colour bar as tall as the (equal-aspect) plane, not as its cell
        fig.colorbar(cs, cax=ax.inset_axes([1.03, 0.0, 0.04, 1.0]), label=title)
        if pre + "curve" in arrays:
            c = arrays[pre + "curve"]
            ax.plot(c[:, 0], c[:, 1], color="white", lw=2,
                    label=summary["pairs"][p].get("plane", {}).get("curve", "curve"))
        ax.plot(anchors[:2, 0], anchors[:2, 1], color="tab:red", lw=1.5, ls="--", label="line")
        ax.scatter(anchors[:, 0], anchors[:, 1], c=["k", "k", "white"], edgecolors="k", zorder=3)
        for name, (x, y) in zip(("A", "B", "bend"), anchors):
            ax.annotate(name, (x, y), textcoords="offset points", xytext=(5, 5), color="w")
        ax.set_title(f"pair {p}: {title}")
        ax.set_xlabel("u (along θ_B − θ_A)")
        ax.set_ylabel("v (towards the bend)")
        ax.set_aspect("equal")
    axes[0].legend(fontsize=8, loc="lower right")
    return fig


def _align_figure(summary, arrays):
    """Train loss along the straight line before and after weight matching."""
    fig = new_figure((6.5, 4))
    ax = fig.add_subplot()
    losses = []
    for r in summary["align"]:
        p = r["pair"]
        for name, ls in (("before", "-"), ("after", "--")):
            pre = f"align/pair{p}/{name}/"
            ax.plot(arrays[pre + "t"], arrays[pre + "train_loss"], color=f"C{p}", ls=ls,
                    label=f"pair {p}, {name} matching")
            losses.append(np.ravel(arrays[pre + "train_loss"]))
    _loss_axis(ax, np.concatenate(losses) if losses else [])
    ax.set_xlabel("t (A at 0, B at 1)")
    ax.set_ylabel("train NLL along the straight line")
    ax.set_title("the straight line before and after weight matching")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, frameon=False)
    return fig


def _ensembles_figure(summary):
    """Test NLL of one model and of each ensemble, one bar per pair."""
    names = ["single_a", "single_b", "endpoints", "fge", "curve", "swa"]
    pairs = summary["pairs"]
    names = [n for n in names if all(n in r["ensembles"] for r in pairs)]
    fig = new_figure((7, 4))
    ax = fig.add_subplot()
    w = 0.8 / len(pairs)
    x = np.arange(len(names))
    for k, r in enumerate(pairs):
        ax.bar(x + k * w, [r["ensembles"][n]["nll"] for n in names], width=w,
               label=f"pair {r['pair']}")
    ax.set_xticks(x + 0.4 - w / 2, [_ENSEMBLES.get(n, n) for n in names])
    ax.set_ylabel("test NLL (lower is better)")
    ax.set_title("ensembles from endpoint A vs one model")
    if len(pairs) > 1:
        fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    ax.grid(alpha=0.3, axis="y")
    return fig


def _gpmap_figure(summary):
    """Robustness, kept predictions and evolvability of the net as a GP map vs sigma."""
    rows = summary["gpmap"]
    s = [r["sigma"] for r in rows]
    fig = new_figure((9, 3.5))
    a1, a2 = fig.subplots(1, 2)
    a1.plot(s, [r["robustness"] for r in rows], "o-",
            label="robustness r(g): nets keeping every prediction")
    a1.plot(s, [r["agreement"] for r in rows], "s--", label="probe predictions kept (mean)")
    a1.set_xscale("log")
    a1.set_xlabel("σ of the weight perturbation")
    a1.set_ylim(-0.02, 1.02)
    a1.set_ylabel("fraction")
    a1.legend(fontsize=8)
    a2.plot(s, [r["evolvability"] for r in rows], "o-", color="tab:purple")
    a2.set_xscale("log")
    a2.set_xlabel("σ")
    a2.set_ylabel(f"evolvability e(g): new phenotypes\namong {rows[0]['n']} perturbed nets")
    for ax in (a1, a2):
        ax.grid(alpha=0.3)
    fig.suptitle("the trained net as a GP map (phenotype: predictions on the probe set)")
    return fig


def plot_bridge(path, out_dir, *, force: bool = False, fmt: str = "png") -> list[Path]:
    """Write every figure of a BRIDGE.h5 file into ``out_dir``; return their paths.

    Parameters
    ----------
    path : str or Path
        A BRIDGE.h5 file of ``alife bridge``.
    out_dir : str or Path
        Folder for the figures (created).
    force : bool, default False
        Allow replacing figures already in ``out_dir``; without it an existing
        one is a ValueError, raised before the file is read.
    fmt : {"png", "pdf", "svg"}, default "png"
        File format of the figures (see :data:`alife.figures.FORMATS`);
        :data:`FIGURES` names them in the default format.

    Raises
    ------
    ValueError
        If ``fmt`` is not a known figure format, or a figure exists and
        ``force`` is false.
    """
    fmt = check_format(fmt)
    out = Path(out_dir)
    check_new_outputs(out, in_format(FIGURES, fmt), in_format(FIGURE_PATTERNS, fmt), force=force)
    summary, arrays, _ = read_bridge(path)
    out.mkdir(parents=True, exist_ok=True)
    figs = [("paths", _paths_figure(summary, arrays)), ("cka", _cka_figure(summary, arrays))]
    for r in summary["pairs"]:
        if f"pair{r['pair']}/plane/u" in arrays:
            figs.append((f"plane_pair{r['pair']}", _plane_figure(summary, arrays, r["pair"])))
    if summary["align"]:
        figs.append(("align", _align_figure(summary, arrays)))
    figs.append(("ensembles", _ensembles_figure(summary)))
    if summary["gpmap"]:
        figs.append(("gpmap", _gpmap_figure(summary)))
    files = []
    for name, fig in figs:
        files.append(save_figure(fig, figure_path(out, name, fmt)))
        fig.clear()
    return files
