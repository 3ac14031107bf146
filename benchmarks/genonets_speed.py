"""Time genonets 2.0 against alife's ``run_genonets`` on one big input.

Generates (deterministically, ``tests/fixtures/genonets/make_inputs.py``) a
genonets input with >= 100,000 genotypes (DNA, L=10, 4 genotype sets), then
runs, on the same file:

* genonets 2.0 as its documented script, in a reference environment of
  your own (``tests/fixtures/genonets/README.md`` shows how to make one):
  ``python -m genonets.sample.minimal --alphabet=DNA --input-file=F --tau=0
  --output-path=D``, with the Python of that environment given by
  ``--genonets-python PATH`` or the ``GENONETS_PYTHON`` environment variable
  (required: without it the benchmark stops with a message saying so);
* ``alife.neutral.genonets.run_genonets`` in a fresh Python process (so the
  time includes imports and loading the Numba cache);

prints each one's wall-clock and CPU seconds and peak memory (the largest
resident set of that process alone), the ratios and the machine's load
average before and after, and (with ``--check``) compares every output file
as the parity tests do.  ``--alife-only`` times alife alone (no reference
environment needed), e.g. on larger inputs to see how time grows with size.

Usage::

    python benchmarks/genonets_speed.py --genonets-python ENV/bin/python \
        [--rows 100000] [--indels] [--json] [--check]
    python benchmarks/genonets_speed.py --alife-only --rows 2200000   # ~10**6 genotypes
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _timed(cmd, *, env=None, cwd=None) -> dict:
    """Run ``cmd`` to completion; its wall and CPU seconds, peak memory and output.

    The peak memory is the child's largest resident set (``ru_maxrss`` of
    ``wait4``, which covers that process alone), in MiB.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"seconds": wall, "cpu_seconds": ru.ru_utime + ru.ru_stime,
                "peak_mib": ru.ru_maxrss / 1024.0, "returncode": p.returncode,
                "stdout": out.read().decode(errors="replace"),
                "stderr": err.read().decode(errors="replace")}


