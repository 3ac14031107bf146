"""The comparison experiment's MLP width sweep runs end to end in its quick mode,
gives the same bits in a process pool, resumes, and its cell function's
measures obey their definitions."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[1]


def _load():
    sys.path.insert(0, str(ROOT / "experiments/comparison"))
    spec = importlib.util.spec_from_file_location("comparison_run",
                                                  ROOT / "experiments/comparison/run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("comparison")
    exp = _load()
    assert exp.main(["mlp", "--quick", "--out", str(out), "--work", str(out / "work"),
                     "--silent"]) == 0
    return exp, out


def test_quick_sweep_writes_the_table_the_csvs_and_the_reading(quick):
    exp, out = quick
    from alife.sweep import read_sweep
    from alife.bridge.width_sweep import QUICK_SETTINGS
    sw = read_sweep(out / "mlp_sweep_quick.h5")
    t, rob = sw.cells, sw["robustness"]
    assert len(t) == 6 and sorted(set(zip(t["depth"].tolist(), t["width"].tolist()))) == \
        [(1, 4), (1, 16), (2, 8)]
    for f in ("mlp_sweep_quick.cells.csv", "mlp_sweep_quick.robustness.csv",
              "mlp_sweep_quick_summary.json", "mlp_sweep_quick_tables.md"):
        assert (out / f).stat().st_size > 0, f
    assert (out / "mlp_sweep_quick.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((out / "mlp_sweep_quick_summary.json").read_text())
    assert [w["width"] for w in summary["widths"]] == [4, 16, 8]
    # definitions: fractions in [0, 1]; the exact phenotype is NaN unless the ends share it
    for p in ("line", "matched", "bezier"):
        for c in ("fit_kept", "test_fit_kept"):
            assert ((t[f"{p}_{c}"] >= 0) & (t[f"{p}_{c}"] <= 1)).all()
        kept = t[f"{p}_kept"]
        assert np.array_equal(np.isnan(kept), ~t["same_phenotype"])
    # weight matching never moves B away from A
    assert (t["distance_matched"] <= t["distance"] * (1 + 1e-6)).all()
    assert ((t["cka_h1"] > 0) & (t["cka_h1"] <= 1 + 1e-12)).all()
    assert np.isnan(t.where(depth=1)["cka_h2"]).all() and not np.isnan(t.where(depth=2)["cka_h2"]).any()
    # robustness: both endpoints, both kernels, every strength plus the one-site resample
    per_end = len(QUICK_SETTINGS["rms_sigmas"]) + len(QUICK_SETTINGS["resample_fractions"]) + 1
    assert len(rob) == len(t) * 2 * per_end
    single = rob.where(single_site=True)
    assert len(single) == 2 * len(t) and (single["kept"] <= single["n"]).all()
    assert ((rob["r_lo"] <= rob["r"]) & (rob["r"] <= rob["r_hi"])).all()


def test_the_same_cells_give_the_same_bits_in_a_process_pool(quick, tmp_path):
    exp, out = quick
    import mlp
    from alife.parallel import ProcessPool
    from alife.sweep import read_sweep
    ref = read_sweep(out / "mlp_sweep_quick.h5").cells
    with ProcessPool(workers=2) as pool:
        sw = mlp.run(tmp_path, quick=True, widths=[4, 16], pairs=1, depth2_width=None,
                     executor=pool, progress=False)
    for name in sw.cells["cell"]:
        a = sw.cells.where(cell=name).rows()[0]
        b = ref.where(cell=name).rows()[0]
        assert a.keys() == b.keys()
        for k in a:
            assert a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]), (name, k, a[k], b[k])


def test_a_rerun_resumes_everything_and_bad_options_exit_2(quick, capsys):
    exp, out = quick
    before = (out / "mlp_sweep_quick.cells.csv").read_text()
    assert exp.main(["mlp", "--quick", "--out", str(out), "--work", str(out / "work"),
                     "--silent", "--no-report"]) == 0
    assert "(0 computed, 6 reused)" in capsys.readouterr().out
    assert (out / "mlp_sweep_quick.cells.csv").read_text() == before
    assert exp.main(["mlp", "--quick", "--out", str(out), "--pairs", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --pairs") and err.count("\n") == 1


def test_the_report_writes_the_common_tables_and_compare_reads_them(quick, tmp_path, capsys):
    exp, out = quick
    from alife.sweep import read_sweep
    contract = out / "mlp_quick_contract.h5"
    assert list(read_sweep(contract).tables) == ["connectivity", "robustness"]
    capsys.readouterr()
    assert exp.main(["compare", "--inputs", str(contract), "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out == (tmp_path / "comparison.md").read_text()
    assert (tmp_path / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    assert "| mlp | trained | width-16 | 1,210 | 2 |" in (tmp_path / "comparison.md").read_text()
