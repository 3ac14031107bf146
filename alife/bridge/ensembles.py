"""Cheap ensembles from one training run or one curve.

* :func:`fge` — fast geometric ensembling (Garipov et al. 2018): from a
  trained model, SGD with a cyclical, piecewise-linear learning rate
  ``lr_high -> lr_low -> lr_high`` per cycle; a snapshot at each cycle's low
  point (its middle).
* :func:`swa` — stochastic weight averaging (Izmailov et al. 2018) with
  ``torch.optim.swa_utils.AveragedModel`` and ``SWALR`` (``update_bn`` when
  the model has batch norm).
* :func:`curve_ensemble` — the parameters of any path object (``.params(t)``)
  at chosen ``t``.
* :func:`ensemble_eval` — test NLL and error of the members' averaged softmax,
  beside every member's own numbers.

Parameter dicts are ``named_parameters``-style ``{name: tensor}`` of the
given model, evaluated with ``torch.func.functional_call``.
"""
from __future__ import annotations

import copy
from typing import Callable, Iterable

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn

__all__ = ["fge_lr", "fge", "swa", "ensemble_eval", "curve_ensemble", "params_of"]


def params_of(model: nn.Module) -> dict:
    """Detached clones of a model's parameters, ``{name: tensor}``."""
    return {k: v.detach().clone() for k, v in model.named_parameters()}


def _epoch_batches(train_batches, epoch: int, gen: torch.Generator):
    """The batches of one pass: ``train_batches(epoch)`` if callable, else the
    sequence in a seeded random order."""
    if callable(train_batches):
        return list(train_batches(epoch))
    seq = list(train_batches)
    if not seq:
        raise ValueError("train_batches is empty")
    order = torch.randperm(len(seq), generator=gen).tolist()
    return [seq[i] for i in order]


def _batch_stream(train_batches, gen: torch.Generator):
    epoch = 0
    while True:
        for b in _epoch_batches(train_batches, epoch, gen):
            yield b
        epoch += 1


def fge_lr(i: int, cycle_length: int, lr_high: float, lr_low: float) -> float:
    """Garipov's cyclical learning rate at iteration ``i`` (0-based).

    With ``t = ((i mod c) + 1) / c``: ``(1 - 2t) lr_high + 2t lr_low`` for
    ``t <= 1/2`` and ``(2 - 2t) lr_low + (2t - 1) lr_high`` after; the low
    point ``lr_low`` is reached at ``t = 1/2``, i.e. iteration ``c/2 - 1`` of
    each cycle (``c`` even).
    """
    c = int(cycle_length)
    t = ((i % c) + 1) / c
    if t <= 0.5:
        return (1.0 - 2.0 * t) * lr_high + 2.0 * t * lr_low
    return (2.0 - 2.0 * t) * lr_low + (2.0 * t - 1.0) * lr_high


def fge(model: nn.Module, train_batches, loss_fn: Callable, *, cycles: int, cycle_length: int,
        lr_high: float, lr_low: float, seed: int = 0, momentum: float = 0.9,
        weight_decay: float = 0.0) -> list[dict]:
    """Fast geometric ensemble from a trained model.

    Parameters
    ----------
    model : trained nn.Module (not modified; a copy is trained)
    train_batches : sequence of ``(x, y)`` batches (visited in a seeded random
        order each pass), or a callable ``epoch -> iterable of (x, y)``
    loss_fn : ``loss_fn(model(x), y) -> scalar``
    cycles : number of snapshots
    cycle_length : SGD iterations per cycle (even, >= 2)
    lr_high, lr_low : learning rate at the cycle ends and at its middle
    seed : batch order
    momentum, weight_decay : of the SGD optimiser

    Returns
    -------
    list of ``cycles`` parameter dicts, snapshots at each cycle's low point.
    """
    c = int(cycle_length)
    if c < 2 or c % 2:
        raise ValueError(f"cycle_length must be an even number >= 2, got {cycle_length}")
    if cycles < 1:
        raise ValueError(f"cycles must be >= 1, got {cycles}")
    net = copy.deepcopy(model)
    net.train()
    gen = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.SGD(net.parameters(), lr=lr_high, momentum=momentum,
                          weight_decay=weight_decay)
    stream = _batch_stream(train_batches, gen)
    snaps = []
    for i in range(int(cycles) * c):
        for group in opt.param_groups:
            group["lr"] = fge_lr(i, c, lr_high, lr_low)
        x, y = next(stream)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        if i % c == c // 2 - 1:
            snaps.append(params_of(net))
    return snaps


