"""Paths between trained nets (alife.bridge.paths / evaluate_path / train).

The invariants protected here:

* every path reproduces its endpoints at t = 0 and t = 1 (outputs to 1e-6),
  for the straight line, Bezier (1 and 3 bends) and PolyChain, whatever the
  bends are; Bezier and PolyChain with bends on the straight line are the
  straight line;
* the two barrier definitions (Frankle, Entezari) and the integrated loss
  match hand computations;
* training (endpoints and curves) is a pure function of its seed;
* checkpoints round-trip every parameter and buffer, and loading into a
  different architecture raises a one-line ValueError naming both;
* paths work on the HNCA genome through functional_call and stay
  differentiable; a trained Bezier curve between two MLPs has a lower barrier
  than the straight line; batch-norm statistics are re-estimated at a path
  point; AutoNEB lowers a toy barrier.
"""
from __future__ import annotations

from pathlib import Path as FsPath

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from alife.bridge.data import digits_split
from alife.bridge.evaluate_path import (barrier, barrier_entezari, evaluate_path,
                                        integrated)
from alife.bridge.models import HNCAModel, MLP
from alife.bridge.paths import (AutoNEB, BezierPath, LinearPath, PolyChainPath,
                                model_params, recompute_bn, train_curve)
from alife.bridge.train import (evaluate, evaluate_params, load_checkpoint, save_checkpoint,
                                train_mlp)
from alife.nca import HNCASpec