def _genonets_python(ap: argparse.ArgumentParser, given: str | None) -> Path:
    """The reference environment's Python, or exit 2 with a message saying how to give one."""
    how = ("give the Python of a genonets 2.0 environment with --genonets-python PATH or "
           "GENONETS_PYTHON=PATH (tests/fixtures/genonets/README.md shows how to make one)")
    if not given:
        ap.error(f"no genonets 2.0 environment: {how}")
    path = Path(given)
    if not path.is_file() or not os.access(path, os.X_OK):
        ap.error(f"{path} is not an executable Python; {how}")
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="genotypes in the input (>= 100000)")
    ap.add_argument("--indels", action="store_true", help="also pass --include-indels")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--check", action="store_true", help="compare the two outputs file by file")
    ap.add_argument("--workdir", default=None, help="keep inputs/outputs here (default: a temp dir)")
    ap.add_argument("--alife-only", action="store_true",
                    help="time alife alone (no reference environment needed; no ratios, no --check)")
    ap.add_argument("--genonets-python", default=os.environ.get("GENONETS_PYTHON"), metavar="PATH",
                    help="the Python of a genonets 2.0 environment (default: $GENONETS_PYTHON)")
    args = ap.parse_args(argv)
    genonets_py = None if args.alife_only else _genonets_python(ap, args.genonets_python)

    gen = _load(ROOT / "tests" / "fixtures" / "genonets" / "make_inputs.py", "make_inputs")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="genonets_speed_"))
    work.mkdir(parents=True, exist_ok=True)
    gen.main([str(work), "--big", str(args.rows)])
    inp = work / "big_input.tsv"
    with open(inp) as f:
        next(f)
        genos = [line.split("\t")[2] for line in f]
    n_rows, n_genotypes = len(genos), len(set(genos))
    if n_genotypes < 100_000 and not args.alife_only:
        sys.exit(f"only {n_genotypes} distinct genotypes; raise --rows")
    out_g, out_a = work / "genonets_out", work / "alife_out"
    flags = ["--include-indels"] if args.indels else []
    result = {"rows": n_rows, "genotypes": n_genotypes, "alphabet": "DNA", "L": 10, "tau": 0.0, "indels": args.indels}

    code = ("import sys, time; t = time.perf_counter();"
            "from alife.neutral.genonets import run_genonets;"
            f"run_genonets({str(inp)!r}, 'DNA', 0.0, {str(out_a)!r}, include_indels={args.indels}, force=True);"
            "print(time.perf_counter() - t)")
    env = dict(os.environ)
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    # warm the Numba cache on a tiny input so the timed run measures the analysis, not compilation
    tiny = work / "tiny.tsv"
    tiny.write_text("Genotypeset\tDelta\tGenotype\tScore\nA\t0.1\tAC\t0.5\nA\t0.1\tAG\t0.4\nA\t0.1\tGG\t0.3\n"
                    "B\t0.1\tCC\t0.5\nB\t0.1\tCA\t0.4\nB\t0.1\tAA\t0.6\n")
    subprocess.run([sys.executable, "-c", code.replace(str(inp), str(tiny)).replace(str(out_a), str(work / "tiny_out"))],
                   check=True, env=env, cwd=ROOT, capture_output=True)
    result["load_before"] = [round(x, 2) for x in os.getloadavg()]
    ours = _timed([sys.executable, "-c", code], env=env, cwd=ROOT)
    if ours["returncode"] != 0:
        sys.exit(f"alife failed:\n{ours['stderr'][-2000:]}")
    for k in ("seconds", "cpu_seconds", "peak_mib"):
        result[f"alife_{k}"] = ours[k]
    if genonets_py is not None:
        ref = _timed([str(genonets_py), "-m", "genonets.sample.minimal", "--alphabet=DNA", *flags,
                      f"--input-file={inp}", "--tau=0", f"--output-path={out_g}"], cwd=work)
        if ref["returncode"] != 0:
            sys.exit(f"genonets failed:\n{ref['stderr'][-2000:]}")
        for k in ("seconds", "cpu_seconds", "peak_mib"):
            result[f"genonets_{k}"] = ref[k]
        result["speedup"] = result["genonets_seconds"] / result["alife_seconds"]
        result["cpu_speedup"] = result["genonets_cpu_seconds"] / result["alife_cpu_seconds"]
        result["memory_ratio"] = result["alife_peak_mib"] / result["genonets_peak_mib"]
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.check and genonets_py is not None:
        sys.path.insert(0, str(ROOT / "tests"))
        from test_genonets import compare_dirs
        compare_dirs(out_a, out_g)
        result["parity"] = "all files equal"

    if args.json:
        print(json.dumps(result))
    else:
        print(f"input: {n_rows} rows, {n_genotypes} distinct genotypes (DNA, L=10, 4 sets)"
              f"{' with indels' if args.indels else ''}")
        if genonets_py is not None:
            print(f"genonets 2.0: {result['genonets_seconds']:.2f} s wall, "
                  f"{result['genonets_cpu_seconds']:.2f} s CPU, {result['genonets_peak_mib']:.0f} MiB peak")
        print(f"alife:        {result['alife_seconds']:.2f} s wall, {result['alife_cpu_seconds']:.2f} s CPU, "
              f"{result['alife_peak_mib']:.0f} MiB peak")
        if genonets_py is not None:
            print(f"speedup:      {result['speedup']:.1f}x wall, {result['cpu_speedup']:.1f}x CPU; "
                  f"alife's peak memory {100 * result['memory_ratio']:.0f}% of genonets'")
        print(f"load average: {result['load_before']} before, {result['load_after']} after")
        if result.get("parity"):
            print("parity:      ", result["parity"])


if __name__ == "__main__":
    main()
