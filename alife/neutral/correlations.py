"""Wagner's robustness–evolvability correlations, three ways, with intervals.

Wagner (2008, "Robustness and evolvability: a paradox resolved", Proc. R.
Soc. B 275:91) found in RNA that genotype robustness ``r(g)`` and genotype
evolvability ``e(g)`` are *negatively* correlated across genotypes, while
phenotype robustness ``R(p)`` and phenotype evolvability ``E(p)`` are
*positively* correlated across phenotypes.  Both readings need care:

* **pooled over genotypes** (:func:`pooled_spearman`): one Spearman
  coefficient over every defined genotype of the space.  Genotypes of one
  phenotype are not independent draws, so its interval comes from a
  *cluster* bootstrap that resamples whole phenotypes
  (:func:`wagner_three_ways`);
* **within each phenotype** (:func:`within_spearman`): the Spearman
  coefficient of ``r(g)`` against ``e(g)`` over the genotypes of one
  phenotype, for every phenotype with enough genotypes — the trade-off
  Wagner describes is a statement about genotypes *of the same phenotype*,
  which the pooled coefficient mixes with differences between phenotypes;
* **across phenotypes, controlling for frequency**
  (:func:`partial_spearman`): ``R(p)`` and ``E(p)`` both grow with the size
  of the neutral set (Greenbury, Schaper, Ahnert & Louis 2016, PLoS Comput
  Biol 12:e1004773: ``R(p)`` grows about linearly in ``log f_p``; ``E(p)``
  counts the phenotypes on a boundary that grows with ``|G_p|``), so their
  plain correlation is mostly a size effect.  The partial Spearman
  coefficient given ``log f_p`` removes the part that goes through
  frequency.

Ranks are average ranks (ties share the mean of their positions), as in
:func:`scipy.stats.spearmanr`.  Every coefficient here is computed from
*weighted codes* (:func:`average_ranks`): a value's rank in a sample with
multiplicities is computed from counts, with no sort, so a bootstrap
replicate costs one pass over the data and gives exactly what the
coefficient computed on the expanded resample would give.

Intervals on proportions (:func:`wilson_interval`,
:func:`clopper_pearson_interval`) wrap :func:`scipy.stats.binomtest`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse, stats

from .enumeration import ExhaustiveNetworks

__all__ = ["average_ranks", "weighted_pearson", "GenotypeCells", "genotype_cells",
           "pooled_table", "pooled_spearman", "column_types", "within_spearman", "partial_spearman",
           "bootstrap_spearman", "spearman_pair",
           "wagner_three_ways", "wilson_interval", "clopper_pearson_interval",
           "percentile_interval"]


# ----------------------------------------------------------------------------
# intervals
# ----------------------------------------------------------------------------

def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n``
    (``(nan, nan)`` when ``n == 0``)."""
    if n <= 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(int(k), int(n)).proportion_ci(level, method="wilson")
    return float(ci.low), float(ci.high)


def clopper_pearson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval for a binomial proportion ``k / n``
    (``(nan, nan)`` when ``n == 0``)."""
    if n <= 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(int(k), int(n)).proportion_ci(level, method="exact")
    return float(ci.low), float(ci.high)


def percentile_interval(samples, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the finite ``samples`` (NaN if none)."""
    s = np.asarray(samples, np.float64)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return float("nan"), float("nan")
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(s, [a, 1.0 - a])
    return float(lo), float(hi)


# ----------------------------------------------------------------------------
# ranks from codes
# ----------------------------------------------------------------------------

def average_ranks(codes, n_codes: int, weights=None) -> np.ndarray:
    """Average (1-based, tie-averaged) rank of every item's value in a
    weighted sample, computed from counts.

    Parameters
    ----------
    codes : (n,) int, the item's value as its position among the sorted
        distinct values (``np.unique(values, return_inverse=True)[1]``)
    n_codes : int, number of distinct values
    weights : (n,) non-negative, multiplicity of each item (None = 1 each)

    Returns
    -------
    (n,) float64: the rank :func:`scipy.stats.rankdata` (``method="average"``)
    would give each item in the sample where item ``i`` occurs
    ``weights[i]`` times.
    """
    c = np.asarray(codes, np.int64)
    w = None if weights is None else np.asarray(weights, np.float64)
    counts = np.bincount(c, weights=w, minlength=n_codes)
    before = np.cumsum(counts) - counts
    return (before + (counts + 1.0) / 2.0)[c]


