"""The tidy tables of a sweep: typed columns, the HDF5 result file, CSV export.

A sweep's result file (kind ``"sweep"``, written by
:func:`alife.store.write_results`) holds one or more tables.  The main table
is ``cells`` (one row per row a cell function returned); a cell function may
also return child tables (``"robustness"``: several rows per cell).  Every
row of every table starts with the column ``cell`` (the cell's name) and the
cell's parameters, then the cell function's own columns.

Layout of the file:

* datasets ``<table>/<column>``, one per column, one entry per row:
  ``float64`` (numbers; NaN where a row lacks the column), ``int64`` (only
  integers, none missing), ``bool`` (only booleans, none missing) or UTF-8
  strings (``""`` where missing);
* root attribute ``tables``: JSON ``{table: [columns in order]}``;
* root attributes ``sweep_key`` (JSON: the cell function, the root seed and
  the settings), ``settings`` (JSON), ``root_seed``, ``function``,
  ``n_cells``, and ``timing`` (JSON: seconds per cell and in all; the only
  part that differs from run to run).

Read it back with :func:`read_sweep`; :meth:`SweepTable.to_csv` writes one
CSV per table.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..store import RunFileError, atomic_write, read_results, write_results
from ..store.atomic import open_exclusive
from .cells import SweepError

__all__ = ["KIND", "Table", "SweepTable", "read_sweep", "build_table", "write_sweep",
           "table_differences"]

#: The ``kind`` attribute of a sweep result file.
KIND = "sweep"


@dataclass
class Table:
    """One tidy table: named columns of equal length.

    Attributes
    ----------
    name : str
    columns : dict of str -> numpy array (float64, int64, bool) or list of str,
        in column order
    """

    name: str
    columns: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, column: str):
        try:
            return self.columns[column]
        except KeyError:
            raise KeyError(f"table {self.name!r} has no column {column!r}; columns: "
                           f"{', '.join(self.columns)}") from None

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def rows(self) -> list[dict]:
        """Every row as a dict of Python scalars (column order kept)."""
        out = []
        for i in range(len(self)):
            out.append({k: _py(v[i]) for k, v in self.columns.items()})
        return out

    def where(self, **equal) -> "Table":
        """The rows whose columns equal the given values, e.g. ``where(width=64, depth=1)``."""
        mask = np.ones(len(self), bool)
        for k, v in equal.items():
            col = self[k]
            mask &= np.array([x == v for x in col]) if isinstance(col, list) else (col == v)
        return Table(self.name, {k: ([x for x, m in zip(c, mask) if m] if isinstance(c, list)
                                     else c[mask]) for k, c in self.columns.items()})

    def to_csv(self, path=None) -> str:
        """The table as CSV text (written atomically to ``path`` if given).

        Floats are written in shortest round-trip form (``repr``), NaN as
        ``nan``, booleans as ``True``/``False``."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.names)
        for i in range(len(self)):
            w.writerow([_csv_value(c[i]) for c in self.columns.values()])
        text = buf.getvalue()
        if path is not None:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(path) as tmp, open_exclusive(tmp, "w") as fh:
                fh.write(text)
        return text


