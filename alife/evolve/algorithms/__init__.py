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

from .afpo import AFPO
from .arrays import STATE_KEYS, from_arrays, to_arrays
from .ga import GA
from .hillclimb import HillClimbers
from .registry import ALGORITHMS, algorithm_params, make_algorithm
from .selection import pareto_ranks, pareto_select, tournament
from .state import Offspring, PopulationState

# The two Pareto-ranking paths, re-exported for the tests that compare them.
from .selection import _pareto_ranks_2d, _pareto_ranks_quadratic  # noqa: F401,E402

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
