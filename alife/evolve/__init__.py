"""Evolution of HNCAs: mutation operators and ask/tell algorithms; the runner comes next.

Public surface::

    import numpy as np
    from alife.evolve import get_operator
    op = get_operator("resample", n_genes=1)        # or "gaussian", "lattice"
    children, mutated = op(parents, np.random.default_rng(0))
    # children: fresh (P, D) float32; mutated: (P, D) bool == (children != parents)

    algo = make_algorithm("afpo", pop_size=100, n_newcomers=1)   # or "ga", "hillclimb"
    first = algo.init(rng, genome_size=51)
    state = algo.tell_init(first.genomes, loss_of(first.genomes))
    off = algo.ask(state, rng)
    state = algo.tell(state, off, loss_of(off.genomes), rng)
"""
from .algorithms import (
    AFPO,
    ALGORITHMS,
    GA,
    STATE_KEYS,
    HillClimbers,
    Offspring,
    PopulationState,
    algorithm_params,
    from_arrays,
    make_algorithm,
    pareto_ranks,
    pareto_select,
    to_arrays,
    tournament,
)
from .mutation import (
    DEFAULT_LATTICE_K,
    MAX_LATTICE_K,
    OPERATORS,
    Mutation,
    gaussian,
    get_operator,
    lattice,
    lattice_values,
    on_lattice,
    operator_params,
    resample,
    to_lattice,
)

__all__ = [
    "resample",
    "gaussian",
    "lattice",
    "lattice_values",
    "to_lattice",
    "on_lattice",
    "OPERATORS",
    "get_operator",
    "operator_params",
    "Mutation",
    "DEFAULT_LATTICE_K",
    "MAX_LATTICE_K",
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
