"""A Griffe extension: alife's reStructuredText habits, shown as Markdown.

alife's docstrings are numpydoc, written to read well in a terminal
(``help()``) and with Sphinx conventions.  The API reference renders them
as Markdown, so before rendering this extension rewrites, in every
docstring:

* Sphinx roles — ``:func:`~alife.x.f``` becomes ```f```, ``:class:`A```
  becomes ```A``` (a code span, as the name reads in the text);
* reST simple tables (rows between ``====  ====`` borders) — kept as they
  are, inside a plain-text block, so their columns stay aligned;
* the ``::`` that introduces a literal block — becomes ``:`` (the indented
  block after it is a code block in Markdown too);
* a numpydoc ``Example`` section — becomes ``Examples``, the section name
  whose ``>>>`` lines are rendered as code.

Nothing else changes: the docstrings themselves stay as they are in the code.
"""
from __future__ import annotations

import re

try:
    import griffe
except ImportError:          # without the docs extra, rewrite() still works (the tests use it)
    griffe = None

_ROLE = re.compile(r":(?:py:)?(?:func|meth|class|mod|attr|data|obj|exc|const|term):`(~?)([^`]+)`")
_BORDER = re.compile(r"^\s*=+(?:\s+=+)+\s*$")
_EXAMPLE = re.compile(r"^([ \t]*)Example\n[ \t]*-------[ \t]*$", re.M)


def _role(m: re.Match) -> str:
    tilde, target = m.group(1), m.group(2).strip()
    if "<" in target and target.endswith(">"):       # :func:`text <target>`
        target = target[:target.index("<")].strip()
    elif tilde:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def _tables(lines: list[str]) -> list[str]:
    """Fence every reST simple table; a border followed by a blank line ends one."""
    out, inside = [], False
    for i, line in enumerate(lines):
        border = bool(_BORDER.match(line))
        if border and not inside:
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}```text")
            inside = True
            out.append(line)
            continue
        out.append(line)
        if border and inside:
            after = lines[i + 1] if i + 1 < len(lines) else ""
            if not after.strip():
                out.append(f"{indent}```")
                inside = False
    if inside:
        out.append("```")
    return out


def rewrite(text: str) -> str:
    """The docstring ``text`` with roles, tables and ``::`` made Markdown."""
    text = _ROLE.sub(_role, text)
    text = _EXAMPLE.sub(lambda m: f"{m.group(1)}Examples\n{m.group(1)}--------", text)
    lines = []
    for line in text.split("\n"):
        stripped = line.rstrip()
        if stripped.endswith("::") and stripped.strip() != "::" and not stripped.endswith(":::"):
            line = stripped[:-1]
        elif stripped.strip() == "::":
            line = ""
        lines.append(line)
    return "\n".join(_tables(lines))


if griffe is not None:
    class RstToMarkdown(griffe.Extension):
        """Rewrite every docstring with :func:`rewrite` once the tree is built."""

        def on_object(self, *, obj, **kwargs) -> None:
            if obj.docstring is not None:
                obj.docstring.value = rewrite(obj.docstring.value)
