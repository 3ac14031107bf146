"""Where batches of genomes are evaluated: in this process (Numba threads,
the default), in a pool of spawned processes, or on a Dask cluster.

    from alife.parallel import make_executor
    with make_executor("dask", workers=2) as ex:
        evolve(config, "run.h5", executor=ex)

See :mod:`alife.parallel.executors`.
"""
from .executors import (EXECUTORS, IN_PROCESS, DaskExecutor, Executor, ExecutorError,
                        InProcess, ProcessPool, make_executor, reassemble, split_rows)

__all__ = ["EXECUTORS", "IN_PROCESS", "DaskExecutor", "Executor", "ExecutorError", "InProcess",
           "ProcessPool", "make_executor", "reassemble", "split_rows"]
