"""Two ``alife evolve`` on one ``--out``, started at the same instant, N times.

    python benchmarks/two_writers.py [--rounds 20] [--work DIR] [--generations 6] [--pop 16]
                                     [--force]

Each round starts two processes that import alife, wait for one byte on
stdin, and run ``alife evolve`` with two different seeds into the same
``--out``; both get their byte at once.  Expected every time: one exits 2
with a one-line "locked" refusal, the other exits 0, and the file it leaves
verifies (``alife verify``) and holds exactly the datasets of an
uninterrupted run of the winner's seed (timing excepted).  With ``--force``
both pass ``--force`` (which must never take over a live writer).  Prints
one JSON line per round and a summary; exit status 1 if any round failed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RACER = """
import sys
from alife.cli import main
import alife.evolve.runner  # noqa: F401  (everything imported before the start)
print("ready", flush=True)
sys.stdin.read(1)
sys.exit(main(sys.argv[1:]))
"""


def _config(seed: int, generations: int, pop: int) -> str:
    return f"""seed = {seed}
generations = {generations}
[model]
preset = "bielawski"
base_size = 32
steps = 30
[task]
target = "square"
[algorithm]
name = "afpo"
pop_size = {pop}
n_newcomers = 2
[mutation]
name = "resample"
"""


def _datasets(path) -> dict:
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, np.asarray(o[()]).tobytes())
                     if isinstance(o, h5py.Dataset) and not n.startswith("timing/") else None)
    return out


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    return env


def race(work: Path, seeds=(1, 2), generations: int = 6, pop: int = 16,
         force: bool = False) -> dict:
    """One round: two writers of ``work/race.h5`` released at the same instant."""
    from alife.evolve.config import loads
    from alife.evolve.runner import evolve
    from alife.store import checkpoint_path, verify_file
    work.mkdir(parents=True, exist_ok=True)
    cfgs, straight = {}, {}
    for s in seeds:
        cfgs[s] = work / f"seed{s}.toml"
        cfgs[s].write_text(_config(s, generations, pop))
        straight[s] = work / f"straight{s}.h5"
        if not straight[s].exists():
            evolve(loads(cfgs[s].read_text()), straight[s], progress=False)
    out = work / "race.h5"
    out.unlink(missing_ok=True)
    checkpoint_path(out).unlink(missing_ok=True)
    procs = [subprocess.Popen([sys.executable, "-c", RACER, "evolve", str(cfgs[s]), "--out",
                               str(out), "--no-progress"] + ["--force"] * force,
                              stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
             for s in seeds]
    for p in procs:
        assert p.stdout.readline().strip() == b"ready"
    t0 = time.perf_counter()
    for p in procs:                                   # release both at once
        p.stdin.write(b"g")
        p.stdin.flush()
    runs = []
    for s, p in zip(seeds, procs):
        o, e = p.communicate(timeout=600)
        runs.append({"seed": s, "rc": p.returncode, "err": e.decode(errors="replace"),
                     "out": o.decode(errors="replace").replace("ready\n", "", 1)})
    res = {"runs": runs, "seconds": round(time.perf_counter() - t0, 2), "verifies": False,
           "matches_straight_run": False}
    winners = [r for r in runs if r["rc"] == 0]
    if len(winners) == 1 and out.exists():
        try:
            verify_file(out)
            res["verifies"] = True
        except ValueError as e:
            res["verify_error"] = str(e)
        res["winner_seed"] = winners[0]["seed"]
        res["matches_straight_run"] = _datasets(out) == _datasets(straight[winners[0]["seed"]])
    return res


def _ok(res: dict) -> bool:
    rcs = sorted(r["rc"] for r in res["runs"])
    loser = [r for r in res["runs"] if r["rc"] == 2]
    return (rcs == [0, 2] and "locked" in loser[0]["err"] and loser[0]["err"].count("\n") == 1
            and res["verifies"] and res["matches_straight_run"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--work", help="folder (default: a temporary folder)")
    ap.add_argument("--generations", type=int, default=6)
    ap.add_argument("--pop", type=int, default=16)
    ap.add_argument("--force", action="store_true", help="both writers pass --force")
    args = ap.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="alife-writers-"))
    good, winners = 0, {}
    for i in range(args.rounds):
        res = race(work, generations=args.generations, pop=args.pop, force=args.force)
        ok = _ok(res)
        good += ok
        winners[res.get("winner_seed")] = winners.get(res.get("winner_seed"), 0) + 1
        print(json.dumps({"round": i, "ok": ok, "seconds": res["seconds"],
                          "winner_seed": res.get("winner_seed"),
                          "loser_says": [r["err"].strip() for r in res["runs"] if r["rc"]]}),
              flush=True)
    print(json.dumps({"rounds": args.rounds, "force": args.force, "ok": good,
                      "wins_by_seed": winners}))
    return 0 if good == args.rounds else 1


if __name__ == "__main__":
    sys.exit(main())
