"""Evolvability on a common scale: rarefied to a fixed number of mutants, and E_C.

Counting "distinct new phenotypes among the mutants drawn" depends on how
many mutants were drawn: 204 mutants of an evolved HNCA find more new
phenotypes than 100 mutants of the same genome would.  Systems sampled with
different numbers of mutants are compared here on the **expected number of
distinct new phenotypes among m mutants**, for one fixed m, computed exactly
from the counts of the N >= m mutants that were drawn.

Notation: a genotype g with phenotype p; N mutants drawn from one mutation
kernel; ``n_q`` of them have phenotype ``q != p`` (a *new* phenotype; mutants
that keep p and mutants without a phenotype are counted in N but are no
category); ``C = sum_q n_q`` the non-neutral, defined mutants.

Rarefied evolvability (Hurlbert 1971; Sanders 1968)
    The expected number of distinct new phenotypes in a subsample of m of
    the N mutants, drawn without replacement::

        E[S_m] = sum_q [ 1 - binom(N - n_q, m) / binom(N, m) ]

    Its variance over subsamples (Heck, van Belle & Simberloff 1975)::

        Var[S_m] = sum_q a_q (1 - a_q)
                   + 2 sum_{q < q'} [ binom(N - n_q - n_q', m) / binom(N, m) - a_q a_q' ]

    with ``a_q = binom(N - n_q, m) / binom(N, m)`` (the probability that q is
    missed).  The interval of :func:`rarefied_evolvability` is
    ``E ± z sd`` clipped to ``[0, number of new phenotypes seen]``: the spread
    of the count among m of *these* mutants, not the uncertainty of the
    genotype's true evolvability (for that, compare genotypes; with
    ``m = N`` the value is the count seen and the interval has width 0).

Cowperthwaite's evolvability E_C (Cowperthwaite, Economo & Meyers 2008, PLoS
Comput Biol 4:e1000110; as computed in the GP-map literature, e.g. Greenbury
et al. 2016)
    With ``nu_pq`` the number of point mutations leading from genotypes of p
    to phenotype ``q != p``, the Simpson diversity of the non-neutral
    mutations::

        E_C(p) = 1 - sum_{q != p} ( nu_pq / sum_{q' != p} nu_pq' )^2

    the probability that two non-neutral mutations lead to different
    phenotypes (0 when all lead to one phenotype; near 1 when they spread
    over many).  On an enumerated map ``nu_pq`` is exact
    (:func:`alife.neutral.cowperthwaite_evolvability`).  From N sampled
    mutants the plug-in value is biased low (a phenotype seen once adds
    ``1/C^2`` to the sum); :func:`cowperthwaite_estimate` returns Simpson's
    unbiased estimator ``1 - sum_q n_q (n_q - 1) / (C (C - 1))`` (sampling
    without replacement of two mutations), whose expectation under sampling
    with replacement from the kernel is exactly E_C, and the plug-in beside.
    Applied to one genotype's mutants it is the genotype-level E_C; applied
    to the mutants of several genotypes of p pooled, the phenotype-level one
    restricted to those genotypes.

:func:`mutant_counts` draws the mutants of one genotype under a kernel of
:mod:`alife.neutral.robustness_curves` and tallies them
(:class:`MutantCounts`); :func:`rarefied_evolvability` and
:func:`cowperthwaite_estimate` read them.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from .robustness_curves import _phenotype_keys, _phenotypes_of

__all__ = ["MutantCounts", "mutant_counts", "tally_mutants", "rarefied_evolvability",
           "cowperthwaite_estimate", "pool_counts"]


@dataclass(frozen=True)
class MutantCounts:
    """The phenotypes of N mutants of one genotype, tallied.

    Attributes
    ----------
    n : int, mutants drawn (N)
    kept : int, mutants with the parent's phenotype
    undefined : int, mutants without a phenotype
    new : (k,) int64, the number of mutants of each new phenotype seen,
        largest first (``sum(new) = n - kept - undefined``)
    keys : tuple, the new phenotypes (hashable keys: ids, or the bytes of a
        phenotype array), in the order of ``new``
    parent : the parent's phenotype as such a key (None if not recorded)
    """

    n: int
    kept: int
    undefined: int
    new: np.ndarray
    keys: tuple = ()
    parent: object = None

    @property
    def robustness(self) -> float:
        """``kept / n``: the fraction of mutants keeping the phenotype."""
        return self.kept / self.n if self.n else float("nan")

    @property
    def n_new(self) -> int:
        """Distinct new phenotypes among all ``n`` mutants."""
        return int(self.new.size)


def tally_mutants(parent, phenotypes) -> MutantCounts:
    """Tally mutant phenotypes against the parent's.

    Parameters
    ----------
    parent : the parent's phenotype: an int id, or one array row
    phenotypes : (N,) int ids or (N, ...) arrays compared exactly row by row;
        ``-1`` (or a row starting with a negative entry) is undefined

    Returns
    -------
    MutantCounts
    """
    pk, pu = _phenotype_keys(np.asarray(parent)[None])
    if pu[0]:
        raise ValueError("the parent has no phenotype (undefined); evolvability needs one")
    keys, undef = _phenotype_keys(phenotypes)
    kept = sum(1 for k, u in zip(keys, undef) if not u and k == pk[0])
    c = Counter(k for k, u in zip(keys, undef) if not u and k != pk[0])
    items = sorted(c.items(), key=lambda kv: -kv[1])
    return MutantCounts(len(keys), int(kept), int(np.sum(undef)),
                        np.array([v for _, v in items], dtype=np.int64),
                        tuple(k for k, _ in items), pk[0])


def mutant_counts(phenotype_fn, genome, kernel, strength: float, n: int,
                  rng: np.random.Generator, *, parent=None, chunk: int = 256) -> MutantCounts:
    """Draw ``n`` mutants of ``genome`` under ``kernel`` and tally their phenotypes.

    Parameters
    ----------
    phenotype_fn : a GPMap (its ``phenotypes``) or a callable ``(m, L) -> (m,) ids
        or (m, ...) arrays``
    genome : (L,) the parent genotype (passed to the kernel as is)
    kernel : an object with ``mutants(genome, s, n, rng) -> (n, L)``, e.g.
        :class:`~alife.neutral.robustness_curves.SiteResample`
    strength : the kernel's strength s (for SiteResample ``1 / L`` is one site)
    n : int >= 1, mutants to draw
    rng : numpy Generator, the only source of randomness
    parent : the parent's phenotype if known (else computed)
    chunk : mutants per call of ``phenotype_fn``

    Returns
    -------
    MutantCounts
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    g = np.asarray(genome)
    if parent is None:
        parent = np.asarray(_phenotypes_of(phenotype_fn, g[None]))[0]
    phen = []
    for a in range(0, n, int(chunk)):
        mut = kernel.mutants(g, float(strength), min(int(chunk), n - a), rng)
        phen.append(np.asarray(_phenotypes_of(phenotype_fn, mut)))
    return tally_mutants(parent, np.concatenate(phen))


