"""The evaluator: develop a population once and score it on a task.

:func:`evaluate` (and :meth:`alife.tasks.Task.evaluate`, which calls it) is
the only code in alife that develops HNCAs and scores them: the evolution
runner and the HNCA genotype-phenotype map
(:class:`alife.gpmap.hnca.HNCAMap`) both go through it.  Every genome is
developed in ONE rollout, whatever the task's mode:

* ``final``: a plain rollout; the loss of the final pattern.
* ``homeostasis``: the rollout scores the output level against the target
  at each of the last ``k`` steps as it passes them (mismatch and on-cell
  counts, no stored patterns); the loss is their mean.
* ``damage``: the rollout zeroes the rectangle after step ``damage_step``
  and goes on; the loss is that of the recovered final pattern.

Batches are split into chunks of ``chunk`` genomes (bounded memory) and,
with an :class:`alife.parallel.Executor`, into one contiguous sub-batch per
worker first; patterns are bit-packed for the way back from a worker.
Results do not depend on the chunk size, the executor or the thread count.

    from alife.nca import HNCASpec
    from alife.tasks import Task
    spec = HNCASpec.preset("bielawski")
    task = Task.from_name("square", 64, mode="homeostasis", homeostasis_k=10)
    ev = task.evaluate(spec, spec.random_genomes(500), fingerprint=True)
    ev.loss, ev.ids, ev.fingerprints        # (500,) float64, int64, uint64
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .._numba import CAN_CACHE
from ..nca.develop import Development, check_rect, develop
from ..nca.pattern_kernels import threshold_rows
from ..nca.phenotype import phenotype_ids
from ..nca.spec import HNCASpec
from ..parallel import IN_PROCESS
from .fitness import apply_fitness, check_fitness
from .scoring import check_spec_target, loss_from_counts
from .task import Task, _is_int

__all__ = ["Evaluation", "evaluate", "evaluate_rows", "homeostasis_loss", "damage_loss",
           "DEFAULT_CHUNK"]

#: Genomes per develop call (bounds the memory of one call).
DEFAULT_CHUNK = 4096


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation of P genomes gives, one row per genome.

    Attributes
    ----------
    ids : (P,) int64
        Stable phenotype ids (:func:`alife.nca.phenotype.phenotype_ids`),
        -1 for a degenerate (all-0 or all-1) pattern.
    raw_ids : (P,) int64
        The pattern ids with degenerate patterns included (what mutation
        classes compare).
    degenerate : (P,) bool
    loss : (P,) float64 or None
        The task's loss (lower is better; degenerate patterns count every
        cell wrong); None when evaluated without a task.
    fingerprints : (P,) uint64 or None
        Hashes of every level's state at every step of the rollout actually
        run (with ``fingerprint=True``); see :class:`alife.nca.Development`.
    phenotypes : (P, N, N) bool or None
        The patterns (None with ``phenotypes=False``).

    Notes
    -----
    The phenotype is the final pattern of the one rollout: under
    ``damage`` the recovered pattern, under ``homeostasis`` the final one.
    """

    ids: np.ndarray
    raw_ids: np.ndarray
    degenerate: np.ndarray
    loss: np.ndarray | None = None
    fingerprints: np.ndarray | None = None
    phenotypes: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class _Scoring:
    """A task's target and mode as plain data (what workers receive)."""

    target: np.ndarray
    mode: str = "final"
    homeostasis_k: int = 1
    damage_step: int = 0
    damage_rect: tuple = (0, 0, 1, 1)

    @classmethod
    def of(cls, task: Task | None) -> "_Scoring | None":
        return None if task is None else cls(np.asarray(task.target), task.mode, **task.params)

    def rollout(self, T: int) -> dict:
        """The keyword arguments of :func:`develop` for one rollout of this mode."""
        if self.mode == "homeostasis":
            k = self.homeostasis_k
            return {"target": self.target, "score_steps": np.arange(T - k + 1, T + 1)}
        if self.mode == "damage":
            return {"damage": (self.damage_step, self.damage_rect)}
        return {}

    def loss(self, dev: Development, counts=None) -> np.ndarray:
        """(P,) float64 loss of a rollout made with :meth:`rollout`.

        ``counts``: the ``(wrong, on)`` cell counts of ``dev``'s final
        patterns against this target, (P,) int64 each, when already known
        (:func:`_final_patterns`); otherwise they are counted here."""
        if self.mode == "homeostasis":
            step = loss_from_counts(dev.step_wrong, dev.step_on, self.target.size)
            return step.sum(axis=1) / self.homeostasis_k
        # loss(dev.phenotypes, target) from per-pattern counts, in one pass
        if counts is None:
            counts = _counts(dev.phenotypes, _target_bytes(self.target))
        return loss_from_counts(counts[0], counts[1], self.target.size).astype(np.float64)


