"""A (mu + lambda) genetic algorithm with tournament selection, mutation only."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import _Algorithm
from .checks import _check_rng, _is_int
from .selection import _truncation_select, tournament
from .state import Offspring, PopulationState

__all__ = ["GA"]


@dataclass(frozen=True, kw_only=True)
class GA(_Algorithm):
    """A (mu + lambda) genetic algorithm with tournament selection, mutation only.

    :meth:`ask` makes ``n_offspring`` (lambda) mutated copies of parents
    chosen by tournaments of ``tournament_size`` distinct individuals
    (:func:`tournament`).  :meth:`tell` keeps the best ``pop_size`` (mu) of
    parents + offspring by loss, ties by lower age (so an offspring as good
    as an older individual displaces it: neutral drift), then lower uid.

    There is no separate ``n_elite``: in a plus-strategy parents compete with
    their offspring, so the elite is every parent among the best mu of the
    pool, between ``max(0, mu - lambda)`` and mu of them; the best loss never
    increases.

    Parameters
    ----------
    pop_size, mutation, mutation_params, init_scale : see :class:`_Algorithm`
        (``pop_size`` is mu, default 100)
    n_offspring : int >= 1 or None, lambda (default None = pop_size)
    tournament_size : int in 1..pop_size (default 2; 1 = uniform random parents)

    Notes
    -----
    Ages: an offspring has age 0 in the generation it is created, and every
    survivor is one generation older at each :meth:`tell`.  The survivors are
    ordered best first.
    """

    n_offspring: int | None = None
    tournament_size: int = 2

    name = "ga"

    def __post_init__(self):
        super().__post_init__()
        if self.n_offspring is None:
            object.__setattr__(self, "n_offspring", self.pop_size)
        if not _is_int(self.n_offspring) or self.n_offspring < 1:
            raise ValueError(f"n_offspring must be an integer >= 1 or None (= pop_size), got {self.n_offspring!r}")
        if not _is_int(self.tournament_size) or not (1 <= self.tournament_size <= self.pop_size):
            raise ValueError(
                f"tournament_size must be an integer in 1..{self.pop_size} (pop_size), got {self.tournament_size!r}"
            )

    def ask(self, state: PopulationState, rng: np.random.Generator) -> Offspring:
        """``n_offspring`` mutated copies of tournament winners, age 0.

        Returns
        -------
        Offspring with K = n_offspring rows
        """
        state = self._check_state(state)
        rng = _check_rng(rng)
        parents = tournament(state.loss, state.age, self.n_offspring, self.tournament_size, rng)
        children, mutated = self._mutate(state.genomes[parents], rng)
        return self._offspring(state, parents, children, mutated, np.zeros(self.n_offspring, np.int64))

    def tell(self, state: PopulationState, offspring: Offspring, offspring_loss, rng: np.random.Generator) -> PopulationState:
        """Keep the best ``pop_size`` of parents (one generation older) + offspring.

        ``rng`` is unused (survival is deterministic) and taken for a uniform
        signature.
        """
        return self._plus_survival(state, offspring, offspring_loss, rng, _truncation_select)
