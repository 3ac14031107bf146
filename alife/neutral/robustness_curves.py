"""Robustness curves r(s) of one genotype under two harmonised mutation kernels.

Wagner's genotype robustness r(g) is the fraction of g's mutants that keep
its phenotype.  Its value depends entirely on what a mutant is, so systems
are compared on *curves*: r as a function of the mutation strength s, under
kernels defined the same way for every system:

* :class:`SiteResample` (kernel i) — resample ``k = max(1, round(s * L))``
  genes, chosen uniformly without repetition, each from *its block's
  initialisation law* (uniform on ``[low, high]``).  ``s`` is the fraction
  of the genome changed; ``k = 1`` is the classic single-site mutation, so
  r at ``s = 1/L`` is Wagner's r(g) under a one-gene resample, and r at the
  same ``s`` in two systems is "r at a matched fraction of the genome
  changed".
* :class:`RMSNoise` (kernel ii) — add ``s * rms_b * z`` (z standard normal)
  to every gene of block b, where ``rms_b`` is the root mean square of the
  parent's genes in that block (a layer's weights, a level's rule).  ``s``
  is noise relative to the block's own scale, so it means the same for a
  weight matrix and for an HNCA rule.

A *block* (:class:`Block`) is a contiguous slice of the flat genome that
shares one initialisation law and one scale: for an MLP each layer's weight
matrix and each bias vector (:func:`alife.bridge.width_sweep.mlp_blocks`);
for an HNCA each level's rule blocks.

:func:`robustness_curve` draws ``n`` mutants per strength and returns, per
strength, the number kept, r with its Wilson interval, and the evolvability
rarefied to a fixed number of mutants (distinct new phenotypes among the
first ``m``); :func:`strength_50` reads off s50, the strength at which r
crosses one half (σ50 for :class:`RMSNoise`, f50 for :class:`SiteResample`).

The phenotype function is anything that maps a batch of genomes (m, L) to
one phenotype per row: a :class:`~alife.gpmap.base.GPMap` (its
``phenotypes``: int64 ids, ``-1`` undefined) or a callable returning ids
(m,) or arrays (m, ...) compared exactly, row by row (e.g. argmax
predictions of a net on its training set).  An undefined phenotype (id
``-1``, or a row whose first entry is negative) is never "kept" and never
counted as a new phenotype.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Block", "SiteResample", "RMSNoise", "robustness_curve", "strength_50",
           "KERNELS"]


@dataclass(frozen=True)
class Block:
    """Genes ``[start, stop)`` of a flat genome with one initialisation law.

    Attributes
    ----------
    name : str, e.g. ``"layers.0.weight"``
    start, stop : int, the slice of the genome
    low, high : float, the initialisation law U(low, high) of these genes
    """

    name: str
    start: int
    stop: int
    low: float
    high: float

    def __post_init__(self):
        if not (0 <= self.start < self.stop):
            raise ValueError(f"block {self.name!r}: need 0 <= start < stop, got "
                             f"{self.start}, {self.stop}")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low <= self.high):
            raise ValueError(f"block {self.name!r}: need finite low <= high, got "
                             f"{self.low}, {self.high}")

    @property
    def size(self) -> int:
        return self.stop - self.start


def _check_blocks(blocks, L: int) -> list[Block]:
    blocks = sorted(blocks, key=lambda b: b.start)
    pos = 0
    for b in blocks:
        if b.start != pos:
            raise ValueError(f"blocks must tile the genome: block {b.name!r} starts at "
                             f"{b.start}, expected {pos}")
        pos = b.stop
    if pos != L:
        raise ValueError(f"blocks cover {pos} genes, the genome has {L}")
    return blocks


class SiteResample:
    """Kernel (i): resample a fraction ``s`` of the genes from their initialisation law.

    Parameters
    ----------
    blocks : list of :class:`Block` tiling the genome
    """

    name = "resample"

    def __init__(self, blocks):
        self.blocks = list(blocks)

    def n_sites(self, s: float, L: int) -> int:
        """Genes resampled at strength ``s``: ``max(1, round(s * L))`` (at most L)."""
        if not (s >= 0 and math.isfinite(s)):
            raise ValueError(f"the fraction resampled must be a number >= 0, got {s!r}")
        return int(min(L, max(1, round(s * L))))

    def mutants(self, genome: np.ndarray, s: float, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, L) float32 mutants of ``genome`` (L,)."""
        L = genome.size
        blocks = _check_blocks(self.blocks, L)
        low = np.concatenate([np.full(b.size, b.low) for b in blocks])
        high = np.concatenate([np.full(b.size, b.high) for b in blocks])
        k = self.n_sites(s, L)
        out = np.repeat(genome[None].astype(np.float32), n, axis=0)
        for i in range(n):
            sites = rng.choice(L, size=k, replace=False)
            out[i, sites] = rng.uniform(low[sites], high[sites]).astype(np.float32)
        return out

    def fraction_changed(self, s: float, L: int) -> float:
        return self.n_sites(s, L) / L


