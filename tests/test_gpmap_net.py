"""Nets as GP maps: phenotype = argmax predictions on a probe set."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from alife.bridge.data import digits_split
from alife.bridge.models import MLP
from alife.bridge.train import train_mlp
from alife.bridge.netmap import GaussianSpace, NetMap, net_robustness, prediction_id
from alife.neutral import sample_bfs, sampled_measures

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained():
    split = digits_split()
    model = train_mlp((64, 16, 10), split, seed=0, epochs=8)
    return model, split.x_test[:150]


def test_gaussian_space_interface():
    sp = GaussianSpace(5, 0.1, m=7)
    assert sp.discrete is False and sp.L == 5 and sp.n_neighbours == 7
    rng = np.random.default_rng(0)
    g = sp.random(3, rng)
    assert g.shape == (3, 5) and g.dtype == np.float32
    nb = sp.neighbours(g, rng)
    assert nb.shape == (3, 7, 5) and nb.dtype == np.float32
    assert 0.05 < float(np.std(nb - g[:, None])) < 0.2
    assert np.array_equal(GaussianSpace(5, 0.0, 2).neighbours(g, rng)[:, 0], g)
    with pytest.raises(ValueError):
        GaussianSpace(5, -1.0)
    with pytest.raises(ValueError):
        sp.check(np.zeros((2, 4), np.float32))


def test_unperturbed_genotype_gives_model_predictions(trained):
    model, x = trained
    nm = NetMap(model, x, sigma=0.01, m=4)
    g = nm.genotype()
    assert g.shape == (nm.space.L,) == (sum(p.numel() for p in model.parameters()),)
    with torch.no_grad():
        own = model(torch.from_numpy(x)).argmax(-1).numpy()
    assert np.array_equal(nm.predictions(g[None])[0], own)
    assert nm.phenotypes(g[None])[0] == prediction_id(own)
    # batched evaluation (several chunks) agrees with one at a time
    rng = np.random.default_rng(0)
    batch = nm.space.neighbours(g[None], rng)[0]
    nm.chunk = 3
    many = nm.predictions(batch)
    one = np.stack([NetMap(model, x).predictions(b[None])[0] for b in batch])
    assert np.array_equal(many, one)
    # another model's genotype gives that model's function
    other = MLP((64, 16, 10))
    with torch.no_grad():
        o = other(torch.from_numpy(x)).argmax(-1).numpy()
    assert np.array_equal(nm.predictions(nm.genotype(other)[None])[0], o)


def test_robustness_sigma_zero_and_decreasing(trained):
    model, x = trained
    r0 = net_robustness(model, x, 0.0, 50, np.random.default_rng(0))
    assert r0["robustness"] == 1.0 and r0["evolvability"] == 0 and r0["n"] == 50
    rs = [net_robustness(model, x, s, 200, np.random.default_rng(1))["robustness"]
          for s in (0.003, 0.03, 0.3)]
    assert rs[0] >= rs[1] >= rs[2]
    assert rs[0] > rs[2]
    assert rs[2] < 0.05
    big = net_robustness(model, x, 0.3, 200, np.random.default_rng(1))
    assert big["evolvability"] > 10


def test_bfs_and_measures_on_netmap(trained):
    model, x = trained
    nm = NetMap(model, x, sigma=0.005, m=6)
    net = sample_bfs(nm, nm.genotype(), max_nodes=30, max_evaluations=240,
                     rng=np.random.default_rng(2))
    assert net.n_evaluations <= 240
    assert len(net.genotypes) >= 1
    assert net.phenotype == nm.phenotypes(nm.genotype()[None])[0]
    # every node keeps the phenotype
    assert (nm.phenotypes(net.genotypes) == net.phenotype).all()
    m = sampled_measures(net)
    assert 0.0 <= m.robustness <= 1.0
    assert m.evolvability >= 0


def test_neutral_walks_use_the_gaussian_kernel(trained):
    """On a GaussianSpace a walker's accepted step moves every weight (the
    whole-vector Gaussian kernel), not one resampled gene, and every
    position it reaches keeps the phenotype."""
    from alife.neutral import neutral_walks
    model, x = trained
    nm = NetMap(model, x, sigma=1e-4, m=4)
    w = neutral_walks(nm, nm.genotype(), n_steps=5, n_walkers=3, rng=np.random.default_rng(0))
    assert w.accepted.any()
    t, k = map(int, np.argwhere(w.accepted)[0])
    moved = (w.genotypes[t + 1, k] != w.genotypes[t, k]).sum()
    assert moved > 0.9 * nm.space.L
    assert (nm.phenotypes(w.genotypes.reshape(-1, nm.space.L)) == w.phenotype).all()
