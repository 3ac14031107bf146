"""Run file and checkpoint (alife.store): layout, round trips, validation,
crash consistency and resume.

The invariants protected here:

* every dataset reads back bit for bit, with the documented dtype, shape and
  one-generation chunks; phenotypes are stored once per id;
* ``last_complete_generation`` never runs ahead of the rows on disk, and a
  generation written but never marked complete is discarded by
  ``truncate_to_last_complete``, after which a resumed run writes exactly the
  datasets an uninterrupted run writes;
* anything that is not a usable run file or checkpoint raises
  ``RunFileError`` with one line naming the file;
* checkpoints are replaced atomically: a failure while writing leaves the
  previous checkpoint intact;
* a process SIGKILLed at a random moment while appending leaves a file that
  reopens, with consistent datasets after truncation.

h5py is imported here only to build foreign or damaged files and to inspect
the on-disk layout; the package itself touches HDF5 only in alife.store.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from alife.evolve import make_algorithm, to_arrays, from_arrays
from alife.store import (
    DATASETS,
    MUTATION_BENEFICIAL,
    MUTATION_CLASS_NAMES,
    MUTATION_CRYPTIC,
    MUTATION_DELETERIOUS,
    MUTATION_NONE,
    MUTATION_SILENT,
    SCHEMA_VERSION,
    RunFile,
    RunFileError,
    checkpoint_path,
    read_checkpoint,
    write_checkpoint,
)

REPO = Path(__file__).resolve().parents[1]
CONFIG = '[run]\nalgorithm = "afpo"\npop_size = 6\n'
P, D, N = 6, 5, 8


def pattern_of(pid: int, n: int = N) -> np.ndarray:
    """A fixed pattern for each id (so any stored phenotype can be checked)."""
    return np.random.default_rng(pid).random((n, n)) > 0.5


def generation_rows(g: int, P: int = P, D: int = D) -> dict:
    """Deterministic rows of generation g (so any stored row can be checked)."""
    r = np.random.default_rng(1000 + g)
    ids = ((np.arange(P) + 2 * g) % 9).astype(np.int64)  # ids recur across generations
    ids[0] = -1  # one degenerate individual
    return dict(
        genomes=r.uniform(-1, 1, (P, D)).astype(np.float32),
        loss=r.random(P) * 10,
        age=np.arange(P, dtype=np.int64) + g,
        uid=np.arange(P, dtype=np.int64) + g * P,
        parent_uid=np.where(np.arange(P) % 2 == 0, -1, np.arange(P) + (g - 1) * P).astype(np.int64)
        if g else np.full(P, -1, np.int64),
        phenotype_id=ids,
        mutation_class=(np.arange(P) % len(MUTATION_CLASS_NAMES) - 1).astype(np.int8),
        evals_per_s=100.0 + g,
    )


def write_generation(rf: RunFile, g: int) -> dict:
    rows = generation_rows(g, rf.pop_size or P, rf.genome_size or D)
    ids = rows["phenotype_id"]
    rf.add_phenotypes(ids, np.array([pattern_of(max(int(i), 0)) for i in ids]))
    rf.append_generation(g, **rows)
    return rows


def make_run(path, n_gen: int) -> list[dict]:
    with RunFile.create(path, CONFIG, seed_entropy=2**70 + 3) as rf:
        return [write_generation(rf, g) for g in range(n_gen)]


def raw_lengths(path) -> dict[str, int]:
    with h5py.File(path, "r") as f:
        return {name: f[name].shape[0] for name in DATASETS if name in f}


def phenotype_table(path) -> dict:
    """{id: (packed bytes, shape, generation)} of every stored phenotype,
    read from the raw datasets (not through RunFile)."""
    with h5py.File(path, "r") as f:
        g = f["phenotypes"]
        ids, shapes, starts, gens = (g[k][:] for k in ("id", "shape", "start", "generation"))
        bits = g["bits"][:]
        assert len(set(ids.tolist())) == len(ids)  # content-addressed: each id once
        return {int(i): (bits[s:s + (h * w + 7) // 8].tobytes(), (int(h), int(w)), int(gen))
                for i, (h, w), s, gen in zip(ids, shapes, starts, gens)}


# --------------------------------------------------------------------------- #
# layout and round trip
# --------------------------------------------------------------------------- #
def test_mutation_codes_match_the_design():
    assert (MUTATION_NONE, MUTATION_BENEFICIAL, MUTATION_SILENT, MUTATION_CRYPTIC,
            MUTATION_DELETERIOUS) == (-1, 0, 1, 2, 3)
    assert MUTATION_CLASS_NAMES[-1] == "none" and MUTATION_CLASS_NAMES[3] == "deleterious"


def test_create_append_reopen_round_trip(tmp_path):
    path = tmp_path / "RUN.h5"
    written = make_run(path, 3)
    with RunFile.open(path) as rf:
        assert rf.mode == "r"
        assert rf.config_toml == CONFIG
        assert rf.seed_entropy == 2**70 + 3
        assert rf.status == "running"
        assert rf.schema_version == SCHEMA_VERSION
        assert rf.last_complete_generation == 2 and rf.generations_done == 3
        assert (rf.pop_size, rf.genome_size) == (P, D)
        for name, (dtype, _) in DATASETS.items():
            whole = rf.read(name)
            assert whole.dtype == dtype
            expected = np.stack([np.asarray(w[name], dtype) for w in written])
            np.testing.assert_array_equal(whole, expected, err_msg=name)
            for g in range(3):
                np.testing.assert_array_equal(rf.read(name, g), expected[g])
            np.testing.assert_array_equal(rf.read(name, -1), expected[-1])
        s = rf.summary()
        assert s["config_toml"] == CONFIG and s["generations_done"] == 3
        np.testing.assert_array_equal(s["best_loss"], [w["loss"].min() for w in written])
        assert s["mean_evals_per_s"] == pytest.approx(101.0)
        with pytest.raises(RunFileError, match="not complete"):
            rf.read("loss", 3)
        with pytest.raises(RunFileError, match="unknown dataset"):
            rf.read("fitness")


def test_on_disk_layout(tmp_path):
    path = tmp_path / "RUN.h5"
    make_run(path, 2)
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert int(a["schema_version"]) == 2
        assert isinstance(a["alife_version"], str)
        assert a["config_toml"] == CONFIG
        assert a["seed_entropy"] == str(2**70 + 3)
        assert a["status"] == "running"
        assert int(a["last_complete_generation"]) == 1
        shapes = {"genomes": (2, P, D)}
        for name, (dtype, _) in DATASETS.items():
            ds = f[name]
            assert ds.dtype == dtype
            assert ds.shape == shapes.get(name, (2, P))
            assert ds.chunks == (1,) + ds.shape[1:]  # one generation per chunk
            assert ds.maxshape == (None,) + ds.shape[1:]
        codes = json.loads(f["mutation_class"].attrs["codes"])
        assert codes == {str(k): v for k, v in MUTATION_CLASS_NAMES.items()}
        # per-generation series are datasets (attributes are capped at 64 KiB)
        assert f["class_counts"].shape == (2, 6) and f["class_counts"].dtype == np.int64
        assert f["timing/evals_per_s"].shape == (2,)
        np.testing.assert_array_equal(f["timing/evals_per_s"][:], [100.0, 101.0])
        assert "evals_per_s" not in a and "class_counts" not in a
        ph = f["phenotypes"]
        n = ph["id"].shape[0]
        assert n > 0 and ph["shape"].shape == (n, 2) and (ph["shape"][:] == (N, N)).all()
        np.testing.assert_array_equal(ph["start"][:], np.arange(n) * ((N * N + 7) // 8))
        assert ph["bits"].shape == (n * ((N * N + 7) // 8),) and ph["bits"].dtype == np.uint8
        assert (np.diff(ph["generation"][:]) >= 0).all()


def test_long_runs_fit(tmp_path):
    """1500 generations: past the 64 KiB cap that per-generation attributes
    hit at 1366 generations of class counts."""
    path = tmp_path / "RUN.h5"
    g1 = np.zeros((1, 4), np.float32)
    with RunFile.create(path, CONFIG, 1, fsync=False) as rf:
        for g in range(1500):
            rf.append_generation(g, genomes=g1, loss=np.zeros(1), age=np.zeros(1, np.int64),
                                 uid=np.array([g]), parent_uid=np.array([-1]),
                                 phenotype_id=np.array([-1]), mutation_class=np.array([-1], np.int8),
                                 evals_per_s=float(g), class_counts=np.array([1, 0, 0, 0, 0, g]))
    with RunFile.open(path) as rf:
        assert rf.class_counts().shape == (1500, 6) and rf.class_counts()[-1, 5] == 1499
        assert rf.read("evals_per_s")[-1] == 1499.0


def test_empty_run_reads(tmp_path):
    path = tmp_path / "RUN.h5"
    RunFile.create(path, CONFIG, 7).close()
    with RunFile.open(path) as rf:
        assert rf.last_complete_generation == -1 and rf.generations_done == 0
        assert rf.pop_size is None and rf.read("loss").shape == (0,)
        s = rf.summary()
        assert s["best_loss"].shape == (0,) and np.isnan(s["mean_evals_per_s"])


def test_phenotypes_stored_once_and_read_back(tmp_path):
    path = tmp_path / "RUN.h5"
    pats = np.array([pattern_of(i) for i in range(4)])
    with RunFile.create(path, CONFIG, 1) as rf:
        assert rf.add_phenotypes(np.array([0, 1, 1, -1]), pats) == 2  # repeat and -1 skipped
        np.testing.assert_array_equal(rf.phenotype(1), pats[1])  # looked up between appends
        assert rf.add_phenotypes(np.array([1, 2, 0]), pats[[1, 2, 0]]) == 1
        # content-addressed: a second pattern under a known id is not written
        assert rf.add_phenotypes(np.array([2]), ~pats[2:3]) == 0
        odd = np.zeros((1, 3, 5), bool)
        odd[0, 1, 2:] = True  # 15 cells: packed bits with padding, not square
        assert rf.add_phenotypes(np.array([77]), odd.astype(np.int64)) == 1
        np.testing.assert_array_equal(rf.phenotype_ids(), [0, 1, 2, 77])
        for i in range(3):
            got = rf.phenotype(i)
            assert got.dtype == bool and got.shape == (N, N)
            np.testing.assert_array_equal(got, pats[i])
        np.testing.assert_array_equal(rf.phenotype(77), odd[0])
        with pytest.raises(KeyError):
            rf.phenotype(3)
        with pytest.raises(RunFileError, match="patterns must have shape"):
            rf.add_phenotypes(np.array([5, 6]), pats[:1])
        with pytest.raises(RunFileError, match="bool"):
            rf.add_phenotypes(np.array([5]), pats[:1] * 2.0)
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["phenotypes/id"][:], [0, 1, 2, 77])  # order first seen


# --------------------------------------------------------------------------- #
# append validation
# --------------------------------------------------------------------------- #
def test_append_wrong_generation_number(tmp_path):
    path = tmp_path / "RUN.h5"
    with RunFile.create(path, CONFIG, 1) as rf:
        with pytest.raises(RunFileError, match="expected generation 0"):
            rf.append_generation(1, **generation_rows(1))
        rf.append_generation(0, **generation_rows(0))
        for g in (0, 2, -1, True, 1.0):
            with pytest.raises(RunFileError, match="expected generation 1"):
                rf.append_generation(g, **generation_rows(1))
        assert rf.last_complete_generation == 0


@pytest.mark.parametrize("name, value, match", [
    ("genomes", np.zeros((P, D + 1), np.float32), "shape"),
    ("genomes", np.zeros((P + 1, D), np.float32), "shape"),
    ("genomes", np.zeros((P, D), np.float64), "dtype"),
    ("genomes", np.full((P, D), np.nan, np.float32), "non-finite"),
    ("loss", np.zeros(P - 1), "shape"),
    ("loss", np.zeros((P, 1)), "shape"),
    ("loss", np.full(P, np.nan), "NaN"),
    ("loss", [0.0] * P, "numpy array"),
    ("age", np.zeros(P, np.float64), "dtype"),
    ("age", np.full(P, -1, np.int64), "age"),
    ("uid", np.zeros(P, np.float64), "dtype"),
    ("uid", np.full(P, 2**63, np.uint64), "fit"),
    ("parent_uid", np.full(P, -2, np.int64), "parent_uid"),
    ("phenotype_id", np.full(P, -5, np.int64), "phenotype_id"),
    ("mutation_class", np.full(P, 7, np.int8), "mutation_class"),
    ("mutation_class", np.full(P, 300, np.int64), "fit"),
    ("evals_per_s", np.ones(2), "real number"),
    ("evals_per_s", "fast", "real number"),
])
def test_append_wrong_shape_or_dtype(tmp_path, name, value, match):
    path = tmp_path / "RUN.h5"
    with RunFile.create(path, CONFIG, 1) as rf:
        rf.append_generation(0, **generation_rows(0))
        rows = generation_rows(1)
        rows[name] = value
        with pytest.raises(RunFileError, match=match) as info:
            rf.append_generation(1, **rows)
        assert str(path) in str(info.value)
        assert rf.last_complete_generation == 0  # nothing written
    assert set(raw_lengths(path).values()) == {1}


def test_append_accepts_exact_integer_casts(tmp_path):
    rows = generation_rows(0)
    rows["mutation_class"] = rows["mutation_class"].astype(np.int64)
    rows["age"] = rows["age"].astype(np.int32)
    rows["loss"] = rows["loss"].astype(np.float32)
    rows["evals_per_s"] = np.float32(12.5)
    with RunFile.create(tmp_path / "RUN.h5", CONFIG, 1) as rf:
        rf.append_generation(0, **rows)
        assert rf.read("mutation_class").dtype == np.int8
        np.testing.assert_array_equal(rf.read("loss", 0), rows["loss"].astype(np.float64))


# --------------------------------------------------------------------------- #
# create / open
# --------------------------------------------------------------------------- #
def test_create_refuses_existing_file(tmp_path):
    path = tmp_path / "RUN.h5"
    make_run(path, 2)
    before = path.read_bytes()
    write_checkpoint(path, 1, {"x": np.arange(3)}, {"a": 1})
    with pytest.raises(RunFileError, match="already exists") as info:
        RunFile.create(path, "other", 2)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before
    with RunFile.create(path, "other", 2, force=True) as rf:
        assert rf.config_toml == "other" and rf.generations_done == 0
    assert not checkpoint_path(path).exists()  # the old run's checkpoint is stale
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RUN.h5"]  # no temp files


def test_create_leaves_nothing_when_it_fails(tmp_path, monkeypatch):
    path = tmp_path / "RUN.h5"

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        RunFile.create(path, CONFIG, 1)
    assert list(tmp_path.iterdir()) == []


def _truncated(path):
    make_run(path, 4)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _random_bytes(path):
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())


def _empty(path):
    path.write_bytes(b"")


def _text(path):
    path.write_text(CONFIG)


def _hdf5_without_attrs(path):
    with h5py.File(path, "w") as f:
        f["loss"] = np.zeros((2, 3))


def _hdf5_some_attrs(path):
    make_run(path, 1)
    with h5py.File(path, "a") as f:
        del f.attrs["config_toml"]


def _future_schema(path):
    make_run(path, 1)
    with h5py.File(path, "a") as f:
        f.attrs["schema_version"] = 3


def _short_dataset(path):
    make_run(path, 2)
    with h5py.File(path, "a") as f:
        f["loss"].resize(1, axis=0)


def _missing(path):
    pass


@pytest.mark.parametrize("damage, match", [
    (_truncated, "not a readable alife run file .truncated or corrupt."),
    (_random_bytes, "not a readable alife run file"),
    (_empty, "not a readable alife run file"),
    (_text, "not a readable alife run file"),
    (_hdf5_without_attrs, "not an alife run file: missing root attribute"),
    (_hdf5_some_attrs, "missing root attribute.* config_toml"),
    (_future_schema, "schema_version 3"),
    (_short_dataset, "loss holds only 1 generation"),
    (_missing, "does not exist"),
])
@pytest.mark.parametrize("mode", ["r", "a"])
def test_open_rejects_unusable_files(tmp_path, damage, match, mode):
    path = tmp_path / "RUN.h5"
    damage(path)
    with pytest.raises(RunFileError, match=match) as info:
        RunFile.open(path, mode)
    msg = str(info.value)
    assert str(path) in msg and "\n" not in msg
    assert isinstance(info.value, ValueError)
    if damage is _empty:
        assert path.read_bytes() == b""  # left as it was, not turned into HDF5


def test_read_only_mode_refuses_writes(tmp_path):
    path = tmp_path / "RUN.h5"
    make_run(path, 1)
    with RunFile.open(path, "r") as rf:
        for call in (lambda: rf.append_generation(1, **generation_rows(1)), rf.mark_done,
                     rf.truncate_to_last_complete,
                     lambda: rf.add_phenotypes(np.array([1]), pattern_of(1)[None])):
            with pytest.raises(RunFileError, match="read-only"):
                call()
    rf.close()  # idempotent
    with pytest.raises(RunFileError, match="closed"):
        rf.status


def test_mark_done(tmp_path):
    path = tmp_path / "RUN.h5"
    make_run(path, 2)
    with RunFile.open(path, "a") as rf:
        rf.mark_done()
        with pytest.raises(RunFileError, match="marked 'done'"):
            rf.append_generation(2, **generation_rows(2))
    with RunFile.open(path) as rf:
        assert rf.status == "done" and rf.summary()["status"] == "done"
    with RunFile.open(path, "a") as rf:
        rf.mark_running()
        write_generation(rf, 2)
        assert rf.generations_done == 3


# --------------------------------------------------------------------------- #
# incomplete generations and resume
# --------------------------------------------------------------------------- #
def write_unmarked(rf: RunFile, g: int, monkeypatch) -> None:
    """Write generation g's rows and phenotypes but die before marking it complete."""
    with monkeypatch.context() as m:
        m.setattr(RunFile, "_set_last_complete", lambda self, g: None)
        write_generation(rf, g)