def _target_bytes(target) -> np.ndarray:
    """An (N, N) target as (N * N,) 0/1 uint8, what the counting kernels take."""
    return np.ascontiguousarray(target, dtype=bool).reshape(-1).view(np.uint8)


def _counts(patterns, tgt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(wrong, on)``, (P,) int64 each: the cells of each (N, N) bool
    pattern that differ from ``tgt`` (:func:`_target_bytes`), and that are on."""
    ph = np.ascontiguousarray(patterns, dtype=bool)
    P = ph.shape[0]
    wrong, on = np.empty(P, np.int64), np.empty(P, np.int64)
    _pattern_counts(ph.reshape(P, tgt.size).view(np.uint8), tgt, wrong, on)
    return wrong, on


@njit(cache=CAN_CACHE, nogil=True)
def _pattern_counts(ph, tgt, wrong, on):
    """Cells of each pattern that differ from the target, and that are on.

    ph : (P, n) uint8 0/1 patterns (bool viewed as bytes); tgt : (n,) uint8.
    wrong, on : (P,) int64 receive the counts (what :func:`loss_from_counts`
    takes: the same loss as :func:`alife.tasks.loss` of the patterns).
    """
    P, n = ph.shape
    for p in range(P):
        w = 0
        o = 0
        for c in range(n):
            x = ph[p, c]
            w += x ^ tgt[c]
            o += x
        wrong[p] = w
        on[p] = o


def _final_patterns(dev: Development, target) -> tuple:
    """The final patterns of a rollout, their raw ids and cell counts.

    Returns ``(patterns, raw_ids, on, wrong)``: (P, N, N) bool
    :attr:`Development.phenotypes`, their (P,) int64 ids
    (:func:`phenotype_ids`), and (P,) int64 counts of on cells and of cells
    that differ from ``target`` ((N, N) bool, or None: ``wrong`` is then
    meaningless).  Thresholding and counting take one compiled pass when the
    comparison ``state > threshold`` is done in float32 (as for a Python
    float threshold on float32 states); otherwise the patterns come from
    :attr:`Development.phenotypes`."""
    spec = dev.spec
    s = dev.states[spec.output_level]
    P, N = s.shape[0], s.shape[1]
    n = N * N
    tgt = np.zeros(n, np.uint8) if target is None else _target_bytes(target)
    if isinstance(s, np.ndarray) and s.dtype == np.float32 \
            and np.result_type(s, spec.threshold) == np.float32:
        ph = np.empty((P, N, N), bool)
        on, wrong = np.empty(P, np.int64), np.empty(P, np.int64)
        x = np.ascontiguousarray(s[..., 0]).reshape(P, n)     # no copy for one channel
        threshold_rows(x, np.float32(spec.threshold), tgt, ph.reshape(P, n), on, wrong)
    else:
        ph = np.ascontiguousarray(dev.phenotypes, dtype=bool)
        wrong, on = _counts(ph, tgt)
    return ph, phenotype_ids(ph), on, wrong


def _rollout(spec: HNCASpec, G: np.ndarray, scoring: _Scoring | None, T: int, method: str,
             fingerprint: bool, device=None) -> Development:
    """One rollout of every genome of G, as ``scoring``'s mode needs it."""
    kw = {} if scoring is None else scoring.rollout(T)
    return develop(spec, G, steps=T, method=method, fingerprint=fingerprint, device=device, **kw)


def evaluate_rows(G: np.ndarray, spec: HNCASpec, scoring: _Scoring | None, T: int, method: str,
                  chunk: int, fingerprint: bool, phenotypes: bool, pack: bool,
                  device=None) -> dict:
    """Develop and score rows of genomes, ``chunk`` per develop call: one
    executor task (top level, so worker processes can unpickle it);
    ``device`` as in :func:`alife.nca.develop`.

    Returns a dict of per-row arrays (``raw_ids``, ``degenerate``, ``loss``,
    ``fingerprints``, ``phenotypes``; None where not asked); ``pack``
    bit-packs the patterns along their last axis (8x less to send back).
    """
    n = G.shape[0]
    out = {"raw_ids": np.empty(n, np.int64), "degenerate": np.empty(n, bool),
           "loss": None if scoring is None else np.empty(n, np.float64),
           "fingerprints": np.empty(n, np.uint64) if fingerprint else None,
           "phenotypes": None}
    pats = []
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        dev = _rollout(spec, G[a:b], scoring, T, method, fingerprint, device)
        ph, out["raw_ids"][a:b], on, wrong = _final_patterns(
            dev, None if scoring is None else scoring.target)
        n_cells = ph.shape[1] * ph.shape[2]
        out["degenerate"][a:b] = (on == 0) | (on == n_cells)    # all 0 or all 1
        if scoring is not None:
            out["loss"][a:b] = scoring.loss(dev, (wrong, on))
        if fingerprint:
            out["fingerprints"][a:b] = dev.fingerprints
        if phenotypes:
            pats.append(np.packbits(ph, axis=-1) if pack else ph)
    if phenotypes:
        if not pats:
            n_out = spec.sizes[spec.output_level]
            pats = [np.zeros((0, n_out, -(-n_out // 8) if pack else n_out),
                             np.uint8 if pack else bool)]
        out["phenotypes"] = pats[0] if len(pats) == 1 else np.concatenate(pats)
    return out


def _check_args(spec, task, steps, chunk, fitness) -> tuple[int, int]:
    if not isinstance(spec, HNCASpec):
        raise ValueError(f"evaluate: spec must be an HNCASpec, got {type(spec).__name__}; "
                         "build one with HNCASpec.preset('bielawski')")
    if task is not None and not isinstance(task, Task):
        raise ValueError(f"evaluate: task must be an alife.tasks.Task or None, got "
                         f"{type(task).__name__}")
    T = spec.steps if steps is None else steps
    if not _is_int(T) or T < 0:
        raise ValueError(f"evaluate: steps must be a non-negative integer or None, got {steps!r}")
    chunk = DEFAULT_CHUNK if chunk is None else chunk
    if not _is_int(chunk) or chunk < 1:
        raise ValueError(f"evaluate: chunk must be a positive integer, got {chunk!r}")
    if task is not None:
        task.check(spec, int(T))
    if fitness is not None:
        check_fitness(fitness)
    return int(T), int(chunk)


def evaluate(spec: HNCASpec, genomes: np.ndarray, task: Task | None = None, *,
             fingerprint: bool = False, executor=None, phenotypes: bool = True,
             steps: int | None = None, method: str = "auto",
             chunk: int | None = None, fitness=None, device=None) -> Evaluation:
    """Develop every genome once (in ``task``'s mode) and score it.

    Parameters
    ----------
    spec : HNCASpec
    genomes : (P, spec.n_genes) float32 array
    task : Task or None
        None: develop and identify the patterns only (``loss`` is None).
    fingerprint : bool
        Hash every genome's trajectory (``.fingerprints``; disables early
        stopping of dead genomes).
    executor : alife.parallel.Executor or None
        Where the batch is developed (default: Numba threads in this process).
        Any executor gives the same results bit for bit.
    phenotypes : bool
        Return the (P, N, N) bool patterns (False saves memory and, with an
        executor, the transfer).
    steps : int or None
        Development steps T (default ``spec.steps``).
    method : {"auto", "lanes", "gemm"}
        Kernel strategy (fingerprints are comparable only within one method).
    chunk : int or None
        Genomes per develop call (default :data:`DEFAULT_CHUNK`).
    fitness : callable or None
        A user's fitness (:mod:`alife.tasks.fitness`): called once, in this
        process, on the (P, N, N) bool phenotypes of the batch; the (P,)
        losses it returns replace the task's loss (``task`` still sets the
        rollout's mode and may be None).
    device : str or None
        None: the Numba kernels.  A torch device (``"cuda"``, ``"cpu"``):
        the torch twin there, in this process (no ``executor``), without
        ``fingerprint`` (see :func:`alife.nca.develop`); raise ``chunk`` to
        give a GPU large batches.

    Returns
    -------
    Evaluation

    Raises
    ------
    ValueError
        One line, for bad genomes, a task that does not fit the spec (target
        side, ``homeostasis_k`` or ``damage_step`` beyond ``steps``, damage
        rectangle outside the base grid), bad ``steps``/``chunk``, or a
        fitness that is not callable or returns anything but (P,) finite
        numbers.
    """
    T, chunk = _check_args(spec, task, steps, chunk, fitness)
    G = spec.check_genomes(genomes)
    ex = IN_PROCESS if executor is None else executor
    if device is not None and not ex.in_process:
        raise ValueError("evaluate: device= develops on a torch device in this process; "
                         "leave executor=None, or device=None to develop on the executor")
    patterns = phenotypes or fitness is not None       # a fitness scores the patterns
    pack = patterns and not ex.in_process
    kw = {} if device is None else {"device": device}
    r = ex.map_rows(evaluate_rows, G, spec, _Scoring.of(task), T, method, chunk, fingerprint,
                    patterns, pack, **kw)
    pats = r["phenotypes"]
    if pack:
        n = spec.sizes[spec.output_level]
        pats = np.unpackbits(pats, axis=-1, count=n).astype(bool)
    L = r["loss"] if fitness is None else apply_fitness(fitness, pats)
    raw = r["raw_ids"]
    return Evaluation(np.where(r["degenerate"], -1, raw), raw, r["degenerate"], L,
                      r["fingerprints"], pats if phenotypes else None)


# --------------------------------------------------------------------------- #
# the loss functions of the two extra modes, on a bare target
# --------------------------------------------------------------------------- #
def homeostasis_loss(spec: HNCASpec, genomes: np.ndarray, target, k: int) -> np.ndarray:
    """Mean loss over the last ``k`` steps of development, in one rollout.

    The :func:`loss` of the phenotype after each of the steps
    ``t = T-k+1 .. T`` (``T = spec.steps``), averaged; ``k = 1`` is the loss
    of the final phenotype.  The same numbers as developing to ``T - k``
    and then one step at a time, from one rollout that scores those steps.

    Parameters
    ----------
    spec : HNCASpec
    genomes : (P, spec.n_genes) float32 array
    target : array_like of bool, shape (N_out, N_out)
        At the phenotype's resolution (the output level's side).
    k : int
        Number of final steps averaged, ``1 <= k <= spec.steps``.

    Returns
    -------
    ndarray of float64, shape (P,)
        In ``0 .. N_out**2``.

    Raises
    ------
    ValueError
        For ``k`` out of range, a target of the wrong shape, or bad genomes.
    """
    t = check_spec_target(spec, target, "homeostasis_loss")
    if not _is_int(k) or not 1 <= k <= spec.steps:
        raise ValueError(f"homeostasis_loss: k must be an integer in 1..{spec.steps} "
                         f"(spec.steps), got {k!r}")
    scoring = _Scoring(t, "homeostasis", homeostasis_k=int(k))
    G = spec.check_genomes(genomes)
    return scoring.loss(_rollout(spec, G, scoring, spec.steps, "auto", False))


def damage_loss(spec: HNCASpec, genomes: np.ndarray, target, t_damage: int,
                rect) -> np.ndarray:
    """Loss of the pattern recovered after damage, in one rollout.

    Develops every genome, zeroes the rectangle ``rect`` on every level after
    step ``t_damage`` (see :func:`damage_states` for how base-level cells map
    to coarser levels), continues to ``spec.steps`` and returns the
    :func:`loss` of the final phenotype.  ``t_damage = spec.steps`` scores
    the damaged pattern itself (no time to recover).

    Parameters
    ----------
    spec : HNCASpec
    genomes : (P, spec.n_genes) float32 array
    target : array_like of bool, shape (N_out, N_out)
    t_damage : int
        Step after which the damage is applied, ``0 <= t_damage <= spec.steps``
        (0 = damage the seed state).
    rect : (row0, col0, height, width) tuple of int
        In base-level cells; inside the base grid, height and width >= 1.

    Returns
    -------
    ndarray of int64, shape (P,)

    Raises
    ------
    ValueError
        For ``t_damage`` or ``rect`` out of range, a target of the wrong
        shape, or bad genomes.
    """
    t = check_spec_target(spec, target, "damage_loss")
    if not _is_int(t_damage) or not 0 <= t_damage <= spec.steps:
        raise ValueError(f"damage_loss: t_damage must be an integer in 0..{spec.steps} "
                         f"(spec.steps), got {t_damage!r}")
    rect = check_rect(spec, rect, "damage_loss")
    scoring = _Scoring(t, "damage", damage_step=int(t_damage), damage_rect=rect)
    G = spec.check_genomes(genomes)
    return scoring.loss(_rollout(spec, G, scoring, spec.steps, "auto", False)).astype(np.int64)
