"""Lazy public names of a package: each imported from its module on first use.

A package whose public names live in modules that are slow to import (or
need an optional dependency such as torch) lists them as ``name -> module``
and takes its ``__getattr__`` and ``__dir__`` from :func:`lazy_exports`.
"""
from __future__ import annotations

import importlib
import sys


def lazy_exports(package: str, home: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package`` (its ``__name__``), whose
    public names ``home`` maps to the submodule that defines each.  A name is
    imported on first access and then kept in the package's namespace."""
    def __getattr__(name: str):
        if name in home:
            value = getattr(importlib.import_module(f"{package}.{home[name]}"), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(home))

    return __getattr__, __dir__