def test_truncate_to_last_complete(tmp_path, monkeypatch):
    path = tmp_path / "RUN.h5"
    make_run(path, 3)
    complete_phenos = phenotype_table(path)
    with RunFile.open(path, "a") as rf:
        rows = generation_rows(3)
        rows["phenotype_id"][1] = 500  # a phenotype first seen in the dead generation
        rf.add_phenotypes(rows["phenotype_id"][1:2], pattern_of(500)[None])
        with monkeypatch.context() as m:
            m.setattr(RunFile, "_set_last_complete", lambda self, g: None)
            rf.append_generation(3, **rows)
    assert set(raw_lengths(path).values()) == {4}
    with RunFile.open(path, "a") as rf:
        assert rf.last_complete_generation == 2
        assert rf.read("loss").shape == (3, P)  # readers see complete generations only
        with pytest.raises(RunFileError, match="truncate_to_last_complete"):
            rf.append_generation(3, **generation_rows(3))
        rf.truncate_to_last_complete()
        assert rf.last_complete_generation == 2
    assert set(raw_lengths(path).values()) == {3}
    assert phenotype_table(path) == complete_phenos  # id 500 gone
    with RunFile.open(path, "a") as rf:
        write_generation(rf, 3)
        assert rf.generations_done == 4
        np.testing.assert_array_equal(rf.read("uid", 3), generation_rows(3)["uid"])


