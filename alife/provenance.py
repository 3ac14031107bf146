"""What software and machine are running now: package versions, git commit, host facts.

Two audiences:

* :func:`recorded` is what a result file should store: the alife version,
  the versions of the packages it runs on, the git commit of alife's source
  when it runs from a git checkout, the Python version and the platform.
  Nothing that identifies a machine or a person (no hostname, no paths), so
  result files can be shared as they are.
* :func:`current` adds the time and the host (hostname, CPU count,
  executable): :mod:`alife.report` shows it as "Generated this report",
  leaving the hostname and executable out unless asked.

Versions are read from the installed distributions' metadata, so nothing
heavy (torch) is imported.  :func:`git_commit` reads the repository's files
itself, so it needs no ``git`` executable.
"""
from __future__ import annotations

import os
import platform
import re
import socket
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from . import __version__

#: Distributions whose versions are reported (absent ones are "not installed").
PACKAGES = ("numpy", "numba", "h5py", "scipy", "networkx", "matplotlib", "torch")

_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")    # SHA-1, or SHA-256 repositories


def package_versions(packages=PACKAGES) -> dict[str, str]:
    """``{"python": ..., "alife": ..., name: version or "not installed"}``."""
    out = {"python": platform.python_version(), "alife": __version__}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _git_dir(worktree: Path) -> Path | None:
    """The git directory of a work tree: ``.git`` itself, or where a ``.git``
    file points (linked work trees, submodules)."""
    dot = worktree / ".git"
    if dot.is_dir():
        return dot
    text = _read(dot) if dot.is_file() else None
    if text and text.startswith("gitdir:"):
        target = Path(text[len("gitdir:"):].strip())
        target = target if target.is_absolute() else worktree / target
        return target if target.is_dir() else None
    return None


def _resolve_ref(git_dir: Path, common: Path, ref: str) -> str | None:
    """The commit a ref (``refs/heads/main``) names: loose ref file, then packed-refs."""
    if ".." in ref.split("/"):
        return None
    for base in (git_dir, common):
        sha = _read(base / ref)
        if sha is not None:
            return sha if _SHA.fullmatch(sha) else None
    packed = _read(common / "packed-refs") or ""
    for line in packed.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == ref and _SHA.fullmatch(parts[0]):
            return parts[0]
    return None


def git_commit(path=None) -> str | None:
    """The commit checked out in the git work tree that holds ``path``.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A file or folder; default alife's own package folder, so the answer
        is the commit of the alife source that is running.

    Returns
    -------
    str or None
        The full hexadecimal commit id (40 characters; 64 in a SHA-256
        repository), or None when ``path`` is not inside a git work tree,
        lies inside an installed environment (``site-packages``: an
        installed wheel belongs to no checkout, even if the environment sits
        inside one), the branch has no commit yet, or the repository cannot
        be read.  Never raises.

    Notes
    -----
    Reads ``.git/HEAD``, the ref it names and ``packed-refs`` directly, so no
    ``git`` executable is needed; linked work trees (``git worktree``) are
    followed through their ``.git`` file and ``commondir``.  Uncommitted
    changes are not detected.
    """
    try:
        start = Path(path if path is not None else Path(__file__).parent).resolve()
        if {"site-packages", "dist-packages"} & set(start.parts):
            return None
        for folder in (start, *start.parents):
            if (folder / ".git").exists():
                git_dir = _git_dir(folder)
                break
        else:
            return None
        if git_dir is None:
            return None
        common_rel = _read(git_dir / "commondir")
        common = (git_dir / common_rel).resolve() if common_rel else git_dir
        head = _read(git_dir / "HEAD")
        if head is None:
            return None
        if head.startswith("ref:"):
            return _resolve_ref(git_dir, common, head[len("ref:"):].strip())
        return head if _SHA.fullmatch(head) else None
    except (OSError, ValueError, RuntimeError):
        return None


def recorded() -> dict[str, object]:
    """What a result file records about the software that wrote it (JSON-able).

    ``{"versions": package_versions(), "git_commit": str or None,
    "platform": platform string}``: no hostname, executable or other path.
    """
    return {"versions": package_versions(), "git_commit": git_commit(),
            "platform": platform.platform()}


def machine() -> dict[str, object]:
    """Platform string, CPU count, hostname, Python implementation and executable."""
    return {"platform": platform.platform(), "machine": platform.machine(),
            "cpu_count": os.cpu_count(), "hostname": socket.gethostname(),
            "python_implementation": platform.python_implementation(),
            "python_executable": sys.executable}


def current() -> dict[str, object]:
    """The time (UTC, ISO 8601), package versions, git commit and machine: a JSON-able dict."""
    return {"time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": package_versions(), "git_commit": git_commit(),
            "machine": machine()}
