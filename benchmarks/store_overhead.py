"""What the store's integrity checks cost per generation of evolution.

    python benchmarks/store_overhead.py [--pop 500] [--rounds 7] [--gens 12] [--no-fsync] [--json]

Runs a few generations of AFPO on the Bielawski preset at population
``--pop`` (the default executor), keeps the arguments of one generation's
store work (:func:`alife.evolve.runner._save`: new phenotypes, the
generation's rows with their Fletcher-32 and CRC-32, two flushes and fsyncs,
the checkpoint written atomically; the run writes in line, so that its
generation time includes the store work as the shares below assume), then
times that store work on fresh run files, ``--gens`` generations per file, in two modes that alternate inside
every round (the machine's speed drifts):

``checks``     the store as it is: the run id and the generation's CRC in
               the checkpoint, the checkpoint's own CRC-32, the state
               checksum rewritten with the generation count;
``no checks``  the same calls with those three turned off (what the store
               did before them).

Each round gives each mode the median over its generations; the medians
over rounds, their difference and that difference as a share of a whole
generation (the run's median wall time per generation) are printed, with
the one-off cost of taking and releasing the output lock.  ``--no-fsync``
turns every fsync off (run file and checkpoint), leaving the CPU part of the
store work, where the checks' share is largest.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from alife.evolve import runner
from alife.evolve.config import loads
from alife.store import RunFile, atomic, checkpoint, output_lock, runfile


def _config(pop: int, generations: int):
    return loads(f"""
seed = 1
generations = {generations}
[model]
preset = "bielawski"
[task]
target = "square"
[algorithm]
name = "afpo"
pop_size = {pop}
n_newcomers = 2
[mutation]
name = "resample"
""")


def _capture(pop: int, work: Path) -> tuple[dict, float]:
    """The record (:func:`alife.evolve.runner._record`) a late generation's
    ``_save`` wrote and the run's median seconds per generation."""
    seen = []
    orig = runner._save

    def spy(*args):
        seen.append(args)
        return orig(*args)
    runner._save = spy
    try:
        runner.evolve(_config(pop, 6), work / "source.h5", progress=False, force=True,
                      background_writes=False)
    finally:
        runner._save = orig
    with RunFile.open(work / "source.h5") as rf:
        eps = rf.read("evals_per_s")[1:]          # generation 0 has no previous writes
    return seen[-1][3], float(np.median(pop / eps))


@contextlib.contextmanager
def _without_checks():
    """The store before the run-id/CRC checks: no state checksum, no
    checkpoint CRC, no run id or generation CRC in the checkpoint."""
    orig_state, orig_crc, orig_write = (runfile.RunFile._set_state, checkpoint._entries_crc,
                                        runner.write_checkpoint)
    orig_gen_crc = runfile.RunFile.generation_checksum

    def set_state(self, status, g):
        a = self._f.attrs
        if a["status"] != status:
            a["status"] = status
        a.modify("last_complete_generation", np.int64(g))

    def write_ckpt(path, g, arrays, rng_state, **_):
        return orig_write(path, g, arrays, rng_state)
    runfile.RunFile._set_state = set_state
    checkpoint._entries_crc = lambda entries: 0
    runner.write_checkpoint = write_ckpt
    runfile.RunFile.generation_checksum = lambda self, g: None
    try:
        yield
    finally:
        runfile.RunFile.generation_checksum = orig_gen_crc
        runfile.RunFile._set_state = orig_state
        checkpoint._entries_crc = orig_crc
        runner.write_checkpoint = orig_write


def _time_saves(rec: dict, path: Path, gens: int, fsync: bool = True) -> float:
    """Median seconds of ``_save`` over ``gens`` generations of a fresh file."""
    with RunFile.create(path, "bench", 1, force=True, fsync=fsync) as run:
        rid = run.run_id
        times = []
        for g in range(gens):
            t = time.perf_counter()
            runner._save(run, path, rid, dict(rec, g=g))
            times.append(time.perf_counter() - t)
    return statistics.median(times[1:])      # generation 0 creates the datasets


def _best(f, reps: int = 200) -> float:
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def _parts(rec: dict, path: Path) -> dict:
    """Each new check's own cost, best of 200 (free of scheduling noise)."""
    arrays = dict(rec["arrays"])
    arrays.update(rec["extras"])
    entries = {k: np.asarray(v) for k, v in arrays.items()}
    with RunFile.create(path, "bench", 1, force=True, fsync=False) as run:
        runner._save(run, path, run.run_id, dict(rec, g=0))
        g = run.last_complete_generation
        return {"checkpoint_crc32": round(_best(lambda: checkpoint._entries_crc(entries)), 7),
                "state_checksum_update": round(_best(lambda: run._set_state("running", g)), 7),
                "generation_crc_lookup": round(_best(lambda: run.generation_checksum(g)), 7),
                "run_id_read": round(_best(lambda: run.run_id), 7)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pop", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--gens", type=int, default=12)
    ap.add_argument("--no-fsync", action="store_true", help="time the CPU part only")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="alife-store-"))
    save_args, generation_s = _capture(args.pop, work)
    if args.no_fsync:
        atomic.fsync_path = lambda path, directory=False: None
    modes = {"checks": [], "no checks": []}
    for r in range(args.rounds):
        order = list(modes) if r % 2 == 0 else list(reversed(modes))
        for mode in order:
            ctx = _without_checks() if mode == "no checks" else contextlib.nullcontext()
            with ctx:
                modes[mode].append(_time_saves(save_args, work / "bench.h5", args.gens,
                                               fsync=not args.no_fsync))
    t = time.perf_counter()
    for _ in range(20):
        with output_lock(work / "locked.h5"):
            pass
    lock_s = (time.perf_counter() - t) / 20
    parts = _parts(save_args, work / "parts.h5")
    med = {m: statistics.median(v) for m, v in modes.items()}
    extra = med["checks"] - med["no checks"]
    out = {"pop": args.pop, "fsync": not args.no_fsync, "generation_s": round(generation_s, 4),
           "store_s": {m: round(v, 5) for m, v in med.items()},
           "per_round_s": {m: [round(x, 5) for x in v] for m, v in modes.items()},
           "checks_extra_s": round(extra, 6),
           "checks_share_of_generation": round(extra / generation_s, 5),
           "store_share_of_generation": round(med["checks"] / generation_s, 4),
           "lock_take_and_release_s_once_per_run": round(lock_s, 6),
           "checks_parts_best_of_200_s": parts,
           "checks_parts_share_of_generation": round(sum(parts.values()) / generation_s, 6)}
    print(json.dumps(out, indent=None if args.json else 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
