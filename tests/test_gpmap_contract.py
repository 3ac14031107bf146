"""The contract every GP map keeps, checked on every registered kind.

One parametrised module for all maps of :data:`alife.gpmap.MAPS` (hnca, rna,
toy, table, net): phenotype ids are int64 labels, stable across calls, map
instances and batch splits, ``-1`` exactly for undefined genotypes; the
neighbourhood has a fixed order, shape and dtype; ``mutate`` keeps the
genotype shape and dtype; labels are consistent.  A new map kind must add a
case here (``test_every_registered_kind_has_a_case``).  The rna case skips
when ViennaRNA (the ``rna`` extra) is missing, the net case when torch is.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import subprocess
import sys

import numpy as np
import pytest

from alife.gpmap import MAPS, CachedMap, ContinuousSpace, DiscreteSpace, as_cached, make, register
from alife.gpmap.base import label_id

FIX = Path(__file__).parent / "fixtures" / "genonets"


def _hnca_spec():
    from alife.nca import HNCASpec
    return HNCASpec.preset("bielawski", levels=2, base_size=8, steps=12)


def _net_params():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    probe = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    return dict(model=model, probe_x=probe, sigma=0.5, m=5)


def _degenerate_genome(gpmap):
    """A genotype whose development :func:`alife.nca.develop` flags degenerate."""
    from alife.nca import develop
    G = gpmap.space.random(256, np.random.default_rng(7))
    dev = develop(gpmap.spec, gpmap.to_genomes(G), steps=gpmap.steps)
    assert dev.degenerate.any(), "no degenerate genome among 256 random ones"
    return G[np.flatnonzero(dev.degenerate)[0]]


def _first_unlisted(gpmap):
    """A genotype a table map does not list (the lowest such rank)."""
    space = gpmap.space
    for r in range(space.size):
        g = space.unrank([r])
        if gpmap.phenotypes(g)[0] == -1:
            return g[0]
    raise AssertionError("every genotype is listed")


@dataclass
class Case:
    kind: str
    params: Callable[[], dict]                    # fresh parameters (make(kind, **params()))
    undefined: Callable | None = None             # gpmap -> a genotype whose phenotype is -1
    needs: str | None = None                      # module to importorskip
    defined: Callable | None = None               # gpmap -> (k, L) genotypes to mix into samples


CASES = {
    "toy-threshold": Case("toy", lambda: dict(name="threshold", L=6, threshold=3)),
    "toy-count": Case("toy", lambda: dict(name="count", L=5, K=3)),
    "toy-parity": Case("toy", lambda: dict(name="parity", L=5, K=3)),
    "toy-signs": Case("toy", lambda: dict(name="signs", L=5, m=3, undefined_all_negative=True),
                      undefined=lambda m: -0.5 * np.ones(m.space.L, np.float32)),
    "toy-sum_interval": Case("toy", lambda: dict(name="sum_interval", L=4, n_bins=5, m=2)),
    "table": Case("table", lambda: dict(file=FIX / "rna7" / "input.tsv.gz", alphabet="RNA",
                                        tau=0.0), undefined=_first_unlisted,
                  defined=lambda m: m.set_array(m.set_names[0])[:6]),
    "rna": Case("rna", lambda: dict(length=12), undefined=lambda m: np.zeros(12, np.uint8),
                needs="RNA", defined=lambda m: m.space.encode(
                    ["GCACCGUCGGGC", "GGGGAAACCCCA", "GGGAAACCCAAA", "AGGGGAAACCCC"])),
    "hnca-continuous": Case("hnca", lambda: dict(spec=_hnca_spec(), m=2),
                            undefined=_degenerate_genome),
    "hnca-lattice": Case("hnca", lambda: dict(spec=_hnca_spec(), lattice_k=3),
                         undefined=_degenerate_genome),
    "net": Case("net", _net_params, undefined=lambda m: np.full(m.space.L, np.nan, np.float32),
                needs="torch"),
}


def _build(case: Case):
    if case.needs:
        pytest.importorskip(case.needs)
    if case.kind == "net":
        import alife.bridge.netmap  # noqa: F401  (registers "net")
    return make(case.kind, **case.params())


def _sample(case, gpmap, n=12, seed=1):
    """``n`` random genotypes, the case's known defined ones in the middle (maps
    where a random genotype is almost always undefined: RNA, a sparse table)."""
    g = gpmap.space.check(gpmap.space.random(n, np.random.default_rng(seed)))
    if case.defined is not None:
        d = gpmap.space.check(case.defined(gpmap))
        g = np.concatenate([g[: (n - len(d)) // 2], d, g[(n - len(d)) // 2:]])[:n]
    return g


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    c = CASES[request.param]
    return c, _build(c)


# --------------------------------------------------------------------------- registry
def test_every_registered_kind_has_a_case():
    pytest.importorskip("torch")
    import alife.bridge.netmap  # noqa: F401
    assert {"hnca", "rna", "toy", "table", "net"} <= set(MAPS)
    assert set(MAPS) == {c.kind for c in CASES.values()}


def test_make_rejects_unknown_kinds_and_parameters_in_one_line():
    with pytest.raises(ValueError, match="unknown map kind 'tyo'.*toy") as e:
        make("tyo")
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="'toy'.*unexpected keyword argument 'nme'.*name, L") as e:
        make("toy", name="count", L=3, nme=1)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="unknown toy map 'cuont'"):
        make("toy", name="cuont", L=3)
    with pytest.raises(ValueError, match="needs threshold="):
        make("toy", name="threshold", L=3)


def test_register_refuses_a_taken_name_unless_replace():
    from alife.gpmap import registry
    toy = MAPS["toy"]
    with pytest.raises(ValueError, match="already registered"):
        register("toy", lambda **kw: None)
    try:
        assert register("toy", CachedMap, replace=True) is CachedMap
        assert MAPS["toy"] is CachedMap
    finally:
        registry._FACTORIES["toy"] = toy
    assert MAPS["toy"] is toy
    with pytest.raises(ValueError, match="non-empty string"):
        register("", toy)


def test_gpmap_imports_no_map_module_and_names_the_net_module():
    """In a fresh process: ``import alife.gpmap`` loads no map module (nor numba,
    nor torch), and asking for "net" before the bridge registers it says what to import."""
    code = ("import sys\n"
            "from alife.gpmap import make, MAPS\n"
            "assert not {'numba', 'torch', 'alife.gpmap.hnca', 'alife.gpmap.rna'} & set(sys.modules)\n"
            "assert 'net' not in MAPS\n"
            "try:\n"
            "    make('net')\n"
            "except ValueError as e:\n"
            "    print(e)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "import alife.bridge.netmap first" in r.stdout


# --------------------------------------------------------------------------- phenotype ids
def test_ids_are_int64_and_stable_across_calls_instances_and_batch_splits(case):
    c, gpmap = case
    G = gpmap.space.check(_sample(c, gpmap))
    ids = gpmap.phenotypes(G)
    assert ids.dtype == np.int64 and ids.shape == (G.shape[0],)
    assert (ids >= -1).all()
    assert (ids >= 0).any(), "the sample has no defined phenotype: the contract checks nothing"
    np.testing.assert_array_equal(gpmap.phenotypes(G), ids)
    np.testing.assert_array_equal(np.concatenate([gpmap.phenotypes(G[:5]), gpmap.phenotypes(G[5:])]),
                                  ids)
    np.testing.assert_array_equal(gpmap.phenotypes(G[::-1]), ids[::-1])
    alone = np.array([gpmap.phenotypes(g[None])[0] for g in G])
    np.testing.assert_array_equal(alone, ids)
    np.testing.assert_array_equal(_build(c).phenotypes(G), ids)          # another instance
    np.testing.assert_array_equal(as_cached(gpmap).phenotypes(G), ids)
    assert gpmap.phenotypes(G[:0]).shape == (0,)


def test_undefined_genotypes_get_minus_one(case):
    c, gpmap = case
    if c.undefined is None:
        G = gpmap.space.check(_sample(c, gpmap, 40, seed=2))
        assert (gpmap.phenotypes(G) >= 0).all()   # a map without undefined phenotypes
        return
    g = np.asarray(c.undefined(gpmap))
    assert gpmap.phenotypes(g[None])[0] == -1
    G = gpmap.space.check(_sample(c, gpmap))
    mixed = np.concatenate([G[:3], gpmap.space.check(g[None]), G[3:]])
    ids = gpmap.phenotypes(mixed)
    assert ids[3] == -1
    np.testing.assert_array_equal(np.delete(ids, 3), gpmap.phenotypes(G))


def test_labels_are_consistent(case):
    c, gpmap = case
    ids = gpmap.phenotypes(gpmap.space.check(_sample(c, gpmap)))
    defined = np.unique(ids[ids >= 0])
    labels = [gpmap.label(int(p)) for p in defined]
    assert all(isinstance(s, str) and s for s in labels)
    assert len(set(labels)) == len(labels)                    # distinct ids, distinct labels
    assert labels == [gpmap.label(int(p)) for p in defined]   # stable
    assert labels == [as_cached(gpmap).label(int(p)) for p in defined]
    if gpmap.name.startswith(("rna", "table")):               # labels that are the phenotype
        assert [label_id(s) for s in labels] == defined.tolist()


# --------------------------------------------------------------------------- neighbourhoods
def test_neighbourhood_order_shape_and_dtype_are_fixed(case):
    c, gpmap = case
    space = gpmap.space
    G = space.check(_sample(c, gpmap, 4))
    L, n_nb = space.L, space.n_neighbours
    if space.discrete:
        nb = space.neighbours(G)
        np.testing.assert_array_equal(space.neighbours(G), nb)
    else:
        nb = space.neighbours(G, np.random.default_rng(3))
        np.testing.assert_array_equal(space.neighbours(G, np.random.default_rng(3)), nb)
    assert nb.shape == (G.shape[0], n_nb, L) and nb.dtype == G.dtype
    np.testing.assert_array_equal(space.check(nb.reshape(-1, L)), nb.reshape(-1, L))
    changed = nb != G[:, None, :]
    if isinstance(space, DiscreteSpace):
        # mutant pos * (K - 1) + s writes letter (g[pos] + 1 + s) % K at pos, nothing else
        K = space.K
        j = np.arange(n_nb)
        assert (changed.sum(axis=2) == 1).all()
        assert (np.argmax(changed, axis=2) == j // (K - 1)).all()
        rows = np.arange(G.shape[0])[:, None]
        expect = (G[rows, j // (K - 1)].astype(np.int64) + 1 + j % (K - 1)) % K
        np.testing.assert_array_equal(nb[rows, j, j // (K - 1)], expect)
        if space.size < 2 ** 63:      # the rank arithmetic agrees with the genotypes
            np.testing.assert_array_equal(space.neighbour_ranks(space.rank(G)),
                                          space.rank(nb.reshape(-1, L)).reshape(G.shape[0], n_nb))
    elif isinstance(space, ContinuousSpace):
        # mutant pos * m + s resamples gene pos only
        assert (changed.sum(axis=2) <= 1).all()
        moved = changed.any(axis=2)
        gene = np.broadcast_to(np.arange(n_nb) // space.m, moved.shape)
        assert (np.argmax(changed, axis=2)[moved] == gene[moved]).all()


def test_mutate_keeps_genotype_shape_and_dtype(case):
    c, gpmap = case
    space = gpmap.space
    G = space.check(_sample(c, gpmap, 8))
    M = space.mutate(G, np.random.default_rng(4))
    assert M.shape == G.shape and M.dtype == G.dtype
    np.testing.assert_array_equal(space.check(M), M)
    np.testing.assert_array_equal(space.mutate(G, np.random.default_rng(4)), M)
    changed = (M != G).sum(axis=1)
    if space.discrete:
        assert (changed == 1).all()                  # one point mutation, to another letter
    elif isinstance(space, ContinuousSpace):
        assert (changed <= 1).all()
        assert ((M >= space.low) & (M <= space.high)).all()
    else:
        assert (changed > 0).all()                   # a whole-vector Gaussian step
    assert gpmap.phenotypes(M).shape == (G.shape[0],)


def test_random_genotypes_are_valid_and_reproducible(case):
    c, gpmap = case
    space = gpmap.space
    a = space.random(6, np.random.default_rng(5))
    np.testing.assert_array_equal(space.random(6, np.random.default_rng(5)), a)
    assert a.shape == (6, space.L)
    np.testing.assert_array_equal(space.check(a), a)


def test_discrete_random_beyond_int64_ranks():
    """A lattice HNCA map with 5**D genotypes, D far beyond int64 ranks, still draws."""
    from alife.gpmap.hnca import HNCAMap
    from alife.nca import HNCASpec
    hm = HNCAMap(HNCASpec.preset("bielawski"), lattice_k=5)
    assert hm.space.size > 2 ** 63
    g = hm.space.random(4, np.random.default_rng(0))
    assert g.shape == (4, hm.space.L) and g.dtype == np.uint8 and g.max() < 5
    np.testing.assert_array_equal(hm.space.random(4, np.random.default_rng(0)), g)
    # where ranks fit, random genotypes are uniform ranks (what the analyser always drew)
    small = DiscreteSpace(6, 3)
    np.testing.assert_array_equal(small.random(5, np.random.default_rng(1)),
                                  small.unrank(np.random.default_rng(1).integers(0, 3 ** 6, 5)))


# --------------------------------------------------------------------------- neutral configs
def gpmap_from_config(config):
    """What ``NeutralConfig.gpmap()`` must build, written out kind by kind with
    the map classes (the if-chain the registry replaced): an independent
    reference for the registry-built map."""
    from alife.gpmap import toy
    from alife.gpmap.hnca import HNCAMap
    from alife.gpmap.table import TableMap
    from alife.nca import HNCASpec
    from alife.tasks import Task
    mp, kind = config.map, config.map["kind"]
    if kind == "hnca":
        m = dict(config.model)
        spec = HNCASpec.preset(m.pop("preset"), **m)
        task = None
        if config.task is not None:
            n = spec.sizes[spec.output_level]
            task = (Task.from_name(config.task.target, n) if config.task.file is None
                    else Task.from_file(config.task.file, n))
        return HNCAMap(spec, lattice_k=mp.get("lattice_k", 0) or None, m=mp.get("m", 4), task=task)
    if kind == "rna":
        from alife.gpmap.rna import RNAMap
        kw = {k: v for k, v in mp.items() if k not in ("kind", "length")}
        if "no_lp" in kw:
            kw["noLP"] = kw.pop("no_lp")
        return RNAMap(mp["length"], **kw)
    if kind == "toy":
        name, L, K = mp["name"], mp["L"], mp.get("K", 2)
        if name == "threshold":
            return toy.ThresholdMap(L, mp["threshold"])
        if name == "count":
            return toy.CountMap(L, K, letter=mp.get("letter", 0))
        return toy.ParityMap(L, K)
    return TableMap(mp["file"], alphabet=mp["alphabet"], tau=mp.get("tau", 0.0))


MAP_TABLES = {
    "hnca": '[map]\nkind = "hnca"\nm = 3\n[model]\npreset = "bielawski"\nlevels = 2\nbase_size = 8\n'
            'steps = 10\n[task]\ntarget = "square"\n',
    "hnca-lattice": '[map]\nkind = "hnca"\nlattice_k = 4\n[model]\npreset = "bielawski"\nlevels = 2\n'
                    'base_size = 8\nsteps = 10\n',
    "rna": '[map]\nkind = "rna"\nlength = 12\ndangles = 0\nno_lp = true\ntemperature = 30.0\n',
    "toy-threshold": '[map]\nkind = "toy"\nname = "threshold"\nL = 5\nthreshold = 2\n',
    "toy-count": '[map]\nkind = "toy"\nname = "count"\nL = 5\nK = 3\nletter = 2\n',
    "toy-parity": '[map]\nkind = "toy"\nname = "parity"\nL = 5\nK = 3\n',
    "table": '[map]\nkind = "table"\nfile = "rna7/input.tsv.gz"\nalphabet = "RNA"\ntau = 0.2\n',
}


@pytest.mark.parametrize("name", list(MAP_TABLES))
def test_registry_builds_what_neutral_configs_build(name):
    from alife.neutral.config import loads_neutral
    if name == "rna":
        pytest.importorskip("RNA")
    config = loads_neutral("seed = 0\n[seeds]\nrandom = 1\n" + MAP_TABLES[name], base_dir=FIX)
    a, b = config.gpmap(), gpmap_from_config(config)
    assert type(a) is type(b) and a.name == b.name and a.space == b.space
    for attr in ("settings", "lattice_k", "steps", "tau", "set_names"):
        assert getattr(a, attr, None) == getattr(b, attr, None), attr
    if getattr(a, "target", None) is not None:
        np.testing.assert_array_equal(a.target, b.target)
    G = a.space.random(16, np.random.default_rng(0))
    np.testing.assert_array_equal(a.phenotypes(G), b.phenotypes(G))


@pytest.mark.parametrize("mode_keys", ['mode = "homeostasis"\nhomeostasis_k = 3\n',
                                       'mode = "damage"\ndamage_step = 4\ndamage_rect = [0, 0, 4, 4]\n'])
def test_neutral_config_map_scores_in_the_task_mode(mode_keys):
    """A neutral config's [task] mode reaches the map: its losses are the task's, in that mode."""
    from alife.nca import HNCASpec
    from alife.neutral.config import loads_neutral
    from alife.tasks import Task
    text = ('seed = 0\n[seeds]\nrandom = 1\n[map]\nkind = "hnca"\n[model]\npreset = "bielawski"\n'
            'levels = 2\nbase_size = 8\nsteps = 10\n[task]\ntarget = "square"\n' + mode_keys)
    gm = loads_neutral(text).gpmap()
    spec = HNCASpec.preset("bielawski", levels=2, base_size=8, steps=10)
    mode = mode_keys.split('"')[1]
    assert gm.task.mode == mode
    kw = ({"homeostasis_k": 3} if mode == "homeostasis"
          else {"damage_step": 4, "damage_rect": (0, 0, 4, 4)})
    want = Task.from_name("square", 8, mode=mode, **kw).evaluate(spec, spec.random_genomes(40, seed=1))
    got = gm.evaluate(spec.random_genomes(40, seed=1))
    np.testing.assert_array_equal(got["loss"], want.loss)
