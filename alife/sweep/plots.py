"""Figures of a sweep's tables (``alife plot SWEEP.h5``, and the sweep report).

Any sweep is drawn the same way, from its tables alone:

* the *parameters* are the keys of the cell names (``depth=1,pair=3,width=64``
  has ``depth``, ``pair`` and ``width``);
* *replicate* parameters are those named like replicates (:data:`REPLICATES`:
  ``seed``, ``rep``, ``pair``, ...): the values a statistic is taken over;
* the *main* parameter (the x axis of every panel) is the numeric,
  non-replicate parameter with the most distinct values (the first of them in
  the table on a tie); a sweep over replicates only is drawn against those;
* every other non-replicate parameter with more than one value, and in a
  child table every column that tells a cell's rows apart (text with at most
  :data:`MAX_GROUPS` values, e.g. ``kernel``, or numbers with at most that
  many values that every cell has, e.g. a quantile ``q``), splits the rows
  into *groups*, one colour each;
* every other numeric column is a *metric*, one panel each (columns that are
  missing, NaN, in every row are left out); a boolean column is drawn as the
  fraction of its rows that are true.

In each panel every cell is a faint dot; where a group has at least
:data:`alife.figures.MIN_POINTS` cells at a value of the main parameter, a
line joins their mean and a band shows its 95% interval (Student t over the
cells for numbers, Wilson for fractions of true; a child table's fractions
per cell are numbers), so no statistic comes from
fewer than 3 points.  Where every value has a single cell, a line joins the
cells themselves.  In a child table where a cell has several rows in one
group, those rows are first averaged, and the panel says so.  A main parameter over
positive values spanning a factor of 8 or more is drawn on a log axis.

Panels are laid out 4 across, :data:`PANELS` to a figure; figures are named
``sweep_<table>.<fmt>``, or ``sweep_<table>_<page>.<fmt>`` when a table
needs several.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

__all__ = ["plot_sweep", "sweep_layout", "REPLICATES", "PANELS", "MAX_GROUPS"]

#: Parameter names read as replicates (statistics are taken over them).
REPLICATES = ("seed", "seeds", "rep", "reps", "replicate", "pair", "run", "trial", "repeat")

#: Panels per figure (4 across).
PANELS = 12

#: Most distinct values a text column of a child table may have to split it into groups.
MAX_GROUPS = 6

_COLS = 4


def _numeric(col) -> bool:
    return not isinstance(col, list) and col.dtype.kind in "iuf"


def _distinct(col) -> list:
    values = col if isinstance(col, list) else col.tolist()
    return list(dict.fromkeys(values))


def _parameters(table) -> list[str]:
    """The keys of the cell names, in the table's column order."""
    if not len(table) or "cell" not in table.columns:
        return []
    keys = {part.split("=", 1)[0] for name in set(table["cell"]) for part in name.split(",")}
    return [c for c in table.names if c in keys]


def _row_key(table, column: str) -> bool:
    """Whether a child table's column tells a cell's rows apart: text with 2 to
    MAX_GROUPS values, or numbers with 2 to MAX_GROUPS values that every cell
    has all of (e.g. the quantile ``q`` of each row)."""
    col = table[column]
    values = _distinct(col)
    if not 1 < len(values) <= MAX_GROUPS:
        return False
    if isinstance(col, list):
        return True
    if col.dtype.kind not in "iuf":
        return False
    per_cell: dict = {}
    for cell, v in zip(table["cell"], col.tolist()):
        per_cell.setdefault(cell, set()).add(v)
    return all(vs == set(values) for vs in per_cell.values())