def test_is_finished_only_for_a_done_run_of_the_same_config(tmp_path):
    path = tmp_path / "RUN.h5"
    assert not RunFile.is_finished(path, CONFIG)                # missing
    make_run(path, 2)
    assert not RunFile.is_finished(path, CONFIG)                # still running
    with RunFile.open(path, "a") as rf:
        rf.mark_done()
    assert RunFile.is_finished(path, CONFIG)
    assert not RunFile.is_finished(path, CONFIG + "\n# other")  # another config
    path.write_bytes(path.read_bytes()[:100])                   # damaged
    assert not RunFile.is_finished(path, CONFIG)


def test_writer_state_kept_in_memory_is_the_files(tmp_path):
    """An open writer keeps status, generation count and its last
    generation's CRC in memory: they stay the file's through truncation,
    mark_done and mark_running, and the CRC is the one verify recomputes."""
    path = tmp_path / "RUN.h5"
    make_run(path, 3)

    def same(rf):
        a = rf._f.attrs
        assert (rf.status, rf.last_complete_generation) == (a["status"], int(a["last_complete_generation"]))
    with RunFile.open(path, "a") as rf:
        crc2 = rf.generation_checksum(2)
        rf.truncate_to(1)
        same(rf)
        with pytest.raises(RunFileError, match="not complete"):
            rf.generation_checksum(2)
        write_generation(rf, 2)
        same(rf)
        assert rf.generation_checksum(2) == crc2
        rf.mark_done()
        same(rf)
        assert rf.status == "done"
        rf.mark_running()
        same(rf)
        rf.mark_done()
    with RunFile.open(path, verify=True) as rf:
        assert (rf.status, rf.generations_done, rf.generation_checksum(2)) == ("done", 3, crc2)