def _log_binom(a, b) -> np.ndarray:
    """log binom(a, b) elementwise; -inf where a < b (the binomial is 0)."""
    a = np.asarray(a, dtype=np.float64)
    out = np.full(a.shape, -np.inf)
    ok = a >= b
    out[ok] = gammaln(a[ok] + 1) - gammaln(b + 1) - gammaln(a[ok] - b + 1)
    return out


def rarefied_evolvability(counts, m: int, *, n: int | None = None,
                          level: float = 0.95) -> tuple[float, float, float, float]:
    """Expected distinct new phenotypes among ``m`` of the ``N`` mutants drawn.

    Hurlbert's exact rarefaction, with Heck et al.'s variance (module
    docstring).

    Parameters
    ----------
    counts : :class:`MutantCounts`, or the counts ``n_q`` of the new phenotypes
        (then ``n`` is required)
    m : int, 1 <= m <= N, the subsample size
    n : int, N (all mutants drawn, neutral and undefined included), when
        ``counts`` is an array
    level : coverage of the normal interval

    Returns
    -------
    (expected, lo, hi, sd) floats
    """
    if isinstance(counts, MutantCounts):
        c, N = counts.new, counts.n
    else:
        if n is None:
            raise ValueError("give n (all mutants drawn) with an array of counts")
        c, N = np.asarray(counts, dtype=np.int64), int(n)
    c = c[c > 0].astype(np.float64)
    m = int(m)
    if not 1 <= m <= N:
        raise ValueError(f"m must lie in 1..N = {N}, got {m}")
    if c.sum() > N:
        raise ValueError(f"the counts sum to {int(c.sum())}, more than N = {N} mutants")
    if c.size == 0:
        return 0.0, 0.0, 0.0, 0.0
    lt = _log_binom(N, m)
    miss = np.exp(_log_binom(N - c, m) - lt)                 # a_q
    expected = float(np.sum(1.0 - miss))
    var = float(np.sum(miss * (1.0 - miss)))
    if c.size > 1:
        both = np.exp(_log_binom(N - c[:, None] - c[None, :], m) - lt)   # both q and q' missed
        cov = both - miss[:, None] * miss[None, :]
        var += float(np.sum(np.triu(cov, 1))) * 2.0
    sd = math.sqrt(max(var, 0.0))
    from scipy.stats import norm
    z = float(norm.ppf(0.5 + level / 2))
    lo, hi = max(0.0, expected - z * sd), min(float(c.size), expected + z * sd)
    return expected, lo, hi, sd


def cowperthwaite_estimate(counts) -> tuple[float, float, int]:
    """Cowperthwaite's E_C from sampled non-neutral mutants.

    Parameters
    ----------
    counts : :class:`MutantCounts` or the counts ``n_q`` of the new phenotypes

    Returns
    -------
    (unbiased, plug_in, C): Simpson's unbiased estimate
    ``1 - sum n_q (n_q - 1) / (C (C - 1))`` (NaN when C < 2), the plug-in
    ``1 - sum (n_q / C)^2`` (NaN when C = 0), and C, the non-neutral defined
    mutants used.
    """
    c = counts.new if isinstance(counts, MutantCounts) else np.asarray(counts, dtype=np.int64)
    c = c[c > 0].astype(np.float64)
    C = int(c.sum())
    plug = float(1.0 - np.sum((c / C) ** 2)) if C > 0 else float("nan")
    unbiased = float(1.0 - np.sum(c * (c - 1)) / (C * (C - 1))) if C > 1 else float("nan")
    return unbiased, plug, C


def pool_counts(counts) -> np.ndarray:
    """The counts ``n_q`` of several genotypes' :class:`MutantCounts` (one
    phenotype's genotypes) pooled by new phenotype: ``nu_pq`` restricted to
    those genotypes, largest first, (k,) int64.

    Raises ValueError when the genotypes do not share one parent phenotype
    (where recorded): their "new" phenotypes would not be new to one p."""
    counts = list(counts)
    parents = {mc.parent for mc in counts if mc.parent is not None}
    if len(parents) > 1:
        raise ValueError(f"the {len(counts)} genotypes have {len(parents)} different "
                         "phenotypes; pool only the mutants of one phenotype's genotypes")
    total: Counter = Counter()
    for mc in counts:
        for k, v in zip(mc.keys, mc.new):
            total[k] += int(v)
    return np.array(sorted(total.values(), reverse=True), dtype=np.int64)