def sweep_layout(table) -> dict | None:
    """How a table is drawn: ``{"x", "groups", "metrics", "replicates", "child"}``, or None.

    Parameters
    ----------
    table : alife.sweep.Table
        One table of a sweep (columns ``cell``, the parameters, then the cell
        function's columns).

    Returns
    -------
    dict or None
        ``x`` the main parameter (str); ``groups`` the columns that split rows
        into groups (list of str); ``metrics`` the columns drawn (list of
        str); ``replicates`` the replicate parameters (list of str); ``child``
        whether some cell has several rows in one group (they are averaged).  None when the table has no
        numeric parameter or no metric.
    """
    params = _parameters(table)
    numeric = [p for p in params if _numeric(table[p]) and len(_distinct(table[p])) > 1]
    main = [p for p in numeric if p not in REPLICATES] or numeric
    if not main:
        return None
    x = max(main, key=lambda p: (len(_distinct(table[p])), -params.index(p)))
    groups = [p for p in params if p != x and p not in REPLICATES
              and len(_distinct(table[p])) > 1]
    if len(set(table["cell"])) < len(table):         # several rows per cell
        groups += [c for c in table.names if c not in params and c != "cell"
                   and _row_key(table, c)]
    child = len(set(zip(table["cell"], _group_keys(table, groups)))) < len(table)
    metrics = []
    for c in table.names:
        col = table[c]
        if c in params or c in groups or c == "cell" or isinstance(col, list):
            continue
        if col.dtype.kind == "b" or (col.dtype.kind in "iu") or np.isfinite(col).any():
            metrics.append(c)
    if not metrics:
        return None
    return {"x": x, "groups": groups, "metrics": metrics, "child": child,
            "replicates": [p for p in params if p != x and p not in groups]}


def _pages(name: str, layout: dict, fmt: str) -> list[tuple[str, list[str]]]:
    m = layout["metrics"]
    chunks = [m[i:i + PANELS] for i in range(0, len(m), PANELS)]
    if len(chunks) == 1:
        return [(f"sweep_{name}.{fmt}", chunks[0])]
    return [(f"sweep_{name}_{i + 1}.{fmt}", c) for i, c in enumerate(chunks)]


def _group_keys(table, groups: list[str]) -> list[tuple]:
    return list(zip(*(list(table[g]) if isinstance(table[g], list) else table[g].tolist()
                      for g in groups))) if groups else [()] * len(table)


def _values(table, layout: dict, metric: str) -> dict:
    """``{group: {x: values}}``: one value per cell (a child table's rows of a
    cell and group averaged; booleans as 0/1)."""
    x = table[layout["x"]].tolist()
    col = table[metric].astype(np.float64)
    keys = _group_keys(table, layout["groups"])
    per_cell: dict = {}
    for cell, g, xv, v in zip(table["cell"], keys, x, col):
        per_cell.setdefault((g, xv, cell), []).append(v)
    out: dict = {}
    for (g, xv, _), vs in per_cell.items():
        vs = np.asarray(vs)
        vs = vs[np.isfinite(vs)]
        if vs.size:
            out.setdefault(g, {}).setdefault(xv, []).append(float(vs.mean()))
    return out


def _summary(vals: list, boolean: bool):
    """``(centre, lo, hi)`` of one group at one x, or None below MIN_POINTS values."""
    from ..figures import MIN_POINTS
    from .stats import t_interval, wilson

    n = len(vals)
    if n < MIN_POINTS:
        return None
    if boolean:
        k = int(round(sum(vals)))
        lo, hi = wilson(k, n)
        return k / n, lo, hi
    m, lo, hi, _ = t_interval(vals)
    return m, lo, hi


def _panel(ax, table, layout: dict, metric: str, colours: dict) -> None:
    # a child table's booleans are averaged per cell first: fractions, not 0/1
    boolean = table[metric].dtype.kind == "b" and not layout["child"]
    data = _values(table, layout, metric)
    single = all(len(v) == 1 for per_x in data.values() for v in per_x.values())
    for g, per_x in data.items():
        c = colours[g]
        xs = sorted(per_x)
        for xv in xs:
            ax.plot([xv] * len(per_x[xv]), per_x[xv], ".", color=c, alpha=0.35, ms=4)
        if single:
            ax.plot(xs, [per_x[xv][0] for xv in xs], "-", color=c, lw=1.2)
            continue
        rows = [(xv, s) for xv in xs if (s := _summary(per_x[xv], boolean)) is not None]
        if rows:
            xr = [r[0] for r in rows]
            mid = np.array([r[1][0] for r in rows])
            lo, hi = np.array([r[1][1] for r in rows]), np.array([r[1][2] for r in rows])
            ax.plot(xr, mid, "-o", color=c, lw=1.4, ms=3)
            ax.fill_between(xr, lo, hi, color=c, alpha=0.18, lw=0)
            # bars too, so an interval at a single value of x shows
            ax.errorbar(xr, mid, yerr=[mid - lo, hi - mid], fmt="none", ecolor=c, elinewidth=0.8,
                        capsize=2)
    label = f"{metric} (fraction true)" if boolean else metric
    if layout["child"]:
        label += "\n(mean of each cell's rows)"
    ax.set_title(label, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, lw=0.5)
    ax.ticklabel_format(axis="y", useOffset=False)      # no offset text over the title
    if not data:
        ax.text(0.5, 0.5, "no finite values", transform=ax.transAxes, ha="center",
                va="center", fontsize=8, color="0.4")


