"""Loss and error along a path, barriers, length and integrated loss.

Barrier definitions (``docs/concepts/mode-connectivity.md``), for a profile L(t) sampled
at t_0 = 0 < … < t_{n−1} = 1:

* Frankle et al. (2020): B = max_t L(t) − ½(L(0) + L(1)) (:func:`barrier`);
* Entezari et al. (2022): B = max_t [L(t) − ((1−t)L(0) + tL(1))]
  (:func:`barrier_entezari`).

Both are computed for the loss (mean NLL) and the error (fraction wrong) on
the train and the test set; the integrated value is the trapezoid mean of the
profile over t (:func:`integrated`).
"""
from __future__ import annotations

import numpy as np
import torch

from .paths import Path, has_batchnorm, recompute_bn
from .train import evaluate_params


def barrier(values, t=None) -> float:
    """Frankle's barrier max_t L(t) − ½(L(0) + L(1)) of a profile (t unused)."""
    v = np.asarray(values, dtype=float)
    return float(v.max() - 0.5 * (v[0] + v[-1]))


def barrier_entezari(values, t=None) -> float:
    """Entezari's barrier max_t [L(t) − ((1−t)L(0) + tL(1))]; ``t`` defaults to
    equally spaced points in [0, 1]."""
    v = np.asarray(values, dtype=float)
    t = np.linspace(0.0, 1.0, len(v)) if t is None else np.asarray(t, dtype=float)
    return float(np.max(v - ((1 - t) * v[0] + t * v[-1])))


def integrated(values, t=None) -> float:
    """Trapezoid mean of the profile over t in [0, 1]."""
    v = np.asarray(values, dtype=float)
    t = np.linspace(0.0, 1.0, len(v)) if t is None else np.asarray(t, dtype=float)
    return float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(t)) / (t[-1] - t[0]))


def _pair(data):
    if hasattr(data, "x_train"):
        raise TypeError("pass (x, y) tuples, e.g. (split.x_train, split.y_train)")
    x, y = data
    return torch.as_tensor(x), torch.as_tensor(y)


def evaluate_path(path: Path, model=None, train=None, test=None, n_points: int = 61, *,
                  bn_batch_size: int = 256, batch_size: int | None = None,
                  length_points: int | None = None) -> dict:
    """Evaluate ``path`` at ``n_points`` equally spaced t.

    Parameters
    ----------
    path : a :class:`~alife.bridge.paths.Path`
    model : the template (default ``path.model``)
    train, test : (x, y) tensors or arrays (``test`` optional)
    n_points : number of t in [0, 1] (61, as Garipov et al.)
    bn_batch_size : if the model has batch norm, its running statistics are
        re-estimated on the train inputs (batches of this size) at every t
        (:func:`~alife.bridge.paths.recompute_bn`)
    length_points : points for the curve length (default ``max(n_points, 201)``)

    Returns
    -------
    dict: ``t``, ``train_loss``, ``train_error`` (and ``test_*`` with a test
    set) as numpy arrays; for every such profile ``P``: ``P_barrier``
    (Frankle), ``P_barrier_entezari``, ``P_integrated``, ``P_max``;
    ``length`` (curve length) and ``distance`` (‖θ_B − θ_A‖).
    """
    model = path.model if model is None else model
    if train is None:
        raise ValueError("evaluate_path needs the train set (x, y)")
    sets = {"train": _pair(train)}
    if test is not None:
        sets["test"] = _pair(test)
    ts = np.linspace(0.0, 1.0, int(n_points))
    bn = has_batchnorm(model)
    out = {"t": ts}
    prof = {f"{s}_{m}": np.zeros(len(ts)) for s in sets for m in ("loss", "error")}
    xtr = sets["train"][0]
    for i, t in enumerate(ts):
        with torch.no_grad():
            params = {n: v.detach() for n, v in path.params(float(t)).items()}
        if bn:
            recompute_bn(model, params, [xtr[s:s + bn_batch_size]
                                         for s in range(0, xtr.shape[0], bn_batch_size)])
        for s, (x, y) in sets.items():
            r = evaluate_params(model, params, x, y, batch_size)
            prof[f"{s}_loss"][i] = r["loss"]
            prof[f"{s}_error"][i] = r["error"]
    for k, v in prof.items():
        out[k] = v
        out[f"{k}_barrier"] = barrier(v)
        out[f"{k}_barrier_entezari"] = barrier_entezari(v, ts)
        out[f"{k}_integrated"] = integrated(v, ts)
        out[f"{k}_max"] = float(v.max())
    out["length"] = path.length(length_points or max(int(n_points), 201))
    out["distance"] = path.distance()
    return out
