"""Evolutionary algorithms over whole populations: ask / tell on arrays.

Three algorithms (``docs/concepts/evolution.md``), each a small frozen dataclass that
holds only its configuration, with methods that are pure functions of a
:class:`PopulationState` and an explicit :class:`numpy.random.Generator`:

``AFPO``
    Age-fitness Pareto optimisation (Schmidt & Lipson 2011), as used for
    HNCAs by Bielawski et al. (GECCO 2024).
``GA``
    A (mu + lambda) genetic algorithm with tournament selection.
``HillClimbers``
    ``pop_size`` independent (1 + 1) hill climbers that accept
    equal-or-better children (neutral drift).

The loss is *minimised*.  The algorithms never evaluate anything: the caller
develops and scores a whole batch at once and hands the losses back::

    import numpy as np
    from alife.evolve import make_algorithm

    algo = make_algorithm("afpo", pop_size=100, n_newcomers=1)
    rng = np.random.default_rng(0)
    first = algo.init(rng, genome_size=51)          # Offspring of generation 0
    state = algo.tell_init(first.genomes, evaluate(first.genomes))
    for _ in range(1000):
        off = algo.ask(state, rng)                   # Offspring: (K, D) genomes ...
        state = algo.tell(state, off, evaluate(off.genomes), rng)

where ``evaluate`` is e.g. ``lambda g: task.loss(develop(spec, g))``.

State and resume
----------------
A :class:`PopulationState` holds numpy arrays and two integers only
(``generation`` and ``next_uid``); :func:`to_arrays` / :func:`from_arrays`
turn it into a flat ``dict[str, ndarray]`` (suitable for HDF5 or ``.npz``)
and back, bit for bit.  Together with ``rng.bit_generator.state`` this is all a
runner must store to resume a run bit-identically after a crash.  The arrays
in a state are read-only.

Individual ids
--------------
Every genome ever created gets a unique ``uid`` from the counter
``state.next_uid``: generation 0 gets ``0 .. P-1``; :meth:`ask` numbers its
``K`` offspring ``next_uid .. next_uid + K - 1`` (whether or not they survive)
and :meth:`tell` advances the counter by ``K``.  So uids increase with
creation time and lineages can be rebuilt from ``(uid, parent_uid)`` pairs.

Ages
----
``age`` counts generations, and an individual has age 0 in the generation in
which it is created; every survivor carried over from one state to the next
is one generation older.  What "created" means is per algorithm: in AFPO, an
offspring continues its parent's lineage (its age is its parent's age in
the new generation, ``parent.age + 1``) unless ``inherit_age=False``; in the GA
an offspring is new (age 0); for a hill climber the age is the number of
generations since the climber last moved.

Determinism
-----------
Each method's output is a fixed function of its inputs and the generator
state; ties in every selection are broken either by explicit random draws
(tournaments) or by a documented total order ending in the unique uid.

References
----------
M. Schmidt and H. Lipson (2011). Age-fitness Pareto optimization.  In
*Genetic Programming Theory and Practice VIII*, pp. 129-146, Springer.

Bielawski et al. (2024). Evolving hierarchical neural cellular automata.  In
*Proc. GECCO 2024*, ACM.
"""
from __future__ import annotations

import bisect
import dataclasses
import numbers
from dataclasses import dataclass, field

import numpy as np

from .mutation import DEFAULT_LATTICE_K, get_operator, on_lattice, to_lattice

__all__ = [
    "PopulationState",
    "Offspring",
    "to_arrays",
    "from_arrays",
    "STATE_KEYS",
    "pareto_ranks",
    "pareto_select",
    "tournament",
    "AFPO",
    "GA",
    "HillClimbers",
    "ALGORITHMS",
    "algorithm_params",
    "make_algorithm",
]


# --------------------------------------------------------------------------- #
# small validators
# --------------------------------------------------------------------------- #
def _is_int(x) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, (bool, np.bool_))


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _frozen(a: np.ndarray, dtype) -> np.ndarray:
    """A read-only C-contiguous copy with its own buffer."""
    out = np.array(a, dtype=dtype, order="C", copy=True)
    out.flags.writeable = False
    return out


