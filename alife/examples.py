"""Example configs and reference results that ship with alife, found by name.

The commands that read a config accept, instead of a file, the name of an
example, so they run the same from any folder and from an installed wheel::

    alife evolve smoke --out run.h5        # 100 Bielawski HNCAs, 30 generations, AFPO
    alife neutral smoke --out net.h5       # neutral networks of two random HNCAs
    alife bridge digits --out digits.h5    # the digits mode-connectivity experiment

The rule is fixed and does not look at the current folder: a *bare word*
(no ``/`` or ``\\`` and no ``.toml`` suffix) is an example name; anything
else is a path.  To run a file called ``smoke`` in the current folder, write
``./smoke``.  :func:`config_path` applies the rule; :func:`names` lists the
examples of a command.

The files are those of the source tree's ``experiments/`` folder (where the
experiment scripts write them), installed with the package as
``alife/_examples/`` (see ``[tool.setuptools.package-data]`` in
pyproject.toml) and read through :mod:`importlib.resources`.  In a source
checkout installed in editable mode they are read from ``experiments/``
directly.  :func:`reference` gives the committed reference results that
``alife compare`` reads by default.
"""
from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from pathlib import Path

__all__ = ["EXAMPLES", "REFERENCES", "ExampleError", "config_path", "example", "names",
           "reference", "data_root"]

#: Example configs by command, then by name: a path below the examples folder.
EXAMPLES: dict[str, dict[str, str]] = {
    "evolve": {"smoke": "smoke/evolve.toml"},
    "neutral": {"smoke": "smoke/neutral.toml"},
    "bridge": {"digits": "bridge/digits.toml"},
}

#: Committed reference results (``alife compare``'s default inputs).
REFERENCES: dict[str, str] = {
    "rna_phenotypes": "rna/phenotypes.csv",          # experiments/rna/run.py
    "hnca_neutral": "hnca_neutral/results.json",     # experiments/hnca_neutral/run.py
    "hnca_pairs": "bridge/hnca_pairs.json",          # experiments/bridge/hnca_pairs.py
}

_files = contextlib.ExitStack()
atexit.register(_files.close)


class ExampleError(ValueError):
    """An unknown example name or a missing example file: one line naming the fix."""


def data_root() -> Path:
    """The folder holding the examples: ``alife/_examples`` of an installed
    package, else the ``experiments/`` folder of a source checkout.

    Raises :class:`ExampleError` when neither exists (a broken install).
    """
    packaged = resources.files("alife").joinpath("_examples")
    if packaged.is_dir():
        if isinstance(packaged, Path):
            return packaged
        return Path(_files.enter_context(resources.as_file(packaged)))   # e.g. a zipped install
    checkout = Path(__file__).resolve().parent.parent / "experiments"
    if checkout.is_dir():
        return checkout
    raise ExampleError("the example configs are not installed with this alife; reinstall it "
                       "(pip install alife-neutral) or give a config file's path")


def names(command: str) -> list[str]:
    """The example names ``command`` (``"evolve"``, ``"neutral"``, ``"bridge"``) accepts."""
    return sorted(EXAMPLES.get(command, {}))


def _file(relative: str, what: str) -> Path:
    path = data_root() / relative
    if not path.is_file():
        raise ExampleError(f"{what} ({relative}) is missing from {data_root()}; reinstall alife")
    return path


def example(command: str, name: str) -> Path:
    """The config file of example ``name`` for ``command``.

    Raises :class:`ExampleError` (one line, listing the known names) for an
    unknown command or name.
    """
    known = names(command)
    if name not in known:
        listed = ", ".join(known) if known else "none"
        raise ExampleError(f"no example named {name!r} for alife {command} (examples: {listed}); "
                           f"to run a config file give its path, e.g. ./{name}.toml")
    return _file(EXAMPLES[command][name], f"example {name!r}")


def is_name(arg: str) -> bool:
    """Whether a command-line CONFIG argument is an example name (a bare word)."""
    return bool(arg) and not any(c in arg for c in "/\\") and not arg.endswith(".toml")


def config_path(command: str, arg) -> Path:
    """The config file a command-line CONFIG argument means: the example of
    that name when ``arg`` is a bare word (:func:`is_name`), else ``arg``."""
    if isinstance(arg, str) and is_name(arg):
        return example(command, arg)
    return Path(arg)


def reference(key: str) -> Path:
    """A committed reference result by key of :data:`REFERENCES`."""
    if key not in REFERENCES:
        raise ExampleError(f"no reference result {key!r} (known: {', '.join(REFERENCES)})")
    return _file(REFERENCES[key], f"reference result {key!r}")
