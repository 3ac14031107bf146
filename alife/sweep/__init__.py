"""Sweeps: a grid of cells, run resumably over any executor, into one tidy table.

A sweep calls one cell function on every cell of a grid (a cell = a dict of
parameters with a canonical name and its own random stream), persists each
finished cell at once, shards the cells over the :mod:`alife.parallel`
executors (in process, spawned processes, Dask) with identical results, and
writes one tidy table (an HDF5 result file, plus CSV) at the end::

    from alife.sweep import grid, run_sweep, read_sweep
    from alife.sweep.toy import toy_cell
    cells = grid({"loc": [0.0, 1.0], "rep": range(3)})
    run_sweep(toy_cell, cells, "toy.h5", settings={"n": 100}, root_seed=0)
    t = read_sweep("toy.h5").cells          # columns cell, loc, rep, mean, std, n, positive

It imports neither torch nor the simulator: a cell function brings what it
needs.  The statistics every sweep's reading needs (Wilson intervals, t
intervals and bootstraps over seeds, a Spearman trend test) are in
:mod:`alife.sweep.stats`; a logistic regression with errors clustered by
seed in :mod:`alife.sweep.regression`.

Modules
-------
:mod:`.cells` (:class:`Cell`, :func:`grid`, :func:`cell_seed`),
:mod:`.runner` (:func:`run_sweep`; the cell-function contract, resume and
sharding are described there), :mod:`.table` (:func:`read_sweep`,
:class:`SweepTable`, the file layout), :mod:`.stats`, :mod:`.regression`,
:mod:`.settings` (:func:`merge_settings`, the check of a cell function's
settings), :mod:`.toy` (a small cell function for examples and tests).
"""
from .cells import Cell, SweepError, cell_seed, grid
from .regression import cluster_sandwich, logit_cluster
from .runner import cell_file, cells_folder, load_cell, run_sweep, sweep_key
from .settings import merge_settings
from .table import KIND, SweepTable, Table, build_table, read_sweep, table_differences

__all__ = ["Cell", "SweepError", "cell_seed", "grid", "run_sweep", "sweep_key", "cells_folder",
           "cell_file", "load_cell", "read_sweep", "SweepTable", "Table", "build_table", "KIND", "table_differences",
           "logit_cluster", "cluster_sandwich", "merge_settings"]
