"""Permutation alignment of hidden units (weight matching; Ainsworth et al. 2023).

Two nets that differ only by a relabelling of their hidden units compute the
same function.  *Weight matching* (Git Re-Basin, Ainsworth, Hayase &
Srinivasa, ICLR 2023) picks, for every hidden layer of model B, the
relabelling that brings B's weights closest to model A's: per layer a linear
assignment maximising the summed inner products of all weights touching that
layer's units (incoming rows, biases, outgoing columns), by coordinate
descent over the layers in a random (seeded) order until a full sweep changes
no permutation.

Permutation convention
----------------------
A permutation ``p`` of a hidden layer (an int array of its width) says that
unit ``i`` of the permuted model is unit ``p[i]`` of the original:
``W_l' = W_l[p_l][:, p_{l-1}]``, ``b_l' = b_l[p_l]``, ``W_{l+1}' = W_{l+1}[:, p_l]``.
``weight_matching(a, b)`` returns the permutations to apply to ``b``:
``permute_mlp(b, weight_matching(a, b))`` is B aligned to A.

For HNCAs with an MLP rule (``spec.hidden > 0``) each level's hidden units can
be relabelled independently (columns of W1, entries of b1, rows of W2); the
levels share no hidden units, so the matching is one exact linear assignment
per level.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from ..nca import HNCASpec
from .models import MLP

__all__ = ["mlp_weights", "weight_matching", "permute_mlp", "permute_mlp_params",
           "permute_hnca_hidden", "weight_matching_hnca", "identity_perms"]


# --------------------------------------------------------------------------- MLPs
def _linear_keys(params: dict) -> list[tuple[str, str]]:
    """(weight key, bias key) of every ``layers.{i}`` Linear, in layer order."""
    idx = sorted({int(k.split(".")[1]) for k in params
                  if k.startswith("layers.") and k.endswith(".weight")})
    if not idx:
        raise ValueError("no 'layers.{i}.weight' parameters: not an alife.bridge.models.MLP")
    return [(f"layers.{i}.weight", f"layers.{i}.bias") for i in idx]


def _as_params(model_or_params) -> dict:
    if isinstance(model_or_params, torch.nn.Module):
        return {k: v.detach() for k, v in model_or_params.named_parameters()}
    return dict(model_or_params)


def mlp_weights(model_or_params) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights ``(out, in)`` and biases of every Linear of an MLP, float64 numpy.

    Accepts an :class:`~alife.bridge.models.MLP` or its ``named_parameters``
    dict (e.g. a point of a path).
    """
    p = _as_params(model_or_params)
    ws, bs = [], []
    for wk, bk in _linear_keys(p):
        ws.append(torch.as_tensor(p[wk]).detach().cpu().double().numpy())
        bs.append(torch.as_tensor(p[bk]).detach().cpu().double().numpy())
    return ws, bs


def identity_perms(model_or_params) -> list[np.ndarray]:
    """The identity permutation of every hidden layer."""
    ws, _ = mlp_weights(model_or_params)
    return [np.arange(w.shape[0]) for w in ws[:-1]]


def weight_matching(model_a, model_b, *, seed: int = 0, max_iter: int = 100,
                    init_perms=None, return_info: bool = False):
    """Permutations of model B's hidden units that best match model A's weights.

    Parameters
    ----------
    model_a, model_b : MLP or its parameter dict, same sizes
    seed : int, order of the layers in each coordinate-descent sweep
    max_iter : int, most sweeps
    init_perms : optional starting permutations (default identity)
    return_info : also return ``{"sweeps": n, "converged": bool, "score": s}``

    Returns
    -------
    list of int arrays, one per hidden layer (the convention of the module
    docstring: apply them to B with :func:`permute_mlp`).
    """
    wa, ba = mlp_weights(model_a)
    wb, bb = mlp_weights(model_b)
    if [w.shape for w in wa] != [w.shape for w in wb]:
        raise ValueError(f"models differ in shape: {[w.shape for w in wa]} vs {[w.shape for w in wb]}")
    n_hidden = len(wa) - 1
    perms = ([np.arange(w.shape[0]) for w in wa[:-1]] if init_perms is None
             else [np.asarray(p, dtype=np.int64).copy() for p in init_perms])
    rng = np.random.default_rng(seed)

    def cost(l):
        # units of hidden layer l: rows of W_l / entries of b_l (inputs from
        # layer l-1, B's already permuted), columns of W_{l+1} (outputs to
        # layer l+1, B's already permuted)
        w_in_b = wb[l] if l == 0 else wb[l][:, perms[l - 1]]
        s = wa[l] @ w_in_b.T + np.outer(ba[l], bb[l])
        w_out_b = wb[l + 1] if l + 1 == n_hidden else wb[l + 1][perms[l + 1], :]
        s += wa[l + 1].T @ w_out_b
        return s

    sweeps, converged = 0, n_hidden == 0
    while not converged and sweeps < max_iter:
        sweeps += 1
        changed = False
        for l in rng.permutation(n_hidden):
            s = cost(l)
            _, col = linear_sum_assignment(s, maximize=True)
            old = s[np.arange(len(col)), perms[l]].sum()
            new = s[np.arange(len(col)), col].sum()
            # accept only strict improvements (ties would cycle forever)
            if new > old + 1e-12 * max(1.0, abs(old)) and not np.array_equal(col, perms[l]):
                perms[l] = col
                changed = True
        converged = not changed
    if return_info:
        score = float(sum((cost(l)[np.arange(len(perms[l])), perms[l]]).sum()
                          for l in range(n_hidden)))
        return perms, {"sweeps": sweeps, "converged": converged, "score": score}
    return perms


