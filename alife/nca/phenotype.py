"""Phenotypes of an HNCA: binarisation, stable ids, degenerate flags, pictures.

A phenotype is channel ``channel`` (default 0) of the output level after T
steps, binarised by ``state > threshold`` (see ``docs/concepts/hnca.md``).
Patterns are compared, stored and grouped by a stable 64-bit id
(:func:`phenotype_ids`) that is the same on every machine, Python and numpy
version.  The all-0 and all-1 patterns are *degenerate* (:func:`degenerate`);
elsewhere in the package they get the reserved id ``-1``.

Only numpy is imported at module level; matplotlib is imported inside the
rendering functions, which draw on a standalone Agg canvas (no pyplot, no
change to the user's matplotlib backend), so importing this module is fast
and safe on a headless machine.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import figures as _figures

__all__ = [
    "binarise",
    "phenotype_ids",
    "phenotype_id_bytes",
    "degenerate",
    "all_zero",
    "all_one",
    "render_phenotype",
    "render_filmstrip",
    "new_figure",
    "save_figure",
    "ID_MASK",
]

#: Mask applied to the 64-bit digest: clears the sign bit so ids are >= 0
#: (``-1`` is reserved for "undefined / degenerate").
ID_MASK = 0x7FFF_FFFF_FFFF_FFFF

#: Patterns hashed per call of the compiled hash (their messages take at
#: least 128 bytes each).
_ID_CHUNK = 1 << 16


# --------------------------------------------------------------------------- #
# binarisation
# --------------------------------------------------------------------------- #
def binarise(states, threshold: float = 0.0, channel: int = 0) -> np.ndarray:
    """Binarise cell states: ``states[..., channel] > threshold``.

    Parameters
    ----------
    states : array_like, shape (..., N, N, C), real
        Cell states of one level, e.g. ``(P, N, N, C)`` for a population or
        ``(N, N, C)`` for one grid.
    threshold : float, default 0.0
        A cell is 1 when its value is *strictly* greater than ``threshold``
        (a value equal to the threshold is 0; NaN is 0).
    channel : int, default 0
        Channel to read; negative values count from the end.

    Returns
    -------
    ndarray of bool, shape (..., N, N)

    Raises
    ------
    ValueError
        If ``states`` has fewer than 3 dimensions or ``channel`` is out of range.
    """
    s = np.asarray(states)
    if s.ndim < 3:
        raise ValueError(f"binarise: states must have shape (..., N, N, C), got {s.shape}")
    C = s.shape[-1]
    if not isinstance(channel, (int, np.integer)) or isinstance(channel, bool) \
            or not -C <= channel < C:
        raise ValueError(f"binarise: channel must be an integer in {-C}..{C - 1} "
                         f"for {C} channel(s), got {channel!r}")
    return s[..., channel] > threshold


# --------------------------------------------------------------------------- #
# ids
# --------------------------------------------------------------------------- #
def _as_patterns(phenotypes, name: str) -> np.ndarray:
    """Validate a bool pattern array of shape (..., H, W); returns bool ndarray."""
    a = np.asarray(phenotypes)
    if a.ndim < 2:
        raise ValueError(f"{name}: phenotypes must have shape (P, N, N) or (N, N), "
                         f"got {a.shape}")
    if a.dtype != np.bool_:
        if a.dtype.kind in "iu" and a.size and not np.isin(a, (0, 1)).all():
            raise ValueError(f"{name}: integer phenotypes must contain only 0 and 1; "
                             "use binarise() to threshold real-valued states")
        if a.dtype.kind not in "iu":
            raise ValueError(f"{name}: phenotypes must be a bool array (got dtype "
                             f"{a.dtype}); use binarise() to threshold states")
        a = a.astype(bool)
    return a


def phenotype_id_bytes(pattern) -> bytes:
    """The exact bytes hashed to form the id of one pattern.

    ``struct.pack('<II', H, W) + np.packbits(pattern.ravel('C')).tobytes()``:
    the height and width as little-endian uint32, then the cells in row-major
    order packed 8 per byte, most significant bit first (numpy's default
    ``bitorder='big'``), the last byte padded with zero bits.

    Parameters
    ----------
    pattern : array_like of bool, shape (H, W)

    Returns
    -------
    bytes of length ``8 + ceil(H * W / 8)``
    """
    p = _as_patterns(pattern, "phenotype_id_bytes")
    if p.ndim != 2:
        raise ValueError(f"phenotype_id_bytes: pattern must have shape (H, W), got {p.shape}")
    head = np.asarray(p.shape, dtype="<u4").tobytes()
    return head + np.packbits(p.reshape(-1)).tobytes()


def phenotype_ids(phenotypes) -> np.ndarray:
    """Stable non-negative 64-bit id of each binary pattern.

    The id depends only on the pattern (its shape and cells), never on the
    batch it arrives in, the machine, or the Python/numpy version (Python's
    ``hash`` is not used).  Recipe, for one pattern ``p`` of shape ``(H, W)``
    (``H == W == N`` for an HNCA phenotype)::

        data   = struct.pack('<II', H, W)                    # 8 bytes
               + np.packbits(p.ravel(order='C')).tobytes()   # bitorder 'big',
                                                              # zero-padded
        digest = hashlib.blake2b(data, digest_size=8).digest()
        id     = int.from_bytes(digest, 'little') & 0x7FFF_FFFF_FFFF_FFFF

    i.e. the 8-byte BLAKE2b digest read as a little-endian integer with the
    sign bit cleared, so ids lie in ``0 .. 2**63 - 1`` and ``-1`` stays free
    for "undefined / degenerate".  Two different patterns collide with
    probability about 2**-63 per pair.

    Parameters
    ----------
    phenotypes : array_like of bool, shape (P, N, N) or (N, N)
        Binary patterns (more generally ``(..., H, W)``).  Integer arrays of
        0s and 1s are accepted too; real-valued states must go through
        :func:`binarise` first.

    Returns
    -------
    ndarray of int64, shape (P,) (generally ``(...)``; 0-d for one pattern)

    Raises
    ------
    ValueError
        For fewer than 2 dimensions, a float dtype, or integers other than 0/1.
    """
    from .pattern_kernels import messages, row_ids      # Numba: imported on first use
    a = _as_patterns(phenotypes, "phenotype_ids")
    lead = a.shape[:-2]
    H, W = a.shape[-2:]
    flat = a.reshape(int(np.prod(lead)), H * W)
    ids = np.empty(flat.shape[0], dtype=np.int64)
    for s in range(0, flat.shape[0], _ID_CHUNK):     # bounded memory for the messages
        words, n_bytes = messages(flat[s:s + _ID_CHUNK], H, W)
        row_ids(words, n_bytes, ids[s:s + _ID_CHUNK])   # the recipe above, compiled
    return ids.reshape(lead)


# --------------------------------------------------------------------------- #
# degenerate patterns
# --------------------------------------------------------------------------- #
def all_zero(phenotypes) -> np.ndarray:
    """True for patterns with no 1 cell.

    Parameters
    ----------
    phenotypes : array_like of bool, shape (P, N, N) or (N, N)

    Returns
    -------
    ndarray of bool, shape (P,) (0-d for one pattern)
    """
    a = _as_patterns(phenotypes, "all_zero")
    return ~a.any(axis=(-2, -1))


def all_one(phenotypes) -> np.ndarray:
    """True for patterns whose cells are all 1.

    Parameters
    ----------
    phenotypes : array_like of bool, shape (P, N, N) or (N, N)

    Returns
    -------
    ndarray of bool, shape (P,) (0-d for one pattern)
    """
    a = _as_patterns(phenotypes, "all_one")
    return a.all(axis=(-2, -1))


def degenerate(phenotypes) -> np.ndarray:
    """True for degenerate patterns: all 0 or all 1.

    Degenerate phenotypes are excluded from neutral networks and given the
    worst loss in evolution (``docs/concepts/hnca.md``).  An empty (0 x 0) pattern counts as
    degenerate.

    Parameters
    ----------
    phenotypes : array_like of bool, shape (P, N, N) or (N, N)

    Returns
    -------
    ndarray of bool, shape (P,) (0-d for one pattern)
    """
    a = _as_patterns(phenotypes, "degenerate")
    return ~a.any(axis=(-2, -1)) | a.all(axis=(-2, -1))


# --------------------------------------------------------------------------- #
# rendering
# --------------------------------------------------------------------------- #
def new_figure(figsize, layout=None):
    """A matplotlib Figure on its own Agg canvas (no pyplot, no global state).

    ``layout="constrained"`` keeps labels from overlapping; see
    :func:`alife.figures.new_figure` (whose default it is).
    """
    return _figures.new_figure(figsize, layout=layout)


def save_figure(fig, path, dpi: int = 100) -> Path:
    """Write ``fig`` to ``path`` (PNG at ``dpi``, or PDF or SVG by the suffix of
    ``path``, cropped to its content); return the path.  See
    :func:`alife.figures.save_figure`."""
    return _figures.save_figure(fig, path, dpi=dpi)


def _plain(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def _out_path(path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def _pattern2d(x, what: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"render_phenotype: {what} must be a non-empty 2-D (N, N) "
                         f"array, got shape {a.shape}")
    if a.dtype != np.bool_:
        if a.dtype.kind not in "biuf":
            raise ValueError(f"render_phenotype: {what} must be bool or numeric, "
                             f"got dtype {a.dtype}")
        a = a != 0
    return a


def render_phenotype(pattern, path, target=None, title=None, *, threshold=None) -> Path:
    """Save a picture of one binary pattern, optionally beside a target.

    Cells equal to 1 are black, 0 white, as the key below the panels says;
    pixels are drawn crisp (nearest interpolation), without ticks, with a thin
    frame.  The format follows the suffix of ``path`` (png, pdf or svg).

    Parameters
    ----------
    pattern : array_like of bool, shape (N, N)
        Nonzero numeric values count as 1.
    path : str or Path
        Output file (``.png``, ``.pdf`` or ``.svg``); parent directories are created.
    target : array_like of bool, shape (M, M), optional
        Drawn to the right of ``pattern``, titled "target"; the panels then
        also show the number of differing cells when the shapes match.
    title : str, optional
        Figure title.
    threshold : float, optional
        The binarisation threshold the pattern came from; when given, the key
        says which states count as on (``state > threshold``).

    Returns
    -------
    Path
        ``path`` as a :class:`pathlib.Path`.

    Raises
    ------
    ValueError
        If ``pattern`` or ``target`` is not a non-empty 2-D array, or the
        suffix of ``path`` is not a known figure format.
    """
    p = _pattern2d(pattern, "pattern")
    t = None if target is None else _pattern2d(target, "target")
    _figures.check_format(Path(path).suffix)
    out = _out_path(path)
    fig = _phenotype_figure(p, t, title, threshold)
    _figures.save_figure(fig, out)
    fig.clear()
    return out


def _phenotype_figure(p: np.ndarray, t, title=None, threshold=None):
    """The Figure of checked pattern ``p`` (beside target ``t`` unless None),
    black on white, with the on/off key below."""
    panels = [(p, "phenotype")] if t is None else [(p, "phenotype"), (t, "target")]
    if t is not None and t.shape == p.shape:
        panels[0] = (p, f"phenotype ({int((p != t).sum())} cells differ)")
    fig = _figures.new_figure((3.0 * len(panels), 3.5 if title or t is not None else 3.2))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (img, name) in zip(axes, panels):
        ax.imshow(img, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        _plain(ax)
        if t is not None:
            ax.set_title(name, fontsize=9)
    _figures.add_onoff_key(fig, threshold)
    if title:
        fig.suptitle(str(title))
    return fig


def _frame_times(T: int, frames: int) -> np.ndarray:
    """``min(frames, T + 1)`` evenly spaced distinct steps in 0..T, both ends included."""
    return np.unique(np.round(np.linspace(0, T, min(frames, T + 1))).astype(int))


def render_filmstrip(history, path, frames: int = 8, title=None, *, threshold=None) -> Path:
    """Save a grid of one genome's development: levels x time points.

    Rows are levels (level 0 on top), columns ``frames`` evenly spaced steps
    from t = 0 to t = T (both always included; fewer columns when T + 1 <
    ``frames``).  Each panel shows channel 0 with the viridis colour map on one
    colour range shared by every panel (min..max of the shown frames), given
    by one labelled colour bar.  The format follows the suffix of ``path``
    (png, pdf or svg).

    Parameters
    ----------
    history : sequence of arrays, each shape (T+1, N_l, N_l, C)
        One entry per level, t = 0..T, all with the same T + 1 and C.
    path : str or Path
        Output file (``.png``, ``.pdf`` or ``.svg``); parent directories are created.
    frames : int, default 8
        Number of columns, >= 2 (one column when T = 0).
    title : str, optional
        Figure title.
    threshold : float, optional
        The binarisation threshold of the phenotype: marked on the colour bar
        and explained in a key (cells above it are on).

    Returns
    -------
    Path
        ``path`` as a :class:`pathlib.Path`.

    Raises
    ------
    ValueError
        For an empty history, an entry that is not (T+1, N, N, C) with
        T + 1 >= 1, N >= 1, C >= 1, entries disagreeing on T + 1 or C,
        ``frames`` < 2, or a suffix of ``path`` that is not a figure format.
    """
    hist = _check_history(history, frames)
    _figures.check_format(Path(path).suffix)
    out = _out_path(path)
    fig = _filmstrip_figure(hist, _frame_times(hist[0].shape[0] - 1, int(frames)), title,
                            threshold)
    _figures.save_figure(fig, out)
    fig.clear()
    return out


def _check_history(history, frames) -> list[np.ndarray]:
    """The levels of a filmstrip's ``history`` as arrays, after the checks
    :func:`render_filmstrip` documents (ValueError otherwise)."""
    if isinstance(history, np.ndarray) or not hasattr(history, "__len__") or len(history) == 0:
        raise ValueError("render_filmstrip: history must be a non-empty list over levels "
                         "of (T+1, N_l, N_l, C) arrays")
    hist = [np.asarray(h) for h in history]
    for lvl, h in enumerate(hist):
        if h.ndim != 4 or h.shape[1] != h.shape[2] or min(h.shape) < 1:
            raise ValueError(f"render_filmstrip: level {lvl} must have shape "
                             f"(T+1, N, N, C) with T+1, N, C >= 1, got {h.shape}")
        if h.dtype.kind not in "biuf":
            raise ValueError(f"render_filmstrip: level {lvl} must be numeric, got {h.dtype}")
    T1, C = hist[0].shape[0], hist[0].shape[3]
    for lvl, h in enumerate(hist):
        if h.shape[0] != T1 or h.shape[3] != C:
            raise ValueError(f"render_filmstrip: all levels must share T+1 and C; level 0 "
                             f"has {hist[0].shape}, level {lvl} has {h.shape}")
    if not isinstance(frames, (int, np.integer)) or isinstance(frames, bool) or frames < 2:
        raise ValueError(f"render_filmstrip: frames must be an integer >= 2, got {frames!r}")
    return hist


def _filmstrip_figure(hist: list, times: np.ndarray, title=None, threshold=None):
    """The filmstrip Figure of checked levels ``hist`` at steps ``times``.

    One colour range is shared by every panel and given by one labelled colour
    bar.  With a ``threshold``, cells at or below it (and NaN) are drawn white,
    as off cells are in phenotype pictures, the colour range starts at the
    threshold, and a key below the panels says so."""
    import matplotlib
    from matplotlib.patches import Patch

    nrow, ncol = len(hist), len(times)
    imgs = [h[times, :, :, 0].astype(np.float64) for h in hist]
    if threshold is not None:
        imgs = [np.ma.masked_where(~(i > threshold), i) for i in imgs]
        shown = np.concatenate([i.compressed() for i in imgs])
    else:
        shown = np.concatenate([i[np.isfinite(i)] for i in imgs])
    lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (0.0, 1.0)
    if threshold is not None:
        lo = float(threshold)
        hi = max(hi, lo)
    if hi <= lo:
        lo, hi = (lo, lo + 1.0) if threshold is not None else (lo - 0.5, hi + 0.5)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad=_figures.OFF_COLOR)
    fig = _figures.new_figure((1.5 * ncol + 1.3, 1.5 * nrow + (0.9 if title else 0.6)))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    im = None
    for r, (h, img) in enumerate(zip(hist, imgs)):
        for c, t in enumerate(times):
            ax = axes[r, c]
            im = ax.imshow(img[c], cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
            _plain(ax)
            if r == 0:
                ax.set_title(f"t={t}", fontsize=9)
        N = h.shape[1]
        axes[r, 0].set_ylabel(f"level {r} ({N}\u00d7{N})", fontsize=9)
    cb = fig.colorbar(im, ax=axes, shrink=min(1.0, 0.35 + 0.2 * nrow), aspect=30)
    cb.ax.tick_params(labelsize=7)
    if threshold is None:
        cb.set_label("cell state (channel 0)")
    else:
        cb.set_label(f"cell state (channel 0) of on cells, > {threshold:g}")
        key = [Patch(facecolor=cmap(0.6), edgecolor="black",
                     label=f"on (1): state > {threshold:g}, coloured by its value"),
               Patch(facecolor=_figures.OFF_COLOR, edgecolor="black",
                     label=f"off (0): state \u2264 {threshold:g}")]
        fig.legend(handles=key, loc="outside lower center", ncols=2, fontsize=8,
                   frameon=False, handlelength=1.2, handleheight=1.2)
    if title:
        fig.suptitle(str(title))
    return fig
