"""The one summary figure of ``alife compare``.

Left: the fraction of pairs connected (the exact phenotype kept at every
point of the path) against the number of free parameters of one model, one
line per system and mode (marker and line style), path method (colour) and
rule family (rules that differ only in a number, :func:`rule_family`), with
95 % Wilson intervals; a point needs at least
:data:`alife.figures.MIN_POINTS` pairs.

Right: robustness curves r of every system and model family on one axis:
r (the fraction of mutants keeping the phenotype) against the mutation
strength, the fraction of genes resampled from their initialisation law
(kernel i, solid lines) or the noise σ in units of each layer's or level's
RMS (kernel ii, dashed; it changes every gene).  Each line is the mean over
models of one family, with a band of the 95 % t interval over pairs; a
point needs at least MIN_POINTS pairs.  Colour = system and mode; within
one, darker lines have more parameters.

Both legends sit below the axes, off the data.  Matplotlib is drawn on its
own Agg canvas (:func:`alife.figures.new_figure`); PDF and SVG carry no
date, so the same tables give the same bytes.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..figures import FORMATS, MIN_POINTS, new_figure, save_figure
from ..store import atomic_write
from ..store.atomic import open_exclusive
from ..sweep import stats as S

__all__ = ["FORMATS", "FAMILY_COLORS", "METHOD_COLORS", "FAMILY_STYLE", "rule_family",
           "comparison_figure"]

#: (system, mode) -> colour map of its lines (darker = more parameters).
FAMILY_COLORS = {("hnca", "evolved"): "Reds", ("hnca", "trained"): "Oranges",
                 ("mlp", "trained"): "Blues", ("mlp", "evolved"): "Purples",
                 ("rna", "evolved"): "Greens"}

#: Colour of each path method (left panel).
METHOD_COLORS = {"line": "C3", "matched_line": "C0", "search": "C2", "bezier": "C4"}

#: (system, mode) -> marker and line style (left panel).
FAMILY_STYLE = {("mlp", "trained"): ("o", "-"), ("hnca", "evolved"): ("^", "--"),
                ("hnca", "trained"): ("s", "-."), ("rna", "evolved"): ("D", ":")}


def _family_cmap(system, mode):
    import matplotlib
    return matplotlib.colormaps[FAMILY_COLORS.get((system, mode), "Greys")]


def _family_label(system, mode) -> str:
    return f"{system.upper() if system != 'mlp' else 'MLP'}, {mode}"


def rule_family(rule: str) -> str:
    """Rules that differ only in their numbers (``"width-8"``, ``"width-64"``;
    ``"mlp-H2"``, ``"mlp-H32"``) form one family, drawn as one line."""
    return re.sub(r"[0-9]+", "#", rule)


def _series(rows) -> dict:
    """(system, mode, method, rule family) -> [(n_params, connected dict)], >= MIN_POINTS pairs."""
    series = {}
    for r in rows:
        if r["n_params"] is None:
            continue
        for m, d in r["connected"].items():
            if d["n"] >= MIN_POINTS:
                key = (r["system"], r["mode"], m, rule_family(r["rule"]), r["target"])
                series.setdefault(key, []).append((r["n_params"], d))
    return series


def _connectivity_panel(ax, rows) -> list:
    """Fraction connected vs #parameters; returns the legend handles."""
    from matplotlib.lines import Line2D
    series = _series(rows)
    methods = list(dict.fromkeys(k[2] for k in series))
    for (system, mode, m, _, _), pts in sorted(series.items()):
        pts.sort(key=lambda p: p[0])
        j = methods.index(m)
        shift = 10 ** (0.03 * (j - (len(methods) - 1) / 2))     # side by side, not on top
        x = np.array([p[0] for p in pts], float) * shift
        y = np.array([p[1]["k"] / p[1]["n"] for p in pts])
        lo = np.array([p[1]["lo"] for p in pts])
        hi = np.array([p[1]["hi"] for p in pts])
        marker, ls = FAMILY_STYLE.get((system, mode), ("v", "-"))
        color = METHOD_COLORS.get(m, "0.3")
        ax.errorbar(x, y, yerr=[y - lo, hi - y], marker=marker, ls=ls, color=color, capsize=2,
                    ms=5, lw=1.2, elinewidth=0.8, alpha=0.85,
                    mfc="white" if mode == "evolved" else color)
    fams = list(dict.fromkeys(k[:2] for k in series))
    handles = [Line2D([], [], color="0.3", marker=FAMILY_STYLE.get(f, ("v", "-"))[0],
                      ls=FAMILY_STYLE.get(f, ("v", "-"))[1],
                      mfc="white" if f[1] == "evolved" else "0.3", label=_family_label(*f))
               for f in fams]
    from .compare import METHOD_LABELS
    handles += [Line2D([], [], color=METHOD_COLORS.get(m, "0.3"), lw=3,
                       label=METHOD_LABELS.get(m, m)) for m in methods]
    ax.set_xscale("log")
    ax.set_ylim(-0.04, 1.04)
    ax.set_xlabel("free parameters of one model (log scale)")
    ax.set_ylabel("fraction of pairs connected\n(exact phenotype kept along the path)")
    ax.set_title("Connectivity against size (95 % Wilson intervals)", fontsize=10)
    ax.grid(alpha=0.3)
    if not series:
        ax.text(0.5, 0.5, f"no group of {MIN_POINTS} or more pairs", ha="center",
                transform=ax.transAxes, color="0.4")
    return handles


