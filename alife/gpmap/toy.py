"""Toy genotype–phenotype maps whose neutral networks can be worked out on paper.

They exist to test :mod:`alife.neutral`: every class docstring states the
phenotypes, their sizes, the genotype networks (connected components) and
Wagner's (2008) robustness and evolvability, so a test can compare the code
against numbers derived by hand.

Notation: a genotype ``g`` of length ``L`` over ``K`` letters has
``L (K - 1)`` one-mutant neighbours; ``|g|_a`` is the number of positions
holding letter ``a``; ``C(n, k)`` is the binomial coefficient.

Discrete maps: :class:`ThresholdMap`, :class:`CountMap`, :class:`ParityMap`,
:class:`TableLookupMap`.  Continuous maps (sampled neighbourhoods):
:class:`SignPatternMap`, :class:`SumIntervalMap`.  :func:`toy_map` builds one
by name; it is registered as map kind ``"toy"`` (``alife.gpmap.make("toy",
name="count", L=6, K=3)``).
"""
from __future__ import annotations

import numpy as np

from .base import ContinuousSpace, DiscreteSpace, GPMap
from .registry import register

__all__ = ["ThresholdMap", "CountMap", "ParityMap", "TableLookupMap", "SignPatternMap",
           "SumIntervalMap", "toy_map", "TOY_MAPS"]


class ThresholdMap(GPMap):
    """Binary genotypes; phenotype 1 when the number of 1s is at least ``threshold``.

    Parameters
    ----------
    L : int, genotype length
    threshold : int in ``1..L``

    Notes
    -----
    Networks on paper (``k = |g|_1``, ``t = threshold``):

    * phenotype 1 = ``{k >= t}``, ``sum_{k>=t} C(L, k)`` genotypes; phenotype
      0 = ``{k < t}``, ``sum_{k<t} C(L, k)`` genotypes.  Each is **one**
      genotype network: from any genotype with ``k >= t``, flipping 0s to 1s
      reaches ``1...1`` without leaving the set (and ``0...0`` likewise for 0).
    * ``r(g) = 1`` away from the boundary; ``r(g) = (L - t) / L`` when
      ``k = t`` (the ``t`` flips 1->0 leave the set) and ``r(g) = (t - 1) / L``
      when ``k = t - 1``.  ``e(g) = 1`` on those two boundary layers, else 0.
    * ``E(0) = E(1) = 1``;
      ``R(1) = 1 - t C(L, t) / (L sum_{k>=t} C(L, k))``,
      ``R(0) = 1 - (L - t + 1) C(L, t - 1) / (L sum_{k<t} C(L, k))``.

    Example, ``L = 3, t = 2``: phenotype 1 = {011, 101, 110, 111}, R(1) = (3 * 1/3 + 1) / 4 = 1/2.
    """

    def __init__(self, L: int, threshold: int):
        super().__init__()
        if not 1 <= threshold <= L:
            raise ValueError(f"threshold must lie in 1..L={L}, got {threshold}")
        self.space = DiscreteSpace(L, 2, "01")
        self.threshold = int(threshold)
        self.name = f"threshold(L={L},t={threshold})"

    def _phenotypes(self, genotypes):
        return (genotypes.sum(axis=1, dtype=np.int64) >= self.threshold).astype(np.int64)


class CountMap(GPMap):
    """Phenotype = number of occurrences of letter ``letter`` (default 0).

    Parameters
    ----------
    L, K : int, genotype length and alphabet size
    letter : int, the counted letter

    Notes
    -----
    Networks on paper (``c = |g|_letter``):

    * phenotype ``c`` has ``C(L, c) (K - 1)^(L - c)`` genotypes.
    * A neutral mutation changes one non-``letter`` position to another
      non-``letter`` letter, so the set of positions holding ``letter`` never
      changes along a neutral path: phenotype ``c`` splits into ``C(L, c)``
      genotype networks (one per choice of positions), each of size
      ``(K - 1)^(L - c)`` and each a Hamming graph (all of its genotypes are
      mutually reachable).  For ``K = 2`` every genotype is its own network.
    * ``r(g) = (L - c)(K - 2) / (L (K - 1))`` for every genotype of ``c``, so
      ``R(c)`` equals it too.
    * ``e(g) = E(c) = [c > 0] + [c < L]`` (phenotypes ``c - 1`` and ``c + 1``).
    """

    def __init__(self, L: int, K: int, letter: int = 0, alphabet: str | None = None):
        super().__init__()
        self.space = DiscreteSpace(L, K, alphabet)
        if not 0 <= letter < K:
            raise ValueError(f"letter must lie in 0..{K - 1}, got {letter}")
        self.letter = int(letter)
        self.name = f"count(L={L},K={K},letter={letter})"

    def _phenotypes(self, genotypes):
        return (genotypes == self.letter).sum(axis=1, dtype=np.int64)


