"""A user's fitness function in place of a task's loss.

A *fitness* is any Python callable that scores phenotypes::

    def fitness(phenotypes):            # (n, H, W) bool, read-only
        return losses                   # (n,) real numbers, lower is better

It receives the phenotypes of one batch (one generation's offspring, or the
first population) exactly as the task's loss would: the pattern of the one
rollout :func:`alife.tasks.evaluate` develops (under the ``damage`` mode the
recovered pattern).  Degenerate patterns (all cells off or all on) are passed
too, so the fitness decides what they are worth.  It must return one finite
real number per phenotype, which replaces the task's loss: selection,
mutation classes and the stored ``loss`` all use it.

The fitness runs in the calling process, once per batch, after the
development (which may be split over an :mod:`alife.parallel` executor), so
it need not be picklable and results do not depend on the executor.

:func:`apply_fitness` calls it and checks what comes back (one-line
ValueError naming the fix); :func:`fitness_name` is the name a run file
records for it.
"""
from __future__ import annotations

import numpy as np

__all__ = ["apply_fitness", "fitness_name", "check_fitness"]

_CONTRACT = "one finite loss per phenotype, lower is better"


def fitness_name(fitness) -> str:
    """The name a run records for ``fitness``: ``module.qualified_name``.

    A function ``f`` defined in a notebook is ``__main__.f``; a lambda
    ``__main__.<lambda>``; a callable object is named by its class.

    Raises
    ------
    ValueError
        If ``fitness`` is not callable.
    """
    check_fitness(fitness)
    owner = fitness if hasattr(fitness, "__qualname__") else type(fitness)
    module = getattr(owner, "__module__", None) or "?"
    return f"{module}.{owner.__qualname__}"


def check_fitness(fitness) -> None:
    """Raise a one-line ValueError unless ``fitness`` is callable."""
    if not callable(fitness):
        raise ValueError(f"fitness must be a callable f(phenotypes) -> losses "
                         f"({_CONTRACT}), got {type(fitness).__name__}")


def apply_fitness(fitness, phenotypes: np.ndarray) -> np.ndarray:
    """Call ``fitness`` on a batch of phenotypes and check its answer.

    Parameters
    ----------
    fitness : callable
        ``fitness(phenotypes) -> array_like of shape (n,)``.
    phenotypes : (n, H, W) bool array
        Passed read-only (a view; the caller's array is not touched).

    Returns
    -------
    ndarray of float64, shape (n,)
        The losses (integers are converted exactly up to 2**53).

    Raises
    ------
    ValueError
        One line naming the fitness, what it returned and what it must
        return: not an array of real numbers, the wrong shape, or NaN / inf.
        An exception raised inside ``fitness`` propagates unchanged.
    """
    check_fitness(fitness)
    n = int(phenotypes.shape[0])
    view = phenotypes.view()
    view.setflags(write=False)
    out = fitness(view)
    where = f"fitness {fitness_name(fitness)}"
    try:
        a = np.asarray(out)
    except Exception as e:   # ragged lists and the like
        raise ValueError(f"{where} returned {type(out).__name__} that is not an array "
                         f"({' '.join(str(e).split())}); return shape ({n},), {_CONTRACT}") from None
    if a.dtype.kind not in "iuf":
        raise ValueError(f"{where} returned values of dtype {a.dtype}; return real numbers "
                         f"of shape ({n},), {_CONTRACT}")
    if a.shape != (n,):
        raise ValueError(f"{where} returned shape {a.shape} for {n} phenotypes; return "
                         f"shape ({n},), {_CONTRACT}")
    a = a.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{where} returned {bad.size} non-finite loss(es) of {n} (first: "
                         f"{a[i]} for phenotype {i}); return finite numbers, {_CONTRACT}")
    return a