def _has_bn(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def swa(model: nn.Module, train_batches, loss_fn: Callable, *, epochs: int, lr: float,
        swa_lr: float, seed: int = 0, swa_start: int = 0, anneal_epochs: int = 1,
        momentum: float = 0.9, weight_decay: float = 0.0) -> nn.Module:
    """Stochastic weight averaging with ``torch.optim.swa_utils``.

    SGD at ``lr`` for the first ``swa_start`` epochs, then ``SWALR`` anneals
    to ``swa_lr`` over ``anneal_epochs`` and the weights are averaged at the
    end of every epoch from ``swa_start`` on (``AveragedModel``).  With batch
    norm the averaged model's statistics are recomputed (``update_bn``).

    Parameters
    ----------
    model : nn.Module, usually trained (not modified; a copy is trained)
    train_batches, loss_fn, seed : as for :func:`fge`
    epochs : passes over the data in all
    lr, swa_lr : learning rates before and during averaging

    Returns
    -------
    A copy of ``model`` holding the averaged weights (its parameters are the
    SWA solution; ``params_of`` gives them as a dict).
    """
    if not 0 <= swa_start < epochs:
        raise ValueError(f"need 0 <= swa_start < epochs, got swa_start={swa_start}, epochs={epochs}")
    net = copy.deepcopy(model)
    net.train()
    gen = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    avg = AveragedModel(net)
    sched = SWALR(opt, swa_lr=swa_lr, anneal_epochs=max(1, int(anneal_epochs)),
                  anneal_strategy="cos")
    for epoch in range(int(epochs)):
        batches = _epoch_batches(train_batches, epoch, gen)
        for x, y in batches:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
        if epoch >= swa_start:
            avg.update_parameters(net)
            sched.step()
    out = copy.deepcopy(avg.module)
    if _has_bn(out):
        update_bn([b[0] for b in _epoch_batches(train_batches, 0, gen)], out)
    out.eval()
    return out


def curve_ensemble(path_like, ts: Iterable[float]) -> list[dict]:
    """Parameter dicts of a path at the given ``ts`` (anything with ``.params(t)``)."""
    out = []
    with torch.no_grad():
        for t in ts:
            p = path_like.params(float(t))
            out.append({k: torch.as_tensor(v).detach().clone() for k, v in p.items()})
    return out


def _nll_error(probs: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    p = probs[torch.arange(len(y)), y].clamp_min(1e-40)
    return float(-p.log().mean()), float((probs.argmax(1) != y).double().mean())


def ensemble_eval(model: nn.Module, params_list: list[dict], x, y) -> dict:
    """NLL and error of an ensemble that averages its members' softmax.

    Parameters
    ----------
    model : nn.Module giving the architecture (and, for comparison, its own
        current parameters)
    params_list : member parameter dicts (``functional_call`` on ``model``)
    x, y : inputs and int labels

    Returns
    -------
    dict with ``nll`` and ``error`` (the ensemble), ``member_nll`` and
    ``member_error`` (lists), ``mean_member_nll``, ``mean_member_error``,
    ``best_member_nll``, ``model_nll`` and ``model_error`` (``model`` with its
    own parameters: the single model), ``n_members``.
    """
    if not params_list:
        raise ValueError("params_list is empty")
    x = torch.as_tensor(x)
    y = torch.as_tensor(y, dtype=torch.long)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            probs = []
            for p in params_list:
                logits = torch.func.functional_call(model, dict(p), (x,))
                probs.append(torch.softmax(logits.double(), dim=1))
            own = torch.softmax(model(x).double(), dim=1)
    finally:
        model.train(was_training)
    member = [_nll_error(p, y) for p in probs]
    nll, err = _nll_error(torch.stack(probs).mean(0), y)
    m_nll, m_err = _nll_error(own, y)
    return {
        "nll": nll, "error": err,
        "member_nll": [a for a, _ in member], "member_error": [b for _, b in member],
        "mean_member_nll": float(np.mean([a for a, _ in member])),
        "mean_member_error": float(np.mean([b for _, b in member])),
        "best_member_nll": float(min(a for a, _ in member)),
        "model_nll": m_nll, "model_error": m_err,
        "n_members": len(params_list),
    }