class RMSNoise:
    """Kernel (ii): isotropic Gaussian noise of ``s`` times each block's RMS.

    Parameters
    ----------
    blocks : list of :class:`Block` tiling the genome (only the slices are used)
    """

    name = "rms_noise"

    def __init__(self, blocks):
        self.blocks = list(blocks)

    def scales(self, genome: np.ndarray) -> np.ndarray:
        """(L,) the RMS of the parent's block, gene by gene."""
        blocks = _check_blocks(self.blocks, genome.size)
        g = genome.astype(np.float64)
        return np.concatenate([np.full(b.size, math.sqrt(float(np.mean(g[b.start:b.stop] ** 2))))
                               for b in blocks])

    def mutants(self, genome: np.ndarray, s: float, n: int, rng: np.random.Generator) -> np.ndarray:
        if not (s >= 0 and math.isfinite(s)):
            raise ValueError(f"the relative noise must be a number >= 0, got {s!r}")
        scale = self.scales(genome)
        z = rng.standard_normal((n, genome.size))
        return (genome[None].astype(np.float64) + s * scale[None] * z).astype(np.float32)

    def fraction_changed(self, s: float, L: int) -> float:
        return 1.0 if s > 0 else 0.0


#: Kernel classes by name.
KERNELS = {"resample": SiteResample, "rms_noise": RMSNoise}


def _stream(seed, kernel: str, s: float) -> np.random.Generator:
    """A generator keyed by the kernel and the strength's value (not its position),
    so adding strengths to a curve never changes the others."""
    if isinstance(seed, np.random.SeedSequence):
        ss = seed
    else:
        ss = np.random.SeedSequence(int(seed))
    h = hashlib.blake2b(f"{kernel}:{float(s).hex()}".encode(), digest_size=8).digest()
    key = (*ss.spawn_key, int.from_bytes(h[:4], "little"), int.from_bytes(h[4:], "little"))
    return np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=key))


def _phenotype_keys(phen) -> tuple[list, np.ndarray]:
    """Rows of a phenotype batch as hashable keys, and an 'undefined' mask."""
    a = np.asarray(phen)
    if a.ndim == 1:
        return a.tolist(), a < 0
    a = a.reshape(a.shape[0], -1)
    undefined = (a[:, 0] < 0) if a.shape[1] else np.zeros(a.shape[0], bool)
    return [row.tobytes() for row in np.ascontiguousarray(a)], undefined


def _phenotypes_of(phenotype_fn, genomes: np.ndarray):
    if hasattr(phenotype_fn, "phenotypes"):
        return phenotype_fn.phenotypes(genomes)
    return phenotype_fn(genomes)


