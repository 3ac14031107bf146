"""Executors: where a batch of genomes is evaluated.

Every batched evaluation of HNCAs (:func:`alife.tasks.evaluate`, which
evolution and the HNCA genotype-phenotype map
:class:`alife.gpmap.hnca.HNCAMap` both call) goes through one call,
:meth:`Executor.map_rows`::

    result = executor.map_rows(func, rows, *args, **kwargs)

``func(rows_part, *args, **kwargs)`` must be a top-level (picklable)
function returning a dict of arrays (or None values) whose first axis has one
entry per row of ``rows_part``; ``map_rows`` returns the same dict for all of
``rows``, in order.

* :class:`InProcess` (the default): calls ``func(rows, ...)`` once, here,
  on Numba's threads.  No splitting, no copies, no overhead.
* :class:`ProcessPool`: a pool of *spawned* processes (never forked: Numba's
  threads may already run here), created once and reused.  Each worker runs
  ``threads_per_worker`` Numba threads and shares this process's on-disk
  Numba cache (``NUMBA_CACHE_DIR``), so kernels load warm.
* :class:`DaskExecutor`: a ``distributed.Client``, either on a
  ``LocalCluster`` of worker processes started here or on a running scheduler
  (``tcp://HOST:PORT``) whose workers may live on other machines.

The rows are cut into ONE contiguous sub-batch per worker; each result comes
back tagged with its row range and the ranges are checked to cover every row
exactly once before they are joined (:func:`reassemble`).  A sub-batch whose
worker dies is run again (up to ``retries`` times), never dropped.  Results
do not depend on the executor: every genome is developed by the same kernel
whichever batch it is in, so run files are bit-identical.
"""
from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import threading
import uuid
from contextlib import contextmanager

import numpy as np

from . import _worker

__all__ = ["Executor", "InProcess", "ProcessPool", "DaskExecutor", "ExecutorError",
           "make_executor", "split_rows", "reassemble", "EXECUTORS"]

#: Names accepted by :func:`make_executor` (and ``alife ... --executor``).
EXECUTORS = ("threads", "processes", "dask")


class ExecutorError(RuntimeError):
    """Lost or inconsistent work: a sub-batch failed for good, or the results
    do not cover every row exactly once."""


