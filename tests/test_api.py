"""The notebook API: ``alife.evolve.run``, callbacks and loggers, tables of every file.

Invariants protected:

* a run in memory is the run ``alife evolve`` writes, bit for bit, and
  writes nothing to disk; a run with ``out`` is that file exactly;
* a user's fitness replaces the task's loss (the stored losses are what it
  returned, and selection follows it), is recorded in the run file, and a
  run resumes only with a fitness of the same name;
* callbacks are called once per generation, and the CSV log holds the
  numbers of the run file's ``generations`` table (also across a resume);
* ``to_pandas`` / ``to_xarray`` give the stored arrays, for runs and for
  result files;
* bad input is a one-line ValueError that names the fix.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import alife.evolve as ev
from alife.cli import main
from alife.evolve.callbacks import Hooks
from alife.evolve.runner import evolve
from alife.store import (GENERATION_COLUMNS, IN_MEMORY, MUTATION_CLASS_NAMES, RunFile, load)
from configs import TOY_EXHAUSTIVE, afpo_toml

pd = pytest.importorskip("pandas")

ROOT = Path(__file__).resolve().parents[1]
G = 6
CONFIG = afpo_toml(seed=11, generations=G, pop_size=24)
STORED = ("genomes", "loss", "age", "uid", "parent_uid", "phenotype_id", "mutation_class",
          "class_counts")


def _same_run(a: RunFile, b: RunFile) -> None:
    """Every deterministic array, the phenotypes and the header are equal, bit for bit."""
    assert a.generations_done == b.generations_done and a.status == b.status == "done"
    for name in STORED:
        x, y = a.read(name), b.read(name)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name
    assert np.array_equal(a.phenotype_ids(), b.phenotype_ids())
    for pid in a.phenotype_ids():
        assert np.array_equal(a.phenotype(pid), b.phenotype(pid))
    for k in ("config_toml", "seed_entropy", "fitness"):
        assert getattr(a, k) == getattr(b, k), k
    for g in range(a.generations_done):
        assert a.generation_checksum(g) == b.generation_checksum(g)


def _on_fraction_90(phenotypes):
    """A loss of our own: distance from 90 % of the cells on (the square
    target of CONFIG has 25 % on)."""
    return np.abs(phenotypes.mean(axis=(1, 2)) - 0.9)


def _on_fractions(run, g=-1) -> np.ndarray:
    """Fraction of cells on in each non-degenerate phenotype of generation g."""
    return np.array([run.phenotype(i).mean() for i in run.read("phenotype_id", g) if i >= 0])


@pytest.fixture(scope="module")
def memory_run():
    run = ev.run(CONFIG)
    yield run
    run.close()


# ------------------------------------------------------------------ runs
def test_in_memory_run_is_the_file_run_bit_for_bit_and_writes_nothing(tmp_path, monkeypatch,
                                                                       memory_run):
    monkeypatch.chdir(tmp_path)
    again = ev.run(CONFIG)
    assert again.path == Path(IN_MEMORY) and list(tmp_path.iterdir()) == []   # no file at all
    _same_run(memory_run, again)
    again.close()

    with ev.run(CONFIG, out=tmp_path / "api.h5") as api_file:
        _same_run(memory_run, api_file)
        assert api_file.mode == "r"
    cfg = tmp_path / "evolve.toml"
    cfg.write_text(CONFIG)
    assert main(["evolve", str(cfg), "--out", str(tmp_path / "cli.h5"), "--no-progress"]) == 0
    with RunFile.open(tmp_path / "cli.h5") as cli_file, RunFile.open(tmp_path / "api.h5") as f:
        _same_run(cli_file, f)
    # the same checkpoint beside both files, no lock left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "api.h5", "api.h5.ckpt.npz", "cli.h5", "cli.h5.ckpt.npz", "evolve.toml"]


def test_a_users_fitness_replaces_the_loss_and_steers_selection(memory_run):
    with ev.run(CONFIG, fitness=_on_fraction_90) as run:
        assert run.fitness == f"{__name__}._on_fraction_90"
        assert run.summary()["fitness"] == run.fitness
        assert run.config_toml.startswith("# fitness: the user-supplied Python function "
                                          f"{run.fitness} replaced the [task] loss")
        # every stored loss is what the fitness says of the stored phenotype
        loss, ids = run.read("loss"), run.read("phenotype_id")
        alive = ids >= 0
        pats = np.stack([run.phenotype(i) for i in ids[alive]])
        assert np.array_equal(loss[alive], _on_fraction_90(pats))
        best_own = run.read("loss", -1).min()
        own_on = np.median(_on_fractions(run))
    # selection followed it: the task's own run (square target, 25 % on)
    # ends far from 90 % on, the fitness's run close to it
    task_best = _on_fraction_90(np.stack([memory_run.phenotype(i) for i in
                                          memory_run.read("phenotype_id", -1) if i >= 0])).min()
    assert best_own < 0.02 < 0.1 < task_best
    assert np.median(_on_fractions(memory_run)) < 0.1 < 0.5 < own_on


def test_a_fitness_runs_here_whatever_the_executor():
    """A lambda cannot be pickled to a worker: it runs in this process, after
    the workers developed the batch, and the run does not change."""
    from alife.parallel import ProcessPool
    own = lambda p: np.abs(p.mean(axis=(1, 2)) - 0.9)   # noqa: E731
    cfg = afpo_toml(seed=11, generations=3, pop_size=24)
    with ProcessPool(workers=2, threads_per_worker=1) as ex:
        pooled = ev.run(cfg, fitness=own, executor=ex)
    here = ev.run(cfg, fitness=own)
    _same_run(pooled, here)
    pooled.close(), here.close()


def test_fitness_runs_resume_only_with_the_same_fitness(tmp_path, capsys):
    cfg = ev.as_config(CONFIG)
    whole = ev.run(cfg, fitness=_on_fraction_90, callbacks=ev.CSVLogger(tmp_path / "whole.csv"))
    out = tmp_path / "run.h5"
    log = ev.CSVLogger(tmp_path / "log.csv")
    evolve(cfg, out, stop_after=3, hooks=Hooks(_on_fraction_90, [log]))
    with RunFile.open(out) as f:
        assert f.generations_done == 3 and f.fitness.endswith("_on_fraction_90")
    size = out.stat().st_size

    cfg_file = tmp_path / "evolve.toml"
    cfg_file.write_text(CONFIG)
    assert main(["evolve", str(cfg_file), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "user-supplied fitness" in err and "alife.evolve.run" in err
    with pytest.raises(ValueError, match=r"cannot resume with the fitness .*<lambda>.* out=") as e:
        ev.run(cfg, fitness=lambda p: p.sum(axis=(1, 2)), out=out)
    assert "\n" not in str(e.value) and "--" not in str(e.value)
    with pytest.raises(ValueError, match="cannot resume from the command line"):
        ev.run(cfg, out=out)
    assert out.stat().st_size == size                       # refused untouched

    with ev.run(cfg, fitness=_on_fraction_90, callbacks=log, out=out) as resumed:
        _same_run(whole, resumed)
        table = resumed.to_pandas()
    # the log of the resumed run is its run file's table (wall-clock speeds
    # included), and that of the uninterrupted run but for those speeds
    logged = pd.read_csv(tmp_path / "log.csv")
    pd.testing.assert_frame_equal(logged, table, check_exact=True, check_dtype=False)
    pd.testing.assert_frame_equal(logged.drop(columns="evals_per_s"),
                                  pd.read_csv(tmp_path / "whole.csv").drop(columns="evals_per_s"),
                                  check_exact=True)
    # a run of the config's own loss refuses a fitness
    plain = tmp_path / "plain.h5"
    evolve(cfg, plain, stop_after=2)
    with pytest.raises(ValueError, match="evolved with its config's task loss"):
        ev.run(cfg, fitness=_on_fraction_90, out=plain)
    whole.close()


def test_callbacks_see_every_generation_once_and_the_csv_is_the_run_file(tmp_path):
    seen = []
    csv_path = tmp_path / "logs" / "log.csv"
    with ev.run(CONFIG, callbacks=[seen.append, ev.CSVLogger(csv_path)],
                out=tmp_path / "run.h5") as run:
        assert [g.generation for g in seen] == list(range(G))
        for g in seen:
            assert np.array_equal(g.loss, run.read("loss", g.generation))
            assert np.array_equal(g.genomes, run.read("genomes", g.generation))
            assert g.best_loss == g.loss.min() and not g.loss.flags.writeable
            best = int(np.argmin(g.loss))
            if g.phenotype_id[best] >= 0:
                assert np.array_equal(g.best_phenotype, run.phenotype(g.phenotype_id[best]))
        table = run.to_pandas()
    logged = pd.read_csv(csv_path)
    assert tuple(logged.columns) == GENERATION_COLUMNS
    pd.testing.assert_frame_equal(logged, table, check_exact=True, check_dtype=False)
    assert pd.DataFrame([g.scalars() for g in seen]).equals(table)


def test_to_pandas_and_to_xarray_give_the_stored_arrays(memory_run):
    run = memory_run
    loss, ids = run.read("loss"), run.read("phenotype_id")
    t = run.to_pandas()
    assert tuple(t.columns) == GENERATION_COLUMNS and len(t) == G
    assert np.array_equal(t["generation"], np.arange(G))
    assert np.array_equal(t["best_loss"], loss.min(axis=1))
    assert np.array_equal(t["worst_loss"], loss.max(axis=1))
    assert np.allclose(t["mean_loss"], [np.mean(row) for row in loss], rtol=1e-15)
    assert list(t["n_phenotypes"]) == [len({i for i in row if i >= 0}) for row in ids]
    assert list(t["n_degenerate"]) == [int((row < 0).sum()) for row in ids]
    assert np.array_equal(t["evals_per_s"], run.read("evals_per_s"))
    counts = run.read("class_counts")
    for j, code in enumerate(sorted(MUTATION_CLASS_NAMES)):
        assert np.array_equal(t[f"offspring_{MUTATION_CLASS_NAMES[code]}"], counts[:, j])

    ind = run.to_pandas("individuals")
    P = run.pop_size
    assert len(ind) == G * P
    assert np.array_equal(ind["generation"], np.repeat(np.arange(G), P))
    for name in ("uid", "parent_uid", "age", "loss", "phenotype_id"):
        assert np.array_equal(ind[name], run.read(name).ravel()), name
    names = [MUTATION_CLASS_NAMES[c] for c in run.read("mutation_class").ravel()]
    assert list(ind["mutation_class"].astype(str)) == names
    with pytest.raises(ValueError, match="generations, individuals"):
        run.to_pandas("genes")

    pytest.importorskip("xarray")
    ds = run.to_xarray()
    for name in STORED[:-1]:
        assert np.array_equal(ds[name].values, run.read(name)), name
    assert np.array_equal(ds["class_counts"].values, counts)
    assert ds["genomes"].dims == ("generation", "individual", "gene")
    assert np.array_equal(ds["best_loss"].values, t["best_loss"])
    assert ds.attrs["config_toml"] == run.config_toml and ds.attrs["fitness"] == ""


def test_result_files_read_as_tables(tmp_path):
    pytest.importorskip("xarray")
    from alife.neutral.config import loads_neutral
    from alife.neutral.run import run_neutral
    out = tmp_path / "net.h5"
    run_neutral(loads_neutral(TOY_EXHAUSTIVE), out)
    with load(out) as net:
        assert {"phenotypes", "genotypes", "components"} <= set(net.tables())
        ph = net.to_pandas("phenotypes")
        for col in ("phenotype", "size", "robustness", "label"):
            value = net.read(f"phenotypes/{col}")
            assert list(ph[col]) == list(value), col
        assert np.array_equal(net.to_pandas("genotypes")["robustness"],
                              net.read("genotypes/robustness"))
        with pytest.raises(ValueError, match="no table 'nope'; its tables: "):
            net.to_pandas("nope")
        assert np.array_equal(net.to_xarray("components")["size"].values,
                              net.read("components/size"))

    with pytest.warns(UserWarning, match="without result checksums"):
        bridge = load(ROOT / "experiments" / "bridge" / "digits.h5")
    with bridge:
        assert bridge.tables()[0] == "pairs"
        pairs = bridge.to_pandas()                         # the summary's records, flattened
        assert list(pairs["pair"]) == [0, 1, 2] and "paths.line.train_loss_barrier" in pairs
        line = bridge.to_pandas("pair*/paths/line")        # three folders stacked
        for p in range(3):
            rows = line[line["pair"] == p]
            assert np.array_equal(rows["train_loss"], bridge.read(f"pair{p}/paths/line/train_loss"))


def test_tensorboard_logger_writes_the_scalars(tmp_path, memory_run):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    logdir = tmp_path / "tb"
    ev.run(CONFIG, callbacks=[ev.TensorBoardLogger(logdir)]).close()
    acc = EventAccumulator(str(logdir))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert tags == set(GENERATION_COLUMNS) - {"generation"}
    best = acc.Scalars("best_loss")
    table = memory_run.to_pandas()
    assert [s.step for s in best] == list(range(G))
    assert np.array_equal(np.float32([s.value for s in best]), np.float32(table["best_loss"]))


def test_missing_optional_packages_name_the_extra(monkeypatch, memory_run):
    for name in [m for m in sys.modules if m.split(".")[0] == "tensorboard"] + ["tensorboard"]:
        monkeypatch.setitem(sys.modules, name, None)       # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'alife-neutral\[tensorboard\]'"):
        ev.TensorBoardLogger("tb")
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(ImportError, match=r"needs xarray.*alife-neutral\[notebook\]"):
        memory_run.to_xarray()
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"need pandas.*alife-neutral\[notebook\]"):
        memory_run.to_pandas()


# ------------------------------------------------------------ config forms
def test_every_form_of_config_gives_the_same_run_config(tmp_path):
    path = tmp_path / "evolve.toml"
    path.write_text(CONFIG)
    cfg = ev.as_config(CONFIG)
    assert ev.as_config(path) == ev.as_config(str(path)) == cfg
    assert ev.as_config(cfg.to_dict()) == cfg and ev.as_config(cfg) is cfg
    smoke = ev.as_config("smoke", seed=5, generations=2)
    assert (smoke.seed, smoke.generations) == (5, 2)
    assert smoke.algorithm == ev.as_config("smoke").algorithm
    with ev.run(CONFIG, generations=2, seed=3) as run:
        assert run.generations_done == 2
        assert ev.as_config(run.config_toml) == ev.as_config(CONFIG, seed=3, generations=2)


# --------------------------------------------------------------- bad input
def _one_line(excinfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg and msg, msg
    return msg


def test_bad_input_is_one_line_naming_the_fix(tmp_path):
    cfg = ev.as_config(CONFIG).to_dict()
    cfg["algorithm"]["pop_szie"] = 10
    out = tmp_path / "run.h5"
    with pytest.raises(ValueError, match=r"unknown key \[algorithm\] pop_szie; did you mean "
                                         r"pop_size") as e:
        ev.run(cfg, out=out)
    _one_line(e)
    with pytest.raises(ValueError, match="no example named 'smok'") as e:
        ev.run("smok")
    _one_line(e)
    with pytest.raises(ValueError, match="seed: .*>= 0") as e:
        ev.run(CONFIG, seed=-1)
    _one_line(e)
    with pytest.raises(ValueError, match="a config must be an EvolveConfig, a dict"):
        ev.run(42)
    with pytest.raises(ValueError, match=r"returned shape \(24, 2\) for 24 phenotypes; "
                                         r"return shape \(24,\)") as e:
        ev.run(CONFIG, fitness=lambda p: np.zeros((len(p), 2)))
    _one_line(e)
    with pytest.raises(ValueError, match=r"returned 1 non-finite loss\(es\) of 24 .*nan for "
                                         r"phenotype 0.*return finite numbers") as e:
        ev.run(CONFIG, fitness=lambda p: np.r_[np.nan, np.zeros(len(p) - 1)])
    _one_line(e)
    with pytest.raises(ValueError, match="returned values of dtype <U1"):
        ev.run(CONFIG, fitness=lambda p: np.array(["a"] * len(p)))
    with pytest.raises(ValueError, match="fitness must be a callable"):
        ev.run(CONFIG, fitness="loss")
    with pytest.raises(ValueError, match="callbacks must be callables"):
        ev.run(CONFIG, callbacks=["log.csv"])
    with pytest.raises(ValueError, match="CSVLogger: .* is a folder"):
        ev.CSVLogger(tmp_path)
    assert not out.exists()                      # nothing was written for bad input
    # a phenotype array the fitness cannot change
    with pytest.raises(ValueError, match="read-only"):
        ev.run(CONFIG, fitness=lambda p: p.fill(0))
