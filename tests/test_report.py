"""`alife report`: one self-contained HTML page per run / result file.

Invariants protected: every figure of the result type is embedded exactly
once as a data: URI and equals what `alife plot` / `alife neutral` draw; the
page refers to nothing outside itself; headline numbers equal the file's;
bad input is one line with exit code 2 and never overwrites a file.
"""
from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path

import h5py
import numpy as np
import pytest

from alife.cli import main
from configs import TOY_EXHAUSTIVE, afpo_toml
from alife.evolve.config import loads
from alife.evolve.runner import evolve
from alife.neutral.config import load_neutral_config, loads_neutral
from alife.neutral.run import run_neutral
from alife.evolve.plots import plot_run
from alife.report import WITHHELD, build_report, fmt
from alife.store import RunFile, read_results, write_results

ROOT = Path(__file__).resolve().parents[1]

RUN_CONFIG = afpo_toml(seed=7, generations=6, pop_size=16)

TOY = TOY_EXHAUSTIVE

IMG = re.compile(r'<img\b[^>]*\bsrc="([^"]*)"[^>]*\balt="([^"]*)"')


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A small run file, the smoke NET.h5 (sampled), a toy exhaustive NET.h5
    and a small sweep (9 toy cells), each with its report."""
    from alife.sweep import grid, run_sweep
    from alife.sweep.toy import toy_cell

    d = tmp_path_factory.mktemp("report")
    run = d / "run.h5"
    evolve(loads(RUN_CONFIG), run, progress=False)
    net = d / "net.h5"
    run_neutral(load_neutral_config(ROOT / "experiments/smoke/neutral.toml"), net,
                figs=d / "net_figs")
    toy = d / "toy.h5"
    run_neutral(loads_neutral(TOY), toy, figs=d / "toy_figs")
    sweep = d / "sweep.h5"
    run_sweep(toy_cell, grid({"loc": [0.0, 1.0, 2.0], "rep": range(3)}), sweep,
              settings={"n": 50}, progress=False)
    out = {"dir": d, "run": run, "net": net, "toy": toy, "sweep": sweep}
    for k in ("run", "net", "toy", "sweep"):
        page = d / f"{k}.html"
        assert main(["report", str(out[k]), "-o", str(page)]) == 0
        out[k + "_html"] = page
    return out


def _images(text: str) -> list[tuple[str, bytes]]:
    """(alt, decoded bytes) of every <img>; asserts each src is a PNG data: URI."""
    out = []
    for src, alt in IMG.findall(text):
        assert src.startswith("data:image/png;base64,"), src[:60]
        out.append((html.unescape(alt), base64.b64decode(src.split(",", 1)[1], validate=True)))
    assert len(out) == text.count("<img"), "an <img> without a data: src"
    return out


def _headline(text: str, key: str) -> str:
    m = re.search(rf'id="h-{re.escape(key)}"[^>]*>([^<]*)<', text)
    assert m, f"headline {key} missing"
    return html.unescape(m.group(1))


@pytest.mark.parametrize("kind", ["run", "net", "toy", "sweep"])
def test_report_refers_to_nothing_outside_itself(files, kind):
    text = files[kind + "_html"].read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    for attr in re.findall(r'\b(?:src|href|srcset|poster|data)\s*=\s*"([^"]*)"', text):
        assert attr.startswith("data:"), attr[:60]
    low = text.lower()
    for bad in ("<script", "<link", "<iframe", "<object", "<embed", "@import", "url(",
                "http://", "https://", "file://"):
        assert bad not in low, bad
    assert _images(text)


def test_run_report_embeds_every_figure_once_and_the_headline(files, tmp_path):
    text = files["run_html"].read_text(encoding="utf-8")
    expected = {p.name: p.read_bytes() for p in plot_run(files["run"], tmp_path)}
    imgs = _images(text)
    assert Counter(a for a, _ in imgs) == Counter(list(expected))    # each exactly once
    for alt, data in imgs:
        assert data == expected[alt], alt
    with RunFile.open(files["run"]) as run:
        s = run.summary()
    assert _headline(text, "generations_done") == str(s["generations_done"]) == "6"
    assert _headline(text, "status") == s["status"] == "done"
    assert _headline(text, "pop_size") == str(s["pop_size"])
    assert _headline(text, "best_loss_first") == fmt(float(s["best_loss"][0]))
    assert _headline(text, "best_loss_last") == fmt(float(s["best_loss"][-1]))
    assert _headline(text, "mean_evals_per_s") == fmt(s["mean_evals_per_s"])
    assert _headline(text, "n_phenotypes") == str(s["n_phenotypes"])
    assert html.escape(s["config_toml"], quote=True) in text
    # provenance: what the file records and what made the report, labelled apart
    assert "Recorded in the file" in text and "Generated this report" in text
    for word in ("numpy", "numba", "h5py", "scipy", "networkx", "torch", "python",
                 "hostname", "cpu_count", "platform", "seed_entropy", "alife_version"):
        assert f"<th>{word}</th>" in text, word


def test_sampled_neutral_report_embeds_run_neutrals_figures_and_networks(files):
    text = files["net_html"].read_text(encoding="utf-8")
    attrs, _ = read_results(files["net"], "neutral")
    s = json.loads(attrs["summary_json"])
    pngs = [f for f in s["files"] if f.endswith(".png")]
    imgs = _images(text)
    assert Counter(a for a, _ in imgs) == Counter(pngs)
    assert "network.png" in pngs and "profile.png" in pngs
    figs = files["dir"] / "net_figs"
    for alt, data in imgs:          # the same figures, rebuilt from the file alone
        assert data == (figs / alt).read_bytes(), alt
    assert len(s["networks"]) == 2
    for i, n in enumerate(s["networks"]):
        for key in ("size", "robustness", "evolvability", "n_evaluations", "complete"):
            assert _headline(text, f"networks.{i}.{key}") == fmt(n[key]), key
    assert _headline(text, "n_evaluations") == fmt(s["n_evaluations"])
    assert _headline(text, "method") == "bfs"
    assert html.escape(attrs["config_toml"], quote=True) in text
    assert "<th>seed (from the config)</th><td class=\"num\">0</td>" in text


def test_exhaustive_neutral_report_has_the_totals_and_the_network(files):
    text = files["toy_html"].read_text(encoding="utf-8")
    attrs, _ = read_results(files["toy"], "neutral")
    s = json.loads(attrs["summary_json"])
    assert _headline(text, "n_genotypes") == "64"
    for key in ("n_phenotypes", "n_components", "undefined_fraction", "n_evaluations"):
        assert _headline(text, key) == fmt(s[key]), key
    imgs = _images(text)
    pngs = [f for f in s["files"] if f.endswith(".png")]
    assert Counter(a for a, _ in imgs) == Counter(pngs) and "network.png" in pngs
    for alt, data in imgs:
        assert data == (files["dir"] / "toy_figs" / alt).read_bytes(), alt


def _fake_bridge(monkeypatch, tmp_path, *, complete: bool):
    """Stand-ins for alife.bridge.run / alife.bridge.plots (the real ones are
    the lead's); ``complete=False`` lacks the two functions."""
    run_mod, plots_mod = types.ModuleType("alife.bridge.run"), types.ModuleType("alife.bridge.plots")
    if complete:
        def bridge_summary(path):
            return {"config_toml": "title = '<script>alert(1)</script>'", "barrier": 0.125,
                    "models": {"n": 2}, "note": "<b>not bold</b>",
                    "pairs": [{"pair": 0, "line": {"barrier": 0.5}}, {"pair": 1, "line": {"barrier": 2}}]}

        def plot_bridge(path, outdir):
            from alife.nca.phenotype import new_figure
            fig = new_figure((2, 2))
            fig.add_subplot().plot([0, 1], [1, 0])
            p = Path(outdir) / "barrier.png"
            fig.savefig(p)
            return [p]
        run_mod.bridge_summary, plots_mod.plot_bridge = bridge_summary, plot_bridge
    monkeypatch.setitem(sys.modules, "alife.bridge.run", run_mod)
    monkeypatch.setitem(sys.modules, "alife.bridge.plots", plots_mod)
    f = tmp_path / "bridge.h5"
    write_results(f, "bridge", {"config_toml": "x = 1"}, {"a": np.zeros(3)})
    return f


def test_bridge_report_uses_the_bridge_functions_and_escapes_text(monkeypatch, tmp_path):
    f = _fake_bridge(monkeypatch, tmp_path, complete=True)
    text = build_report(f)
    assert [a for a, _ in _images(text)] == ["barrier.png"]
    assert _headline(text, "barrier") == "0.125" and _headline(text, "models.n") == "2"
    assert _headline(text, "pairs.1.line.barrier") == "2"               # lists of dicts: tables
    assert "<script" not in text and "<b>not bold" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_bridge_report_without_the_bridge_functions_is_one_line(monkeypatch, tmp_path, capsys):
    f = _fake_bridge(monkeypatch, tmp_path, complete=False)
    _exit_2(["report", str(f), "-o", str(tmp_path / "r.html")], capsys, "bridge_summary")
    assert not (tmp_path / "r.html").exists()


def _exit_2(argv, capsys, fragment):
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err and "Traceback" not in err, err


def test_bad_inputs_are_one_line_exit_2_and_overwrite_nothing(files, tmp_path, capsys):
    page = tmp_path / "r.html"
    _exit_2(["report", str(tmp_path / "missing.h5"), "-o", str(page)], capsys, "does not exist")
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not an hdf5 file")
    _exit_2(["report", str(junk), "-o", str(page)], capsys, "not an alife run or result file")
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as f:
        f["x"] = np.arange(3)
    _exit_2(["report", str(plain), "-o", str(page)], capsys, "not an alife run or result file")
    other = tmp_path / "other.h5"
    write_results(other, "frobnicate", {}, {})
    _exit_2(["report", str(other), "-o", str(page)], capsys, "frobnicate")
    _exit_2(["report", str(tmp_path), "-o", str(page)], capsys, "is a directory")
    _exit_2(["report", str(files["toy"]), "-o", str(tmp_path)], capsys, "is a directory")
    assert not page.exists()
    # an existing report is kept without --force and replaced with it
    page.write_text("keep me")
    _exit_2(["report", str(files["toy"]), "-o", str(page)], capsys, "--force")
    assert page.read_text() == "keep me"
    assert main(["report", str(files["toy"]), "-o", str(page), "--force"]) == 0
    assert page.read_text().startswith("<!DOCTYPE html>")
    # results are never overwritten, not even with --force
    for victim, fragment in ((files["toy"], "input file"), (files["net"], "HDF5")):
        before = victim.read_bytes()
        _exit_2(["report", str(files["toy"]), "-o", str(victim), "--force"], capsys, fragment)
        assert victim.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


#: Flags for headless Chromium in a container, as root, with no network.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--hide-scrollbars")


@pytest.fixture
def chromium(tmp_path):
    """Run Chromium headless with a fresh profile: ``chromium(*args) -> CompletedProcess``.

    Skipped without a ``chromium`` on PATH, unless ``ALIFE_REQUIRE_BROWSER=1``
    (set by the CI script, which installs it): then a missing browser fails.
    """
    exe = shutil.which("chromium")
    if exe is None:
        if os.environ.get("ALIFE_REQUIRE_BROWSER") == "1":
            pytest.fail("ALIFE_REQUIRE_BROWSER=1 but no chromium on PATH")
        pytest.skip("no chromium on PATH (apt-get install chromium) for the headless check")
    profiles = iter(range(1000))

    def run(*args):
        profile = tmp_path / f"chromium-profile-{next(profiles)}"
        return subprocess.run([exe, *CHROMIUM_FLAGS, "--enable-logging=stderr", "--v=0",
                               f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=90)
    return run


def _browser_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if any(k in line for k in ("CONSOLE", "Uncaught", "ERR_", "Failed to load",
                                       "Not allowed to load", "net::"))]


@pytest.mark.parametrize("kind", ["run", "net", "sweep"])
def test_report_loads_in_headless_chromium_without_errors(files, kind, chromium):
    page = files[kind + "_html"]
    n_img = len(_images(page.read_text(encoding="utf-8")))
    r = chromium("--dump-dom", page.resolve().as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count('<img src="data:image/png;base64,') == n_img > 0
    assert "Headline numbers" in r.stdout
    bad = _browser_errors(r.stderr)
    assert not bad, bad


def _screenshot(chromium, page: Path, png: Path, size=(1280, 1600)) -> np.ndarray:
    """Chromium's screenshot of ``page`` as an (H, W, 3) uint8 array."""
    from PIL import Image

    r = chromium(f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", page.resolve().as_uri())
    assert r.returncode == 0 and png.is_file(), r.stderr[-2000:]
    assert not _browser_errors(r.stderr), _browser_errors(r.stderr)
    with Image.open(png) as im:
        assert im.size == size
        return np.asarray(im.convert("RGB"))


def _ink(pixels: np.ndarray) -> tuple[int, float]:
    """(distinct colours, fraction of pixels that are not near-white)."""
    flat = pixels.reshape(-1, 3)
    return len(np.unique(flat, axis=0)), float(np.mean(flat.min(axis=1) < 240))


def test_report_screenshot_in_chromium_is_not_blank(files, chromium, tmp_path):
    """The run report as rendered: title, headline table and figures on the
    first screen.  A blank page, shot the same way, is the negative control."""
    shot = _screenshot(chromium, files["run_html"], tmp_path / "report.png")
    colours, ink = _ink(shot)
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    control_colours, control_ink = _ink(_screenshot(chromium, blank, tmp_path / "blank.png"))
    assert control_colours == 1 and control_ink == 0.0      # the check can tell blank apart
    assert colours > 100, colours              # anti-aliased text and the figures' colours
    assert 0.03 < ink < 0.6, ink               # text and figures on a white page
    top, middle = _ink(shot[:400])[1], _ink(shot[400:])[1]
    assert top > 0.01 and middle > 0.03, (top, middle)   # the title and table, then figures


def test_sweep_report_embeds_what_plot_sweep_draws(files, tmp_path):
    """The sweep report's figures are plot_sweep's, byte for byte, and its
    headline and tables are the file's."""
    from alife.sweep import read_sweep
    from alife.sweep.plots import plot_sweep

    text = files["sweep_html"].read_text(encoding="utf-8")
    drawn, notes = plot_sweep(files["sweep"], tmp_path / "figs")
    assert notes == []
    assert Counter(_images(text)) == Counter((p.name, p.read_bytes()) for p in drawn)
    sweep = read_sweep(files["sweep"])
    assert _headline(text, "function") == "alife.sweep.toy:toy_cell"
    assert _headline(text, "n_cells") == "9"
    assert _headline(text, "quantiles_table") == "27 rows, 5 columns; drawn against loc"
    for i, row in enumerate(sweep["quantiles"].rows()):
        assert _headline(text, f"quantiles.{i}.value") == fmt(row["value"])
    assert '"n": 50' in html.unescape(text.split('<pre id="config">')[1])


def test_long_sweep_tables_are_shown_in_part_and_say_so(files, monkeypatch):
    import alife.report as report

    monkeypatch.setattr(report, "SWEEP_ROWS", 9)
    text = build_report(files["sweep"])
    assert 'id="h-quantiles.8.value"' in text and 'id="h-quantiles.9.' not in text
    assert "the first 9 rows shown below" in _headline(text, "quantiles_table")   # of 27
    assert "rows shown below" not in _headline(text, "cells_table")       # 9 rows: all of them
    assert 'id="h-cells.8.mean"' in text


def test_reports_leave_out_the_host_unless_asked(files, tmp_path, capsys):
    import socket

    default = files["run_html"].read_text(encoding="utf-8")
    page = tmp_path / "with_host.html"
    assert main(["report", str(files["run"]), "-o", str(page), "--include-host"]) == 0
    with_host = page.read_text(encoding="utf-8")
    host, exe = socket.gethostname(), sys.executable
    folder = str(files["run"].resolve().parent)
    for key, value in (("hostname", host), ("python_executable", exe)):
        cell = f"<th>{key}</th><td>"
        assert f"{cell}{html.escape(value, quote=True)}</td>" in with_host, key
        assert f"{cell}{html.escape(WITHHELD, quote=True)}</td>" in default, key
    assert html.escape(exe, quote=True) not in default
    assert html.escape(folder, quote=True) not in default
    assert html.escape(folder, quote=True) in with_host
    assert f"file <code>{files['run'].name}</code>" in default
    # a hostname the file records (as the bridge's provenance does) is withheld too
    recorded = tmp_path / "bridge_like.h5"
    write_results(recorded, "neutral", {"config_toml": TOY, "summary_json": json.dumps(
        {"method": "exhaustive", "files": []}),
        "provenance": json.dumps({"machine": {"hostname": "lab-pc-42",
                                              "python_executable": "/home/ada/env/bin/python"}})},
        {})
    text = build_report(recorded)
    assert "lab-pc-42" not in text and "/home/ada" not in text
    assert f"<th>provenance.machine.hostname</th><td>{html.escape(WITHHELD)}</td>" in text
    assert "lab-pc-42" in build_report(recorded, include_host=True)


def test_run_without_a_complete_generation_gets_a_report_without_figures(tmp_path):
    f = tmp_path / "empty.h5"
    RunFile.create(f, RUN_CONFIG, 7).close()
    text = build_report(f)
    assert _headline(text, "generations_done") == "0"
    assert _headline(text, "status") == "running"
    assert "<img" not in text and "No complete generation yet" in text
