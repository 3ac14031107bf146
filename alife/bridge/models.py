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
  ``forward()`` develops it and returns the final level states.
"""
from __future__ import annotations

import torch
from torch import nn

from ..nca import HNCASpec
from ..nca.torch_twin import TorchHNCA


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


class HNCAModel(nn.Module):
    """An HNCA genome as a trainable module.

    Parameters
    ----------
    spec : HNCASpec
    genome : optional (n_genes,) array or tensor; default
        ``spec.random_genomes(1, seed)[0]``
    seed : int, for the default genome
    steps : optional development steps (default ``spec.steps``)
    """

    def __init__(self, spec: HNCASpec, genome=None, seed: int = 0, steps: int | None = None):
        super().__init__()
        self.spec = spec
        self.steps = spec.steps if steps is None else int(steps)
        g = spec.random_genomes(1, seed=seed)[0] if genome is None else genome
        g = torch.as_tensor(g, dtype=torch.float32).reshape(-1).clone()
        if g.numel() != spec.n_genes:
            raise ValueError(f"genome has {g.numel()} genes, the spec needs {spec.n_genes}")
        self.genome = nn.Parameter(g)
        self.twin = TorchHNCA(spec)

    def forward(self) -> list[torch.Tensor]:
        """Final states of every level: list of (1, N_l, N_l, C) tensors."""
        return self.twin(self.genome[None], steps=self.steps)

    def output(self) -> torch.Tensor:
        """Channel 0 of the output level after development, (N, N)."""
        return self.forward()[self.spec.output_level][0, ..., 0]
