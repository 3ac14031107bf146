"""Attacks on what alife writes and reads back, each with its exact outcome.

Every attack ends in a one-line error with exit code 2, or does no harm,
and no file outside the command's output is created or changed (checked by
hashing the whole test folder before and after):

* crafted progress files: the old pickle format with a valid CRC and key
  (a payload that would create a marker file), an ``.npz`` with a pickled
  object array, a well-formed file of the wrong shape;
* two writers: a live writer of the output refuses every writing command,
  with or without ``--force``; two ``alife evolve`` started at the same
  instant; a stale lock file of a killed process blocks nobody;
* checkpoints: one of another run, one that runs ahead of its file, a
  damaged one, a missing one (never a silent restart from generation 0);
  a state checksum left one generation behind by a kill still resumes;
* bit flips in every result kind (NET.h5, BRIDGE.h5, network checkpoints,
  fold tables) and in a run file's state;
* symlinked temporary and lock names, device, FIFO and directory targets,
  ``--out`` equal to an input.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import stat
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from alife.cli import main
from alife.evolve.config import loads
from alife.evolve.runner import evolve
from alife.store import (RunFile, RunFileError, checkpoint_path, lock_path, output_lock,
                         progress_path, read_results, verify_file, write_results)
from configs import TOY_EXHAUSTIVE, afpo_toml
from h5files import datasets

ROOT = Path(__file__).resolve().parents[1]
GENONETS_INPUT = ROOT / "tests/fixtures/genonets/tiny_edge/input.tsv"

TOY_BFS = """
seed = 5
[map]
kind = "toy"
name = "count"
L = 6
K = 3
[build]
method = "bfs"
max_nodes = 40
walks = 2
walk_steps = 5
[seeds]
random = 3
"""


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    return env


def snapshot(root: Path) -> dict:
    """Every entry under ``root``: its kind and, for files, a SHA-256."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = os.lstat(p)
        if stat.S_ISREG(st.st_mode):
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif stat.S_ISLNK(st.st_mode):
            out[str(p.relative_to(root))] = "link:" + os.readlink(p)
        else:
            out[str(p.relative_to(root))] = stat.filemode(st.st_mode)[0]
    return out


def refused(argv, capsys, *fragments) -> str:
    """``alife argv`` exits 2 with one line on stderr holding every fragment."""
    capsys.readouterr()
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for f in fragments:
        assert f in err, err
    return err


def refused_untouched(argv, capsys, root: Path, *fragments) -> str:
    """As :func:`refused`, and nothing under ``root`` changed."""
    before = snapshot(root)
    err = refused(argv, capsys, *fragments)
    assert snapshot(root) == before
    return err


def assert_same_datasets(a, b):
    da, db = datasets(a), datasets(b)
    assert sorted(da) == sorted(db)
    for k in da:
        assert np.asarray(da[k]).tobytes() == np.asarray(db[k]).tobytes(), k


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A config file, its finished 6-generation run, and a toy NET.h5."""
    d = tmp_path_factory.mktemp("finished")
    cfg = d / "evolve.toml"
    cfg.write_text(afpo_toml(seed=11, generations=6, pop_size=12))
    evolve(loads(cfg.read_text()), d / "run.h5", progress=False)
    toy = d / "toy.toml"
    toy.write_text(TOY_EXHAUSTIVE)
    assert main(["neutral", str(toy), "--out", str(d / "net.h5")]) == 0
    return d


# --------------------------------------------------------------------------- #
# 1. crafted progress files: plain data only, never code
# --------------------------------------------------------------------------- #
class _Payload:
    """Unpickling this creates the folder ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _old_pickle_progress(key: str, state) -> bytes:
    """The progress format of earlier alife versions, CRC and key computed
    as an attacker can: magic, header length, JSON header, CRC-32, pickle."""
    head = json.dumps({"key": key, "alife_version": "0"}).encode()
    body = pickle.dumps(state)
    return (b"alife-progress 1\n" + len(head).to_bytes(8, "little") + head
            + zlib.crc32(body).to_bytes(4, "little") + body)


def _toy_config(tmp_path) -> tuple[Path, str]:
    from alife.neutral.config import loads_neutral
    cfg = tmp_path / "toy.toml"
    cfg.write_text(TOY_BFS)
    return cfg, loads_neutral(TOY_BFS).text


