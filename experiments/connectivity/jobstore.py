"""Finished jobs of the connectivity experiment, kept on disk so a killed run resumes.

Every stage of ``run.py`` (``evolution``, ``training``, ``reach_evolved``,
``reach_trained``, ``pairs``) runs its jobs in chunks, and each chunk's
results are written as soon as the chunk returns, to one file
``WORK/jobs/STAGE-NNNNN.partial``: the progress-file format of
:mod:`alife.store.progress` (an uncompressed ``.npz`` of JSON text and
numeric arrays, read with ``allow_pickle=False``, so reading it can never
run code; written atomically; a CRC-32 over everything in it).  Arrays come
back with their exact dtype, shape and bits, floats exactly.

A file holds ``{"ids": [job id, ...], "results": [result dict, ...]}`` under
a *key*: the stage, the experiment's parameters, its seed and a hash of the
code (the sources of alife and of this experiment).  A job's *id*
(:func:`job_id`) is a hash of everything the job carries (its genomes, its
random stream, its budget ...; not where it writes its own files), so a
result is only ever given back to the same job, whatever chunk or executor
computed it.

A damaged file, or one written by a run with other parameters, seed or code,
is refused with a one-line :class:`alife.store.RunFileError` that names the
file and the fix (delete it, use a new ``--out``, or pass ``--force``).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

import alife
from alife.store import RunFileError, progress_key, read_progress, write_progress
from alife.store.plain import encode

__all__ = ["JobStore", "job_id", "code_hash"]

HERE = Path(__file__).resolve().parent
_STAGE = re.compile(r"[A-Za-z0-9_]+\Z")


def _plain_job(v):
    """A job with its SeedSequences as plain dicts (everything else unchanged)."""
    if isinstance(v, np.random.SeedSequence):
        return {"SeedSequence": [v.entropy, list(v.spawn_key), v.pool_size]}
    if isinstance(v, dict):
        return {k: _plain_job(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_plain_job(x) for x in v)
    return v


def job_id(job: dict) -> str:
    """SHA-256 (hex) of a job: its plain-data text and every array's dtype,
    shape and bytes (see :mod:`alife.store.plain`).  The file a job writes
    (``job["path"]``, inside the work folder) is left out, so a work folder
    that is moved or copied elsewhere still resumes."""
    text, arrays = encode(_plain_job({k: v for k, v in job.items() if k != "path"}))
    h = hashlib.sha256(text.encode("utf-8"))
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(json.dumps([name, a.dtype.str, list(a.shape)]).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def code_hash() -> str:
    """SHA-256 (hex) of the Python sources of alife and of this experiment."""
    h = hashlib.sha256()
    pkg = Path(alife.__file__).resolve().parent
    for root, files in ((pkg.parent, sorted(pkg.rglob("*.py"))),
                        (HERE, sorted(HERE.glob("*.py")))):
        for f in files:
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


class JobStore:
    """The saved job results of one run in ``folder`` (``WORK/jobs``).

    Parameters
    ----------
    folder : Path, created when the first chunk is saved
    run_key : dict (JSON-able) of what the results depend on besides the
        jobs themselves: parameters, seed, code hash
    """

    def __init__(self, folder, run_key: dict):
        self.folder = Path(folder)
        self.run_key = json.loads(json.dumps(run_key, sort_keys=True))
        self._next: dict[str, int] = {}

    def _key(self, stage: str) -> str:
        return json.dumps({"stage": stage, **self.run_key}, sort_keys=True,
                          separators=(",", ":"))

    def _files(self, stage: str) -> list[Path]:
        if not _STAGE.match(stage):
            raise ValueError(f"stage name {stage!r} must hold only letters, digits and _")
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob(f"{stage}-*.partial"))

    def discard(self) -> int:
        """Delete every saved chunk (``--force``); return how many."""
        files = sorted(self.folder.glob("*-*.partial")) if self.folder.is_dir() else []
        for f in files:
            f.unlink()
        return len(files)

    def load(self, stage: str) -> dict:
        """``{job id: result}`` of every saved chunk of ``stage``.

        Raises
        ------
        RunFileError
            One line naming the file: damaged, not a chunk of job results,
            or written by a run with other parameters, seed or code.
        """
        key, done, last = self._key(stage), {}, -1
        for path in self._files(stage):
            base = path.with_suffix("")
            got = progress_key(base)         # one-line RunFileError when damaged
            if got != key:
                raise RunFileError(f"{path} holds the job results of another run "
                                   f"({self._difference(got)}); use a new --out (or "
                                   f"--work), or pass --force to discard them")
            state = read_progress(base, key)
            ids, res = (state.get("ids"), state.get("results")) if isinstance(state, dict) \
                else (None, None)
            if not (isinstance(ids, list) and isinstance(res, list) and len(ids) == len(res)
                    and all(isinstance(r, dict) for r in res)):
                raise RunFileError(f"{path} is not a chunk of job results; delete it (or "
                                   f"pass --force) to compute its jobs again")
            done.update(zip(ids, res))
            m = re.search(r"-([0-9]+)\Z", base.name)
            last = max(last, int(m.group(1)) if m else last)
        self._next[stage] = last + 1
        return done

    def _difference(self, got: str) -> str:
        try:
            old = json.loads(got)
            new = json.loads(self._key(old.get("stage", "")))
            diff = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        except (ValueError, AttributeError):
            return "an unreadable key"
        return "other " + ", ".join(diff) if diff else "another key"

    def save(self, stage: str, ids: list, results: list) -> Path:
        """Write one chunk of results (atomically) and return its path."""
        if stage not in self._next:
            self.load(stage)
        n = self._next[stage]
        self._next[stage] = n + 1
        self.folder.mkdir(parents=True, exist_ok=True)
        return write_progress(self.folder / f"{stage}-{n:05d}", self._key(stage),
                              {"ids": list(ids), "results": list(results)})

