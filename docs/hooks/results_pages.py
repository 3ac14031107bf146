"""The results pages of the site, read from ``experiments/`` at build time.

Every experiment folder ``experiments/<name>/`` with a ``RESULTS.md`` becomes
the section ``results/<name>/`` of the site: ``RESULTS.md`` is its index
page, every other markdown file of the folder a page of its own
(``README.md`` as ``setup.md``, since a README would be taken for the
folder's index), and every file the pages link to (figures, tables, data)
is published beside them.  ``experiments/README.md`` is the overview page.

The pages are the files themselves, not copies: nothing is written to the
repository, and a page can never disagree with its folder.  Links between
the files are rewritten to their names in the site, and a link into
``docs/`` to that page of the site; any other link is left as it is, for
the build to check.  An experiment that ``experiments/README.md`` does not
link to is listed at the end of the overview page, so none is left out.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

#: ``[text](target)`` and ``![alt](target)``; the target has no spaces.
_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")
_FENCE = re.compile(r"^(```|~~~)")
#: A list item: its indent, then ``-``, ``*``, ``+`` or ``1.``, then a space.
_ITEM = re.compile(r"^( *)(?:[-*+]|\d+\.) ")


@dataclass
class Section:
    """One experiment's pages and files.

    Attributes
    ----------
    name : the folder name (``rna``, ``bridge``, ...)
    pages : site path (``results/<name>/...md``) -> markdown text
    files : site path -> absolute path of a file the pages link to
    title : the first heading of RESULTS.md
    """

    name: str
    title: str = ""
    pages: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)


def _page_name(md: Path) -> str:
    if md.name == "RESULTS.md":
        return "index.md"
    if md.name == "README.md":
        return "setup.md"
    return md.name


def _title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


def _lists(lines: list[str]) -> list[str]:
    """GitHub's list habits in Python-Markdown's terms (outside code fences).

    GitHub starts a list right after a paragraph line and nests items by any
    indent; Python-Markdown needs a blank line before a list and four spaces
    per nesting level.  The files stay as they are; their pages get the
    blank lines and the four-space indents.
    """
    out, in_fence, depths = [], False, []        # depths: indents of the open nesting levels
    for line in lines:
        if _FENCE.match(line.strip()):
            in_fence, depths = not in_fence, []
        elif not in_fence and (item := _ITEM.match(line)):
            depth = len(item.group(1))
            if not depths and out and out[-1].strip():
                out.append("")                   # a list right after a paragraph line
            while depths and depths[-1] > depth:
                depths.pop()
            if not depths or depths[-1] < depth:
                depths.append(depth)
            line = " " * (4 * (len(depths) - 1)) + line[depth:]
        elif not in_fence and line.strip() and not line.startswith(" "):
            depths = []                          # a paragraph line at column 0 ends the list
        out.append(line)
    return out


def _rewrite(text: str, folder: Path, root: Path, section: Section | None) -> str:
    """Rewrite the relative links of one page (outside code fences), and its lists."""
    out, in_fence = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            in_fence = not in_fence
        if not in_fence:
            line = _LINK.sub(lambda m: m.group(1) + _target(m.group(2), folder, root, section)
                             + m.group(3), line)
        out.append(line)
    return "\n".join(_lists(out)) + "\n"


def _target(target: str, folder: Path, root: Path, section: Section | None) -> str:
    """A link target of a file in ``folder``, as the page's site location sees it."""
    if re.match(r"^[a-z]+:|^#|^/", target):           # a URL, an anchor, an absolute path
        return target
    path, _, anchor = target.partition("#")
    resolved = (folder / path).resolve()
    anchor = f"#{anchor}" if anchor else ""
    experiments, docs = root / "experiments", root / "docs"
    here = "results" / folder.relative_to(experiments)      # the page's folder in the site
    site = None
    if resolved.is_relative_to(experiments):
        rel = resolved.relative_to(experiments)
        if len(rel.parts) == 2 and rel.suffix == ".md":     # a page of an experiment
            site = Path("results", rel.parts[0], _page_name(resolved))
        elif section is not None and resolved.is_file() and len(rel.parts) >= 2:
            section.files[f"results/{rel.as_posix()}"] = resolved
            site = Path("results", rel)
    elif resolved.is_relative_to(docs):                     # a page or file of the site itself
        site = resolved.relative_to(docs)
    if site is None:
        return target
    return Path(os.path.relpath(site, here)).as_posix() + anchor


def sections(root: Path) -> list[Section]:
    """Every experiment folder of ``root/experiments`` with a RESULTS.md, by name."""
    root = Path(root).resolve()
    out = []
    for results in sorted((root / "experiments").glob("*/RESULTS.md")):
        folder = results.parent
        sec = Section(folder.name)
        for md in sorted(folder.glob("*.md")):
            text = md.read_text(encoding="utf-8")
            if md.name == "RESULTS.md":
                sec.title = _title(text, folder.name)
            sec.pages[f"results/{folder.name}/{_page_name(md)}"] = _rewrite(text, folder, root, sec)
        out.append(sec)
    return out


def overview(root: Path) -> str:
    """The overview page: ``experiments/README.md`` with its links rewritten,
    and a link to every experiment with results that it does not link to."""
    root = Path(root).resolve()
    readme = root / "experiments" / "README.md"
    text = readme.read_text(encoding="utf-8")
    missing = [sec for sec in sections(root) if f"({sec.name}/RESULTS.md" not in text]
    if missing:
        text = text.rstrip("\n") + "\n\nAlso here:\n\n" + "".join(
            f"- [{sec.title}]({sec.name}/RESULTS.md)\n" for sec in missing)
    return _rewrite(text, readme.parent, root, None)


def nav(found: list[Section]) -> list:
    """The Results part of the site's navigation."""
    items: list = ["results/index.md"]
    for sec in found:
        pages = [f"results/{sec.name}/index.md"] + sorted(
            p for p in sec.pages if not p.endswith("/index.md"))
        items.append({sec.name: pages})
    return items
