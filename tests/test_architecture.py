"""The import graph of alife: data flows one way, and nothing private crosses a package.

Every module of the package is parsed with :mod:`ast` (module-level imports
*and* imports inside functions, which run later but still tie the packages
together), and each import becomes an edge between *units*: the
subpackages (``nca``, ``evolve``, ``neutral``, ``gpmap``, ``bridge``,
``store``, ``config``, ``parallel``) and the top-level modules (``tasks``,
``task_config``, ``report``, ``cli``, ``demo``, ``provenance``, ``figures``, ``_numba``;
``alife`` itself for ``alife/__init__.py``).

What is protected here:

* no import cycle between units (the message names the cycle and the import
  lines that close it);
* the floors: :mod:`alife.config` and :mod:`alife.figures` import nothing
  from alife, and :mod:`alife.store` nothing but the package version, so
  every other package can use them;
* no module imports a private name (a leading underscore) from another unit,
  nor a private module of another subpackage.  ``alife._numba`` sits at the
  top of the package and is private to alife as a whole, so every unit may
  import it.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "alife"

#: Private names imported across units that are allowed for now, as
#: (importing module, imported module, name).  Keep it empty: a name another
#: package needs is public.
ALLOWED_PRIVATE: set[tuple[str, str, str]] = set()


@dataclass(frozen=True)
class Import:
    """One import statement's target, as found in a module."""
    module: str          # importing module, e.g. "alife.evolve.runner"
    target: str          # imported module, e.g. "alife.store"
    name: str | None     # the imported name when it is not a module ("RunFile")
    where: str           # "alife/evolve/runner.py:29"


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def unit(module: str) -> str:
    """The unit a module belongs to: ``alife.evolve.runner`` -> ``evolve``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports(mods: dict[str, Path]) -> list[Import]:
    """Every import of an alife module, anywhere in every module's code."""
    root = PACKAGE.parent
    out = []
    for module, path in mods.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                out += [Import(module, a.name, None, where) for a in node.names
                        if a.name.split(".")[0] == "alife"]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "alife":
                    continue
                for a in node.names:
                    sub = f"{target}.{a.name}"
                    out.append(Import(module, sub, None, where) if sub in mods
                               else Import(module, target, a.name, where))
    return out


def unit_graph(found: list[Import]) -> dict[str, dict[str, Import]]:
    """unit -> {imported unit: the first import that makes the edge}."""
    graph: dict[str, dict[str, Import]] = {}
    for imp in found:
        a, b = unit(imp.module), unit(imp.target)
        graph.setdefault(a, {})
        graph.setdefault(b, {})
        if a != b:
            graph[a].setdefault(b, imp)
    return graph


def find_cycle(graph: dict[str, dict]) -> list[str] | None:
    """A shortest cycle ``[a, b, ..., a]`` of a directed graph, or None."""
    best = None
    for start in sorted(graph):
        prev, frontier, last = {}, [start], None      # breadth first from start
        while frontier and last is None:
            nxt = []
            for u in frontier:
                succ = sorted(graph.get(u, {}))
                if start in succ:
                    last = u
                    break
                for v in succ:
                    if v not in prev:
                        prev[v] = u
                        nxt.append(v)
            frontier = nxt
        if last is not None:
            path = [last]
            while path[-1] != start:
                path.append(prev[path[-1]])
            cycle = path[::-1] + [start]
            if best is None or len(cycle) < len(best):
                best = cycle
    return best


def describe_cycle(cycle: list[str], graph: dict[str, dict[str, Import]]) -> str:
    """``a -> b -> a (alife/a/x.py:3 imports alife.b; ...)``."""
    steps = "; ".join(f"{graph[a][b].where} imports {graph[a][b].target}"
                      + (f".{graph[a][b].name}" if graph[a][b].name else "")
                      for a, b in zip(cycle, cycle[1:]))
    return f"{' -> '.join(cycle)} ({steps})"


