"""The genotype–phenotype map interface every analysis in :mod:`alife.neutral` uses.

A GP map is a genotype space plus a *batch* phenotype function::

    ids = gpmap.phenotypes(genotypes)     # (n, L) genotypes -> (n,) int64

Ids are stable non-negative int64 labels of phenotypes (the same phenotype
always gets the same id, whatever batch it arrives in); ``-1`` marks an
undefined or degenerate phenotype (an unfolded RNA, an all-dead HNCA), which
belongs to no neutral network.  ``gpmap.label(pid)`` gives a phenotype's
human-readable form where one exists (a dot-bracket structure).

Two kinds of genotype space:

* :class:`DiscreteSpace` — length ``L`` over an alphabet of ``K`` letters,
  genotypes as ``(n, L)`` uint8 arrays of letter indices.  Its one-mutant
  neighbourhood is exact: all ``L (K - 1)`` single substitutions, in a fixed
  order (position-major, then letter).  Genotypes also have an integer
  *rank* (base-K number, first position most significant), so a space
  with at most :data:`ENUMERABLE_LIMIT` genotypes can be enumerated and
  stored as one phenotype array indexed by rank.
* :class:`ContinuousSpace` — ``L`` real genes in ``[low, high]``; its
  neighbourhood is sampled: ``m`` resamples of each gene, drawn from an
  explicit ``numpy.random.Generator`` (so ``L m`` neighbours per genotype).

Both kinds of space have ``check`` (validate genotypes into the space's
dtype), ``neighbours``, ``mutate(g, rng)`` (one random mutation per
genotype: the kernel of neutral walks) and ``random(n, rng)``.

Phenotype evaluation dominates every analysis: callers batch, and
:class:`CachedMap` memoises by genotype (:func:`as_cached`).

Rank arithmetic
---------------
One definition serves the space's NumPy methods, the Numba kernels of
:mod:`alife.neutral` and the genonets port: the place values
``w[pos] = K**(L - 1 - pos)`` (:func:`place_values`), so that
``rank(g) = sum_pos g[pos] w[pos]``; the letter at ``pos`` is
``(rank // w[pos]) % K`` (:func:`letter_at`), and the letters come out
last-first by repeated division (:func:`last_letter`); substituting letter
``new`` for ``old`` at ``pos`` moves the rank to ``rank + (new - old) w[pos]``
(:func:`substitution_rank`).  The scalar functions are plain arithmetic, so
they work element-wise on NumPy arrays and compile (inlined) inside Numba
kernels.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

#: Largest discrete space :meth:`DiscreteSpace.all_genotypes` will build
#: (4**13: every RNA sequence of length 13).
ENUMERABLE_LIMIT = 4 ** 13

#: Named alphabets (genonets' names).
ALPHABETS = {
    "RNA": "ACGU",
    "DNA": "ACGT",
    "Protein": "ACDEFGHIKLMNPQRSTVWY",
    "Binary": "01",
}


def label_id(label: str) -> int:
    """Stable non-negative int64 id of a phenotype label (e.g. a dot-bracket
    string): the 8-byte BLAKE2b digest of its UTF-8 bytes, little-endian,
    sign bit cleared."""
    d = hashlib.blake2b(label.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(d, "little") & 0x7FFF_FFFF_FFFF_FFFF


def is_int(v) -> bool:
    """True for a Python or NumPy integer that is not a bool."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


# ----------------------------------------------------------------------------
# rank arithmetic (scalars or NumPy arrays; Numba kernels inline them)
# ----------------------------------------------------------------------------

def place_values(L: int, K: int) -> np.ndarray:
    """(L,) int64 place values ``K**(L - 1 - pos)``: the first position is the
    most significant digit of a genotype's rank."""
    return int(K) ** np.arange(int(L) - 1, -1, -1, dtype=np.int64)


