"""Weight matching and hidden-unit permutations (alife.bridge.align)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from alife.bridge.align import (identity_perms, permute_hnca_hidden, permute_mlp,
                                permute_mlp_params, weight_matching, weight_matching_hnca)
from alife.bridge.data import digits_split
from alife.bridge.models import MLP
from alife.nca import HNCASpec
from alife.nca.torch_twin import develop_torch

torch.set_num_threads(1)  # tiny nets: one thread is fastest, and others share the cores


def _train(sizes, seed, epochs=8, lr=1e-2, batch=128):
    xtr, ytr, _, _ = digits_split().tensors()
    torch.manual_seed(seed)
    m = MLP(sizes)
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed + 100)
    for _ in range(epochs):
        for idx in torch.randperm(len(xtr), generator=g).split(batch):
            opt.zero_grad()
            F.cross_entropy(m(xtr[idx]), ytr[idx]).backward()
            opt.step()
    return m


def _random_perms(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for n in model.sizes[1:-1]]


def _interp_nll(a, b, x, y, ts):
    pa = dict(a.named_parameters())
    pb = dict(b.named_parameters())
    out = []
    with torch.no_grad():
        for t in ts:
            p = {k: (1 - t) * pa[k] + t * pb[k] for k in pa}
            out.append(float(F.cross_entropy(torch.func.functional_call(a, p, (x,)), y)))
    return np.array(out)


def _barrier(l):
    return float(l.max() - 0.5 * (l[0] + l[-1]))


@pytest.mark.parametrize("sizes", [(64, 32, 10), (64, 24, 16, 12, 10)])
def test_permute_mlp_keeps_function(sizes):
    torch.manual_seed(0)
    m = MLP(sizes)
    perms = _random_perms(m, 1)
    pm = permute_mlp(m, perms)
    x = torch.rand(50, 64)
    with torch.no_grad():
        assert torch.allclose(m(x), pm(x), atol=1e-6, rtol=0)
        assert not torch.equal(m.layers[0].weight, pm.layers[0].weight)
    # the dict form agrees with the module form; the original is untouched
    pd = permute_mlp_params(dict(m.named_parameters()), perms)
    for k, v in pm.named_parameters():
        assert torch.equal(v, pd[k])
    assert [p.tolist() for p in identity_perms(m)] == [list(range(n)) for n in sizes[1:-1]]


def test_permute_rejects_non_permutation():
    m = MLP((4, 3, 2))
    with pytest.raises(ValueError):
        permute_mlp(m, [np.array([0, 0, 1])])
    with pytest.raises(ValueError):
        permute_mlp(m, [])


@pytest.mark.parametrize("sizes", [(64, 32, 10), (64, 20, 16, 10)])
def test_weight_matching_recovers_known_permutation(sizes):
    torch.manual_seed(3)
    a = MLP(sizes)
    perms = _random_perms(a, 4)
    b = permute_mlp(a, perms)               # b = a relabelled
    found, info = weight_matching(a, b, seed=0, return_info=True)
    assert info["converged"]
    back = permute_mlp(b, found)            # b aligned to a
    for (k, va), vb in zip(a.named_parameters(), back.parameters()):
        assert torch.equal(va, vb), k
    # inverse relationship: found[l] = argsort(perms[l])
    for p, f in zip(perms, found):
        assert np.array_equal(f, np.argsort(p))
    # matching a model to itself gives the identity
    ident = weight_matching(a, a)
    assert all(np.array_equal(p, np.arange(len(p))) for p in ident)


def test_weight_matching_accepts_param_dicts_and_checks_shapes():
    torch.manual_seed(0)
    a, b = MLP((8, 6, 5, 3)), MLP((8, 6, 5, 3))
    p1 = weight_matching(a, b, seed=1)
    p2 = weight_matching(dict(a.named_parameters()), dict(b.named_parameters()), seed=1)
    assert all(np.array_equal(x, y) for x, y in zip(p1, p2))
    with pytest.raises(ValueError):
        weight_matching(a, MLP((8, 7, 5, 3)))


def test_matching_lowers_barrier_between_trained_mlps():
    xtr, ytr, _, _ = digits_split().tensors()
    a = _train((64, 128, 10), seed=0)
    b = _train((64, 128, 10), seed=1)
    b_al = permute_mlp(b, weight_matching(a, b, seed=0))
    with torch.no_grad():
        assert torch.allclose(b(xtr), b_al(xtr), atol=1e-5)
    ts = np.linspace(0, 1, 9)
    before = _barrier(_interp_nll(a, b, xtr, ytr, ts))
    after = _barrier(_interp_nll(a, b_al, xtr, ytr, ts))
    assert before > 0.1
    assert after < 0.5 * before
    assert after < 0.1


def _hnca_spec(**kw):
    base = dict(levels=2, base_size=8, channels=3, hidden=6, bias=True, steps=6,
                init_scale=0.3)
    base.update(kw)
    return HNCASpec.preset("neural", **base)


@pytest.mark.parametrize("bias", [True, False])
def test_hnca_hidden_permutation_develops_identically(bias):
    spec = _hnca_spec(bias=bias)
    g = spec.random_genomes(1, seed=2)[0]
    rng = np.random.default_rng(0)
    perms = [rng.permutation(spec.hidden) for _ in range(spec.levels)]
    gp = permute_hnca_hidden(spec, g, perms)
    assert not np.array_equal(g, gp)
    assert np.allclose(np.sort(g), np.sort(gp))          # the same genes, moved
    s, ph = develop_torch(spec, np.stack([g, gp]))
    for lvl in s:
        assert np.abs(lvl[0]).max() > 1e-3              # something developed
        np.testing.assert_allclose(lvl[0], lvl[1], atol=1e-5, rtol=0)
    assert np.array_equal(ph[0], ph[1])
    # matching recovers the permutation exactly
    back = permute_hnca_hidden(spec, gp, weight_matching_hnca(spec, g, gp))
    np.testing.assert_array_equal(back, g)


def test_hnca_permutation_numba_develop_agrees():
    from alife.nca import develop
    spec = _hnca_spec()
    g = spec.random_genomes(1, seed=5)[0]
    gp = permute_hnca_hidden(spec, g, [np.roll(np.arange(spec.hidden), 1), None])
    out = develop(spec, np.stack([g, gp]))
    for lvl in out.states:
        np.testing.assert_allclose(lvl[0], lvl[1], atol=1e-5, rtol=0)


def test_hnca_needs_hidden_layer():
    spec = HNCASpec.preset("bielawski", levels=2, base_size=8)
    g = spec.random_genomes(1, seed=0)[0]
    with pytest.raises(ValueError):
        permute_hnca_hidden(spec, g, [None, None])
    with pytest.raises(ValueError):
        weight_matching_hnca(spec, g, g)
