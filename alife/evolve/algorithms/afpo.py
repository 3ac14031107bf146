"""Age-fitness Pareto optimisation (AFPO): tournament parents, newcomers, Pareto survival."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import _Algorithm
from .checks import _check_rng, _is_int
from .selection import pareto_select, tournament
from .state import Offspring, PopulationState

__all__ = ["AFPO"]


@dataclass(frozen=True, kw_only=True)
class AFPO(_Algorithm):
    """Age-fitness Pareto optimisation (Schmidt & Lipson 2011; Bielawski et al. 2024).

    One generation:

    1. :meth:`ask`: ``pop_size`` offspring, each a mutated copy of a parent
       chosen by binary tournament (:func:`tournament`: lower loss wins, ties
       by lower age, then at random), followed by ``n_newcomers`` random
       genomes U(-init_scale, init_scale) of age 0 and ``parent_uid`` -1.
    2. The caller evaluates all ``pop_size + n_newcomers`` of them.
    3. :meth:`tell`: every member of the old population gets one generation
       older; the pool old population + offspring + newcomers
       (``2 pop_size + n_newcomers``) is cut back to ``pop_size`` by
       :func:`pareto_select` on (age, loss), both minimised: whole
       non-dominated fronts while they fit, the overflowing front filled by
       lowest loss, then lowest age, then lowest uid.

    The best-loss individual always survives (it is non-dominated and first
    in the fill order), so the best loss never increases.

    Parameters
    ----------
    pop_size, mutation, mutation_params, init_scale : see :class:`_Algorithm`
        (``pop_size`` default 100)
    n_newcomers : int >= 0, random genomes added each generation (default 1)
    inherit_age : bool
        True (default, Schmidt & Lipson): an offspring carries its parent's
        age in the new generation, ``parent.age + 1``, the same age as its
        parent then has.  False: offspring start at age 0 like newcomers
        (what the GECCO 2024 code did).

    Notes
    -----
    With ``pop_size == 1`` the "tournament" has the single individual.  The
    survivors are ordered by (front, loss, age, uid), so row 0 is a best.
    """

    n_newcomers: int = 1
    inherit_age: bool = True

    name = "afpo"

    def __post_init__(self):
        super().__post_init__()
        if not _is_int(self.n_newcomers) or self.n_newcomers < 0:
            raise ValueError(f"n_newcomers must be an integer >= 0, got {self.n_newcomers!r}")
        if not isinstance(self.inherit_age, (bool, np.bool_)):
            raise ValueError(f"inherit_age must be True or False, got {self.inherit_age!r}")

    @property
    def n_offspring(self) -> int:
        """K, the number of genomes :meth:`ask` returns: pop_size + n_newcomers."""
        return self.pop_size + self.n_newcomers

    def ask(self, state: PopulationState, rng: np.random.Generator) -> Offspring:
        """``pop_size`` mutated offspring of tournament winners, then ``n_newcomers`` random genomes.

        Parameters
        ----------
        state : PopulationState with ``pop_size`` individuals
        rng : numpy.random.Generator

        Returns
        -------
        Offspring with K = pop_size + n_newcomers rows
        """
        state = self._check_state(state)
        rng = _check_rng(rng)
        P, D = state.genomes.shape
        parents = tournament(state.loss, state.age, P, min(2, P), rng)
        children, mutated = self._mutate(state.genomes[parents], rng)
        newcomers = self._random_genomes(rng, self.n_newcomers, D)
        child_age = state.age[parents] + 1 if self.inherit_age else np.zeros(P, np.int64)
        return self._offspring(
            state, parents,
            np.concatenate([children, newcomers]),
            np.concatenate([mutated, np.zeros((self.n_newcomers, D), bool)]),
            np.concatenate([child_age, np.zeros(self.n_newcomers, np.int64)]),
            self.n_newcomers,
        )

    def tell(self, state: PopulationState, offspring: Offspring, offspring_loss, rng: np.random.Generator) -> PopulationState:
        """Age the old population by one, pool it with the offspring, keep ``pop_size`` by Pareto rank.

        Parameters
        ----------
        state : the PopulationState that was asked
        offspring : the Offspring :meth:`ask` returned for it
        offspring_loss : (K,) int or float array, no NaN
        rng : numpy.random.Generator (unused: survival is deterministic;
            taken so every algorithm has the same signature)

        Returns
        -------
        PopulationState of the next generation
        """
        return self._plus_survival(state, offspring, offspring_loss, rng, pareto_select)
