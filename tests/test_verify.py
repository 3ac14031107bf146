"""``alife verify FILE``: one line ``FILE: ok (...)``, or one line on stderr and exit 2.

A run file is verified chunk by chunk (Fletcher-32) and generation by
generation (CRC-32); a result file must read back whole.  Damage anywhere in
the data is reported, naming the file, never as a traceback.
"""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from alife.cli import main
from alife.evolve.config import loads
from alife.evolve.runner import evolve
from alife.store import RunFile, verify_file, write_results
from configs import afpo_toml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("verify") / "run.h5"
    evolve(loads(afpo_toml(seed=3, generations=4, pop_size=8)), path, progress=False)
    return path


def _ok(argv, capsys) -> str:
    capsys.readouterr()
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return out.strip()


def _fails(argv, capsys) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == "" and "\n" not in err and "Traceback" not in err
    assert err.startswith("alife verify: error: ")
    return err


def test_a_run_file_verifies(run_file, capsys):
    assert _ok(["verify", str(run_file)], capsys) == \
        f"{run_file}: ok (run file, 4 generations, done, checksums verified)"


def test_result_files_verify(tmp_path, capsys):
    path = write_results(tmp_path / "net.h5", "neutral", {"config_toml": "seed = 0\n"},
                         {"a/x": np.arange(5), "a/names": ["p", "q"]})
    assert _ok(["verify", str(path)], capsys) == f"{path}: ok (neutral result file, 2 datasets read)"
    digits = ROOT / "experiments/bridge/digits.h5"
    n = []
    with h5py.File(digits, "r") as f:
        f.visititems(lambda name, obj: n.append(name) if isinstance(obj, h5py.Dataset) else None)
    assert _ok(["verify", str(digits)], capsys) == \
        f"{digits}: ok (bridge result file, {len(n)} datasets read)"


def test_a_flipped_byte_in_a_chunk_fails(run_file, tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(run_file.read_bytes())
    with h5py.File(bad, "r") as f:
        info = f["loss"].id.get_chunk_info(2)          # generation 2's losses
    data = bytearray(bad.read_bytes())
    data[info.byte_offset + 3] ^= 0x10
    bad.write_bytes(bytes(data))
    with RunFile.open(bad) as rf:                       # opens (read-only, unverified) ...
        assert rf.generations_done == 4
    err = _fails(["verify", str(bad)], capsys)          # ... but does not verify
    assert str(bad) in err and "corrupt" in err and "loss" in err


def test_unusable_files_fail_with_one_line(tmp_path, capsys):
    missing = tmp_path / "missing.h5"
    assert "does not exist" in _fails(["verify", str(missing)], capsys)
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5")
    assert "not a readable HDF5 file" in _fails(["verify", str(text)], capsys)
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = np.zeros(3)
    assert "not an alife run or result file" in _fails(["verify", str(foreign)], capsys)


def test_a_truncated_result_file_fails(tmp_path, capsys):
    path = write_results(tmp_path / "net.h5", "neutral", {}, {"a/x": np.arange(100_000)})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    err = _fails(["verify", str(path)], capsys)
    assert str(path) in err


def test_verify_file_is_the_library_call(run_file):
    assert verify_file(run_file).startswith("run file, 4 generations")
