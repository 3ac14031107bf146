"""Models of the bridge, as plain ``torch.nn.Module`` s with named parameters.

Paths, alignment and ensembles work on any module through
``torch.func.functional_call`` and ``named_parameters()``; the two concrete
models are:

* :class:`MLP` — ``Linear -> ReLU -> ... -> Linear`` (logits), parameters
  ``layers.{i}.weight`` / ``layers.{i}.bias`` for ``i = 0, 2, 4, ...``
  (``nn.Sequential`` indices; ReLUs sit at the odd indices).
* :class:`HNCAModel` — the HNCA torch twin (:class:`alife.nca.torch_twin.TorchHNCA`)
  with its flat genome as the single parameter ``genome`` (length
  ``spec.n_genes``, the layout of :class:`alife.nca.spec.GenomeLayout`);
  ``forward()`` develops it and returns the final level states.  With
  ``surrogate="straight_through"`` or ``"leaky"`` the rectified sigmoid of a
  Bielawski-type rule keeps its exact value but gets a non-zero gradient
  where it outputs 0 (:class:`SurrogateTwin`), so such a rule can be trained.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..nca import HNCASpec
from ..nca.torch_twin import TorchHNCA

#: Gradient surrogates of the rectified sigmoid (None: the exact, zero gradient).
SURROGATES = ("straight_through", "leaky")


class MLP(nn.Module):
    """A ReLU multilayer perceptron returning logits.

    Parameters
    ----------
    sizes : sequence of int, layer widths from input to output, e.g.
        ``(64, 32, 10)`` for 64 inputs, one hidden layer of 32, 10 classes
    """

    def __init__(self, sizes=(64, 32, 10)):
        super().__init__()
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"MLP sizes must be >= 2 positive widths, got {sizes}")
        self.sizes = sizes
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Post-ReLU activations of every hidden layer (for CKA), then the logits."""
        out = []
        for layer in self.layers:
            x = layer(x)
            if isinstance(layer, nn.ReLU):
                out.append(x)
        out.append(x)
        return out


class _RectifiedSigmoidSurrogate(torch.autograd.Function):
    """Forward: exactly ``0 if y <= 0 else sigmoid(y)`` (the twin's own ops).
    Backward: ``sigmoid'(y)`` where ``y > 0`` and ``leak * sigmoid'(y)`` where
    ``y <= 0`` (``leak = 1``: straight through the rectification)."""

    @staticmethod
    def forward(ctx, y, leak):
        ctx.save_for_backward(y)
        ctx.leak = float(leak)
        return torch.sigmoid(F.threshold(y, 0.0, float("-inf")))

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        s = torch.sigmoid(y)
        d = s * (1 - s)
        d = torch.where(y > 0, d, d * ctx.leak)
        return grad * d, None


def surrogate_leak(surrogate: str | None, leak: float = 0.1) -> float | None:
    """The slope factor of a surrogate where the rectified sigmoid is 0:
    None for no surrogate, 1 for ``straight_through``, ``leak`` (in (0, 1])
    for ``leaky``; ValueError (one line) for anything else."""
    if surrogate is None:
        return None
    if surrogate not in SURROGATES:
        raise ValueError(f"unknown surrogate {surrogate!r}; choose one of "
                         f"{', '.join(SURROGATES)} (or None)")
    if surrogate == "straight_through":
        return 1.0
    if not (isinstance(leak, (int, float)) and 0 < leak <= 1):
        raise ValueError(f"leak must be a number in (0, 1], got {leak!r}")
    return float(leak)


class SurrogateTwin(TorchHNCA):
    """The HNCA torch twin whose rectified sigmoid has a surrogate gradient.

    The states it computes are bit for bit those of
    :class:`~alife.nca.torch_twin.TorchHNCA` (the forward pass runs the same
    operations); only the backward pass differs: where the pre-activation
    ``y <= 0`` the rectified sigmoid's gradient, exactly 0, is replaced by
    ``leak * sigmoid'(y)``, and where ``y > 0`` it is ``sigmoid'(y)`` as
    before.  ``leak = 1`` is the straight-through estimator (the gradient of
    a plain sigmoid); ``leak < 1`` a leaky one.  Other activations are
    untouched.

    Parameters
    ----------
    spec : HNCASpec
    leak : float in (0, 1]
    chunk : see :class:`~alife.nca.torch_twin.TorchHNCA`
    """

    def __init__(self, spec: HNCASpec, leak: float = 1.0, chunk: int | None = None):
        super().__init__(spec, chunk=chunk)
        if not (isinstance(leak, (int, float)) and 0 < leak <= 1):
            raise ValueError(f"leak must be a number in (0, 1], got {leak!r}")
        self.leak = float(leak)

    def _activate(self, name: str, y: torch.Tensor, inplace: bool) -> torch.Tensor:
        if name == "rectified_sigmoid" and torch.is_grad_enabled() and y.requires_grad:
            return _RectifiedSigmoidSurrogate.apply(y, self.leak)
        return super()._activate(name, y, inplace)


class HNCAModel(nn.Module):
    """An HNCA genome as a trainable module.

    Parameters
    ----------
    spec : HNCASpec
    genome : optional (n_genes,) array or tensor; default
        ``spec.random_genomes(1, seed)[0]``
    seed : int, for the default genome
    steps : optional development steps (default ``spec.steps``)
    surrogate : None (exact gradients), ``"straight_through"`` or ``"leaky"``:
        the gradient of the rectified sigmoid where it is 0
        (:class:`SurrogateTwin`); the developed states are the same
    leak : float in (0, 1], the slope factor of ``"leaky"``
    """

    def __init__(self, spec: HNCASpec, genome=None, seed: int = 0, steps: int | None = None,
                 surrogate: str | None = None, leak: float = 0.1):
        super().__init__()
        self.spec = spec
        self.steps = spec.steps if steps is None else int(steps)
        g = spec.random_genomes(1, seed=seed)[0] if genome is None else genome
        g = torch.as_tensor(g, dtype=torch.float32).reshape(-1).clone()
        if g.numel() != spec.n_genes:
            raise ValueError(f"genome has {g.numel()} genes, the spec needs {spec.n_genes}")
        self.genome = nn.Parameter(g)
        factor = surrogate_leak(surrogate, leak)
        self.surrogate = surrogate
        self.twin = TorchHNCA(spec) if factor is None else SurrogateTwin(spec, leak=factor)

    def forward(self) -> list[torch.Tensor]:
        """Final states of every level: list of (1, N_l, N_l, C) tensors."""
        return self.twin(self.genome[None], steps=self.steps)

    def output(self) -> torch.Tensor:
        """Channel 0 of the output level after development, (N, N)."""
        return self.forward()[self.spec.output_level][0, ..., 0]
