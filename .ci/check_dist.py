"""Build the sdist and wheel, install the wheel where torch is absent, run the examples elsewhere.

What a user gets from ``pip install alife-neutral``, checked end to end
(``make check-dist``; CI runs it after the test suite):

1. ``python -m build`` makes the sdist and, from the sdist, the wheel, in
   isolated build environments, as the package index would.
2. The wheel carries every module, the example files and the license, under
   the distribution name ``alife-neutral`` and the version ``alife.__version__``;
   torch is required only by extras.
3. A clean virtual environment gets the wheel (pinned by constraints.txt)
   and no torch.
4. From an unrelated temporary folder: ``alife --help``; ``alife evolve smoke``;
   ``alife show``; ``alife neutral smoke``; ``alife report`` (which leaves out
   the hostname); ``alife bridge digits`` must refuse in one line, naming the
   ``bridge`` extra.
5. The run file the wheel wrote equals, dataset by dataset (timings aside),
   the one this checkout writes for the same example.

Exit status 0 when every check holds; otherwise the first failure, with the
output of the command that failed.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import venv
import zipfile
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import alife  # noqa: E402
from alife import examples  # noqa: E402

T0 = time.perf_counter()


def say(msg: str) -> None:
    print(f"[check-dist {time.perf_counter() - T0:5.0f} s] {msg}", flush=True)


def run(cmd, *, cwd=None, env=None, expect=0) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != expect:
        sys.exit(f"check-dist: `{' '.join(map(str, cmd))}` exited {r.returncode}, expected {expect}"
                 f"\n--- stdout\n{r.stdout[-3000:]}\n--- stderr\n{r.stderr[-3000:]}")
    return r


def check(ok: bool, what: str) -> None:
    if not ok:
        sys.exit(f"check-dist: {what}")


def build(dist: Path) -> Path:
    say("python -m build (sdist, then the wheel from the sdist)")
    run([sys.executable, "-m", "build", "--outdir", dist, ROOT])
    wheels = list(dist.glob("*.whl"))
    check(len(wheels) == 1 and len(list(dist.glob("*.tar.gz"))) == 1, f"expected one wheel and "
          f"one sdist in {dist}, got {sorted(p.name for p in dist.iterdir())}")
    wheel, version = wheels[0], alife.__version__
    check(wheel.name == f"alife_neutral-{version}-py3-none-any.whl", f"unexpected wheel {wheel.name}")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(f"alife_neutral-{version}.dist-info/METADATA").decode()
    shipped = [*examples.REFERENCES.values(),
               *(rel for by in examples.EXAMPLES.values() for rel in by.values())]
    missing = [rel for rel in shipped if f"alife/_examples/{rel}" not in names]
    check(not missing, f"the wheel lacks the example files {missing}")
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "alife").rglob("*.py")}
    check(modules <= names, f"the wheel lacks the modules {sorted(modules - names)}")
    check(f"alife_neutral-{version}.dist-info/licenses/LICENSE" in names, "the wheel has no LICENSE")
    torch = [line for line in meta.splitlines() if line.startswith("Requires-Dist: torch")]
    check(bool(torch) and all("extra ==" in line for line in torch),
          f"torch must be required by extras only: {torch}")
    say(f"built {wheel.name} ({wheel.stat().st_size // 1024} kB) and its sdist")
    return wheel


def install(wheel: Path, env_dir: Path) -> Path:
    say("a clean virtual environment, the wheel pinned by constraints.txt, no torch")
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", ROOT / "constraints.txt", wheel])
    r = run([py, "-c", "import importlib.util as u; print(u.find_spec('torch') is None)"])
    check(r.stdout.strip() == "True", "torch is installed in the clean environment")
    return env_dir / "bin" / "alife"


def use(cli: Path, work: Path, env: dict) -> Path:
    say(f"running the shipped examples from {work.name}/, an unrelated folder")
    help_text = run([cli, "--help"], cwd=work, env=env).stdout
    check("evolve" in help_text and "neutral" in help_text, "alife --help lists no commands")
    run([cli, "evolve", "smoke", "--out", "run.h5", "--no-progress"], cwd=work, env=env)
    check("generations:  30" in run([cli, "show", "run.h5"], cwd=work, env=env).stdout,
          "alife show does not report 30 generations")
    run([cli, "neutral", "smoke", "--out", "net.h5"], cwd=work, env=env)
    run([cli, "report", "run.h5", "-o", "run.html"], cwd=work, env=env)
    page = (work / "run.html").read_text(encoding="utf-8")
    check("Headline numbers" in page and f"<td>{socket.gethostname()}</td>" not in page,
          "the report is missing its headline or shows the hostname")
    r = run([cli, "bridge", "digits", "--out", "b.h5"], cwd=work, env=env, expect=2)
    check("alife-neutral[bridge]" in r.stderr and "Traceback" not in r.stderr,
          f"alife bridge without torch should name the extra in one line: {r.stderr!r}")
    check(not (work / "b.h5").exists(), "alife bridge wrote a file without torch")
    return work / "run.h5"


def same_run(a: Path, b: Path) -> None:
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        names = []
        fa.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        other = []
        fb.visititems(lambda n, o: other.append(n) if isinstance(o, h5py.Dataset) else None)
        check(sorted(names) == sorted(other), f"datasets differ: {sorted(names)} vs {sorted(other)}")
        for n in names:
            if n.startswith("timing/"):
                continue
            check(np.array_equal(fa[n][()], fb[n][()]), f"dataset {n} differs between the wheel's "
                  f"run and the checkout's")
        check(fa.attrs["config_toml"] == fb.attrs["config_toml"], "the stored configs differ")
    say(f"the wheel's run equals the checkout's ({len(names)} datasets, timings aside)")


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="alife-check-dist-"))
    try:
        wheel = build(tmp / "dist")
        cli = install(wheel, tmp / "venv")
        work = tmp / "elsewhere"
        work.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["NUMBA_CACHE_DIR"] = str(tmp / "numba_cache")
        run_file = use(cli, work, env)
        ref = tmp / "checkout_run.h5"
        say("the same example from this checkout")
        run([sys.executable, "-m", "alife.cli", "evolve", "smoke", "--out", ref, "--no-progress"],
            cwd=ROOT)
        same_run(run_file, ref)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say("all checks hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
