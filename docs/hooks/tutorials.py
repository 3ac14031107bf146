"""Run a tutorial script cell by cell and render it as a documentation page.

Tutorials are Python scripts in jupytext's *percent* format: ``# %%`` starts
a code cell, ``# %% [markdown]`` a text cell whose lines are comments.  The
same file runs as a script (``python docs/tutorials/x.py``), opens as a
notebook in Jupyter with jupytext, and is executed here:

* :func:`cells` splits a script into cells;
* :func:`execute` runs the code cells in order in one namespace, in the
  current process, capturing each cell's printed output and saving every
  matplotlib figure it leaves open as a PNG;
* :func:`run_script` does that in a fresh Python process (the site build and
  the tests use it, so a tutorial's imports, threads and warnings never leak
  into the caller) and returns the cells with their outputs;
* :func:`to_markdown` writes the page: text cells as they are, code cells as
  highlighted blocks followed by their output and figures.

A cell that raises stops the run: :func:`run_script` raises
:class:`TutorialError` with the traceback, and the site build fails.

Command line (what :func:`run_script` calls)::

    python docs/hooks/tutorials.py SCRIPT OUT_DIR     # writes OUT_DIR/cells.json and PNGs
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

#: Environment variable that makes every tutorial run its small version.
QUICK_ENV = "ALIFE_TUTORIAL_QUICK"

_MARKER = re.compile(r"^# %%(?P<rest>.*)$")


class TutorialError(RuntimeError):
    """A tutorial cell raised, or the tutorial process failed."""


@dataclass
class Cell:
    """One cell of a percent-format script.

    Attributes
    ----------
    kind : ``"code"`` or ``"markdown"``
    source : the cell's text (markdown without the leading ``# ``)
    line : 1-based line of the script where the cell's text starts
    output : what the cell printed (code cells, after :func:`execute`)
    figures : file names of the PNGs the cell drew
    """

    kind: str
    source: str
    line: int
    output: str = ""
    figures: list = field(default_factory=list)


def _strip_comment(line: str) -> str:
    if line.startswith("# "):
        return line[2:]
    return "" if line.strip() == "#" else line


def cells(text: str) -> list[Cell]:
    """Split a percent-format script into cells (empty cells dropped).

    Text before the first ``# %%`` marker (a module docstring, a jupytext
    header) is dropped too, so a script may start with its own notes.
    """
    out: list[Cell] = []
    kind, start, body = None, 0, []

    def close():
        if kind is None:
            return
        lines = [_strip_comment(b) for b in body] if kind == "markdown" else list(body)
        skipped = 0
        while lines and not lines[0].strip():
            lines, skipped = lines[1:], skipped + 1
        source = "\n".join(lines).rstrip()
        if source:
            out.append(Cell(kind, source, start + skipped))

    for n, line in enumerate(text.splitlines(), 1):
        m = _MARKER.match(line)
        if m:
            close()
            kind = "markdown" if "[markdown]" in m.group("rest") else "code"
            start, body = n + 1, []
        else:
            body.append(line)
    close()
    return out


def execute(path: Path, out_dir: Path) -> list[Cell]:
    """Run the code cells of ``path`` in order, in this process.

    Each cell is compiled with the script's file name and its own line
    numbers, so a traceback points into the script.  Figures left open by a
    cell are saved to ``out_dir`` (``cell<i>_<k>.png``) and closed.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    warnings.filterwarnings("error", module=r"alife(\.|$)")   # alife's own warnings fail the run
    path, out_dir = Path(path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = cells(path.read_text(encoding="utf-8"))
    namespace = {"__name__": "__main__", "__file__": str(path)}
    for i, cell in enumerate(parts):
        if cell.kind != "code":
            continue
        code = compile("\n" * (cell.line - 1) + cell.source, str(path), "exec")
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(code, namespace)
        cell.output = buffer.getvalue()
        for k, num in enumerate(plt.get_fignums()):
            name = f"cell{i}_{k}.png"
            plt.figure(num).savefig(out_dir / name, dpi=100, bbox_inches="tight")
            cell.figures.append(name)
        plt.close("all")
    return parts


def run_script(path, out_dir, *, quick: bool = False, timeout: float = 600) -> list[Cell]:
    """Execute a tutorial in a fresh Python process; its cells with outputs.

    Parameters
    ----------
    path : the tutorial script
    out_dir : folder for ``cells.json`` and the figures
    quick : set ``ALIFE_TUTORIAL_QUICK=1`` (the tutorial's small version)
    timeout : seconds before the run is stopped

    Raises
    ------
    TutorialError
        A cell raised (the message holds the traceback) or the process failed.
    """
    path, out_dir = Path(path).resolve(), Path(out_dir)
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop(QUICK_ENV, None)
    if quick:
        env[QUICK_ENV] = "1"
    try:
        r = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(path), str(out_dir)],
                           env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TutorialError(f"{path.name}: still running after {timeout:.0f} s") from None
    if r.returncode != 0:
        raise TutorialError(f"{path.name} failed:\n{r.stderr[-6000:]}")
    data = json.loads((out_dir / "cells.json").read_text(encoding="utf-8"))
    return [Cell(**c) for c in data]


def _fence(text: str, lang: str) -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}"


def to_markdown(parts: list[Cell], script_name: str, figure_folder: str) -> str:
    """The page of a tutorial: its text, code, outputs and figures.

    ``figure_folder`` is where the figures lie relative to the page's source.
    """
    out = []
    for n, cell in enumerate(parts):
        if cell.kind == "markdown":
            out.append(cell.source)
            if n == 0:
                out.append(f"*Run it yourself:* download [`{script_name}`]({script_name}) "
                           f"and run it as a script, or open it as a notebook with jupytext.")
            continue
        out.append(_fence(cell.source, "python"))
        if cell.output.strip():
            out.append(_fence(cell.output, "text"))
        for name in cell.figures:
            out.append(f"![figure drawn by the cell above]({figure_folder}/{name})")
    return "\n\n".join(out) + "\n"


def _main(argv) -> int:
    if len(argv) != 2:
        print("usage: python tutorials.py SCRIPT OUT_DIR", file=sys.stderr)
        return 2
    script, out_dir = Path(argv[0]), Path(argv[1])
    sys.path.insert(0, str(script.resolve().parent))
    try:
        parts = execute(script, out_dir)
    except Exception:
        traceback.print_exc()
        return 1
    (out_dir / "cells.json").write_text(json.dumps([c.__dict__ for c in parts]), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
