"""One command line: the same flags on every command (--out/-o, --quiet,
--version, choices), overrides recorded in the stored config, and
show / plot / report / verify on every kind of result file."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import h5py
import pytest

import alife
from alife.cli import build_parser, main
from alife.logs import progress_bar

ROOT = Path(__file__).resolve().parents[1]
BRIDGE = ROOT / "experiments/bridge/digits.h5"      # committed result of the digits experiment

#: Commands that write a file or folder (all take --out, -o for short).
WRITERS = {"demo", "evolve", "plot", "bridge", "compare", "neutral", "genonets", "report"}


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _options(p: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {o: a for a in p._actions for o in a.option_strings}


def _one_line_error(capsys, command: str) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"alife {command}: error: "), err
    return err


# --------------------------------------------------------------------------- flags
def test_every_command_takes_quiet_and_every_writer_takes_out_and_o():
    subs = _subparsers()
    assert WRITERS | {"show", "verify"} == set(subs)
    for name, p in subs.items():
        opts = _options(p)
        assert opts["-q"] is opts["--quiet"] and opts["--quiet"].dest == "quiet", name
        if name in WRITERS:
            assert opts["--out"] is opts["-o"] and opts["--out"].dest == "out", name
            assert opts["--out"].option_strings[0] == "--out", name     # --out is primary
    # the older spellings still work, as aliases of the same option
    assert _options(subs["report"])["--output"] is _options(subs["report"])["--out"]
    for name in ("evolve", "bridge"):
        assert _options(subs[name])["--no-progress"].dest == "quiet"


def test_seed_and_generations_overrides_exist_where_configs_have_them():
    subs = _subparsers()
    for name in ("evolve", "neutral", "bridge"):
        assert "--seed" in _options(subs[name]), name
    assert "--generations" in _options(subs["evolve"])


#: Flags (beyond --quiet, and --out/-o on writers) each command's --help must show.
HELP_FLAGS = {"evolve": ("--seed", "--generations", "--force", "--no-progress", "--executor",
                         "--max-memory"),
              "neutral": ("--seed", "--format {png,pdf,svg}", "--figs", "--force", "--executor",
                          "--max-memory"),
              "bridge": ("--seed", "--force", "--no-progress", "--max-memory"),
              "plot": ("--format {png,pdf,svg}", "--force"),
              "report": ("--force", "--include-host", "--output"),
              "demo": ("--seed", "--preset"), "genonets": ("--alphabet", "--tau", "--force"),
              "compare": ("--force",), "show": (), "verify": ()}


@pytest.mark.parametrize("command", sorted(WRITERS | {"show", "verify"}))
def test_help_of_every_command(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: alife {command}") and "--quiet" in out
    if command in WRITERS:
        assert "--out" in out and "-o" in out
    flat = " ".join(out.split())
    for flag in HELP_FLAGS[command]:
        assert flag in flat, (command, flag)
    if command in ("show", "plot", "report", "verify"):     # every result kind
        assert all(k in flat for k in ("run file", "NET.h5", "BRIDGE.h5", "sweep")), command


def test_top_level_help_names_version_and_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--version" in out
    assert all(c in out for c in WRITERS | {"show", "verify"})


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"alife {alife.__version__}"


def test_python_m_alife_is_the_command():
    import subprocess
    r = subprocess.run([sys.executable, "-m", "alife", "--version"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == f"alife {alife.__version__}", r.stderr


def test_fixed_values_are_choices():
    subs = _subparsers()
    assert list(_options(subs["evolve"])["--executor"].choices) == ["threads", "processes", "dask"]
    assert list(_options(subs["neutral"])["--executor"].choices) == ["threads", "processes", "dask"]
    assert set(_options(subs["genonets"])["--alphabet"].choices) == {"RNA", "DNA", "Protein",
                                                                      "Binary"}
    from alife.nca import HNCASpec
    assert tuple(_options(subs["demo"])["--preset"].choices) == HNCASpec.presets()


@pytest.mark.parametrize("argv, command, named", [
    (["demo", "--preset", "gecco"], "demo", "bielawski"),
    (["evolve", "smoke", "--out", "{tmp}/r.h5", "--executor", "gpu"], "evolve", "processes"),
    (["neutral", "smoke", "--out", "{tmp}/n.h5", "--executor", "mpi"], "neutral", "dask"),
    (["genonets", "in.tsv", "--alphabet", "rna", "--tau", "0", "--out", "{tmp}/g"], "genonets",
     "RNA"),
    (["evolve", "smoke", "--out", "{tmp}/r.h5", "--generations", "0"], "evolve", ">= 1"),
    (["evolve", "smoke", "--out", "{tmp}/r.h5", "--seed", "-3"], "evolve", ">= 0"),
    (["report", "x.h5"], "report", "--out"),
    (["plot"], "plot", "file"),
    (["nonsense"], "", "invalid choice"),
])
def test_bad_values_are_one_line_and_exit_2(argv, command, named, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    if command:
        err = _one_line_error(capsys, command)
    else:
        err = capsys.readouterr().err.strip()
        assert err.startswith("alife: error: ") and "\n" not in err
    assert named in err
    assert list(tmp_path.iterdir()) == []


def test_progress_bars_stay_silent_off_a_terminal(capsys):
    bar = progress_bar(5, "steps")               # stderr is captured: not a terminal
    assert bar.disable
    bar.update(5)
    bar.close()
    assert capsys.readouterr().err == ""
    shown = progress_bar(5, "steps", enabled=True)
    shown.update(5)
    shown.close()
    err = capsys.readouterr().err
    assert "steps" in err and "5/5" in err


# --------------------------------------------------------------------------- result files
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A run file and a NET.h5 made with overrides and --quiet, the committed
    BRIDGE.h5, and a small sweep (9 cells of the toy cell function, 2 tables)."""
    from alife.sweep import grid, run_sweep
    from alife.sweep.toy import toy_cell

    d = tmp_path_factory.mktemp("kinds")
    run, net, sweep = d / "run.h5", d / "net.h5", d / "sweep.h5"
    assert main(["evolve", "smoke", "--out", str(run), "--seed", "4", "--generations", "2",
                 "-q"]) == 0
    assert main(["neutral", "smoke", "-o", str(net), "--seed", "1", "--quiet"]) == 0
    run_sweep(toy_cell, grid({"loc": [0.0, 1.0, 2.0], "rep": range(3)}), sweep,
              settings={"n": 50}, progress=False)
    return {"run": run, "neutral": net, "bridge": BRIDGE, "sweep": sweep}


