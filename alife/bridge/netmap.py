"""Trained neural nets as genotype–phenotype maps.

The same words on both sides of the bridge:

* a **genotype** is a flat parameter vector of a model, in the order of
  ``torch.nn.utils.parameters_to_vector(model.parameters())``;
* its **phenotype** is the net's discretised function: the argmax
  predictions on a fixed probe set, as a stable id (:func:`prediction_id`:
  :func:`alife.gpmap.base.label_id` of the hex of the int16 prediction bytes);
* its **neighbourhood** is ``m`` Gaussian perturbations of the whole vector,
  ``N(0, sigma^2)`` per weight (:class:`GaussianSpace`), so that Wagner's
  r(g) and e(g) (:func:`net_robustness`, or :func:`alife.neutral.sample_bfs`
  + :func:`alife.neutral.sampled_measures`) become "the fraction of
  random weight perturbations of size sigma that keep the function" and "the
  number of distinct other functions among them".

Evaluation is batched: a chunk of parameter vectors is unflattened into
batched parameter dicts and run through ``torch.vmap`` over
``torch.func.functional_call`` (no per-genotype Python loop).  This module
imports torch, so it lives in :mod:`alife.bridge`; importing it registers
:class:`NetMap` as map kind ``"net"`` of :func:`alife.gpmap.make`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from alife.gpmap.base import GPMap, is_int, label_id, real_genotypes
from alife.gpmap.registry import register

__all__ = ["GaussianSpace", "NetMap", "net_robustness", "prediction_id", "model_vector"]


def prediction_id(pred) -> int:
    """Stable id of one prediction vector (ints < 2**15): the BLAKE2b label id
    of the hex of its little-endian int16 bytes."""
    a = np.ascontiguousarray(np.asarray(pred), dtype="<i2")
    return label_id(a.tobytes().hex())


def model_vector(model: nn.Module) -> np.ndarray:
    """The model's parameters as one flat float32 genotype."""
    return nn.utils.parameters_to_vector(model.parameters()).detach().cpu().numpy().astype(
        np.float32)