def test_planted_pickle_progress_never_runs(tmp_path, capsys):
    cfg, key = _toy_config(tmp_path)
    out, marker = tmp_path / "net.h5", tmp_path / "PWNED"
    progress_path(out).write_bytes(_old_pickle_progress(key, {"units": _Payload(marker)}))
    refused_untouched(["neutral", cfg, "--out", out], capsys, tmp_path,
                      str(progress_path(out)), "pickle", "--force")
    assert not marker.exists()
    # --force discards it (unread) and runs; the code still never ran
    assert main(["neutral", str(cfg), "--out", str(out), "--force"]) == 0
    assert not marker.exists() and out.exists() and not progress_path(out).exists()
    verify_file(out)


def test_planted_npz_with_a_pickled_object_array_never_runs(tmp_path, capsys):
    cfg, key = _toy_config(tmp_path)
    out, marker = tmp_path / "net.h5", tmp_path / "PWNED"
    obj = np.empty(1, dtype=object)
    obj[0] = _Payload(marker)
    with open(progress_path(out), "wb") as fh:
        np.savez(fh, __meta__=np.frombuffer(json.dumps(
            {"format": "alife-progress", "version": 2, "key": key, "crc32": 0}).encode(),
            np.uint8), __state__=np.frombuffer(b'{"__t__":"nd","key":"a0"}', np.uint8), a0=obj)
    refused_untouched(["neutral", cfg, "--out", out], capsys, tmp_path, "corrupt", "--force")
    assert not marker.exists()


def test_well_formed_progress_of_the_wrong_shape_is_refused(tmp_path, capsys):
    """Plain data with a valid CRC and the right key, but not what alife
    neutral writes: refused in one line, never a traceback."""
    from alife.store import write_progress
    cfg, key = _toy_config(tmp_path)
    out = tmp_path / "net.h5"
    for state in ({"units": {"network 0": [1, 2]}, "state": {"n_evaluations": 1, "rngs": []}},
                  {"units": {}, "state": {"n_evaluations": -5, "rngs": []}},
                  {"units": {"profile": (np.zeros(3), {"x": 1})},
                   "state": {"n_evaluations": 0, "rngs": []}},
                  ["not", "a", "dict"]):
        write_progress(out, key, state)
        refused_untouched(["neutral", cfg, "--out", out], capsys, tmp_path,
                          "progress", "--force")


def test_a_progress_file_that_is_a_fifo_is_refused_without_blocking(tmp_path, capsys):
    cfg, _ = _toy_config(tmp_path)
    out = tmp_path / "net.h5"
    os.mkfifo(progress_path(out))
    refused_untouched(["neutral", cfg, "--out", out], capsys, tmp_path, "FIFO")


# --------------------------------------------------------------------------- #
# 2. one writer per result
# --------------------------------------------------------------------------- #
HOLDER = textwrap.dedent("""
    import sys, time
    from alife.store import output_lock, folder_lock
    lock = folder_lock if sys.argv[2] == "folder" else output_lock
    with lock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(600)
""")


class _Holder:
    """Another process holding the lock of ``path`` until killed."""

    def __init__(self, path: Path, kind: str = "file"):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), kind],
                                     stdout=subprocess.PIPE, env=_env())
        assert self.proc.stdout.readline().strip() == b"locked"

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()


def _writing_commands(d: Path, finished: Path) -> list[tuple[list, Path, str]]:
    """(argv, output, lock kind) of every command that writes, on small inputs."""
    cfg = finished / "evolve.toml"
    toy = finished / "toy.toml"
    bridge_cfg = ROOT / "experiments/smoke/bridge.toml"
    run, net = finished / "run.h5", finished / "net.h5"
    return [
        (["evolve", cfg, "--out", d / "run.h5", "--no-progress"], d / "run.h5", "file"),
        (["neutral", toy, "--out", d / "net.h5"], d / "net.h5", "file"),
        (["bridge", bridge_cfg, "--out", d / "bridge.h5", "--no-progress"], d / "bridge.h5",
         "file"),
        (["compare", d / "none.h5", "--out", d / "table.md"], d / "table.md", "file"),
        (["genonets", GENONETS_INPUT, "--alphabet", "DNA", "--tau", "0", "--out", d / "gn"],
         d / "gn", "folder"),
        (["report", run, "-o", d / "report.html"], d / "report.html", "file"),
        (["plot", run, "--out", d / "plots"], d / "plots", "folder"),
        (["report", net, "-o", d / "net.html"], d / "net.html", "file"),
    ]


