"""Reliability drill (issue 6): kill, resume, corrupt and fuzz.

1. Evolution killed by SIGKILL and resumed ends bit-identical to an
   uninterrupted run.  tests/test_evolve_run.py already kills a run from the
   inside at three moments (an HDF5 flush, the checkpoint's rename, an
   evaluation); here the kill comes from outside, at seeded random moments
   after polled progress, and from the inside while the checkpoint's
   temporary file is half written and while it is being fsync'ed.
2. ``alife neutral`` killed by SIGKILL and rerun resumes from its checkpoint
   and writes the same NET.h5 as an uninterrupted run.
3. Truncated and bit-flipped run files are refused with a one-line
   RunFileError (CLI: exit 2, no traceback); a flip inside dataset data is
   caught by the Fletcher-32 chunk checksums.
4. Hypothesis fuzzing of the config loaders and the genonets reader: any input
   loads or raises the documented one-line error.
"""
from __future__ import annotations

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

from alife.cli import main
from configs import KILL_AT_NTH_CALL, afpo_toml
from h5files import datasets
from alife.evolve.config import loads
from alife.evolve.runner import evolve
from alife.store import RunFile, RunFileError, read_checkpoint

ROOT = Path(__file__).resolve().parents[1]



def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **extra)
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    return env


def _assert_same(a, b, skip=("timing/",), attrs_skip=()):
    da, db = datasets(a, skip, attrs=True), datasets(b, skip, attrs=True)
    aa, ab = da.pop("@attrs"), db.pop("@attrs")
    assert sorted(da) == sorted(db)
    for name in da:
        x, y = np.asarray(da[name]), np.asarray(db[name])
        assert x.dtype == y.dtype and x.shape == y.shape, name
        if x.dtype.hasobject:
            assert x.tolist() == y.tolist(), name
        else:
            assert x.tobytes() == y.tobytes(), name
    for k in set(aa) | set(ab):
        if k not in attrs_skip:
            assert np.array_equal(np.asarray(aa.get(k)), np.asarray(ab.get(k))), k


def _one_line_exit_2(argv, capsys, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


# --------------------------------------------------------------------------- #
# 1. evolution: SIGKILL from outside / during the checkpoint write, resume
# --------------------------------------------------------------------------- #
#: Runs `alife evolve` and SIGKILLs itself while the checkpoint is written:
#: after half of the temporary .npz is on disk, or after the rename, before
#: the directory is fsync'ed.
CKPT_CHILD = textwrap.dedent("""
    import io, os, signal, sys
    where, n = sys.argv[1], int(sys.argv[2])
    from alife.store import atomic, checkpoint
    calls = [0]
    def due():
        calls[0] += 1
        return calls[0] == n
    if where == "savez":
        orig = checkpoint.np.savez
        def savez(fh, **arrays):
            if due():
                buf = io.BytesIO()
                orig(buf, **arrays)
                fh.write(buf.getvalue()[: len(buf.getvalue()) // 2])
                fh.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            return orig(fh, **arrays)
        checkpoint.np.savez = savez
    elif where == "fsync":
        orig_fsync = atomic.fsync_path
        def fsync(path, directory=False):
            # the directory fsync after the checkpoint's rename
            if directory and due():
                os.kill(os.getpid(), signal.SIGKILL)
            return orig_fsync(path, directory)
        atomic.fsync_path = fsync
    from alife.cli import main
    sys.exit(main(sys.argv[3:]))
""")


def _finished_run(tmp_path_factory, folder: str, generations: int, name: str):
    """A config file (seed 11) and the finished run of it: (config, run file)."""
    d = tmp_path_factory.mktemp(folder)
    cfg = d / "evolve.toml"
    cfg.write_text(afpo_toml(seed=11, generations=generations))
    evolve(loads(cfg.read_text()), d / name, progress=False)
    return cfg, d / name


@pytest.fixture(scope="module")
def straight_run(tmp_path_factory):
    """An uninterrupted 40-generation run, and its config file."""
    return _finished_run(tmp_path_factory, "evolve", 40, "straight.h5")


def _checkpoint_generation(run: Path) -> int:
    try:
        return read_checkpoint(run)[0]
    except RunFileError:  # not written yet
        return -1


def test_evolve_sigkill_from_outside_at_random_moments_then_resume(tmp_path, straight_run):
    cfg, straight = straight_run
    out = tmp_path / "killed.h5"
    cmd = [sys.executable, "-m", "alife.cli", "evolve", str(cfg), "--out", str(out), "--no-progress"]
    jitter = random.Random(6)          # seeded: the same moments on every run of the test
    last = -1
    kills = 0
    for target in (3, 12, 25):         # kill after at least this many checkpointed generations
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=_env()) as child:
            deadline = time.monotonic() + 120
            while _checkpoint_generation(out) < target and child.poll() is None:
                assert time.monotonic() < deadline, "no progress"
                time.sleep(0.005)
            time.sleep(jitter.uniform(0.0, 0.06))   # somewhere inside a generation
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
                kills += 1
            child.wait()
        now = _checkpoint_generation(out)
        assert now >= last                 # never goes back past a checkpoint
        last = now
    assert kills >= 2                      # the drill did kill (the run is ~2 s long)
    r = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    _assert_same(straight, out, attrs_skip=("alife_version",))
    with RunFile.open(out) as run:
        assert run.status == "done" and run.generations_done == 40


