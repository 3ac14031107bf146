"""Linear CKA, layer CKA, prediction agreement, HNCA internal distance."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from alife.bridge.align import permute_hnca_hidden, permute_mlp
from alife.bridge.data import digits_split
from alife.bridge.models import MLP
from alife.bridge.similarity import (hidden_activations, hnca_internal_distance, layer_cka,
                                     linear_cka, prediction_agreement)
from alife.nca import HNCASpec

torch.set_num_threads(1)  # tiny nets: one thread is fastest, and others share the cores


def _cka_reference(X, Y):
    """The formula written out directly, in float64."""
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    return (np.linalg.norm(Y.T @ X) ** 2
            / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y)))


@pytest.fixture
def reps():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 12))
    Y = X @ rng.normal(size=(12, 8)) + 0.5 * rng.normal(size=(200, 8))
    return rng, X, Y


def test_cka_self_and_formula(reps):
    rng, X, Y = reps
    assert linear_cka(X, X) == pytest.approx(1.0, abs=1e-12)
    assert linear_cka(X, Y) == pytest.approx(_cka_reference(X, Y), rel=1e-10)
    assert linear_cka(X, Y) == pytest.approx(linear_cka(Y, X), rel=1e-12)
    assert 0.0 < linear_cka(X, Y) < 1.0
    # the Gram-matrix branch (n < p) agrees with the feature branch
    Xw, Yw = rng.normal(size=(10, 30)), rng.normal(size=(10, 40))
    assert linear_cka(Xw, Yw) == pytest.approx(_cka_reference(Xw, Yw), rel=1e-10)
    # torch tensors (float32) are accepted, computed in float64
    assert linear_cka(torch.from_numpy(X).float(), torch.from_numpy(Y).float()) == \
        pytest.approx(_cka_reference(X.astype(np.float32).astype(np.float64),
                                     Y.astype(np.float32).astype(np.float64)), rel=1e-9)
    assert np.isnan(linear_cka(np.ones((5, 3)), X[:5]))


def test_cka_invariances(reps):
    rng, X, Y = reps
    base = linear_cka(X, Y)
    Q, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    assert linear_cka(X @ Q, Y) == pytest.approx(base, rel=1e-10)          # orthogonal
    assert linear_cka(3.7 * X, 0.01 * Y) == pytest.approx(base, rel=1e-10)  # isotropic scale
    assert linear_cka(X + 5.0, Y - 2.0) == pytest.approx(base, rel=1e-10)   # offsets
    perm = rng.permutation(12)
    assert linear_cka(X[:, perm], Y) == pytest.approx(base, rel=1e-10)      # unit relabelling
    # not invariant to an arbitrary (invertible, anisotropic) linear map
    A = np.diag(np.geomspace(0.01, 10.0, 12)) @ rng.normal(size=(12, 12))
    assert abs(linear_cka(X @ A, Y) - base) > 1e-2
    assert linear_cka(X, X @ A) < 0.99


def test_layer_cka_permutation_invariant_and_params_dict():
    torch.manual_seed(0)
    a = MLP((64, 32, 16, 10))
    b = MLP((64, 32, 16, 10))
    x = torch.rand(300, 64)
    rng = np.random.default_rng(1)
    a_perm = permute_mlp(a, [rng.permutation(32), rng.permutation(16)])
    assert layer_cka(a, a, x) == pytest.approx([1.0, 1.0], abs=1e-9)
    assert layer_cka(a, a_perm, x) == pytest.approx([1.0, 1.0], abs=1e-9)
    ab = layer_cka(a, b, x)
    assert len(ab) == 2 and all(0 < v < 1 for v in ab)
    assert layer_cka(a_perm, b, x) == pytest.approx(ab, rel=1e-6)  # float32 sums reorder
    # a parameter dict of a's architecture gives the same numbers as the module
    pb = {k: v.detach().clone() for k, v in b.named_parameters()}
    assert layer_cka(a, pb, x) == pytest.approx(ab, rel=1e-12)
    assert len(layer_cka(a, b, x, include_logits=True)) == 3
    h = hidden_activations(a, x, params=pb)
    hb = b.hidden(x)
    assert all(torch.allclose(u, v) for u, v in zip(h, hb))
    with pytest.raises(ValueError):
        layer_cka(a, MLP((64, 32, 10)), x)


def test_layer_cka_needs_x():
    # regression guard for the positional signature layer_cka(a, b, x)
    torch.manual_seed(0)
    a = MLP((8, 5, 3))
    assert layer_cka(a, a, torch.rand(20, 8)) == pytest.approx([1.0])


def test_prediction_agreement():
    la = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    lb = torch.tensor([[5.0, 1.0], [4.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    assert prediction_agreement(la, lb) == 0.75
    assert prediction_agreement(la.numpy(), la.numpy()) == 1.0
    assert prediction_agreement(np.array([0, 1, 2]), np.array([0, 1, 1])) == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        prediction_agreement(la, lb[:2])


def test_trained_mlps_agree_and_are_similar():
    xtr, ytr, xte, _ = digits_split().tensors()
    models = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        m = MLP((64, 32, 10))
        opt = torch.optim.Adam(m.parameters(), lr=3e-3)
        for _ in range(100):
            opt.zero_grad()
            F.cross_entropy(m(xtr), ytr).backward()
            opt.step()
        models.append(m)
    a, b = models
    with torch.no_grad():
        agree = prediction_agreement(a(xte), b(xte))
    assert agree > 0.9
    cka = layer_cka(a, b, xte)[0]
    torch.manual_seed(9)
    cka_untrained = layer_cka(a, MLP((64, 32, 10)), xte)[0]
    assert cka > cka_untrained


def _spec():
    return HNCASpec.preset("neural", levels=2, base_size=8, channels=3, hidden=6,
                           steps=6, init_scale=0.3)


def test_hnca_internal_distance():
    spec = _spec()
    g, h = spec.random_genomes(2, seed=3)
    same = hnca_internal_distance(spec, g, g)
    assert same["levels"] == [1]
    assert same["rms"] == [0.0] and same["output_rms"] == 0.0
    assert same["same_phenotype"] and same["phenotype_distance"] == 0.0
    # a hidden-unit relabelling changes the genome, not the development
    gp = permute_hnca_hidden(spec, g, [np.arange(6)[::-1], np.roll(np.arange(6), 2)])
    rel = hnca_internal_distance(spec, g, gp)
    assert rel["mean_rms"] < 1e-5 and rel["same_phenotype"]
    diff = hnca_internal_distance(spec, g, h)
    assert diff["mean_rms"] > 1e-3
    assert diff["same_phenotype"] == (diff["phenotype_distance"] == 0.0)
    # output level 1: the internal level is 0
    spec1 = spec.replace(output_level=1)
    assert hnca_internal_distance(spec1, g, h)["levels"] == [0]


def test_hnca_state_cka_is_one_for_a_genome_with_itself_and_the_squared_correlation_for_one_channel():
    from alife.bridge.similarity import hnca_state_cka
    from alife.nca import HNCASpec, trajectory
    spec = HNCASpec(levels=2, base_size=4, steps=4)
    G = spec.random_genomes(2, seed=3)
    assert hnca_state_cka(spec, G[0], G[0]) == pytest.approx(1.0)
    # one channel: linear CKA is the squared Pearson correlation over (step, level, cell)
    x, y = ([np.concatenate([lv[1:].ravel() for lv in trajectory(spec, g)]) for g in G])
    r = np.corrcoef(x.astype(np.float64), y.astype(np.float64))[0, 1]
    assert hnca_state_cka(spec, G[0], G[1]) == pytest.approx(r * r, rel=1e-9)