def test_a_live_writer_refuses_every_writing_command_even_with_force(tmp_path, finished, capsys):
    d = tmp_path / "out"
    d.mkdir()
    for argv, out, kind in _writing_commands(d, finished):
        if kind == "file":
            out.write_bytes(b"being written by another process")
        holder = _Holder(out, kind)
        try:
            for force in ([], ["--force"]) if argv[0] != "plot" else ([],):
                refused_untouched(argv + force, capsys, tmp_path, str(out), "locked",
                                  "another alife process is writing it")
        finally:
            holder.kill()


def test_a_stale_lock_of_a_killed_writer_blocks_nobody(tmp_path, finished, capsys):
    out = tmp_path / "run.h5"
    holder = _Holder(out)
    holder.kill()                                  # SIGKILL: the lock file stays behind
    assert lock_path(out).exists()
    assert main(["evolve", str(finished / "evolve.toml"), "--out", str(out),
                 "--no-progress"]) == 0
    assert not lock_path(out).exists()             # taken over, then removed
    assert_same_datasets(finished / "run.h5", out)


def test_two_evolve_started_at_the_same_instant(tmp_path):
    """One refuses with "locked"; the other's file verifies and is the
    uninterrupted run of its seed (benchmarks/two_writers.py repeats this)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("two_writers", ROOT / "benchmarks/two_writers.py")
    two_writers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(two_writers)
    res = two_writers.race(tmp_path, seeds=(21, 22), generations=4)
    assert sorted(r["rc"] for r in res["runs"]) == [0, 2], res
    loser = next(r for r in res["runs"] if r["rc"] == 2)
    assert "locked" in loser["err"] and loser["err"].count("\n") == 1
    assert res["matches_straight_run"] and res["verifies"]


def test_lock_is_exclusive_within_one_process_too(tmp_path):
    out = tmp_path / "x.h5"
    with output_lock(out):
        with pytest.raises(RunFileError, match="locked"):
            with output_lock(out):
                pass
    assert not lock_path(out).exists()


# --------------------------------------------------------------------------- #
# 3. checkpoints tied to their run
# --------------------------------------------------------------------------- #
@pytest.fixture
def two_runs(tmp_path):
    """Two unfinished runs of one config (3 of 8 generations each)."""
    cfg = tmp_path / "evolve.toml"
    cfg.write_text(afpo_toml(seed=11, generations=8, pop_size=12))
    for name in ("a.h5", "b.h5"):
        evolve(loads(cfg.read_text()), tmp_path / name, progress=False, stop_after=3)
    return cfg, tmp_path / "a.h5", tmp_path / "b.h5"


def test_a_checkpoint_of_another_run_is_refused(two_runs, capsys):
    cfg, a, b = two_runs
    checkpoint_path(b).write_bytes(checkpoint_path(a).read_bytes())
    refused_untouched(["evolve", cfg, "--out", b, "--no-progress"], capsys, b.parent,
                      str(checkpoint_path(b)), "belongs to another run", "--force")


def test_a_checkpoint_ahead_of_its_file_is_refused(two_runs, capsys):
    cfg, a, _ = two_runs
    early = a.read_bytes()                          # the file at generation 3
    evolve(loads(cfg.read_text()), a, progress=False, stop_after=2)   # checkpoint at 5
    a.write_bytes(early)
    refused_untouched(["evolve", cfg, "--out", a, "--no-progress"], capsys, a.parent,
                      "runs ahead of its run file", "--force")


def test_a_damaged_checkpoint_is_an_error_never_a_restart(two_runs, capsys):
    cfg, a, _ = two_runs
    ck = checkpoint_path(a)
    data = bytearray(ck.read_bytes())
    data[len(data) // 2] ^= 0x04
    ck.write_bytes(bytes(data))
    refused_untouched(["evolve", cfg, "--out", a, "--no-progress"], capsys, a.parent,
                      str(ck), "corrupt", "--force")
    with RunFile.open(a) as rf:
        assert rf.generations_done == 3             # the verified generations are kept
    ck.unlink()
    refused_untouched(["evolve", cfg, "--out", a, "--no-progress"], capsys, a.parent,
                      "no checkpoint", "--force")
    # the way out the message names
    assert main(["evolve", str(cfg), "--out", str(a), "--no-progress", "--force"]) == 0


def test_a_checkpoint_of_another_generation_is_refused(two_runs, capsys):
    """Same run id, but the generation it claims is not the file's (its CRC differs)."""
    from alife.store import load_checkpoint, write_checkpoint
    cfg, a, _ = two_runs
    ck = load_checkpoint(a)
    write_checkpoint(a, ck.generation, ck.arrays, ck.rng_state, run_id=ck.run_id,
                     generation_crc=(ck.generation_crc + 1) % 2**32)
    refused_untouched(["evolve", cfg, "--out", a, "--no-progress"], capsys, a.parent,
                      "does not match generation", "--force")