def _check_array(name: str, a, dtype, shape: tuple) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != dtype:
        raise ValueError(f"{name} must have dtype {np.dtype(dtype)}, got {a.dtype}")
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a


def _check_genomes(genomes, P: int | None = None) -> np.ndarray:
    if not isinstance(genomes, np.ndarray):
        raise ValueError(f"genomes must be a numpy array of shape (P, D), got {type(genomes).__name__}")
    if genomes.ndim != 2 or genomes.shape[1] < 1:
        raise ValueError(f"genomes must have shape (P, D) with D >= 1, got {genomes.shape}")
    if P is not None and genomes.shape[0] != P:
        raise ValueError(f"genomes must have {P} rows (pop_size), got shape {genomes.shape}")
    if genomes.dtype != np.float32:
        raise ValueError(f"genomes must be float32, got {genomes.dtype}; cast with .astype(np.float32)")
    if not np.isfinite(genomes).all():
        raise ValueError("genomes contain non-finite genes (NaN or inf)")
    if genomes.size and (genomes.min() < -1 or genomes.max() > 1):
        raise ValueError(f"genes must lie in [-1, 1], found [{genomes.min()}, {genomes.max()}]")
    return genomes


def _check_loss(loss, n: int, name: str = "loss") -> np.ndarray:
    """An int or float array of shape (n,), no NaN (+inf allowed: the worst loss) -> float64."""
    a = np.asarray(loss)
    if a.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be an int or float array, got dtype {a.dtype}")
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one loss per genome, got {a.shape}")
    a = a.astype(np.float64)
    if np.isnan(a).any():
        raise ValueError(f"{name} contains NaN; give failed evaluations the worst loss (e.g. inf)")
    return a


# --------------------------------------------------------------------------- #
# state and offspring
# --------------------------------------------------------------------------- #
#: Keys of :func:`to_arrays` (and required by :func:`from_arrays`).
STATE_KEYS = ("genomes", "loss", "age", "uid", "generation", "next_uid")


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


def to_arrays(state: PopulationState) -> dict[str, np.ndarray]:
    """The state as a flat dict of numpy arrays (keys :data:`STATE_KEYS`).

    ``generation`` and ``next_uid`` become 0-d int64 arrays.  The arrays are
    writeable copies, safe to hand to h5py or :func:`numpy.savez`.
    """
    if not isinstance(state, PopulationState):
        raise TypeError(f"state must be a PopulationState, got {type(state).__name__}")
    return {
        "genomes": state.genomes.copy(),
        "loss": state.loss.copy(),
        "age": state.age.copy(),
        "uid": state.uid.copy(),
        "generation": np.asarray(state.generation, dtype=np.int64),
        "next_uid": np.asarray(state.next_uid, dtype=np.int64),
    }


def from_arrays(arrays) -> PopulationState:
    """Rebuild a state from :func:`to_arrays` output (any mapping of arrays).

    Exact inverse of :func:`to_arrays`: dtypes must match exactly (no silent
    casts, so a resumed run is bit-identical); extra keys are an error too.
    """
    keys = set(arrays.keys())
    if keys != set(STATE_KEYS):
        missing, extra = sorted(set(STATE_KEYS) - keys), sorted(keys - set(STATE_KEYS))
        raise ValueError(f"state arrays must have keys {list(STATE_KEYS)}; missing {missing}, unexpected {extra}")
    scalars = {}
    for key in ("generation", "next_uid"):
        a = np.asarray(arrays[key])
        if a.shape != () or a.dtype.kind not in "iu":
            raise ValueError(f"{key} must be a 0-d integer array, got shape {a.shape}, dtype {a.dtype}")
        scalars[key] = int(a)
    return PopulationState(
        genomes=np.asarray(arrays["genomes"]),
        loss=np.asarray(arrays["loss"]),
        age=np.asarray(arrays["age"]),
        uid=np.asarray(arrays["uid"]),
        **scalars,
    )


