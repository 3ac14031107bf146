"""Gradient-trained HNCAs (differentiable surrogate) and the pairs experiment."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from alife.bridge.hnca_train import mismatch_loss, surrogate_loss, train_hnca
from alife.bridge.models import HNCAModel
from alife.nca import HNCASpec
from alife.tasks import target

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]


def small_spec(steps=12):
    return HNCASpec(levels=2, base_size=8, channels=2, hidden=4, bias=True,
                    hidden_activation="relu", output_activation="identity",
                    update="residual", steps=steps, init_scale=0.1)


def test_surrogate_matches_mismatch_in_the_limit():
    t = torch.tensor(target("square", 8), dtype=torch.float32)
    right = torch.where(t > 0, 1.0, -1.0)          # every cell on the right side
    assert float(surrogate_loss(right, t, 0.01)) < math.log(2) / 64
    wrong = -right
    assert float(surrogate_loss(wrong, t, 0.01)) > 10
    # batched input and threshold
    both = torch.stack([right + 0.5, wrong + 0.5])
    per = float(surrogate_loss(both, t, 0.01, threshold=0.5))
    assert per == pytest.approx(0.5 * (float(surrogate_loss(right, t, 0.01))
                                       + float(surrogate_loss(wrong, t, 0.01))), rel=1e-5)
    with pytest.raises(ValueError):
        surrogate_loss(right, t, 0.0)
    with pytest.raises(ValueError):
        surrogate_loss(right, torch.zeros(4, 4), 0.1)


@pytest.mark.parametrize("spec", [small_spec(),
                                  HNCASpec.preset("bielawski", base_size=8, levels=2, steps=6)])
def test_surrogate_gradient_finite_and_descends(spec):
    tgt = target("square", 8)
    model = HNCAModel(spec, seed=3)
    loss = surrogate_loss(model.output(), tgt, 0.1)
    loss.backward()
    loss = float(loss.detach())
    g = model.genome.grad
    assert g is not None and torch.isfinite(g).all() and float(g.norm()) > 0
    with torch.no_grad():
        model.genome -= 1e-3 * g / g.norm()
        after = float(surrogate_loss(model.output(), tgt, 0.1))
    assert after < loss


def test_train_hnca_deterministic():
    spec = small_spec()
    tgt = target("square", 8)
    a = train_hnca(spec, tgt, seed=1, iterations=10, lr=0.02)
    b = train_hnca(spec, tgt, seed=1, iterations=10, lr=0.02)
    c = train_hnca(spec, tgt, seed=2, iterations=10, lr=0.02)
    assert a.dtype == np.float32 and a.shape == (spec.n_genes,)
    assert np.array_equal(a, b) and a.history == b.history
    assert not np.array_equal(a, c)
    assert min(a.history) < a.history[0]
    assert mismatch_loss(spec, a, tgt) >= 0
    # reaching mismatch 0 (Numba develop) is checked by the quick experiment below


def test_quick_pairs_experiment_runs():
    sys.path.insert(0, str(ROOT / "experiments" / "bridge"))
    try:
        import hnca_pairs
    finally:
        sys.path.pop(0)
    res = hnca_pairs.run(quick=True, out=None)
    assert res["n_evolved_pairs"] >= 1 and res["n_trained_pairs"] >= 1
    # gradient training through the twin reaches the target in the Numba develop
    assert all(r["mismatch"] == 0 for r in res["trained"]["runs"])
    assert all(r["surrogate"] < 0.01 for r in res["trained"]["runs"])
    for row in res["rows"]:
        assert 0.0 <= row["line_kept"] <= 1.0 and 0.0 <= row["curve_kept"] <= 1.0
        assert isinstance(row["path_found"], bool)
        if row["path_found"]:
            assert row["path_length"] >= row["distance"] - 1e-5
    trained = [r for r in res["rows"] if r["kind"] == "trained"]
    assert trained[0]["internal_flip"] >= 0.0