def weighted_pearson(x, y, w=None) -> float:
    """Pearson correlation of ``x`` and ``y`` with item weights ``w``
    (multiplicities); NaN when either side has zero weighted variance."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    w = np.ones_like(x) if w is None else np.asarray(w, np.float64)
    sw = w.sum()
    if sw <= 0:
        return float("nan")
    dx = x - (w * x).sum() / sw
    dy = y - (w * y).sum() / sw
    vx = (w * dx * dx).sum()
    vy = (w * dy * dy).sum()
    if vx <= 0 or vy <= 0:
        return float("nan")
    return float((w * dx * dy).sum() / np.sqrt(vx * vy))


# ----------------------------------------------------------------------------
# genotype level: cells of (phenotype, r, e)
# ----------------------------------------------------------------------------

@dataclass(eq=False)
class GenotypeCells:
    """The joint distribution of ``(r(g), e(g))`` within every phenotype.

    Every defined genotype falls in one cell ``(phenotype, n_neutral, e)``;
    Spearman coefficients over genotypes depend only on these counts, so a
    space of tens of millions of genotypes reduces to a few hundred thousand
    cells.

    Attributes
    ----------
    group : (M,) int64, phenotype index (into ``nets.phenotype_ids``)
    neutral : (M,) int64, neutral neighbours (``r(g) = neutral / |N(g)|``)
    evolvability : (M,) int64, ``e(g)``
    count : (M,) int64, genotypes in the cell
    n_groups : int, number of phenotypes
    """

    group: np.ndarray
    neutral: np.ndarray
    evolvability: np.ndarray
    count: np.ndarray
    n_groups: int

    @property
    def n_genotypes(self) -> int:
        return int(self.count.sum())


def genotype_cells(nets: ExhaustiveNetworks) -> GenotypeCells:
    """Count the defined genotypes of ``nets`` by (phenotype, neutral
    neighbours, e(g)); one sort of the defined genotypes' cell keys."""
    neu, ev = nets.genotype_stats()
    ok = nets.phenotype_index >= 0
    A = int(neu.max()) + 2 if neu.size else 1
    B = int(ev.max()) + 2 if ev.size else 1
    key = (nets.phenotype_index[ok].astype(np.int64) * A + neu[ok]) * B + ev[ok]
    key, count = np.unique(key, return_counts=True)
    ge, e = np.divmod(key, B)
    g, r = np.divmod(ge, A)
    return GenotypeCells(g, r, e, count.astype(np.int64), nets.n_phenotypes)


def _spearman_of_table(J: np.ndarray) -> float:
    """Spearman coefficient of the genotypes counted in the joint table
    ``J[r, e]`` (weighted counts)."""
    nr, ne = J.shape
    r_codes = np.repeat(np.arange(nr), ne)
    e_codes = np.tile(np.arange(ne), nr)
    w = J.ravel()
    return weighted_pearson(average_ranks(r_codes, nr, w), average_ranks(e_codes, ne, w), w)


def pooled_table(cells: GenotypeCells):
    """Sparse ``(n_r * n_e, P)`` matrix: column p is phenotype p's joint
    count table of (neutral neighbours, e(g)), flattened; ``table @ m``
    with phenotype multiplicities ``m`` is a replicate's pooled table."""
    nr = int(cells.neutral.max()) + 1 if cells.neutral.size else 1
    ne = int(cells.evolvability.max()) + 1 if cells.evolvability.size else 1
    rows = cells.neutral * ne + cells.evolvability
    H = sparse.csr_matrix((cells.count.astype(np.float64), (rows, cells.group)),
                          shape=(nr * ne, cells.n_groups))
    return H, (nr, ne)