# --------------------------------------------------------------------------- #
# selection operators (free functions)
# --------------------------------------------------------------------------- #
def pareto_ranks(objectives) -> np.ndarray:
    """Non-dominated sorting: the Pareto front of each point, all objectives minimised.

    Point ``a`` dominates ``b`` iff ``a <= b`` in every objective and ``a <
    b`` in at least one.  Front 0 holds the points no one dominates; front
    ``r`` the points dominated only by points of fronts ``< r``.  Equal
    points do not dominate each other and share a front.

    Two objectives (AFPO's age and loss) take O(N log N); more take O(N^2 M)
    time and O(N^2) memory (a boolean dominance matrix; N = 2000 takes 4 MB).

    Parameters
    ----------
    objectives : (N, M) array_like of real, no NaN (inf allowed)

    Returns
    -------
    (N,) int64 array, the front index of each point, 0 = non-dominated

    Examples
    --------
    >>> pareto_ranks([[0, 3], [1, 1], [2, 0], [1, 2], [2, 2], [3, 3]]).tolist()
    [0, 0, 0, 1, 2, 3]
    """
    obj = np.asarray(objectives)
    if obj.ndim != 2 or obj.dtype.kind not in "iuf":
        raise ValueError(f"objectives must be a real (N, M) array, got shape {obj.shape}, dtype {obj.dtype}")
    if obj.dtype.kind == "f" and np.isnan(obj).any():
        raise ValueError("objectives contain NaN")
    N, M = obj.shape
    if M == 2:
        return _pareto_ranks_2d(obj)
    return _pareto_ranks_quadratic(obj)


def _pareto_ranks_2d(obj: np.ndarray) -> np.ndarray:
    """Two objectives in O(N log N) (the binary-search variant of efficient
    non-dominated sorting).  Among distinct points visited in lexicographic
    order, an earlier point q dominates p iff q's second objective is <= p's,
    so p belongs to the first front whose smallest second objective so far
    exceeds p's; those minima increase with the front index, so a binary
    search finds it.  Equal points get their first copy's front."""
    uniq, inverse = np.unique(obj, axis=0, return_inverse=True)  # lexicographic order
    mins: list = []                # smallest second objective of each front so far
    urank = np.empty(len(uniq), np.int64)
    for i, f1 in enumerate(uniq[:, 1].tolist()):
        k = bisect.bisect_right(mins, f1)
        if k == len(mins):
            mins.append(f1)
        else:
            mins[k] = f1
        urank[i] = k
    return urank[inverse.reshape(-1)]


def _pareto_ranks_quadratic(obj: np.ndarray) -> np.ndarray:
    """Any number of objectives, from the boolean dominance matrix."""
    N, M = obj.shape
    le = np.ones((N, N), dtype=bool)
    lt = np.zeros((N, N), dtype=bool)
    for m in range(M):  # M is tiny (2 for AFPO); one (N, N) comparison each
        c = obj[:, m]
        le &= c[:, None] <= c[None, :]
        lt |= c[:, None] < c[None, :]
    dom = le & lt  # dom[i, j]: i dominates j
    n_dominators = dom.sum(axis=0)
    rank = np.full(N, -1, dtype=np.int64)
    front = np.flatnonzero(n_dominators == 0)
    r = 0
    while front.size:
        rank[front] = r
        n_dominators -= dom[front].sum(axis=0)
        n_dominators[front] = -1  # never picked again
        front = np.flatnonzero(n_dominators == 0)
        r += 1
    return rank


def pareto_select(age, loss, uid, n: int) -> np.ndarray:
    """Choose ``n`` survivors by Pareto dominance on (age, loss), both minimised.

    Successive non-dominated fronts (:func:`pareto_ranks`) are taken whole
    while they fit; the front that overflows is filled by lowest loss, then
    lowest age, then lowest uid (a total order, so the choice is
    deterministic).  The individual with the lowest loss (and, among those,
    the lowest age) is in front 0 and comes first in that order, so it always
    survives: AFPO is elitist.

    Parameters
    ----------
    age, loss, uid : (N,) arrays (int64, float64, int64)
    n : int, 0 <= n <= N

    Returns
    -------
    (n,) int64 indices, ordered by (front, loss, age, uid): the first is a best
    """
    age, loss, uid = np.asarray(age), np.asarray(loss), np.asarray(uid)
    if not (age.shape == loss.shape == uid.shape and age.ndim == 1):
        raise ValueError(f"age, loss and uid must be 1-D of equal length, got {age.shape}, {loss.shape}, {uid.shape}")
    if not (_is_int(n) and 0 <= n <= age.size):
        raise ValueError(f"n must be an integer in 0..{age.size}, got {n!r}")
    rank = pareto_ranks(np.stack([age.astype(np.float64), loss.astype(np.float64)], axis=1))
    return np.lexsort((uid, age, loss, rank))[:n].astype(np.int64)


