"""Training, evaluation and checkpoints of the bridge's models.

* :func:`train_mlp` — a seeded, deterministic minibatch trainer for
  :class:`~alife.bridge.models.MLP` on a :class:`~alife.bridge.data.Split`
  (one ``torch.Generator`` draws the initial weights and every epoch's
  shuffle, so the same arguments give bit-identical weights on rerun).
* :func:`evaluate` / :func:`evaluate_params` — mean NLL and error of a model,
  or of a parameter dict through ``torch.func.functional_call``.
* :func:`save_checkpoint` / :func:`load_checkpoint` — HDF5 files of kind
  ``"checkpoint"`` written through :func:`alife.store.write_results`, holding
  the architecture and every named parameter and buffer.
"""
from __future__ import annotations

import json
import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from .models import HNCAModel, MLP

CHECKPOINT_KIND = "checkpoint"


def limit_threads(n: int = 2) -> None:
    """Cap torch's intra-op threads at ``n`` (the bridge runs on small machines)."""
    if torch.get_num_threads() > n:
        torch.set_num_threads(n)


# --------------------------------------------------------------------- training
def init_params_(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Redraw the model's parameters from ``generator`` (in ``named_parameters`` order).

    ``nn.Linear`` gets PyTorch's default law, U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    for weight and bias; batch-norm scales 1 and shifts 0; any other parameter
    keeps its value.  Only the generator is used, never the global RNG.
    """
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=generator)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=generator)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm) and m.affine:
                m.weight.fill_(1.0)
                m.bias.zero_()
    return model


def lr_factor(epoch: int, epochs: int) -> float:
    """Garipov et al.'s schedule: constant for the first half of training, then
    linear down to 1 % of the base rate at 90 %, then 1 %.  ``epoch`` counts from 0."""
    alpha = (epoch + 1) / epochs
    if alpha <= 0.5:
        return 1.0
    if alpha <= 0.9:
        return 1.0 - (alpha - 0.5) / 0.4 * 0.99
    return 0.01


def make_optimizer(params, optimizer: str, lr: float, weight_decay: float = 0.0,
                   momentum: float = 0.9) -> torch.optim.Optimizer:
    """SGD with momentum (``"sgd"``) or Adam (``"adam"``)."""
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")


def train_mlp(sizes, split, *, seed: int, epochs: int = 100, lr: float = 0.05,
              batch_size: int = 32, weight_decay: float = 1e-4, optimizer: str = "sgd",
              momentum: float = 0.9, schedule: bool = True) -> MLP:
    """Train an :class:`MLP` of ``sizes`` on ``split`` (cross-entropy, minibatches).

    Deterministic given ``seed``: one ``torch.Generator(seed)`` draws the
    initial weights (:func:`init_params_`) and then every epoch's permutation.

    Parameters
    ----------
    sizes : layer widths, e.g. ``(64, 32, 10)``
    split : :class:`~alife.bridge.data.Split`
    seed : int
    epochs, lr, batch_size, weight_decay : training settings (``weight_decay``
        is the optimiser's L2 coefficient)
    optimizer : ``"sgd"`` (with ``momentum``) or ``"adam"``
    schedule : apply :func:`lr_factor` per epoch (else a constant rate)

    Returns
    -------
    the trained MLP in eval mode.
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs}, {batch_size}")
    g = torch.Generator().manual_seed(int(seed))
    model = init_params_(MLP(sizes), g)
    x, y, _, _ = split.tensors()
    opt = make_optimizer(model.parameters(), optimizer, lr, weight_decay, momentum)
    n = x.shape[0]
    model.train()
    for epoch in range(epochs):
        if schedule:
            for group in opt.param_groups:
                group["lr"] = lr * lr_factor(epoch, epochs)
        perm = torch.randperm(n, generator=g)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval()
    return model


# ------------------------------------------------------------------- evaluation
@torch.no_grad()
def _metrics(logits_of: Callable, x: torch.Tensor, y: torch.Tensor, batch_size: int | None) -> dict:
    n = x.shape[0]
    bs = n if batch_size is None else int(batch_size)
    nll = 0.0
    wrong = 0
    for start in range(0, n, bs):
        out = logits_of(x[start:start + bs])
        yb = y[start:start + bs]
        nll += float(F.cross_entropy(out, yb, reduction="sum"))
        wrong += int((out.argmax(1) != yb).sum())
    return {"loss": nll / n, "error": wrong / n}


def evaluate(model: nn.Module, x, y, batch_size: int | None = None, params: dict | None = None) -> dict:
    """Mean NLL (``loss``) and fraction misclassified (``error``) of ``model`` on (x, y).

    The model is evaluated in eval mode (its mode is restored afterwards);
    with ``params`` (name -> tensor) it is :func:`evaluate_params`.
    """
    if params is not None:
        return evaluate_params(model, params, x, y, batch_size)
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    was = model.training
    model.eval()
    try:
        return _metrics(model, x, y, batch_size)
    finally:
        model.train(was)


def evaluate_params(model: nn.Module, params: dict, x, y, batch_size: int | None = None) -> dict:
    """:func:`evaluate` for the parameters ``params`` (name -> tensor) put into
    ``model`` by ``torch.func.functional_call``; buffers come from ``model``."""
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    was = model.training
    model.eval()
    try:
        return _metrics(lambda xb: functional_call(model, params, (xb,)), x, y, batch_size)
    finally:
        model.train(was)


# ------------------------------------------------------------------ checkpoints
def architecture(model: nn.Module) -> dict:
    """A JSON-able description of ``model``'s architecture.

    ``MLP``: class and sizes; ``HNCAModel``: class, the spec's fields and the
    development steps; any other module: class and the shape of every named
    parameter and buffer.
    """
    if isinstance(model, MLP):
        return {"class": "MLP", "sizes": list(model.sizes)}
    if isinstance(model, HNCAModel):
        spec = model.spec.to_dict()
        if spec.get("seed_cell") is not None:
            spec["seed_cell"] = list(spec["seed_cell"])
        return {"class": "HNCAModel", "spec": spec, "steps": int(model.steps)}
    shapes = {n: list(t.shape) for n, t in model.named_parameters()}
    shapes.update({n: list(t.shape) for n, t in model.named_buffers()})
    return {"class": type(model).__name__, "shapes": shapes}


def _describe(arch: dict) -> str:
    if arch["class"] == "MLP":
        return f"MLP(sizes={tuple(arch['sizes'])})"
    if arch["class"] == "HNCAModel":
        s = arch["spec"]
        return (f"HNCAModel(levels={s['levels']}, base_size={s['base_size']}, "
                f"channels={s['channels']}, hidden={s['hidden']}, steps={arch['steps']})")
    return f"{arch['class']}({len(arch.get('shapes', {}))} tensors)"


def build_model(arch: dict) -> nn.Module:
    """The module that :func:`architecture` described (MLP or HNCAModel only)."""
    if arch["class"] == "MLP":
        return MLP(tuple(arch["sizes"]))
    if arch["class"] == "HNCAModel":
        from ..nca import HNCASpec
        spec = dict(arch["spec"])
        if spec.get("seed_cell") is not None:
            spec["seed_cell"] = tuple(spec["seed_cell"])
        return HNCAModel(HNCASpec(**spec), steps=arch["steps"])
    raise ValueError(f"cannot rebuild a {arch['class']} from a checkpoint; pass the model "
                     f"(or a factory) to load_checkpoint(path, model)")


def save_checkpoint(path, model: nn.Module, meta: dict | None = None, *, force: bool = False):
    """Write ``model`` to ``path`` (HDF5, kind ``"checkpoint"``).

    Stored: attribute ``architecture`` (JSON of :func:`architecture`),
    attribute ``meta`` (JSON of ``meta``: seeds, training settings, ...),
    arrays ``params/<name>`` and ``buffers/<name>`` for every named parameter
    and buffer.  An existing file is replaced only with ``force=True``.
    """
    from ..store import write_results
    arrays = {f"params/{n}": t.detach().cpu().numpy() for n, t in model.named_parameters()}
    arrays.update({f"buffers/{n}": t.detach().cpu().numpy() for n, t in model.named_buffers()})
    attrs = {"architecture": json.dumps(architecture(model), sort_keys=True),
             "meta": json.dumps(meta or {}, sort_keys=True, default=str)}
    return write_results(path, CHECKPOINT_KIND, attrs, arrays, force=force)


def load_checkpoint(path, model=None):
    """Read a checkpoint written by :func:`save_checkpoint`: ``(model, meta)``.

    Parameters
    ----------
    path : the checkpoint file
    model : None (build the stored architecture: MLP or HNCAModel), an
        ``nn.Module`` (the expected architecture; the weights are loaded into
        it) or a callable returning one (a factory).

    Raises
    ------
    ValueError (one line) when the stored architecture differs from the
    expected one, naming both and the fix.
    """
    from ..store import read_results
    attrs, arrays = read_results(path, CHECKPOINT_KIND)
    arch = json.loads(attrs["architecture"])
    meta = json.loads(attrs.get("meta", "{}"))
    if model is None:
        model = build_model(arch)
    elif not isinstance(model, nn.Module):
        model = model()
    expected = architecture(model)
    fix = ("call load_checkpoint(path) without a model to rebuild the stored architecture, "
           "or build the model with the checkpoint's architecture")
    if (expected["class"] != arch["class"] or expected["class"] in ("MLP", "HNCAModel")):
        if expected != arch:
            raise ValueError(f"checkpoint {path} holds {_describe(arch)} but the expected model "
                             f"is {_describe(expected)}; {fix}")
    stored = {k.split("/", 1)[1]: v for k, v in arrays.items()
              if k.startswith(("params/", "buffers/"))}
    own = dict(model.named_parameters())
    own.update(dict(model.named_buffers()))
    if set(own) != set(stored):
        missing = sorted(set(own) - set(stored))[:3]
        extra = sorted(set(stored) - set(own))[:3]
        raise ValueError(f"checkpoint {path} ({_describe(arch)}) does not fit "
                         f"{_describe(expected)}: missing {missing}, unexpected {extra}; {fix}")
    for name, t in own.items():
        a = np.asarray(stored[name])
        if tuple(a.shape) != tuple(t.shape):
            raise ValueError(f"checkpoint {path}: {name} has shape {tuple(a.shape)} but the "
                             f"model's is {tuple(t.shape)}; {fix}")
    with torch.no_grad():
        for name, t in own.items():
            t.copy_(torch.as_tensor(np.asarray(stored[name])).to(t.dtype))
    model.eval()
    return model, meta
