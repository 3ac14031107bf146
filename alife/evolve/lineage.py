"""Mutation classes: what a point mutation did, judged against the parent.

Every offspring is compared with its parent on three things, all computed in
the same batched :func:`alife.nca.develop` call (``fingerprint=True``):

* the loss (lower is better),
* the phenotype (its raw pattern id: all-0 and all-1 patterns stay distinct),
* the trajectory fingerprint (a hash of every level's states at every step).

Classes (int8 codes, stored in run files; the codes are part of the run-file
layout, :mod:`alife.store.layout`, and are taken from there):

=====  ==================  =====================================================
code   name                meaning
=====  ==================  =====================================================
-1     ``none``            no parent: a random genome (generation 0, newcomer)
 0     ``beneficial``      phenotype changed and the loss went down
 1     ``silent``          same trajectory at every level (so same phenotype)
 2     ``cryptic``         internal states changed, phenotype did not
 3     ``deleterious``     phenotype changed and the loss went up
 4     ``neutral_changed`` phenotype changed, loss unchanged
=====  ==================  =====================================================

``silent`` and ``cryptic`` together are the neutral mutations of Wagner's
sense (phenotype kept).  ``neutral_changed`` is neutral for selection only:
a different pattern with the same number of mismatched cells.
"""
from __future__ import annotations

import numpy as np

from ..store import (MUTATION_BENEFICIAL as BENEFICIAL, MUTATION_CLASS_NAMES,
                     MUTATION_CRYPTIC as CRYPTIC, MUTATION_DELETERIOUS as DELETERIOUS,
                     MUTATION_NEUTRAL_CHANGED as NEUTRAL_CHANGED, MUTATION_NONE as NONE,
                     MUTATION_SILENT as SILENT)

__all__ = ["NONE", "BENEFICIAL", "SILENT", "CRYPTIC", "DELETERIOUS", "NEUTRAL_CHANGED",
           "CLASS_NAMES", "classify", "class_counts"]

#: code -> name
CLASS_NAMES: dict[int, str] = dict(MUTATION_CLASS_NAMES)


def classify(has_parent, parent_loss, child_loss, parent_pheno, child_pheno,
             parent_fp, child_fp) -> np.ndarray:
    """Mutation class of every offspring.

    Parameters
    ----------
    has_parent : (K,) bool
    parent_loss, child_loss : (K,) float
    parent_pheno, child_pheno : (K,) int64 raw phenotype ids (pattern hashes,
        degenerate patterns included)
    parent_fp, child_fp : (K,) uint64 trajectory fingerprints

    Returns
    -------
    (K,) int8 codes (see the module docstring)
    """
    has_parent = np.asarray(has_parent, bool)
    same_pheno = np.asarray(parent_pheno) == np.asarray(child_pheno)
    same_traj = np.asarray(parent_fp) == np.asarray(child_fp)
    d = np.asarray(child_loss, np.float64) - np.asarray(parent_loss, np.float64)
    out = np.where(d < 0, BENEFICIAL, np.where(d > 0, DELETERIOUS, NEUTRAL_CHANGED))
    out = np.where(same_pheno, np.where(same_traj, SILENT, CRYPTIC), out)
    return np.where(has_parent, out, NONE).astype(np.int8)


def class_counts(codes) -> np.ndarray:
    """(6,) int64 counts of codes -1..4, in that order."""
    return np.bincount(np.asarray(codes, np.int64) + 1, minlength=6)[:6].astype(np.int64)