def robustness_curve(phenotype_fn, genome, kernel, strengths, n: int, seed, *,
                     evolvability_m: int | None = None, chunk: int = 256,
                     level: float = 0.95) -> list[dict]:
    """r(s) of ``genome`` under ``kernel``, ``n`` mutants per strength.

    Parameters
    ----------
    phenotype_fn : a GPMap, or a callable ``(m, L) float32 -> (m,) ids or (m, ...) arrays``
    genome : (L,) the parent genotype
    kernel : :class:`SiteResample` or :class:`RMSNoise` (or any object with
        ``name``, ``mutants(genome, s, n, rng)`` and ``fraction_changed(s, L)``)
    strengths : sequence of float, the strengths s
    n : int >= 1, mutants per strength
    seed : int or SeedSequence; each strength draws from its own stream,
        keyed by the kernel's name and the value of s
    evolvability_m : count distinct new phenotypes among the first ``m``
        mutants (default ``n``): evolvability rarefied to ``m`` mutants, so
        that values from systems sampled with different ``n`` compare
    chunk : mutants evaluated per call of ``phenotype_fn``
    level : coverage of the Wilson intervals

    Returns
    -------
    list of dicts, one per strength: ``kernel``, ``strength``,
    ``fraction_changed`` (genes changed / L), ``n``, ``kept``, ``r``,
    ``r_lo``, ``r_hi`` (Wilson), ``undefined`` (mutants without a
    phenotype), ``evolvability`` (distinct defined phenotypes other than the
    parent's among the first ``evolvability_m`` mutants), ``evolvability_m``.
    """
    from ..sweep.stats import wilson

    g = np.asarray(genome, dtype=np.float32).ravel()
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    m = n if evolvability_m is None else int(evolvability_m)
    if not 1 <= m <= n:
        raise ValueError(f"evolvability_m must lie in 1..n = {n}, got {m}")
    parent_keys, parent_undef = _phenotype_keys(_phenotypes_of(phenotype_fn, g[None]))
    if parent_undef[0]:
        raise ValueError("the parent genome has no phenotype (undefined); robustness needs one")
    parent = parent_keys[0]
    out = []
    for i, s in enumerate(strengths):
        rng = _stream(seed, kernel.name, s)
        keys, undef = [], []
        for a in range(0, n, int(chunk)):
            mut = kernel.mutants(g, float(s), min(int(chunk), n - a), rng)
            kk, uu = _phenotype_keys(_phenotypes_of(phenotype_fn, mut))
            keys += kk
            undef.append(uu)
        undef = np.concatenate(undef)
        kept = int(sum(1 for k, u in zip(keys, undef) if not u and k == parent))
        new = {k for k, u in zip(keys[:m], undef[:m]) if not u and k != parent}
        lo, hi = wilson(kept, n, level)
        out.append({"kernel": kernel.name, "strength": float(s),
                    "fraction_changed": float(kernel.fraction_changed(float(s), g.size)),
                    "n": n, "kept": kept, "r": kept / n, "r_lo": lo, "r_hi": hi,
                    "undefined": int(undef.sum()), "evolvability": len(new),
                    "evolvability_m": m})
    return out


def strength_50(strengths, r, log: bool = True) -> tuple[float, str]:
    """s50: where r(s) first falls to one half, by interpolation.

    Parameters
    ----------
    strengths : increasing strengths (> 0 when ``log``)
    r : robustness at each strength
    log : interpolate in log s (strengths spaced by factors)

    Returns
    -------
    (s50, status): ``"interpolated"`` (between the last point with r > 1/2
    and the first with r <= 1/2), ``"below_range"`` (r <= 1/2 already at the
    smallest strength: s50 is NaN, smaller than ``strengths[0]``) or
    ``"above_range"`` (r > 1/2 at every strength: NaN, larger than the last).
    """
    s = np.asarray(strengths, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    if s.shape != r.shape or s.size == 0:
        raise ValueError("strengths and r need the same, non-zero length")
    if np.any(np.diff(s) <= 0):
        raise ValueError("strengths must increase")
    below = np.flatnonzero(r <= 0.5)
    if below.size == 0:
        return float("nan"), "above_range"
    j = int(below[0])
    if j == 0:
        return float("nan"), "below_range"
    x0, x1 = (np.log(s[j - 1]), np.log(s[j])) if log else (s[j - 1], s[j])
    y0, y1 = r[j - 1], r[j]
    x = x0 + (y0 - 0.5) / (y0 - y1) * (x1 - x0)
    return float(np.exp(x) if log else x), "interpolated"