@dataclass(frozen=True)
class GaussianSpace:
    """``L`` real genes (unbounded) whose neighbourhood is ``m`` isotropic
    Gaussian perturbations of the whole vector, ``sigma`` per gene.

    Same interface as :class:`~alife.gpmap.base.ContinuousSpace`
    (``discrete = False``, ``L``, ``n_neighbours``, ``check``,
    ``neighbours(g, rng)``, ``mutate(g, rng)``, ``random(n, rng)``), so
    :func:`alife.neutral.sample_bfs` and
    :func:`~alife.neutral.sampled_measures` run on it unchanged.
    Neutral walks use :meth:`mutate` (the same Gaussian kernel, one mutant
    per walker).  ``low``/``high`` (default ``-1``, ``1``) are only used by
    the detours of the guided :func:`~alife.neutral.neutral_path`
    (which resample one gene uniformly) and by :meth:`random`.

    Parameters
    ----------
    L : int, number of genes
    sigma : float >= 0, perturbation standard deviation per gene
    m : int >= 1, perturbations per neighbourhood
    """

    L: int
    sigma: float
    m: int = 16
    low: float = -1.0
    high: float = 1.0

    discrete = False

    def __post_init__(self):
        if not is_int(self.L) or self.L < 1:
            raise ValueError(f"number of genes L must be an integer >= 1, got {self.L!r}")
        if not is_int(self.m) or self.m < 1:
            raise ValueError(f"perturbations m must be an integer >= 1, got {self.m!r}")
        if not (np.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError(f"sigma must be a finite number >= 0, got {self.sigma!r}")

    @property
    def n_neighbours(self) -> int:
        return int(self.m)

    def check(self, genotypes) -> np.ndarray:
        return real_genotypes(genotypes, self.L)

    def neighbours(self, genotypes, rng: np.random.Generator) -> np.ndarray:
        """(n, m, L) float32: ``g + sigma * z``, z standard normal from ``rng``."""
        g = self.check(genotypes)
        z = rng.standard_normal((g.shape[0], self.m, self.L), dtype=np.float32)
        return (g[:, None, :] + np.float32(self.sigma) * z).astype(np.float32)

    def mutate(self, genotypes, rng: np.random.Generator) -> np.ndarray:
        """One random mutant per row, ``g + sigma * z`` (the kernel neutral
        walks use on this space)."""
        g = self.check(genotypes)
        z = rng.standard_normal(g.shape, dtype=np.float32)
        return (g + np.float32(self.sigma) * z).astype(np.float32)

    def random(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(self.low, self.high, (int(n), self.L)).astype(np.float32)


class NetMap(GPMap):
    """GP map of a model: parameter vectors -> ids of argmax predictions on ``probe_x``.

    Parameters
    ----------
    model : nn.Module, the template (architecture and buffers; its own
        parameters are not changed); its output's last axis holds class scores
    probe_x : (n, ...) array or tensor, the fixed probe inputs
    sigma, m : the :class:`GaussianSpace` neighbourhood
    chunk : parameter vectors evaluated per vmap call
    low, high : range of :meth:`GaussianSpace.random` / single-gene resamples

    Notes
    -----
    Every defined genotype has a phenotype (no ``-1``), except non-finite
    outputs, which map to ``-1``.  :meth:`predictions` gives the raw argmax
    arrays; :attr:`labels` remembers them by id for :meth:`label`.
    """

    def __init__(self, model: nn.Module, probe_x, *, sigma: float = 0.01, m: int = 16,
                 chunk: int = 256, low: float = -1.0, high: float = 1.0):
        super().__init__()
        self.model = model
        self.names = [n for n, _ in model.named_parameters()]
        self.shapes = [tuple(p.shape) for _, p in model.named_parameters()]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        L = int(sum(self.sizes))
        self.space = GaussianSpace(L, float(sigma), int(m), float(low), float(high))
        self.probe_x = torch.as_tensor(np.asarray(probe_x) if not isinstance(probe_x, torch.Tensor)
                                       else probe_x).float()
        self.buffers = {n: b for n, b in model.named_buffers()}
        if int(chunk) < 1:
            raise ValueError(f"chunk must be >= 1, got {chunk}")
        self.chunk = int(chunk)
        self.labels: dict[int, np.ndarray] = {}
        self.name = f"net-{type(model).__name__}-{L}params"

    def genotype(self, model: nn.Module | None = None) -> np.ndarray:
        """The flat genotype of ``model`` (default: the template)."""
        return model_vector(self.model if model is None else model)

    def _unflatten(self, flat: torch.Tensor) -> dict:
        """(B, L) -> dict name -> (B, *shape)."""
        out, start = {}, 0
        for n, s, k in zip(self.names, self.shapes, self.sizes):
            out[n] = flat[:, start:start + k].reshape((flat.shape[0],) + s)
            start += k
        return out

    @torch.no_grad()
    def predictions(self, genotypes) -> np.ndarray:
        """(n, n_probe) int64 argmax predictions (-1 rows where an output is non-finite)."""
        g = self.space.check(genotypes)
        x = self.probe_x
        bufs = self.buffers

        def one(params):
            return functional_call(self.model, (params, bufs), (x,))

        batched = torch.vmap(one)
        was = self.model.training
        self.model.eval()
        try:
            out = np.empty((g.shape[0], x.shape[0]), np.int64)
            for a in range(0, g.shape[0], self.chunk):
                flat = torch.from_numpy(np.ascontiguousarray(g[a:a + self.chunk]))
                logits = batched(self._unflatten(flat))
                pred = logits.argmax(-1)
                bad = ~torch.isfinite(logits).reshape(logits.shape[0], -1).all(1)
                pred[bad] = -1
                out[a:a + flat.shape[0]] = pred.numpy()
        finally:
            self.model.train(was)
        return out

    def _phenotypes(self, genotypes: np.ndarray) -> np.ndarray:
        pred = self.predictions(genotypes)
        ids = np.empty(pred.shape[0], np.int64)
        for i, row in enumerate(pred):
            if row.size and row[0] < 0:
                ids[i] = -1
                continue
            pid = prediction_id(row)
            ids[i] = pid
            if pid not in self.labels and len(self.labels) < 100_000:
                self.labels[pid] = row.copy()
        return ids

    def label(self, pid: int) -> str:
        row = self.labels.get(int(pid))
        return str(int(pid)) if row is None else "".join(map(str, row.tolist()))


register("net", NetMap)


def net_robustness(model: nn.Module, probe_x, sigma: float, n: int,
                   rng: np.random.Generator, genotype=None, chunk: int = 256) -> dict:
    """Wagner's r(g) and e(g) of a net under Gaussian weight perturbations.

    Draws ``n`` perturbations ``g + sigma z`` of the model's parameter vector
    (or of ``genotype``) and returns ``robustness``: the fraction whose
    argmax predictions on ``probe_x`` equal the unperturbed net's (the
    phenotype is kept), ``evolvability``: the number of distinct other
    phenotypes among them, ``n``, ``sigma``, and ``agreement``: the mean
    fraction of probe predictions kept (a graded version of robustness).
    """
    nm = NetMap(model, probe_x, sigma=sigma, m=int(n), chunk=chunk)
    g0 = nm.genotype() if genotype is None else nm.space.check(genotype)[0]
    p0 = nm.predictions(g0[None])[0]
    nb = nm.space.neighbours(g0[None], rng)[0]
    pred = nm.predictions(nb)
    same = (pred == p0[None]).all(axis=1)
    others = {row.tobytes() for row in pred[~same] if not (row.size and row[0] < 0)}
    return {"robustness": float(same.mean()) if len(same) else float("nan"),
            "evolvability": len(others), "n": int(n), "sigma": float(sigma),
            "agreement": float((pred == p0[None]).mean()) if len(same) else float("nan")}