def test_truncate_to_checkpoint_generation(tmp_path):
    path = tmp_path / "RUN.h5"
    make_run(path, 4)
    with RunFile.open(path, "a") as rf:
        for bad in (4, -2, 1.0):
            with pytest.raises(RunFileError, match="truncate"):
                rf.truncate_to(bad)
        rf.truncate_to(1)
        assert rf.last_complete_generation == 1
        assert all(p[2] <= 1 for p in phenotype_table(path).values())
        write_generation(rf, 2)
        old = int(rf.phenotype_ids()[0])
        np.testing.assert_array_equal(rf.phenotype(old), pattern_of(old))  # rows indexed
        rf.truncate_to(-1)
        assert rf.generations_done == 0 and rf.phenotype_ids().size == 0
        new = old + 1000                               # another pattern in the old row
        rf.add_phenotypes(np.array([new]), pattern_of(new)[None])
        with pytest.raises(KeyError):                  # gone with its generation
            rf.phenotype(old)
        np.testing.assert_array_equal(rf.phenotype(new), pattern_of(new))
        rf.truncate_to(-1)
        write_generation(rf, 0)
    assert set(raw_lengths(path).values()) == {1}


def test_unfinished_first_generation_is_discarded(tmp_path, monkeypatch):
    path = tmp_path / "RUN.h5"
    with RunFile.create(path, CONFIG, 1) as rf:
        with monkeypatch.context() as m:
            m.setattr(RunFile, "_set_last_complete", lambda self, g: None)
            rf.append_generation(0, **generation_rows(0, P + 3, D))  # another P, never completed
    with RunFile.open(path, "a") as rf:
        assert rf.generations_done == 0 and rf.pop_size is None
        write_generation(rf, 0)
        assert (rf.pop_size, rf.genome_size) == (P, D)