def letter_at(rank, weight, K):
    """The letter of genotype ``rank`` at the position of place value ``weight``."""
    return (rank // weight) % K


def last_letter(rank, K):
    """``(letter at the last position, rank of the genotype without it)``;
    applied repeatedly it yields the letters last-first."""
    return rank % K, rank // K


def substitution_rank(rank, old, new, weight):
    """Rank of the one-mutant that writes letter ``new`` over letter ``old``
    at the position of place value ``weight``."""
    return rank + (new - old) * weight


def _substitutions(L: int, K: int) -> tuple[np.ndarray, np.ndarray]:
    """The one-mutant neighbourhood's order: mutant ``j`` changes position
    ``pos[j]`` by ``shift[j]`` letters (mod K); position-major, shifts 1..K-1."""
    return np.repeat(np.arange(L), K - 1), np.tile(np.arange(1, K), L)


def as_genotype_rows(genotypes, L: int) -> np.ndarray:
    """``(n, L)`` (or one ``(L,)`` genotype as a row) as an array; ValueError otherwise."""
    g = np.asarray(genotypes)
    if g.ndim == 1 and g.shape[0] == L:
        g = g[None]
    if g.ndim != 2 or g.shape[1] != L:
        raise ValueError(f"genotypes must have shape (n, {L}), got {g.shape}")
    return g


def real_genotypes(genotypes, L: int) -> np.ndarray:
    """Validate ``(n, L)`` real genotypes; returns float32 (continuous spaces)."""
    g = as_genotype_rows(genotypes, L)
    if g.dtype.kind not in "f":
        raise ValueError(f"continuous genotypes must be floats, got {g.dtype}")
    return g.astype(np.float32, copy=False)


@dataclass(frozen=True)
class DiscreteSpace:
    """Genotypes of length ``L`` over ``K`` letters (uint8 letter indices).

    Parameters
    ----------
    L : int, genotype length (>= 1)
    K : int, alphabet size (2..255)
    alphabet : str or None, the letters (length K) for text I/O

    Notes
    -----
    Ranks (int64, first position most significant): :meth:`rank`,
    :meth:`unrank`, :meth:`letters`, :attr:`weights`,
    :meth:`neighbour_ranks`; genotypes: :meth:`check`, :meth:`neighbours`,
    :meth:`mutate`, :meth:`random`, :meth:`all_genotypes`,
    :meth:`encode` / :meth:`decode` (text).
    """

    L: int
    K: int
    alphabet: str | None = None

    def __post_init__(self):
        if not is_int(self.L) or self.L < 1:
            raise ValueError(f"genotype length L must be an integer >= 1, got {self.L!r}")
        if not is_int(self.K) or not 2 <= self.K <= 255:
            raise ValueError(f"alphabet size K must be an integer in 2..255, got {self.K!r}")
        if self.alphabet is not None and (len(self.alphabet) != self.K
                                          or len(set(self.alphabet)) != self.K):
            raise ValueError(f"alphabet {self.alphabet!r} must have {self.K} distinct letters")

    discrete = True

    @property
    def size(self) -> int:
        """Number of genotypes, K**L (a Python int: may exceed int64)."""
        return int(self.K) ** int(self.L)

    @property
    def enumerable(self) -> bool:
        return self.size <= ENUMERABLE_LIMIT

    @property
    def n_neighbours(self) -> int:
        return int(self.L) * (int(self.K) - 1)

    def check(self, genotypes) -> np.ndarray:
        """Validate ``(n, L)`` letter indices; returns a uint8 array."""
        g = as_genotype_rows(genotypes, self.L)
        if g.size and (g.dtype.kind not in "iu" or g.min() < 0 or g.max() >= self.K):
            raise ValueError(f"genotypes must be integer letter indices in 0..{self.K - 1}")
        return g.astype(np.uint8, copy=False)

    @property
    def weights(self) -> np.ndarray:
        """(L,) int64 place values of the rank, ``K**(L - 1 - pos)`` (:func:`place_values`)."""
        return place_values(self.L, self.K)

    def rank(self, genotypes) -> np.ndarray:
        """(n,) int64 base-K rank of each genotype (needs K**L < 2**63)."""
        g = self.check(genotypes)
        if self.size >= 2 ** 63:
            raise ValueError(f"space of {self.K}**{self.L} genotypes is too large to rank in int64")
        return g.astype(np.int64) @ self.weights

    def unrank(self, ranks) -> np.ndarray:
        """(n, L) uint8 genotypes of the given ranks."""
        r = np.asarray(ranks, dtype=np.int64).reshape(-1)
        if r.size and (r.min() < 0 or r.max() >= self.size):
            raise ValueError(f"ranks must lie in 0..{self.size - 1}")
        out = np.empty((r.size, self.L), np.uint8)
        for pos in range(self.L - 1, -1, -1):
            out[:, pos], r = last_letter(r, self.K)
        return out

    def letters(self, ranks) -> np.ndarray:
        """(n, L) int64 letters of the genotypes of the given ranks (:func:`letter_at`;
        :meth:`unrank` gives the same as validated uint8 genotypes)."""
        r = np.asarray(ranks, dtype=np.int64).reshape(-1)
        return letter_at(r[:, None], self.weights[None, :], self.K)

    def all_genotypes(self) -> np.ndarray:
        """Every genotype in rank order, (K**L, L) uint8."""
        if not self.enumerable:
            raise ValueError(f"{self.K}**{self.L} genotypes is more than the enumerable "
                             f"limit {ENUMERABLE_LIMIT}; sample the space instead")
        return self.unrank(np.arange(self.size, dtype=np.int64))

    def neighbours(self, genotypes) -> np.ndarray:
        """All one-mutants: (n, L (K - 1), L) uint8, position-major then letter
        (mutant ``pos * (K - 1) + s`` has letter ``(g[pos] + 1 + s) % K`` at ``pos``)."""
        g = self.check(genotypes)
        L, K = self.L, self.K
        out = np.repeat(g[:, None, :], L * (K - 1), axis=1)
        pos, shift = _substitutions(L, K)
        out[:, np.arange(L * (K - 1)), pos] = (g[:, pos] + shift) % K
        return out

    def neighbour_ranks(self, ranks) -> np.ndarray:
        """(n, L (K - 1)) int64 ranks of all one-mutants of the given ranks, in
        the order of :meth:`neighbours` (:func:`substitution_rank`)."""
        r = np.asarray(ranks, dtype=np.int64).reshape(-1)
        w = self.weights
        pos, shift = _substitutions(self.L, self.K)
        old = self.letters(r)[:, pos]
        return substitution_rank(r[:, None], old, (old + shift) % self.K, w[pos][None, :])

    def mutate(self, genotypes, rng: np.random.Generator) -> np.ndarray:
        """One random point mutation per row: a uniform position gets a uniform
        *other* letter (position drawn first, then the letter shift).  (n, L) uint8."""
        g = self.check(genotypes)
        n = g.shape[0]
        rows = np.arange(n)
        pos = rng.integers(0, self.L, n)
        out = g.copy()
        out[rows, pos] = (g[rows, pos].astype(np.int64) + rng.integers(1, self.K, n)) % self.K
        return out

    def random(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` uniform random genotypes, (n, L) uint8: uniform ranks where the
        space can be ranked (``K**L <= 2**63``), else uniform letters."""
        if self.size <= 2 ** 63:
            return self.unrank(rng.integers(0, self.size, int(n)))
        return rng.integers(0, self.K, (int(n), self.L)).astype(np.uint8)

    def encode(self, texts) -> np.ndarray:
        """Strings over :attr:`alphabet` -> (n, L) uint8."""
        if self.alphabet is None:
            raise ValueError("this space has no alphabet for text genotypes")
        lut = {c: i for i, c in enumerate(self.alphabet)}
        out = np.empty((len(texts), self.L), np.uint8)
        for i, t in enumerate(texts):
            if len(t) != self.L:
                raise ValueError(f"genotype {t!r} has length {len(t)}, expected {self.L}")
            try:
                out[i] = [lut[c] for c in t]
            except KeyError as e:
                raise ValueError(f"genotype {t!r} has letter {e.args[0]!r} outside the "
                                 f"alphabet {self.alphabet!r}") from None
        return out

    def decode(self, genotypes) -> list[str]:
        """(n, L) letter indices -> strings over :attr:`alphabet`."""
        if self.alphabet is None:
            raise ValueError("this space has no alphabet for text genotypes")
        g = self.check(genotypes)
        letters = np.frombuffer(self.alphabet.encode("ascii"), np.uint8)
        return [row.tobytes().decode("ascii") for row in letters[g]]


@dataclass(frozen=True)
class ContinuousSpace:
    """``L`` real genes in ``[low, high]`` with a sampled neighbourhood.

    Parameters
    ----------
    L : int, number of genes
    m : int, resamples per gene in a neighbourhood (``L m`` neighbours)
    low, high : float, gene range
    """

    L: int
    m: int = 4
    low: float = -1.0
    high: float = 1.0

    def __post_init__(self):
        if not is_int(self.L) or self.L < 1:
            raise ValueError(f"number of genes L must be an integer >= 1, got {self.L!r}")
        if not is_int(self.m) or self.m < 1:
            raise ValueError(f"resamples per gene m must be an integer >= 1, got {self.m!r}")
        if not self.low < self.high:
            raise ValueError(f"gene range needs low < high, got [{self.low}, {self.high}]")

    discrete = False

    @property
    def n_neighbours(self) -> int:
        return int(self.L) * int(self.m)

    def check(self, genotypes) -> np.ndarray:
        return real_genotypes(genotypes, self.L)

    def neighbours(self, genotypes, rng: np.random.Generator) -> np.ndarray:
        """Sampled one-mutants: (n, L m, L) float32; mutant ``pos * m + s``
        resamples gene ``pos`` uniformly in ``[low, high]``."""
        g = self.check(genotypes)
        n, L, m = g.shape[0], self.L, self.m
        out = np.repeat(g[:, None, :], L * m, axis=1)
        pos = np.repeat(np.arange(L), m)
        out[:, np.arange(L * m), pos] = rng.uniform(self.low, self.high, (n, L * m)).astype(np.float32)
        return out

    def mutate(self, genotypes, rng: np.random.Generator) -> np.ndarray:
        """One random mutation per row: a uniform gene resampled uniformly in
        ``[low, high]`` (position drawn first).  (n, L) float32."""
        g = self.check(genotypes)
        n = g.shape[0]
        rows = np.arange(n)
        pos = rng.integers(0, self.L, n)
        out = g.copy()
        out[rows, pos] = rng.uniform(self.low, self.high, n).astype(np.float32)
        return out

    def random(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.low, self.high, (n, self.L)).astype(np.float32)


class GPMap:
    """Base class: a genotype space and a batch phenotype function.

    Subclasses set :attr:`space` and :attr:`name` and implement
    :meth:`_phenotypes`; :meth:`phenotypes` validates and counts evaluations.
    """

    name: str = "gpmap"
    space: DiscreteSpace | ContinuousSpace

    def __init__(self):
        self.n_evaluations = 0

    def phenotypes(self, genotypes) -> np.ndarray:
        """(n,) int64 phenotype ids of ``(n, L)`` genotypes, -1 = undefined."""
        g = self.space.check(genotypes)
        if g.shape[0] == 0:
            return np.zeros(0, np.int64)
        ids = np.asarray(self._phenotypes(g), dtype=np.int64)
        if ids.shape != (g.shape[0],):
            raise RuntimeError(f"{self.name}: phenotype function returned shape {ids.shape} "
                               f"for {g.shape[0]} genotypes")
        self.n_evaluations += g.shape[0]
        return ids

    def _phenotypes(self, genotypes: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def label(self, pid: int) -> str:
        """Human-readable form of phenotype ``pid`` (default: the id)."""
        return str(int(pid))

    # ------------------------------------------------------------------ graded distance
    #: True for maps with a graded distance to a phenotype (:meth:`distance_to`).
    has_distance: bool = False

    def target_of(self, genotype):
        """The phenotype of one genotype in the form :meth:`distance_to` compares
        against (an HNCA's developed pattern, an RNA's dot-bracket structure)."""
        raise NotImplementedError(f"{self.name}: this map has no graded distance between "
                                  "phenotypes (target_of / distance_to)")

    def distance_to(self, genotypes, target) -> np.ndarray:
        """(n,) float64 graded distance from each genotype's phenotype to
        ``target`` (from :meth:`target_of`): 0 exactly when the phenotype is the
        target's.  Counts one evaluation per genotype."""
        if not self.has_distance:
            self.target_of(None)          # raises the one-line error
        g = self.space.check(genotypes)
        if g.shape[0] == 0:
            return np.zeros(0, np.float64)
        d = np.asarray(self._distance_to(g, target), dtype=np.float64)
        if d.shape != (g.shape[0],):
            raise RuntimeError(f"{self.name}: distance function returned shape {d.shape} "
                               f"for {g.shape[0]} genotypes")
        self.n_evaluations += g.shape[0]
        return d

    def _distance_to(self, genotypes: np.ndarray, target) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class CachedMap(GPMap):
    """Memoise another map's phenotypes by genotype (exact bytes).

    Only genotypes not seen before reach the wrapped map, in one batch per
    call; :attr:`n_evaluations` counts those, :attr:`n_lookups` all.
    """

    def __init__(self, inner: GPMap):
        super().__init__()
        self.inner = inner
        self.space = inner.space
        self.name = inner.name
        self._cache: dict[bytes, int] = {}
        self.n_lookups = 0

    def phenotypes(self, genotypes) -> np.ndarray:
        g = np.ascontiguousarray(self.space.check(genotypes))
        self.n_lookups += g.shape[0]
        keys = [row.tobytes() for row in g]
        missing = {k: i for i, k in enumerate(keys) if k not in self._cache}
        if missing:
            rows = np.fromiter(missing.values(), np.int64, len(missing))
            new = self.inner.phenotypes(g[rows])
            self.n_evaluations += len(rows)
            self._cache.update(zip(missing.keys(), new.tolist()))
        return np.fromiter((self._cache[k] for k in keys), np.int64, len(keys))

    def label(self, pid: int) -> str:
        return self.inner.label(pid)

    @property
    def has_distance(self) -> bool:
        return self.inner.has_distance

    def target_of(self, genotype):
        return self.inner.target_of(genotype)

    def distance_to(self, genotypes, target) -> np.ndarray:
        """The wrapped map's distances (not memoised: each call develops)."""
        before = self.inner.n_evaluations
        d = self.inner.distance_to(genotypes, target)
        self.n_evaluations += self.inner.n_evaluations - before
        return d


def as_cached(gpmap: GPMap) -> CachedMap:
    """``gpmap`` itself if it is a :class:`CachedMap`, else a new cache around it."""
    return gpmap if isinstance(gpmap, CachedMap) else CachedMap(gpmap)