def permute_mlp_params(params: dict, perms) -> dict:
    """A parameter dict of an MLP with its hidden units relabelled by ``perms``.

    Works on any dict with the MLP's ``layers.{i}.weight/bias`` keys (extra
    keys are copied unchanged); tensors are cloned, grads are not kept.
    """
    p = {k: torch.as_tensor(v).detach().clone() for k, v in params.items()}
    keys = _linear_keys(p)
    if len(perms) != len(keys) - 1:
        raise ValueError(f"need {len(keys) - 1} permutations, got {len(perms)}")
    for l, perm in enumerate(perms):
        perm = torch.as_tensor(np.asarray(perm), dtype=torch.long)
        wk, bk = keys[l]
        n = p[wk].shape[0]
        if sorted(perm.tolist()) != list(range(n)):
            raise ValueError(f"perms[{l}] is not a permutation of range({n})")
        p[wk] = p[wk][perm]
        p[bk] = p[bk][perm]
        nk = keys[l + 1][0]
        p[nk] = p[nk][:, perm]
    return p


def permute_mlp(model: MLP, perms) -> MLP:
    """A new MLP computing the same function, hidden units relabelled by ``perms``."""
    new = copy.deepcopy(model)
    p = permute_mlp_params({k: v.detach() for k, v in model.named_parameters()}, perms)
    with torch.no_grad():
        for k, v in new.named_parameters():
            v.copy_(p[k])
    return new


# --------------------------------------------------------------------------- HNCAs
def _check_hidden(spec: HNCASpec):
    if spec.hidden <= 0:
        raise ValueError("hidden-unit permutations need an MLP rule (spec.hidden > 0); "
                         "a linear rule has no hidden units")


def _w1_slice(lv) -> slice:
    return slice(lv.start, lv.start + lv.n_inputs * lv.n_out1)


def permute_hnca_hidden(spec: HNCASpec, genome, perms_per_level) -> np.ndarray:
    """A genome whose every level's hidden units are relabelled.

    Parameters
    ----------
    spec : HNCASpec with ``hidden > 0``
    genome : (n_genes,) array
    perms_per_level : one permutation of ``range(spec.hidden)`` per level
        (None leaves that level as it is); hidden unit ``i`` of the new rule
        is unit ``p[i]`` of the old one

    Returns
    -------
    (n_genes,) float32 array: columns of W1, entries of b1 and rows of W2
    permuted; develops exactly like ``genome`` (up to float rounding).
    """
    _check_hidden(spec)
    g = np.array(genome, dtype=np.float32).reshape(-1)
    if g.size != spec.n_genes:
        raise ValueError(f"genome has {g.size} genes, the spec needs {spec.n_genes}")
    if len(perms_per_level) != spec.levels:
        raise ValueError(f"need {spec.levels} permutations (one per level), got {len(perms_per_level)}")
    out = g.copy()
    H = spec.hidden
    for lv, perm in zip(spec.layout.levels, perms_per_level):
        if perm is None:
            continue
        perm = np.asarray(perm, dtype=np.int64)
        if perm.shape != (H,) or not np.array_equal(np.sort(perm), np.arange(H)):
            raise ValueError(f"level {lv.level}: not a permutation of range({H})")
        w1, b1, w2, _ = spec.layout.unpack(g, lv.level)
        out[_w1_slice(lv)] = w1[:, perm].reshape(-1)
        if b1 is not None:
            out[lv.block("bias").slice] = b1[perm]
        out[lv.block("w2").slice] = w2[perm, :].reshape(-1)
    return out


def weight_matching_hnca(spec: HNCASpec, genome_a, genome_b) -> list[np.ndarray]:
    """Per level, the relabelling of B's hidden units that best matches A.

    One linear assignment per level maximising
    ``<W1_a, W1_b P> + <b1_a, P b1_b> + <W2_a, P W2_b>``; levels share no
    hidden units, so this is the exact optimum (no coordinate descent).
    Apply with ``permute_hnca_hidden(spec, genome_b, perms)``.
    """
    _check_hidden(spec)
    ga = np.asarray(genome_a, dtype=np.float64).reshape(-1)
    gb = np.asarray(genome_b, dtype=np.float64).reshape(-1)
    for g in (ga, gb):
        if g.size != spec.n_genes:
            raise ValueError(f"genome has {g.size} genes, the spec needs {spec.n_genes}")
    perms = []
    for lv in spec.layout.levels:
        w1a, b1a, w2a, _ = spec.layout.unpack(ga, lv.level)
        w1b, b1b, w2b, _ = spec.layout.unpack(gb, lv.level)
        s = w1a.T @ w1b + w2a @ w2b.T
        if b1a is not None:
            s = s + np.outer(b1a, b1b)
        _, col = linear_sum_assignment(s, maximize=True)
        perms.append(col.astype(np.int64))
    return perms