def private_imports(found: list[Import]) -> list[Import]:
    """Imports of a private name or a private module that belongs to another unit."""
    bad = []
    for imp in found:
        parts = imp.target.split(".")
        for i, part in enumerate(parts[1:], start=1):
            if part.startswith("_") and not part.startswith("__"):
                owner = parts[:i]                    # the package the private module is in
                if len(owner) > 1 and unit(imp.module) != owner[1]:
                    bad.append(imp)
                break
        else:
            name = imp.name or ""
            if (name.startswith("_") and not name.startswith("__")
                    and unit(imp.module) != unit(imp.target)
                    and (imp.module, imp.target, name) not in ALLOWED_PRIVATE):
                bad.append(imp)
    return bad


@pytest.fixture(scope="module")
def found() -> list[Import]:
    return imports(modules())


# --------------------------------------------------------------------------- the graph
def test_the_parser_sees_every_kind_of_import(found):
    """Module-level, relative and function-level imports all become edges."""
    edges = {(i.module, i.target, i.name) for i in found}
    assert ("alife.evolve.runner", "alife.store", "RunFile") in edges          # module level
    assert ("alife.cli", "alife.evolve.config", "load_config") in edges        # inside a function
    assert ("alife.store.runfile", "alife.store.phenotypes", None) in edges    # a submodule
    graph = unit_graph(found)
    assert {"config", "nca", "evolve", "neutral", "gpmap", "bridge", "store", "parallel",
            "tasks", "cli", "report"} <= set(graph)


def test_no_import_cycle_between_units(found):
    graph = unit_graph(found)
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle between alife's packages: {describe_cycle(cycle, graph)}"


def test_the_cycle_finder_names_a_cycle():
    imp = lambda m, t: Import(m, t, None, f"{m}.py:1")   # noqa: E731
    graph = unit_graph([imp("alife.a.x", "alife.b.y"), imp("alife.b.y", "alife.c"),
                        imp("alife.c", "alife.a"), imp("alife.c", "alife.d")])
    cycle = find_cycle(graph)
    assert cycle == ["a", "b", "c", "a"]
    assert describe_cycle(cycle, graph).startswith("a -> b -> c -> a (alife.a.x.py:1 imports alife.b.y")
    assert find_cycle(unit_graph([imp("alife.a", "alife.b"), imp("alife.b", "alife.c")])) is None


@pytest.mark.parametrize("floor, may_import", [
    ("config", set()),            # the strict-TOML toolkit: nothing of alife
    ("store", {"alife", "provenance"}),   # files on disk: the version and what wrote them
    ("figures", set()),           # formats, layout and keys of every figure: nothing of alife
])
def test_the_floors_import_nothing_above_them(found, floor, may_import):
    graph = unit_graph(found)
    above = {u: imp.where for u, imp in graph[floor].items() if u not in may_import}
    assert not above, f"alife.{floor} must not import {sorted(above)}: {above}"


# --------------------------------------------------------------------------- private names
def test_no_private_name_crosses_a_package(found):
    bad = private_imports(found)
    assert not bad, "private names imported across packages (make them public): " + "; ".join(
        f"{i.where} imports {i.target}{'.' + i.name if i.name else ''}" for i in bad)


def test_the_private_check_can_fail():
    imp = lambda m, t, n=None: Import(m, t, n, "x.py:1")   # noqa: E731
    assert private_imports([imp("alife.neutral.config", "alife.config", "_check_kind"),
                            imp("alife.nca.kernels", "alife.parallel._worker")]) != []
    assert private_imports([imp("alife.nca.kernels", "alife._numba", "CAN_CACHE"),
                            imp("alife.neutral.build", "alife.neutral._genonets_kernels"),
                            imp("alife.store.runfile", "alife.store.layout", "_x"),
                            imp("alife.store.runfile", "alife", "__version__")]) == []
