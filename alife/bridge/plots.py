"""Figures of a BRIDGE.h5 file (``alife plot BRIDGE.h5``; reads the file only).

``plot_bridge(BRIDGE.h5, OUT_DIR)`` writes:

``paths.png``        train loss and test error along every path kind, one row per pair
``cka.png``          linear CKA of each hidden layer against endpoints A and B along
                     every path kind, and the prediction agreement (pair 0)
``plane_pairN.png``  train loss and test error on the plane through θ_A, θ_B and
                     the bend, with the curve and the line (Garipov et al. 2018, fig. 1)
``align.png``        the straight line before and after weight matching
``ensembles.png``    test NLL of one model, both endpoints, FGE, the curve and SWA
``gpmap.png``        the net as a GP map: robustness and evolvability vs σ

An existing file of these names in ``OUT_DIR`` is an error unless
``force=True`` (:func:`alife.outputs.check_new_outputs`), checked before the
result file is read.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..nca.phenotype import new_figure
from ..outputs import check_new_outputs
from .run import read_bridge

#: The files :func:`plot_bridge` may write (``plane_pairN.png`` as a pattern).
FIGURES = ("paths.png", "cka.png", "align.png", "ensembles.png", "gpmap.png")
FIGURE_PATTERNS = ("plane_pair*.png",)

_COLORS = {"line": "tab:red", "bezier": "tab:blue", "polychain": "tab:green",
           "autoneb": "tab:purple"}


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=100, bbox_inches="tight")
    return path


def _paths_figure(summary, arrays, out) -> Path:
    pairs = summary["pairs"]
    fig = new_figure((10, 2.8 * len(pairs)))
    axes = fig.subplots(len(pairs), 2, squeeze=False)
    for row, r in zip(axes, pairs):
        p = r["pair"]
        for kind in r["paths"]:
            pre = f"pair{p}/paths/{kind}/"
            t = arrays[pre + "t"]
            c = _COLORS.get(kind)
            row[0].plot(t, arrays[pre + "train_loss"], color=c, label=kind)
            row[1].plot(t, 100 * arrays[pre + "test_error"], color=c, label=kind)
        row[0].set_yscale("log")
        row[0].set_ylabel(f"pair {p}: train NLL")
        row[1].set_ylabel("test error (%)")
        for ax in row:
            ax.set_xlabel("t")
            ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    axes[0, 0].set_title("train loss along each path")
    axes[0, 1].set_title("test error along each path")
    fig.tight_layout()
    return _save(fig, out / "paths.png")


def _cka_figure(summary, arrays, out) -> Path:
    r = summary["pairs"][0]
    kinds = list(r["paths"])
    fig = new_figure((3.2 * len(kinds), 5.6))
    axes = fig.subplots(2, len(kinds), squeeze=False)
    for j, kind in enumerate(kinds):
        pre = f"pair0/paths/{kind}/"
        t = arrays[pre + "t"]
        ca, cb = arrays[pre + "cka_a"], arrays[pre + "cka_b"]
        for layer in range(ca.shape[1]):
            axes[0, j].plot(t, ca[:, layer], color=f"C{layer}", label=f"layer {layer + 1} vs A")
            axes[0, j].plot(t, cb[:, layer], color=f"C{layer}", ls="--",
                            label=f"layer {layer + 1} vs B")
        axes[0, j].set_title(kind)
        axes[0, j].set_ylim(min(0.5, float(min(ca.min(), cb.min())) - 0.02), 1.01)
        axes[1, j].plot(t, arrays[pre + "agree_a"], color="k", label="vs A")
        axes[1, j].plot(t, arrays[pre + "agree_b"], color="k", ls="--", label="vs B")
        axes[1, j].set_xlabel("t")
        for ax in axes[:, j]:
            ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("linear CKA (test inputs)")
    axes[1, 0].set_ylabel("prediction agreement")
    axes[0, 0].legend(fontsize=7)
    axes[1, 0].legend(fontsize=7)
    fig.suptitle("pair 0: representation along each path (1 − CKA = diversity)")
    fig.tight_layout()
    return _save(fig, out / "cka.png")


def _plane_figure(summary, arrays, p, out) -> Path:
    pre = f"pair{p}/plane/"
    u, v = arrays[pre + "u"], arrays[pre + "v"]
    anchors = arrays[pre + "anchors"]
    fig = new_figure((11, 4.5))
    axes = fig.subplots(1, 2)
    for ax, key, title in ((axes[0], "train_loss", "train NLL (log10)"),
                           (axes[1], "test_error", "test error (%)")):
        z = arrays[pre + key]
        z = np.log10(np.maximum(z, 1e-6)) if key == "train_loss" else 100 * z
        cs = ax.contourf(u, v, z, levels=20, cmap="viridis")
        fig.colorbar(cs, ax=ax)
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
    fig.tight_layout()
    return _save(fig, out / f"plane_pair{p}.png")


def _align_figure(summary, arrays, out) -> Path:
    fig = new_figure((6, 4))
    ax = fig.add_subplot()
    for r in summary["align"]:
        p = r["pair"]
        for name, ls in (("before", "-"), ("after", "--")):
            pre = f"align/pair{p}/{name}/"
            ax.plot(arrays[pre + "t"], arrays[pre + "train_loss"], color=f"C{p}", ls=ls,
                    label=f"pair {p} {name} matching")
    ax.set_yscale("log")
    ax.set_xlabel("t")
    ax.set_ylabel("train NLL along the straight line")
    ax.set_title("weight matching removes the barrier")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return _save(fig, out / "align.png")


def _ensembles_figure(summary, out) -> Path:
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
    ax.set_xticks(x + 0.4 - w / 2)
    ax.set_xticklabels(names, rotation=20)
    ax.set_ylabel("test NLL")
    ax.set_title("ensembles from endpoint A vs one model")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return _save(fig, out / "ensembles.png")


def _gpmap_figure(summary, out) -> Path:
    rows = summary["gpmap"]
    s = [r["sigma"] for r in rows]
    fig = new_figure((9, 3.5))
    a1, a2 = fig.subplots(1, 2)
    a1.plot(s, [r["robustness"] for r in rows], "o-", label="robustness r(g)")
    a1.plot(s, [r["agreement"] for r in rows], "s--", label="probe predictions kept")
    a1.set_xscale("log")
    a1.set_xlabel("σ of the weight perturbation")
    a1.set_ylim(-0.02, 1.02)
    a1.legend(fontsize=8)
    a2.plot(s, [r["evolvability"] for r in rows], "o-", color="tab:orange")
    a2.set_xscale("log")
    a2.set_xlabel("σ")
    a2.set_ylabel(f"evolvability e(g): new phenotypes in {rows[0]['n']}")
    for ax in (a1, a2):
        ax.grid(alpha=0.3)
    fig.suptitle("the trained net as a GP map (phenotype: predictions on the probe set)")
    fig.tight_layout()
    return _save(fig, out / "gpmap.png")


def plot_bridge(path, out_dir, *, force: bool = False) -> list[Path]:
    """Write every figure of a BRIDGE.h5 file into ``out_dir``; return their paths.

    ``force`` allows replacing figures already in ``out_dir``; without it an
    existing one is a ValueError, raised before the file is read.
    """
    out = Path(out_dir)
    check_new_outputs(out, FIGURES, FIGURE_PATTERNS, force=force)
    summary, arrays, _ = read_bridge(path)
    out.mkdir(parents=True, exist_ok=True)
    files = [_paths_figure(summary, arrays, out), _cka_figure(summary, arrays, out)]
    for r in summary["pairs"]:
        if f"pair{r['pair']}/plane/u" in arrays:
            files.append(_plane_figure(summary, arrays, r["pair"], out))
    if summary["align"]:
        files.append(_align_figure(summary, arrays, out))
    files.append(_ensembles_figure(summary, out))
    if summary["gpmap"]:
        files.append(_gpmap_figure(summary, out))
    return files
