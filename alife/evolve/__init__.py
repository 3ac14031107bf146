"""Evolution of HNCAs: mutation operators; algorithms and runner come next.

Public surface::

    import numpy as np
    from alife.evolve import get_operator
    op = get_operator("resample", n_genes=1)        # or "gaussian", "lattice"
    children, mutated = op(parents, np.random.default_rng(0))
    # children: fresh (P, D) float32; mutated: (P, D) bool == (children != parents)
"""
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
]
