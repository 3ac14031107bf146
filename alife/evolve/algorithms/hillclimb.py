"""Independent (1 + 1) hill climbers that accept equal-or-better children (neutral drift)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import _Algorithm
from .checks import _check_loss, _check_rng
from .state import Offspring, PopulationState

__all__ = ["HillClimbers"]


@dataclass(frozen=True, kw_only=True)
class HillClimbers(_Algorithm):
    """``pop_size`` independent (1 + 1) hill climbers with neutral drift.

    Each climber (row ``i`` of the state, for the whole run) makes one mutated
    child per generation; the child replaces it iff ``child_loss <=
    parent_loss``.  Accepting equal loss lets a climber drift along a neutral
    network instead of sitting on one genotype.  No climber's loss ever
    increases.

    ``age`` is the number of generations since the climber last moved: 0 in
    the generation a child is accepted, +1 for each rejected child.  A
    climber's ``uid`` is that of its current genome.

    Parameters
    ----------
    pop_size, mutation, mutation_params, init_scale : see :class:`_Algorithm`
        (``pop_size`` = number of climbers, default 100)
    """

    name = "hillclimb"

    @property
    def n_offspring(self) -> int:
        """K = pop_size: one child per climber."""
        return self.pop_size

    def ask(self, state: PopulationState, rng: np.random.Generator) -> Offspring:
        """One mutated child per climber, in climber order; ``age`` 0 (the age if accepted)."""
        state = self._check_state(state)
        rng = _check_rng(rng)
        P = state.pop_size
        children, mutated = self._mutate(state.genomes, rng)
        return self._offspring(state, np.arange(P, dtype=np.int64), children, mutated, np.zeros(P, np.int64))

    def tell(self, state: PopulationState, offspring: Offspring, offspring_loss, rng: np.random.Generator) -> PopulationState:
        """Each child replaces its climber iff its loss is <= the climber's.

        ``rng`` is unused (acceptance is deterministic) and taken for a
        uniform signature.
        """
        state = self._check_state(state)
        _check_rng(rng)
        K = self.n_offspring
        offspring = self._check_offspring(state, offspring, K)
        off_loss = _check_loss(offspring_loss, K, "offspring_loss")
        accept = off_loss <= state.loss
        return self._next_state(
            state,
            np.where(accept[:, None], offspring.genomes, state.genomes),
            np.where(accept, off_loss, state.loss),
            np.where(accept, 0, state.age + 1).astype(np.int64),
            np.where(accept, offspring.uid, state.uid),
            K,
        )
