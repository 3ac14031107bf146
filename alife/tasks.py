"""Tasks for HNCAs: target patterns, loss, homeostasis and damage recovery.

A *target* is a bool ``(N, N)`` array at the resolution of the phenotype
(the output level, normally the base level of side ``N = spec.base_size``).
The loss of a phenotype is the number of cells where it differs from the
target (lower is better; DESIGN.md, "Tasks and fitness")::

    from alife.nca import HNCASpec
    from alife.tasks import Task, target, loss, homeostasis_loss, damage_loss

    spec = HNCASpec.preset("bielawski")
    task = Task.from_name("hollow_circle", spec.base_size)
    L, phen = task.evaluate(spec, spec.random_genomes(500))   # (500,) int64, (500, 64, 64) bool

Built-in targets (:func:`target`, names in :data:`TARGETS`) are drawn at any
side ``N >= 4``; bitmap targets come from PNG, ``.npy`` or text-art files
(:func:`load_target`) and must already have the exact size (no resizing).

Degenerate phenotypes (all 0 or all 1) get the *worst loss*, ``N * N``: every
cell counted as wrong, whatever the target.

Only numpy is imported at module level; matplotlib's image reader is imported
inside :func:`load_target`, and only for PNG files.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .nca.develop import develop
from .nca.spec import HNCASpec

__all__ = [
    "TARGETS",
    "target",
    "load_target",
    "loss",
    "proportion_correct",
    "homeostasis_loss",
    "damage_states",
    "damage_loss",
    "Task",
]

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
    never resized.

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
        a = _READERS[suffix](p)
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


# --------------------------------------------------------------------------- #
# loss
# --------------------------------------------------------------------------- #
def _as_bool(a, what: str, where: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return a
    if a.dtype.kind in "iu" and (a.size == 0 or np.isin(a, (0, 1)).all()):
        return a.astype(bool)
    raise ValueError(f"{where}: {what} must be bool (or integers 0/1), got dtype {a.dtype} "
                     "with other values; binarise real-valued states first")


def _check_pair(phenotypes, target_, where: str):
    t = _as_bool(target_, "target", where)
    if t.ndim != 2:
        raise ValueError(f"{where}: target must have shape (N, N), got {t.shape}")
    ph = _as_bool(phenotypes, "phenotypes", where)
    if ph.ndim not in (2, 3) or ph.shape[-2:] != t.shape:
        raise ValueError(f"{where}: phenotypes must have shape {t.shape} or "
                         f"(P, {t.shape[0]}, {t.shape[1]}) to match the target, got {ph.shape}")
    return ph, t


def loss(phenotypes, target) -> np.ndarray:
    """Number of cells where each phenotype differs from the target.

    Degenerate phenotypes (all 0 or all 1) get the worst loss ``N * N``:
    every cell counted as wrong, whatever the target.

    Parameters
    ----------
    phenotypes : array_like of bool, shape (P, N, N) or (N, N)
        Integer arrays of 0s and 1s are accepted too.
    target : array_like of bool, shape (N, N)

    Returns
    -------
    ndarray of int64, shape (P,), or 0-d for one (N, N) phenotype
        In ``0 .. N*N``; 0 means equal to the target.

    Raises
    ------
    ValueError
        For mismatched shapes or non-binary values.
    """
    ph, t = _check_pair(phenotypes, target, "loss")
    wrong = np.count_nonzero(ph != t, axis=(-2, -1)).astype(np.int64)
    degen = ~ph.any(axis=(-2, -1)) | ph.all(axis=(-2, -1))
    return np.where(degen, np.int64(t.size), wrong).astype(np.int64)


def proportion_correct(phenotypes, target) -> np.ndarray:
    """Fraction of cells equal to the target: ``1 - loss / (N * N)``.

    Degenerate phenotypes (all 0 or all 1) score 0.0 (their loss is the
    worst, ``N * N``).

    Parameters
    ----------
    phenotypes : array_like of bool, shape (P, N, N) or (N, N)
    target : array_like of bool, shape (N, N)

    Returns
    -------
    ndarray of float64, shape (P,), or 0-d for one (N, N) phenotype
        In ``0.0 .. 1.0``.
    """
    L = loss(phenotypes, target)
    n = np.asarray(target).size
    return 1.0 - L.astype(np.float64) / n


# --------------------------------------------------------------------------- #
# homeostasis and damage
# --------------------------------------------------------------------------- #
def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _check_spec_target(spec, target_, where: str) -> np.ndarray:
    if not isinstance(spec, HNCASpec):
        raise ValueError(f"{where}: spec must be an HNCASpec, got {type(spec).__name__}")
    t = _as_bool(target_, "target", where)
    n = spec.sizes[spec.output_level]
    if t.shape != (n, n):
        raise ValueError(f"{where}: target has shape {t.shape} but the phenotype (output "
                         f"level {spec.output_level}) is ({n}, {n}); build the target at "
                         f"N = {n}")
    return t


def homeostasis_loss(spec: HNCASpec, genomes: np.ndarray, target, k: int) -> np.ndarray:
    """Mean loss over the last ``k`` steps of development.

    Develops every genome to step ``T - k`` (``T = spec.steps``), then
    advances one step at a time, taking the :func:`loss` of the phenotype
    after each of the steps ``t = T-k+1 .. T``, and averages those ``k``
    losses.  ``k = 1`` is the loss of the final phenotype.

    Parameters
    ----------
    spec : HNCASpec
    genomes : (P, spec.n_genes) float32 array
    target : array_like of bool, shape (N_out, N_out)
        At the phenotype's resolution (the output level's side).
    k : int
        Number of final steps averaged, ``1 <= k <= spec.steps``.

    Returns
    -------
    ndarray of float64, shape (P,)
        In ``0 .. N_out**2``.

    Raises
    ------
    ValueError
        For ``k`` out of range, a target of the wrong shape, or bad genomes.
    """
    t = _check_spec_target(spec, target, "homeostasis_loss")
    if not _is_int(k) or not 1 <= k <= spec.steps:
        raise ValueError(f"homeostasis_loss: k must be an integer in 1..{spec.steps} "
                         f"(spec.steps), got {k!r}")
    k = int(k)
    out = develop(spec, genomes, steps=spec.steps - k)
    total = np.zeros(out.states[0].shape[0], np.float64)
    for _ in range(k):
        out = develop(spec, genomes, states=out.states, steps=1)
        total += loss(out.phenotypes, t)
    return total / k


def _check_rect(spec: HNCASpec, rect, where: str) -> tuple[int, int, int, int]:
    N = spec.base_size
    ok = (isinstance(rect, (tuple, list, np.ndarray)) and len(rect) == 4
          and all(_is_int(v) for v in rect))
    if ok:
        r0, c0, h, w = (int(v) for v in rect)
        ok = h >= 1 and w >= 1 and r0 >= 0 and c0 >= 0 and r0 + h <= N and c0 + w <= N
    if not ok:
        raise ValueError(f"{where}: rect must be (row0, col0, height, width) integers in "
                         f"base-level cells with height, width >= 1 and the rectangle "
                         f"inside the {N}x{N} base grid (row0 + height <= {N}, "
                         f"col0 + width <= {N}), got {rect!r}")
    return r0, c0, h, w


def damage_states(spec: HNCASpec, states, rect) -> list[np.ndarray]:
    """Copies of per-level states with a rectangle zeroed on every level.

    ``rect = (row0, col0, height, width)`` in base-level cells.  At level
    ``l`` the zeroed rows are ``row0 >> l .. (row0 + height - 1) >> l`` and
    the columns ``col0 >> l .. (col0 + width - 1) >> l``, both inclusive:
    every level-``l`` cell containing at least one damaged base cell.  All
    channels are zeroed.  The rectangle does not wrap around the torus.

    Parameters
    ----------
    spec : HNCASpec
    states : list of arrays, one per level, shape (..., N_l, N_l, C)
    rect : tuple of 4 int

    Returns
    -------
    list of ndarray
        New arrays with the input dtypes and shapes; the inputs are untouched.

    Raises
    ------
    ValueError
        For a rectangle that is empty or not inside the base grid, or states
        that do not match the spec's levels.
    """
    r0, c0, h, w = _check_rect(spec, rect, "damage_states")
    if not isinstance(states, (list, tuple)) or len(states) != spec.levels:
        raise ValueError(f"damage_states: states must be a list of {spec.levels} arrays, "
                         "one per level")
    out = []
    for lvl, (s, n) in enumerate(zip(states, spec.sizes)):
        s = np.array(s, copy=True)
        if s.ndim < 3 or s.shape[-3:-1] != (n, n):
            raise ValueError(f"damage_states: states[{lvl}] must have shape (..., {n}, {n}, C), "
                             f"got {s.shape}")
        s[..., r0 >> lvl:((r0 + h - 1) >> lvl) + 1, c0 >> lvl:((c0 + w - 1) >> lvl) + 1, :] = 0
        out.append(s)
    return out


def damage_loss(spec: HNCASpec, genomes: np.ndarray, target, t_damage: int,
                rect) -> np.ndarray:
    """Loss of the pattern recovered after damage.

    Develops every genome to step ``t_damage``, zeroes the rectangle ``rect``
    on every level (see :func:`damage_states` for how base-level cells map to
    coarser levels), continues to ``spec.steps`` and returns the
    :func:`loss` of the final phenotype.  ``t_damage = spec.steps`` scores the
    damaged pattern itself (no time to recover).

    Parameters
    ----------
    spec : HNCASpec
    genomes : (P, spec.n_genes) float32 array
    target : array_like of bool, shape (N_out, N_out)
    t_damage : int
        Step after which the damage is applied, ``0 <= t_damage <= spec.steps``
        (0 = damage the seed state).
    rect : (row0, col0, height, width) tuple of int
        In base-level cells; inside the base grid, height and width >= 1.

    Returns
    -------
    ndarray of int64, shape (P,)

    Raises
    ------
    ValueError
        For ``t_damage`` or ``rect`` out of range, a target of the wrong
        shape, or bad genomes.
    """
    t = _check_spec_target(spec, target, "damage_loss")
    if not _is_int(t_damage) or not 0 <= t_damage <= spec.steps:
        raise ValueError(f"damage_loss: t_damage must be an integer in 0..{spec.steps} "
                         f"(spec.steps), got {t_damage!r}")
    _check_rect(spec, rect, "damage_loss")
    before = develop(spec, genomes, steps=int(t_damage))
    hurt = damage_states(spec, before.states, rect)
    after = develop(spec, genomes, states=hurt, steps=spec.steps - int(t_damage))
    return loss(after.phenotypes, t)


# --------------------------------------------------------------------------- #
# Task
# --------------------------------------------------------------------------- #
@dataclass(frozen=True, eq=False)
class Task:
    """A named target pattern and how to score a population against it.

    Parameters
    ----------
    name : str
        A built-in target name or, for :meth:`from_file`, the file's stem.
    target : array_like of bool, shape (N, N)
        Stored as a read-only bool copy; must have both 0 and 1 cells.

    Notes
    -----
    Two tasks are equal when their names and targets are equal.
    """

    name: str
    target: np.ndarray

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Task: name must be a non-empty string, got {self.name!r}")
        t = _as_bool(self.target, "target", "Task")
        if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 1:
            raise ValueError(f"Task {self.name!r}: target must be a square (N, N) array, "
                             f"got shape {t.shape}")
        if not t.any() or t.all():
            raise ValueError(f"Task {self.name!r}: target is degenerate (all 0 or all 1); "
                             "use a pattern with both on and off cells")
        t = np.array(t, dtype=bool, copy=True)
        t.setflags(write=False)
        object.__setattr__(self, "target", t)

    @property
    def N(self) -> int:
        """Side of the target grid."""
        return int(self.target.shape[0])

    @classmethod
    def from_name(cls, name: str, N: int) -> "Task":
        """The built-in target ``name`` (see :func:`target`) at side ``N``."""
        return cls(name, target(name, N))

    @classmethod
    def from_file(cls, path, N: int) -> "Task":
        """A bitmap target (see :func:`load_target`), named by the file's stem."""
        return cls(Path(path).stem, load_target(path, N))

    def evaluate(self, spec: HNCASpec, genomes: np.ndarray):
        """Develop the population once and score the final phenotypes.

        Parameters
        ----------
        spec : HNCASpec
            Its phenotype (output level) must have side ``self.N``.
        genomes : (P, spec.n_genes) float32 array

        Returns
        -------
        loss : ndarray of int64, shape (P,)
            See :func:`loss`; degenerate phenotypes get ``N * N``.
        phenotypes : ndarray of bool, shape (P, N, N)
        """
        t = _check_spec_target(spec, self.target, f"Task {self.name!r}")
        out = develop(spec, genomes)
        ph = out.phenotypes
        return loss(ph, t), ph

    def __eq__(self, other):
        if not isinstance(other, Task):
            return NotImplemented
        return self.name == other.name and np.array_equal(self.target, other.target)

    def __hash__(self):
        return hash((self.name, self.target.shape, np.packbits(self.target).tobytes()))

    def __repr__(self) -> str:
        return f"Task(name={self.name!r}, N={self.N}, on={int(self.target.sum())})"
