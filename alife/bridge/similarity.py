"""Representation and function similarity of trained nets and HNCAs.

* :func:`linear_cka` — linear centred kernel alignment (Kornblith et al.
  2019): ``||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)`` on column-centred
  activations.  1 for identical representations; invariant to orthogonal
  transforms and isotropic scaling (so to relabelling hidden units), not to
  arbitrary invertible linear maps.
* :func:`layer_cka` — CKA of every hidden layer of two MLPs on the same inputs
  (the second model may be a parameter dict, evaluated with
  ``torch.func.functional_call``).
* :func:`prediction_agreement` — fraction of inputs with the same argmax.
* :func:`hnca_internal_distance` — how far apart two HNCA genomes' internal
  (non-output) levels end up, and whether their phenotypes are equal.
* :func:`hnca_state_cka` — linear CKA of two HNCA genomes' developments:
  every cell of every level at every step is an example, its channels the
  features (the HNCA counterpart of an MLP layer's units on test inputs).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..nca import HNCASpec

__all__ = ["linear_cka", "hidden_activations", "layer_cka", "prediction_agreement",
           "hnca_internal_distance", "hnca_state_cka"]


def _as_2d_float64(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().double().numpy()
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        a = a.reshape(a.shape[0], -1)
    return a


def linear_cka(X, Y) -> float:
    """Linear CKA between two representations of the same n examples.

    Parameters
    ----------
    X : (n, p) array or tensor
    Y : (n, q) array or tensor (rows are the same examples as X's)

    Returns
    -------
    float in [0, 1]; computed in float64.  NaN when either representation is
    constant over the examples (zero after centring).
    """
    X = _as_2d_float64(X)
    Y = _as_2d_float64(Y)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y need the same number of rows, got {X.shape[0]} and {Y.shape[0]}")
    X = X - X.mean(axis=0, keepdims=True)
    Y = Y - Y.mean(axis=0, keepdims=True)
    # with n < p it is cheaper to work with the n x n Gram matrices; the two
    # forms are equal: ||Y^T X||_F^2 = <XX^T, YY^T>, ||X^T X||_F = ||XX^T||_F
    n, p, q = X.shape[0], X.shape[1], Y.shape[1]
    if n < max(p, q):
        kx, ky = X @ X.T, Y @ Y.T
        num = float(np.sum(kx * ky))
        den = float(np.linalg.norm(kx) * np.linalg.norm(ky))
    else:
        num = float(np.linalg.norm(Y.T @ X) ** 2)
        den = float(np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))
    if den == 0.0:
        return float("nan")
    return num / den


class _HiddenOf(nn.Module):
    """Wraps a model so that ``forward`` is its ``hidden`` method."""

    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, x):
        return self.m.hidden(x)


def hidden_activations(model, x, params: dict | None = None) -> list[torch.Tensor]:
    """``model.hidden(x)`` (hidden layers then logits), optionally at ``params``.

    ``params`` is a ``named_parameters``-style dict for ``model``'s
    architecture, evaluated with ``torch.func.functional_call``.
    """
    x = torch.as_tensor(x)
    with torch.no_grad():
        if params is None:
            return model.hidden(x)
        wrapped = _HiddenOf(model)
        return torch.func.functional_call(wrapped, {f"m.{k}": v for k, v in params.items()}, (x,))


def layer_cka(model_a, model_b_or_params, x, *, include_logits: bool = False) -> list[float]:
    """Linear CKA of every hidden layer of two MLPs on inputs ``x``.

    Parameters
    ----------
    model_a : MLP (anything with ``.hidden(x)``)
    model_b_or_params : a second MLP of any widths with the same depth, or a
        parameter dict of ``model_a``'s architecture (e.g. a point on a path)
    x : (n, d) inputs
    include_logits : also append the CKA of the logits

    Returns
    -------
    list of floats, one per hidden layer (then the logits if asked).
    """
    ha = hidden_activations(model_a, x)
    if isinstance(model_b_or_params, nn.Module):
        hb = hidden_activations(model_b_or_params, x)
    else:
        hb = hidden_activations(model_a, x, params=dict(model_b_or_params))
    if len(ha) != len(hb):
        raise ValueError(f"models differ in depth: {len(ha) - 1} vs {len(hb) - 1} hidden layers")
    k = len(ha) if include_logits else len(ha) - 1
    return [linear_cka(a, b) for a, b in zip(ha[:k], hb[:k])]


def prediction_agreement(logits_a, logits_b) -> float:
    """Fraction of examples whose argmax class is the same under both.

    Accepts (n, k) logits or probabilities (arrays or tensors), or (n,)
    class labels.
    """
    a = _as_2d_float64(logits_a)
    b = _as_2d_float64(logits_b)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"need the same number of examples, got {a.shape[0]} and {b.shape[0]}")
    pa = a[:, 0] if a.shape[1] == 1 else a.argmax(1)
    pb = b[:, 0] if b.shape[1] == 1 else b.argmax(1)
    return float(np.mean(pa == pb)) if len(pa) else float("nan")


def hnca_internal_distance(spec: HNCASpec, genome_a, genome_b, *, steps: int | None = None) -> dict:
    """Distance between two HNCA genomes' developed internal levels.

    Both genomes develop (with the torch twin, float32, no gradients) from
    ``spec.initial_states``; for every level other than ``spec.output_level``
    the RMS difference of the final states over cells and channels.

    Returns
    -------
    dict with
        ``levels`` : internal level indices
        ``rms`` : RMS difference per internal level (same order)
        ``mean_rms`` : their mean (NaN for a one-level spec)
        ``output_rms`` : RMS difference of the output level
        ``same_phenotype`` : bool, phenotypes equal
        ``phenotype_distance`` : fraction of output cells that differ
    """
    from ..nca.torch_twin import develop_torch

    g = np.stack([np.asarray(genome_a, dtype=np.float32).reshape(-1),
                  np.asarray(genome_b, dtype=np.float32).reshape(-1)])
    states, pheno = develop_torch(spec, g, steps=steps)
    rms = [float(np.sqrt(np.mean((s[0].astype(np.float64) - s[1]) ** 2))) for s in states]
    internal = [l for l in range(spec.levels) if l != spec.output_level]
    return {
        "levels": internal,
        "rms": [rms[l] for l in internal],
        "mean_rms": float(np.mean([rms[l] for l in internal])) if internal else float("nan"),
        "output_rms": rms[spec.output_level],
        "same_phenotype": bool(np.array_equal(pheno[0], pheno[1])),
        "phenotype_distance": float(np.mean(pheno[0] != pheno[1])),
    }


def hnca_state_cka(spec: HNCASpec, genome_a, genome_b, *, steps: int | None = None) -> float:
    """Linear CKA of two HNCA genomes' developments from ``spec.initial_states``.

    Each genome develops with the simulator (:func:`alife.nca.trajectory`);
    the examples are every (step, level, cell) after the start (steps 1 to
    T; step 0 is the same seed state for both and is left out), the
    features the cell's channels.  With one channel this is the squared
    Pearson correlation of the two genomes' states over cells and steps.

    Parameters
    ----------
    spec : HNCASpec
    genome_a, genome_b : (n_genes,) genomes of ``spec``
    steps : steps to develop (default ``spec.steps``)

    Returns
    -------
    float in [0, 1]; NaN when either development is constant over the
    examples (e.g. it dies at once).
    """
    from ..nca import trajectory
    X, Y = ([np.concatenate([lv[1:].reshape(-1, spec.channels) for lv in
                             trajectory(spec, np.asarray(g, np.float32), steps=steps)])
             for g in (genome_a, genome_b)])
    return linear_cka(X, Y)
