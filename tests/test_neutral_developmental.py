"""Exhaustive developmental maps (alife.neutral.developmental.PatternRecorder).

Invariants protected:

* the recorder's ids are the HNCA map's own ids, bit for bit (flat and
  2-level specs, small and large patterns), and exhaustive() through it
  gives the same networks as through the map;
* the degenerate kind it records per rank is the developed pattern's (all 0
  or all 1), and the patterns it returns are the developed ones;
* aliased around taps of a 2 x 2 level (the experiment's alias groups) are
  exactly neutral: moving weight between them changes no phenotype.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from alife.gpmap import make
from alife.nca import HNCASpec
from alife.neutral import exhaustive
from alife.neutral.developmental import UNDEFINED_ONE, UNDEFINED_ZERO, PatternRecorder

ROOT = Path(__file__).resolve().parents[1]


def _map(levels=1, base=8, K=5, steps=10):
    spec = HNCASpec.preset("bielawski", levels=levels, base_size=base, steps=steps)
    return make("hnca", spec=spec, lattice_k=K)


@pytest.mark.parametrize("levels,base,K", [(1, 8, 5), (2, 8, 2), (2, 4, 2), (1, 16, 3)])
def test_recorder_ids_are_the_maps_own(levels, base, K):
    hmap = _map(levels, base, K)
    rec = PatternRecorder(hmap)
    g = hmap.space.random(3000, np.random.default_rng(levels * 10 + base))
    ids = rec.phenotypes(g[:1500])
    ids2 = rec.phenotypes(g[1500:])                 # second batch: cached patterns reused
    assert np.array_equal(np.r_[ids, ids2], hmap.phenotypes(g))
    pats = hmap.patterns(g)
    kinds = rec.undefined_kind[hmap.space.rank(g)]
    assert np.array_equal(kinds == UNDEFINED_ZERO, ~pats.any(axis=(1, 2)))
    assert np.array_equal(kinds == UNDEFINED_ONE, pats.all(axis=(1, 2)))
    ok = np.r_[ids, ids2] >= 0
    assert np.array_equal(rec.patterns(np.r_[ids, ids2][ok]), pats[ok])
    assert rec.n_patterns == np.unique(pats.reshape(3000, -1), axis=0).shape[0]


def test_exhaustive_through_the_recorder_equals_through_the_map():
    hmap = _map(1, 8, 3)
    a = exhaustive(hmap)
    rec = PatternRecorder(hmap)
    b = exhaustive(rec, batch_size=5000)
    assert np.array_equal(a.phenotype, b.phenotype)
    assert np.array_equal(a.component, b.component)
    assert (rec.undefined_kind[a.phenotype >= 0] == 0).all()
    assert (rec.undefined_kind[a.phenotype < 0] > 0).all()


def test_recorder_refuses_what_it_cannot_record():
    spec = HNCASpec.preset("bielawski", levels=1, base_size=8, steps=10)
    with pytest.raises(ValueError, match="lattice"):
        PatternRecorder(make("hnca", spec=spec))
    rec = PatternRecorder(make("hnca", spec=spec, lattice_k=3))
    with pytest.raises(KeyError, match="has not been developed"):
        rec.patterns([12345])


def _experiment():
    spec = importlib.util.spec_from_file_location(
        "exhaustive_exp", ROOT / "experiments/connectivity/exhaustive.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_aliased_taps_of_a_two_by_two_level_are_exactly_neutral():
    exp = _experiment()
    spec = HNCASpec.preset("bielawski", levels=2, base_size=4, steps=10)
    groups = exp.alias_groups(spec)
    names = spec.layout.gene_names()
    assert sorted(len(g) for g in groups) == [2, 2, 4]
    assert all(names[i].startswith("L1.around") for g in groups for i in g)
    assert exp.alias_groups(HNCASpec.preset("bielawski", levels=2, base_size=8)) == []
    hmap = make("hnca", spec=spec)                  # continuous genes
    rng = np.random.default_rng(0)
    G = spec.random_genomes(300, rng)
    H = G.copy()
    for g in groups:                                # move all of each group's weight to one tap
        H[:, g[0]] = G[:, g].sum(axis=1)
        H[:, g[1:]] = 0
    assert np.array_equal(hmap.phenotypes(G), hmap.phenotypes(H))
    # a non-aliased move does change phenotypes
    J = G.copy()
    J[:, 0], J[:, 1] = G[:, 0] + G[:, 1], 0
    assert not np.array_equal(hmap.phenotypes(G), hmap.phenotypes(J))
