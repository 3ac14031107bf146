"""What every alife figure shares: the file format, the layout, the on/off key
and the rule for printing a statistic.

* :data:`FORMATS` are the formats a figure can be written in: ``png`` (raster,
  100 dpi) and the vector formats ``pdf`` and ``svg`` (for printing and for
  editing in a drawing program).  :func:`check_format` turns anything else into
  a one-line :class:`ValueError`; :func:`figure_path` names a figure file.
* :func:`new_figure` gives a figure with matplotlib's *constrained* layout, which
  makes room for every title, tick label, colour bar and legend so that no two
  overlap.
* :func:`save_figure` writes it; PDF and SVG files carry no creation date and
  fixed SVG ids, so the same data give the same bytes on every run.
* :func:`add_onoff_key` adds the legend of binary phenotype pictures: a black
  cell is on (1), a white cell off (0).
* :func:`annotate_statistic` prints a statistic on an axes only when it was
  computed from at least :data:`MIN_POINTS` points.

Only numpy is imported at module level; matplotlib is imported inside the
functions and drawn on a standalone Agg canvas (no pyplot, no change to the
user's matplotlib backend).
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["FORMATS", "MIN_POINTS", "ON_COLOR", "OFF_COLOR", "check_format", "figure_path",
           "in_format", "new_figure", "save_figure", "onoff_handles", "add_onoff_key",
           "annotate_statistic"]

#: File formats a figure can be written in (the first is the default).
FORMATS: tuple[str, ...] = ("png", "pdf", "svg")

#: Fewest points a statistic printed on a figure may come from.
MIN_POINTS: int = 3

#: Colours of an on (1) and an off (0) cell in binary phenotype pictures.
ON_COLOR, OFF_COLOR = "black", "white"

# no creation date in the file, so equal figures are equal files
_METADATA = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}


def check_format(fmt) -> str:
    """``fmt`` as a lower-case name from :data:`FORMATS`.

    Raises
    ------
    ValueError
        If ``fmt`` is not one of :data:`FORMATS` (the message lists them).
    """
    f = str(fmt).lower().lstrip(".") if isinstance(fmt, str) else None
    if f not in FORMATS:
        raise ValueError(f"figure format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return f


def figure_path(out_dir, name: str, fmt: str = "png") -> Path:
    """``out_dir / f"{name}.{fmt}"`` after checking ``fmt`` (see :func:`check_format`)."""
    return Path(out_dir) / f"{name}.{check_format(fmt)}"


def in_format(names, fmt: str) -> tuple[str, ...]:
    """File names (or glob patterns) such as ``"loss.png"`` with their suffix
    replaced by ``fmt``'s: ``in_format(("loss.png", "plane_pair*.png"), "svg")``
    is ``("loss.svg", "plane_pair*.svg")``.

    Raises
    ------
    ValueError
        If ``fmt`` is not one of :data:`FORMATS`.
    """
    fmt = check_format(fmt)
    return tuple(f"{Path(n).stem}.{fmt}" if Path(n).suffix else f"{n}.{fmt}" for n in names)


def new_figure(figsize, layout: str | None = "constrained"):
    """A matplotlib Figure on its own Agg canvas (no pyplot, no global state).

    Parameters
    ----------
    figsize : (float, float)
        Width and height in inches.
    layout : {"constrained", None}, default "constrained"
        Matplotlib's layout engine: ``"constrained"`` keeps labels, colour bars
        and legends (``fig.legend(loc="outside ...")``) from overlapping.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path, dpi: int = 100, *, file=None) -> Path:
    """Write ``fig`` to ``path`` in the format its suffix names; return the path.

    PNG files are drawn at ``dpi``; PDF and SVG are vector files, written
    without a creation date and with fixed SVG ids, so that the same figure
    gives the same bytes.  The figure is cropped to its content.  With
    ``file`` (an open binary file, e.g. the temporary file of an atomic
    write) the bytes go there instead, in the format ``path`` names.

    Raises
    ------
    ValueError
        If the suffix of ``path`` is not one of :data:`FORMATS`.
    """
    import matplotlib

    path = Path(path)
    fmt = check_format(path.suffix)
    with matplotlib.rc_context({"svg.hashsalt": "alife", "svg.fonttype": "path"}):
        fig.savefig(path if file is None else file, format=fmt, dpi=dpi, bbox_inches="tight",
                    metadata=_METADATA.get(fmt))
    return path


def onoff_handles(threshold=None) -> list:
    """Legend handles for on and off cells: a black and a white square.

    Parameters
    ----------
    threshold : float, optional
        When given, the labels say which cell states count as on
        (``state > threshold``) and off.
    """
    from matplotlib.patches import Patch

    on, off = "on (1)", "off (0)"
    if threshold is not None:
        on, off = f"on (1): state > {threshold:g}", f"off (0): state \u2264 {threshold:g}"
    return [Patch(facecolor=ON_COLOR, edgecolor="black", label=on),
            Patch(facecolor=OFF_COLOR, edgecolor="black", label=off)]


def add_onoff_key(fig, threshold=None, loc: str = "outside lower center"):
    """Add the on/off legend of binary cells to ``fig``; returns the Legend.

    ``loc`` ``"outside ..."`` places it beside the axes, which needs a figure
    from :func:`new_figure` (constrained layout).
    """
    return fig.legend(handles=onoff_handles(threshold), loc=loc, ncols=2, fontsize=8,
                      frameon=False, handlelength=1.2, handleheight=1.2)


def annotate_statistic(ax, text: str, n: int, loc: str = "upper right") -> bool:
    """Print ``text`` (a statistic computed from ``n`` points) in a corner of ``ax``.

    The statistic is not printed when ``n`` < :data:`MIN_POINTS` (a
    correlation or slope of two points says nothing; a grey note says why
    instead, for ``n`` >= 1) or when ``text`` is empty (undefined, e.g. a
    constant variable).

    Returns
    -------
    bool
        Whether the statistic was printed.
    """
    from matplotlib.offsetbox import AnchoredText

    shown = bool(text) and n >= MIN_POINTS
    if shown:
        box = AnchoredText(text, loc=loc, frameon=True, prop={"fontsize": 8})
        box.patch.set(alpha=0.8, edgecolor="0.7")
    elif 1 <= n < MIN_POINTS:
        box = AnchoredText(f"{n} point{'s' if n > 1 else ''}: too few for a statistic",
                           loc=loc, frameon=False, prop={"fontsize": 8, "color": "0.4"})
    else:
        return False
    ax.add_artist(box)
    return shown
