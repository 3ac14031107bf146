"""The documentation: what users read speaks to them, and the site covers the code.

Invariants protected:

* README, the docs, the experiments' pages, configs and scripts, the
  benchmarks and the package name no machine's paths, no issue numbers, no
  words about how the work was organised, and no file outside the
  repository (each failure names the file and line);
* the API reference has an entry for every name in every package's
  ``__all__`` (and no entry that does not resolve);
* the CLI reference, generated from the parser at build time, lists every
  command, argument and flag (checked on alife's parser and on a parser made
  up here, so a generator that ignored its input would fail);
* every experiment with a RESULTS.md becomes a results page whose links all
  land on a page or file the site publishes;
* every gallery figure is shown with a caption that names its command;
* every tutorial executes (its small version) from start to end.

The site itself is built with warnings as errors by ``make docs`` (CI runs
it after the tests).
"""
from __future__ import annotations

import argparse
import importlib
import posixpath
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "hooks"))

import cli_reference  # noqa: E402
import griffe_rst  # noqa: E402
import results_pages  # noqa: E402
import tutorials  # noqa: E402

# --------------------------------------------------------------- users' language
#: What users read: text, configs, and the code whose docstrings and comments
#: the API reference and ``help()`` show.
SCANNED = ("README.md", "CHANGELOG.md", "CITATION.cff", "mkdocs.yml", "docs/**/*.md",
           "docs/**/*.py", "docs/**/*.js", "experiments/**/*.md", "experiments/**/*.toml",
           "experiments/**/*.py", "analysis/**/*.md", "analysis/**/*.py", "benchmarks/**/*.py",
           "benchmarks/**/*.md", "alife/**/*.py")

#: (pattern, what is wrong).  A machine path is an absolute path under a
#: well-known root followed by a name (``/tmp/x``, ``/work/...``); relative
#: paths (``out/tmp/x``), ``~/...`` and ``$HOME/...`` are not machine paths.
RULES = [
    (re.compile(r"(?<![\w.~$])/(?:work|tmp|root|home|Users|opt|mnt|scratch)/[\w.$-]"),
     "a path of one machine; use a relative folder such as out/NAME"),
    (re.compile(r"\bissues?\s*(?:#\s*\d+\b|\d+\b|\"[^\"]*\")", re.IGNORECASE),
     "an issue reference; say what the thing is instead"),
    (re.compile(r"\.\./shared\b"), "a reference to a folder outside the repository"),
    (re.compile(r"\bDESIGN\.md\b"), "a reference to a design file outside the repository; "
                                    "point to the documentation (docs/) instead"),
    (re.compile(r"\b(?:the lead(?:'s)?|this session|the brief)\b", re.IGNORECASE),
     "words about how the work was organised"),
    (re.compile(r"\b(?:min|minutes?|hours?)[ -]budget\b", re.IGNORECASE),
     "a time budget of the work; give measured times instead"),
]


def _allowed(path: Path, line: str, rule: int) -> bool:
    """Code that creates temporary folders programmatically may name /tmp."""
    return rule == 0 and path.suffix == ".py" and "tempfile." in line


def _violations(path: Path, text: str) -> list[str]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        for i, (pattern, why) in enumerate(RULES):
            m = pattern.search(line)
            if m and not _allowed(path, line, i):
                out.append(f"{path.relative_to(ROOT)}:{n}: {m.group(0)!r}: {why}")
    return out


def test_what_users_read_has_no_machine_paths_issue_numbers_or_outside_references():
    hits, scanned = [], 0
    for pattern in SCANNED:
        for path in sorted(ROOT.glob(pattern)):
            if ".venv" in path.parts or "__pycache__" in path.parts:
                continue
            scanned += 1
            hits += _violations(path, path.read_text(encoding="utf-8"))
    assert scanned > 100          # the globs found the repository
    assert not hits, "\n".join(hits)


@pytest.mark.parametrize("text, rule", [
    ("python run.py --work /tmp/hnca_pairs_work", 0),
    ("Genonets input file: /work/genonets-env/lib/input.csv", 0),
    ("see /home/user/data", 0),
    ("Targets (issue 5), all met", 1),
    ("# The digits experiment (issue \"bridge\"): 3 pairs", 1),
    ("fixed in issue #12", 1),
    ("See `../shared/notes.md` for the design.", 2),
    ("(DESIGN.md, \"Bridge to ML\")", 3),
    ("written by the lead after running quick", 4),
    ("(this session; before, the walk missed it)", 4),
    ("about 8 minutes, against the 15-minute budget", 5),
    ("so it does not fit the ≈ 20 min budget", 5),
])
def test_each_rule_catches_what_it_is_for(text, rule):
    hits = _violations(ROOT / "README.md", text)
    assert len(hits) == 1 and RULES[rule][1] in hits[0], hits
    assert hits[0].startswith("README.md:1: ")          # file and line named


