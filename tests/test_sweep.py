"""The sweep runner (alife.sweep): canonical cells and seeds, one table whatever
the executor, resume after SIGKILL, refusal of a changed config, child tables,
CSV; and the statistics its readings use."""
from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from alife.parallel import ProcessPool, make_executor
from alife.sweep import (Cell, SweepError, cell_file, cell_seed, cells_folder, grid, load_cell,
                         read_sweep, run_sweep)
from alife.sweep import stats
from alife.sweep.toy import toy_cell

ROOT = Path(__file__).resolve().parents[1]
CELLS = grid({"loc": [0.0, 1.5], "rep": range(3)})


def _tables(sweep) -> dict:
    """Every column of every table, as lists (exact values)."""
    return {(t, c): list(v) if isinstance(v, list) else v.tolist()
            for t, tab in sweep.tables.items() for c, v in tab.columns.items()}


def _same(a, b):
    ta, tb = _tables(a), _tables(b)
    assert list(ta) == list(tb)                      # the same columns in the same order
    for k in ta:
        x, y = ta[k], tb[k]
        assert len(x) == len(y), k
        for u, v in zip(x, y):
            assert (u == v) or (isinstance(u, float) and math.isnan(u) and math.isnan(v)), k


# --------------------------------------------------------------------------- cells
def test_cell_names_are_canonical_and_grids_row_major():
    assert Cell(width=4, depth=1).name == Cell({"depth": 1, "width": 4}).name == "depth=1,width=4"
    assert Cell(lr=0.1, sgd=True, opt="adam").name == "lr=0.1,opt=adam,sgd=true"
    assert Cell(width=np.int64(8))["width"] == 8
    names = [c.name for c in grid({"b": [1, 2], "a": ["x", "y"]}, z=0)]
    assert names == ["a=x,b=1,z=0", "a=y,b=1,z=0", "a=x,b=2,z=0", "a=y,b=2,z=0"]


@pytest.mark.parametrize("make, fragment", [
    (lambda: Cell(width=[4]), "must be int, float, str or bool"),
    (lambda: Cell(rule="a,b"), "text values may hold only"),
    (lambda: Cell(x=float("nan")), "not finite"),
    (lambda: Cell({"1x": 1}), "must be an identifier"),
    (lambda: grid({"a": []}), "axis 'a' is empty"),
    (lambda: grid({"a": [1]}, a=2), "both as an axis and as fixed"),
    (lambda: cell_seed(-1, "a=1"), "root seed must be an integer >= 0"),
])
def test_bad_cells_are_refused_in_one_line(make, fragment):
    with pytest.raises(SweepError, match=fragment) as e:
        make()
    assert "\n" not in str(e.value)


def test_a_cells_stream_depends_on_its_name_and_the_root_seed_only():
    a = cell_seed(0, "width=4").generate_state(4)
    assert np.array_equal(a, cell_seed(0, "width=4").generate_state(4))
    assert not np.array_equal(a, cell_seed(1, "width=4").generate_state(4))
    assert not np.array_equal(a, cell_seed(0, "width=8").generate_state(4))


# --------------------------------------------------------------------------- runs
def test_table_layout_child_tables_and_csv(tmp_path):
    sw = run_sweep(toy_cell, CELLS, tmp_path / "s.h5", settings={"n": 50}, progress=False)
    t = sw.cells
    assert t.names == ["cell", "loc", "rep", "mean", "std", "n", "positive"]
    assert t["cell"] == [c.name for c in CELLS]                       # the grid's order
    assert t["n"].dtype == np.int64 and t["positive"].dtype == bool and t["loc"].dtype == float
    q = sw["quantiles"]
    assert q.names == ["cell", "loc", "rep", "q", "value"] and len(q) == 3 * len(CELLS)
    # each row is the cell function's own output for that cell's stream
    direct = toy_cell({"loc": 1.5, "rep": 2}, cell_seed(0, "loc=1.5,rep=2"), {"n": 50})
    row = t.where(loc=1.5, rep=2).rows()[0]
    assert row["mean"] == direct["mean"] and row["std"] == direct["std"]
    # CSV: every table, floats round-trip exactly
    paths = sw.to_csv(tmp_path / "csv")
    assert [p.name for p in paths] == ["s.cells.csv", "s.quantiles.csv"]
    lines = paths[0].read_text().splitlines()
    assert lines[0] == "cell,loc,rep,mean,std,n,positive" and len(lines) == 1 + len(CELLS)
    assert [float(line.split(",")[4]) for line in lines[1:]] == t["mean"].tolist()
    assert sw.settings == {"n": 50} and sw.root_seed == 0
    assert sw.function == "alife.sweep.toy:toy_cell"


def test_the_table_is_bit_identical_on_threads_processes_and_dask(tmp_path):
    ref = run_sweep(toy_cell, CELLS, tmp_path / "t.h5", settings={"n": 200}, root_seed=7,
                    progress=False)
    with ProcessPool(workers=2) as pool:
        got = run_sweep(toy_cell, CELLS, tmp_path / "p.h5", settings={"n": 200}, root_seed=7,
                        executor=pool, progress=False,
                        cost=lambda c: c["rep"])                 # another schedule, same table
    _same(ref, got)
    pytest.importorskip("distributed")
    with make_executor("dask", workers=2) as ex:
        got = run_sweep(toy_cell, CELLS, tmp_path / "d.h5", settings={"n": 200}, root_seed=7,
                        executor=ex, progress=False)
    _same(ref, got)