class ParityMap(GPMap):
    """Phenotype = (sum of letter indices) mod 2.

    Parameters
    ----------
    L, K : int, genotype length and alphabet size (default binary)

    Notes
    -----
    Networks on paper: a substitution ``a -> b`` is neutral iff ``b - a`` is
    even.

    * ``K = 2``: every mutation flips the phenotype, so each of the ``2^L``
      genotypes is its own genotype network (two phenotypes of ``2^(L-1)``
      genotypes each, ``2^(L-1)`` components each); ``r = 0``, ``e = E = 1``.
    * ``K = 3`` (letters 0, 1, 2): only ``0 <-> 2`` is neutral; a genotype with
      ``u`` letters 1 has ``r = (L - u) / (2 L)``; the positions holding 1 are
      invariant under neutral mutations, so the components are the ``2^L``
      choices of those positions (each a hypercube over {0, 2} at the others,
      of size ``2^(L - u)``); a component's phenotype is ``u mod 2``.
    """

    def __init__(self, L: int, K: int = 2):
        super().__init__()
        self.space = DiscreteSpace(L, K)
        self.name = f"parity(L={L},K={K})"

    def _phenotypes(self, genotypes):
        return genotypes.sum(axis=1, dtype=np.int64) % 2


class TableLookupMap(GPMap):
    """Any explicit map: ``phenotype_of_rank[rank(g)]``.

    Parameters
    ----------
    space : DiscreteSpace, an enumerable space
    phenotype_of_rank : (K**L,) int array of phenotype ids (``-1`` = undefined)

    Notes
    -----
    Its networks are whatever the table says; tests compare the fast code
    against plain loops over the same table.
    """

    def __init__(self, space: DiscreteSpace, phenotype_of_rank, name: str = "table"):
        super().__init__()
        if not isinstance(space, DiscreteSpace):
            raise TypeError("TableLookupMap needs a DiscreteSpace")
        table = np.asarray(phenotype_of_rank)
        if table.dtype.kind not in "iu":
            raise ValueError(f"phenotype table must hold integers, got {table.dtype}")
        if table.shape != (space.size,):
            raise ValueError(f"phenotype table must have shape ({space.size},) for "
                             f"{space.K}**{space.L} genotypes, got {table.shape}")
        if table.size and table.min() < -1:
            raise ValueError("phenotype ids must be >= 0, or -1 for undefined")
        self.space = space
        self.table = table.astype(np.int64)
        self.name = name

    def _phenotypes(self, genotypes):
        return self.table[self.space.rank(genotypes)]


class SignPatternMap(GPMap):
    """Continuous genes; phenotype = sign pattern, ``sum_i [x_i >= 0] 2^i``.

    Parameters
    ----------
    L : int, number of genes (<= 62)
    m : int, resamples per gene in a sampled neighbourhood
    undefined_all_negative : bool, map the all-negative orthant to ``-1``

    Notes
    -----
    Networks on paper (genes uniform on ``[-1, 1]``): each phenotype is one
    orthant, a convex set, hence one genotype network; every orthant is
    reachable from every other by changing signs one gene at a time.
    Resampling one gene uniformly keeps its sign with probability 1/2, so the
    expected sampled robustness is ``r = 1/2`` for every genotype (with
    ``undefined_all_negative`` too: undefined neighbours are non-neutral).
    A genotype's neighbours with a flipped gene ``i`` all share one
    phenotype, so with all ``L`` flips sampled ``e(g) = L`` (minus one when
    the flip leads into the undefined orthant).
    """

    def __init__(self, L: int, m: int = 4, undefined_all_negative: bool = False):
        super().__init__()
        if L > 62:
            raise ValueError("SignPatternMap supports at most 62 genes")
        self.space = ContinuousSpace(L, m, -1.0, 1.0)
        self.undefined_all_negative = bool(undefined_all_negative)
        self.name = f"signs(L={L})"

    def _phenotypes(self, genotypes):
        bits = (genotypes >= 0).astype(np.int64)
        ids = bits @ (np.int64(1) << np.arange(self.space.L, dtype=np.int64))
        if self.undefined_all_negative:
            ids[ids == 0] = -1
        return ids


