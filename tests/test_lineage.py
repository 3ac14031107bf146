"""Mutation classes on hand cases and on real HNCA mutations."""
import numpy as np

from alife.evolve.lineage import (BENEFICIAL, CRYPTIC, DELETERIOUS, NEUTRAL_CHANGED, NONE, SILENT,
                                  class_counts, classify)
from alife.nca import HNCASpec, develop
from alife.nca.phenotype import phenotype_ids
from alife.tasks import Task


def test_hand_cases():
    codes = classify(
        has_parent=[True, True, True, True, True, False],
        parent_loss=[10, 10, 10, 10, 10, 0], child_loss=[5, 10, 10, 12, 10, 0],
        parent_pheno=[1, 2, 3, 4, 5, 6], child_pheno=[9, 2, 3, 8, 7, 6],
        parent_fp=np.array([1, 2, 3, 4, 5, 6], np.uint64),
        child_fp=np.array([9, 2, 7, 8, 7, 6], np.uint64))
    assert codes.dtype == np.int8
    assert codes.tolist() == [BENEFICIAL, SILENT, CRYPTIC, DELETERIOUS, NEUTRAL_CHANGED, NONE]
    assert class_counts(codes).tolist() == [1, 1, 1, 1, 1, 1]


def test_real_mutations_are_classified_consistently():
    """Parent and mutants of a 2-level HNCA, as an evolution run would see them."""
    spec = HNCASpec(levels=2, base_size=32, steps=40)
    task = Task.from_name("square", 32)
    g = spec.random_genomes(1, seed=4)[0]
    l1 = spec.layout.levels[1]
    g[l1.start:l1.stop] = -np.abs(g[l1.start:l1.stop])     # level 1 stays 0
    up = spec.layout.slice(0, "up").start
    g[up] = 0.0
    silent, cryptic, other = g.copy(), g.copy(), g.copy()
    silent[up] = 0.9                                         # reads only zeros
    cryptic[l1.start:l1.stop] *= -1                          # level 1 grows, unread
    other[spec.layout.slice(0, "around").start + 4] += 0.5   # changes level 0
    G = np.stack([g, silent, cryptic, other])
    out = develop(spec, G, fingerprint=True)
    loss = task.evaluate(spec, G).loss
    raw = phenotype_ids(out.phenotypes)
    codes = classify(np.ones(3, bool), np.repeat(loss[0], 3), loss[1:], np.repeat(raw[0], 3),
                     raw[1:], np.repeat(out.fingerprints[0], 3), out.fingerprints[1:])
    assert codes[0] == SILENT and codes[1] == CRYPTIC
    assert codes[2] in (BENEFICIAL, DELETERIOUS, NEUTRAL_CHANGED, CRYPTIC)
    if raw[3] != raw[0]:
        assert codes[2] == (BENEFICIAL if loss[3] < loss[0] else
                            DELETERIOUS if loss[3] > loss[0] else NEUTRAL_CHANGED)