def test_adding_cells_computes_only_the_new_ones_and_changes_no_old_row(tmp_path):
    out = tmp_path / "s.h5"
    first = run_sweep(toy_cell, CELLS[:4], out, settings={"n": 30}, progress=False)
    more = run_sweep(toy_cell, CELLS, out, settings={"n": 30}, progress=False)
    assert more.timing["computed"] == 2 and more.timing["reused"] == 4
    for col in ("mean", "std"):
        assert more.cells[col][:4].tolist() == first.cells[col].tolist()


def test_a_changed_config_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "s.h5"
    run_sweep(toy_cell, CELLS[:2], out, settings={"n": 30}, progress=False)
    before = out.read_bytes()
    for kw, fragment in (({"settings": {"n": 31}}, "settings.n: 30 -> 31"),
                         ({"settings": {"n": 30}, "root_seed": 1}, "root_seed: 0 -> 1")):
        with pytest.raises(SweepError, match="with another config") as e:
            run_sweep(toy_cell, CELLS, out, progress=False, **kw)
        msg = str(e.value)
        assert fragment in msg and "--force" in msg and "\n" not in msg
    assert out.read_bytes() == before                      # nothing overwritten
    # a cells folder of another config given explicitly is refused the same way
    with pytest.raises(SweepError, match="settings.n: 30 -> 5"):
        run_sweep(toy_cell, CELLS, tmp_path / "other.h5", settings={"n": 5},
                  cells_dir=cells_folder(out), progress=False)
    # force discards the old cells and starts afresh
    sw = run_sweep(toy_cell, CELLS, out, settings={"n": 31}, force=True, progress=False)
    assert sw.timing["computed"] == len(CELLS) and sw.settings == {"n": 31}


def test_a_corrupt_cell_file_is_recomputed_and_a_failing_cell_keeps_the_rest(tmp_path):
    out = tmp_path / "s.h5"
    ref = run_sweep(toy_cell, CELLS, out, settings={"n": 40}, progress=False)
    f = cell_file(cells_folder(out), CELLS[1].name)
    assert load_cell(f)["cell"] == CELLS[1].name
    f.write_text(f.read_text().replace('"mean": ', '"mean": 1'))   # a flipped digit: CRC fails
    assert load_cell(f) is None
    again = run_sweep(toy_cell, CELLS, out, settings={"n": 40}, progress=False)
    assert again.timing["computed"] == 1
    _same(ref, again)
    out2 = tmp_path / "fail.h5"
    with pytest.raises(SweepError, match=r"cell\(s\) loc=0.0,rep=2 failed: ValueError") as e:
        run_sweep(toy_cell, CELLS, out2, settings={"n": 40, "fail_on": 2}, progress=False)
    assert "\n" not in str(e.value) and not out2.exists()
    assert len(list(cells_folder(out2).glob("loc=*.json"))) == 2      # rep 0, 1 kept


_KILL_SCRIPT = """
import sys
from alife.sweep import grid, run_sweep
from alife.sweep.toy import toy_cell
cells = grid({"loc": [0.0, 1.5], "rep": range(3)})
run_sweep(toy_cell, cells, sys.argv[1], settings={"n": 60, "sleep": 0.4}, progress=False)
"""


def test_sigkill_mid_sweep_then_resume_gives_the_identical_table(tmp_path):
    out = tmp_path / "killed.h5"
    folder = cells_folder(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, str(out)], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if folder.is_dir() and len(list(folder.glob("loc=*.json"))) >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list(folder.glob("loc=*.json")))
    assert 2 <= finished < len(CELLS) and not out.exists()
    resumed = run_sweep(toy_cell, CELLS, out, settings={"n": 60, "sleep": 0.4}, progress=False)
    assert resumed.timing["reused"] == finished
    assert resumed.timing["computed"] == len(CELLS) - finished
    fresh = run_sweep(toy_cell, CELLS, tmp_path / "fresh.h5", settings={"n": 60, "sleep": 0.4},
                      progress=False)
    _same(resumed, fresh)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]   # no temp left behind


def test_bad_results_and_functions_are_refused(tmp_path):
    with pytest.raises(SweepError, match="top-level function"):
        run_sweep(lambda p, s, c: {}, CELLS, tmp_path / "x.h5", progress=False)
    with pytest.raises(SweepError, match="appears twice"):
        run_sweep(toy_cell, CELLS + CELLS[:1], tmp_path / "x.h5", progress=False)
    with pytest.raises(SweepError, match="JSON"):
        run_sweep(toy_cell, CELLS, tmp_path / "x.h5", settings={"n": (1, 2)}, progress=False)
    (tmp_path / "run.h5").write_bytes(b"not hdf5")
    with pytest.raises(SweepError, match="use a new --out or --force"):
        run_sweep(toy_cell, CELLS, tmp_path / "run.h5", progress=False)
    assert (tmp_path / "run.h5").read_bytes() == b"not hdf5"


