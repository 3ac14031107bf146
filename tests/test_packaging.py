"""Installing alife anywhere: shipped examples, torch as an option, the built wheel.

Invariants protected: a bare example name means the same config from any
folder (and a path stays a path); every module outside the torch bridge
imports, and `alife evolve` / `alife neutral` run, with torch absent; the
commands that need torch say which extra to install in one line; `alife
compare` reads its shipped reference results from any folder; the sdist
builds a wheel that carries every module, the example files and the
license, under the free distribution name, at alife's one version.  The
full check (isolated build, a clean venv without torch, the examples run
from another folder) is `make check-dist`, which CI runs after the tests.
"""
from __future__ import annotations

import ast
import email
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

import alife
from alife import examples
from alife.cli import main

ROOT = Path(__file__).resolve().parents[1]

#: Modules that import torch (the `torch` / `bridge` extras); every other one must not.
TORCH_MODULES = ("alife.bridge", "alife.nca.torch_twin", "alife.gpmap.net")

#: Makes `import torch` fail as it does where torch is not installed.
NO_TORCH = textwrap.dedent("""
    import sys

    class _NoTorch:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "torch":
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NoTorch())
""")


def _env():
    env = dict(os.environ)
    env.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


# ------------------------------------------------------------------ examples
def test_example_names_mean_the_shipped_configs_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for command, name, source in (("evolve", "smoke", "smoke/evolve.toml"),
                                  ("neutral", "smoke", "smoke/neutral.toml"),
                                  ("bridge", "digits", "bridge/digits.toml")):
        path = examples.config_path(command, name)
        assert path.is_absolute() and path.is_file()
        assert path.read_bytes() == (ROOT / "experiments" / source).read_bytes()
        assert name in examples.names(command)
    (tmp_path / "smoke").write_text("seed = 1\n")          # a file of that name does not interfere
    assert examples.config_path("evolve", "smoke") != tmp_path / "smoke"
    for arg in ("./smoke", "smoke.toml", "cfg/smoke", str(tmp_path / "smoke")):
        assert examples.config_path("evolve", arg) == Path(arg)
    for key in examples.REFERENCES:
        assert examples.reference(key).is_file()


def test_an_unknown_example_is_one_line_naming_the_known_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["evolve", "smok", "--out", "r.h5"]) == 2
    err = capsys.readouterr().err.strip()
    assert "no example named 'smok'" in err and "smoke" in err and "./smok.toml" in err, err
    assert "\n" not in err and not list(tmp_path.iterdir())
    with pytest.raises(examples.ExampleError, match="examples: none"):
        examples.example("genonets", "smoke")


def test_setup_ships_exactly_the_files_alife_examples_names():
    tree = ast.parse((ROOT / "setup.py").read_text())
    shipped = next(ast.literal_eval(node.value) for node in ast.walk(tree)
                   if isinstance(node, ast.Assign)
                   and any(getattr(t, "id", None) == "SHIPPED" for t in node.targets))
    named = {rel for by_name in examples.EXAMPLES.values() for rel in by_name.values()}
    assert set(shipped) == named | set(examples.REFERENCES.values())
    assert len(shipped) == len(set(shipped))