torch.set_num_threads(1)
ROOT = FsPath(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def split():
    return digits_split()


def _random_mlp(sizes, seed):
    torch.manual_seed(seed)
    return MLP(sizes)


def _perturbed_bends(a, b, k, seed):
    g = torch.Generator().manual_seed(seed)
    return [{n: 0.5 * (a[n] + b[n]) + torch.randn(a[n].shape, generator=g) for n in a}
            for _ in range(k)]


# ----------------------------------------------------------------- endpoints
@pytest.mark.parametrize("kind,k", [("linear", 0), ("bezier", 1), ("bezier", 3),
                                    ("polychain", 1), ("polychain", 3)])
def test_path_reproduces_endpoints(kind, k):
    sizes = (64, 16, 10)
    ma, mb = _random_mlp(sizes, 1), _random_mlp(sizes, 2)
    a, b = model_params(ma), model_params(mb)
    template = MLP(sizes)
    if kind == "linear":
        path = LinearPath(template, a, b)
    else:
        cls = BezierPath if kind == "bezier" else PolyChainPath
        path = cls(template, a, b, n_bends=k, bends=_perturbed_bends(a, b, k, seed=3))
    x = torch.rand(20, 64)
    with torch.no_grad():
        for t, m in ((0.0, ma), (1.0, mb)):
            torch.testing.assert_close(path(x, t=t), m(x), atol=1e-6, rtol=0)
            for n, v in path.params(t).items():
                torch.testing.assert_close(v, dict(m.named_parameters())[n], atol=1e-6, rtol=0)
        if k:  # the bends really move the curve away from the line
            mid = path.params(0.5)
            line = LinearPath(template, a, b).params(0.5)
            assert max(float((mid[n] - line[n]).abs().max()) for n in mid) > 0.1


@pytest.mark.parametrize("cls,k", [(BezierPath, 1), (BezierPath, 3), (PolyChainPath, 1),
                                   (PolyChainPath, 3)])
def test_bends_on_the_line_give_the_line(cls, k):
    sizes = (8, 5, 3)
    a, b = model_params(_random_mlp(sizes, 1)), model_params(_random_mlp(sizes, 2))
    template = MLP(sizes)
    line, curve = LinearPath(template, a, b), cls(template, a, b, n_bends=k)
    for t in np.linspace(0, 1, 13):
        p, q = line.params(float(t)), curve.params(float(t))
        for n in p:
            torch.testing.assert_close(q[n].detach(), p[n], atol=1e-6, rtol=0)
    assert curve.length() == pytest.approx(line.distance(), rel=1e-4)
    t = torch.tensor(0.3, requires_grad=True)   # differentiable in t as well
    sum(v.sum() for v in curve.params(t).values()).backward()
    want = sum(float((b[n] - a[n]).sum()) for n in a)
    assert float(t.grad) == pytest.approx(want, rel=1e-4, abs=1e-4)
    assert line.length() == pytest.approx(line.distance(), rel=1e-4)


def test_bezier_one_bend_formula():
    sizes = (4, 3, 2)
    a, b = model_params(_random_mlp(sizes, 1)), model_params(_random_mlp(sizes, 2))
    bend = _perturbed_bends(a, b, 1, seed=5)
    path = BezierPath(MLP(sizes), a, b, n_bends=1, bends=bend)
    t = 0.3
    w = path.params(t)
    for n in a:
        want = (1 - t) ** 2 * a[n] + 2 * t * (1 - t) * bend[0][n] + t ** 2 * b[n]
        torch.testing.assert_close(w[n].detach(), want, atol=1e-6, rtol=0)


# ----------------------------------------------------------------- barriers
def test_barrier_definitions_on_a_hand_made_profile():
    t = np.linspace(0, 1, 5)
    L = np.array([1.0, 2.0, 4.0, 3.5, 3.0])
    assert barrier(L) == pytest.approx(4.0 - 0.5 * (1.0 + 3.0))          # 2.0
    # Entezari: L - ((1-t) 1 + t 3) = [0, 0.5, 2.0, 0.0, 0]
    assert barrier_entezari(L, t) == pytest.approx(2.0)
    L2 = np.array([0.0, 0.0, 0.0, 0.0, 4.0])  # monotone: Frankle 2, Entezari 0
    assert barrier(L2) == pytest.approx(2.0)
    assert barrier_entezari(L2, t) == pytest.approx(0.0)
    assert integrated(L, t) == pytest.approx(np.trapezoid(L, t))
    assert integrated(np.full(7, 0.25)) == pytest.approx(0.25)


# ----------------------------------------------------------------- training
def test_training_is_deterministic(split):
    kw = dict(seed=7, epochs=2, lr=0.05, batch_size=64, weight_decay=1e-4)
    m1 = train_mlp((64, 16, 10), split, **kw)
    m2 = train_mlp((64, 16, 10), split, **kw)
    m3 = train_mlp((64, 16, 10), split, **{**kw, "seed": 8})
    for (n, p), (_, q), (_, r) in zip(m1.named_parameters(), m2.named_parameters(),
                                      m3.named_parameters()):
        assert torch.equal(p, q), n
        assert not torch.equal(p, r), n
    m4 = train_mlp((64, 16, 10), split, **{**kw, "optimizer": "adam", "lr": 1e-2})
    m5 = train_mlp((64, 16, 10), split, **{**kw, "optimizer": "adam", "lr": 1e-2})
    assert all(torch.equal(p, q) for p, q in zip(m4.parameters(), m5.parameters()))
    x, y, _, _ = split.tensors()
    r1, r2 = evaluate(m1, x, y), evaluate_params(MLP((64, 16, 10)), model_params(m1), x, y)
    assert r1 == pytest.approx(r2)
    assert evaluate(MLP((64, 16, 10)), x, y, params=model_params(m1)) == pytest.approx(r1)
    assert 0.0 <= r1["error"] < 0.8 and r1["loss"] > 0  # two epochs: better than chance


def _curve_setup(split, seed_a, seed_b):
    xtr, ytr, xte, yte = split.tensors()
    kw = dict(epochs=40, lr=0.05, batch_size=32, weight_decay=1e-4)
    sizes = (64, 16, 10)
    a = model_params(train_mlp(sizes, split, seed=seed_a, **kw))
    b = model_params(train_mlp(sizes, split, seed=seed_b, **kw))
    template = MLP(sizes)

    def loss_fn(params, batch):
        x, y = batch
        return F.cross_entropy(functional_call(template, params, (x,)), y)

    return template, a, b, loss_fn, (xtr, ytr), (xte, yte)


def test_trained_bezier_beats_the_line_and_is_deterministic(split):
    template, a, b, loss_fn, train, test = _curve_setup(split, 0, 1)
    paths = []
    for _ in range(2):
        p = BezierPath(template, a, b, n_bends=1)
        hist = train_curve(p, loss_fn, train, epochs=25, lr=0.05, weight_decay=1e-4, seed=3,
                           batch_size=64)
        paths.append(p)
    assert hist["loss"][-1] < hist["loss"][0]
    assert torch.equal(paths[0].bends()[0], paths[1].bends()[0])
    # endpoints untouched by training
    for n in a:
        assert torch.equal(paths[0].params(0.0)[n].detach(), a[n])
    line = evaluate_path(LinearPath(template, a, b), template, train, test, n_points=21)
    curve = evaluate_path(paths[0], template, train, test, n_points=21)
    assert line["train_loss_barrier"] > 0.1
    assert curve["train_loss_barrier"] < 0.5 * line["train_loss_barrier"]
    assert curve["train_error_barrier"] <= line["train_error_barrier"]
    assert curve["length"] > line["length"] - 1e-3
    assert line["length"] == pytest.approx(line["distance"], rel=1e-4)
    for key in ("t", "train_loss", "train_error", "test_loss", "test_error"):
        assert len(line[key]) == 21
    assert line["train_loss"][0] == pytest.approx(evaluate_params(template, a, *train)["loss"],
                                                  rel=1e-5)
    assert curve["train_loss_integrated"] < line["train_loss_integrated"]


# --------------------------------------------------------------- checkpoints
def test_checkpoint_round_trip_and_mismatch(tmp_path, split):
    m = _random_mlp((64, 16, 10), 4)
    f = save_checkpoint(tmp_path / "a.h5", m, {"seed": 4, "epochs": 0})
    m2, meta = load_checkpoint(f)
    assert isinstance(m2, MLP) and m2.sizes == (64, 16, 10) and meta["seed"] == 4
    for (n, p), (_, q) in zip(m.named_parameters(), m2.named_parameters()):
        assert torch.equal(p, q), n
    m3, _ = load_checkpoint(f, lambda: MLP((64, 16, 10)))
    assert torch.equal(m3.layers[0].weight, m.layers[0].weight)
    with pytest.raises(ValueError) as e:
        load_checkpoint(f, MLP((64, 32, 10)))
    msg = str(e.value)
    assert "\n" not in msg and "(64, 16, 10)" in msg and "(64, 32, 10)" in msg
    spec = HNCASpec(levels=2, base_size=8, steps=3)
    with pytest.raises(ValueError, match="HNCAModel"):
        load_checkpoint(f, HNCAModel(spec))
    # HNCA and a BN model (buffers) round trip
    h = HNCAModel(spec, seed=3)
    fh = save_checkpoint(tmp_path / "h.h5", h)
    h2, _ = load_checkpoint(fh)
    assert torch.equal(h2.genome, h.genome) and h2.spec == spec
    bn = _bn_model()
    bn.eval()
    with torch.no_grad():
        bn[1].running_mean.fill_(0.5)
    fb = save_checkpoint(tmp_path / "bn.h5", bn)
    bn2, _ = load_checkpoint(fb, _bn_model(seed=9))
    assert torch.equal(bn2[1].running_mean, bn[1].running_mean)
    assert torch.equal(bn2[0].weight, bn[0].weight)
    with pytest.raises(ValueError, match="Sequential"):
        load_checkpoint(fb, MLP((6, 5, 3)))
    with pytest.raises(ValueError):
        load_checkpoint(fb, nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4), nn.ReLU(),
                                          nn.Linear(4, 3)))