def _truncation_select(age, loss, uid, n: int) -> np.ndarray:
    """The ``n`` best by loss, ties by lower age, then lower uid (ordered best first)."""
    return np.lexsort((uid, age, loss))[:n].astype(np.int64)


def tournament(loss, age, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` tournament selections: the index of each tournament's winner.

    Each tournament draws ``size`` *distinct* individuals uniformly; the winner
    has the lowest loss, ties broken by lower age, then uniformly at random.
    Vectorised: one ``(n, P)`` uniform draw per call, whatever the ties.

    Parameters
    ----------
    loss : (P,) array of real
    age : (P,) int array
    n : int >= 0, number of tournaments
    size : int in 1..P, entrants per tournament (2 = binary tournament)
    rng : numpy.random.Generator

    Returns
    -------
    (n,) int64 array of indices into the population
    """
    rng = _check_rng(rng)
    loss, age = np.asarray(loss), np.asarray(age)
    P = loss.shape[0]
    if not (_is_int(size) and 1 <= size <= P):
        raise ValueError(f"tournament size must be an integer in 1..{P} (the population size), got {size!r}")
    keys = rng.random((n, P))
    entrants = np.argpartition(keys, size - 1, axis=1)[:, :size]  # a uniform random size-subset per row
    # The entrants' keys are exchangeable, so they double as the random tie-break.
    tie = np.take_along_axis(keys, entrants, axis=1)
    order = np.lexsort((tie, age[entrants], loss[entrants]), axis=-1)
    return np.take_along_axis(entrants, order[:, :1], axis=1)[:, 0].astype(np.int64)


# --------------------------------------------------------------------------- #
# algorithms
# --------------------------------------------------------------------------- #
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
        return get_operator(self.mutation, **self.mutation_params)(parents, rng)

    def _random_genomes(self, rng: np.random.Generator, n: int, D: int) -> np.ndarray:
        g = rng.uniform(-self.init_scale, self.init_scale, size=(n, D)).astype(np.float32)
        if self.mutation == "lattice":
            g = to_lattice(g, self.mutation_params.get("k", DEFAULT_LATTICE_K))
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
                if not on_lattice(g, k):
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


# --------------------------------------------------------------------------- #
# registry
# --------------------------------------------------------------------------- #
#: Algorithms by name; each class has ``init``, ``tell_init``, ``ask`` and ``tell``.
ALGORITHMS: dict[str, type] = {"afpo": AFPO, "ga": GA, "hillclimb": HillClimbers}


def algorithm_params(name: str) -> dict:
    """The configuration parameters of algorithm ``name`` with their defaults."""
    if name not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {name!r}; valid: {', '.join(sorted(ALGORITHMS))}")
    out = {}
    for f in dataclasses.fields(ALGORITHMS[name]):
        out[f.name] = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
    return out


def make_algorithm(name: str, **params):
    """Build algorithm ``name`` from keyword parameters.

    Raises ValueError (one line) for an unknown name or parameter, naming the
    valid ones, and for a bad value (pop_size < 1, n_newcomers < 0,
    tournament_size outside 1..pop_size, an unknown mutation operator, ...).

    Examples
    --------
    >>> make_algorithm("ga", pop_size=10, tournament_size=3).n_offspring
    10
    """
    valid = algorithm_params(name)
    for key in params:
        if key not in valid:
            raise ValueError(f"unknown parameter {key!r} for algorithm {name!r}; valid: {', '.join(valid)}")
    return ALGORITHMS[name](**params)
