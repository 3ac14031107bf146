"""Exactly neutral directions of an HNCA genome, found from the spec's geometry.

On a small torus several input taps of a cell read the *same* cell.  At
base 8 the Bielawski preset's level 2 is a 2x2 grid, where row ``i - 1`` and
row ``i + 1`` are the same row (and likewise for columns), and level 3 is a
1x1 grid, where all nine ``around`` taps read the cell itself.  The rule
multiplies each tap by its own weight and adds the products, so the weights
of taps that read the same cell only matter through their sum: moving weight
from one such tap to another changes nothing (in exact arithmetic; in float32
the states agree to rounding).

:func:`symmetries` finds every such group from the geometry alone.  For each
level and each input row of its first-layer matrix ``W1`` (a ``down``,
``around`` or ``up`` tap, one input channel) it computes which cell of which
level the tap reads, for every cell of the level; two taps are equivalent
when they read the same cell for *every* cell.  Each class of equivalent
taps, for one input channel and one first-layer output unit, is a
:class:`TapGroup` of genes whose weights act only through their sum.  A group
of ``m`` genes holds ``m - 1`` exactly neutral directions (move weight from
one tap to another); for the Bielawski preset at base 8 that is 5 (the 2x2
level) + 8 (the 1x1 level) = 13 of its 51 genes.  At base 64 there are none.

:class:`Symmetries` turns the groups into a quotient of genotype space:

* :meth:`Symmetries.canonical` (float genes) and
  :meth:`Symmetries.canonical_letters` (lattice letters) — one representative
  per class: within every group the whole sum sits on the group's first tap,
  spilling over onto the next taps only where it would leave the gene range
  (so it stays inside ``[low, high]``, and on a lattice on the lattice);
* :meth:`Symmetries.quotient` — coordinates in which Euclidean distance is the
  quotient distance: free genes as they are, and per group the sum divided by
  ``sqrt(m)``;
* :meth:`Symmetries.distance` — the quotient distance
  ``min_v ||a - b - v||`` over the neutral directions ``v``;
* :meth:`Symmetries.directions` — an explicit basis of the neutral directions.

Not covered here: symmetries of MLP rules (permutations of hidden units, and
positive rescaling of a hidden unit whose activation is positively
homogeneous, e.g. ReLU), which are exact but not linear moves of weight
between genes; :attr:`Symmetries.notes` names them when the spec has them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import AROUND_OFFSETS, DOWN_OFFSETS, HNCASpec

__all__ = ["TapGroup", "Symmetries", "symmetries", "tap_sources"]


@dataclass(frozen=True)
class TapGroup:
    """Genes whose weights act only through their sum.

    Attributes
    ----------
    level : int, the level whose rule holds the genes
    taps : tuple of str, the taps (e.g. ``"around[-1,0]"``), one per gene
    channel : int, input channel
    unit : int, first-layer output unit (hidden unit, or output channel without hidden layer)
    genes : tuple of int, gene indices in the flat genome (first = the canonical tap)
    """

    level: int
    taps: tuple[str, ...]
    channel: int
    unit: int
    genes: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.genes)


def tap_sources(spec: HNCASpec, level: int) -> list[tuple[str, tuple]]:
    """What every input tap of ``level`` reads, for every cell of the level.

    Returns
    -------
    list of ``(tap name, key)`` in the order of ``W1``'s rows divided by the
    channels (down taps, around taps, up tap); ``key`` is ``(source level,
    flat source cell of every cell (i, j) of the level, row-major)``.  Two taps
    with equal keys read the same value everywhere.
    """
    n = spec.sizes[level]
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    out = []
    if level > 0:
        m = spec.sizes[level - 1]
        for di, dj in DOWN_OFFSETS:
            src = (2 * ii + di) * m + (2 * jj + dj)
            out.append((f"down[{di},{dj}]", (level - 1, tuple(src.ravel().tolist()))))
    for dy, dx in AROUND_OFFSETS:
        src = ((ii + dy) % n) * n + (jj + dx) % n
        out.append((f"around[{dy},{dx}]", (level, tuple(src.ravel().tolist()))))
    if level < spec.levels - 1:
        m = spec.sizes[level + 1]
        src = (ii // 2) * m + jj // 2
        out.append(("up", (level + 1, tuple(src.ravel().tolist()))))
    return out


def _groups(spec: HNCASpec) -> list[TapGroup]:
    C = spec.channels
    groups = []
    for lv in spec.layout.levels:
        taps = tap_sources(spec, lv.level)
        assert len(taps) * C == lv.n_inputs
        classes: dict[tuple, list[int]] = {}
        for t, (_, key) in enumerate(taps):
            classes.setdefault(key, []).append(t)
        for members in classes.values():
            if len(members) < 2:
                continue
            for c in range(C):
                for o in range(lv.n_out1):
                    # row (tap t, channel c) of W1, column o, in the flat genome
                    genes = tuple(lv.start + (t * C + c) * lv.n_out1 + o for t in members)
                    groups.append(TapGroup(lv.level, tuple(taps[t][0] for t in members), c, o,
                                           genes))
    return groups


class Symmetries:
    """The exactly neutral tap groups of a spec and the quotient they define.

    Build with :func:`symmetries`.  Genotypes are ``(n, n_genes)`` arrays of
    gene values (float) or, for :meth:`canonical_letters`, lattice letters.

    Attributes
    ----------
    spec : HNCASpec
    groups : tuple of TapGroup
    n_genes : int
    n_neutral : int, number of independent neutral directions, sum of (m - 1)
    free : (n_free,) int64, genes in no group
    notes : tuple of str, exact symmetries of the spec that are not tap groups
    """

    def __init__(self, spec: HNCASpec):
        self.spec = spec
        self.groups: tuple[TapGroup, ...] = tuple(_groups(spec))
        self.n_genes = spec.n_genes
        in_group = np.zeros(self.n_genes, bool)
        for g in self.groups:
            in_group[list(g.genes)] = True
        self.free = np.flatnonzero(~in_group)
        self.n_neutral = int(sum(g.size - 1 for g in self.groups))
        notes = []
        if spec.hidden > 1:
            notes.append(f"permutations of the {spec.hidden} hidden units of every level")
        if spec.hidden > 0 and spec.hidden_activation in ("relu", "identity"):
            notes.append(f"positive rescaling of each hidden unit ({spec.hidden_activation} "
                         "is positively homogeneous)")
        self.notes = tuple(notes)

    def __repr__(self) -> str:
        return (f"Symmetries({len(self.groups)} tap groups, {self.n_neutral} neutral directions "
                f"of {self.n_genes} genes)")

    @property
    def n_quotient(self) -> int:
        """Dimension of the quotient space: ``n_genes - n_neutral``."""
        return self.n_genes - self.n_neutral

    def _rows(self, genomes) -> tuple[np.ndarray, bool]:
        g = np.asarray(genomes)
        one = g.ndim == 1
        g = g[None] if one else g
        if g.ndim != 2 or g.shape[1] != self.n_genes:
            raise ValueError(f"genotypes must have shape (n, {self.n_genes}), got {np.shape(genomes)}")
        return g, one

    def directions(self) -> np.ndarray:
        """(n_neutral, n_genes) float64 basis of the neutral directions:
        ``e[first tap] - e[other tap]`` for every other tap of every group."""
        rows = []
        for g in self.groups:
            for other in g.genes[1:]:
                v = np.zeros(self.n_genes)
                v[g.genes[0]], v[other] = 1.0, -1.0
                rows.append(v)
        return np.array(rows).reshape(-1, self.n_genes)

    def quotient(self, genomes) -> np.ndarray:
        """Coordinates of the quotient space, ``(n, n_quotient)`` float64 (one
        genotype gives one row): the free genes, then per group its sum / sqrt(m).
        Euclidean distance between these rows is :meth:`distance`."""
        g, _ = self._rows(genomes)
        g = g.astype(np.float64)
        cols = [g[:, self.free]]
        for grp in self.groups:
            cols.append(g[:, list(grp.genes)].sum(axis=1, keepdims=True) / np.sqrt(grp.size))
        return np.concatenate(cols, axis=1)

    def distance(self, a, b) -> np.ndarray:
        """Quotient distance ``min_v ||a - b - v||_2`` over neutral directions v.

        ``a`` and ``b`` are ``(n_genes,)`` or ``(n, n_genes)`` (broadcast);
        returns a float, or ``(n,)`` float64.
        """
        qa, qb = self.quotient(a), self.quotient(b)
        d = np.sqrt(((qa - qb) ** 2).sum(axis=1))
        return float(d[0]) if d.size == 1 and np.ndim(a) == 1 and np.ndim(b) == 1 else d

    def canonical(self, genomes, low: float | None = None, high: float | None = None) -> np.ndarray:
        """The canonical representative of every genotype's class (float32).

        Within each group the other taps are set to 0 and the whole sum is put
        on the first tap; where that would leave ``[low, high]`` (default the
        spec's ``[-init_scale, init_scale]``) the first tap is filled to the
        bound and the rest spills over to the next taps in order.  A sum beyond ``m * bound`` cannot be kept inside the
        range and is rejected (ValueError).  Free genes are unchanged.
        """
        g, one = self._rows(genomes)
        low = -float(self.spec.init_scale) if low is None else float(low)
        high = float(self.spec.init_scale) if high is None else float(high)
        out = g.astype(np.float64).copy()
        for grp in self.groups:
            idx = list(grp.genes)
            out[:, idx] = _fill(out[:, idx].sum(axis=1), len(idx), low, high,
                                float(np.clip(0.0, low, high)))
        out = out.astype(np.float32)
        return out[0] if one else out

    def canonical_letters(self, letters, K: int) -> np.ndarray:
        """Canonical representatives of lattice genotypes (uint8 letters 0..K-1 of
        ``lattice_values(K)``, evenly spaced values).  Letter sums within a
        group are kept, so value sums are kept: every tap starts at the middle
        letter ``(K - 1) // 2`` (value 0 for odd K) and the first tap takes as
        much of the excess as fits in 0..K-1, the next tap the rest, and so on."""
        g, one = self._rows(letters)
        out = g.astype(np.int64).copy()
        for grp in self.groups:
            idx = list(grp.genes)
            out[:, idx] = _fill(out[:, idx].sum(axis=1).astype(np.float64), len(idx), 0.0,
                                float(K - 1), float((K - 1) // 2)).round().astype(np.int64)
        out = out.astype(np.uint8)
        return out[0] if one else out


def _fill(total: np.ndarray, m: int, low: float, high: float, rest: float) -> np.ndarray:
    """(n,) sums -> (n, m) values in [low, high] with those sums: every slot
    starts at ``rest`` and the excess ``total - m * rest`` is placed greedily,
    as much as fits on the first slot, then the second, and so on."""
    if np.any(total > m * high + 1e-9) or np.any(total < m * low - 1e-9):
        raise ValueError(f"a group sum lies outside [{m} x {low}, {m} x {high}]: no "
                         "representative inside the gene range")
    out = np.full((total.shape[0], m), float(rest))
    excess = total - m * rest
    for k in range(m):
        put = np.clip(excess, low - rest, high - rest)
        out[:, k] += put
        excess = excess - put
    return out


def symmetries(spec: HNCASpec) -> Symmetries:
    """The exactly neutral tap groups of ``spec`` (see the module docstring)."""
    if not isinstance(spec, HNCASpec):
        raise ValueError(f"symmetries: spec must be an HNCASpec, got {type(spec).__name__}")
    return Symmetries(spec)
