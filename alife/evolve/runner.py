"""Run an evolution experiment from a config into a crash-proof HDF5 run file.

One generation is: ask the algorithm for offspring, develop and score them
all on the task in one :meth:`alife.tasks.Task.evaluate` (one rollout per
genome in every task mode, with trajectory fingerprints; split over the
workers of an :mod:`alife.parallel` executor if one is given; under the
``damage`` mode the stored phenotype is the recovered pattern), classify
every mutation against its parent, tell
the algorithm, append the surviving population to the run file (flushed),
then checkpoint the algorithm state and the random generator atomically.
The append and the checkpoint of a generation run on a writer thread
(:mod:`.writer`) while the next generation develops; a generation is
written only once the one before it is durable, and a write's error is
raised in the calling thread.

Nothing is lost: a run killed at any moment resumes from its checkpoint
(the run file is first cut back to the checkpoint's generation) and ends
bit-identical to an uninterrupted run with the same config, because every
random draw comes from one ``numpy.random.Generator`` seeded from the
config's seed and restored exactly.  One process writes a run file at a
time (its lock is held for the whole run), and a run resumes only from its
own checkpoint (same run id, same generation CRC, not ahead of the file);
anything else is a one-line error that names the way out.

:func:`evolve_in_memory` runs the same loop into a run file held in memory
(no file, lock or checkpoint).  Both take the :class:`~.callbacks.Hooks` of
:func:`alife.evolve.run`: a user's fitness in place of the task's loss
(recorded in the run file; a resume needs a fitness of the same name) and
callbacks called after each generation is stored.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..logs import progress_bar
from ..parallel import Executor
from .config import EvolveConfig, check_sizes, dumps
from ..store import (CHECKPOINT_FIX, Checkpoint, RunFile, RunFileError, check_checkpoint,
                     check_target, checkpoint_path, load_checkpoint, output_lock,
                     write_checkpoint)
from ..tasks import Evaluation
from .algorithms import from_arrays, to_arrays
from .callbacks import NO_HOOKS, Hooks
from .lineage import NONE, class_counts, classify
from .writer import GenerationWriter

#: Per-individual extras carried beside the algorithm state (same rows) and
#: checkpointed with it.
_EXTRA = ("x_pheno_raw", "x_fingerprint", "x_parent_uid", "x_mclass", "x_pheno_id")


class RunError(ValueError):
    """A run cannot start or resume as asked (one line, for the CLI)."""


class _Progress:
    """A progress bar over generations with the time left (:func:`alife.logs.progress_bar`):
    on a terminal or in a notebook; silent off a terminal unless ``enabled``."""

    def __init__(self, total: int, enabled: bool | None = None, done: int = 0):
        self.bar = progress_bar(total, "generations", enabled=enabled, unit="gen", initial=done)

    def update(self, g: int, best: float, eps: float):
        self.bar.set_postfix_str(f"best loss {best:g}, {eps:,.0f} evals/s", refresh=False)
        self.bar.update(g + 1 - self.bar.n)

    def close(self):
        self.bar.close()


def _born(ev: Evaluation, parent_uid: np.ndarray, mclass: np.ndarray) -> dict:
    """Extras of freshly evaluated individuals, keyed like :data:`_EXTRA`."""
    return {"x_pheno_raw": ev.raw_ids, "x_fingerprint": ev.fingerprints,
            "x_parent_uid": parent_uid, "x_mclass": mclass, "x_pheno_id": ev.ids}


def _rows_by_uid(all_uid: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    order = np.argsort(all_uid, kind="stable")
    pos = np.searchsorted(all_uid[order], wanted)
    return order[pos]


def _record(path: Path | None, g: int, state, extras: dict, evals_per_s: float,
            ev_pheno: dict, rng: np.random.Generator, counts: np.ndarray) -> dict:
    """Everything :func:`_save` writes for generation ``g``, owned by the
    write (copies of the state, a snapshot of the generator), so the next
    generation can be computed while it is written."""
    arrays = to_arrays(state)                       # copies
    return {"g": g, "arrays": arrays, "extras": {k: extras[k] for k in _EXTRA},
            "evals_per_s": evals_per_s, "pheno": ev_pheno, "counts": counts,
            "rng_state": None if path is None else rng.bit_generator.state}


def _save(run: RunFile, path: Path | None, run_id: str | None, rec: dict) -> None:
    """Store one generation (a :func:`_record`): its new phenotypes, its rows
    (flushed, fsync'ed), then the checkpoint (atomic).  Runs on the writer
    thread (:class:`~.writer.GenerationWriter`)."""
    g, arrays, extras, ev_pheno = rec["g"], rec["arrays"], rec["extras"], rec["pheno"]
    ids = extras["x_pheno_id"]
    new = sorted({i for i in ids.tolist() if i >= 0 and i in ev_pheno})   # ascending ids
    if new:
        run.add_phenotypes(np.array(new, np.int64), np.array([ev_pheno[i] for i in new]))
    run.append_generation(g, genomes=arrays["genomes"], loss=arrays["loss"], age=arrays["age"],
                          uid=arrays["uid"], parent_uid=extras["x_parent_uid"], phenotype_id=ids,
                          mutation_class=extras["x_mclass"], evals_per_s=rec["evals_per_s"],
                          class_counts=rec["counts"])
    if path is None:         # a run in memory: nothing to resume from
        return
    arrays = dict(arrays)
    arrays.update(extras)
    # the checkpoint is tied to this run file and to the generation it holds
    write_checkpoint(path, g, arrays, rec["rng_state"], run_id=run_id,
                     generation_crc=run.generation_checksum(g))


def _resume_point(run: RunFile, path: Path) -> Checkpoint | None:
    """The checkpoint to continue ``run`` from, checked against it; None to
    start afresh (no generation worth keeping: at most generation 0 was
    written before the first checkpoint).

    Raises RunFileError (one line, with the way out) for a missing checkpoint
    of a run with generations to keep, a damaged one, one of another run or
    one that runs ahead of the file: never a silent restart."""
    ck_path = checkpoint_path(path)
    if not (ck_path.exists() or ck_path.is_symlink()):
        if run.last_complete_generation >= 1:
            raise RunError(f"{path} has {run.generations_done} complete generations but no "
                           f"checkpoint ({ck_path.name}) to resume them from; {CHECKPOINT_FIX}")
        return None
    try:
        ck = load_checkpoint(path)
    except RunFileError as e:
        raise RunError(f"{e}; the run cannot resume from it: {CHECKPOINT_FIX}") from None
    check_checkpoint(run, ck)
    return ck


def _other_fitness(path: Path, stored: str | None, given: str | None) -> str:
    """Why a run cannot resume with the fitness ``given`` (names or None)."""
    if stored is None:
        return (f"{path} was evolved with its config's task loss, not the fitness {given}; "
                f"resume it without a fitness, or use a new --out, or --force to overwrite it")
    how = "from the command line" if given is None else f"with the fitness {given}"
    return (f"{path} was evolved with the user-supplied fitness {stored}; it cannot resume "
            f"{how}: resume it from Python with alife.evolve.run(config, fitness={stored}, "
            f"out=...), or use a new --out, or --force to overwrite it")


def _open_to_resume(path: Path, text: str, force: bool,
                    fitness: str | None = None) -> tuple[RunFile | None, Checkpoint | None]:
    """Under the output lock: the run file to continue and its checkpoint,
    or ``(None, None)`` to create the run file afresh."""
    if not check_target(path, force=True) or force:
        return None, None
    run = RunFile.open(path, "a")
    try:
        if run.fitness != fitness:
            raise RunError(_other_fitness(path, run.fitness, fitness))
        if run.config_toml != text:
            raise RunError(f"{path} was written by a different config; use a new --out, "
                           f"or --force to overwrite it")
        if run.status == "done":
            raise RunError(f"{path} is a finished run; use --force to overwrite it "
                           f"or a new --out")
        ck = _resume_point(run, path)
        if ck is None:
            run.close()
            return None, None
        run.truncate_to(ck.generation)
    except BaseException:
        run.close()
        raise
    return run, ck


def evolve(config: EvolveConfig, out_path, *, force: bool = False, progress: bool | None = None,
           stop_after: int | None = None, executor: Executor | None = None,
           hooks: Hooks = NO_HOOKS, background_writes: bool = True) -> dict:
    """Run (or resume) the evolution described by ``config`` into ``out_path``.

    Parameters
    ----------
    config : EvolveConfig
    out_path : path of the HDF5 run file
    force : bool
        Start afresh even if ``out_path`` holds a finished run or another
        config's run (the old file is replaced only once the new one exists).
        Never takes over a file another process is writing.
    progress : bool or None
        Show a progress bar with the time left (None: only on a terminal or
        in a notebook).
    stop_after : int, optional
        Stop after this many new generations (for tests of resuming).
    executor : alife.parallel.Executor, optional
        Where each generation's batch is developed (default: Numba threads in
        this process).  A runtime choice, not part of the config: the run
        file is the same bit for bit whatever the executor, so a run started
        with one can be resumed with another.
    hooks : alife.evolve.callbacks.Hooks
        A user's fitness and callbacks (what :func:`alife.evolve.run`
        passes).  A run with a fitness records its name
        (:attr:`alife.store.RunFile.fitness`) and resumes only with a
        fitness of that name.
    background_writes : bool
        Store each generation (the flushed append and the checkpoint) on a
        writer thread while the next generation develops (default), or
        store it before the next one starts (False).  The files are the
        same bit for bit either way, and so are the crash guarantees: a
        generation is written only once the one before it is durable, a
        write's error is raised here, and a run killed at any moment
        resumes from its last checkpoint.

    The output's lock (:func:`alife.store.output_lock`) is held for the whole
    call; a resume continues from the run's own checkpoint only
    (:func:`alife.store.check_checkpoint`).

    Returns
    -------
    dict : the run file's summary.

    Raises
    ------
    alife.store.OutputLockedError
        Another process is writing ``out_path``.
    RunError, alife.store.RunFileError
        One line: another config's or a finished run (without ``force``), a
        damaged run file or checkpoint, a checkpoint of another run.
    """
    path = Path(out_path)
    check_sizes(config)       # before any work, and before the output's lock is taken
    with output_lock(path):
        return _evolve_locked(config, path, force, progress, stop_after, executor, hooks,
                              background_writes=background_writes)


def evolve_in_memory(config: EvolveConfig, *, progress: bool | None = False,
                     executor: Executor | None = None, hooks: Hooks = NO_HOOKS,
                     background_writes: bool = True) -> RunFile:
    """Run the evolution described by ``config`` into a run file held in
    memory (:meth:`alife.store.RunFile.in_memory`): the same generations, bit
    for bit, as :func:`evolve` writes, without a file, a lock or checkpoints
    (``background_writes`` as for :func:`evolve`).

    Returns
    -------
    alife.store.RunFile
        The finished run, open (in memory until it is closed).
    """
    check_sizes(config)       # before any work, as for a file
    run = RunFile.in_memory(hooks.config_text(dumps(config)),
                            np.random.SeedSequence(config.seed).entropy,
                            fitness=hooks.fitness_name)
    try:
        _evolve_locked(config, None, False, progress, None, executor, hooks, run,
                       background_writes)
    except BaseException:
        run.close()
        raise
    return run


class _Generations:
    """The writes of a run, one generation behind its computation: each
    generation is handed over (:meth:`store`), written by a
    :class:`~.writer.GenerationWriter` from :meth:`start` on, and, once it
    is durable (appended and checkpointed), announced to the callbacks and
    the progress bar (in the calling thread, with no write in flight).

    The runner calls :meth:`start` just before it develops the next
    generation: the write's Python and HDF5 work then runs while the
    kernels have released the GIL, instead of slowing the asking and
    selecting, which hold it."""

    def __init__(self, run: RunFile, path: Path | None, hooks: Hooks, background: bool):
        self.run, self.path, self.hooks = run, path, hooks
        self.run_id = run.run_id
        self.writer = GenerationWriter(background)
        self.queued = None            # the record handed over, not yet being written
        self.pending = None           # what to announce once it is durable
        self.bar = None

    def store(self, g: int, state, extras: dict, eps: float, pheno: dict,
              rng: np.random.Generator, counts: np.ndarray) -> None:
        """Wait until the previous generation is durable (raising its write's
        error), announce it, then hand generation ``g`` over (its record is
        taken now: ``rng`` may move on)."""
        self.settle()
        self.queued = _record(self.path, g, state, extras, eps, pheno, rng, counts)
        self.pending = (g, state, extras["x_pheno_id"], eps, counts)

    def start(self) -> None:
        """Start writing the generation handed over, if any."""
        rec, self.queued = self.queued, None
        if rec is not None:
            self.writer.submit(_save, self.run, self.path, self.run_id, rec)

    def settle(self) -> None:
        """Wait until every generation handed over is durable; announce it."""
        self.start()
        self.writer.wait()
        if self.pending is not None:
            g, state, ids, eps, counts = self.pending
            self.pending = None
            self.hooks.generation(self.run, g, state, ids, eps, counts)
            if self.bar is not None:
                self.bar.update(g, float(state.loss.min()), eps)

    def abandon(self, error: BaseException) -> None:
        """On ``error`` in the calling thread: let the write in flight end
        (the file is closed only after it), noting its own error on ``error``."""
        lost = self.writer.close()
        if lost is not None and lost is not error:
            error.add_note(f"the background write of the run file also failed: "
                           f"{type(lost).__name__}: {lost}")


def _first_generation(path, text, spec, task, algo, ss, executor, hooks, run):
    """Draw, develop and select generation 0 (creating the run file when it
    is not in memory): ``(run, state, extras, rng, record)``, with the
    arguments of :meth:`_Generations.store` for generation 0 in ``record``."""
    rng = np.random.default_rng(ss)
    t = time.perf_counter()
    first = algo.init(rng, genome_size=spec.n_genes)
    ev = hooks.evaluate(task, spec, first.genomes, executor)
    eps = len(first) / (time.perf_counter() - t)
    # the file is created once the first batch exists: a batch too big for
    # memory leaves no 0-generation run file behind
    if run is None:
        run = RunFile.create(path, text, ss.entropy, force=True, fitness=hooks.fitness_name)
    state = algo.tell_init(first.genomes, ev.loss)
    none = np.full(len(first), NONE, np.int8)
    born = _born(ev, np.full(len(first), -1, np.int64), none)
    extras = {k: v[_rows_by_uid(first.uid, state.uid)] for k, v in born.items()}
    record = (0, state, extras, eps, dict(zip(ev.ids.tolist(), ev.phenotypes)), rng,
              class_counts(none))
    return run, state, extras, rng, record


def _next_generation(algo, task, spec, state, off, extras: dict, rng, executor, hooks):
    """Develop and score the offspring ``off`` asked of ``state``, classify
    the mutations, select: ``(state, extras, phenotypes by id,
    mutation-class counts, offspring count)``."""
    ev = hooks.evaluate(task, spec, off.genomes, executor)
    has_parent = off.parent_index >= 0
    pidx = np.where(has_parent, off.parent_index, 0)
    mclass = classify(has_parent, state.loss[pidx], ev.loss,
                      extras["x_pheno_raw"][pidx], ev.raw_ids,
                      extras["x_fingerprint"][pidx], ev.fingerprints)
    new_state = algo.tell(state, off, ev.loss, rng)
    # carry per-individual extras through selection, by uid
    born = _born(ev, off.parent_uid, mclass)
    rows = _rows_by_uid(np.concatenate([state.uid, off.uid]), new_state.uid)
    extras = {k: np.concatenate([extras[k], born[k]])[rows] for k in _EXTRA}
    pheno = dict(zip(ev.ids.tolist(), ev.phenotypes))
    return new_state, extras, pheno, class_counts(mclass), len(off)


def _evolve_locked(config: EvolveConfig, path: Path | None, force: bool, progress, stop_after,
                   executor, hooks: Hooks = NO_HOOKS, memory: RunFile | None = None,
                   background_writes: bool = True) -> dict:
    text = hooks.config_text(dumps(config))
    spec, task, algo = config.spec(), config.task_object(), config.algorithm_object()
    if not spec.layout.mutable.all():   # wiring genes: inherited, drawn by the wiring's rules
        algo = algo.with_fixed_genes(spec.layout.mutable, spec.random_wiring_genes)
    ss = np.random.SeedSequence(config.seed)
    run, checkpoint = memory, None
    if memory is None:
        run, checkpoint = _open_to_resume(path, text, force, hooks.fitness_name)
    gens, bar = None, None
    try:
        if checkpoint is None:                    # a fresh run
            run, state, extras, rng, record = _first_generation(
                path, text, spec, task, algo, ss, executor, hooks, run)
            gens = _Generations(run, path, hooks, background_writes)
            gens.store(*record)
            done_new = 1
        else:
            arrays = dict(checkpoint.arrays)
            extras = {k: arrays.pop(k) for k in _EXTRA}
            state = from_arrays(arrays)
            rng = np.random.default_rng()
            rng.bit_generator.state = checkpoint.rng_state
            gens = _Generations(run, path, hooks, background_writes)
            done_new = 0
        bar = gens.bar = _Progress(config.generations, progress, done=state.generation + 1)
        t = time.perf_counter()
        for g in range(state.generation + 1, config.generations):
            if stop_after is not None and done_new >= stop_after:
                break
            off = algo.ask(state, rng)
            gens.start()              # the previous generation is written while this one develops
            state, extras, pheno, counts, n_off = _next_generation(
                algo, task, spec, state, off, extras, rng, executor, hooks)
            # the previous generation is durable before this one is written
            gens.settle()
            # throughput of the whole generation: asking, developing, scoring,
            # selection, bookkeeping and what remained of the previous
            # generation's writes
            now = time.perf_counter()
            eps = n_off / (now - t)
            t = now
            gens.store(g, state, extras, eps, pheno, rng, counts)
            done_new += 1
        else:
            gens.settle()
            run.mark_done()
        gens.settle()                 # (stopped early: the last generation handed over)
        return run.summary()
    except BaseException as e:
        if gens is not None:
            gens.abandon(e)
        raise
    finally:
        if gens is not None:
            gens.writer.close()
        if bar is not None:
            bar.close()
        hooks.close()
        if memory is None and run is not None:
            run.close()
