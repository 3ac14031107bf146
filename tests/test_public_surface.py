"""The notebook surface of alife's packages: every exported name exists, none
is private, and the examples in the package docstrings run."""
from __future__ import annotations

import doctest
import importlib

import pytest


PACKAGES = ["alife.gpmap", "alife.neutral", "alife.nca", "alife.evolve", "alife.tasks",
            "alife.store", "alife.parallel", "alife.config", "alife.bridge"]


@pytest.mark.parametrize("package", PACKAGES)
def test_exports_exist_and_are_public(package):
    if package == "alife.bridge":
        pytest.importorskip("torch")
    mod = importlib.import_module(package)
    assert mod.__all__ and len(set(mod.__all__)) == len(mod.__all__)
    for name in mod.__all__:
        assert not name.startswith("_"), name
        assert getattr(mod, name) is not None, name


@pytest.mark.parametrize("package", ["alife.gpmap", "alife.neutral"])
def test_docstring_examples_run(package):
    mod = importlib.import_module(package)
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0


def test_neutral_surface_names_what_a_notebook_needs():
    import alife.neutral as n
    for name in ("exhaustive", "sample_bfs", "neutral_walks", "neutral_path", "staircase_path",
                 "genotype_robustness", "phenotype_measures", "sampled_measures", "run_genonets"):
        assert name in n.__all__, name
    import alife.gpmap as g
    for name in ("make", "MAPS", "register", "DiscreteSpace", "HNCAMap", "RNAMap", "TableMap",
                 "CountMap"):
        assert name in g.__all__ and getattr(g, name) is not None, name


def _code_block(doc: str) -> str:
    """The first ``::`` literal block of a docstring, dedented."""
    import textwrap
    head, _, rest = doc.partition("::\n")
    lines = []
    for line in rest.splitlines()[1:]:
        if line and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines))


def test_bridge_docstring_example_runs():
    """The package example trains two MLPs, puts a line between them and reads its barrier."""
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    import alife.bridge as bridge
    ns: dict = {}
    exec(compile(_code_block(bridge.__doc__), "alife.bridge example", "exec"), ns)
    barrier = ns["profile"]["test_error_barrier"]
    assert isinstance(barrier, float) and 0.0 <= barrier <= 1.0
    assert ns["profile"]["test_error"].shape == (61,)