# --------------------------------------------------------------------------- #
# 4. bit flips in every result kind, and in a run file's state
# --------------------------------------------------------------------------- #
def _result_files(d: Path) -> dict:
    """One file of every kind written through write_results."""
    from alife.bridge.models import MLP
    from alife.bridge.train import save_checkpoint
    from alife.gpmap.rna import FoldSettings, FoldTable, save_fold_cache
    rng = np.random.default_rng(0)
    files = {
        "neutral": write_results(d / "net.h5", "neutral", {"config_toml": "seed = 1\n",
                                 "summary_json": json.dumps({"R": 0.0385})},
                                 {"networks/0/robustness": rng.random(50),
                                  "networks/0/edges": rng.integers(0, 50, (80, 2)),
                                  "phenotypes/label": ["((..))", "......", "(....)"]}),
        "bridge": write_results(d / "bridge.h5", "bridge", {"config_toml": "seed = 0\n",
                                "summary": json.dumps({"barrier": 0.642})},
                                {"pair0/paths/line/test_error": rng.random(9),
                                 "pair0/paths/line/cka_a": rng.random((2, 9)).astype(np.float32)}),
        "checkpoint": save_checkpoint(d / "ck.h5", MLP((4, 3, 2))),
    }
    table = FoldTable(3, FoldSettings(), np.array([0, 1, 1, 0, 2] * 13, np.uint16)[:64],
                      [".", "(.)", "..."], 0, 0.0, "2.6")
    files["rna_fold_cache"] = save_fold_cache(d / "fold.h5", table)
    return files


def _data_offsets(path) -> list[tuple[str, int, int]]:
    """(dataset, byte offset, size) of each dataset's stored values."""
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if not isinstance(obj, h5py.Dataset) or h5py.check_string_dtype(obj.dtype):
                return
            if obj.chunks:
                for i in range(obj.id.get_num_chunks()):
                    ci = obj.id.get_chunk_info(i)
                    out.append((name, ci.byte_offset, ci.size))
            elif obj.id.get_offset() is not None:
                out.append((name, obj.id.get_offset(), obj.id.get_storage_size()))
        f.visititems(visit)
    return out