def test_resumed_run_writes_identical_datasets(tmp_path, monkeypatch):
    straight, resumed = tmp_path / "A.h5", tmp_path / "B.h5"
    make_run(straight, 6)
    make_run(resumed, 4)
    with RunFile.open(resumed, "a") as rf:
        write_unmarked(rf, 4, monkeypatch)
    with RunFile.open(resumed, "a") as rf:
        rf.truncate_to_last_complete()
        write_generation(rf, 4)
        write_generation(rf, 5)
    with h5py.File(straight, "r") as a, h5py.File(resumed, "r") as b:
        for name in DATASETS:
            assert a[name].shape == b[name].shape
            assert a[name][()].tobytes() == b[name][()].tobytes(), name
        assert sorted(a.attrs) == sorted(b.attrs)
        for key in a.attrs:
            assert np.array_equal(np.asarray(a.attrs[key]), np.asarray(b.attrs[key])), key
    assert phenotype_table(straight) == phenotype_table(resumed)


# --------------------------------------------------------------------------- #
# checkpoint
# --------------------------------------------------------------------------- #
def _state_and_rng():
    algo = make_algorithm("afpo", pop_size=8, n_newcomers=1)
    rng = np.random.default_rng(12345)
    first = algo.init(rng, genome_size=D)
    loss = lambda g: (g.astype(np.float64) ** 2).sum(axis=1)  # noqa: E731
    state = algo.tell_init(first.genomes, loss(first.genomes))
    for _ in range(3):
        off = algo.ask(state, rng)
        state = algo.tell(state, off, loss(off.genomes), rng)
    return state, rng


