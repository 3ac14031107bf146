"""Gradient training of an HNCA genome on a morphogenesis target.

The evolutionary loss (:func:`alife.tasks.loss`) counts the output-level
cells whose binarised state ``x > threshold`` differs from the target: a step
function of the genome, with zero gradient almost everywhere.  Training uses a
differentiable surrogate (``docs/concepts/mode-connectivity.md``):

    p = sigmoid((x - threshold) / temperature)
    surrogate = mean over cells of BCE(p, target)

i.e. binary cross-entropy with logits ``(x - threshold) / temperature``.  As
``temperature -> 0`` ``p`` tends to the binarised phenotype, and a cell is
counted correct by the mismatch loss exactly when its BCE is below ``log 2``
(``p`` on the right side of 1/2), so ``surrogate < log(2) / (N*N)`` implies
mismatch loss 0; conversely a low surrogate pushes every cell across the
threshold with a margin of order ``temperature``, which is what makes the
trained genome's phenotype survive the small float differences between the
torch twin and the Numba :func:`alife.nca.develop`.  BCE (rather than, say,
the squared error of ``p``) keeps a non-vanishing gradient on badly wrong
cells.

Caveat for rectified-sigmoid rules (the Bielawski preset): a cell whose
pre-activation is <= 0 outputs exactly 0 with zero gradient, so the surrogate
cannot "switch on" a dead cell directly, only through its live neighbours'
influence on later steps; linear rules with a bias or residual MLP rules
(the ``neural`` preset) train much more easily.  ``surrogate=
"straight_through"`` (or ``"leaky"``) gives the rectified sigmoid a
non-zero surrogate gradient where it outputs 0
(:class:`~alife.bridge.models.SurrogateTwin`): the development, and so the
trained genome's phenotype, stays exactly the rule's.

:func:`train_hnca` runs Adam on the flat genome of an
:class:`~alife.bridge.models.HNCAModel` with global-norm gradient clipping,
deterministically given the seed (the seed draws the initial genome; the
optimisation itself has no randomness; ``torch.use_deterministic_algorithms``
is not needed on CPU for these ops).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..nca import HNCASpec
from .models import HNCAModel

__all__ = ["surrogate_loss", "train_hnca", "mismatch_loss", "TrainResult"]


def _target_tensor(target, like: torch.Tensor) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(target, dtype=np.float32) if not isinstance(target, torch.Tensor)
                        else target).to(like.dtype)
    if t.shape != like.shape[-2:]:
        raise ValueError(f"target has shape {tuple(t.shape)}, the output level is "
                         f"{tuple(like.shape[-2:])}")
    return t


def surrogate_loss(states_output_channel0: torch.Tensor, target, temperature: float = 0.1,
                   threshold: float = 0.0) -> torch.Tensor:
    """Differentiable surrogate of the mismatch loss.

    Mean binary cross-entropy of ``sigmoid((x - threshold) / temperature)``
    against the target, over the cells (and over a leading batch axis, if any).

    Parameters
    ----------
    states_output_channel0 : (N, N) or (P, N, N) tensor, channel 0 of the
        output level after development (``HNCAModel.output()``)
    target : (N, N) bool / 0-1 array or tensor
    temperature : float > 0, width of the soft threshold
    threshold : float, the spec's phenotype threshold

    Returns
    -------
    scalar tensor (nats per cell); below ``log(2) / N**2`` the phenotype equals the target.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    x = states_output_channel0
    t = _target_tensor(target, x)
    if x.ndim == 3:
        t = t.expand_as(x)
    logits = (x - threshold) / temperature
    return F.binary_cross_entropy_with_logits(logits, t)


def mismatch_loss(spec: HNCASpec, genome, target, steps: int | None = None) -> int:
    """The evolutionary loss of one genome, developed with the Numba :func:`alife.nca.develop`
    (degenerate patterns get N*N, as in :func:`alife.tasks.loss`)."""
    from ..nca import develop
    from ..tasks import loss

    g = np.asarray(genome, dtype=np.float32).reshape(1, -1)
    ph = develop(spec, g, steps=steps).phenotypes[0]
    return int(loss(ph, np.asarray(target, dtype=bool)))


class TrainResult(np.ndarray):
    """The trained genome (a float32 ndarray) with ``.history`` (surrogate per
    iteration) and ``.best_iteration`` attached."""

    history: list
    best_iteration: int


def train_hnca(spec: HNCASpec, target, *, seed: int = 0, iterations: int = 300, lr: float = 0.02,
               steps: int | None = None, temperature: float = 0.1, clip: float = 1.0,
               genome=None, init_scale: float | None = None, keep_best: bool = True,
               tol: float | None = None, surrogate: str | None = None,
               leak: float = 0.1) -> np.ndarray:
    """Train an HNCA genome by gradient through the torch twin.

    Parameters
    ----------
    spec : HNCASpec
    target : (N, N) bool array at the output level's resolution
    seed : int, draws the initial genome (``spec.random_genomes(1, seed)``,
        scaled by ``init_scale / spec.init_scale`` when ``init_scale`` is given)
    iterations : Adam steps (one full development each)
    lr : Adam learning rate
    steps : development steps (default ``spec.steps``)
    temperature : surrogate temperature (:func:`surrogate_loss`)
    clip : max global gradient norm (``clip_grad_norm_``)
    genome : optional initial genome (overrides ``seed``)
    keep_best : return the genome with the lowest surrogate seen (else the last)
    tol : stop once the surrogate is below ``tol`` (default ``log(2) / N**2 / 4``:
        every cell safely on the right side of the threshold)
    surrogate : None, ``"straight_through"`` or ``"leaky"``: the gradient of
        the rectified sigmoid where it is 0 (:class:`~alife.bridge.models.HNCAModel`)
    leak : float in (0, 1], the slope factor of ``"leaky"``

    Returns
    -------
    (n_genes,) float32 array (a :class:`TrainResult`, with ``.history`` and
    ``.best_iteration``).  Deterministic given the arguments.
    """
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations}")
    tgt = np.asarray(target, dtype=bool)
    n = spec.sizes[spec.output_level]
    if tgt.shape != (n, n):
        raise ValueError(f"target has shape {tgt.shape}, the output level is ({n}, {n})")
    if genome is None:
        genome = spec.random_genomes(1, seed=int(seed))[0]
        if init_scale is not None:
            genome = genome * np.float32(init_scale / spec.init_scale)
    model = HNCAModel(spec, genome=np.asarray(genome, np.float32), steps=steps,
                      surrogate=surrogate, leak=leak)
    t = torch.from_numpy(tgt.astype(np.float32))
    if tol is None:
        tol = math.log(2.0) / tgt.size / 4
    opt = torch.optim.Adam([model.genome], lr=lr)
    best = (float("inf"), model.genome.detach().clone(), -1)
    history = []
    for it in range(int(iterations) + 1):
        loss = surrogate_loss(model.output(), t, temperature, spec.threshold)
        lv = float(loss.detach())
        if not math.isfinite(lv):
            break
        history.append(lv)
        if lv < best[0]:
            best = (lv, model.genome.detach().clone(), it)
        if lv < tol or it == iterations:
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if model.genome.grad is not None:
            torch.nan_to_num_(model.genome.grad, nan=0.0, posinf=0.0, neginf=0.0)
        torch.nn.utils.clip_grad_norm_([model.genome], clip)
        opt.step()
    g = best[1] if keep_best else model.genome.detach()
    out = g.numpy().astype(np.float32).copy().view(TrainResult)
    out.history = history
    out.best_iteration = best[2]
    return out
