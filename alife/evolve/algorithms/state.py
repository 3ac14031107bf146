"""The population of one generation and the offspring asked for the next.

:class:`PopulationState` holds read-only numpy arrays and two integers;
:class:`Offspring` is what ``init`` / ``ask`` hand the caller to evaluate.
See :mod:`alife.evolve.algorithms` for ages, uids and determinism.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import _check_array, _check_genomes, _frozen, _is_int

__all__ = ["PopulationState", "Offspring"]


@dataclass(frozen=True, eq=False)
class PopulationState:
    """The population of one generation; arrays are read-only copies.

    Parameters
    ----------
    genomes : (P, D) float32 array, genes in [-1, 1]
    loss : (P,) float64 array, the loss of each genome (minimised; no NaN)
    age : (P,) int64 array, >= 0 (see the module docstring, "Ages")
    uid : (P,) int64 array, unique ids, each >= 0 and < ``next_uid``
    generation : int >= 0, 0 for the state made by ``tell_init``
    next_uid : int, the uid the next created genome will get
    """

    genomes: np.ndarray
    loss: np.ndarray
    age: np.ndarray
    uid: np.ndarray
    generation: int
    next_uid: int

    def __post_init__(self):
        g = _check_genomes(self.genomes)
        P = g.shape[0]
        loss = _check_array("loss", self.loss, np.float64, (P,))
        if np.isnan(loss).any():
            raise ValueError("loss contains NaN")
        age = _check_array("age", self.age, np.int64, (P,))
        if (age < 0).any():
            raise ValueError("age must be >= 0")
        uid = _check_array("uid", self.uid, np.int64, (P,))
        if not _is_int(self.generation) or self.generation < 0:
            raise ValueError(f"generation must be an integer >= 0, got {self.generation!r}")
        if not _is_int(self.next_uid):
            raise ValueError(f"next_uid must be an integer, got {self.next_uid!r}")
        if P and (uid.min() < 0 or uid.max() >= self.next_uid):
            raise ValueError(f"uids must lie in [0, next_uid={self.next_uid}), got [{uid.min()}, {uid.max()}]")
        if np.unique(uid).size != P:
            raise ValueError("uids must be unique")
        for name, a, dtype in (("genomes", g, np.float32), ("loss", loss, np.float64),
                               ("age", age, np.int64), ("uid", uid, np.int64)):
            object.__setattr__(self, name, _frozen(a, dtype))
        object.__setattr__(self, "generation", int(self.generation))
        object.__setattr__(self, "next_uid", int(self.next_uid))

    @property
    def pop_size(self) -> int:
        return self.genomes.shape[0]

    @property
    def genome_size(self) -> int:
        return self.genomes.shape[1]

    def best(self) -> int:
        """Index of the best individual: lowest loss, then lowest age, then lowest uid."""
        return int(np.lexsort((self.uid, self.age, self.loss))[0])


@dataclass(frozen=True, eq=False)
class Offspring:
    """What ``init`` or ``ask`` asks the caller to evaluate: K new genomes.

    Parameters
    ----------
    genomes : (K, D) float32 array, fresh memory
    uid : (K,) int64 array, the ids these genomes get (consecutive from
        ``state.next_uid``)
    parent_uid : (K,) int64 array, the parent's uid; -1 for random genomes
        (generation 0, AFPO newcomers)
    parent_index : (K,) int64 array, the parent's row in the state that was
        asked (so ``state.loss[parent_index]`` is the parent's loss, e.g. to
        classify a mutation as neutral); -1 for random genomes
    mutated : (K, D) bool array, ``genomes != parent genomes`` (all False for
        random genomes)
    age : (K,) int64 array, the age each genome carries in the new generation
    """

    genomes: np.ndarray
    uid: np.ndarray
    parent_uid: np.ndarray
    parent_index: np.ndarray
    mutated: np.ndarray
    age: np.ndarray

    def __len__(self) -> int:
        return self.genomes.shape[0]