def test_bit_flips_in_every_result_kind_are_refused(tmp_path, capsys):
    files = _result_files(tmp_path)
    for kind, path in files.items():
        good = path.read_bytes()
        offsets = _data_offsets(path)
        assert offsets, kind
        damaged = tmp_path / f"damaged_{kind}.h5"
        for name, off, size in offsets:
            for pos in (off, off + size // 2, off + size - 1):
                data = bytearray(good)
                data[pos] ^= 0x20
                damaged.write_bytes(bytes(data))
                with pytest.raises(RunFileError) as info:
                    read_results(damaged, kind)
                msg = str(info.value)
                assert str(damaged) in msg and "corrupt" in msg and "\n" not in msg, msg
                refused(["verify", damaged], capsys, "corrupt")
        # an attribute (the config text, the summary) flipped: refused too
        for needle in (b"seed = ", b"0.642", b"0.0385", b'"sizes"', b"(.)"):
            at = good.find(needle)
            if at < 0:
                continue
            data = bytearray(good)
            data[at + 2] ^= 0x01
            damaged.write_bytes(bytes(data))
            with pytest.raises(RunFileError, match="corrupt"):
                read_results(damaged, kind)


def test_flipped_neutral_result_fails_report_and_verify_in_one_line(finished, tmp_path, capsys):
    net = finished / "net.h5"
    name, off, size = _data_offsets(net)[0]
    data = bytearray(net.read_bytes())
    data[off + size // 2] ^= 0x08
    bad = tmp_path / "net.h5"
    bad.write_bytes(bytes(data))
    refused_untouched(["report", bad, "-o", tmp_path / "r.html"], capsys, tmp_path,
                      str(bad), "corrupt")
    refused(["verify", bad], capsys, "corrupt", name)


@pytest.mark.parametrize("attr, value", [("last_complete_generation", 4),
                                         ("last_complete_generation", 1),
                                         ("status", "running")])
def test_a_run_files_state_is_checksummed(finished, tmp_path, capsys, attr, value):
    """The mutable attributes (generation count, status) are covered by
    ``state_crc32``: changed by hand (or a flipped bit), the file is refused."""
    bad = tmp_path / "run.h5"
    bad.write_bytes((finished / "run.h5").read_bytes())
    with h5py.File(bad, "r+") as f:
        if attr == "status":
            f.attrs["status"] = value
        else:
            f.attrs.modify(attr, np.int64(value))
    refused_untouched(["show", bad], capsys, tmp_path, str(bad), "corrupt")
    refused(["verify", bad], capsys, "corrupt")


def test_a_state_update_cut_short_by_a_kill_still_resumes(two_runs, tmp_path, capsys):
    """A writer killed inside the flush that writes the generation count and
    its checksum can leave the checksum one generation behind: read-only
    commands refuse the file, resuming accepts it and ends bit-identical."""
    from alife.store.layout import state_crc
    cfg, a, _ = two_runs
    with h5py.File(a, "r+") as f:
        last = int(f.attrs["last_complete_generation"])
        f.attrs.modify("state_crc32", np.int64(state_crc("running", last - 1)))
    refused(["show", a], capsys, "corrupt")
    assert main(["evolve", str(cfg), "--out", str(a), "--no-progress"]) == 0
    straight = tmp_path / "straight.h5"
    evolve(loads(cfg.read_text()), straight, progress=False)
    assert_same_datasets(straight, a)
    verify_file(a)


def test_result_files_of_older_alife_are_read_with_a_warning(tmp_path, capsys):
    """schema_version 1 (no checksums): read, unverified, with a one-line warning."""
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as f:
        f.attrs.update({"kind": "neutral", "schema_version": np.int64(1),
                        "alife_version": "0.1", "config_toml": "seed = 1\n",
                        "summary_json": json.dumps({"networks": []})})
        f["networks/0/robustness"] = np.arange(3.0)
    from alife.store import UnverifiedResultWarning
    with pytest.warns(UnverifiedResultWarning, match="rerun"):
        _, arrays = read_results(path, "neutral")
    np.testing.assert_array_equal(arrays["networks/0/robustness"], np.arange(3.0))
    capsys.readouterr()
    assert main(["verify", str(path)]) == 0
    out = capsys.readouterr()
    assert out.out == f"{path}: ok (neutral result file, 1 dataset read)\n"
    assert out.err.count("\n") == 1 and "warning" in out.err and "unverified" in out.err


# --------------------------------------------------------------------------- #
# 5. symlinks, devices, FIFOs, --out equal to an input
# --------------------------------------------------------------------------- #
def test_temporary_names_are_fresh_and_exclusive(tmp_path, monkeypatch):
    """A file or symlink planted under the (predicted) temporary name is never
    followed or overwritten: the write fails and the victim is unchanged."""
    import secrets

    from alife.store import atomic, write_checkpoint, write_progress
    a, b = atomic.temp_path(tmp_path / "x", "writing"), atomic.temp_path(tmp_path / "x", "writing")
    assert a != b and a.parent == tmp_path
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    monkeypatch.setattr(secrets, "token_hex", lambda n: "0" * (2 * n))
    writes = {
        "result": lambda: write_results(tmp_path / "r.h5", "neutral", {}, {"x": np.zeros(2)}),
        "checkpoint": lambda: write_checkpoint(tmp_path / "run.h5", 0, {}, {"s": 1}),
        "progress": lambda: write_progress(tmp_path / "n.h5", "k", {"units": {}}),
        "run file": lambda: RunFile.create(tmp_path / "new.h5", "c", 1).close(),
    }
    for what, write in writes.items():
        target = {"result": "r.h5", "checkpoint": "run.h5.ckpt.npz", "progress": "n.h5.partial",
                  "run file": "new.h5"}[what]
        tag = "creating" if what == "run file" else "writing"
        planted = atomic.temp_path(tmp_path / target, tag)
        planted.symlink_to(victim)
        before = snapshot(tmp_path)
        with pytest.raises(OSError):
            write()
        assert victim.read_text() == "precious" and snapshot(tmp_path) == before, what
        planted.unlink()


def test_compare_and_report_never_follow_a_planted_temporary_symlink(tmp_path, finished,
                                                                     monkeypatch, capsys):
    import secrets

    from alife.store import atomic
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    monkeypatch.setattr(secrets, "token_hex", lambda n: "0" * (2 * n))
    out = tmp_path / "report.html"
    atomic.temp_path(out, "writing").symlink_to(victim)
    refused_untouched(["report", finished / "run.h5", "-o", out], capsys, tmp_path, "File exists")
    assert victim.read_text() == "precious"


def test_a_symlinked_lock_name_is_refused(tmp_path, finished, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "run.h5"
    lock_path(out).symlink_to(victim)
    refused_untouched(["evolve", finished / "evolve.toml", "--out", out, "--no-progress"],
                      capsys, tmp_path, "symlink")


def _targets(tmp_path) -> dict:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    dev = tmp_path / "null.h5"
    dev.symlink_to(os.devnull)
    folder = tmp_path / "folder.h5"
    folder.mkdir()
    return {"FIFO": fifo, "character device": dev, "directory": folder}


def test_device_fifo_and_directory_targets_are_refused_even_with_force(tmp_path, finished,
                                                                       capsys):
    d = tmp_path / "d"
    d.mkdir()
    for what, target in _targets(d).items():
        for argv in (["evolve", finished / "evolve.toml", "--out", target, "--no-progress"],
                     ["neutral", finished / "toy.toml", "--out", target],
                     ["bridge", ROOT / "experiments/smoke/bridge.toml", "--out", target,
                      "--no-progress"],
                     ["compare", finished / "none.h5", "--out", target],
                     ["report", finished / "run.h5", "-o", target]):
            refused_untouched(argv + ["--force"], capsys, tmp_path, str(target),
                              "directory" if what == "directory" else what)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert not Path(os.devnull + ".lock").exists()


def test_device_and_fifo_inputs_are_refused_without_blocking(tmp_path, capsys):
    for what, target in _targets(tmp_path).items():
        if what == "directory":
            continue
        for argv in (["show", target], ["verify", target], ["report", target, "-o",
                                                              tmp_path / "r.html"]):
            refused_untouched(argv, capsys, tmp_path, str(target))


def test_out_equal_to_an_input_is_refused_even_with_force(tmp_path, finished, capsys):
    run = tmp_path / "run.h5"
    run.write_bytes((finished / "run.h5").read_bytes())
    hard = tmp_path / "hard.h5"
    os.link(run, hard)
    soft = tmp_path / "soft.h5"
    soft.symlink_to(run)
    cfg = tmp_path / "evolve.toml"
    cfg.write_text((finished / "evolve.toml").read_text())
    bridge = tmp_path / "bridge.h5"
    write_results(bridge, "bridge", {"summary": "{}"}, {"x": np.zeros(2)})
    seeded = tmp_path / "seeded.toml"             # neutral networks around the run's best
    seeded.write_text('seed = 0\n[map]\nkind = "hnca"\n[model]\npreset = "bielawski"\n'
                      'base_size = 32\nsteps = 30\n[seeds]\nrun = "run.h5"\n')
    for argv in (["compare", bridge, "--out", bridge],
                 ["neutral", seeded, "--out", run],
                 ["compare", bridge, "--out", tmp_path / "." / "bridge.h5"],
                 ["evolve", cfg, "--out", cfg, "--no-progress"],
                 ["neutral", cfg, "--out", cfg],
                 ["bridge", cfg, "--out", cfg, "--no-progress"],
                 ["report", run, "-o", hard],
                 ["report", run, "-o", soft]):
        refused_untouched(argv + ["--force"], capsys, tmp_path, "input")


def test_out_symlink_to_a_regular_file_replaces_the_link_not_the_file(tmp_path, finished):
    """--force on a symlink to a regular file writes a new file in place of
    the link; the file it pointed to is left alone."""
    victim = tmp_path / "elsewhere.md"
    victim.write_text("precious")
    out = tmp_path / "report.html"
    out.symlink_to(victim)
    assert main(["report", str(finished / "run.h5"), "-o", str(out), "--force"]) == 0
    assert victim.read_text() == "precious"
    assert not out.is_symlink() and out.read_text().startswith("<!DOCTYPE html>")
