"""Tasks for HNCAs: target patterns, loss, and the one evaluator.

A *target* is a bool ``(N, N)`` array at the resolution of the phenotype
(the output level, normally the base level of side ``N = spec.base_size``).
The loss of a phenotype is the number of cells where it differs from the
target (lower is better); degenerate phenotypes (all 0 or all 1) get the
*worst loss*, ``N * N``.  A :class:`Task` is a named target and a mode
(``final``, ``homeostasis`` or ``damage``), and :meth:`Task.evaluate`
develops a population once and scores it::

    from alife.nca import HNCASpec
    from alife.tasks import Task

    spec = HNCASpec.preset("bielawski")
    task = Task.from_name("hollow_circle", spec.base_size)
    ev = task.evaluate(spec, spec.random_genomes(500))
    ev.loss, ev.ids, ev.phenotypes      # (500,) float64, (500,) int64, (500, 64, 64) bool

Modules: :mod:`~alife.tasks.targets` (built-in shapes and bitmap files),
:mod:`~alife.tasks.scoring` (loss of patterns, damage of states),
:mod:`~alife.tasks.task` (:class:`Task` and its modes) and
:mod:`~alife.tasks.evaluation` (:func:`evaluate`, :class:`Evaluation`).
Under ``damage`` a genome's phenotype is the pattern it recovers after the
damage (what selection scores); under ``homeostasis`` its final pattern.
Imports numpy, :mod:`alife.nca` and :mod:`alife.parallel`; matplotlib only
to read PNG targets.
"""
from .evaluation import (DEFAULT_CHUNK, Evaluation, damage_loss, evaluate, homeostasis_loss)
from .scoring import damage_states, loss, loss_from_counts, proportion_correct
from .targets import TARGET_SUFFIXES, TARGETS, TEXT_OFF, TEXT_ON, load_target, target
from .task import MODE_PARAMS, TASK_MODES, Task

__all__ = [
    "TARGETS",
    "TARGET_SUFFIXES",
    "TEXT_ON",
    "TEXT_OFF",
    "TASK_MODES",
    "MODE_PARAMS",
    "DEFAULT_CHUNK",
    "target",
    "load_target",
    "loss",
    "loss_from_counts",
    "proportion_correct",
    "homeostasis_loss",
    "damage_states",
    "damage_loss",
    "Task",
    "Evaluation",
    "evaluate",
]