def _curve(rows, kernel):
    """x, mean r, lo, hi over the strengths of one family's curves (>= MIN_POINTS pairs)."""
    by_x = {}
    for r in rows:
        if r["kernel"] != kernel:
            continue
        x = r["fraction_changed"] if kernel == "resample" else r["strength"]
        if x > 0:
            by_x.setdefault(float(f"{x:.3g}"), {}).setdefault(r["seed"], []).append(
                r["kept"] / r["n"])
    out = []
    for x in sorted(by_x):
        clusters = [float(np.mean(v)) for v in by_x[x].values()]
        if len(clusters) < MIN_POINTS:
            continue
        m, lo, hi, _ = S.t_interval(clusters)
        out.append((x, m, max(lo, 0.0), min(hi, 1.0)))
    return np.array(out).reshape(-1, 4)


def _robustness_panel(ax, rob, rows) -> list:
    """r against strength, every family, both kernels; returns the legend handles."""
    from matplotlib.lines import Line2D
    size = {(r["system"], r["mode"], (r["rule"], r["target"])): r["n_params"] for r in rows}
    fams = {}
    for r in rob:
        fams.setdefault((r["system"], r["mode"]), {}).setdefault((r["rule"], r["target"]),
                                                                 []).append(r)
    drawn = False
    for fam, rules in fams.items():
        order = sorted(rules, key=lambda k: (size.get(fam + (k,)) or 0, k))
        cmap = _family_cmap(*fam)
        for i, rule in enumerate(order):
            shade = 0.35 + 0.6 * (i / max(1, len(order) - 1))
            for kernel, ls in (("resample", "-"), ("noise", "--")):
                c = _curve(rules[rule], kernel)
                if not len(c):
                    continue
                ax.plot(c[:, 0], c[:, 1], ls=ls, color=cmap(shade), lw=1.1)
                ax.fill_between(c[:, 0], c[:, 2], c[:, 3], color=cmap(shade), alpha=0.08, lw=0)
                drawn = True
    handles = [Line2D([], [], color=_family_cmap(*f)(0.75), lw=3, label=_family_label(*f))
               for f in fams]
    handles += [Line2D([], [], color="0.3", ls="-", label="genes resampled (x: fraction)"),
                Line2D([], [], color="0.3", ls="--", label="noise × RMS (x: σ)")]
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.axhline(0.5, color="0.6", lw=0.8)
    ax.set_xlabel("mutation strength: fraction of genes resampled (solid) or σ (dashed)")
    ax.set_ylabel("r: fraction of mutants keeping the phenotype")
    ax.set_title("Robustness curves, all systems (darker = more parameters)", fontsize=10)
    ax.grid(alpha=0.3)
    if not drawn:
        ax.text(0.5, 0.5, f"no curve with {MIN_POINTS} or more pairs", ha="center",
                transform=ax.transAxes, color="0.4")
    return handles


def comparison_figure(tables: dict, rows: list, path, fmt: str = "png") -> Path:
    """Draw the two panels (module docstring) and write them to ``path`` atomically.

    Parameters
    ----------
    tables : :func:`alife.bridge.compare.combine`'s result (the robustness rows)
    rows : :func:`alife.bridge.compare.summarise`'s result
    path : output file
    fmt : one of :data:`FORMATS`, the suffix of ``path``
    """
    fig = new_figure((13, 5.6))
    left, right = fig.subplots(1, 2)
    h1 = _connectivity_panel(left, rows)
    h2 = _robustness_panel(right, tables["robustness"], rows)
    for ax, h in ((left, h1), (right, h2)):
        if h:
            ax.legend(handles=h, loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8,
                      ncols=min(3, len(h)), frameon=False)
    path = Path(path)
    if path.suffix != f".{fmt}":
        raise ValueError(f"figure path {path.name!r} does not end in .{fmt}; name it for its format")
    with atomic_write(path) as tmp, open_exclusive(tmp, "wb") as fh:
        save_figure(fig, path, dpi=110, file=fh)
    return path