@pytest.mark.parametrize("text", [
    "write into out/tmp/x or ~/work/x or $HOME/tmp/x",
    "the issue of robustness; the issues here are open questions",
    "an evaluation budget of 100 000; node budgets",
    "the leading edge of the wave; a brief note",
    "tmp_path / 'run.h5'",
])
def test_ordinary_words_are_not_flagged(text):
    assert _violations(ROOT / "README.md", text) == []


def test_code_that_makes_temp_dirs_may_name_tmp():
    code = 'work = tempfile.mkdtemp(dir="/tmp/alife")'
    assert _violations(ROOT / "alife" / "x.py", code) == []
    assert _violations(ROOT / "docs" / "x.md", code) != []      # not in prose


# ------------------------------------------------------------------ API reference
PACKAGES = ("nca", "tasks", "evolve", "gpmap", "neutral", "bridge", "store", "parallel", "config",
            "sweep", "figures")
_DIRECTIVE = re.compile(r"^::: ([\w.]+)\s*$", re.M)
_TABLE_ROW = re.compile(r"^\| `(\w+)` \| `([^`]+)` \|", re.M)


def _resolve(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(dotted)


@pytest.mark.parametrize("package", PACKAGES)
def test_the_api_reference_has_every_public_name(package):
    if package == "bridge":
        pytest.importorskip("torch")
    module = importlib.import_module(f"alife.{package}")
    page = (DOCS / "api" / f"{package}.md").read_text(encoding="utf-8")
    directives = _DIRECTIVE.findall(page)
    rows = dict(_TABLE_ROW.findall(page))
    documented = {}
    for dotted in directives:
        documented.setdefault(dotted.rsplit(".", 1)[1], []).append(_resolve(dotted))  # resolves
    missing = []
    for name in module.__all__:
        value = getattr(module, name)
        if any(obj is value for obj in documented.get(name, [])):
            continue
        if name in rows and rows[name] == repr(value):       # a constant in a table, value checked
            continue
        missing.append(name)
    assert not missing, f"docs/api/{package}.md has no entry for alife.{package}.{missing}"
    assert f"::: alife.{package}\n" in page                  # the package's own docstring


def test_every_api_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for package in PACKAGES:
        assert f"api/{package}.md" in nav
    assert sorted(p.stem for p in (DOCS / "api").glob("*.md")) == sorted(PACKAGES + ("index",))


def test_docstrings_are_rewritten_from_rest_to_markdown():
    text = ("Uses :func:`~alife.neutral.exhaustive` and :class:`GPMap`\n"
            "(:mod:`text <alife.gpmap>`).  Public surface::\n\n    x = 1\n\n"
            "=====  =====\na      b\n=====  =====\n\nExample\n-------\n>>> 1\n1")
    out = griffe_rst.rewrite(text)
    assert "Uses `exhaustive` and `GPMap`\n(`text`).  Public surface:\n" in out
    assert "```text\n=====  =====\na      b\n=====  =====\n```" in out
    assert "Examples\n--------\n>>> 1" in out
    assert griffe_rst.rewrite("no roles here") == "no roles here"


# ------------------------------------------------------------------ CLI reference
def _sections(markdown: str) -> dict:
    """Heading text (without backticks) -> the section's text."""
    parts = re.split(r"^#{2,4} `([^`]+)`$", markdown, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def _check_reference(parser: argparse.ArgumentParser, markdown: str, prefix: str):
    sections = _sections(markdown)
    assert prefix in sections, prefix
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if sub.prog.split()[-1] == name:           # aliases share a section
                    _check_reference(sub, markdown, f"{prefix} {name}")
            continue
        text = sections[prefix]
        for flag in action.option_strings or [action.metavar or action.dest]:
            assert f"`{flag}" in text, (prefix, flag)
        for choice in action.choices or ():
            assert f"`{choice}`" in text, (prefix, choice)


def test_the_cli_reference_lists_every_command_and_flag():
    from alife.cli import build_parser
    parser = build_parser()
    markdown = cli_reference.cli_markdown(parser)
    _check_reference(parser, markdown, "alife")
    assert markdown == cli_reference.cli_markdown()          # the default is alife's parser


def test_the_cli_reference_follows_the_parser_it_is_given():
    p = argparse.ArgumentParser(prog="tool", description="A made-up tool.")
    p.add_argument("--version", action="version", version="1")
    sub = p.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", aliases=["r"], help="run it | fast")
    run.add_argument("target", help="what to run")
    run.add_argument("-o", "--out", required=True, metavar="FILE", help="where, %(metavar)s")
    run.add_argument("--mode", choices=["a", "b"], default="a", help="mode (default %(default)s)")
    group = run.add_mutually_exclusive_group()
    group.add_argument("--quiet", action="store_true", help="say nothing")
    group.add_argument("--loud", action="store_true", help="say more")
    nested = sub.add_parser("db", help="the database").add_subparsers(dest="what")
    nested.add_parser("init", help="create it").add_argument("--force", action="store_true")
    markdown = cli_reference.cli_markdown(p)
    _check_reference(p, markdown, "tool")
    sections = _sections(markdown)
    assert set(sections) == {"tool", "tool run", "tool db", "tool db init"}   # alias listed once
    run_text = sections["tool run"]
    assert "Run it \\| fast." in run_text                        # help escaped for the table
    assert "| `-o FILE`, `--out FILE` | where, FILE |" in run_text
    assert "(default a) | `a`, `b` | `a` |" in run_text
    assert "usage: tool run [-h] -o FILE" in run_text
    assert "`--version`" in sections["tool"]


# ----------------------------------------------------------------- results pages
def test_every_experiment_with_results_has_a_page_whose_links_land():
    found = results_pages.sections(ROOT)
    names = {sec.name for sec in found}
    assert names == {p.parent.name for p in ROOT.glob("experiments/*/RESULTS.md")}
    assert {"rna", "bridge", "gecco2024", "hnca_neutral"} <= names
    published = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*") if p.is_file()}
    published.add("results/index.md")
    for sec in found:
        published |= set(sec.pages) | set(sec.files)
        assert all(path.is_file() for path in sec.files.values())
    pages = {"results/index.md": results_pages.overview(ROOT)}
    for sec in found:
        pages.update(sec.pages)
    link = re.compile(r"!?\[[^\]]*\]\(([^)\s#]+)(?:#[^)]*)?\)")
    for uri, text in pages.items():
        folder = Path(uri).parent
        for target in link.findall(text):
            if re.match(r"^[a-z]+:", target):
                continue
            resolved = posixpath.normpath(posixpath.join(folder.as_posix(), target))
            assert resolved in published, f"{uri}: link {target} -> {resolved}"
    nav = results_pages.nav(found)
    assert nav[0] == "results/index.md" and len(nav) == len(found) + 1


def test_results_pages_get_python_markdown_lists():
    text = "Targets, all met:\n- one\n  more of one\n- two\n  - nested\n\nThen text.\n* x\n"
    assert results_pages._lists(text.splitlines()) == [
        "Targets, all met:", "", "- one", "  more of one", "- two", "    - nested", "",
        "Then text.", "", "* x"]
    fenced = ["```", "text", "- not a list", "```"]
    assert results_pages._lists(fenced) == fenced


# ------------------------------------------------------------------------ gallery
def test_every_gallery_figure_is_shown_with_its_command():
    page = (DOCS / "gallery.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]+\]\(gallery/([\w.-]+\.png)\)\n\n(.+)", page)
    assert shown, "no figures on the gallery page"
    assert sorted(name for name, _ in shown) == sorted(p.name for p in DOCS.glob("gallery/*.png"))
    for name, caption in shown:
        assert caption.startswith(("`alife ", "Same")), (name, caption)


# ---------------------------------------------------------------------- tutorials
TUTORIALS = sorted((DOCS / "tutorials").glob("*.py"))


def test_the_tutorials_are_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert TUTORIALS
    for script in TUTORIALS:
        assert f"tutorials/{script.stem}.md" in nav


def test_cells_of_a_percent_script():
    text = ('"""notes"""\n# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n\n\n'
            '# %%\n\n# %% [markdown]\n# more\n# %%\nprint(x)\n')
    got = tutorials.cells(text)
    assert [(c.kind, c.source, c.line) for c in got] == [
        ("markdown", "# Title\n\ntext", 3), ("code", "x = 1", 8),
        ("markdown", "more", 14), ("code", "print(x)", 16)]


def test_a_failing_cell_stops_the_run_with_its_traceback(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("# %%\nprint('fine')\n# %%\nraise ValueError('broken cell')\n")
    with pytest.raises(tutorials.TutorialError, match=r"(?s)line 4.*broken cell"):
        tutorials.run_script(script, tmp_path / "out", timeout=120)


@pytest.mark.parametrize("script", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_the_tutorial_runs(script, tmp_path):
    if script.stem == "own_module":
        pytest.importorskip("torch")
        pytest.importorskip("sklearn")
    parts = tutorials.run_script(script, tmp_path, quick=True, timeout=300)
    code = [c for c in parts if c.kind == "code"]
    assert code and parts[0].kind == "markdown" and parts[0].source.startswith("# ")
    assert sum(bool(c.output.strip()) for c in code) >= len(code) // 2   # it shows its work
    figures = [name for c in code for name in c.figures]
    assert figures and all((tmp_path / name).is_file() for name in figures)
    page = tutorials.to_markdown(parts, script.name, script.stem)
    assert f"]({script.name})" in page and page.count("```python") == len(code)
