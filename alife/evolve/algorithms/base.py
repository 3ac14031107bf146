"""What every algorithm shares: configuration, mutation with fixed genes, generation 0.

The concrete algorithms (:mod:`.afpo`, :mod:`.ga`, :mod:`.hillclimb`)
subclass :class:`_Algorithm` and add ``n_offspring``, ``ask`` and ``tell``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..mutation import DEFAULT_LATTICE_K, get_operator, on_lattice, to_lattice
from .checks import _check_genomes, _check_loss, _check_rng, _is_int, _is_real
from .state import Offspring, PopulationState


@dataclass(frozen=True, kw_only=True)
class _Algorithm:
    """Shared configuration and generation-0 logic; see the concrete classes.

    Parameters
    ----------
    pop_size : int >= 1
    mutation : str, a name in :data:`alife.evolve.OPERATORS` (default
        ``"resample"``, the GECCO operator)
    mutation_params : dict, parameters bound with
        :func:`alife.evolve.get_operator` (e.g. ``{"sigma": 0.05}``)
    init_scale : float in (0, 1], random genomes are U(-init_scale,
        init_scale); with ``mutation="lattice"`` they are then snapped to the
        lattice (:func:`alife.evolve.to_lattice`)
    """

    pop_size: int = 100
    mutation: str = "resample"
    mutation_params: dict = field(default_factory=dict)
    init_scale: float = 1.0

    name = ""  # the registry name, set on each subclass
    #: None, or (mutable (D,) bool, draw(n, rng) -> (n, n_fixed) float32): see
    #: :meth:`with_fixed_genes`.  Not a parameter: set from the model, not a config.
    _fixed = None

    def with_fixed_genes(self, mutable, draw) -> "_Algorithm":
        """A copy that never mutates the genes where ``mutable`` is False.

        Parameters
        ----------
        mutable : (D,) bool array
            False for genes that belong to an individual but must not mutate
            (an HNCA's wiring genes, ``HNCASpec.layout.mutable``): the
            mutation operator sees only the mutable columns and children
            inherit the others from their parent.
        draw : callable ``draw(n, rng) -> (n, n_fixed) float32``
            How random genomes (generation 0, AFPO newcomers) get those genes,
            e.g. ``HNCASpec.random_wiring_genes``; called after the mutable
            genes are drawn, from the same generator.
        """
        mutable = np.array(mutable, dtype=bool, copy=True)
        if mutable.ndim != 1 or not mutable.any():
            raise ValueError("mutable must be a 1-D bool mask with at least one mutable gene")
        mutable.flags.writeable = False
        new = dataclasses.replace(self)
        object.__setattr__(new, "_fixed", (mutable, draw))
        return new

    def __post_init__(self):
        if not _is_int(self.pop_size) or self.pop_size < 1:
            raise ValueError(f"pop_size must be an integer >= 1, got {self.pop_size!r}")
        if not isinstance(self.mutation_params, dict):
            raise ValueError(f"mutation_params must be a dict, got {type(self.mutation_params).__name__}")
        object.__setattr__(self, "mutation_params", dict(self.mutation_params))
        get_operator(self.mutation, **self.mutation_params)  # ValueError for a bad name or parameter
        if not _is_real(self.init_scale) or not (0 < self.init_scale <= 1):
            raise ValueError(f"init_scale must be a number in (0, 1], got {self.init_scale!r}")

    # -- helpers ----------------------------------------------------------- #
    def _mutate(self, parents: np.ndarray, rng: np.random.Generator):
        op = get_operator(self.mutation, **self.mutation_params)
        if self._fixed is None:
            return op(parents, rng)
        mutable = self._check_width(parents.shape[1])
        sub, sub_mutated = op(np.ascontiguousarray(parents[:, mutable]), rng)
        children = np.array(parents, dtype=np.float32, order="C", copy=True)
        children[:, mutable] = sub
        mutated = np.zeros(parents.shape, bool)
        mutated[:, mutable] = sub_mutated
        return children, mutated

    def _check_width(self, D: int) -> np.ndarray:
        mutable = self._fixed[0]
        if mutable.shape[0] != D:
            raise ValueError(f"genomes have {D} genes but the fixed-gene mask has "
                             f"{mutable.shape[0]}; build the algorithm for this genome")
        return mutable

    def _random_genomes(self, rng: np.random.Generator, n: int, D: int) -> np.ndarray:
        g = rng.uniform(-self.init_scale, self.init_scale, size=(n, D)).astype(np.float32)
        if self.mutation == "lattice":
            g = to_lattice(g, self.mutation_params.get("k", DEFAULT_LATTICE_K))
        if self._fixed is not None:
            mutable = self._check_width(D)
            g[:, ~mutable] = self._fixed[1](n, rng)
        return g

    def _check_state(self, state) -> PopulationState:
        if not isinstance(state, PopulationState):
            raise TypeError(f"state must be a PopulationState, got {type(state).__name__}")
        if state.pop_size != self.pop_size:
            raise ValueError(f"state has {state.pop_size} individuals but pop_size is {self.pop_size}")
        return state

    def _check_offspring(self, state: PopulationState, offspring, K: int) -> Offspring:
        if not isinstance(offspring, Offspring):
            raise TypeError(f"offspring must be an Offspring (from ask), got {type(offspring).__name__}")
        if len(offspring) != K or not np.array_equal(offspring.uid, state.next_uid + np.arange(K)):
            raise ValueError(
                f"offspring were not asked from this state: expected {K} with uids from {state.next_uid}"
            )
        return offspring

    def _offspring(self, state, parent_index, genomes, mutated, age, n_random: int = 0) -> Offspring:
        """Offspring whose first rows come from ``parent_index`` and last ``n_random`` are random."""
        K = genomes.shape[0]
        pidx = np.concatenate([parent_index, np.full(n_random, -1, np.int64)]).astype(np.int64)
        puid = np.full(K, -1, dtype=np.int64)
        puid[pidx >= 0] = state.uid[pidx[pidx >= 0]]
        return Offspring(
            genomes=np.array(genomes, dtype=np.float32, order="C", copy=True),
            uid=state.next_uid + np.arange(K, dtype=np.int64),
            parent_uid=puid,
            parent_index=pidx,
            mutated=np.ascontiguousarray(mutated, dtype=bool),
            age=np.asarray(age, dtype=np.int64),
        )

    # -- generation 0 ------------------------------------------------------ #
    def _plus_survival(self, state, offspring, offspring_loss, rng, select) -> PopulationState:
        """Parents (one generation older) plus offspring; ``select(age, loss,
        uid, n)`` picks the ``pop_size`` survivors (shared by AFPO and GA)."""
        state = self._check_state(state)
        _check_rng(rng)
        K = self.n_offspring
        offspring = self._check_offspring(state, offspring, K)
        off_loss = _check_loss(offspring_loss, K, "offspring_loss")
        genomes = np.concatenate([state.genomes, offspring.genomes])
        loss = np.concatenate([state.loss, off_loss])
        age = np.concatenate([state.age + 1, offspring.age])
        uid = np.concatenate([state.uid, offspring.uid])
        keep = select(age, loss, uid, self.pop_size)
        return self._next_state(state, genomes[keep], loss[keep], age[keep], uid[keep], K)

    def init(self, rng: np.random.Generator, genomes=None, *, genome_size: int | None = None) -> Offspring:
        """The genomes of generation 0, to be evaluated and passed to :meth:`tell_init`.

        Parameters
        ----------
        rng : numpy.random.Generator (not used when ``genomes`` is given)
        genomes : (pop_size, D) float32 array or None
            Start from these genomes (copied); None draws ``pop_size`` random
            genomes U(-init_scale, init_scale) of length ``genome_size``.
        genome_size : int >= 1, D; required iff ``genomes`` is None

        Returns
        -------
        Offspring
            ``uid`` 0..pop_size-1, ``parent_uid``/``parent_index`` -1,
            ``mutated`` all False, ``age`` 0.
        """
        rng = _check_rng(rng)
        if genomes is None:
            if not _is_int(genome_size) or genome_size < 1:
                raise ValueError(f"give genomes, or genome_size as an integer >= 1 (got {genome_size!r})")
            g = self._random_genomes(rng, self.pop_size, int(genome_size))
        else:
            if genome_size is not None:
                raise ValueError("give either genomes or genome_size, not both")
            g = _check_genomes(genomes, self.pop_size)
            if self.mutation == "lattice":
                k = self.mutation_params.get("k", DEFAULT_LATTICE_K)
                free = g if self._fixed is None else g[:, self._check_width(g.shape[1])]
                if not on_lattice(free, k):
                    raise ValueError(f"genomes are not on the k={k} lattice; snap them with to_lattice(genomes, {k})")
        P, D = g.shape
        empty = PopulationState(
            genomes=np.zeros((0, D), np.float32), loss=np.zeros(0), age=np.zeros(0, np.int64),
            uid=np.zeros(0, np.int64), generation=0, next_uid=0,
        )
        return self._offspring(empty, np.zeros(0, np.int64), g, np.zeros((P, D), bool), np.zeros(P, np.int64), P)

    def tell_init(self, genomes, loss) -> PopulationState:
        """The state of generation 0: ``genomes`` (or the Offspring from :meth:`init`) with their loss.

        Parameters
        ----------
        genomes : (pop_size, D) float32 array, or the :class:`Offspring` from :meth:`init`
        loss : (pop_size,) int or float array, no NaN

        Returns
        -------
        PopulationState
            generation 0, uids 0..pop_size-1, ages 0, ``next_uid = pop_size``.
        """
        if isinstance(genomes, Offspring):
            genomes = genomes.genomes
        g = _check_genomes(genomes, self.pop_size)
        P = g.shape[0]
        return PopulationState(
            genomes=g, loss=_check_loss(loss, P), age=np.zeros(P, np.int64),
            uid=np.arange(P, dtype=np.int64), generation=0, next_uid=P,
        )

    def _next_state(self, state, genomes, loss, age, uid, K: int) -> PopulationState:
        return PopulationState(
            genomes=genomes, loss=loss, age=age, uid=uid,
            generation=state.generation + 1, next_uid=state.next_uid + K,
        )
