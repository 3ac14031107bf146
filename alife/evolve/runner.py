"""Run an evolution experiment from a config into a crash-proof HDF5 run file.

One generation is: ask the algorithm for offspring, develop them all in one
batched :func:`alife.nca.develop` call (with trajectory fingerprints; or one
call per worker through an :mod:`alife.parallel` executor),
score them on the task, classify every mutation against its parent, tell
the algorithm, append the surviving population to the run file (flushed),
then checkpoint the algorithm state and the random generator atomically.

Nothing is lost: a run killed at any moment resumes from its checkpoint
(the run file is first cut back to the checkpoint's generation) and ends
bit-identical to an uninterrupted run with the same config, because every
random draw comes from one ``numpy.random.Generator`` seeded from the
config's seed and restored exactly.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import EvolveConfig, dumps
from ..nca import develop
from ..nca.phenotype import phenotype_ids
from ..parallel import IN_PROCESS, Executor
from ..store import RunFile, RunFileError, read_checkpoint, write_checkpoint
from ..tasks import damage_loss, homeostasis_loss, loss as task_loss
from .algorithms import from_arrays, to_arrays
from .lineage import NONE, class_counts, classify

#: Per-individual extras carried beside the algorithm state (same rows) and
#: checkpointed with it.
_EXTRA = ("x_pheno_raw", "x_fingerprint", "x_parent_uid", "x_mclass", "x_pheno_id")


class RunError(ValueError):
    """A run cannot start or resume as asked (one line, for the CLI)."""


@dataclass
class Evaluation:
    loss: np.ndarray          # (K,) float64
    pheno_raw: np.ndarray     # (K,) int64 pattern ids (degenerate included)
    pheno_id: np.ndarray      # (K,) int64, -1 degenerate
    fingerprint: np.ndarray   # (K,) uint64
    phenotypes: np.ndarray    # (K, N, N) bool


def evaluate_rows(genomes: np.ndarray, config: EvolveConfig, spec, task,
                  pack: bool = False) -> dict:
    """Develop and score a batch of genomes; one executor task (top level, so
    worker processes can unpickle it).  Every array has one row per genome;
    ``pack`` bit-packs the patterns (8x less to send back from a worker)."""
    out = develop(spec, genomes, fingerprint=True)
    mode = config.task.mode
    if mode == "final":
        loss = task_loss(out.phenotypes, task.target).astype(np.float64)
    elif mode == "homeostasis":
        loss = homeostasis_loss(spec, genomes, task.target, config.task.homeostasis_k)
    else:
        loss = damage_loss(spec, genomes, task.target, config.task.damage_step,
                           tuple(config.task.damage_rect)).astype(np.float64)
    pheno = out.phenotypes
    return {"loss": np.asarray(loss, np.float64), "pheno_raw": phenotype_ids(pheno),
            "degenerate": out.degenerate, "fingerprint": out.fingerprints,
            "phenotypes": np.packbits(pheno, axis=-1) if pack else pheno}


def evaluate(config: EvolveConfig, spec, task, genomes: np.ndarray,
             executor: Executor | None = None) -> Evaluation:
    """Develop and score a batch of genomes (the only place evolution develops),
    in this process or split over ``executor``'s workers (same results)."""
    ex = IN_PROCESS if executor is None else executor
    r = ex.map_rows(evaluate_rows, genomes, config, spec, task, pack=not ex.in_process)
    pheno = r["phenotypes"]
    if not ex.in_process:
        n = spec.sizes[spec.output_level]
        pheno = np.unpackbits(pheno, axis=-1, count=n).astype(bool)
    raw = r["pheno_raw"]
    return Evaluation(r["loss"], raw, np.where(r["degenerate"], -1, raw), r["fingerprint"], pheno)


class _Progress:
    """One status line on a terminal; silent when stderr is not a terminal."""

    def __init__(self, total: int, enabled: bool | None = None):
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def update(self, g: int, best: float, eps: float):
        if self.enabled:
            print(f"\rgeneration {g + 1}/{self.total}  best loss {best:g}  {eps:,.0f} evals/s",
                  end="", file=sys.stderr, flush=True)

    def close(self):
        if self.enabled:
            print(file=sys.stderr)


def _born(ev: Evaluation, parent_uid: np.ndarray, mclass: np.ndarray) -> dict:
    """Extras of freshly evaluated individuals, keyed like :data:`_EXTRA`."""
    return {"x_pheno_raw": ev.pheno_raw, "x_fingerprint": ev.fingerprint,
            "x_parent_uid": parent_uid, "x_mclass": mclass, "x_pheno_id": ev.pheno_id}