def _mix64(v: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (uint64, wrapping)."""
    v = v.astype(np.uint64)
    with np.errstate(over="ignore"):
        v = (v ^ (v >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        v = (v ^ (v >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return v ^ (v >> np.uint64(31))


def column_types(cells: GenotypeCells) -> tuple[np.ndarray, np.ndarray]:
    """Phenotypes with the same joint (r, e) count table, merged: their
    genotypes are interchangeable in the pooled coefficient (e.g. the many
    phenotypes of one genotype with the same r and e).

    Tables are compared through a 64-bit hash of their cells (a sum of
    mixed cell hashes; two different tables collide with probability about
    ``2**-64`` per pair).

    Returns
    -------
    type_of_group : (P,) int64, the type of every phenotype
    count : (T,) int64, phenotypes of each type
    """
    with np.errstate(over="ignore"):
        v = (cells.neutral.astype(np.uint64) << np.uint64(40)) ^ \
            (cells.evolvability.astype(np.uint64) << np.uint64(20))
        h = _mix64(_mix64(v) + cells.count.astype(np.uint64))
    order = np.argsort(cells.group, kind="stable")
    g = cells.group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    table = np.zeros(cells.n_groups, np.uint64)
    table[g[starts]] = np.add.reduceat(h[order], starts)
    _, type_of_group, count = np.unique(table, return_inverse=True, return_counts=True)
    return type_of_group.astype(np.int64), count.astype(np.int64)


def pooled_spearman(cells: GenotypeCells, group_weights=None) -> float:
    """Spearman ``r(g)`` vs ``e(g)`` over all genotypes of the cells; with
    ``group_weights`` (P,) every genotype of phenotype p counts
    ``group_weights[p]`` times (a cluster-bootstrap replicate).  Equal to
    :func:`scipy.stats.spearmanr` on the expanded genotypes."""
    H, shape = pooled_table(cells)
    m = np.ones(cells.n_groups) if group_weights is None else np.asarray(group_weights, np.float64)
    return _spearman_of_table(np.asarray(H @ m).reshape(shape))


def _within_ranks(group, value, count, n_groups):
    """Average rank of each cell's value within its group (weights = counts)."""
    order = np.lexsort((value, group))
    g, v, c = group[order], value[order], count[order].astype(np.float64)
    new = np.ones(g.size, bool)
    new[1:] = (g[1:] != g[:-1]) | (v[1:] != v[:-1])
    run = np.cumsum(new) - 1                          # one id per (group, value)
    run_count = np.bincount(run, weights=c)
    run_group = g[new]
    cum = np.cumsum(run_count)
    group_first_run = np.flatnonzero(np.r_[True, run_group[1:] != run_group[:-1]])
    start_of_group = np.zeros(n_groups)
    before_group = np.r_[0.0, cum[:-1]][group_first_run]
    start_of_group[run_group[group_first_run]] = before_group
    before = cum - run_count - start_of_group[run_group]
    ranks = np.empty(g.size)
    ranks[order] = (before + (run_count + 1.0) / 2.0)[run]
    return ranks


def within_spearman(cells: GenotypeCells, min_size: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Spearman ``r(g)`` vs ``e(g)`` within every phenotype.

    Returns
    -------
    rho : (P,) float64, NaN for phenotypes with fewer than ``min_size``
        genotypes or a constant ``r`` or ``e`` (coefficient undefined)
    size : (P,) int64, genotypes per phenotype
    """
    P = cells.n_groups
    c = cells.count.astype(np.float64)
    n = np.bincount(cells.group, weights=c, minlength=P)
    rx = _within_ranks(cells.group, cells.neutral, cells.count, P)
    ry = _within_ranks(cells.group, cells.evolvability, cells.count, P)
    mid = ((n + 1.0) / 2.0)[cells.group]              # mean rank within the group
    dx, dy = rx - mid, ry - mid
    sxy = np.bincount(cells.group, weights=c * dx * dy, minlength=P)
    sxx = np.bincount(cells.group, weights=c * dx * dx, minlength=P)
    syy = np.bincount(cells.group, weights=c * dy * dy, minlength=P)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = sxy / np.sqrt(sxx * syy)
    # rank deviations are multiples of 1/2, so a non-constant side has sxx >= 1/2
    rho[(n < min_size) | (sxx < 0.25) | (syy < 0.25)] = np.nan
    return rho, n.astype(np.int64)


# ----------------------------------------------------------------------------
# phenotype level: partial Spearman given log frequency
# ----------------------------------------------------------------------------

def _codes(v):
    u, inv = np.unique(v, return_inverse=True)
    return inv.astype(np.int64), int(u.size)


def _partial_of_ranks(rx, ry, rz, w=None):
    """Weighted Pearson correlation of the residuals of rx and ry after a
    weighted least-squares fit (with intercept) on rz."""
    ww = np.ones_like(rx) if w is None else np.asarray(w, np.float64)
    sw = ww.sum()
    dz = rz - (ww * rz).sum() / sw
    vz = (ww * dz * dz).sum()
    if vz <= 0:
        return weighted_pearson(rx, ry, ww)
    ex = rx - (ww * rx).sum() / sw - dz * ((ww * dz * rx).sum() / vz)
    ey = ry - (ww * ry).sum() / sw - dz * ((ww * dz * ry).sum() / vz)
    return weighted_pearson(ex, ey, ww)


def partial_spearman(x, y, z) -> tuple[float, float, int]:
    """Spearman partial correlation of ``x`` and ``y`` given ``z``.

    Method: replace each variable by its average ranks, regress the ranks of
    ``x`` and of ``y`` on the ranks of ``z`` (least squares with an
    intercept), and take the Pearson correlation of the two residuals.  The
    p-value is the usual t test with ``n - 3`` degrees of freedom.  Items
    with a non-finite value are left out.

    Returns
    -------
    (rho, p, n); ``(nan, nan, n)`` when fewer than 4 items or a residual is
    constant.
    """
    x, y, z = (np.asarray(a, np.float64) for a in (x, y, z))
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    n = int(ok.sum())
    if n < 4:
        return float("nan"), float("nan"), n
    rx, ry, rz = (stats.rankdata(a[ok]) for a in (x, y, z))
    r = _partial_of_ranks(rx, ry, rz)
    if not np.isfinite(r):
        return float("nan"), float("nan"), n
    r = float(np.clip(r, -1.0, 1.0))
    t = r * np.sqrt((n - 3) / max(1e-300, 1.0 - r * r))
    p = float(2.0 * stats.t.sf(abs(t), n - 3))
    return r, p, n


def _distinct_items(cx, cy, cz, ny_, nz_):
    """Items with equal codes on all three variables, merged: (codes of each
    distinct item, how many items it stands for)."""
    k1 = cx * np.int64(ny_) + cy
    _, c1 = np.unique(k1, return_inverse=True)
    _, first, count = np.unique(c1.astype(np.int64) * np.int64(nz_) + cz, return_index=True,
                                return_counts=True)
    return cx[first], cy[first], cz[first], count.astype(np.int64)


def spearman_pair(codes, n_codes, w) -> tuple[float, float]:
    """Plain Spearman coefficient of x, y and their partial coefficient given
    z, for items with codes ``codes = (cx, cy, cz)`` (``n_codes`` distinct
    values each) weighted by multiplicities ``w``: the values on the sample
    where item i occurs ``w[i]`` times."""
    rx, ry, rz = (average_ranks(c, k, w) for c, k in zip(codes, n_codes))
    return weighted_pearson(rx, ry, w), _partial_of_ranks(rx, ry, rz, w)


def bootstrap_spearman(x, y, z, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates (items resampled with replacement) of the plain
    Spearman coefficient of x and y and of their partial coefficient given z.

    Items with the same three values are merged first (phenotypes of one
    size, R and E are interchangeable), and a replicate draws how many times
    each merged item is resampled from the multinomial over the merged items
    (:func:`numpy.random.Generator.multinomial`), the same distribution as
    resampling the items one by one; the coefficients then come from
    multiplicities (:func:`spearman_pair`), exactly as on the expanded
    resample.  Cost per replicate: one pass over the distinct items.

    Returns
    -------
    (n_boot, 2) float64: column 0 plain, column 1 partial.
    """
    x, y, z = (np.asarray(a, np.float64) for a in (x, y, z))
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(z)
    (cx, nx_), (cy, ny_), (cz, nz_) = (_codes(a[ok]) for a in (x, y, z))
    n = int(ok.sum())
    out = np.full((int(n_boot), 2), np.nan)
    if n < 4:
        return out
    ux, uy, uz, count = _distinct_items(cx, cy, cz, ny_, nz_)
    p = count / n
    for b in range(int(n_boot)):
        w = rng.multinomial(n, p).astype(np.float64)
        out[b] = spearman_pair((ux, uy, uz), (nx_, ny_, nz_), w)
    return out


# ----------------------------------------------------------------------------
# all three
# ----------------------------------------------------------------------------

def wagner_three_ways(nets: ExhaustiveNetworks, rng: np.random.Generator, *,
                      n_boot: int = 1000, min_size: int = 10, level: float = 0.95) -> dict:
    """Wagner's (2008) robustness–evolvability correlations, three ways.

    1. **pooled**: Spearman ``r(g)`` vs ``e(g)`` over every defined genotype;
       interval: cluster bootstrap over phenotypes (each replicate draws P
       phenotypes with replacement and weights all their genotypes by the
       number of draws; percentile interval; phenotypes with equal (r, e)
       tables are drawn as one type, :func:`column_types`).
    2. **within**: Spearman ``r(g)`` vs ``e(g)`` over the genotypes of each
       phenotype with at least ``min_size`` genotypes and non-constant
       ``r``, ``e`` (:func:`within_spearman`); the distribution's quartiles,
       its median with a bootstrap interval over phenotypes, and the number
       of negative coefficients ``k / n`` with a Wilson interval.
    3. **phenotype**: Spearman ``R(p)`` vs ``E(p)`` across phenotypes, and
       the partial Spearman coefficient given ``log f_p``
       (:func:`partial_spearman`), each with a percentile bootstrap interval
       over phenotypes.

    Returns
    -------
    dict with ``pooled``, ``within``, ``phenotype`` sub-dicts (numbers
    only; plus ``within["rho"]`` and ``within["size"]`` arrays for figures).
    """
    from .measures import phenotype_measures, spearman

    cells = genotype_cells(nets)
    P = nets.n_phenotypes
    H, shape = pooled_table(cells)
    pooled = _spearman_of_table(np.asarray(H @ np.ones(P)).reshape(shape))
    # replicate: P phenotypes drawn with replacement = a multinomial over
    # phenotype types (same (r, e) table), one column per type
    ttype, tcount = column_types(cells)
    first = np.unique(ttype, return_index=True)[1]
    Ht = H[:, first]
    reps = np.array([_spearman_of_table(np.asarray(
        Ht @ rng.multinomial(P, tcount / P).astype(np.float64)).reshape(shape))
        for _ in range(int(n_boot))])
    rho_w, size = within_spearman(cells, min_size)
    ok = np.isfinite(rho_w)
    rw = rho_w[ok]
    k_neg = int((rw < 0).sum())
    med_reps = np.array([np.median(rw[rng.integers(0, rw.size, rw.size)])
                         for _ in range(int(n_boot))]) if rw.size else np.zeros(0)
    pm = phenotype_measures(nets)
    logf = np.log10(pm.frequency)
    R, E = pm.robustness, pm.evolvability.astype(np.float64)
    plain = spearman(R, E)
    part = partial_spearman(R, E, logf)
    boot = bootstrap_spearman(R, E, logf, n_boot, rng)
    boot_plain, boot_part = boot[:, 0], boot[:, 1]
    return {
        "pooled": {"rho": pooled, "n_genotypes": cells.n_genotypes, "n_phenotypes": P,
                   "ci": percentile_interval(reps, level), "n_boot": int(n_boot)},
        "within": {"n_phenotypes": int(ok.sum()), "min_size": int(min_size),
                   "genotypes_covered": int(size[ok].sum()),
                   "median": float(np.median(rw)) if rw.size else float("nan"),
                   "median_ci": percentile_interval(med_reps, level),
                   "quartiles": [float(q) for q in np.quantile(rw, [0.25, 0.75])] if rw.size
                   else [float("nan")] * 2,
                   "n_negative": k_neg, "fraction_negative": k_neg / rw.size if rw.size
                   else float("nan"),
                   "fraction_negative_ci": wilson_interval(k_neg, int(rw.size), level),
                   "rho": rho_w, "size": size},
        "phenotype": {"n": P,
                      "spearman": plain[0], "spearman_p": plain[1],
                      "spearman_ci": percentile_interval(boot_plain, level),
                      "partial_given_log_f": part[0], "partial_p": part[1],
                      "partial_ci": percentile_interval(boot_part, level),
                      "n_boot": int(n_boot)},
    }