class SumIntervalMap(GPMap):
    """Continuous genes; phenotype = which of ``n_bins`` equal intervals of
    ``[L low, L high]`` the gene sum falls in.

    Parameters
    ----------
    L : int, number of genes
    n_bins : int, number of intervals
    m : int, resamples per gene

    Notes
    -----
    Networks on paper: each phenotype is a slab ``{a <= sum x < b}`` of the
    cube, a convex set, hence one genotype network; one gene can move the sum
    by at most ``high - low`` = ``n_bins / L`` bin widths, so a mutant's
    phenotype differs from its parent's by at most ``floor(n_bins / L) + 1``
    bins (with ``n_bins <= L`` only the adjacent bins are one mutation away).
    """

    def __init__(self, L: int, n_bins: int, m: int = 4, low: float = -1.0, high: float = 1.0):
        super().__init__()
        if n_bins < 1:
            raise ValueError(f"n_bins must be >= 1, got {n_bins}")
        self.space = ContinuousSpace(L, m, low, high)
        self.n_bins = int(n_bins)
        self.name = f"sum-interval(L={L},bins={n_bins})"

    def _phenotypes(self, genotypes):
        s = genotypes.astype(np.float64).sum(axis=1)
        lo, hi = self.space.L * self.space.low, self.space.L * self.space.high
        b = np.floor((s - lo) / (hi - lo) * self.n_bins).astype(np.int64)
        return np.clip(b, 0, self.n_bins - 1)


#: The names :func:`toy_map` knows.
TOY_MAPS = ("threshold", "count", "parity", "signs", "sum_interval")


@register("toy")
def toy_map(name: str, L: int, K: int = 2, threshold: int | None = None, letter: int = 0, *,
            m: int = 4, n_bins: int | None = None, undefined_all_negative: bool = False) -> GPMap:
    """A toy map by name (map kind ``"toy"``).

    Parameters
    ----------
    name : {"threshold", "count", "parity", "signs", "sum_interval"}
    L : int, genotype length (number of genes for the continuous maps)
    K : int, alphabet size of ``count`` and ``parity`` (``threshold`` is
        binary and does not read it)
    threshold : int, required by ``threshold``
    letter : int, the letter ``count`` counts
    m : int, resamples per gene of the continuous maps (``signs``, ``sum_interval``)
    n_bins : int, required by ``sum_interval``
    undefined_all_negative : bool, ``signs``: the all-negative orthant is ``-1``

    Notes
    -----
    Parameters a map does not read are ignored (``threshold`` ignores ``K``
    and ``letter``, ``parity`` ignores ``threshold`` and ``letter``), so one
    table of keys can describe any toy map.
    """
    if name == "threshold":
        if threshold is None:
            raise ValueError("the threshold toy map needs threshold= (an integer in 1..L)")
        return ThresholdMap(L, threshold)
    if name == "count":
        return CountMap(L, K, letter=letter)
    if name == "parity":
        return ParityMap(L, K)
    if name == "signs":
        return SignPatternMap(L, m, undefined_all_negative=undefined_all_negative)
    if name == "sum_interval":
        if n_bins is None:
            raise ValueError("the sum_interval toy map needs n_bins= (an integer >= 1)")
        return SumIntervalMap(L, n_bins, m)
    raise ValueError(f"unknown toy map {name!r}; choose one of {', '.join(TOY_MAPS)}")