def test_compare_reads_its_shipped_references_from_any_folder(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    assert main(["compare", str(ROOT / "experiments/bridge/digits.h5"), "--out", "table.md"]) == 0
    assert (tmp_path / "table.md").read_text() == \
        (ROOT / "experiments/bridge/comparison.md").read_text()


# ------------------------------------------------------------- without torch
def test_everything_but_the_bridge_works_without_torch(tmp_path):
    script = NO_TORCH + textwrap.dedent(f"""
        import importlib, pkgutil, alife
        from alife.cli import main

        torch_modules = {TORCH_MODULES!r}
        for m in pkgutil.walk_packages(alife.__path__, "alife."):
            if not m.name.startswith(torch_modules):
                importlib.import_module(m.name)
        assert main(["evolve", "smoke", "--out", "r.h5", "--no-progress"]) == 0
        assert main(["neutral", "smoke", "--out", "n.h5"]) == 0
        assert main(["bridge", "digits", "--out", "b.h5"]) == 2
        assert not [m for m in sys.modules if m.split(".")[0] == "torch"]
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=_env(),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]
    assert (tmp_path / "r.h5").is_file() and (tmp_path / "n.h5").is_file()
    assert not (tmp_path / "b.h5").exists()
    err = [line for line in r.stderr.splitlines() if line.startswith("alife bridge")]
    assert err == ["alife bridge: error: this needs torch, which is not installed; "
                   "pip install 'alife-neutral[bridge]'"], r.stderr[-2000:]


def test_install_hints_name_the_distribution_not_the_import_name():
    for path in (ROOT / "alife").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "pip install 'alife[" not in text and 'pip install "alife[' not in text, path


# ------------------------------------------------------------ sdist and wheel
def _source_copy(dest: Path) -> Path:
    """The files an sdist is built from (a copy, so the build writes nothing here)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.h5", "*.png", "*.egg-info")
    shutil.copytree(ROOT / "alife", dest / "alife", ignore=ignore)
    shutil.copytree(ROOT / "experiments", dest / "experiments", ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE",
                 "CHANGELOG.md", "CITATION.cff", "constraints.txt"):
        shutil.copy2(ROOT / name, dest / name)
    (dest / "docs").mkdir()
    shutil.copy2(ROOT / "docs/references.bib", dest / "docs/references.bib")
    return dest


def test_sdist_builds_a_wheel_with_every_module_the_examples_and_the_license(tmp_path):
    pytest.importorskip("build")
    src = _source_copy(tmp_path / "src")
    r = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                        str(tmp_path / "dist"), str(src)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    version = alife.__version__
    assert wheel.name == f"alife_neutral-{version}-py3-none-any.whl"
    assert sdist.name == f"alife_neutral-{version}.tar.gz"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = email.message_from_bytes(z.read(f"alife_neutral-{version}.dist-info/METADATA"))
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "alife").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    shipped = {f"alife/_examples/{rel}" for rel in
               [*examples.REFERENCES.values(),
                *(r for by in examples.EXAMPLES.values() for r in by.values())]}
    assert shipped <= names, sorted(shipped - names)
    assert f"alife_neutral-{version}.dist-info/licenses/LICENSE" in names
    assert meta["Name"] == "alife-neutral" and meta["Version"] == version
    assert meta["License-Expression"] == "MIT"
    requires = meta.get_all("Requires-Dist")
    torch_reqs = [q for q in requires if q.startswith("torch")]
    assert torch_reqs and all("extra ==" in q for q in torch_reqs), requires
    core = [q for q in requires if "extra ==" not in q]
    assert core and all(any(op in q for op in (">=", "<")) for q in core), core   # ranges

    # installed from the wheel (not the checkout), run from another folder
    target, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--no-index", "--disable-pip-version-check", "--target", str(target),
                        str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    probe = ("import alife, alife.examples as e, alife.provenance as p\n"
             "print(alife.__file__); print(e.example('evolve', 'smoke'));"
             "print(e.reference('rna_phenotypes')); print(p.git_commit())")
    env = dict(os.environ, PYTHONPATH=str(target))
    r = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    init, config, reference, commit = r.stdout.split("\n")[:4]
    assert Path(init).is_relative_to(target)
    assert Path(config) == target / "alife/_examples/smoke/evolve.toml"
    assert Path(config).read_bytes() == (ROOT / "experiments/smoke/evolve.toml").read_bytes()
    assert Path(reference).is_relative_to(target)
    assert commit == "None"       # an installed copy belongs to no checkout


# ------------------------------------------------------------ one version
def test_one_version_everywhere():
    version = alife.__version__
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" in meta["dynamic"] and "version" not in meta
    cff = (ROOT / "CITATION.cff").read_text()
    assert f'\nversion: "{version}"\n' in cff
    changelog = (ROOT / "CHANGELOG.md").read_text()
    released = [line for line in changelog.splitlines() if line.startswith("## [")
                and not line.startswith("## [Unreleased]")]
    assert released and released[0].startswith(f"## [{version}]"), released[:1]


# ------------------------------------------------------------ no machine paths
#: Text a user reads or runs (results pages excepted: their commands are being rewritten).
USER_FACING = ("README.md", "CHANGELOG.md", "CITATION.cff", "Makefile", "pyproject.toml",
               "setup.py", "constraints.txt", "docs/**/*.md", "docs/**/*.bib",
               "experiments/**/*.toml", "benchmarks/*.py", "tests/fixtures/genonets/README.md")
MACHINE_PATH = re.compile(r"(?<![\w.~$])/(?:work|tmp|root|home|Users|opt|mnt|scratch)/")


def test_no_machine_paths_in_what_users_read():
    hits = []
    for pattern in USER_FACING:
        for path in sorted(ROOT.glob(pattern)):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if MACHINE_PATH.search(line):
                    hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not hits, "\n".join(hits)
    assert MACHINE_PATH.search("python -m venv /work/genonets-env")       # the check can fail
    assert not MACHINE_PATH.search('"$GENONETS_ENV"/bin/python, alife/examples.py')


def test_the_genonets_benchmark_needs_a_reference_environment_named_by_the_user(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GENONETS_PYTHON"}
    for extra in ([], ["--genonets-python", str(tmp_path / "missing" / "python")]):
        r = subprocess.run([sys.executable, str(ROOT / "benchmarks/genonets_speed.py"), *extra,
                            "--workdir", str(tmp_path / "work")],
                           env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2, r.stderr[-2000:]
        assert "--genonets-python PATH or GENONETS_PYTHON=PATH" in r.stderr
        assert "Traceback" not in r.stderr
        assert not (tmp_path / "work").exists()       # refused before any work