def _x_axis(ax, xs: list) -> None:
    xs = sorted(set(xs))
    if xs and xs[0] > 0 and xs[-1] / xs[0] >= 8:
        ax.set_xscale("log", base=2 if all(float(v).is_integer() for v in xs) else 10)
        if len(xs) <= 10:
            ax.set_xticks(xs, [format(v, "g") for v in xs])
            ax.minorticks_off()


def _legend(fig, layout: dict, colours: dict, boolean_only: bool, panels: int) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ..figures import MIN_POINTS

    handles = []
    if layout["groups"]:
        for g, c in colours.items():
            text = ", ".join(f"{k}={v}" for k, v in zip(layout["groups"], g))
            handles.append(Patch(color=c, label=text))
    over = ", ".join(layout["replicates"]) or "cells"
    stat = "fraction true, 95% Wilson interval" if boolean_only else \
        "mean, 95% interval (t over cells; Wilson for fractions)"
    handles += [Line2D([], [], color="0.3", marker="o", ms=3, label=f"{stat} over {over}, "
                                                                    f"where \u2265 {MIN_POINTS} cells"),
                Line2D([], [], color="0.3", marker=".", ls="", alpha=0.5, label="one cell")]
    fig.legend(handles=handles, loc="outside lower center", fontsize=8, frameon=False,
               ncols=min(len(handles), 4 if panels >= 3 else 2))


def _draw_page(table, layout: dict, metrics: list[str], title: str):
    from ..figures import new_figure

    rows = math.ceil(len(metrics) / _COLS)
    cols = min(_COLS, len(metrics))
    fig = new_figure((3.2 * cols + 0.4, 2.5 * rows + 0.9))
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, squeeze=False)).ravel()
    keys = list(dict.fromkeys(_group_keys(table, layout["groups"])))
    palette = [f"C{i % 10}" for i in range(len(keys))]
    colours = dict(zip(keys, palette))
    for ax, metric in zip(axes, metrics):
        _panel(ax, table, layout, metric, colours)
        _x_axis(ax, table[layout["x"]].tolist())
    for ax in axes[len(metrics):]:
        ax.set_visible(False)
    for ax in axes[-cols:]:
        ax.set_xlabel(layout["x"], fontsize=8)
    fig.suptitle(title, fontsize=10)
    _legend(fig, layout, colours,
            not layout["child"] and all(table[m].dtype.kind == "b" for m in metrics), len(metrics))
    return fig


def plot_sweep(path, out_dir, *, force: bool = False,
               fmt: str = "png") -> tuple[list[Path], list[str]]:
    """Draw every table of a sweep result file into ``out_dir`` (``alife plot SWEEP.h5``).

    Parameters
    ----------
    path : str or Path
        A sweep result file (kind ``"sweep"``, :func:`alife.sweep.run_sweep`);
        read and verified whole.
    out_dir : str or Path
        Folder for the figures (created).
    force : bool
        Replace figures already in ``out_dir``; without it an existing
        figure is refused before anything is drawn.
    fmt : str
        "png" (default), or the vector formats "pdf" and "svg".

    Returns
    -------
    files : list of Path
        The figures written, table by table.
    notes : list of str
        The tables not drawn, and why.
    """
    from ..figures import check_format, save_figure
    from ..outputs import check_new_outputs
    from .table import read_sweep

    fmt = check_format(fmt)
    sweep = read_sweep(path)
    plans, notes = [], []
    for name, table in sweep.tables.items():
        layout = sweep_layout(table)
        if layout is None:
            notes.append(f"table {name!r} has no numeric parameter with several values, or "
                         f"no numeric column, to draw")
            continue
        pages = _pages(name, layout, fmt)
        plans.append((name, table, layout, pages))
    check_new_outputs(out_dir, [f for *_, pages in plans for f, _ in pages], force=force)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for name, table, layout, pages in plans:
        for i, (fname, metrics) in enumerate(pages):
            part = f" ({i + 1} of {len(pages)})" if len(pages) > 1 else ""
            title = f"sweep table {name!r}{part}: each column against {layout['x']}"
            files.append(save_figure(_draw_page(table, layout, metrics, title), out_dir / fname))
    return files, notes
