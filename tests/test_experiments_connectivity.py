"""The connectivity experiment runs end to end in its quick mode (< 1 minute),
and a run killed in its pairs stage resumes to the same results."""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from alife.neutral.pathfile import read_path_file
from alife.store import RunFileError, progress_key, read_progress

ROOT = Path(__file__).resolve().parents[1]


def _load(rel):
    spec = importlib.util.spec_from_file_location(rel.replace("/", "_"), ROOT / rel)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One uninterrupted quick run: (module, out folder, results, results.json text)."""
    exp = _load("experiments/connectivity/run.py")
    out = tmp_path_factory.mktemp("connectivity")
    res = exp.run(quick=True, out=out, executor="threads")
    return exp, out, res, (out / "results.json").read_text()


def test_connectivity_experiment_quick(quick):
    exp, tmp_path, res, _ = quick
    groups = {(r["group"], r["method"]) for r in res["table"]}
    for m in exp.METHODS:
        assert ("controls evolved", m) in groups
    assert ("answer: evolved pairs", "search") in groups
    assert ("lattice: same network", "search") in groups
    # ground truth: never a path between two exact genotype networks
    assert res["lattice_false_positives"] == 0
    for r in res["table"]:
        assert 0 <= r["k"] <= r["n"]
        lo, hi = r["wilson"]
        assert 0 <= lo <= r["k"] / r["n"] <= hi <= 1
    # every stored path re-develops step by step (checked inside the run)
    assert all(s["all_verified"] for s in res["storage"])
    assert sum(s["n_paths"] for s in res["storage"]) >= 1
    for name in res["figures"]:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "results.json").read_text())["quick"]
    assert "| controls evolved | search |" in exp.markdown(res)
    # under a minute on a quiet 2-core machine; the bound only catches blow-ups
    assert res["seconds"]["total"] < 180


def _untimed(v):
    """A results.json value without its clock readings (they differ run to run)."""
    if isinstance(v, dict):
        return {k: _untimed(x) for k, x in v.items() if "seconds" not in k}
    if isinstance(v, list):
        return [_untimed(x) for x in v]
    return v


def _chunk(path):
    base = path.with_suffix("")
    return read_progress(base, progress_key(base))


def test_connectivity_resumes_after_a_kill(quick, tmp_path, monkeypatch, capsys):
    exp, src, _, text = quick
    out = tmp_path / "moved"                    # a copied work folder resumes too
    shutil.copytree(src, out)
    jobs = out / "work" / "jobs"
    stages = {p.name.split("-")[0] for p in jobs.glob("*.partial")}
    assert stages == {"evolution", "training", "reach_evolved", "reach_trained", "pairs"}
    # a kill lost the last three chunks of the pairs stage ...
    lost = sorted(jobs.glob("pairs-*.partial"))[-3:]
    lost_ids = [i for p in lost for i in _chunk(p)["ids"]]
    lost_pairs = {r["id"] for p in lost for r in _chunk(p)["results"]}
    for p in lost:
        p.unlink()
    # ... and the rerun is killed again after one chunk of two jobs
    saved, save = [], exp.jobstore.JobStore.save

    def save_then_die(self, stage, ids, results):
        path = save(self, stage, ids, results)
        saved.extend(ids)
        if len(saved) >= 2:
            raise KeyboardInterrupt("killed")
        return path

    monkeypatch.setattr(exp.jobstore.JobStore, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        exp.run(quick=True, out=out, executor="threads", chunk=2)
    assert len(saved) == 2 and set(saved) < set(lost_ids)
    assert (out / "results.json").read_text() == text          # untouched by the killed run
    # the resumed run computes only the jobs still missing, and ends where the
    # uninterrupted run ended
    monkeypatch.setattr(exp.jobstore.JobStore, "save",
                        lambda self, stage, ids, results: saved.extend(ids) or
                        save(self, stage, ids, results))
    exp.run(quick=True, out=out, executor="threads", chunk=3)
    assert sorted(saved) == sorted(lost_ids)          # each lost job ran exactly once
    got, want = json.loads((out / "results.json").read_text()), json.loads(text)
    assert json.dumps(_untimed(got), sort_keys=True) == json.dumps(_untimed(want), sort_keys=True)
    # jobs read back are bit for bit those of the first run, clock readings included
    assert [r for r in got["pairs"] if r["id"] not in lost_pairs] == \
        [r for r in want["pairs"] if r["id"] not in lost_pairs]
    assert got["evolution"] == want["evolution"] and got["training"] == want["training"]
    for name in ("paths_evolved.h5", "paths_controls.h5"):
        (_, a), (_, b) = read_path_file(src / name), read_path_file(out / name)
        assert len(a) == len(b) and all(np.array_equal(x["path"], y["path"]) for x, y in zip(a, b))
    # a damaged file, and the files of another run, are refused in one line naming the file
    bad = sorted(jobs.glob("training-*.partial"))[0]
    data = bytearray(bad.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(RunFileError, match=bad.name):
        exp.run(quick=True, out=out, executor="threads")
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        exp.main(["--quick", "--out", str(out), "--executor", "threads", "--seed", "1"])
    msg = capsys.readouterr().err.strip()
    assert e.value.code == 2 and msg.count("\n") == 0 and "evolution-00000.partial" in msg
    assert "other seed" in msg and "--force" in msg
    assert json.loads((out / "results.json").read_text()) == got    # nothing overwritten
