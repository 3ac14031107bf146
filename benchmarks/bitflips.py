"""Random single bit flips in real result files: clean error, or the same output.

    python benchmarks/bitflips.py [--flips 200] [--seed 0] [--work DIR] [--kinds run,net,bridge]

Builds three small real files with the smoke configs (``alife evolve
experiments/smoke/evolve.toml``, ``alife neutral experiments/smoke/neutral.toml``,
``alife bridge experiments/smoke/bridge.toml``), then, for each file, flips
one random bit (seeded) in a copy, ``--flips`` times, and runs the commands
that read that kind of file on the damaged copy:

=========  ==============================================
RUN.h5     ``alife show``, ``alife report``
NET.h5     ``alife report``
BRIDGE.h5  ``alife compare`` (the committed RNA/HNCA rows), ``alife report``
=========  ==============================================

Each command's outcome is classified against its output on the undamaged
file: ``error`` (exit 2 with one line on stderr, no traceback),
``identical`` (exit 0, the same stdout and the same written file; the
report's generation time is masked), ``SILENT CHANGE`` (exit 0 and a
different output: the failure this benchmark exists to find) or ``crash``
(any other exit: a traceback, a signal, a timeout).  A flip counts as silent
if any of its commands changed silently.  Every command runs in a forked
child of one process that imported alife once (a crash of the HDF5 library
cannot take the benchmark down); the counts are printed as JSON and every
flip's outcome is written to ``WORK/bitflips.json``.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "experiments" / "smoke"
#: file kind -> (build command, commands run on a damaged copy {F}: the file, {O}: an output)
KINDS = {
    "run": (["evolve", str(SMOKE / "evolve.toml"), "--out", "{F}", "--no-progress"],
            {"show": ["show", "{F}"],
             "report": ["report", "{F}", "-o", "{O}.html", "--force"]}),
    "net": (["neutral", str(SMOKE / "neutral.toml"), "--out", "{F}"],
            {"report": ["report", "{F}", "-o", "{O}.html", "--force"]}),
    "bridge": (["bridge", str(SMOKE / "bridge.toml"), "--out", "{F}", "--no-progress"],
               {"compare": ["compare", "{F}", "--out", "{O}.md", "--force"],
                "report": ["report", "{F}", "-o", "{O}.html", "--force"]}),
}
_TIME_ROW = re.compile(r"<tr><th>time \(UTC\)</th><td>[^<]*</td></tr>")


def _fill(argv, f, o):
    return [a.replace("{F}", str(f)).replace("{O}", str(o)) for a in argv]


def _run_forked(argv, workdir: Path, timeout: float = 300.0) -> dict:
    """Run ``alife argv`` in a forked child; its exit status, stdout, stderr."""
    out_p, err_p = workdir / "stdout.txt", workdir / "stderr.txt"
    pid = os.fork()
    if pid == 0:                                        # the child
        code = 70
        try:
            fo = os.open(out_p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            fe = os.open(err_p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fo, 1)
            os.dup2(fe, 2)
            sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True)
            sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), write_through=True)
            from alife.cli import main
            code = main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code if isinstance(code, int) else 1)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"rc": "timeout", "out": "", "err": ""}
        time.sleep(0.01)
    rc = os.waitstatus_to_exitcode(status)
    return {"rc": rc, "out": out_p.read_text(errors="replace"),
            "err": err_p.read_text(errors="replace")}


def _output(result: dict, written: Path | None) -> tuple[str, str]:
    text = written.read_text(errors="replace") if written is not None and written.exists() else ""
    return result["out"], _TIME_ROW.sub("", text)


def _classify(result: dict, written: Path | None, baseline: tuple[str, str]) -> str:
    rc, err = result["rc"], result["err"].strip()
    if rc == 2 and err.count("\n") == 0 and "Traceback" not in err and ": error: " in err:
        return "error"
    if rc == 0:
        return "identical" if _output(result, written) == baseline else "SILENT CHANGE"
    return "crash"


def _written(argv) -> Path | None:
    for flag in ("-o", "--out"):
        if flag in argv:
            return Path(argv[argv.index(flag) + 1])
    return None


def run_kind(kind: str, work: Path, flips: int, rng: random.Random) -> dict:
    """Build the file of ``kind`` and damage it ``flips`` times."""
    build, commands = KINDS[kind]
    good = work / f"{kind}.h5"
    if not good.exists():
        r = _run_forked(_fill(build, good, work / "unused"), work, timeout=900)
        if r["rc"] != 0:
            raise SystemExit(f"building {good} failed: {r['err'][-2000:]}")
    damaged = work / "damaged.h5"          # one name for every flip: outputs that print it agree
    shutil.copyfile(good, damaged)
    baselines = {}
    for name, argv in commands.items():
        argv = _fill(argv, damaged, work / f"out_{name}")
        r = _run_forked(argv, work)
        if r["rc"] != 0:
            raise SystemExit(f"alife {' '.join(argv)} fails on the undamaged file: {r['err']}")
        baselines[name] = _output(r, _written(argv))
    data = good.read_bytes()
    rows, counts = [], {}
    for i in range(flips):
        pos, bit = rng.randrange(len(data)), rng.randrange(8)
        b = bytearray(data)
        b[pos] ^= 1 << bit
        damaged.write_bytes(bytes(b))
        row = {"flip": i, "byte": pos, "bit": bit}
        for name, argv in commands.items():
            argv = _fill(argv, damaged, work / f"out_{name}")
            written = _written(argv)
            if written is not None:
                written.unlink(missing_ok=True)
            r = _run_forked(argv, work)
            row[name] = _classify(r, written, baselines[name])
            if row[name] != "identical":
                row[name + "_stderr"] = r["err"].strip()[-300:]
            counts.setdefault(name, {}).setdefault(row[name], 0)
            counts[name][row[name]] += 1
        row["silent"] = any(row[n] == "SILENT CHANGE" for n in commands)
        rows.append(row)
    flips_silent = sum(r["silent"] for r in rows)
    return {"file": str(good), "bytes": len(data), "flips": flips, "commands": counts,
            "flips_with_a_silent_change": flips_silent, "rows": rows}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--flips", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", help="folder for the files (default: a temporary folder)")
    ap.add_argument("--kinds", default="run,net,bridge")
    args = ap.parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="alife-bitflips-"))
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(ROOT)                       # compare's default inputs are repository paths
    # imported once here, so that each forked child starts at once (nothing
    # here starts a thread: the children run Numba and torch themselves)
    import alife.bridge.compare, alife.bridge.plots, alife.cli, alife.evolve.plots  # noqa: F401
    import alife.neutral.plots, alife.report  # noqa: F401
    report = {}
    for kind in args.kinds.split(","):
        t0 = time.perf_counter()
        res = run_kind(kind, work, args.flips, random.Random(f"{args.seed}-{kind}"))
        res["seconds"] = round(time.perf_counter() - t0, 1)
        report[kind] = res
        print(json.dumps({kind: {k: v for k, v in res.items() if k != "rows"}}), flush=True)
    (work / "bitflips.json").write_text(json.dumps(report, indent=1))
    silent = sum(r["flips_with_a_silent_change"] for r in report.values())
    print(f"{silent} flip(s) with a silent change; details in {work / 'bitflips.json'}")
    return 1 if silent else 0


if __name__ == "__main__":
    sys.exit(main())
