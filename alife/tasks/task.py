"""A task: a target pattern and the mode by which a population is scored on it.

Three modes (:data:`TASK_MODES`), each one rollout per genome:

``final``
    The loss of the final phenotype (after ``spec.steps`` steps).
``homeostasis``
    The mean loss over the last ``homeostasis_k`` steps ``T-k+1 .. T``: the
    pattern must be reached and then kept.
``damage``
    After step ``damage_step`` a rectangle ``damage_rect`` (base-level cells)
    is zeroed on every level; the loss is that of the pattern the genome
    recovers by step ``T``.

The *phenotype* of a genome under a task is the pattern of the rollout that
is scored: the final pattern for ``final`` and ``homeostasis``; for
``damage`` the recovered (final, damaged-then-regrown) pattern, which is
what selection sees (the undamaged pattern is not developed).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..nca.develop import check_rect
from ..nca.spec import HNCASpec
from .scoring import _as_bool, check_spec_target
from .targets import load_target, target

__all__ = ["TASK_MODES", "Task"]

#: The ways a task scores a population.
TASK_MODES = ("final", "homeostasis", "damage")

#: The parameters each mode takes (all required for that mode, None otherwise).
MODE_PARAMS = {"final": (), "homeostasis": ("homeostasis_k",),
               "damage": ("damage_step", "damage_rect")}


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


@dataclass(frozen=True, eq=False)
class Task:
    """A named target pattern and how to score a population against it.

    Parameters
    ----------
    name : str
        A built-in target name or, for :meth:`from_file`, the file's stem.
    target : array_like of bool, shape (N, N)
        Stored as a read-only bool copy; must have both 0 and 1 cells.
    mode : {"final", "homeostasis", "damage"}
        How the loss is computed (see the module docstring).
    homeostasis_k : int, only with mode "homeostasis"
        Steps averaged, ``1 <= k <= T`` (``k = 1`` is the final loss).
    damage_step : int, only with mode "damage"
        Step after which the damage is applied, ``0 <= damage_step <= T``
        (0 damages the seed state; ``T`` scores the damaged pattern itself).
    damage_rect : (row0, col0, height, width), only with mode "damage"
        In base-level cells; height, width >= 1, inside the base grid.

    Notes
    -----
    Bounds that depend on the HNCA (``k``, ``damage_step`` against the
    steps, the rectangle against the base grid, the target's side against
    the phenotype's) are checked by :meth:`check` when evaluating.

    Two tasks are equal when their names, targets, modes and parameters are.
    """

    name: str
    target: np.ndarray
    mode: str = "final"
    homeostasis_k: int | None = None
    damage_step: int | None = None
    damage_rect: tuple[int, int, int, int] | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Task: name must be a non-empty string, got {self.name!r}")
        t = _as_bool(self.target, "target", "Task")
        if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 1:
            raise ValueError(f"Task {self.name!r}: target must be a square (N, N) array, "
                             f"got shape {t.shape}")
        if not t.any() or t.all():
            raise ValueError(f"Task {self.name!r}: target is degenerate (all 0 or all 1); "
                             "use a pattern with both on and off cells")
        t = np.array(t, dtype=bool, copy=True)
        t.setflags(write=False)
        object.__setattr__(self, "target", t)
        self._check_mode()

    def _check_mode(self):
        where = f"Task {self.name!r}"
        if self.mode not in TASK_MODES:
            raise ValueError(f"{where}: unknown mode {self.mode!r}; choose one of "
                             f"{', '.join(TASK_MODES)}")
        used = MODE_PARAMS[self.mode]
        for key in ("homeostasis_k", "damage_step", "damage_rect"):
            v = getattr(self, key)
            if key not in used and v is not None:
                owner = next(m for m, ks in MODE_PARAMS.items() if key in ks)
                raise ValueError(f"{where}: {key} is only used with mode {owner!r} (mode is "
                                 f"{self.mode!r}); leave it out or set mode={owner!r}")
            if key in used and v is None:
                raise ValueError(f"{where}: mode {self.mode!r} needs {key}")
        if self.mode == "homeostasis" and (not _is_int(self.homeostasis_k)
                                           or self.homeostasis_k < 1):
            raise ValueError(f"{where}: homeostasis_k must be an integer >= 1 (the number of "
                             f"final steps averaged), got {self.homeostasis_k!r}")
        if self.mode == "damage":
            if not _is_int(self.damage_step) or self.damage_step < 0:
                raise ValueError(f"{where}: damage_step must be an integer >= 0 (the step "
                                 f"after which the damage is applied), got {self.damage_step!r}")
            r = self.damage_rect
            if not (isinstance(r, (tuple, list, np.ndarray)) and len(r) == 4
                    and all(_is_int(v) for v in r) and r[0] >= 0 and r[1] >= 0
                    and r[2] >= 1 and r[3] >= 1):
                raise ValueError(f"{where}: damage_rect must be (row0, col0, height, width) "
                                 f"integers with row0, col0 >= 0 and height, width >= 1, "
                                 f"got {r!r}")
            object.__setattr__(self, "damage_rect", tuple(int(v) for v in r))
            object.__setattr__(self, "damage_step", int(self.damage_step))
        if self.mode == "homeostasis":
            object.__setattr__(self, "homeostasis_k", int(self.homeostasis_k))

    @property
    def N(self) -> int:
        """Side of the target grid."""
        return int(self.target.shape[0])

    @property
    def params(self) -> dict:
        """The mode's parameters, ``{name: value}`` (empty for ``final``)."""
        return {key: getattr(self, key) for key in MODE_PARAMS[self.mode]}

    @classmethod
    def from_name(cls, name: str, N: int, mode: str = "final", **params) -> "Task":
        """The built-in target ``name`` (see :func:`target`) at side ``N``;
        ``mode`` and its parameters as in :class:`Task`."""
        return cls(name, target(name, N), mode, **params)

    @classmethod
    def from_file(cls, path, N: int, mode: str = "final", **params) -> "Task":
        """A bitmap target (see :func:`load_target`), named by the file's stem;
        ``mode`` and its parameters as in :class:`Task`."""
        return cls(Path(path).stem, load_target(path, N), mode, **params)

    def check(self, spec: HNCASpec, steps: int | None = None) -> None:
        """Check the task against an HNCA developed for ``steps`` (default
        ``spec.steps``) steps: the target's side is the phenotype's, and
        ``homeostasis_k``, ``damage_step`` and ``damage_rect`` fit.  One-line
        ValueError naming the problem."""
        where = f"Task {self.name!r}"
        check_spec_target(spec, self.target, where)
        T = spec.steps if steps is None else steps
        if self.mode == "homeostasis" and self.homeostasis_k > T:
            raise ValueError(f"{where}: homeostasis_k = {self.homeostasis_k} is more than the "
                             f"{T} development steps; use k in 1..{T}")
        if self.mode == "damage":
            if self.damage_step > T:
                raise ValueError(f"{where}: damage_step = {self.damage_step} is after the last "
                                 f"of the {T} development steps; use a step in 0..{T}")
            check_rect(spec, self.damage_rect, f"{where}: damage_rect")

    def evaluate(self, spec: HNCASpec, genomes: np.ndarray, *, fingerprint: bool = False,
                 executor=None, phenotypes: bool = True, steps: int | None = None,
                 method: str = "auto", chunk: int | None = None, fitness=None, device=None):
        """Develop every genome once, in this task's mode, and score it.

        The only place where HNCAs are developed and scored (the evolution
        runner and :class:`alife.gpmap.hnca.HNCAMap` call it); see
        :func:`alife.tasks.evaluate` for the parameters.  With ``fitness``
        (a user's callable, :mod:`alife.tasks.fitness`) the rollout is this
        task's, the loss is ``fitness(phenotypes)``.

        Returns
        -------
        alife.tasks.Evaluation
            Per-genome ``loss`` (float64), phenotype ``ids`` / ``raw_ids`` /
            ``degenerate``, ``fingerprints`` (with ``fingerprint=True``) and
            ``phenotypes`` (bool patterns, unless ``phenotypes=False``).
        """
        from .evaluation import evaluate
        return evaluate(spec, genomes, self, fingerprint=fingerprint, executor=executor,
                        phenotypes=phenotypes, steps=steps, method=method, chunk=chunk,
                        fitness=fitness, device=device)

    def __eq__(self, other):
        if not isinstance(other, Task):
            return NotImplemented
        return (self.name == other.name and self.mode == other.mode
                and self.params == other.params and np.array_equal(self.target, other.target))

    def __hash__(self):
        return hash((self.name, self.mode, tuple(self.params.items()), self.target.shape,
                     np.packbits(self.target).tobytes()))

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.params.items())
        mode = "" if self.mode == "final" else f", mode={self.mode!r}{extra}"
        return f"Task(name={self.name!r}, N={self.N}, on={int(self.target.sum())}{mode})"
