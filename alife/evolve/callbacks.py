"""What a run tells its callbacks after every generation, and two loggers.

A *callback* is any callable that takes one :class:`Generation`::

    def show(gen):
        print(gen.generation, gen.best_loss)

    alife.evolve.run("smoke", callbacks=[show, CSVLogger("log.csv")])

It is called once per generation (generation 0, the first population,
included), after the generation is stored and checkpointed, so a callback
that raises stops the run without losing it: the run resumes from that
generation.  (A generation is stored while the next one develops, so a
callback hears of it when that development ends.)  A resumed run calls its callbacks for the generations it
computes, not for those already in the file.

:class:`CSVLogger` writes the scalars of every generation to a CSV file,
:class:`TensorBoardLogger` to a TensorBoard log folder (needs the
``tensorboard`` extra).  The scalars are the columns of a run file's
``generations`` table (:data:`alife.store.GENERATION_COLUMNS`), computed by
the same function, so a log and ``run.to_pandas()`` hold the same numbers.
A callback with a ``close()`` method has it called when the run ends.
"""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..store import GENERATION_COLUMNS, generation_columns
from ..tasks import fitness_name

__all__ = ["Generation", "CSVLogger", "TensorBoardLogger"]

#: Marks the stored config of a run whose loss came from a user's function.
FITNESS_NOTE = ("# fitness: the user-supplied Python function {name} replaced the [task] "
                "loss;\n# this config alone does not reproduce the run.\n")


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Generation:
    """One generation of a run, as its callbacks receive it.

    Attributes
    ----------
    generation : int
        0 for the first population.
    best_loss, mean_loss, worst_loss : float
        Over the population after selection (lower is better).
    n_phenotypes : int
        Distinct non-degenerate phenotypes in the population.
    n_degenerate : int
        Individuals whose pattern is all off or all on.
    evals_per_s : float
        Evaluations per second of this generation (wall clock).
    offspring : dict of str -> int
        The generation's offspring per mutation class
        (:data:`alife.store.MUTATION_CLASS_NAMES`).
    loss : (P,) float64
        The population's losses (read-only).
    genomes : (P, D) float32
        The population's genomes (read-only).
    phenotype_id : (P,) int64
        Their phenotype ids, -1 for degenerate (read-only).
    best_phenotype : (H, W) bool or None
        The pattern of the best individual (the first of equals); None when
        it is degenerate.
    """

    generation: int
    best_loss: float
    mean_loss: float
    worst_loss: float
    n_phenotypes: int
    n_degenerate: int
    evals_per_s: float
    offspring: dict = field(repr=False)
    loss: np.ndarray = field(repr=False)
    genomes: np.ndarray = field(repr=False)
    phenotype_id: np.ndarray = field(repr=False)
    best_phenotype: np.ndarray | None = field(repr=False, default=None)

    def scalars(self) -> dict:
        """The numbers of a ``generations`` table row, in
        :data:`alife.store.GENERATION_COLUMNS` order (Python ints and floats)."""
        out = {}
        for name in GENERATION_COLUMNS:
            if name.startswith("offspring_"):
                out[name] = int(self.offspring[name[len("offspring_"):]])
            else:
                out[name] = getattr(self, name)
        return out


def generation_record(run, g: int, loss, genomes, phenotype_id, evals_per_s: float,
                      class_counts) -> Generation:
    """The :class:`Generation` of generation ``g`` just stored in ``run``."""
    cols = generation_columns([g], np.asarray(loss)[None], np.asarray(phenotype_id)[None],
                              [evals_per_s], np.asarray(class_counts)[None])
    best = int(np.argmin(loss))
    pid = int(phenotype_id[best])
    scal = {k: (float(v[0]) if v.dtype.kind == "f" else int(v[0])) for k, v in cols.items()}
    offspring = {k[len("offspring_"):]: scal.pop(k) for k in list(scal) if k.startswith("offspring_")}
    return Generation(**scal, offspring=offspring, loss=_readonly(loss),
                      genomes=_readonly(genomes), phenotype_id=_readonly(phenotype_id),
                      best_phenotype=None if pid < 0 else _readonly(run.phenotype(pid)))


