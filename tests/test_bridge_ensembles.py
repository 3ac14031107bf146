"""FGE, SWA, curve ensembles and ensemble evaluation (alife.bridge.ensembles)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from alife.bridge.align import permute_mlp, weight_matching
from alife.bridge.data import digits_split
from alife.bridge.ensembles import (curve_ensemble, ensemble_eval, fge, fge_lr, params_of, swa)
from alife.bridge.models import MLP

torch.set_num_threads(1)  # tiny nets: one thread is fastest, and others share the cores


@pytest.fixture(scope="module")
def data():
    return digits_split().tensors()


def _train(x, y, seed, sizes=(64, 64, 10), epochs=20, lr=3e-3):
    torch.manual_seed(seed)
    m = MLP(sizes)
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed + 100)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=g).split(64):
            opt.zero_grad()
            F.cross_entropy(m(x[idx]), y[idx]).backward()
            opt.step()
    return m


@pytest.fixture(scope="module")
def trained(data):
    xtr, ytr, _, _ = data
    return _train(xtr, ytr, 0), _train(xtr, ytr, 1)


def _batches(x, y, size=64, seed=7):
    return [(x[i], y[i]) for i in
            torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)).split(size)]


class _Linear:
    """A straight line between two parameter dicts (the path interface)."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def params(self, t):
        return {k: (1 - t) * self.a[k] + t * self.b[k] for k in self.a}


