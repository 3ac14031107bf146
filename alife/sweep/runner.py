"""Run a grid of cells over an executor, resumably, into one tidy table.

::

    from alife.sweep import grid, run_sweep, read_sweep

    cells = grid({"width": [4, 8, 16], "pair": range(5)}, depth=1)
    run_sweep(my_cell, cells, "sweep.h5", settings={"epochs": 120}, root_seed=0,
              executor=make_executor("processes", workers=2))
    table = read_sweep("sweep.h5").cells          # columns: cell, depth, pair, width, ...

The cell function
-----------------
``fn(params, seed, settings)`` is a top-level (picklable) function:

* ``params`` — the cell's parameters (a new dict);
* ``seed`` — its :class:`numpy.random.SeedSequence` (:func:`cell_seed`:
  from the root seed and the cell's name only);
* ``settings`` — the sweep's settings (a JSON-able dict, the same for every
  cell).

It returns one row (a dict of scalars: int, float, str, bool, None for
missing) or a list of rows.  A value that is a list of dicts becomes rows of
a *child table* of that name (e.g. ``"robustness": [{"sigma": 0.1, "r":
0.8}, ...]``).  Every row, in every table, is prefixed with the columns
``cell`` (the name) and the cell's parameters.  The function must be a
deterministic function of its arguments (seed every generator from
``seed``; this runner limits BLAS to one thread while it runs); then the
table is bit-identical whatever the executor and worker count.

Resume
------
Every finished cell is written at once, atomically, to its own small file
in the *cells folder* (default ``OUT.cells/``, next to the result file):
JSON (no pickle) with a CRC-32 of its content and the hash of the *sweep
key* — the cell function's name, the root seed and the settings.  The
folder also holds ``sweep.json``, the key in full.  A rerun with the same
key skips every cell whose file is present and intact (a corrupt file is
recomputed) and computes the rest; a rerun with another key is refused in
one line (:class:`SweepError`) naming what differs; ``force=True``
discards the old cells.  The cell list is *not* part of the key: cells may
be added to a finished sweep and only the new ones are computed; the
result file (of the same key) is then rewritten with every cell.

One writer: the result file's lock (:func:`alife.store.output_lock`) and the
cells folder's (:func:`alife.store.folder_lock`) are taken before either is
looked at and held for the whole run, so a second process running the same
sweep (or another sweep into the same file or folder) is refused at once
with :class:`alife.store.OutputLockedError`, and ``force=True`` never
discards cells another process is still writing.

Sharding
--------
The cells go through the :mod:`alife.parallel` interface in *waves*: one
call ``executor.map_rows(run_cells, wave, ...)`` per wave of as many cells
as the executor has workers, so each worker gets one cell (the interface
sends one contiguous sub-batch per worker).  With the in-process executor a
wave is one cell.  Each wave's cells are written as soon as it returns, so a
kill loses at most the cells in flight.  Give ``cost`` (an estimate of each
cell's run time) to start the heaviest cells first: waves then pair cells of
similar cost and no worker idles long.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
import zlib
from pathlib import Path

import numpy as np

from ..parallel.executors import IN_PROCESS
from ..store import RunFileError, atomic_write, folder_lock, output_lock, read_results, result_kind
from ..store.atomic import TEMP_TAGS, open_exclusive, remove_stale_temps
from .cells import Cell, SweepError, cell_seed
from .table import KIND, build_table, read_sweep, write_sweep

__all__ = ["run_sweep", "run_cells", "sweep_key", "cells_folder", "cell_file", "load_cell",
           "CELL_FORMAT"]

#: First field of every cell file.
CELL_FORMAT = "alife-sweep-cell 1"
_MAIN = "cells"
_RESERVED = {"cell"}


# ------------------------------------------------------------------- key, files
def _function_name(fn) -> str:
    mod, qual = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
    if not mod or not qual or "<" in qual:
        raise SweepError(f"the cell function {fn!r} must be a top-level function of a module "
                         f"(not a lambda or a nested function) so that worker processes can "
                         f"import it")
    return f"{mod}:{qual}"


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True)


def _check_json(obj, where: str = "settings") -> None:
    """Refuse anything but dicts with str keys, lists, str, int, float, bool, None."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise SweepError(f"{where}: key {k!r} is not a str; settings must be JSON")
            _check_json(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _check_json(v, f"{where}[{i}]")
    elif obj is not None and not isinstance(obj, (str, int, float, bool)):
        raise SweepError(f"{where} is a {type(obj).__name__}; settings must be JSON (dicts, "
                         f"lists, numbers, strings, booleans; lists, not tuples)")


def sweep_key(fn, settings: dict, root_seed: int) -> dict:
    """What the finished cells of a sweep depend on besides their parameters:
    ``{"function": "module:qualname", "root_seed": int, "settings": dict}``.

    ``settings`` must be JSON-able (round-trips unchanged through JSON)."""
    if not isinstance(settings, dict):
        raise SweepError(f"settings must be a dict, got {type(settings).__name__}")
    _check_json(settings)
    back = json.loads(_canonical(settings))
    cell_seed(root_seed, "")   # validates the seed
    return {"function": _function_name(fn), "root_seed": int(root_seed), "settings": back}


def _key_hash(key: dict) -> str:
    return hashlib.sha256(_canonical(key).encode("utf-8")).hexdigest()


def cells_folder(out) -> Path:
    """``OUT.h5`` -> ``OUT.h5.cells`` (the default cells folder)."""
    out = Path(out)
    return out.with_name(out.name + ".cells")


_UNSAFE = re.compile(r"[^A-Za-z0-9_.+\-=]")


def cell_file(folder, name: str) -> Path:
    """The file of the cell ``name`` in ``folder``: a readable slug of the
    name plus 10 hex digits of its hash (so distinct names never collide)."""
    slug = _UNSAFE.sub("_", name.replace(",", "__"))[:80]
    h = hashlib.blake2b(name.encode("utf-8"), digest_size=5).hexdigest()
    return Path(folder) / f"{slug}-{h}.json"


def _write_cell(path: Path, record: dict) -> None:
    body = _canonical(record)
    # keys stay in the cell function's order: it is the table's column order
    text = json.dumps({"format": CELL_FORMAT, "crc32": zlib.crc32(body.encode("utf-8")),
                       "record": record}, allow_nan=True)
    with atomic_write(path) as tmp, open_exclusive(tmp, "w") as fh:
        fh.write(text + "\n")


def load_cell(path) -> dict | None:
    """The record of a cell file: ``{"key", "cell", "params", "rows", "seconds"}``;
    None if the file is missing, truncated or fails its CRC-32."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        record = data["record"]
        if data.get("format") != CELL_FORMAT:
            return None
        if zlib.crc32(_canonical(record).encode("utf-8")) != data["crc32"]:
            return None
        if not {"key", "cell", "params", "rows", "seconds"} <= set(record):
            return None
        return record
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _first_difference(old: dict, new: dict, prefix: str = "") -> str:
    """The first key path where two JSON objects differ, e.g. ``settings.epochs: 120 -> 60``."""
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k, "(absent)"), new.get(k, "(absent)")
        if isinstance(a, dict) and isinstance(b, dict):
            d = _first_difference(a, b, f"{prefix}{k}.")
            if d:
                return d
        elif _canonical(a) != _canonical(b):
            return f"{prefix}{k}: {_canonical(a)[:40]} -> {_canonical(b)[:40]}"
    return ""


_TEMP = re.compile(rf"\.(.+)\.(?:{'|'.join(TEMP_TAGS)})-[0-9]+(?:-[0-9a-f]{{16}})?\Z")


def _remove_stale(folder: Path) -> None:
    """Delete the temporary files that killed runs left in the cells folder."""
    targets = {m.group(1) for p in folder.iterdir() if (m := _TEMP.match(p.name))}
    for name in sorted(targets):
        remove_stale_temps(folder / name)


def _open_folder(folder: Path, key: dict, force: bool) -> None:
    """Create the cells folder or check that it belongs to this sweep key."""
    head = folder / "sweep.json"
    if folder.exists() and not folder.is_dir():
        raise SweepError(f"{folder} exists and is not a folder; give another cells folder "
                         f"or --out")
    if force and folder.is_dir():
        for p in folder.iterdir():
            if p.name == "sweep.json" or (p.suffix == ".json" and p.is_file()):
                p.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder)
    if head.exists():
        try:
            old = json.loads(head.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise SweepError(f"{head} is unreadable; delete {folder} (or pass --force) to "
                             f"start afresh") from None
        if _canonical(old) != _canonical(key):
            raise SweepError(f"{folder} holds the cells of a sweep with another config "
                             f"({_first_difference(old, key)}); use a new --out, or --force "
                             f"to discard them")
        return
    with atomic_write(head) as tmp, open_exclusive(tmp, "w") as fh:
        fh.write(json.dumps(key, sort_keys=True, indent=1) + "\n")


# ------------------------------------------------------------------ in a worker
def _plain(value, where: str):
    """A returned value as a JSON scalar (None, bool, int, float, str)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _plain(value.item(), where)
    raise SweepError(f"{where} is a {type(value).__name__}; cell results must be scalars "
                     f"(int, float, str, bool, None) or lists of dicts (child tables)")


def _normalise(result, name: str, params: dict) -> dict:
    """A cell function's return value -> {table: [rows of plain scalars]}."""
    rows = result if isinstance(result, list) else [result]
    tables: dict[str, list] = {_MAIN: []}
    head = {"cell": name, **params}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise SweepError(f"cell {name}: row {i} is a {type(row).__name__}; return a dict "
                             f"of scalars or a list of them")
        main = dict(head)
        for k, v in row.items():
            if not isinstance(k, str):
                raise SweepError(f"cell {name}: column name {k!r} is not a str")
            if k in head:
                raise SweepError(f"cell {name}: column {k!r} clashes with a parameter or "
                                 f"'cell'; rename it")
            if isinstance(v, list) and all(isinstance(x, dict) for x in v):
                if k == _MAIN:
                    raise SweepError(f"cell {name}: a child table may not be called {_MAIN!r}")
                child = tables.setdefault(k, [])
                for j, sub in enumerate(v):
                    r = dict(head)
                    for kk, vv in sub.items():
                        if kk in head:
                            raise SweepError(f"cell {name}: column {kk!r} of table {k!r} "
                                             f"clashes with a parameter or 'cell'")
                        r[kk] = _plain(vv, f"cell {name}: {k}[{j}][{kk!r}]")
                    child.append(r)
            else:
                main[k] = _plain(v, f"cell {name}: column {k!r}")
        tables[_MAIN].append(main)
    return tables


def run_cells(rows, fn, settings: dict, root_seed: int) -> dict:
    """Run the cells ``rows`` (``(name, params)`` pairs) — the function every
    executor calls.  Returns ``{"record": object array of JSON texts,
    "seconds": float array}``, one entry per cell."""
    from threadpoolctl import threadpool_limits

    texts, secs = [], []
    for name, params in rows:
        t0 = time.perf_counter()
        with threadpool_limits(1):
            result = fn(dict(params), cell_seed(root_seed, name), json.loads(json.dumps(settings)))
        tables = _normalise(result, name, params)
        texts.append(json.dumps(tables, allow_nan=True))
        secs.append(time.perf_counter() - t0)
    return {"record": np.array(texts, dtype=object), "seconds": np.array(secs, dtype=np.float64)}


# ---------------------------------------------------------------------- driver
def _check_cells(cells) -> list[Cell]:
    cells = list(cells)
    if not cells:
        raise SweepError("the sweep has no cells")
    seen = set()
    for c in cells:
        if not isinstance(c, Cell):
            raise SweepError(f"cells must be alife.sweep.Cell objects (see grid()), got "
                             f"{type(c).__name__}")
        if c.name in seen:
            raise SweepError(f"cell {c.name} appears twice in the grid")
        seen.add(c.name)
    return cells


def _finished(folder: Path, cells, khash: str) -> dict:
    """name -> record of every cell whose file is intact and of this key."""
    done = {}
    for c in cells:
        path = cell_file(folder, c.name)
        if not path.exists():
            continue
        rec = load_cell(path)
        if rec is None or rec["key"] != khash or rec["cell"] != c.name:
            continue        # corrupt, truncated or foreign: computed again
        done[c.name] = rec
    return done


def _log(progress, msg: str) -> None:
    if progress is True:
        print(msg, flush=True)
    elif callable(progress):
        progress(msg)


def _compute(todo, fn, key, executor, folder, khash, progress, total, n_done) -> dict:
    """Run the cells ``todo`` in waves of one cell per worker; write each
    cell's file as soon as its wave returns."""
    records = {}
    width = 1 if getattr(executor, "in_process", False) else max(1, executor.n_parts())
    for start in range(0, len(todo), width):
        wave = todo[start:start + width]
        spec = [(c.name, c.as_dict()) for c in wave]
        try:
            res = executor.map_rows(run_cells, spec, fn, key["settings"], key["root_seed"])
        except SweepError:
            raise
        except Exception as e:
            msg = " ".join(str(e).split()) or type(e).__name__
            names = ", ".join(c.name for c in wave)
            raise SweepError(f"cell(s) {names} failed: {type(e).__name__}: {msg}; the "
                             f"{len(records) + n_done} finished cells are kept, fix the problem "
                             f"and rerun to resume") from e
        for i, c in enumerate(wave):
            rec = {"key": khash, "cell": c.name, "params": c.as_dict(),
                   "rows": json.loads(res["record"][i]), "seconds": float(res["seconds"][i])}
            _write_cell(cell_file(folder, c.name), rec)
            records[c.name] = rec
            _log(progress, f"[{n_done + len(records)}/{total}] {c.name} done in "
                           f"{rec['seconds']:.1f} s")
    return records


def _check_out(out: Path, key: dict, force: bool) -> bool:
    """Whether ``out`` may be (over)written: absent, or a sweep file of this key."""
    if out.is_dir():
        raise SweepError(f"{out} is a folder; give a file name such as SWEEP.h5")
    if not out.exists() or force:
        return True
    try:
        if result_kind(out) != KIND:
            raise SweepError(f"{out} exists and is not a sweep result file; use a new --out "
                             f"or --force")
        attrs, _ = read_results(out, KIND)
    except RunFileError as e:
        raise SweepError(f"{e}; use a new --out or --force") from None
    if _canonical(json.loads(attrs.get("sweep_key", "{}"))) != _canonical(key):
        raise SweepError(f"{out} holds a sweep with another config "
                         f"({_first_difference(json.loads(attrs.get('sweep_key', '{}')), key)}); "
                         f"use a new --out, or --force to replace it")
    return True


def run_sweep(fn, cells, out, *, settings: dict | None = None, root_seed: int = 0,
              executor=None, cells_dir=None, force: bool = False, progress=True,
              cost=None):
    """Run ``fn`` on every cell (skipping the finished ones) and write the table.

    Parameters
    ----------
    fn : callable ``fn(params, seed, settings) -> row | list of rows`` (module
        docstring); top-level, so that worker processes can import it
    cells : list of :class:`Cell` (e.g. from :func:`grid`); the table keeps
        this order
    out : path of the result file (HDF5, kind ``"sweep"``)
    settings : JSON-able dict passed to every cell; part of the sweep key
    root_seed : int >= 0, the root of every cell's random stream
    executor : an :mod:`alife.parallel` executor (default: in process)
    cells_dir : folder of the finished cells (default ``OUT.cells``)
    force : discard finished cells and an existing result file of another key
    progress : True (print a line per cell), False, or a callable taking the line
    cost : optional ``cost(cell) -> float``; cells are started in decreasing
        cost (only the schedule changes, never a result)

    Returns
    -------
    :class:`~alife.sweep.table.SweepTable` of the written file; its
    ``timing`` also says how many cells were ``computed`` and ``reused``.

    Raises
    ------
    SweepError
        One line: bad cells or settings, a cells folder or result file of
        another config, a failed cell (the finished ones are kept).
    alife.store.OutputLockedError
        Another process holds the result file or the cells folder.
    alife.store.RunFileError
        The result file or cells folder cannot be locked or written (one line).
    """
    settings = {} if settings is None else settings
    cells = _check_cells(cells)
    key = sweep_key(fn, settings, root_seed)
    out = Path(out)
    folder = Path(cells_dir) if cells_dir is not None else cells_folder(out)
    if folder.exists() and not folder.is_dir():
        raise SweepError(f"{folder} exists and is not a folder; give another cells folder "
                         f"or --out")
    executor = IN_PROCESS if executor is None else executor
    # one writer per result file and per cells folder, taken before either is looked at
    with output_lock(out), folder_lock(folder):
        _check_out(out, key, force)
        _open_folder(folder, key, force)
        return _run_locked(fn, cells, key, out, folder, executor, progress, cost)


def _run_locked(fn, cells, key, out, folder, executor, progress, cost):
    """The body of :func:`run_sweep`, with the output and the cells folder locked."""
    khash = _key_hash(key)
    t0 = time.perf_counter()
    done = _finished(folder, cells, khash)
    todo = [c for c in cells if c.name not in done]
    if cost is not None:
        todo.sort(key=lambda c: -float(cost(c)))
    _log(progress, f"sweep: {len(cells)} cells, {len(done)} finished before, {len(todo)} to "
                   f"run on {executor!r}")
    done.update(_compute(todo, fn, key, executor, folder, khash, progress, len(cells), len(done)))
    wall = time.perf_counter() - t0
    tables: dict[str, list] = {}
    for c in cells:
        for tname, rows in done[c.name]["rows"].items():
            tables.setdefault(tname, []).extend(rows)
    built = {_MAIN: build_table(_MAIN, tables.pop(_MAIN))}
    built.update({t: build_table(t, rows) for t, rows in sorted(tables.items())})
    timing = {"cells": {c.name: done[c.name]["seconds"] for c in cells},
              "cell_seconds": float(sum(done[c.name]["seconds"] for c in cells)),
              "wall_seconds_this_run": wall, "computed": len(todo),
              "reused": len(cells) - len(todo), "executor": repr(executor)}
    write_sweep(out, built, key=key, timing=timing, force=True)
    _log(progress, f"sweep: wrote {out} ({len(built[_MAIN])} rows; {len(todo)} cells computed "
                   f"in {wall:.1f} s, {len(cells) - len(todo)} reused)")
    return read_sweep(out)