def _py(v):
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _csv_value(v) -> str:
    v = _py(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else repr(v)
    return str(v)


@dataclass
class SweepTable:
    """A sweep result file read back (:func:`read_sweep`).

    Attributes
    ----------
    tables : dict of str -> :class:`Table` (``"cells"`` first)
    settings : dict, the settings every cell function was called with
    root_seed : int
    function : str, ``module:qualname`` of the cell function
    timing : dict, ``{"cells": {name: seconds}, "seconds": total}``
    path : Path or None
    """

    tables: dict
    settings: dict
    root_seed: int
    function: str
    timing: dict
    path: Path | None = None

    def __getitem__(self, table: str) -> Table:
        try:
            return self.tables[table]
        except KeyError:
            raise KeyError(f"no table {table!r} in this sweep; tables: "
                           f"{', '.join(self.tables)}") from None

    @property
    def cells(self) -> Table:
        """The main table (one row per cell, or per row a cell returned)."""
        return self.tables["cells"]

    def to_csv(self, folder, stem: str | None = None) -> list[Path]:
        """Write every table as ``<stem>.<table>.csv`` into ``folder``
        (``stem`` defaults to the result file's stem); returns the paths."""
        folder = Path(folder)
        stem = stem or (self.path.stem if self.path is not None else "sweep")
        out = []
        for name, t in self.tables.items():
            p = folder / f"{stem}.{name}.csv"
            t.to_csv(p)
            out.append(p)
        return out


# ----------------------------------------------------------------------- typing
def _column(name: str, values: list, table: str):
    """A list of scalars (None = missing) as one typed column."""
    present = [v for v in values if v is not None]
    if not present:
        return np.full(len(values), np.nan)
    if all(isinstance(v, str) for v in present):
        return ["" if v is None else v for v in values]
    if any(isinstance(v, str) for v in present):
        raise SweepError(f"column {name!r} of table {table!r} mixes text and numbers; a cell "
                         f"function must return one type per column")
    missing = len(present) < len(values)
    if not missing and all(isinstance(v, bool) for v in present):
        return np.array(values, dtype=bool)
    if not missing and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return np.array(values, dtype=np.int64)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def build_table(name: str, rows: list[dict]) -> Table:
    """Rows (dicts of Python scalars) -> a :class:`Table`; columns in order of
    first appearance, missing entries filled as described in the module
    docstring."""
    order: dict[str, None] = {}
    for r in rows:
        for k in r:
            order.setdefault(k, None)
    return Table(name, {k: _column(k, [r.get(k) for r in rows], name) for k in order})


# ----------------------------------------------------------------------- files
def write_sweep(path, tables: dict, *, key: dict, timing: dict, force: bool = False) -> Path:
    """Write the tables of a sweep to one result file (kind ``"sweep"``), atomically."""
    arrays = {}
    for tname, t in tables.items():
        for c, v in t.columns.items():
            arrays[f"{tname}/{c}"] = v
    attrs = {"tables": json.dumps({n: t.names for n, t in tables.items()}),
             "sweep_key": json.dumps(key, sort_keys=True),
             "settings": json.dumps(key["settings"], sort_keys=True),
             "root_seed": np.int64(key["root_seed"]),
             "function": key["function"],
             "n_cells": np.int64(len(timing.get("cells", {}))),
             "timing": json.dumps(timing, sort_keys=True)}
    return write_results(path, KIND, attrs, arrays, force=force)


def read_sweep(path) -> SweepTable:
    """Read a sweep result file: a :class:`SweepTable`.

    Raises :class:`alife.store.RunFileError` (one line) for a missing,
    unreadable or non-sweep file.
    """
    path = Path(path)
    attrs, arrays = read_results(path, KIND)
    try:
        layout = json.loads(attrs["tables"])
        settings = json.loads(attrs["settings"])
        timing = json.loads(attrs.get("timing", "{}"))
        tables = {}
        for tname, cols in layout.items():
            tables[tname] = Table(tname, {c: arrays[f"{tname}/{c}"] for c in cols})
    except (KeyError, ValueError, TypeError) as e:
        raise RunFileError(f"{path} is not a complete sweep result file ({type(e).__name__}: "
                           f"{e}); rerun the sweep to rebuild it") from None
    return SweepTable(tables, settings, int(attrs["root_seed"]), str(attrs["function"]), timing,
                      path)


def table_differences(a: SweepTable, b: SweepTable, limit: int = 5) -> list[str]:
    """Where two sweeps' tables differ, bit for bit (timing excluded): at most
    ``limit`` one-line descriptions; an empty list when every table, column
    (name, order, dtype) and value is identical (NaN equals NaN)."""
    out = []
    if list(a.tables) != list(b.tables):
        return [f"tables {list(a.tables)} vs {list(b.tables)}"]
    for name in a.tables:
        ta, tb = a.tables[name], b.tables[name]
        if ta.names != tb.names:
            out.append(f"{name}: columns differ ({len(ta.names)} vs {len(tb.names)}; first "
                       f"difference at {next((x, y) for x, y in zip(ta.names + [None], tb.names + [None]) if x != y)})")
            continue
        if len(ta) != len(tb):
            out.append(f"{name}: {len(ta)} vs {len(tb)} rows")
            continue
        for c in ta.names:
            x, y = ta[c], tb[c]
            if isinstance(x, list) or isinstance(y, list):
                same = isinstance(x, list) and isinstance(y, list) and x == y
            else:
                same = x.dtype == y.dtype and np.array_equal(
                    x.view(np.uint8) if x.dtype.kind == "f" else x,
                    y.view(np.uint8) if y.dtype.kind == "f" else y)
            if not same:
                out.append(f"{name}.{c} differs")
            if len(out) >= limit:
                return out
    return out