class _Bezier:
    """Quadratic Bezier with one trainable bend (Garipov et al. 2018)."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.bend = {k: (0.5 * (a[k] + b[k])).clone().requires_grad_(True) for k in a}

    def params(self, t):
        return {k: (1 - t) ** 2 * self.a[k] + 2 * t * (1 - t) * self.bend[k] + t * t * self.b[k]
                for k in self.a}

    def fit(self, model, x, y, epochs=10, lr=3e-3, seed=0):
        opt = torch.optim.Adam(self.bend.values(), lr=lr)
        g = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            for idx in torch.randperm(len(x), generator=g).split(64):
                t = float(torch.rand((), generator=g))
                opt.zero_grad()
                out = torch.func.functional_call(model, self.params(t), (x[idx],))
                F.cross_entropy(out, y[idx]).backward()
                opt.step()
        return self


def test_fge_lr_schedule():
    c, hi, lo = 10, 0.1, 0.001
    lrs = [fge_lr(i, c, hi, lo) for i in range(2 * c)]
    assert lrs[c // 2 - 1] == pytest.approx(lo)          # low point mid-cycle
    assert lrs[c - 1] == pytest.approx(hi)               # back up at the cycle's end
    assert lrs[:c] == pytest.approx(lrs[c:])             # periodic
    assert min(lrs) == pytest.approx(lo) and max(lrs) <= hi + 1e-12
    assert all(np.diff(lrs[:c // 2]) < 0) and all(np.diff(lrs[c // 2 - 1:c]) > 0)


def test_ensemble_eval_matches_manual(data, trained):
    _, _, xte, yte = data
    a, b = trained
    pa, pb = params_of(a), params_of(b)
    r = ensemble_eval(a, [pa, pb], xte, yte)
    with torch.no_grad():
        p = 0.5 * (torch.softmax(a(xte).double(), 1) + torch.softmax(b(xte).double(), 1))
    assert r["nll"] == pytest.approx(float(-p[torch.arange(len(yte)), yte].log().mean()), rel=1e-6)
    assert r["error"] == pytest.approx(float((p.argmax(1) != yte).double().mean()))
    single = ensemble_eval(a, [pa], xte, yte)
    assert single["nll"] == pytest.approx(single["model_nll"], rel=1e-9)
    assert r["member_nll"][0] == pytest.approx(single["nll"])
    assert r["nll"] <= r["mean_member_nll"] + 1e-12       # Jensen
    assert r["n_members"] == 2
    with pytest.raises(ValueError):
        ensemble_eval(a, [], xte, yte)


def test_curve_ensemble_takes_any_path(trained):
    a, b = trained
    path = _Linear(params_of(a), params_of(b))
    ps = curve_ensemble(path, [0.0, 0.5, 1.0])
    assert len(ps) == 3
    for k, v in a.named_parameters():
        assert torch.equal(ps[0][k], v.detach())
        assert not ps[1][k].requires_grad
    for k, v in b.named_parameters():
        assert torch.allclose(ps[2][k], v.detach())


def test_fge_beats_single_model(data, trained):
    xtr, ytr, xte, yte = data
    a, _ = trained
    before = {k: v.clone() for k, v in params_of(a).items()}
    batches = _batches(xtr, ytr)
    snaps = fge(a, batches, F.cross_entropy, cycles=4, cycle_length=2 * len(batches),
                lr_high=0.05, lr_low=0.001, seed=0)
    assert len(snaps) == 4
    assert all(torch.equal(v, before[k]) for k, v in a.named_parameters())   # a untouched
    assert not torch.equal(snaps[0]["layers.0.weight"], snaps[1]["layers.0.weight"])
    r = ensemble_eval(a, snaps, xte, yte)
    assert r["nll"] < r["model_nll"]
    assert r["nll"] < r["mean_member_nll"]
    assert r["error"] <= r["model_error"] + 0.01
    # same seed, same snapshots
    again = fge(a, batches, F.cross_entropy, cycles=1, cycle_length=2 * len(batches),
                lr_high=0.05, lr_low=0.001, seed=0)
    assert all(torch.equal(again[0][k], snaps[0][k]) for k in again[0])
    with pytest.raises(ValueError):
        fge(a, batches, F.cross_entropy, cycles=1, cycle_length=3, lr_high=0.1, lr_low=0.01)


def test_curve_ensemble_beats_single_models(data, trained):
    xtr, ytr, xte, yte = data
    a, b = trained
    b_al = permute_mlp(b, weight_matching(a, b, seed=0))
    path = _Bezier(params_of(a), params_of(b_al)).fit(a, xtr, ytr, epochs=10)
    r = ensemble_eval(a, curve_ensemble(path, [0.0, 0.25, 0.5, 0.75, 1.0]), xte, yte)
    single = [ensemble_eval(m, [params_of(m)], xte, yte)["nll"] for m in (a, b)]
    assert r["nll"] < np.mean(single)
    assert r["nll"] < r["model_nll"]                      # model_nll: endpoint a


def test_swa_runs_and_averages(data, trained):
    xtr, ytr, xte, yte = data
    a, _ = trained
    batches = _batches(xtr, ytr)
    s = swa(a, batches, F.cross_entropy, epochs=4, lr=0.05, swa_lr=0.01, seed=0)
    assert isinstance(s, MLP)
    assert not torch.equal(s.layers[0].weight, a.layers[0].weight)
    r = ensemble_eval(a, [params_of(s)], xte, yte)
    assert r["nll"] < 1.5 * r["model_nll"] and r["error"] < 0.1
    with pytest.raises(ValueError):
        swa(a, batches, F.cross_entropy, epochs=2, lr=0.1, swa_lr=0.01, swa_start=2)


def test_swa_updates_batchnorm(data):
    xtr, ytr, _, _ = data
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 10))
    batches = _batches(xtr, ytr, size=128)
    s = swa(net, batches, F.cross_entropy, epochs=3, lr=0.05, swa_lr=0.02, seed=0)
    with torch.no_grad():
        z = s[0](xtr)
    # update_bn: running mean = average of the batch means under the averaged weights
    want = torch.stack([s[0](xb).mean(0) for xb, _ in batches]).mean(0)
    assert torch.allclose(s[1].running_mean, want, atol=1e-4)
    assert torch.allclose(s[1].running_mean, z.mean(0), atol=0.05)
    assert not s.training
