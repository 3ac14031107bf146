"""MkDocs hooks of the alife site: the pages made at build time.

* ``reference/cli.md`` — written from :func:`alife.cli.build_parser`
  (:mod:`cli_reference`), so the CLI reference never drifts from the parser;
* ``results/...`` — every ``experiments/*/RESULTS.md`` and its figures,
  read from the experiment folders (:mod:`results_pages`); the Results part
  of the navigation lists whatever experiments exist;
* ``tutorials/<name>.md`` — every ``docs/tutorials/*.py`` executed cell by
  cell, with its printed output and figures (:mod:`tutorials`); set
  ``ALIFE_TUTORIAL_QUICK=1`` for their small versions;
* ``assets/mathjax/tex-svg-full.js`` — MathJax, served from the site itself
  (no CDN), taken from the ``django-static-mathjax`` wheel of the ``docs``
  extra (MathJax's files only; it needs no Django).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cli_reference
import results_pages
import tutorials
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = ROOT / "docs" / "tutorials"
MATHJAX_URI = "assets/mathjax/tex-svg-full.js"

#: Executed tutorials of this process, keyed by (script, its mtime, quick): ``mkdocs
#: serve`` rebuilds on every edit and reruns only the tutorials that changed.
_RUNS: dict = {}
_WORK = Path(tempfile.mkdtemp(prefix="alife-docs-"))


def on_config(config):
    """Fill the Results section of the navigation with the experiments found."""
    found = results_pages.sections(ROOT)
    for i, item in enumerate(config["nav"] or []):
        if isinstance(item, dict) and "Results" in item:
            config["nav"][i] = {"Results": results_pages.nav(found)}
    return config


def _mathjax() -> Path:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or spec.origin is None:
        raise PluginError("MathJax is missing: pip install -c constraints.txt '.[docs]' "
                          "(or run make docs)")
    path = Path(spec.origin).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"
    if not path.is_file():
        raise PluginError(f"the installed mathjax package has no {path.name}; "
                          "reinstall the docs extra")
    return path


def _run_tutorial(script: Path, quick: bool):
    key = (script.name, script.stat().st_mtime_ns, quick)
    if key not in _RUNS:
        out = _WORK / f"{script.stem}-{len(_RUNS)}"
        try:
            parts = tutorials.run_script(script, out, quick=quick)
        except tutorials.TutorialError as e:
            raise PluginError(f"tutorial {script.name}: {e}") from None
        _RUNS[key] = (parts, out)
    return _RUNS[key]


def _tutorial_files(config) -> list[File]:
    scripts = sorted(TUTORIALS.glob("*.py"))
    quick = os.environ.get(tutorials.QUICK_ENV) == "1"
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda s: _run_tutorial(s, quick), scripts))
    files = []
    for script, (parts, out) in zip(scripts, runs):
        page = tutorials.to_markdown(parts, script.name, script.stem)
        files.append(File.generated(config, f"tutorials/{script.stem}.md", content=page))
        for cell in parts:
            for name in cell.figures:
                files.append(File.generated(config, f"tutorials/{script.stem}/{name}",
                                            abs_src_path=str(out / name)))
    return files


def on_files(files, config):
    """Add the generated pages and files."""
    new = [File.generated(config, "reference/cli.md", content=cli_reference.cli_markdown()),
           File.generated(config, "results/index.md", content=results_pages.overview(ROOT)),
           File.generated(config, MATHJAX_URI, abs_src_path=str(_mathjax()))]
    for sec in results_pages.sections(ROOT):
        new += [File.generated(config, uri, content=text) for uri, text in sec.pages.items()]
        new += [File.generated(config, uri, abs_src_path=str(path))
                for uri, path in sorted(sec.files.items())]
    new += _tutorial_files(config)
    for f in new:
        files.append(f)
    return files


def on_shutdown():
    shutil.rmtree(_WORK, ignore_errors=True)