# ---------------------------------------------------------------------- HNCA
def test_paths_through_hnca_genomes_are_differentiable():
    spec = HNCASpec(levels=2, base_size=8, steps=4, init_scale=0.5)
    ga, gb = spec.random_genomes(2, seed=1)
    template = HNCAModel(spec, genome=ga)
    a = {"genome": torch.as_tensor(ga)}
    b = {"genome": torch.as_tensor(gb)}
    line = LinearPath(template, a, b)
    for t in (0.0, 0.4, 1.0):
        got = functional_call(template, line.params(t), ())
        want = HNCAModel(spec, genome=(1 - t) * ga + t * gb)()
        assert len(got) == spec.levels
        for s, w in zip(got, want):
            torch.testing.assert_close(s, w, atol=1e-6, rtol=1e-5)
    t = torch.tensor(0.4, requires_grad=True)
    out = functional_call(template, line.params(t), ())
    torch.stack([s.sum() for s in out]).sum().backward()
    assert t.grad is not None and torch.isfinite(t.grad)
    curve = BezierPath(template, a, b, n_bends=1)
    out = functional_call(template, curve.params(0.5), ())
    out[0].pow(2).sum().backward()
    g = curve.bends()[0].grad
    assert g is not None and torch.isfinite(g).all() and float(g.abs().sum()) > 0