@pytest.mark.parametrize("where, calls", [("savez", (2, 9)), ("fsync", (5, 17))])
def test_evolve_sigkill_during_checkpoint_write_then_resume(tmp_path, straight_run, where, calls):
    cfg, straight = straight_run
    out = tmp_path / "killed.h5"
    child = tmp_path / "child.py"
    child.write_text(CKPT_CHILD)
    args = ["evolve", str(cfg), "--out", str(out), "--no-progress"]
    for n in calls:
        r = subprocess.run([sys.executable, str(child), where, str(n)] + args,
                           capture_output=True, text=True, env=_env(), timeout=300)
        assert r.returncode == -signal.SIGKILL, (where, n, r.stderr[-2000:])
        # the checkpoint is the previous one, complete (never the half-written file)
        read_checkpoint(out)
    r = subprocess.run([sys.executable, "-m", "alife.cli"] + args, capture_output=True,
                       text=True, env=_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    _assert_same(straight, out, attrs_skip=("alife_version",))
    # the killed writers' temporary files were cleared on resume
    assert sorted(p.name for p in tmp_path.iterdir()) == ["child.py", "killed.h5",
                                                          "killed.h5.ckpt.npz"]


# --------------------------------------------------------------------------- #
# 3. truncated and bit-flipped run files
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """A finished 6-generation run file and its config (with checksums)."""
    return _finished_run(tmp_path_factory, "integrity", 6, "run.h5")


def _damaged(tmp_path, src: Path, edit) -> Path:
    data = bytearray(src.read_bytes())
    edit(data)
    out = tmp_path / "damaged.h5"
    out.write_bytes(bytes(data))
    return out


def _assert_refused(path, capsys, cfg):
    """RunFile.open (both modes), `alife show` and a resume all refuse, one line."""
    before = path.read_bytes()
    for mode in ("r", "a"):
        with pytest.raises(RunFileError) as info:
            with RunFile.open(path, mode) as rf:      # "r" may open: then reading must fail
                rf.verify()
                rf.summary()
        msg = str(info.value)
        assert str(path) in msg and "\n" not in msg and ("corrupt" in msg or "truncated" in msg)
    _one_line_exit_2(["show", str(path)], capsys, str(path))
    _one_line_exit_2(["evolve", str(cfg), "--out", str(path), "--no-progress"], capsys, str(path))
    assert path.read_bytes() == before                # refused untouched


@pytest.mark.parametrize("keep", [0.03, 0.3, 0.6, 0.9, 0.999, -1])
def test_truncated_run_file_is_refused_in_one_line(tmp_path, small_run, capsys, keep):
    cfg, run = small_run
    size = run.stat().st_size
    n = size - 1 if keep == -1 else int(size * keep)
    path = _damaged(tmp_path, run, lambda b: b.__delitem__(slice(n, None)))
    _assert_refused(path, capsys, cfg)


def _chunk_offsets(path) -> list[tuple[str, int, int]]:
    """(dataset, byte offset, size) of every stored chunk."""
    out = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.chunks:
                for i in range(obj.id.get_num_chunks()):
                    ci = obj.id.get_chunk_info(i)
                    out.append((name, ci.byte_offset, ci.size))
        f.visititems(visit)
    return out


def test_every_dataset_is_checksummed(small_run):
    _, run = small_run
    with h5py.File(run, "r") as f:
        names = []
        f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        assert len(names) >= 12
        for n in names:
            assert f[n].fletcher32, n
        assert "header_crc32" in f.attrs
        assert f["generation_crc32"].shape == (6,) and f["generation_crc32"].dtype == np.uint32


def test_valid_chunk_in_the_wrong_place_is_detected(tmp_path, small_run, capsys):
    """A damaged chunk index can point at another generation's chunk, whose
    Fletcher-32 checksum is fine: the per-generation CRC-32 catches it."""
    cfg, run = small_run
    path = tmp_path / "swapped.h5"
    path.write_bytes(run.read_bytes())
    with h5py.File(path, "r+") as f:
        for name in ("genomes", "loss"):
            ds = f[name]
            _, chunk5 = ds.id.read_direct_chunk((5,) + (0,) * (ds.ndim - 1))
            ds.id.write_direct_chunk((4,) + (0,) * (ds.ndim - 1), chunk5)
    with RunFile.open(path, "r") as rf:                # every chunk passes Fletcher-32 ...
        rf.read("genomes")
        with pytest.raises(RunFileError, match="generation 4 does not match its checksum"):
            rf.verify()                                # ... but not generation 4's CRC
    _one_line_exit_2(["evolve", str(cfg), "--out", str(path), "--no-progress"], capsys,
                     "generation 4", "corrupt")


def test_bit_flip_inside_any_dataset_chunk_is_detected(tmp_path, small_run, capsys):
    cfg, run = small_run
    chunks = _chunk_offsets(run)
    rng = random.Random(3)
    seen = set()
    for name, off, size in chunks:
        if name in seen and name != "genomes":
            continue                                   # one chunk per dataset, several genomes
        seen.add(name)
        pos = off + rng.randrange(size - 4)            # data bytes (the last 4 are the checksum)
        path = _damaged(tmp_path, run, lambda b: b.__setitem__(pos, b[pos] ^ (1 << rng.randrange(8))))
        with pytest.raises(RunFileError, match=f"corrupt: reading .*{name.split('/')[-1]}") as info:
            RunFile.open(path, "a")                    # resume verifies every chunk
        assert "restore it from a backup" in str(info.value) and "\n" not in str(info.value)
        with RunFile.open(path, "r") as rf, pytest.raises(RunFileError, match="corrupt"):
            rf.verify()
        _one_line_exit_2(["evolve", str(cfg), "--out", str(path), "--no-progress"], capsys,
                         "corrupt", name.split("/")[-1])
        if name in ("loss", "timing/evals_per_s"):     # what `alife show` reads
            _one_line_exit_2(["show", str(path)], capsys, "corrupt")
    assert {"genomes", "loss", "phenotypes/bits", "phenotypes/id", "class_counts"} <= seen


def test_bit_flip_in_the_config_attribute_is_detected(tmp_path, small_run, capsys):
    cfg, run = small_run
    data = run.read_bytes()
    pos = data.find(b"pop_size = 24")
    assert pos > 0
    path = _damaged(tmp_path, run, lambda b: b.__setitem__(pos + 11, ord("5")))
    _assert_refused(path, capsys, cfg)


def test_bit_flips_at_random_offsets_never_pass_silently(tmp_path, small_run):
    """Each flip is refused (RunFileError, one line) or changes nothing read."""
    _, run = small_run
    data = run.read_bytes()
    rng = random.Random(20260601)
    outcomes = {"refused": 0, "harmless": 0}
    for _ in range(120):
        pos, bit = rng.randrange(len(data)), rng.randrange(8)
        path = _damaged(tmp_path, run, lambda b: b.__setitem__(pos, b[pos] ^ (1 << bit)))
        try:
            with RunFile.open(path, "r") as rf:
                rf.verify()
                rf.summary()
        except RunFileError as e:
            assert "\n" not in str(e) and str(path) in str(e)
            outcomes["refused"] += 1
            continue
        _assert_same(run, path, skip=())               # opened: then every value is intact
        outcomes["harmless"] += 1
    assert outcomes["refused"] >= 60, outcomes


def test_files_without_checksums_still_read(tmp_path, monkeypatch, small_run):
    """Run files written before the integrity checks (no Fletcher-32 filter, no
    header_crc32) open, verify and resume as before."""
    import alife.store.runfile as store
    cfg, _ = small_run
    monkeypatch.setattr(store, "_CHECKSUM", False)
    old = tmp_path / "old.h5"
    evolve(loads(afpo_toml(seed=11, generations=6)), old, progress=False, stop_after=3)
    with h5py.File(old, "a") as f:
        del f.attrs["header_crc32"]
        assert not f["genomes"].fletcher32 and "generation_crc32" not in f
    monkeypatch.setattr(store, "_CHECKSUM", True)
    s = evolve(loads(afpo_toml(seed=11, generations=6)), old, progress=False)
    assert s["generations_done"] == 6
    _assert_same(small_run[1], old, skip=("timing/", "generation_crc32"),
                 attrs_skip=("header_crc32",))


# --------------------------------------------------------------------------- #
# 2. neutral networks: SIGKILL during the exploration, resume
# --------------------------------------------------------------------------- #
NEUTRAL = """
seed = {seed}

[map]
kind = "hnca"
m = 2

[model]
preset = "bielawski"
base_size = 32
steps = 20

[task]
target = "square"

[seeds]
random = 3

[build]
method = "bfs"
max_nodes = 25
max_evaluations = 800
walks = 2
walk_steps = 6

[measures]
path_sources = 8
"""

#: Runs `alife neutral` and SIGKILLs itself at the n-th call of one function:
#: a network's BFS, a progress write (before its rename), the seeds' robustness
#: profile, or the plotting after every unit is saved.
NEUTRAL_CHILD = KILL_AT_NTH_CALL + textwrap.dedent("""
    from alife.neutral import plots, run, sampling
    from alife.gpmap import hnca
    if where == "bfs":
        sampling.sample_bfs = killing(sampling.sample_bfs)
    elif where == "progress":
        run.write_progress = killing(run.write_progress)
    elif where == "profile":
        hnca.profiles_and_classes = killing(hnca.profiles_and_classes)
    elif where == "plots":
        plots.plot_neutral = killing(plots.plot_neutral)
    from alife.cli import main
    sys.exit(main(sys.argv[3:]))
""")


def test_neutral_sigkill_during_exploration_then_resume_is_identical(tmp_path, capsys):
    from alife.neutral.config import load_neutral_config
    from alife.neutral.run import run_neutral
    from alife.store import progress_path, read_progress
    cfg = tmp_path / "neutral.toml"
    cfg.write_text(NEUTRAL.format(seed=3))
    straight = tmp_path / "straight.h5"
    run_neutral(load_neutral_config(cfg), straight, figs=tmp_path / "straight_figs")
    out = tmp_path / "killed.h5"
    child = tmp_path / "child.py"
    child.write_text(NEUTRAL_CHILD)
    args = ["neutral", str(cfg), "--out", str(out), "--figs", str(tmp_path / "killed_figs")]
    key = load_neutral_config(cfg).text
    # network 1's BFS, then network 2's (network 1 was resumed), a progress
    # write, the profile unit, and the figures after every unit was saved
    expect_units = [{"network 0"}, {"network 0", "network 1"}, {"network 0", "network 1"},
                    {"network 0", "network 1", "network 2"},
                    {"network 0", "network 1", "network 2", "profile"}]
    for (where, n), units in zip([("bfs", 2), ("bfs", 2), ("progress", 1), ("profile", 1),
                                  ("plots", 1)], expect_units):
        r = subprocess.run([sys.executable, str(child), where, str(n)] + args,
                           capture_output=True, text=True, env=_env(), timeout=300)
        assert r.returncode == -signal.SIGKILL, (where, n, r.stderr[-2000:])
        assert not out.exists()
        saved = read_progress(out, key)
        assert set(saved["units"]) - {"seed genotypes"} == units, where
    # another config does not touch the progress of this one
    other = tmp_path / "other.toml"
    other.write_text(NEUTRAL.format(seed=4))
    _one_line_exit_2(["neutral", str(other), "--out", str(out)], capsys, "different config",
                     "--force")
    assert progress_path(out).exists()
    r = subprocess.run([sys.executable, "-m", "alife.cli"] + args, capture_output=True,
                       text=True, env=_env(), timeout=300)
    assert r.returncode == 0, r.stderr
    assert not progress_path(out).exists()
    _assert_same(straight, out, skip=(), attrs_skip=())
    assert sorted(p.name for p in (tmp_path / "killed_figs").iterdir()) == \
        sorted(p.name for p in (tmp_path / "straight_figs").iterdir())


TOY = """
seed = 5

[map]
kind = "toy"
name = "count"
L = 6
K = 3

[build]
method = "{method}"
max_nodes = 40
walks = 2
walk_steps = 5

[seeds]
random = 3
"""


@pytest.mark.parametrize("method", ["exhaustive", "bfs"])
def test_neutral_crash_then_resume_and_force_discards_other_progress(tmp_path, monkeypatch, method):
    from alife.neutral import plots, walks
    from alife.neutral.config import loads_neutral
    from alife.neutral.run import run_neutral
    from alife.store import progress_key, progress_path
    text = TOY.format(method=method)
    if method == "exhaustive":
        text = text.replace("[seeds]\nrandom = 3\n", "")
    config = loads_neutral(text)
    straight = tmp_path / "straight.h5"
    run_neutral(config, straight, figs=tmp_path / "f1")
    out = tmp_path / "net.h5"

    class Crash(Exception):
        pass

    def crash(*a, **k):
        raise Crash
    where = (plots, "plot_neutral") if method == "exhaustive" else (walks, "neutral_walks")
    calls = []
    orig = getattr(*where)

    def crash_second(*a, **k):        # bfs: the second network's walks
        calls.append(1)
        if len(calls) == 2:
            raise Crash
        return orig(*a, **k)
    with monkeypatch.context() as m:
        m.setattr(*where, crash if method == "exhaustive" else crash_second)
        with pytest.raises(Crash):
            run_neutral(config, out, figs=tmp_path / "f2")
    assert progress_key(out) == config.text and not out.exists()
    # a different config: refused without force, its progress discarded with it
    other = loads_neutral(text.replace("seed = 5", "seed = 6"))
    with pytest.raises(ValueError, match="different config.*--force"):
        run_neutral(other, out, figs=tmp_path / "f3")
    assert progress_key(out) == config.text
    run_neutral(config, out, figs=tmp_path / "f2")      # resumes
    assert not progress_path(out).exists()
    _assert_same(straight, out, skip=(), attrs_skip=())
    # a leftover progress of another config is discarded by --force
    with monkeypatch.context() as m:
        m.setattr(*where, crash if method == "exhaustive" else crash_second)
        calls.clear()
        with pytest.raises(Crash):
            run_neutral(other, tmp_path / "net2.h5", figs=tmp_path / "f4")
    run_neutral(config, tmp_path / "net2.h5", figs=tmp_path / "f4", force=True)
    _assert_same(straight, tmp_path / "net2.h5", skip=(), attrs_skip=())


def test_corrupt_neutral_progress_is_refused_in_one_line(tmp_path, capsys):
    from alife.store import progress_path
    cfg = tmp_path / "toy.toml"
    cfg.write_text(TOY.format(method="bfs"))
    out = tmp_path / "net.h5"
    progress_path(out).write_bytes(b"alife-progress 1\n" + b"\x05" * 30)
    _one_line_exit_2(["neutral", str(cfg), "--out", str(out)], capsys, "corrupt", "--force")
    assert main(["neutral", str(cfg), "--out", str(out), "--force"]) == 0
    assert out.exists() and not progress_path(out).exists()


# --------------------------------------------------------------------------- #
# 4. fuzzing the loaders (Hypothesis): load, or one documented one-line error
# --------------------------------------------------------------------------- #
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

#: Values a mutated key may take: wrong types, huge / negative numbers, NaN.
_BAD_VALUES = ["0", "-1", "-9223372036854775809", "9223372036854775808", "1e400", "nan", "-inf",
               "inf", "1.5", "true", '"x"', '""', "[]", "[1, 2]", "{}", "{a = 1}", "1979-05-27",
               "10000000", "99999999999", '"square"', '"exhaustive"', '"bfs"', '"toy"', '"rna"',
               '"table"', '"hnca"', "255", "256", "2", '"../nowhere.tsv"', '"a\\u0000b"']


def _mutations(text: str):
    """Structured mutations of a valid TOML config: drop a line, replace a
    value, duplicate a line, add an unknown key, truncate."""
    lines = text.splitlines()
    idx = st.integers(0, max(0, len(lines) - 1))

    def drop(i):
        return "\n".join(lines[:i] + lines[i + 1:])

    def replace(i, v):
        out = list(lines)
        if "=" in out[i]:
            out[i] = out[i].split("=")[0] + "= " + v
        return "\n".join(out)

    def dup(i):
        return "\n".join(lines[:i + 1] + lines[i:])

    def unknown(i, k):
        return "\n".join(lines[:i + 1] + [f"{k} = 1"] + lines[i + 1:])

    def cut(n):
        return text[:n]
    vals = st.sampled_from(_BAD_VALUES)
    keys = st.sampled_from(["seed", "random", "max_nodes", "kind", "L", "K", "mdoe", "steps", "x"])
    return st.one_of(st.builds(drop, idx), st.builds(replace, idx, vals), st.builds(dup, idx),
                     st.builds(unknown, idx, keys), st.builds(cut, st.integers(0, len(text))),
                     st.lists(st.builds(replace, idx, vals), min_size=1, max_size=1).map(lambda x: x[0]))


def _one_line_error_or_config(call, error, ok_type):
    try:
        c = call()
    except error as e:
        msg = str(e)
        assert msg and "\n" not in msg and "\r" not in msg, msg
        return None
    assert isinstance(c, ok_type)
    return c


def _write(tmp: Path, name: str, data) -> Path:
    p = tmp / name
    (p.write_bytes if isinstance(data, bytes) else p.write_text)(data)
    return p


# ------------------------------------------------------------------ evolve
@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_fuzz_evolve_config_file_bytes(tmp_path_factory, data):
    from alife.config import ConfigError
    from alife.evolve.config import EvolveConfig, load_config
    p = _write(tmp_path_factory.mktemp("fz"), "evolve.toml", data)
    _one_line_error_or_config(lambda: load_config(p), ConfigError, EvolveConfig)


@FUZZ
@given(_mutations(afpo_toml(seed=11, generations=5)))
def test_fuzz_evolve_config_mutations(tmp_path_factory, text):
    from alife.config import ConfigError
    from alife.evolve.config import EvolveConfig, load_config
    p = _write(tmp_path_factory.mktemp("fz"), "evolve.toml", text)
    _one_line_error_or_config(lambda: load_config(p), ConfigError, EvolveConfig)


# ------------------------------------------------------------------ neutral
TABLE_TSV = ("Genotypeset\tDelta\tGenotype\tScore\n"
             "A\t0.1\tACGU\t1.0\nA\t0.1\tACGA\t0.5\nB\t0.2\tUUUU\t2\nB\t0.2\tUUUA\t-1\n")
NEUTRAL_TEXTS = [
    NEUTRAL.format(seed=1),
    TOY.format(method="bfs"),
    TOY.format(method="exhaustive").replace("[seeds]\nrandom = 3\n", ""),
    'seed = 0\n[map]\nkind = "toy"\nname = "threshold"\nL = 5\nthreshold = 2\n'
    '[build]\nmethod = "exhaustive"\n',
    'seed = 2\n[map]\nkind = "table"\nfile = "in.tsv"\nalphabet = "RNA"\ntau = 0.0\n'
    '[seeds]\ngenotypes = ["ACGU"]\n[build]\nmax_nodes = 10\n[measures]\npath_sources = 4\n',
    'seed = 2\n[map]\nkind = "rna"\nlength = 12\n[seeds]\nrandom = 2\n',
]


def _neutral_check(tmp: Path, data):
    from alife.config import ConfigError
    from alife.neutral.config import NeutralConfig, load_neutral_config
    _write(tmp, "in.tsv", TABLE_TSV)
    p = _write(tmp, "neutral.toml", data)
    c = _one_line_error_or_config(lambda: load_neutral_config(p), ConfigError, NeutralConfig)
    if c is not None and c.map["kind"] in ("toy", "table"):
        # building the map is the first thing the run does: ValueError or a map
        try:
            c.gpmap()
        except ValueError as e:
            assert "\n" not in str(e)


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_fuzz_neutral_config_file_bytes(tmp_path_factory, data):
    _neutral_check(tmp_path_factory.mktemp("fz"), data)


@FUZZ
@given(st.sampled_from(NEUTRAL_TEXTS).flatmap(_mutations))
def test_fuzz_neutral_config_mutations(tmp_path_factory, text):
    _neutral_check(tmp_path_factory.mktemp("fz"), text)


def test_neutral_config_nested_too_deeply_is_one_line(tmp_path):
    for text in ["seed = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 3000 + "1" + "}" * 3000]:
        _neutral_check(tmp_path, text)


# ------------------------------------------------------------------ genonets
_TSV_CELLS = st.sampled_from(["A", "B", "0.1", "nan", "inf", "-1", "1e400", "", " ", "ACGU", "ACG",
                              "UUUU", "acgu", "ACGT", "x", "1_0", "0x1", "\u00e9", "\x00", "Score",
                              "Genotype", "NaN", "-0"])
_TSV_ROWS = st.lists(st.lists(_TSV_CELLS, min_size=0, max_size=6).map("\t".join), max_size=8)
_HEADERS = st.sampled_from(["Genotypeset\tDelta\tGenotype\tScore",
                            "Genotype\tScore\tGenotypeset\tDelta\tExtra",
                            "Genotypeset\tDelta\tGenotype", "Genotypeset\tGenotypeset\tDelta\tGenotype\tScore",
                            "\ufeffGenotypeset\tDelta\tGenotype\tScore", ""])
_LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r", "\x0c", "\u2028"])


def _tablemap(path, alphabet, tau):
    from alife.gpmap.table import TableMap
    try:
        TableMap(path, alphabet, tau)
    except ValueError as e:
        assert str(e) and "\n" not in str(e) and "\r" not in str(e), repr(str(e))


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["RNA", "DNA", "Binary", "rna"]),
       st.sampled_from([0.0, -1.0, float("nan"), float("inf"), "x", 1e308]),
       st.sampled_from(["in.tsv", "in.tsv.gz"]))
