"""Logistic regression with standard errors clustered by replicate.

:func:`logit_cluster` fits ``P(y = 1) = 1 / (1 + exp(-X beta))`` by maximum
likelihood (Newton's method) and returns, beside the model-based standard
errors, the cluster-robust ("sandwich") ones: rows of one cluster (e.g. the
several path methods tried on one pair of genomes, which share their
endpoints) are not independent, so the variance is estimated from the
clusters' summed scores,

    V = c * B^-1 (sum_g u_g u_g^T) B^-1,   B = X^T W X,   u_g = sum_{i in g} x_i (y_i - p_i),

with ``W = diag(p (1 - p))`` and the small-sample factor
``c = G / (G - 1) * (N - 1) / (N - K)`` (G clusters, N rows, K
coefficients; the usual "CR1" correction).  Wald intervals and p-values use
the normal law.  No dependency beyond numpy and scipy.

Separation (a covariate pattern whose outcomes are all 0 or all 1, e.g. a
method that never connects) drives the maximum-likelihood estimate to
infinity: the fit then reports ``separated = True`` and its coefficients and
errors should not be read.  ``firth=True`` fits Firth's (1993) penalised
likelihood instead (the score gains ``h_i (1/2 - p_i)``, ``h`` the leverages),
which stays finite under separation; its clustered errors are the same
sandwich at the penalised estimate.  ``penalty`` (a ridge on every
coefficient but the intercept) is the other way out.
"""
from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import expit

__all__ = ["logit_cluster", "cluster_sandwich"]


def _check(y, X, clusters):
    y = np.asarray(y, dtype=np.float64).ravel()
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != y.size:
        raise ValueError(f"X must be (n, k) with n = len(y) = {y.size}, got shape {X.shape}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must hold only 0 and 1")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite")
    g = np.asarray(clusters).ravel()
    if g.size != y.size:
        raise ValueError(f"clusters must have one entry per row ({y.size}), got {g.size}")
    return y, X, g


def cluster_sandwich(X, resid, weights, clusters, bread_inv=None) -> np.ndarray:
    """The CR1 cluster-robust covariance of a fitted logistic regression.

    Parameters
    ----------
    X : (n, k) design
    resid : (n,) ``y - p``
    weights : (n,) ``p (1 - p)`` (used only when ``bread_inv`` is None)
    clusters : (n,) cluster labels (any hashable values)
    bread_inv : optional (k, k) inverse of the (penalised) information

    Returns
    -------
    (k, k) covariance matrix.
    """
    X = np.asarray(X, dtype=np.float64)
    n, k = X.shape
    if bread_inv is None:
        bread_inv = np.linalg.inv(X.T @ (X * np.asarray(weights)[:, None]))
    labels, inv = np.unique(np.asarray(clusters), return_inverse=True)
    G = labels.size
    if G < 2:
        raise ValueError("cluster-robust errors need at least 2 clusters")
    scores = np.zeros((G, k))
    np.add.at(scores, inv.ravel(), X * np.asarray(resid)[:, None])
    meat = scores.T @ scores
    c = G / (G - 1) * (n - 1) / max(n - k, 1)
    return c * bread_inv @ meat @ bread_inv


def logit_cluster(y, X, clusters, names=None, *, penalty: float = 0.0, firth: bool = False,
                  max_iter: int = 100, tol: float = 1e-10, level: float = 0.95) -> dict:
    """Logistic regression by maximum likelihood with cluster-robust errors.

    Parameters
    ----------
    y : (n,) 0/1 outcomes
    X : (n, k) design matrix (include a column of ones for an intercept;
        column 0 is taken to be it and is not penalised)
    clusters : (n,) cluster label of every row (e.g. the seed of a pair)
    names : optional k column names (default ``x0 .. x{k-1}``)
    penalty : float >= 0, ridge ``penalty / 2 * ||beta[1:]||^2`` subtracted
        from the log-likelihood (0: plain maximum likelihood)
    firth : bool, Firth's bias-reduced (Jeffreys-penalised) likelihood
    max_iter, tol : Newton iterations and the convergence tolerance on the
        largest change of a coefficient
    level : coverage of the Wald intervals

    Returns
    -------
    dict: ``names``, ``coef``, ``se`` (clustered), ``se_model``, ``z``,
    ``p``, ``lo``, ``hi`` (lists, in column order), ``cov`` (k x k list),
    ``n``, ``clusters`` (G), ``loglik``, ``converged``, ``iterations``,
    ``separated`` (fitted probabilities within 1e-6 of 0 or 1: the
    estimates are not finite in truth), ``penalty``, ``firth``.
    """
    y, X, g = _check(y, X, clusters)
    n, k = X.shape
    names = [f"x{i}" for i in range(k)] if names is None else list(names)
    if len(names) != k:
        raise ValueError(f"need {k} names, got {len(names)}")
    if not penalty >= 0:
        raise ValueError(f"penalty must be >= 0, got {penalty!r}")
    P = np.eye(k) * float(penalty)
    P[0, 0] = 0.0
    beta = np.zeros(k)
    converged, it = False, 0
    for it in range(1, int(max_iter) + 1):
        eta = X @ beta
        p = expit(eta)
        w = p * (1 - p)
        info = X.T @ (X * w[:, None]) + P
        r = y - p
        if firth:
            inv = np.linalg.pinv(info)
            h = np.einsum("ij,jk,ik->i", X, inv, X) * w          # leverages
            r = r + h * (0.5 - p)
        grad = X.T @ r - P @ beta
        step = np.linalg.lstsq(info, grad, rcond=None)[0]
        if firth:                                                # keep steps bounded
            step = step / max(1.0, float(np.max(np.abs(step))) / 5.0)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    eta = X @ beta
    p = expit(eta)
    w = p * (1 - p)
    info = X.T @ (X * w[:, None]) + P
    bread_inv = np.linalg.pinv(info)
    cov = cluster_sandwich(X, y - p, w, g, bread_inv)
    se = np.sqrt(np.maximum(np.diag(cov), 0))
    se_model = np.sqrt(np.maximum(np.diag(bread_inv), 0))
    z = np.divide(beta, se, out=np.full(k, np.nan), where=se > 0)
    q = float(stats.norm.ppf(0.5 + level / 2))
    ll = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    return {"names": names, "coef": beta.tolist(), "se": se.tolist(),
            "se_model": se_model.tolist(), "z": z.tolist(),
            "p": (2 * stats.norm.sf(np.abs(z))).tolist(),
            "lo": (beta - q * se).tolist(), "hi": (beta + q * se).tolist(),
            "cov": cov.tolist(), "n": int(n), "clusters": int(np.unique(g).size),
            "loglik": ll, "converged": bool(converged), "iterations": int(it),
            "separated": bool(np.any((p < 1e-6) | (p > 1 - 1e-6))), "penalty": float(penalty),
            "firth": bool(firth)}