# ----------------------------------------------------------------------- BN
def _bn_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))


def test_recompute_bn_estimates_statistics_at_the_path_point():
    ma, mb = _bn_model(1), _bn_model(2)
    a, b = model_params(ma), model_params(mb)
    template = _bn_model(3)
    path = LinearPath(template, a, b)
    x = torch.randn(200, 6)
    y = torch.randint(0, 3, (200,))
    params = {n: v.detach() for n, v in path.params(0.3).items()}
    bufs = recompute_bn(template, params, [x[i:i + 64] for i in range(0, 200, 64)])
    h = F.linear(x, params["0.weight"], params["0.bias"])
    torch.testing.assert_close(template[1].running_mean, h.mean(0), atol=1e-5, rtol=1e-5)
    # per-batch variances averaged (as Garipov's update_bn): close to the full variance
    torch.testing.assert_close(template[1].running_var, h.var(0, unbiased=True),
                               atol=0.05, rtol=0.05)
    recompute_bn(template, params, [x])  # one batch: exactly the (unbiased) variance
    torch.testing.assert_close(template[1].running_var, h.var(0, unbiased=True),
                               atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(bufs["1.running_mean"], h.mean(0))
    assert template[1].momentum == 0.1
    # evaluated in eval mode with the recomputed statistics = train-mode output on all x
    template.eval()
    with torch.no_grad():
        ev = functional_call(template, params, (x,))
        template.train()
        tr = functional_call(template, params, (x,))
    torch.testing.assert_close(ev, tr, atol=1e-2, rtol=1e-2)  # unbiased vs biased variance
    r = evaluate_path(path, template, (x, y), None, n_points=5)
    assert np.isfinite(r["train_loss"]).all() and "test_loss" not in r
    # at t = 1 the statistics are those of theta_b's hidden layer
    hb = F.linear(x, b["0.weight"], b["0.bias"])
    torch.testing.assert_close(template[1].running_mean, hb.mean(0), atol=1e-5, rtol=1e-5)


# ------------------------------------------------------------------ AutoNEB
class _Point(nn.Module):
    def __init__(self):
        super().__init__()
        self.p = nn.Parameter(torch.zeros(2))

    def forward(self):
        return self.p


def _potential(p):
    # two minima at (±1, 0) separated by a bump just below the straight line:
    # the line crosses ~3, a path around the bump (y ~ 0.8) stays below ~1.2
    x, y = p[0], p[1]
    return (x * x - 1) ** 2 + 2.0 * torch.exp(-4 * (x * x + (y + 0.2) ** 2)) + 0.05 * y * y


def test_autoneb_lowers_a_toy_barrier():
    template = _Point()

    def loss_fn(params, batch):
        return _potential(functional_call(template, params, ()))

    a, b = {"p": torch.tensor([-1.0, 0.0])}, {"p": torch.tensor([1.0, 0.0])}
    line = LinearPath(template, a, b)
    neb = AutoNEB(template, a, b, loss_fn, [None], n_pivots=1, cycles=3, steps=200,
                  lr=0.05, momentum=0.5, spring=0.3, seed=0, max_pivots=6)
    path = neb.run()
    assert isinstance(path, PolyChainPath) and path.n_bends >= 2   # pivots were inserted

    def profile(p):
        with torch.no_grad():
            return np.array([float(loss_fn(p.params(float(t)), None).detach())
                             for t in np.linspace(0, 1, 101)])

    lp, cp = profile(line), profile(path)
    # line ~2.6; the best path crosses x = 0 at (x^2 - 1)^2 = 1, barrier ~1.0
    assert barrier(cp) < 0.45 * barrier(lp)
    assert len(neb.history) == 3 and neb.history[0]["inserted"] >= 1
    for t, want in ((0.0, a), (1.0, b)):
        torch.testing.assert_close(path.params(t)["p"].detach(), want["p"])
