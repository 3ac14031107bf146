"""alife bridge / alife plot BRIDGE.h5 / alife compare: config, result file, invariants, CLI errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from alife.bridge.config import load_bridge_config, loads_bridge
from alife.bridge.evaluate_path import barrier
from alife.bridge.run import read_bridge
from alife.cli import main
from alife.config import ConfigError

QUICK = """
seed = 3
[model]
sizes = [64, 12, 10]
[train]
epochs = 6
batch_size = 64
[pairs]
n = 2
[paths]
kinds = ["line", "bezier", "polychain", "autoneb"]
n_points = 9
epochs = 3
batch_size = 64
[autoneb]
cycles = 1
steps = 10
[plane]
grid = 5
[align]
pairs = 1
sizes = [64, 12, 10]
epochs = 3
n_points = 5
[ensembles]
fge_cycles = 2
fge_cycle_epochs = 1
swa_epochs = 2
[gpmap]
sigmas = [0.01, 0.1]
n = 40
"""


@pytest.fixture(scope="module")
def bridge(tmp_path_factory):
    d = tmp_path_factory.mktemp("bridge")
    cfg = d / "quick.toml"
    cfg.write_text(QUICK)
    out = d / "bridge.h5"
    rc = main(["bridge", str(cfg), "--out", str(out), "--save-checkpoints", str(d / "ck"),
               "--no-progress"])
    assert rc == 0
    return d, cfg, out


# ------------------------------------------------------------------- config
def test_defaults_are_the_documented_digits_experiment():
    c = loads_bridge("seed = 0")
    assert c.model["sizes"] == [64, 32, 10] and c.align["sizes"] == [64, 128, 10]
    assert c.paths["n_points"] == 61 and c.n_pairs == 3
    # the canonical text is itself a valid config that reads back the same
    assert loads_bridge(c.text).text == c.text


@pytest.mark.parametrize("text, key", [
    ("", "seed"),
    ("seed = 0\n[modle]\nsizes = [64, 10]", "[modle]"),
    ("seed = 0\n[model]\nsizes = [64, 10]", "[model] sizes"),
    ("seed = 0\n[model]\nsizes = [63, 32, 10]", "[model] sizes"),
    ("seed = 0\n[paths]\nkinds = [\"bezier\"]", "[paths] kinds"),
    ("seed = 0\n[paths]\nkinds = [\"line\", \"spline\"]", "[paths] kinds"),
    ("seed = 0\n[train]\nlr = 0", "[train] lr"),
    ("seed = 0\n[train]\noptimizer = \"rmsprop\"", "[train] optimizer"),
    ("seed = 0\n[pairs]\ncheckpoints = [[\"a.h5\"]]", "[pairs] checkpoints"),
    ("seed = 0\n[gpmap]\nsigmas = [-1.0]", "[gpmap] sigmas"),
    ("seed = 0\n[ensembles]\nlr_low = 1.0", "[ensembles] lr_low"),
    ("seed = 0\n[plane]\ngrdi = 3", "[plane]"),
])
def test_bad_configs_name_the_key(text, key):
    with pytest.raises(ConfigError) as e:
        loads_bridge(text)
    assert key in str(e.value) and "\n" not in str(e.value)


# -------------------------------------------------------------- result file
def test_result_file_holds_every_path_with_invariants(bridge):
    _, cfg, out = bridge
    summary, arrays, attrs = read_bridge(out)
    assert attrs["config_toml"] == load_bridge_config(cfg).text
    assert len(summary["pairs"]) == 2
    for r in summary["pairs"]:
        p = r["pair"]
        assert set(r["paths"]) == {"line", "bezier", "polychain", "autoneb"}
        for kind, row in r["paths"].items():
            pre = f"pair{p}/paths/{kind}/"
            assert arrays[pre + "t"].shape == (9,)
            # the stored barrier is the one of the stored profile
            assert row["train_loss_barrier"] == pytest.approx(barrier(arrays[pre + "train_loss"]))
            # every path starts at A and ends at B
            assert row["endpoint_max_abs_diff"] <= 1e-6
            assert arrays[pre + "cka_a"][0] == pytest.approx(1.0, abs=1e-9)
            assert arrays[pre + "cka_b"][-1] == pytest.approx(1.0, abs=1e-9)
            assert arrays[pre + "agree_a"][0] == 1.0 and arrays[pre + "agree_b"][-1] == 1.0
        # the line and both of its profiles start at the endpoints' own metrics
        line = f"pair{p}/paths/line/"
        assert arrays[line + "train_loss"][0] == pytest.approx(r["endpoints"][0]["train"]["loss"],
                                                               rel=1e-5)
        assert arrays[line + "test_error"][-1] == pytest.approx(r["endpoints"][1]["test"]["error"])
        # even briefly trained curves (3 epochs) lower the straight line's barrier
        for kind in ("bezier", "polychain"):
            assert r["paths"][kind]["train_loss_barrier"] < 0.75 * r["paths"]["line"]["train_loss_barrier"]
    assert summary["targets_met"]["curve_endpoints_1e-6"] is True
    assert summary["targets_met"]["permutation_invariance_1e-6"] is True
    a = summary["align"][0]
    assert a["permuted_output_max_abs_diff"] <= 1e-6 and a["cka_max_abs_change"] <= 1e-6
    assert a["train_loss_barrier_after"] < a["train_loss_barrier_before"]
    assert [g["sigma"] for g in summary["gpmap"]] == [0.01, 0.1]
    assert summary["gpmap"][0]["robustness"] >= summary["gpmap"][1]["robustness"]


def test_plane_coordinates(bridge):
    _, _, out = bridge
    _, arrays, _ = read_bridge(out)
    anchors = arrays["pair0/plane/anchors"]
    summary, _, _ = read_bridge(out)
    dist = summary["pairs"][0]["paths"]["line"]["distance"]
    np.testing.assert_allclose(anchors[0], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(anchors[1], [dist, 0.0], rtol=1e-5, atol=1e-6)
    assert anchors[2, 1] > 0
    curve = arrays["pair0/plane/curve"]
    # a one-bend Bezier curve lies in the plane of its control points
    assert summary["pairs"][0]["plane"]["curve_offplane"] < 1e-3 * dist
    np.testing.assert_allclose(curve[0], anchors[0], atol=1e-4)
    np.testing.assert_allclose(curve[-1], anchors[1], atol=1e-4 * dist)
    assert arrays["pair0/plane/train_loss"].shape == (5, 5)
    assert "pair1/plane/u" not in arrays  # [plane] pairs = 1


def test_checkpoints_reload_the_same_endpoints(bridge, tmp_path):
    d, _, out = bridge
    text = QUICK.replace("[pairs]\nn = 2", "[pairs]\ncheckpoints = [[\"%s\", \"%s\"]]" % (
        d / "ck" / "pair1_a.h5", d / "ck" / "pair1_b.h5"))
    text = text.replace('kinds = ["line", "bezier", "polychain", "autoneb"]', 'kinds = ["line"]')
    cfg = tmp_path / "ck.toml"
    cfg.write_text(text)
    out2 = tmp_path / "ck.h5"
    assert main(["bridge", str(cfg), "--out", str(out2), "--no-progress"]) == 0
    s1, a1, _ = read_bridge(out)
    s2, a2, _ = read_bridge(out2)
    assert s2["pairs"][0]["source"] == "checkpoint"
    np.testing.assert_array_equal(a2["pair0/paths/line/train_loss"], a1["pair1/paths/line/train_loss"])


def test_mismatched_checkpoint_is_one_line_exit_2(bridge, tmp_path, capsys):
    d, _, _ = bridge
    text = QUICK.replace("sizes = [64, 12, 10]\n[train]", "sizes = [64, 32, 10]\n[train]")
    text = text.replace("[pairs]\nn = 2", "[pairs]\ncheckpoints = [[\"%s\", \"%s\"]]" % (
        d / "ck" / "pair0_a.h5", d / "ck" / "pair0_b.h5"))
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    out = tmp_path / "bad.h5"
    capsys.readouterr()
    assert main(["bridge", str(cfg), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "MLP(sizes=(64, 12, 10))" in err and "(64, 32, 10)" in err
    assert not out.exists()


def test_existing_result_is_never_overwritten(bridge, capsys):
    _, cfg, out = bridge
    before = out.read_bytes()
    capsys.readouterr()
    assert main(["bridge", str(cfg), "--out", str(out), "--no-progress"]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_bad_config_file_exit_2(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("seed = 0\n[paths]\nn_points = 2\n")
    assert main(["bridge", str(cfg), "--out", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "[paths] n_points" in err


# ------------------------------------------------------------ plot, compare
def test_plot_bridge_writes_every_figure(bridge, tmp_path):
    _, _, out = bridge
    assert main(["plot", str(out), "--out", str(tmp_path / "figs")]) == 0
    names = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert names == ["align.png", "cka.png", "ensembles.png", "gpmap.png", "paths.png",
                     "plane_pair0.png"]
    assert all((tmp_path / "figs" / n).stat().st_size > 5000 for n in names)


@pytest.mark.parametrize("fmt,magic", [("pdf", (b"%PDF",)), ("svg", (b"<?xml", b"<svg"))])
def test_plot_bridge_in_vector_formats(bridge, tmp_path, fmt, magic):
    _, _, out = bridge
    assert main(["plot", str(out), "--out", str(tmp_path / "v"), "--format", fmt]) == 0
    files = sorted((tmp_path / "v").iterdir())
    assert [p.name for p in files] == [f"{n}.{fmt}" for n in ("align", "cka", "ensembles",
                                                              "gpmap", "paths", "plane_pair0")]
    assert all(p.read_bytes().startswith(magic) for p in files)


def test_compare_table_has_the_four_rows(bridge, tmp_path, capsys):
    _, _, out = bridge
    pairs = tmp_path / "pairs.json"
    pairs.write_text(json.dumps({"rows": [
        {"kind": "evolved", "pair": "e", "same_run": False, "path_found": True, "line_kept": 0.5,
         "curve_kept": 1.0, "internal_rel": 0.3, "internal_flip": 0.1, "curve_path_found": True,
         "endpoint_robustness": [0.2, 0.4], "endpoint_evolvability": [10, 12]},
        {"kind": "trained", "pair": "t", "same_run": False, "path_found": False,
         "line_kept": 0.1, "curve_kept": 0.9, "internal_rel": 0.8, "internal_flip": 0.2}]}))
    table = tmp_path / "table.md"
    assert main(["compare", str(out), "--hnca-pairs", str(pairs), "--out", str(table)]) == 0
    lines = table.read_text().splitlines()
    assert len(lines) == 6
    assert lines[2].startswith("| RNA L=12") and lines[3].startswith("| evolved HNCA")
    assert lines[4].startswith("| gradient-trained HNCA") and lines[5].startswith("| trained MLP")
    assert "neutral path found in 1 by the analyser's search and in 1 along" in lines[3]
    assert "r(g) 0.3 (range 0.2–0.4" in lines[3]
    assert "neutral path found in 0 by the analyser's search and in 0 along" in lines[4]
    import csv
    with open("experiments/rna/phenotypes.csv") as f:
        rows = list(csv.DictReader(f))
    single = sum(1 for r in rows if r["n_networks"] == "1")
    assert f"{single}/{len(rows)} structures form one network" in lines[2]
    capsys.readouterr()
    assert main(["compare", str(out), "--hnca-pairs", str(pairs), "--out", str(table)]) == 2
    assert main(["compare", str(out), "--hnca-pairs", str(tmp_path / "none.json"),
                 "--out", str(tmp_path / "t2.md")]) == 2
    assert not (tmp_path / "t2.md").exists()


def test_report_of_a_real_bridge_file(bridge, tmp_path):
    _, _, out = bridge
    page = tmp_path / "bridge.html"
    assert main(["report", str(out), "-o", str(page)]) == 0
    html = page.read_text()
    figures = ["paths.png", "cka.png", "plane_pair0.png", "align.png", "ensembles.png", "gpmap.png"]
    assert html.count('<img src="data:image/png;base64,') == len(figures)
    for name in figures:
        assert f"<b>{name}</b>" in html
    assert "[paths]" in html  # the config
