"""The systems table of experiments/comparison (quick mode): contract, checksums."""
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "experiments" / "comparison" / "run.py"
COLUMNS = ["system", "measure", "value", "lo", "hi", "n", "definition"]


def _run(*args):
    return subprocess.run([sys.executable, str(RUN), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("systems")
    r = _run("systems", "--quick", "--out", str(out), "--work", str(out / "work"), "--silent")
    assert r.returncode == 0, r.stderr
    return out, r


def test_quick_table_follows_the_contract(quick):
    from alife.store import verify_file
    from alife.sweep import read_sweep
    out, r = quick
    assert {p.name for p in out.iterdir()} >= {"systems.h5", "systems.csv", "systems.md"}
    sw = read_sweep(out / "systems.h5")
    t = sw["systems"]
    assert set(COLUMNS) <= set(t.names)
    assert isinstance(t["system"], list) and t["n"].dtype == np.int64
    rows = t.rows()
    systems = {(x["system"], x["mode"]) for x in rows}
    assert {("rna", "random"), ("hnca", "evolved"), ("hnca", "trained"),
            ("mlp", "trained")} <= systems
    by = {(x["system"], x["rule"], x["mode"], x["measure"]): x for x in rows}
    # the same measures, on the same m, for every system
    for key in (("rna", "rna12", "random"), ("hnca", "linear", "evolved"),
                ("hnca", "residual-relu-H8-C2-L2", "trained"), ("mlp", "width-4", "trained")):
        for meas in ("robustness", "evolvability_rarefied", "E_C"):
            row = by[key + (meas,)]
            assert row["m"] == sw.settings["m"] and row["n"] >= 1 and row["definition"]
            assert 0 <= row["value"] <= (1 if meas != "evolvability_rarefied"
                                         else sw.settings["m"]) or math.isnan(row["value"])
    assert by[("rna", "rna12", "exhaustive", "rho_over_f_median")]["value"] == pytest.approx(
        312, rel=0.01)
    f = by[("hnca", "linear", "random", "frequency")]
    assert f["n"] == sw.settings["random_genomes"] and 0 <= f["lo"] <= f["value"] <= f["hi"]
    for mode in ("evolved", "random"):      # the quotient never lengthens a distance
        q = by[("hnca", "linear", mode, "distance_quotient")]["value"]
        assert q <= by[("hnca", "linear", mode, "distance_raw")]["value"]
    assert "sweep result file" in verify_file(out / "systems.h5")
    csv = (out / "systems.csv").read_text().splitlines()
    assert csv[0].split(",")[:len(t.names)] == t.names and len(csv) == len(t) + 1
    assert "| system | rule | mode | measure |" in (out / "systems.md").read_text()


def test_bad_option_exits_2():
    bad = _run("systems", "--quick", "--bogus")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