def _rows_by_uid(all_uid: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    order = np.argsort(all_uid, kind="stable")
    pos = np.searchsorted(all_uid[order], wanted)
    return order[pos]


def _save(run: RunFile, path: Path, g: int, state, extras: dict, evals_per_s: float,
          ev_pheno: dict, rng: np.random.Generator, counts: np.ndarray):
    ids = extras["x_pheno_id"]
    new = [int(i) for i in np.unique(ids) if i >= 0 and int(i) in ev_pheno]
    if new:
        run.add_phenotypes(np.array(new, np.int64), np.stack([ev_pheno[i] for i in new]))
    run.append_generation(g, genomes=state.genomes, loss=state.loss, age=state.age,
                          uid=state.uid, parent_uid=extras["x_parent_uid"], phenotype_id=ids,
                          mutation_class=extras["x_mclass"], evals_per_s=evals_per_s,
                          class_counts=counts)
    arrays = to_arrays(state)
    arrays.update({k: extras[k] for k in _EXTRA})
    write_checkpoint(path, g, arrays, rng.bit_generator.state)


def evolve(config: EvolveConfig, out_path, *, force: bool = False, progress: bool | None = None,
           stop_after: int | None = None, executor: Executor | None = None) -> dict:
    """Run (or resume) the evolution described by ``config`` into ``out_path``.

    Parameters
    ----------
    config : EvolveConfig
    out_path : path of the HDF5 run file
    force : bool
        Start afresh even if ``out_path`` holds a finished run or another
        config's run (the old file is replaced only once the new one exists).
    progress : bool or None
        Show a progress line (None: only when stderr is a terminal).
    stop_after : int, optional
        Stop after this many new generations (for tests of resuming).
    executor : alife.parallel.Executor, optional
        Where each generation's batch is developed (default: Numba threads in
        this process).  A runtime choice, not part of the config: the run
        file is the same bit for bit whatever the executor, so a run started
        with one can be resumed with another.

    Returns
    -------
    dict : the run file's summary.
    """
    path = Path(out_path)
    text = dumps(config)
    spec, task, algo = config.spec(), config.task_object(), config.algorithm_object()
    if not spec.layout.mutable.all():   # wiring genes: inherited, drawn by the wiring's rules
        algo = algo.with_fixed_genes(spec.layout.mutable, spec.random_wiring_genes)
    ss = np.random.SeedSequence(config.seed)
    run = None
    if path.exists() and not force:
        run = RunFile.open(path, "a")
        if run.config_toml != text:
            run.close()
            raise RunError(f"{path} was written by a different config; use a new --out, "
                           f"or --force to overwrite it")
        if run.status == "done":
            run.close()
            raise RunError(f"{path} is a finished run; use --force to overwrite it "
                           f"or a new --out")
        try:
            checkpoint = read_checkpoint(path)
        except RunFileError:
            checkpoint = None
        run.truncate_to(-1 if checkpoint is None else min(checkpoint[0], run.last_complete_generation))
    if run is None or run.last_complete_generation < 0:
        if run is not None:
            run.close()
        path.parent.mkdir(parents=True, exist_ok=True)
        run = RunFile.create(path, text, ss.entropy, force=True)
        rng = np.random.default_rng(ss)
        t = time.perf_counter()
        first = algo.init(rng, genome_size=spec.n_genes)
        ev = evaluate(config, spec, task, first.genomes, executor)
        eps = len(first) / (time.perf_counter() - t)
        state = algo.tell_init(first.genomes, ev.loss)
        none = np.full(len(first), NONE, np.int8)
        born = _born(ev, np.full(len(first), -1, np.int64), none)
        extras = {k: v[_rows_by_uid(first.uid, state.uid)] for k, v in born.items()}
        _save(run, path, 0, state, extras, eps, dict(zip(ev.pheno_id.tolist(), ev.phenotypes)),
              rng, class_counts(none))
        done_new = 1
    else:
        _, arrays, rng_state = checkpoint
        extras = {k: arrays.pop(k) for k in _EXTRA}
        state = from_arrays(arrays)
        rng = np.random.default_rng()
        rng.bit_generator.state = rng_state
        done_new = 0
    bar = _Progress(config.generations, progress)
    try:
        t = time.perf_counter()
        for g in range(state.generation + 1, config.generations):
            if stop_after is not None and done_new >= stop_after:
                return run.summary()
            off = algo.ask(state, rng)
            ev = evaluate(config, spec, task, off.genomes, executor)
            has_parent = off.parent_index >= 0
            pidx = np.where(has_parent, off.parent_index, 0)
            mclass = classify(has_parent, state.loss[pidx], ev.loss,
                              extras["x_pheno_raw"][pidx], ev.pheno_raw,
                              extras["x_fingerprint"][pidx], ev.fingerprint)
            new_state = algo.tell(state, off, ev.loss, rng)
            # carry per-individual extras through selection, by uid
            born = _born(ev, off.parent_uid, mclass)
            rows = _rows_by_uid(np.concatenate([state.uid, off.uid]), new_state.uid)
            extras = {k: np.concatenate([extras[k], born[k]])[rows] for k in _EXTRA}
            pheno = dict(zip(ev.pheno_id.tolist(), ev.phenotypes))
            state = new_state
            # throughput of the whole generation: asking, developing, scoring,
            # selection, bookkeeping and the previous generation's writes
            now = time.perf_counter()
            eps = len(off) / (now - t)
            t = now
            _save(run, path, g, state, extras, eps, pheno, rng, class_counts(mclass))
            done_new += 1
            bar.update(g, float(state.loss.min()), eps)
        run.mark_done()
        return run.summary()
    finally:
        bar.close()
        run.close()
