"""RNA12: is the robustness–evolvability correlation across phenotypes more
than both growing with the phenotype's frequency?

Across the 58 folded structures of RNA12, phenotype robustness R(p) and
evolvability E(p) correlate positively (Spearman +0.71, ``experiments/rna``),
but both also grow with the phenotype's frequency f_p: a frequent structure
has more neighbours of its own kind (higher R) and more neighbours in all
(higher E).  The partial Spearman correlation of R and E given log f answers
whether the correlation is more than that shared dependence.

Input: ``experiments/rna/phenotypes.csv`` (one row per structure: frequency,
R, E, Cowperthwaite's E_C), committed with the RNA12 results, so this runs
in a second from a fresh clone without folding anything.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent
PHENOTYPES = HERE.parent / "rna" / "phenotypes.csv"
REPS = 10_000


def _residual_ranks(v, rz, rank: bool = True):
    """Ranks of ``v`` (or ``v`` itself) minus their least-squares fit on ``rz`` (with intercept)."""
    rv = stats.rankdata(v) if rank else v
    design = np.column_stack([np.ones_like(rz), rz])
    coef, *_ = np.linalg.lstsq(design, rv, rcond=None)
    return rv - design @ coef


def _pearson(a, b) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else float("nan")


def partial_spearman(x, y, z, reps: int = REPS, seed: int = 0, rank: bool = True) -> dict:
    """Spearman correlation of ``x`` and ``y`` given ``z``.

    Every variable is ranked (ties: average ranks), the ranks of ``x`` and
    ``y`` are each regressed on the ranks of ``z``, and the residuals are
    correlated (Pearson).  With ``rank=False`` the values themselves are
    used: the Pearson partial correlation (linear in ``z``).

    Parameters
    ----------
    x, y, z : (n,) float arrays, n >= 4, all finite
    reps : permutations and bootstrap resamples
    seed : for both
    rank : bool, rank first (Spearman) or not (Pearson)

    Returns
    -------
    dict: ``r`` the partial correlation; ``p`` two-sided permutation p-value
    (the residuals of ``y`` shuffled ``reps`` times, the observed value
    counted in, so p >= 1/(reps+1)); ``p_t`` the t-test p-value with n − 3
    degrees of freedom; ``lo``, ``hi`` a 95 % percentile interval from
    resampling the n units with replacement (every step redone on each
    resample); ``n``.
    """
    x, y, z = (np.asarray(v, dtype=np.float64).ravel() for v in (x, y, z))
    n = x.size
    if not (n == y.size == z.size) or n < 4 or not np.all(np.isfinite(np.r_[x, y, z])):
        raise ValueError(f"partial_spearman needs three finite arrays of one length >= 4, "
                         f"got lengths {x.size}, {y.size}, {z.size}")
    rz = stats.rankdata(z) if rank else z
    ex, ey = _residual_ranks(x, rz, rank), _residual_ranks(y, rz, rank)
    r = _pearson(ex, ey)
    rng = np.random.default_rng(seed)
    perm = np.array([_pearson(ex, rng.permutation(ey)) for _ in range(reps)])
    p = float((1 + np.sum(np.abs(perm) >= abs(r) - 1e-12)) / (reps + 1))
    t = r * np.sqrt((n - 3) / max(1e-300, 1 - r * r))
    boot = []
    for _ in range(reps):
        i = rng.integers(0, n, n)
        rzb = stats.rankdata(z[i]) if rank else z[i]
        boot.append(_pearson(_residual_ranks(x[i], rzb, rank), _residual_ranks(y[i], rzb, rank)))
    boot = np.asarray(boot)
    boot = boot[np.isfinite(boot)]
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return {"r": r, "p": p, "p_t": float(2 * stats.t.sf(abs(t), n - 3)),
            "lo": float(lo), "hi": float(hi), "n": int(n)}


def read_phenotypes(path=PHENOTYPES) -> dict:
    """Columns ``frequency``, ``R``, ``E``, ``E_cowperthwaite`` of the RNA12
    phenotype table as float arrays (one entry per folded structure)."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ValueError(f"{path} has no rows; rerun experiments/rna/run.py")
    return {k: np.array([float(r[k]) for r in rows])
            for k in ("frequency", "R", "E", "E_cowperthwaite")}


def analyse(path=PHENOTYPES, reps: int = REPS) -> dict:
    """The raw and partial (given log10 f) Spearman correlations of R with
    E and with E_C, and of each with log10 f."""
    t = read_phenotypes(path)
    logf = np.log10(t["frequency"])
    out = {"n_phenotypes": int(logf.size), "reps": reps, "controls": "log10 frequency"}
    for name in ("E", "E_cowperthwaite"):
        raw = stats.spearmanr(t["R"], t[name])
        out[f"R_vs_{name}"] = {
            "spearman": float(raw.statistic), "p": float(raw.pvalue),
            "partial_given_log_f": partial_spearman(t["R"], t[name], logf, reps=reps),
            "pearson_partial_given_log_f": partial_spearman(t["R"], t[name], logf, reps=reps,
                                                            rank=False)}
    for name in ("R", "E", "E_cowperthwaite"):
        out[f"{name}_vs_log_f_spearman"] = float(stats.spearmanr(t[name], logf).statistic)
    return out


def markdown(res: dict) -> str:
    """One table row per evolvability measure."""
    L = [f"| across the {res['n_phenotypes']} RNA12 structures | Spearman | partial Spearman "
         "given log10 f | partial Pearson given log10 f |", "|---|---|---|---|"]

    def cell(q):
        return f"{q['r']:+.3f} [{q['lo']:+.3f}, {q['hi']:+.3f}]; p = {q['p']:.2g}"

    for name, label in (("E", "R(p) vs E(p)"), ("E_cowperthwaite", "R(p) vs E_C(p)")):
        d = res[f"R_vs_{name}"]
        L.append(f"| {label} | {d['spearman']:+.3f} | {cell(d['partial_given_log_f'])} | "
                 f"{cell(d['pearson_partial_given_log_f'])} |")
    L.append(f"| each vs log10 f | R {res['R_vs_log_f_spearman']:+.3f}, E "
             f"{res['E_vs_log_f_spearman']:+.3f}, E_C "
             f"{res['E_cowperthwaite_vs_log_f_spearman']:+.3f} | | |")
    L.append("")
    L.append("Intervals: 95 % percentiles of 10,000 bootstrap resamples of the structures; "
             "p: permutation of the residuals (10,000).")
    return "\n".join(L) + "\n"