def test_read_sweep_names_a_wrong_file_in_one_line(tmp_path):
    from alife.store import RunFileError, write_results
    write_results(tmp_path / "n.h5", "neutral", {}, {"x": np.arange(3)})
    with pytest.raises(RunFileError, match="not an alife sweep file"):
        read_sweep(tmp_path / "n.h5")


# --------------------------------------------------------------------------- stats
def test_wilson_matches_the_closed_form():
    lo, hi = stats.wilson(3, 10)
    z = 1.959963984540054
    p, n = 0.3, 10
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert lo == pytest.approx(c - h) and hi == pytest.approx(c + h)
    assert stats.wilson(0, 7)[0] == 0.0 and stats.wilson(7, 7)[1] == 1.0
    assert all(math.isnan(v) for v in stats.wilson(0, 0))


def test_t_interval_paired_difference_and_trend():
    m, lo, hi, n = stats.t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (m, n) == (3.0, 5) and hi - m == pytest.approx(2.776445105 * math.sqrt(2.5) / math.sqrt(5))
    d = stats.paired_difference([2, 3, 4, 5, 6], [1, 1, 1, 1, 1])
    assert d["mean"] == 3.0 and d["p"] == pytest.approx(2 / 32)      # exact sign-flip test
    level = np.repeat(np.arange(5), 4)
    rng = np.random.default_rng(0)
    y = -level + 0.1 * rng.standard_normal(level.size)               # falls with the level
    tr = stats.spearman_trend(level, y, reps=2000)
    assert tr["rho"] < -0.9 and tr["hi"] < 0 and tr["p"] < 0.01 and tr["levels"] == 5
    flat = stats.spearman_trend(level, rng.standard_normal(level.size), reps=2000)
    assert flat["lo"] < 0 < flat["hi"] and flat["p"] > 0.01


def test_summarise_groups_a_table(tmp_path):
    sw = run_sweep(toy_cell, CELLS, tmp_path / "s.h5", settings={"n": 30}, progress=False)
    rows = stats.summarise(sw.cells, "mean", "loc")
    assert [r["loc"] for r in rows] == [0.0, 1.5] and all(r["n"] == 3 for r in rows)
    assert rows[1]["mean"] == pytest.approx(np.mean(sw.cells.where(loc=1.5)["mean"]))


def test_the_runner_imports_neither_torch_nor_the_simulator():
    code = ("import sys, alife.sweep, alife.sweep.stats, alife.sweep.toy, "
            "alife.neutral.robustness_curves; "
            "print(sorted(m for m in ('torch', 'alife.nca.develop', 'alife.bridge') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_stats_docstring_example():
    import doctest
    assert doctest.testmod(stats).failed == 0


def test_table_differences_is_bit_exact(tmp_path):
    from alife.sweep import table_differences
    a = run_sweep(toy_cell, CELLS, tmp_path / "a.h5", settings={"n": 30}, progress=False)
    b = run_sweep(toy_cell, CELLS, tmp_path / "b.h5", settings={"n": 30}, progress=False)
    assert table_differences(a, b) == []
    b.cells.columns["mean"] = np.nextafter(b.cells["mean"], np.inf)     # one ulp
    assert table_differences(a, b) == ["cells.mean differs"]
    c = run_sweep(toy_cell, CELLS, tmp_path / "c.h5", settings={"n": 31}, progress=False)
    assert "cells.n differs" in table_differences(a, c)


def test_a_second_writer_is_refused_before_anything_is_read_or_written(tmp_path):
    from alife.store import OutputLockedError, folder_lock, output_lock
    out = tmp_path / "s.h5"
    with output_lock(out):                       # another writer holds the result file
        with pytest.raises(OutputLockedError, match="locked"):
            run_sweep(toy_cell, CELLS, out, settings={"n": 40}, progress=False)
    assert not out.exists() and not cells_folder(out).exists()
    with folder_lock(cells_folder(out)):         # ... or the cells folder
        with pytest.raises(OutputLockedError, match="locked"):
            run_sweep(toy_cell, CELLS, out, settings={"n": 40}, progress=False)
        assert not list(cells_folder(out).iterdir())
    assert not out.exists()
    done = run_sweep(toy_cell, CELLS, out, settings={"n": 40}, progress=False)
    assert done.timing["computed"] == len(CELLS)
    assert not (tmp_path / "s.h5.lock").exists()             # released and removed


def test_temporary_files_of_a_killed_writer_are_removed(tmp_path):
    out = tmp_path / "s.h5"
    run_sweep(toy_cell, CELLS[:2], out, settings={"n": 40}, progress=False)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    target = cell_file(cells_folder(out), CELLS[2].name)
    stale = target.with_name(f".{target.name}.writing-{dead}-0123456789abcdef")
    stale.write_text("half a cell")
    again = run_sweep(toy_cell, CELLS, out, settings={"n": 40}, progress=False)
    assert again.timing["computed"] == len(CELLS) - 2 and not stale.exists()
