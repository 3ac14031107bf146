"""What runs inside a worker process (process pool or Dask worker).

Kept free of heavy imports at module level: a spawned worker unpickles
:func:`run_part` before anything else, and Numba must see the worker's
environment (``NUMBA_CACHE_DIR``, ``NUMBA_NUM_THREADS``) before it loads.
"""
from __future__ import annotations

import os


def set_threads(threads: int) -> int:
    """Set this thread's Numba thread count (capped at the pool's size)."""
    import numba

    n = max(1, min(int(threads), int(numba.config.NUMBA_NUM_THREADS)))
    if numba.get_num_threads() != n:
        numba.set_num_threads(n)
    return n


def init(threads: int, env: dict):
    """Process-pool initializer: environment for later imports, thread count."""
    for k, v in env.items():
        os.environ.setdefault(k, v)
    set_threads(threads)


def warm(threads: int) -> int:
    """Import the simulator (loading its cached kernels) and report the pid."""
    import importlib

    set_threads(threads)
    importlib.import_module("alife.nca.develop")
    return os.getpid()


def run_part(func, a: int, b: int, rows, threads: int, args: tuple, kwargs: dict):
    """Evaluate one contiguous sub-batch ``rows`` (= all rows ``a:b``).

    Numba's thread count is per calling thread, so it is set on every task
    (a Dask worker runs tasks on its own executor thread).
    """
    set_threads(threads)
    return a, b, func(rows, *args, **kwargs)


def version() -> str:
    from .. import __version__
    return __version__


def task_states(keys, dask_scheduler=None) -> dict:
    """(Run on a Dask scheduler) the state of each task key, if it has one."""
    tasks = dask_scheduler.tasks
    return {k: tasks[k].state for k in keys if k in tasks}
