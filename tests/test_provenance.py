"""alife.provenance: git commit without git, versions, nothing identifying in what files record.

Invariants protected: ``git_commit`` equals ``git rev-parse HEAD`` for loose
and packed refs, detached heads and linked work trees, also with no ``git``
on PATH; it is None outside a work tree, on an unborn branch, for a corrupt
HEAD and inside an installed environment; ``recorded`` holds versions and the
commit and no hostname or path.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import alife
from alife import provenance

ROOT = Path(__file__).resolve().parents[1]
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is needed to make the test repositories")


def _git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run([GIT, "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A repository with two commits on branch main and a file in a subfolder."""
    r = tmp_path / "repo"
    (r / "pkg" / "sub").mkdir(parents=True)
    _git(r, "init", "-q", "-b", "main")
    (r / "pkg" / "sub" / "a.txt").write_text("1")
    _git(r, "add", ".")
    _git(r, "commit", "-q", "-m", "one")
    (r / "pkg" / "sub" / "a.txt").write_text("2")
    _git(r, "commit", "-q", "-am", "two")
    return r


@needs_git
def test_git_commit_matches_git_for_loose_packed_detached_and_linked_work_trees(repo, tmp_path):
    inner = repo / "pkg" / "sub"
    head = _git(repo, "rev-parse", "HEAD")
    assert provenance.git_commit(inner) == head == provenance.git_commit(inner / "a.txt")
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert provenance.git_commit(inner) == head                       # from packed-refs
    first = _git(repo, "rev-parse", "HEAD~1")
    _git(repo, "checkout", "-q", "--detach", first)
    assert provenance.git_commit(repo) == first                       # detached HEAD
    _git(repo, "checkout", "-q", "main")
    linked = tmp_path / "linked"
    _git(repo, "worktree", "add", "-q", "-b", "side", str(linked), first)
    assert (linked / ".git").is_file()
    assert provenance.git_commit(linked / "pkg") == first == _git(linked, "rev-parse", "HEAD")
    assert provenance.git_commit(repo) == head


@needs_git
def test_git_commit_needs_no_git_executable(repo):
    code = ("import sys; from alife.provenance import git_commit; "
            f"print(git_commit({str(repo / 'pkg')!r}))")
    env = dict(os.environ, PATH="", PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == _git(repo, "rev-parse", "HEAD")


def test_git_commit_is_none_where_there_is_no_commit_to_name(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    if not any((p / ".git").exists() for p in (plain, *plain.parents)):
        assert provenance.git_commit(plain) is None                   # no work tree
    unborn = tmp_path / "unborn"
    (unborn / ".git" / "refs" / "heads").mkdir(parents=True)
    (unborn / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert provenance.git_commit(unborn) is None                      # branch without commits
    (unborn / ".git" / "HEAD").write_text("not a ref\n")
    assert provenance.git_commit(unborn) is None                      # corrupt HEAD
    (unborn / ".git" / "HEAD").write_text("ref: ../../../etc/passwd\n")
    assert provenance.git_commit(unborn) is None                      # no escaping the repo
    dangling = tmp_path / "dangling"
    dangling.mkdir()
    (dangling / ".git").write_text("gitdir: /nonexistent/worktrees/x\n")
    assert provenance.git_commit(dangling) is None                    # a .git file to nowhere


@needs_git
def test_an_installed_copy_inside_a_repository_belongs_to_no_checkout(repo):
    site = repo / ".venv" / "lib" / "python3.11" / "site-packages" / "alife"
    site.mkdir(parents=True)
    assert provenance.git_commit(repo) is not None
    assert provenance.git_commit(site) is None


def test_the_running_alife_reports_its_own_checkout():
    package = Path(alife.__file__).resolve().parent
    if GIT is None or not (package.parent / ".git").exists():
        assert provenance.git_commit() is None or len(provenance.git_commit()) in (40, 64)
        return
    expected = subprocess.run([GIT, "-C", str(package), "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
    assert provenance.git_commit() == expected


def test_what_files_record_names_versions_and_commit_but_no_host_or_path():
    rec = provenance.recorded()
    json.dumps(rec)                                                   # JSON-able
    assert rec["versions"]["alife"] == alife.__version__
    assert rec["versions"]["numpy"] != "not installed"
    assert rec["git_commit"] == provenance.git_commit()
    text = json.dumps(rec)
    assert socket.gethostname() not in text.split('"')
    assert sys.executable not in text and str(Path.home()) not in text
    now = provenance.current()
    assert now["machine"]["hostname"] == socket.gethostname()         # reports have it, withheld
    assert now["git_commit"] == rec["git_commit"]


def test_run_and_result_files_record_what_wrote_them(tmp_path):
    """Every file the store creates says which versions and commit wrote it,
    under a checksum, and nothing that identifies the machine."""
    import numpy as np

    from alife.store import RunFile, RunFileError, read_results, write_results
    run = RunFile.create(tmp_path / "run.h5", "seed = 0\n", 1)
    made = run.provenance
    run.close()
    assert made == json.loads(json.dumps(provenance.recorded(), sort_keys=True))
    assert made["versions"]["alife"] == alife.__version__
    text = json.dumps(made)
    assert socket.gethostname() not in text and sys.executable not in text
    write_results(tmp_path / "r.h5", "demo", {"x": 1}, {"a": np.arange(3)})
    attrs, _ = read_results(tmp_path / "r.h5", "demo")
    assert json.loads(attrs["provenance"]) == made
    import h5py
    with h5py.File(tmp_path / "run.h5", "r+") as f:            # a flipped provenance is caught
        f["run"].attrs["provenance"] = text.replace("alife", "alifx")
    with RunFile.open(tmp_path / "run.h5") as rf, pytest.raises(RunFileError, match="provenance"):
        rf.provenance
