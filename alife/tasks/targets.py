"""Target patterns: the built-in shapes at any side and bitmaps read from files.

A *target* is a bool ``(N, N)`` array at the resolution of the phenotype
(the output level, normally the base level of side ``N = spec.base_size``).
Built-in targets (:func:`target`, names in :data:`TARGETS`) are drawn at any
side ``N >= 4``; bitmap targets come from PNG, ``.npy`` or text-art files
(:func:`load_target`) and must already have the exact size (no resizing).

Only numpy is imported at module level; matplotlib's image reader is imported
inside :func:`load_target`, and only for PNG files.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["TARGETS", "TARGET_SUFFIXES", "TEXT_ON", "TEXT_OFF", "target", "load_target"]

#: Names of the built-in targets, in the order they are documented.
TARGETS = ("square", "diamond", "hollow_circle", "plus")

#: File suffixes :func:`load_target` reads.
TARGET_SUFFIXES = (".png", ".npy", ".txt")

#: Text-art characters: on (1) and off (0).
TEXT_ON = "#X1"
TEXT_OFF = ".0 "


# --------------------------------------------------------------------------- #
# built-in targets
# --------------------------------------------------------------------------- #
def _check_N(N, where: str) -> int:
    if not isinstance(N, (int, np.integer)) or isinstance(N, bool):
        raise ValueError(f"{where}: N must be an integer >= 4, got {N!r}")
    if N < 4:
        raise ValueError(f"{where}: N must be >= 4 for a non-degenerate target, got {N}; "
                         "use a grid side of at least 4")
    return int(N)


def _band(N: int, width: int) -> np.ndarray:
    """(N,) bool: the centred band a .. N-1-a with a = (N - width) // 2.

    Its width ``N - 2a`` is ``width`` when ``width`` and ``N`` have the same
    parity, else ``width + 1`` (a band of the other parity cannot be centred).
    """
    a = (N - width) // 2
    idx = np.arange(N)
    return (idx >= a) & (idx <= N - 1 - a)


def _square(N: int) -> np.ndarray:
    b = _band(N, N // 2)
    return b[:, None] & b[None, :]


def _plus(N: int) -> np.ndarray:
    b = _band(N, N // 4)
    return b[:, None] | b[None, :]


def _twice_offsets(N: int) -> np.ndarray:
    """(N,) int64: 2 * (i - c) with c = (N - 1) / 2, exact in integers."""
    return 2 * np.arange(N, dtype=np.int64) - (N - 1)


def _diamond(N: int) -> np.ndarray:
    d2 = _twice_offsets(N)
    # 2 * (|i - c| + |j - c|), exact in integers; the distance itself is an
    # integer for every N (two half-integers sum to an integer when N is even).
    dist2 = np.abs(d2)[:, None] + np.abs(d2)[None, :]
    goal = int(_square(N).sum())
    best_r, best_gap = 0, None
    for r in range(N):        # area grows with r; stop once it moves away
        gap = abs(int((dist2 <= 2 * r).sum()) - goal)
        if best_gap is None or gap < best_gap:
            best_r, best_gap = r, gap
        elif gap > best_gap:
            break
    return dist2 <= 2 * best_r


def _hollow_circle(N: int) -> np.ndarray:
    d2 = _twice_offsets(N)
    four_rsq = d2[:, None] ** 2 + d2[None, :] ** 2      # 4 * distance**2, exact
    inner, outer = N // 5, (2 * N) // 5
    return (four_rsq >= 4 * inner * inner) & (four_rsq <= 4 * outer * outer)


_BUILDERS = {
    "square": _square,
    "diamond": _diamond,
    "hollow_circle": _hollow_circle,
    "plus": _plus,
}


def target(name: str, N: int) -> np.ndarray:
    """A built-in target pattern of side ``N``.

    All built-ins are centred on ``c = (N - 1) / 2`` and symmetric: each
    equals its transpose, its up-down flip and its left-right flip.  Every
    one has both 0 and 1 cells for all ``N >= 4``.

    ``square``
        The central half: rows and columns ``a .. N-1-a`` with
        ``a = (N - N//2) // 2``.  For ``N`` divisible by 4 this is
        ``N//4 .. N//4 + N//2 - 1`` (side ``N//2``); otherwise the side is
        ``N//2`` rounded up to the parity of ``N`` (so it stays centred and
        symmetric), e.g. side 4 at ``N = 6``.
    ``diamond``
        The cells with ``|i - c| + |j - c| <= r``, where ``r`` is the
        non-negative integer whose diamond's cell count is closest to the
        square's (ties to the smaller ``r``).  ``|i - c| + |j - c|`` is an
        integer for every ``N``; the diamond has ``2 r (r + 1)`` cells for
        even ``N`` and ``2 r (r + 1) + 1`` for odd ``N`` (``r = 22``, 1012
        cells against the square's 1024 at ``N = 64``).
    ``hollow_circle``
        A ring: ``inner <= sqrt((i - c)**2 + (j - c)**2) <= outer``, both
        ends included, with ``inner = N // 5`` and ``outer = (2 * N) // 5``
        (= floor(N / 2.5)); at ``N = 64`` radii 12 and 25.  Evaluated in
        exact integer arithmetic.  At ``N = 4`` (inner 0) it is the central
        2 x 2 block.
    ``plus``
        The union of a horizontal and a vertical bar through the centre, each
        spanning the whole grid: rows (resp. columns) ``a .. N-1-a`` with
        ``a = (N - N//4) // 2``, i.e. of width ``N//4`` rounded up to the
        parity of ``N`` (16 at ``N = 64``).  On the torus the bars are
        closed bands.

    Parameters
    ----------
    name : str
        One of :data:`TARGETS`.
    N : int
        Grid side, >= 4.

    Returns
    -------
    ndarray of bool, shape (N, N)
        A new, writeable array.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones) or ``N < 4``.
    """
    if not isinstance(name, str) or name not in _BUILDERS:
        raise ValueError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)} "
                         "or load a bitmap with load_target(path, N)")
    return _BUILDERS[name](_check_N(N, f"target {name!r}"))


# --------------------------------------------------------------------------- #
# bitmap targets
# --------------------------------------------------------------------------- #
#: The PNG signature and the start of its first chunk, the image header.
_PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"


def _png_size(path: Path) -> tuple[int, int]:
    """``(height, width)`` of a PNG, read from its header (the first 24 bytes),
    without decoding the image.

    Raises
    ------
    ValueError
        If the file does not start like a PNG.
    """
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:16] != _PNG_HEAD:
        raise ValueError("not a PNG image (no PNG signature and image header)")
    return int.from_bytes(head[20:24], "big"), int.from_bytes(head[16:20], "big")


def _npy_shape(path: Path) -> tuple:
    """The shape an ``.npy`` file declares in its header, without reading its data."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, _ = np.lib.format.read_array_header_1_0(f)
        else:
            shape, _, _ = np.lib.format.read_array_header_2_0(f)
    return tuple(shape)


def _declared_shape(path: Path, suffix: str, N: int) -> tuple | None:
    """The shape a bitmap file declares before it is decoded (PNG and .npy
    headers), or None for text; a text file is refused when it has more
    bytes than an (N, N) bitmap's text can have."""
    if suffix == ".png":
        return _png_size(path)
    if suffix == ".npy":
        return _npy_shape(path)
    most = N * (N + 2) + (1 << 16)       # N lines of N cells and \r\n, trailing empty lines
    size = path.stat().st_size
    if size > most:
        raise ValueError(f"{size} bytes, more than the text of a {N}x{N} bitmap can have")
    return None


def _read_png(path: Path) -> np.ndarray:
    from matplotlib.image import imread

    img = np.asarray(imread(path))
    if img.dtype.kind in "iu":
        img = img.astype(np.float64) / np.iinfo(img.dtype).max
    img = img.astype(np.float64)
    if img.ndim == 2:
        grey = img
    elif img.ndim == 3 and img.shape[2] in (1, 2, 3, 4):
        colour = img[..., :3] if img.shape[2] >= 3 else img[..., :1]
        grey = colour.mean(axis=2)
        if img.shape[2] in (2, 4):                        # composite onto white
            alpha = img[..., -1]
            grey = alpha * grey + (1.0 - alpha)
    else:
        raise ValueError(f"unsupported image layout {img.shape}")
    return grey < 0.5


def _read_npy(path: Path) -> np.ndarray:
    a = np.load(path, allow_pickle=False)
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
        raise ValueError("not a numeric array")
    if a.dtype != np.bool_ and a.size and not np.isin(a, (0, 1)).all():
        raise ValueError("values other than 0 and 1")
    return a.astype(bool)


def _read_txt(path: Path) -> np.ndarray:
    text = path.read_text(encoding="utf-8")
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    while lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise ValueError("empty text file")
    widths = {len(ln) for ln in lines}
    if len(widths) != 1:
        raise ValueError(f"lines of different lengths {sorted(widths)}; every line must "
                         "have the same number of characters")
    table = {**{ch: True for ch in TEXT_ON}, **{ch: False for ch in TEXT_OFF}}
    for r, ln in enumerate(lines):
        for c, ch in enumerate(ln):
            if ch not in table:
                raise ValueError(f"character {ch!r} at line {r + 1}, column {c + 1}; "
                                 f"use one of {TEXT_ON!r} for on, {TEXT_OFF!r} for off")
    return np.array([[table[ch] for ch in ln] for ln in lines], dtype=bool)


_READERS = {".png": _read_png, ".npy": _read_npy, ".txt": _read_txt}


class _WrongShape(Exception):
    def __init__(self, shape):
        super().__init__(shape)
        self.shape = tuple(int(x) for x in shape)


def load_target(path, N: int) -> np.ndarray:
    """Load a target bitmap of exactly ``(N, N)`` cells from a file.

    The format follows the suffix (case-insensitive):

    ``.png``
        Read with matplotlib's image reader (imported here, only for PNG).
        Pixels are composited onto a white background by their alpha, if the
        image has an alpha channel; a cell is 1 when the resulting grey level
        (the mean of R, G and B, in 0..1) is below 0.5, i.e. darker than mid
        grey.  So black-on-white and black-on-transparent drawings both
        work; a light shape on a transparent background reads as all 0 and
        is rejected.
    ``.npy``
        A 2-D array of bool, or of integers/floats that are all 0 or 1.
        Loaded with ``allow_pickle=False``.
    ``.txt``
        Text art, one line per row: ``#``, ``X`` or ``1`` is on; ``.``, ``0``
        or a space is off.  Every line must have the same length (after
        removing the line break, ``\\n`` or ``\\r\\n``; trailing spaces count
        as off cells); empty lines at the end of the file are ignored.

    Row 0 is the top of the image / first line of the file.  The bitmap is
    never resized.  The shape is checked before the data are decoded: a PNG's
    from its header, an ``.npy`` file's from its header, and a text file
    larger than an ``(N, N)`` bitmap's text can be is refused unread (a
    small file that declares a huge image costs nothing).

    Parameters
    ----------
    path : str or Path
    N : int
        Expected side, >= 4 (the phenotype's, normally ``spec.base_size``).

    Returns
    -------
    ndarray of bool, shape (N, N)

    Raises
    ------
    ValueError
        With a one-line message naming the path and the expected shape, when
        the file is missing, has an unsupported suffix, cannot be parsed,
        has another shape (the message gives the shape found), or is
        degenerate (all 0 or all 1).
    """
    N = _check_N(N, "load_target")
    p = Path(path)
    want = f"expected a bitmap of shape ({N}, {N})"
    suffix = p.suffix.lower()
    if suffix not in _READERS:
        raise ValueError(f"load_target: cannot read '{p}': unsupported file type "
                         f"{p.suffix or '(none)'!r}; {want} in one of "
                         f"{', '.join(TARGET_SUFFIXES)}")
    if not p.is_file():
        raise ValueError(f"load_target: cannot read '{p}': no such file; {want}")
    try:
        # the shape a header declares is checked before the image is decoded:
        # a small PNG can declare gigapixels
        declared = _declared_shape(p, suffix, N)
        if declared is not None and tuple(declared) != (N, N):
            raise _WrongShape(declared)
        a = _READERS[suffix](p)
    except _WrongShape as e:
        raise ValueError(f"load_target: '{p}' has shape {e.shape}; {want} "
                         "(targets are not resized)") from None
    except Exception as e:  # noqa: BLE001 - any parse failure becomes one ValueError
        msg = " ".join(str(e).split()) or type(e).__name__
        raise ValueError(f"load_target: cannot read '{p}' as {suffix}: {msg}; {want}") from None
    if a.shape != (N, N):
        raise ValueError(f"load_target: '{p}' has shape {tuple(a.shape)}; {want} "
                         "(targets are not resized)")
    if not a.any() or a.all():
        raise ValueError(f"load_target: '{p}' is degenerate (all {int(a.flat[0])}); "
                         f"{want} with both on and off cells")
    return np.ascontiguousarray(a)