def test_checkpoint_round_trip(tmp_path):
    run = tmp_path / "RUN.h5"
    state, rng = _state_and_rng()
    arrays = to_arrays(state)
    out = write_checkpoint(run, state.generation, arrays, rng.bit_generator.state)
    assert out == tmp_path / "RUN.h5.ckpt.npz" == checkpoint_path(run)
    gen, back, rng_state = read_checkpoint(run)
    assert gen == state.generation == 3
    assert back.keys() == arrays.keys()
    for k in arrays:
        assert back[k].dtype == arrays[k].dtype and back[k].shape == arrays[k].shape
        np.testing.assert_array_equal(back[k], arrays[k])
    assert from_arrays(back).next_uid == state.next_uid
    restored = np.random.default_rng()
    restored.bit_generator.state = rng_state
    np.testing.assert_array_equal(restored.random(20), rng.random(20))
    np.testing.assert_array_equal(restored.integers(0, 2**62, 5), rng.integers(0, 2**62, 5))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RUN.h5.ckpt.npz"]


def test_checkpoint_rng_with_array_state(tmp_path):
    """MT19937 keeps a uint32 key array in its state: it must survive JSON too."""
    rng = np.random.Generator(np.random.MT19937(5))
    rng.random(3)
    write_checkpoint(tmp_path / "R.h5", 0, {}, rng.bit_generator.state)
    _, arrays, st = read_checkpoint(tmp_path / "R.h5")
    assert arrays == {}
    other = np.random.Generator(np.random.MT19937())
    other.bit_generator.state = st
    np.testing.assert_array_equal(other.random(10), rng.random(10))