def _config_text(path: Path) -> str:
    with h5py.File(path, "r") as f:
        return f.attrs["config_toml"]


def test_quiet_prints_nothing_and_overrides_are_in_the_stored_config(files, capsys):
    capsys.readouterr()
    run_text = _config_text(files["run"])
    assert run_text.startswith("seed = 4\ngenerations = 2\n")
    assert _config_text(files["neutral"]).startswith("seed = 1\n")
    # the same overrides are the same config (a finished run), other ones another config
    assert main(["evolve", "smoke", "--out", str(files["run"]), "--seed", "4",
                 "--generations", "2"]) == 2
    assert "is a finished run" in _one_line_error(capsys, "evolve")
    for other in (["--seed", "5", "--generations", "2"], ["--seed", "4"], []):
        assert main(["evolve", "smoke", "--out", str(files["run"]), *other]) == 2
        assert "different config" in _one_line_error(capsys, "evolve")
    assert _config_text(files["run"]) == run_text


def test_info_messages_go_to_stdout_unless_quiet(tmp_path, capsys):
    out = tmp_path / "r.h5"
    assert main(["evolve", "smoke", "--out", str(out), "--generations", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{out}: 1 generations, best loss") and captured.err == ""


@pytest.mark.parametrize("kind, heading", [("run", "run file:"),
                                           ("neutral", "neutral result file:"),
                                           ("bridge", "bridge result file:"),
                                           ("sweep", "sweep result file:")])
def test_show_summarises_every_kind(files, kind, heading, capsys):
    capsys.readouterr()
    assert main(["show", str(files[kind])]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith(heading) and lines[1].startswith("provenance:   alife ")
    if kind == "sweep":       # no config file: the cell function, its settings and the tables
        assert "(9 cells of alife.sweep.toy:toy_cell, root seed 0)" in lines[0]
        assert "tables:       cells (7 columns), quantiles (5 columns)" in lines
        assert lines[-2:] == ["settings:", "  n = 50"]
        return
    assert "config:" in lines and f"  {_config_text(files[kind]).splitlines()[0]}" in lines
    if kind == "run":
        assert "generations:  2  population 100  genes 51" in lines
    elif kind == "neutral":
        assert "networks:     2" in out and "network 1 (random)" in out
    else:
        assert "(3 pairs" in lines[0] and "train-NLL barrier, line:" in out


@pytest.mark.parametrize("kind", ["run", "neutral", "bridge", "sweep"])
def test_verify_every_kind(files, kind, capsys):
    capsys.readouterr()
    assert main(["verify", str(files[kind]), "-q"]) == 0
    assert capsys.readouterr().out.startswith(f"{files[kind]}: ok (")


@pytest.mark.parametrize("kind, figure", [("run", "loss.png"), ("neutral", "profile.png"),
                                          ("bridge", "paths.png"), ("sweep", "sweep_cells.png")])
def test_plot_and_report_every_kind(files, kind, figure, tmp_path, capsys):
    if kind == "bridge":
        pytest.importorskip("torch")
    figs = tmp_path / "figs"
    assert main(["plot", str(files[kind]), "--out", str(figs)]) == 0
    assert (figs / figure).stat().st_size > 0
    written = capsys.readouterr().out
    assert f"wrote {figs / figure}" in written
    # a second plot without --force refuses, before drawing anything
    before = (figs / figure).stat().st_mtime_ns
    assert main(["plot", str(files[kind]), "-o", str(figs)]) == 2
    assert "--force" in _one_line_error(capsys, "plot")
    assert (figs / figure).stat().st_mtime_ns == before
    assert main(["plot", str(files[kind]), "-o", str(figs), "--force", "-q"]) == 0
    assert capsys.readouterr().out == ""
    for flag in ("--out", "-o", "--output"):
        html = tmp_path / f"report{flag.strip('-')}.html"
        assert main(["report", str(files[kind]), flag, str(html), "-q"]) == 0
        assert html.read_text().count('<img src="data:image/png;base64,') >= 1
    assert capsys.readouterr().out == ""


def test_plot_and_report_of_a_sweep_draw_every_table(files, tmp_path, capsys):
    """Every table of a sweep becomes a figure in each format, and its report
    holds those figures, the tables' values and no host details."""
    from alife.sweep import read_sweep

    sweep = read_sweep(files["sweep"])
    for fmt in ("svg", "pdf"):
        figs = tmp_path / fmt
        assert main(["plot", str(files["sweep"]), "--out", str(figs), "--format", fmt, "-q"]) == 0
        assert sorted(p.name for p in figs.iterdir()) == [f"sweep_{t}.{fmt}" for t in
                                                          sorted(sweep.tables)]
    html = tmp_path / "sweep.html"
    assert main(["report", str(files["sweep"]), "-o", str(html), "-q"]) == 0
    text = html.read_text()
    assert text.count('<img src="data:image/png;base64,') == len(sweep.tables) == 2
    assert 'id="h-n_cells" class="num">9<' in text
    row = sweep.cells.rows()[4]
    assert f'id="h-cells.4.mean" class="num">{format(row["mean"], ".6g")}<' in text
    assert 'id="h-quantiles.26.q"' in text and "h-quantiles.27." not in text    # 27 rows
    assert "<th>hostname</th><td>left out (alife report --include-host shows it)</td>" in text
    assert sys.executable not in text and str(tmp_path) not in text


def test_plot_refuses_a_file_with_no_figures(tmp_path, capsys):
    import numpy as np

    from alife.store import write_results
    f = tmp_path / "other.h5"
    write_results(f, "checkpoint", {"config_toml": "x = 1"}, {"a": np.zeros(3)})
    assert main(["plot", str(f), "--out", str(tmp_path / "figs")]) == 2
    assert "no figures" in _one_line_error(capsys, "plot")
    assert not (tmp_path / "figs").exists()
    assert main(["show", str(f)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"checkpoint result file: {f}") and "datasets:     1" in out


def test_neutral_progress_bar_counts_the_work_and_changes_nothing(tmp_path, capsys):
    """alife neutral's bar: genotypes evaluated (exhaustive) with a rate and the
    time left when asked for; silent off a terminal by default; the same results."""
    import numpy as np

    from alife.neutral.config import loads_neutral
    from alife.neutral.run import run_neutral
    from alife.store import read_results
    from configs import TOY_EXHAUSTIVE

    config = loads_neutral(TOY_EXHAUSTIVE)
    n = int(config.gpmap().space.size)
    capsys.readouterr()
    shown = run_neutral(config, tmp_path / "a.h5", figs=tmp_path / "fa", progress=True)
    err = capsys.readouterr().err
    assert "genotypes" in err and f"{n}/{n}" in err and "genotype/s" in err
    quiet = run_neutral(config, tmp_path / "b.h5", figs=tmp_path / "fb")   # stderr: no terminal
    assert capsys.readouterr().err == ""
    assert json.dumps(shown, sort_keys=True) == json.dumps(quiet, sort_keys=True)  # NaN too
    (_, a), (_, b) = (read_results(tmp_path / f, "neutral") for f in ("a.h5", "b.h5"))
    assert a.keys() == b.keys()
    for k in a:
        assert (a[k] == b[k]) if isinstance(a[k], list) else np.array_equal(a[k], b[k]), k
