"""The MLP width sweep on digits: one cell = one disjoint pair of nets.

:func:`mlp_pair_cell` is a cell function for :func:`alife.sweep.run_sweep`.
Cell parameters: ``width`` (hidden units per layer), ``depth`` (hidden
layers, 1 or 2) and ``pair`` (replicate index).  It trains two nets A and B
of sizes ``64 - width (- width) - 10`` from two seeds of the cell's own
stream (so pairs never share a net), and measures, on that one pair:

* **endpoints** — train/test loss and error of A and B; test and training
  disagreement (fraction of inputs whose argmax differs);
* **phenotype** — the exact, discrete phenotype of a net is its argmax
  prediction on the *training* set (1,347 digits).  ``same_phenotype``
  says whether A and B share it exactly (they do when both fit every
  training label);
* **paths** — ``line`` (straight line A→B), ``matched`` (straight line A→π(B)
  after weight matching, :func:`alife.bridge.align.weight_matching`,
  Ainsworth et al. 2023) and ``bezier`` (a one-bend Bezier curve A→B trained
  as Garipov et al. 2018); each evaluated at ``n_points`` t: barriers of
  the train/test loss/error by Frankle et al.'s definition ``max L(t) −
  (L(0)+L(1))/2`` (``*_barrier``) and Entezari et al.'s ``max [L(t) −
  ((1−t)L(0) + tL(1))]`` (``*_barrier_ez``), and three neutrality
  fractions of the path's points: ``*_kept`` (the exact phenotype: training
  argmax equal to the endpoints' shared one; NaN when they do not share
  one), ``*_fit_kept`` (fitness-neutral: training error no higher than the
  worse endpoint's) and ``*_test_fit_kept`` (test error within 1 point of
  the worse endpoint: the fitness-neutral definition of earlier tables);
* **representations** — linear CKA of every hidden layer between A and B on
  the test inputs (``cka_h1``, ``cka_h2``), and its null: the CKA of the
  same two nets at their random initialisation (``cka_init_h1``, ...);
* **robustness** (child table ``robustness``) — r(s) of each endpoint under
  kernel (i) (resample a fraction s of the weights from their
  initialisation law) and kernel (ii) (Gaussian noise of s × each tensor's
  RMS), phenotype = training-set argmax
  (:func:`alife.neutral.robustness_curves.robustness_curve`); the main row
  holds s50 of each (``sigma50_*``, ``f50_*``) and r under one-site
  resampling (``r_single_*``).

Every random stream comes from the cell's SeedSequence; torch runs on one
thread, so a cell gives the same bits in any process.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from ..neutral.robustness_curves import Block, RMSNoise, SiteResample, robustness_curve, strength_50
from ..sweep.settings import merge_settings
from .align import permute_mlp, weight_matching
from .data import digits_split
from .evaluate_path import evaluate_path
from .models import MLP
from .paths import BezierPath, LinearPath, model_params, train_curve
from .similarity import layer_cka
from .train import evaluate, init_params_, train_mlp

__all__ = ["SETTINGS", "QUICK_SETTINGS", "check_settings", "mlp_sizes", "mlp_blocks",
           "prediction_phenotypes", "mlp_pair_cell", "PATHS"]

#: Settings of the full sweep (every key documented in :func:`check_settings`).
SETTINGS = {
    "test_fraction": 0.25, "split_seed": 0,
    "epochs": 120, "lr": 0.05, "batch_size": 32, "weight_decay": 1e-4, "momentum": 0.9,
    "optimizer": "sgd", "schedule": True,
    "curve_epochs": 120, "curve_lr": 0.05,
    "n_points": 61,
    "robust_n": 100,
    "rms_sigmas": [0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0],
    "resample_fractions": [1e-3, 3e-3, 6e-3, 1e-2, 1 / 51, 3e-2, 5e-2, 1 / 12, 0.3],
}

#: A small version for tests and ``--quick`` (seconds per cell).
QUICK_SETTINGS = {**SETTINGS, "epochs": 4, "curve_epochs": 2, "n_points": 11, "robust_n": 10,
                  "rms_sigmas": [0.01, 0.3], "resample_fractions": [0.01, 1.0]}

#: Path kinds measured on every pair.
PATHS = ("line", "matched", "bezier")


def check_settings(settings: dict) -> dict:
    """The settings merged over :data:`SETTINGS`, checked (ValueError, one line).

    Keys: ``test_fraction``, ``split_seed`` (the digits split); ``epochs``,
    ``lr``, ``batch_size``, ``weight_decay``, ``momentum``, ``optimizer``
    ("sgd" | "adam"), ``schedule`` (Garipov's schedule) — the training of
    every net, the same for every width; ``curve_epochs``, ``curve_lr`` —
    the Bezier curve (batch size, weight decay and optimiser as training);
    ``n_points`` — t per path; ``robust_n`` — mutants per strength;
    ``rms_sigmas`` — kernel (ii) strengths; ``resample_fractions`` — kernel
    (i) strengths (one-site resampling is always added).
    """
    s = merge_settings(settings, SETTINGS,
                       counts=("epochs", "batch_size", "curve_epochs", "n_points", "robust_n"),
                       increasing=("rms_sigmas", "resample_fractions"))
    if s["optimizer"] not in ("sgd", "adam"):
        raise ValueError(f"setting optimizer must be 'sgd' or 'adam', got {s['optimizer']!r}")
    return s


def mlp_sizes(width: int, depth: int) -> tuple:
    """Layer sizes of the digits MLP: ``(64, width, ..., width, 10)``."""
    if not isinstance(width, int) or width < 1 or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"width and depth must be integers >= 1, got {width!r}, {depth!r}")
    return (64,) + (width,) * depth + (10,)


def mlp_blocks(model: nn.Module) -> list[Block]:
    """One :class:`~alife.neutral.robustness_curves.Block` per parameter tensor,
    in ``parameters()`` order, with PyTorch's initialisation law of a Linear
    layer, U(−1/√fan_in, 1/√fan_in), for its weight and its bias."""
    fan_in = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.Linear):
            fan_in[f"{name}.weight"] = fan_in[f"{name}.bias"] = m.in_features
    blocks, pos = [], 0
    for name, p in model.named_parameters():
        if name not in fan_in:
            raise ValueError(f"parameter {name!r} is not part of a Linear layer")
        bound = 1.0 / math.sqrt(fan_in[name])
        blocks.append(Block(name, pos, pos + p.numel(), -bound, bound))
        pos += p.numel()
    return blocks


def prediction_phenotypes(model: nn.Module, x):
    """A phenotype function for :func:`~alife.neutral.robustness_curves.robustness_curve`:
    flat parameter vectors (m, L) -> argmax predictions on ``x``, (m, n) int64
    (a row of -1 where an output is not finite)."""
    x = torch.as_tensor(x).float()
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [p.numel() for _, p in model.named_parameters()]

    @torch.no_grad()
    def phenotypes(genomes) -> np.ndarray:
        g = torch.from_numpy(np.ascontiguousarray(np.asarray(genomes, dtype=np.float32)))
        out = np.empty((g.shape[0], x.shape[0]), np.int64)
        for i in range(g.shape[0]):
            params, k = {}, 0
            for n, shp, size in zip(names, shapes, sizes):
                params[n] = g[i, k:k + size].reshape(shp)
                k += size
            logits = functional_call(model, params, (x,))
            out[i] = -1 if not bool(torch.isfinite(logits).all()) else logits.argmax(1).numpy()
        return out
    return phenotypes


@functools.lru_cache(maxsize=4)
def _split(test_fraction: float, split_seed: int):
    return digits_split(test_fraction, split_seed)


def _argmax(template, params, x) -> np.ndarray:
    with torch.no_grad():
        return functional_call(template, params, (x,)).argmax(1).numpy()


def _path_row(kind, path, template, data, ends, s) -> dict:
    """Barriers and neutrality fractions of one path (module docstring)."""
    (xtr, ytr), (xte, yte) = data
    r = evaluate_path(path, template, (xtr, ytr), (xte, yte), n_points=s["n_points"])
    row = {}
    for prof in ("train_loss", "train_error", "test_loss", "test_error"):
        row[f"{kind}_{prof}_barrier"] = r[f"{prof}_barrier"]
        row[f"{kind}_{prof}_barrier_ez"] = r[f"{prof}_barrier_entezari"]
    pheno = np.stack([_argmax(template, path.params(float(t)), xtr) for t in r["t"]])
    shared = ends["phenotype"]
    row[f"{kind}_kept"] = (float(np.mean((pheno == shared[None]).all(axis=1)))
                           if shared is not None else float("nan"))
    row[f"{kind}_fit_kept"] = float(np.mean(r["train_error"] <= ends["worst_train_error"]))
    row[f"{kind}_test_fit_kept"] = float(np.mean(r["test_error"] <= ends["worst_test_error"] + 0.01))
    row[f"{kind}_length_ratio"] = path.length() / max(path.distance(), 1e-30)
    return row


def _endpoints(a, b, data) -> tuple[dict, dict]:
    """Endpoint columns, and what the path rows need (shared phenotype, worst errors)."""
    (xtr, ytr), (xte, yte) = data
    row = {}
    for name, m in (("a", a), ("b", b)):
        for split, (x, y) in (("train", (xtr, ytr)), ("test", (xte, yte))):
            ev = evaluate(m, x, y)
            row[f"{split}_loss_{name}"], row[f"{split}_error_{name}"] = ev["loss"], ev["error"]
    with torch.no_grad():
        pa, pb = a(xtr).argmax(1).numpy(), b(xtr).argmax(1).numpy()
        ta, tb = a(xte).argmax(1).numpy(), b(xte).argmax(1).numpy()
    row["same_phenotype"] = bool(np.array_equal(pa, pb))
    row["train_disagreement"] = float(np.mean(pa != pb))
    row["test_disagreement"] = float(np.mean(ta != tb))
    ends = {"phenotype": pa if row["same_phenotype"] else None,
            "worst_train_error": max(row["train_error_a"], row["train_error_b"]),
            "worst_test_error": max(row["test_error_a"], row["test_error_b"])}
    return row, ends


def _robustness(model, x, seeds, s, tag) -> tuple[dict, list]:
    """r(s) of one endpoint under both kernels: summary columns, curve rows."""
    genome = nn.utils.parameters_to_vector(model.parameters()).detach().numpy().astype(np.float32)
    blocks = mlp_blocks(model)
    fn = prediction_phenotypes(model, x)
    L = genome.size
    single = 1.0 / L
    fracs = sorted(set([single] + [float(f) for f in s["resample_fractions"]]))
    row, rows = {}, []
    for kernel, strengths, seed, col in (
            (SiteResample(blocks), fracs, seeds[0], "f50"),
            (RMSNoise(blocks), [float(v) for v in s["rms_sigmas"]], seeds[1], "sigma50")):
        curve = robustness_curve(fn, genome, kernel, strengths, s["robust_n"], seed)
        for c in curve:
            c["endpoint"] = tag
            c["single_site"] = bool(kernel.name == "resample" and c["strength"] == single)
        rows += curve
        s50, status = strength_50([c["strength"] for c in curve], [c["r"] for c in curve])
        row[f"{col}_{tag}"], row[f"{col}_{tag}_status"] = s50, status
        if kernel.name == "resample":
            row[f"r_single_{tag}"] = next(c["r"] for c in curve if c["single_site"])
    return row, rows


def _cka(a, b, sizes, seeds, x) -> dict:
    """CKA of every hidden layer between the trained nets and between their initialisations."""
    a0 = init_params_(MLP(sizes), torch.Generator().manual_seed(seeds[0]))
    b0 = init_params_(MLP(sizes), torch.Generator().manual_seed(seeds[1]))
    row = {}
    trained, init = layer_cka(a, b, x), layer_cka(a0, b0, x)
    for layer in range(2):
        row[f"cka_h{layer + 1}"] = trained[layer] if layer < len(trained) else None
        row[f"cka_init_h{layer + 1}"] = init[layer] if layer < len(init) else None
    return row


def mlp_pair_cell(params: dict, seed: np.random.SeedSequence, settings: dict) -> dict:
    """One disjoint pair of digits MLPs, every measure of the module docstring.

    Parameters
    ----------
    params : ``{"width": int, "depth": int, "pair": int}``
    seed : the cell's SeedSequence (:func:`alife.sweep.cell_seed`)
    settings : see :func:`check_settings` (missing keys take the defaults)

    Returns
    -------
    dict: one row of scalars (``n_params``, endpoint, path, CKA and robustness
    columns) with the child table ``robustness`` (one row per endpoint,
    kernel and strength).
    """
    s = check_settings(settings)
    sizes = mlp_sizes(params["width"], params["depth"])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _pair(sizes, seed, s)
    finally:
        torch.set_num_threads(threads)


def _pair(sizes, seed, s) -> dict:
    split = _split(float(s["test_fraction"]), int(s["split_seed"]))
    xtr, ytr, xte, yte = split.tensors()
    data = ((xtr, ytr), (xte, yte))
    sa, sb, sm, sc, ra1, ra2, rb1, rb2 = (int(v) for v in seed.generate_state(8))
    kw = {k: s[k] for k in ("epochs", "lr", "batch_size", "weight_decay", "optimizer",
                            "momentum", "schedule")}
    a = train_mlp(sizes, split, seed=sa, **kw)
    b = train_mlp(sizes, split, seed=sb, **kw)
    row = {"n_params": int(sum(p.numel() for p in a.parameters()))}
    ends_row, ends = _endpoints(a, b, data)
    row.update(ends_row)
    perms, info = weight_matching(a, b, seed=sm, return_info=True)
    b_matched = permute_mlp(b, perms)
    pa, pb, pbm = model_params(a), model_params(b), model_params(b_matched)
    row.update({"wm_sweeps": int(info["sweeps"]), "wm_converged": bool(info["converged"])})
    template = MLP(sizes)
    curve = BezierPath(template, pa, pb, n_bends=1)
    loss_fn = _nll(template)
    train_curve(curve, loss_fn, (xtr, ytr), epochs=s["curve_epochs"], lr=s["curve_lr"],
                weight_decay=s["weight_decay"], seed=sc, batch_size=s["batch_size"],
                optimizer=s["optimizer"], momentum=s["momentum"], schedule=s["schedule"])
    paths = {"line": LinearPath(template, pa, pb), "matched": LinearPath(template, pa, pbm),
             "bezier": curve}
    for kind in PATHS:
        row.update(_path_row(kind, paths[kind], template, data, ends, s))
    row["distance"] = paths["line"].distance()
    row["distance_matched"] = paths["matched"].distance()
    row.update(_cka(a, b, sizes, (sa, sb), xte))
    curves = []
    for tag, model, seeds in (("a", a, (ra1, ra2)), ("b", b, (rb1, rb2))):
        r_row, r_rows = _robustness(model, xtr, seeds, s, tag)
        row.update(r_row)
        curves += r_rows
    row["robustness"] = curves
    return row


def _nll(template):
    def loss_fn(params, batch):
        x, y = batch
        return F.cross_entropy(functional_call(template, params, (x,)), y)
    return loss_fn