def test_checkpoint_replaced_atomically(tmp_path, monkeypatch):
    run = tmp_path / "RUN.h5"
    write_checkpoint(run, 1, {"x": np.arange(4)}, {"s": 1})
    before = checkpoint_path(run).read_bytes()
    real_savez = np.savez

    def savez_then_die(fh, **arrays):
        real_savez(fh, **arrays)
        fh.truncate(fh.tell() // 2)  # a half-written file ...
        raise OSError("killed while writing")  # ... and then the failure

    def replace_fails(src, dst):
        raise OSError("rename failed")

    for target, fake in ((np, savez_then_die), (os, replace_fails)):
        name = "savez" if target is np else "replace"
        with monkeypatch.context() as m:
            m.setattr(target, name, fake)
            with pytest.raises(OSError):
                write_checkpoint(run, 2, {"x": np.arange(5)}, {"s": 2})
        assert checkpoint_path(run).read_bytes() == before
        gen, arrays, st = read_checkpoint(run)
        assert gen == 1 and st == {"s": 1}
        np.testing.assert_array_equal(arrays["x"], np.arange(4))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["RUN.h5.ckpt.npz"]
    write_checkpoint(run, 2, {"x": np.arange(5)}, {"s": 2})
    assert read_checkpoint(run)[0] == 2


@pytest.mark.parametrize("damage", ["missing", "half", "random", "empty", "no_meta", "bad_json"])
def test_corrupt_checkpoint_raises(tmp_path, damage):
    run = tmp_path / "RUN.h5"
    ck = checkpoint_path(run)
    if damage != "missing":
        write_checkpoint(run, 3, {"x": np.arange(100)}, {"s": 2**100})
        data = ck.read_bytes()
        if damage == "half":
            ck.write_bytes(data[: len(data) // 2])
        elif damage == "random":
            ck.write_bytes(os.urandom(len(data)))
        elif damage == "empty":
            ck.write_bytes(b"")
        elif damage == "no_meta":
            np.savez(ck, x=np.arange(3))
        elif damage == "bad_json":
            np.savez(ck, __generation__=np.int64(1), __rng_state__=np.asarray("{not json"))
    with pytest.raises(RunFileError) as info:
        read_checkpoint(run)
    assert str(ck) in str(info.value) and "\n" not in str(info.value)


def test_checkpoint_validates_arguments(tmp_path):
    run = tmp_path / "RUN.h5"
    with pytest.raises(RunFileError, match="generation"):
        write_checkpoint(run, -1, {}, {})
    with pytest.raises(RunFileError, match="name"):
        write_checkpoint(run, 0, {"__generation__": np.zeros(1)}, {})
    with pytest.raises(RunFileError, match="JSON"):
        write_checkpoint(run, 0, {}, {"x": object()})
    assert not checkpoint_path(run).exists()


# --------------------------------------------------------------------------- #
# a writer killed at a random moment
# --------------------------------------------------------------------------- #
CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from test_store import RunFile, write_generation
    rf = RunFile.open(sys.argv[1], "a")
    rf.truncate_to_last_complete()
    g = rf.last_complete_generation + 1
    write_generation(rf, g)
    print("ready", g, flush=True)
    while True:
        g += 1
        write_generation(rf, g)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkilled_writer_leaves_a_consistent_file(tmp_path):
    path = tmp_path / "RUN.h5"
    RunFile.create(path, CONFIG, 1).close()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    jitter = random.Random(20240607)
    last = -1
    for base in (0.0, 0.08, 0.25):  # a different kill delay each time
        with subprocess.Popen([sys.executable, str(script), str(path), str(Path(__file__).parent)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as child:
            line = child.stdout.readline().decode()
            assert line.startswith("ready"), child.stderr.read().decode()[-2000:]
            assert int(line.split()[1]) == last + 1  # it resumed where the last one died
            time.sleep(base + jitter.uniform(0.0, 0.05))
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
        assert child.returncode == -signal.SIGKILL
        lengths = raw_lengths(path)
        with RunFile.open(path, "a") as rf:
            now = rf.last_complete_generation
            assert now >= last + 1  # the generation announced as ready is on disk
            # at most the one generation being written is incomplete
            assert all(now + 1 <= n <= now + 2 for n in lengths.values())
            rf.truncate_to_last_complete()
            for name, (dtype, _) in DATASETS.items():
                expected = np.stack([np.asarray(generation_rows(g)[name], dtype)
                                     for g in range(now + 1)])
                np.testing.assert_array_equal(rf.read(name), expected, err_msg=name)
            ids = np.unique(rf.read("phenotype_id"))
            stored = rf.phenotype_ids()
            assert set(ids[ids >= 0].tolist()) == set(stored.tolist())
            for pid in stored:
                np.testing.assert_array_equal(rf.phenotype(pid), pattern_of(int(pid)))
        assert set(raw_lengths(path).values()) == {now + 1}
        last = now


# --------------------------------------------------------------------------- #
# analysis result files
# --------------------------------------------------------------------------- #
def test_result_files_round_trip_and_never_overwrite(tmp_path):
    from alife.store import read_results, write_results
    path = tmp_path / "NET.h5"
    arrays = {"nodes/phenotype": np.array([3, -1, 3]), "nodes/robustness": np.array([0.5, 0.0, 1.0]),
              "phenotypes/label": ["((..))", "......"]}
    write_results(path, "neutral", {"config_toml": "seed = 1\n", "n": 3}, arrays)
    attrs, got = read_results(path, "neutral")
    assert attrs["config_toml"] == "seed = 1\n" and attrs["n"] == 3 and attrs["kind"] == "neutral"
    np.testing.assert_array_equal(got["nodes/phenotype"], arrays["nodes/phenotype"])
    assert got["phenotypes/label"] == arrays["phenotypes/label"]
    before = path.read_bytes()
    with pytest.raises(RunFileError, match="already exists; use --force"):
        write_results(path, "neutral", {}, {"x": np.zeros(2)})
    assert path.read_bytes() == before
    with pytest.raises(RunFileError, match="not an alife other file"):
        read_results(path, "other")
    write_results(path, "neutral", {}, {"x": np.zeros(2)}, force=True)
    assert set(read_results(path)[1]) == {"x"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_result_files_refuse_corrupt_input(tmp_path):
    from alife.store import read_results
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 50)
    with pytest.raises(RunFileError, match="not a readable HDF5 file"):
        read_results(bad)
    with pytest.raises(RunFileError, match="does not exist"):
        read_results(tmp_path / "missing.h5")


def test_progress_files_round_trip_into_a_new_folder(tmp_path):
    """The progress file is written before the result file: its folder is
    created as write_results creates it (``--out new/NET.h5``)."""
    from alife.store import progress_key, progress_path, read_progress, write_progress
    out = tmp_path / "new" / "NET.h5"
    assert write_progress(out, "seed = 1\n", {"units": [1, 2]}) == progress_path(out)
    assert progress_key(out) == "seed = 1\n"
    assert read_progress(out, "seed = 1\n") == {"units": [1, 2]}
    with pytest.raises(RunFileError, match="another config"):
        read_progress(out, "seed = 2\n")


def test_append_rows_writes_the_bytes_h5py_writes(tmp_path):
    """The low-level append (alife.store.h5rows) leaves the file byte for byte
    as h5py's resize and item assignment do; rows of the wrong shape are refused."""
    from alife.store.h5rows import Handles, append_rows
    specs = {"s": ("f8", ()), "v": ("i8", (5,)), "m": ("f4", (3, 4)), "b": ("u1", ())}
    rng = np.random.default_rng(0)
    steps = [("s", np.float64(2.5), True), ("v", np.arange(5, dtype=np.int32), True),
             ("m", rng.random((3, 4), dtype=np.float32), True), ("b", np.arange(7, dtype=np.uint8), False),
             ("s", np.asarray(-1.0), True), ("b", np.zeros(0, np.uint8), False), ("b", [9, 8], False)]
    for way in ("h5py", "low"):
        with h5py.File(tmp_path / f"{way}.h5", "w", track_order=False) as f:
            for name, (dt, trail) in specs.items():
                f.create_dataset(name, shape=(0,) + trail, maxshape=(None,) + trail, dtype=dt,
                                 chunks=(4,) + trail, fletcher32=True, track_times=False)
            for name, rows, one in steps:
                ds = f[name]
                n0 = ds.shape[0]
                if way == "low":
                    append_rows(ds, n0, rows, one=one)
                elif one:
                    ds.resize(n0 + 1, axis=0)
                    ds[n0] = rows
                else:
                    ds.resize(n0 + len(rows), axis=0)
                    if len(rows):
                        ds[n0:] = rows
            with pytest.raises(ValueError, match="do not fit"):
                append_rows(Handles(f)["v"], 2, np.zeros(4, np.int64), one=True)
    assert (tmp_path / "h5py.h5").read_bytes() == (tmp_path / "low.h5").read_bytes()