def split_rows(n: int, parts: int) -> list[tuple[int, int]]:
    """``n`` rows -> at most ``parts`` contiguous, non-empty, near-equal ranges."""
    parts = max(1, min(int(parts), int(n)))
    edges = np.linspace(0, n, parts + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def reassemble(n: int, parts) -> dict:
    """Join ``(a, b, result)`` parts into one result for rows ``0..n-1``.

    Raises ExecutorError unless the ranges tile ``0..n`` exactly (no row
    missing, none twice) and every array has ``b - a`` rows.
    """
    parts = sorted(parts, key=lambda p: (p[0], p[1]))
    pos = 0
    for a, b, res in parts:
        if a != pos or b <= a:
            what = "missing" if a > pos else "duplicated"
            raise ExecutorError(f"sub-batch results do not cover rows 0..{n} exactly: rows "
                                f"{min(a, pos)}..{max(a, pos)} {what} (got ranges "
                                f"{[(p[0], p[1]) for p in parts]})")
        if not isinstance(res, dict):
            raise ExecutorError(f"rows {a}..{b}: expected a dict of arrays, got "
                                f"{type(res).__name__}")
        for k, v in res.items():
            if v is not None and len(v) != b - a:
                raise ExecutorError(f"rows {a}..{b}: {k!r} has {len(v)} rows, expected {b - a}")
        pos = b
    if pos != n:
        raise ExecutorError(f"sub-batch results do not cover rows 0..{n} exactly: rows "
                            f"{pos}..{n} missing")
    if len(parts) == 1:
        return parts[0][2]
    keys = list(parts[0][2])
    if any(list(p[2]) != keys for p in parts):
        raise ExecutorError("sub-batch results have different keys")
    out = {}
    for k in keys:
        vals = [p[2][k] for p in parts]
        if all(v is None for v in vals):
            out[k] = None
        elif any(v is None for v in vals):
            raise ExecutorError(f"{k!r} is missing from some sub-batch results")
        else:
            out[k] = np.concatenate(vals)
    return out


def _check_count(value, what: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def worker_env(threads: int) -> dict:
    """Environment of a worker process: its Numba threads, one BLAS thread,
    and this process's Numba cache folder (so compiled kernels are reused)."""
    import numba

    env = {"NUMBA_NUM_THREADS": str(threads), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cache = os.environ.get("NUMBA_CACHE_DIR") or numba.config.CACHE_DIR
    if cache:
        env["NUMBA_CACHE_DIR"] = os.path.abspath(cache)
    return env


class Executor:
    """Base class: ``map_rows`` plus closing as a context manager."""

    name = "base"
    in_process = False

    def map_rows(self, func, rows, *args, **kwargs) -> dict:
        """``func`` over contiguous sub-batches of ``rows``; results joined in order."""
        n = len(rows)
        if n == 0:
            return func(rows, *args, **kwargs)
        return reassemble(n, self._run(func, rows, split_rows(n, self.n_parts()), args, kwargs))

    def n_parts(self) -> int:  # pragma: no cover - overridden
        return 1

    def _run(self, func, rows, ranges, args, kwargs):  # pragma: no cover - overridden
        raise NotImplementedError

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class InProcess(Executor):
    """Numba threads in this process: ``func(rows, ...)`` called directly."""

    name = "threads"
    in_process = True

    def map_rows(self, func, rows, *args, **kwargs) -> dict:
        return func(rows, *args, **kwargs)

    def n_parts(self) -> int:
        return 1


#: The default executor (stateless, shared).
IN_PROCESS = InProcess()

_ENV_LOCK = threading.Lock()


@contextmanager
def _environ(env: dict):
    """Temporarily set environment variables (processes spawned now inherit them)."""
    with _ENV_LOCK:
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


class ProcessPool(Executor):
    """A pool of ``workers`` spawned processes, each with ``threads_per_worker``
    Numba threads; created once, reused for every batch, restarted if a
    worker dies (its sub-batch is then run again, up to ``retries`` times)."""

    name = "processes"

    def __init__(self, workers: int = 2, threads_per_worker: int = 1, retries: int = 2):
        self.workers = _check_count(workers, "workers")
        self.threads = _check_count(threads_per_worker, "threads_per_worker")
        self.retries = int(retries)
        self._env = worker_env(self.threads)
        self._pool = None
        self._start()

    def _start(self):
        ctx = multiprocessing.get_context("spawn")
        with _environ(self._env):
            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=ctx,
                                                initializer=_worker.init,
                                                initargs=(self.threads, self._env))
            # spawn every worker now (each submit to a pool with no idle
            # worker starts one), inside the worker environment
            futs = [self._pool.submit(_worker.warm, self.threads) for _ in range(self.workers)]
        cf.wait(futs)
        for f in futs:
            f.result()

    def n_parts(self) -> int:
        return self.workers

    def _run(self, func, rows, ranges, args, kwargs):
        pending = dict(enumerate(ranges))
        done = {}
        for attempt in range(self.retries + 1):
            with _environ(self._env):      # a restarted pool spawns workers here
                futs = {self._pool.submit(_worker.run_part, func, a, b, rows[a:b], self.threads,
                                          args, kwargs): i for i, (a, b) in pending.items()}
            broken = None
            for f in cf.as_completed(futs):
                try:
                    done[futs[f]] = f.result()
                except cf.process.BrokenProcessPool as e:
                    broken = e
            pending = {i: r for i, r in pending.items() if i not in done}
            if not pending:
                break
            logging.getLogger(__name__).warning(
                "a worker process died (%s); re-running rows %s", broken,
                [r for r in pending.values()])
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._start()
        if pending:
            raise ExecutorError(f"rows {list(pending.values())} failed after "
                                f"{self.retries + 1} attempts: worker processes kept dying")
        return [done[i] for i in sorted(done)]

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __repr__(self) -> str:
        return f"ProcessPool(workers={self.workers}, threads_per_worker={self.threads})"


class DaskExecutor(Executor):
    """Dask ``distributed``: a local cluster of ``workers`` processes, or the
    workers of a running scheduler (``scheduler="tcp://HOST:PORT"``).

    Every Dask worker runs one task at a time (start remote ones with
    ``--nthreads 1``) on ``threads_per_worker`` Numba threads.  One
    contiguous sub-batch is sent to each worker; a sub-batch whose worker is
    lost is rescheduled by Dask, and resubmitted here if Dask gives up
    (``retries`` times), so no row is dropped or counted twice.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int = 2,
                 threads_per_worker: int = 1, retries: int = 3, timeout: float = 60,
                 poll_s: float = 1.0):
        from distributed import Client, LocalCluster

        self.threads = _check_count(threads_per_worker, "threads_per_worker")
        self.retries = int(retries)
        self.poll_s = float(poll_s)
        self.scheduler = scheduler
        self.cluster = None
        if scheduler is None:
            self.workers = _check_count(workers, "workers")
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                        processes=True, dashboard_address=":0",
                                        silence_logs=logging.ERROR,
                                        env=worker_env(self.threads))
            self.client = Client(self.cluster)
        else:
            _check_scheduler(scheduler)
            self.workers = None
            self.client = Client(scheduler, timeout=timeout)
            self.client.wait_for_workers(1, timeout=timeout)
            from .. import __version__
            versions = set(self.client.run(_worker.version).values())
            if versions != {__version__}:
                self.client.close()
                raise ExecutorError(f"Dask workers run alife {sorted(versions)}, this process "
                                    f"{__version__}; install the same version on every worker")

    def _addresses(self) -> list[str]:
        return sorted(self.client.scheduler_info(n_workers=-1)["workers"])

    def n_parts(self) -> int:
        return max(1, len(self._addresses()))

    def map_rows(self, func, rows, *args, **kwargs) -> dict:
        n = len(rows)
        if n == 0:
            return func(rows, *args, **kwargs)
        addrs = self._addresses()
        if not addrs:
            self.client.wait_for_workers(1)
            addrs = self._addresses()
        return reassemble(n, self._run(func, rows, split_rows(n, len(addrs)), args, kwargs, addrs))

    def _submit(self, func, rows, a, b, args, kwargs, worker):
        where = {} if worker is None else {"workers": [worker], "allow_other_workers": True}
        return self.client.submit(
            _worker.run_part, func, a, b, rows[a:b], self.threads, args, kwargs,
            key=f"alife-rows-{a}-{b}-{uuid.uuid4().hex}", pure=False, retries=self.retries,
            **where)

    def _run(self, func, rows, ranges, args, kwargs, addrs=None):
        from distributed import wait
        from distributed.client import FutureCancelledError
        from distributed.comm.core import CommClosedError
        from distributed.scheduler import KilledWorker

        lost = (KilledWorker, CommClosedError, FutureCancelledError, cf.CancelledError)
        log = logging.getLogger(__name__)
        addrs = addrs or [None]
        # row range -> [(future, worker it is pinned to or None)]
        futs = {(a, b): [(self._submit(func, rows, a, b, args, kwargs, w), w)]
                for (a, b), w in zip(ranges, (addrs[i % len(addrs)] for i in range(len(ranges))))}
        tries = dict.fromkeys(futs, 1)
        done = {}
        try:
            while len(done) < len(futs):
                running = [f for r, fs in futs.items() if r not in done for f, _ in fs]
                try:
                    wait(running, timeout=self.poll_s, return_when="FIRST_COMPLETED")
                except TimeoutError:
                    pass
                live = None
                for r, fs in futs.items():
                    if r in done:
                        continue
                    for f, w in list(fs):
                        if not f.done():
                            continue
                        try:
                            done[r] = f.result()
                            break
                        except lost as e:
                            log.warning("Dask lost rows %s..%s (%s)", r[0], r[1], e)
                            fs.remove((f, w))
                    if r in done:
                        continue
                    # A sub-batch pinned to a worker that has left can wait
                    # forever in Dask's 'no-worker' state (even once other
                    # workers join): then, and when every copy was lost, send
                    # a copy to any worker.  A stuck copy never runs, so each
                    # row is still computed once.
                    if live is None:
                        live = set(self._addresses())
                    if fs and not all(w is not None and w not in live for _, w in fs):
                        continue
                    if fs and not self._all_stuck([f.key for f, _ in fs]):
                        continue
                    if tries[r] > self.retries:
                        raise ExecutorError(f"rows {r[0]}..{r[1]} failed after {tries[r]} "
                                            f"submissions: Dask workers kept dying")
                    log.warning("resubmitting rows %s..%s", r[0], r[1])
                    fs.append((self._submit(func, rows, r[0], r[1], args, kwargs, None), None))
                    tries[r] += 1
        finally:
            for fs in futs.values():
                for f, _ in fs:
                    f.release()
        return [done[r] for r in sorted(done)]

    def _all_stuck(self, keys) -> bool:
        states = self.client.run_on_scheduler(_worker.task_states, keys)
        return all(states.get(k) in (None, "no-worker") for k in keys)

    def close(self):
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def __repr__(self) -> str:
        where = self.scheduler or f"LocalCluster(n_workers={self.workers})"
        return f"DaskExecutor({where}, threads_per_worker={self.threads})"


def _check_scheduler(address) -> str:
    if not isinstance(address, str) or "://" not in address or \
            address.split("://", 1)[0] not in ("tcp", "tls", "inproc", "ucx", "ws", "wss"):
        raise ValueError(f"scheduler must be an address like tcp://HOST:PORT, got {address!r}")
    return address


def make_executor(name: str | None = None, *, workers: int | None = None,
                  scheduler: str | None = None, threads_per_worker: int = 1) -> Executor:
    """An executor by name: ``threads`` (default, :class:`InProcess`),
    ``processes`` (:class:`ProcessPool`) or ``dask`` (:class:`DaskExecutor`;
    implied by ``scheduler``).  ``workers`` defaults to 2 for processes and a
    local Dask cluster.  ValueError (one line) for a bad combination."""
    if name is None:
        name = "dask" if scheduler is not None else "threads"
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    if workers is not None:
        _check_count(workers, "workers")
    _check_count(threads_per_worker, "threads_per_worker")
    if scheduler is not None:
        _check_scheduler(scheduler)
        if name != "dask":
            raise ValueError(f"a scheduler address needs the dask executor, not {name!r}")
        if workers is not None:
            raise ValueError("workers is set by the Dask cluster behind a scheduler address; "
                             "drop it (or start a local cluster without a scheduler)")
    if name == "threads":
        if workers is not None:
            raise ValueError("workers needs the processes or dask executor")
        return InProcess()
    if name == "processes":
        return ProcessPool(workers or 2, threads_per_worker)
    return DaskExecutor(scheduler, workers or 2, threads_per_worker)
