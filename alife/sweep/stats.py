"""Intervals and trend tests for the readings of a sweep.

Small, dependency-light (numpy and scipy) and deterministic (every
resampling takes a seed):

* :func:`wilson` — the Wilson score interval of a proportion k/n;
* :func:`t_interval` — mean and Student-t interval over independent
  replicates (e.g. 5 disjoint pairs);
* :func:`bootstrap_mean` — percentile bootstrap interval of a mean over
  replicates (resampling whole replicates: a cluster bootstrap when each
  replicate is a seed or a pair);
* :func:`paired_difference` — mean difference of two conditions measured on
  the same replicates, with a t interval and a sign-flip permutation p-value;
* :func:`spearman_trend` — Spearman's rho of a measure against a level
  (e.g. log width) with a permutation p-value and a bootstrap interval that
  resamples replicates within each level.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["wilson", "t_interval", "bootstrap_mean", "paired_difference", "spearman_trend",
           "summarise"]


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval ``(lo, hi)`` of the proportion ``k / n``.

    ``(nan, nan)`` for ``n == 0``.

    Examples
    --------
    >>> [round(v, 3) for v in wilson(5, 5)]
    [0.566, 1.0]
    """
    if n <= 0:
        return float("nan"), float("nan")
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k = {k}, n = {n}")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if k == 0 else max(0.0, mid - half)
    hi = 1.0 if k == n else min(1.0, mid + half)
    return lo, hi


def _finite(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).ravel()
    return x[np.isfinite(x)]


def t_interval(x, level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and Student-t interval over replicates: ``(mean, lo, hi, n)``.

    Non-finite values are dropped (``n`` counts the rest); one value gives
    ``(x, nan, nan, 1)``, a constant sample a zero-width interval.
    """
    x = _finite(x)
    n = int(x.size)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    m = float(x.mean())
    if n == 1:
        return m, float("nan"), float("nan"), 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * float(x.std(ddof=1)) / math.sqrt(n)
    return m, m - half, m + half, n


def bootstrap_mean(x, level: float = 0.95, reps: int = 10_000,
                   seed: int = 0) -> tuple[float, float, float, int]:
    """Mean and percentile-bootstrap interval over replicates: ``(mean, lo, hi, n)``.

    With few replicates (5) the percentile interval is too narrow; prefer
    :func:`t_interval` there and use this one to check skew."""
    x = _finite(x)
    n = int(x.size)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, n, (int(reps), n))].mean(axis=1)
    a = (1 - level) / 2
    return float(x.mean()), float(np.quantile(means, a)), float(np.quantile(means, 1 - a)), n


def paired_difference(x, y, level: float = 0.95, reps: int = 10_000,
                      seed: int = 0) -> dict:
    """Mean of ``x - y`` over replicates measured under both conditions.

    Returns
    -------
    dict: ``mean``, ``lo``, ``hi`` (Student-t), ``n`` (pairs where both are
    finite), ``p`` (two-sided sign-flip permutation p-value: exact when
    ``2**n <= reps``, else Monte Carlo with ``reps`` flips).
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y need the same length, got {x.size} and {y.size}")
    d = (x - y)[np.isfinite(x) & np.isfinite(y)]
    m, lo, hi, n = t_interval(d, level)
    if n == 0:
        return {"mean": m, "lo": lo, "hi": hi, "n": 0, "p": float("nan")}
    obs = abs(d.mean())
    if 2 ** n <= reps:
        signs = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1) * 2 - 1
    else:
        signs = np.random.default_rng(seed).choice([-1, 1], size=(int(reps), n))
    null = np.abs((signs * d).mean(axis=1))
    p = float(np.mean(null >= obs - 1e-12 * max(1.0, obs)))
    return {"mean": m, "lo": lo, "hi": hi, "n": n, "p": p}


def _rho_rows(rx: np.ndarray, ry: np.ndarray) -> np.ndarray:
    """Pearson correlation of ranks, row by row: (reps, n) x (reps, n) -> (reps,)
    (NaN for a constant row)."""
    rx = rx - rx.mean(axis=-1, keepdims=True)
    ry = ry - ry.mean(axis=-1, keepdims=True)
    den = np.sqrt((rx * rx).sum(axis=-1) * (ry * ry).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (rx * ry).sum(axis=-1) / np.where(den > 0, den, 1), np.nan)


def spearman_trend(level, y, level_ci: float = 0.95, reps: int = 10_000,
                   seed: int = 0) -> dict:
    """Spearman's rho of ``y`` against ``level``, with two kinds of uncertainty.

    Parameters
    ----------
    level : (n,) the design variable (e.g. log2 width; replicates share a level)
    y : (n,) the measure, one value per replicate (e.g. per pair)
    level_ci : coverage of the interval
    reps : permutations and bootstrap resamples
    seed : for both

    Returns
    -------
    dict: ``rho`` (ties get average ranks, as :func:`scipy.stats.spearmanr`);
    ``p`` — two-sided permutation p-value (y shuffled over all rows, ``reps``
    times; the observed rho counted in, so p >= 1/(reps+1)); ``lo``, ``hi`` —
    percentile interval of rho when every level's replicates are resampled
    with replacement (the design's levels fixed); ``n`` — rows where both
    are finite; ``levels`` — distinct levels.
    """
    x = np.asarray(level, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"level and y need the same length, got {x.size} and {y.size}")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n, reps = int(x.size), int(reps)
    nan = float("nan")
    if n < 3:
        return {"rho": nan, "p": nan, "lo": nan, "hi": nan, "n": n, "levels": len(set(x))}
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    rho = float(_rho_rows(rx, ry))
    rng = np.random.default_rng(seed)
    perm = _rho_rows(rx[None], rng.permuted(np.broadcast_to(ry, (reps, n)), axis=1))
    p = float((1 + np.sum(np.abs(perm) >= abs(rho) - 1e-12)) / (reps + 1)) if np.isfinite(rho) \
        else nan
    groups = [np.flatnonzero(x == v) for v in np.unique(x)]
    idx = np.concatenate([g[rng.integers(0, g.size, (reps, g.size))] for g in groups], axis=1)
    boot = _rho_rows(stats.rankdata(x[idx], axis=1), stats.rankdata(y[idx], axis=1))
    boot = boot[np.isfinite(boot)]
    a = (1 - level_ci) / 2
    lo, hi = (float(np.quantile(boot, a)), float(np.quantile(boot, 1 - a))) if boot.size else (nan, nan)
    return {"rho": rho, "p": p, "lo": lo, "hi": hi, "n": n, "levels": len(groups)}


def summarise(table, value: str, by: str | list, level: float = 0.95) -> list[dict]:
    """Per group of ``by`` (a column or list of columns) of a
    :class:`~alife.sweep.table.Table`: the t interval of ``value`` over the
    group's rows, as dicts ``{by..., "mean", "lo", "hi", "n"}`` in order of
    first appearance."""
    by = [by] if isinstance(by, str) else list(by)
    keys = list(zip(*[list(table[b]) for b in by]))
    vals = np.asarray(table[value], dtype=np.float64)
    out = []
    for k in dict.fromkeys(keys):
        sel = np.array([kk == k for kk in keys])
        m, lo, hi, n = t_interval(vals[sel], level)
        out.append({**dict(zip(by, k)), "mean": m, "lo": lo, "hi": hi, "n": n})
    return out
