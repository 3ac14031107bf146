"""Algorithms by name, their parameters, and a builder from keyword parameters."""
from __future__ import annotations

import dataclasses

from .afpo import AFPO
from .ga import GA
from .hillclimb import HillClimbers

__all__ = ["ALGORITHMS", "algorithm_params", "make_algorithm"]


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