def test_fuzz_genonets_reader_bytes(tmp_path_factory, data, alphabet, tau, name):
    p = _write(tmp_path_factory.mktemp("fz"), name, data)
    _tablemap(p, alphabet, tau)


@FUZZ
@given(_HEADERS, _TSV_ROWS, _LINE_ENDS, st.sampled_from(["RNA", "Binary"]),
       st.sampled_from([0.0, -1.0, float("nan")]), st.booleans())
def test_fuzz_genonets_reader_tables(tmp_path_factory, header, rows, end, alphabet, tau, gz):
    import gzip
    text = end.join([header] + rows + [""])
    data = text.encode("utf-8", "surrogatepass")
    tmp = tmp_path_factory.mktemp("fz")
    p = _write(tmp, "in.tsv.gz" if gz else "in.tsv", gzip.compress(data, mtime=0) if gz else data)
    _tablemap(p, alphabet, tau)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from(["0.0", "0.5", "nan"]),
                          st.text("01", min_size=3, max_size=3),
                          st.sampled_from(["0", "1", "2.5", "-1", "nan"])), min_size=1, max_size=10),
       st.booleans(), st.booleans())
def test_fuzz_genonets_command_on_valid_tables(tmp_path_factory, rows, indels, allc):
    """`alife genonets` on small valid tables: exit 0, or exit 2 with one line."""
    tmp = tmp_path_factory.mktemp("fz")
    text = "Genotypeset\tDelta\tGenotype\tScore\n" + "".join("\t".join(r) + "\n" for r in rows)
    p = _write(tmp, "in.tsv", text)
    argv = ["genonets", str(p), "--alphabet", "Binary", "--tau", "0", "--out", str(tmp / "out")]
    argv += ["--include-indels"] * indels + ["--use-all-components"] * allc
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        rc = main(argv)
    assert rc in (0, 2)
    if rc == 2:
        assert len(err.getvalue().strip().splitlines()) == 1