class Hooks:
    """What :func:`alife.evolve.run` adds to a run: a user's fitness in place
    of the task's loss, and callbacks after every generation.

    Parameters
    ----------
    fitness : callable or None
        See :mod:`alife.tasks.fitness`.
    callbacks : callable or iterable of callables
    """

    def __init__(self, fitness=None, callbacks=()):
        self.fitness = fitness
        self.fitness_name = None if fitness is None else fitness_name(fitness)
        if callable(callbacks):
            callbacks = (callbacks,)
        try:
            callbacks = tuple(callbacks)
        except TypeError:
            raise ValueError(f"callbacks must be a list of callables f(generation), got "
                             f"{type(callbacks).__name__}") from None
        bad = [type(c).__name__ for c in callbacks if not callable(c)]
        if bad:
            raise ValueError(f"callbacks must be callables f(generation); got a {bad[0]}")
        self.callbacks = callbacks

    def config_text(self, text: str) -> str:
        """The config text a run stores: ``text``, after a note naming the
        fitness when there is one."""
        if self.fitness_name is None:
            return text
        return FITNESS_NOTE.format(name=self.fitness_name) + text

    def evaluate(self, task, spec, genomes, executor):
        """One evaluation of a batch, as the runner makes it."""
        return task.evaluate(spec, genomes, fingerprint=True, executor=executor,
                             fitness=self.fitness)

    def generation(self, run, g, state, phenotype_id, evals_per_s, class_counts) -> None:
        """Call every callback with generation ``g`` (just stored in ``run``)."""
        if not self.callbacks:
            return
        rec = generation_record(run, g, state.loss, state.genomes, phenotype_id, evals_per_s,
                                class_counts)
        for cb in self.callbacks:
            cb(rec)

    def close(self) -> None:
        """Call ``close()`` of every callback that has one."""
        for cb in self.callbacks:
            close = getattr(cb, "close", None)
            if callable(close):
                close()


NO_HOOKS = Hooks()


def _cell(v) -> str:
    return repr(v) if isinstance(v, float) else str(v)


class CSVLogger:
    """Append every generation's scalars to a CSV file.

    One header line (:data:`alife.store.GENERATION_COLUMNS`), then one line
    per generation, written (and closed) as each generation ends; floats
    written exactly (``repr``), so ``pandas.read_csv`` gives back the numbers
    of ``run.to_pandas()``.

    A run that starts at generation 0 replaces an existing file at ``path``.
    A resumed run keeps the lines of the generations before the one it
    resumes at and drops any after it, so the log ends as that of a run
    never interrupted.

    Parameters
    ----------
    path : str or Path
        The CSV file; its folder is created if missing.
    """

    def __init__(self, path):
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"CSVLogger: {self.path} is a folder; give a file name such as "
                             f"log.csv")
        self._started = False

    def _start(self, g: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = []
        if g > 0 and self.path.is_file():
            with open(self.path, newline="", encoding="utf-8") as f:
                reader = csv.reader(f)
                header = next(reader, None)
                if header is not None and tuple(header) != GENERATION_COLUMNS:
                    raise ValueError(f"CSVLogger: {self.path} is not a log of this kind (other "
                                     f"columns); give another path")
                rows = [r for r in reader if r and int(r[0]) < g]
        with open(self.path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(GENERATION_COLUMNS)
            w.writerows(rows)
        self._started = True

    def __call__(self, gen: Generation) -> None:
        if not self._started:
            self._start(gen.generation)
        with open(self.path, "a", newline="", encoding="utf-8") as f:
            csv.writer(f).writerow([_cell(v) for v in gen.scalars().values()])


class TensorBoardLogger:
    """Write every generation's scalars to a TensorBoard log folder.

    One scalar series per column of :data:`alife.store.GENERATION_COLUMNS`
    (but ``generation``, which is the step), tagged by the column's name;
    view them with ``tensorboard --logdir LOGDIR``.  The event file is
    flushed every generation and closed when the run ends.

    Parameters
    ----------
    logdir : str or Path
        The log folder (created if missing); each run writes a new event
        file into it.

    Raises
    ------
    ImportError
        When tensorboard is not installed (``pip install
        'alife-neutral[tensorboard]'``).
    """

    def __init__(self, logdir):
        try:
            from tensorboard.compat.proto.event_pb2 import Event
            from tensorboard.compat.proto.summary_pb2 import Summary
            from tensorboard.summary.writer.event_file_writer import EventFileWriter
        except ImportError:
            raise ImportError("TensorBoardLogger needs tensorboard, which is not installed; "
                              "pip install 'alife-neutral[tensorboard]'") from None
        self.logdir = Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        self._event, self._summary, self._writer_class = Event, Summary, EventFileWriter
        self._writer = None

    def __call__(self, gen: Generation) -> None:
        if self._writer is None:
            self._writer = self._writer_class(str(self.logdir))
        values = [self._summary.Value(tag=k, simple_value=float(v))
                  for k, v in gen.scalars().items() if k != "generation"]
        self._writer.add_event(self._event(wall_time=time.time(), step=gen.generation,
                                           summary=self._summary(value=values)))
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the event file (the run calls it when it ends; a
        later call starts a new one)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
