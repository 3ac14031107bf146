"""Every GP map under a name: :func:`make` builds one from keyword parameters.

::

    from alife.gpmap import make, MAPS
    sorted(MAPS)                                   # ['hnca', 'rna', 'table', 'toy', ...]
    toy = make("toy", name="count", L=6, K=3)
    rna = make("rna", length=12)                   # needs the rna extra (ViennaRNA)

A map module registers its factory (a class or a function taking keyword
parameters and returning a :class:`~alife.gpmap.base.GPMap`) with
:func:`register` when it is imported.  The maps of this package (``hnca``,
``rna``, ``toy``, ``table``) are imported on first use, so ``import
alife.gpmap`` stays light and ViennaRNA is only needed to fold.  Maps of
higher floors register themselves when their module is imported and are
never imported from here: ``net`` (a trained torch model,
:mod:`alife.bridge.netmap`) appears in :data:`MAPS` after ``import
alife.bridge.netmap``.

A new map: subclass :class:`~alife.gpmap.base.GPMap` in its own module, end
the module with ``register("name", factory)``, add the module to
``BUILTIN`` below if it lives in :mod:`alife.gpmap`, and add a case to the
contract tests (``tests/test_gpmap_contract.py``).
"""
from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping

__all__ = ["register", "make", "MAPS", "BUILTIN"]

#: Map kinds of this package and the module that registers each (imported on first use).
BUILTIN = {"hnca": "alife.gpmap.hnca", "rna": "alife.gpmap.rna", "toy": "alife.gpmap.toy",
           "table": "alife.gpmap.table"}

#: Kinds registered by modules outside :mod:`alife.gpmap`: named in errors, never imported here.
_ELSEWHERE = {"net": "alife.bridge.netmap"}

_FACTORIES: dict[str, Callable] = {}


def register(kind: str, factory: Callable | None = None, *, replace: bool = False):
    """Register ``factory`` under ``kind`` (usable as a decorator: ``@register("toy")``).

    Parameters
    ----------
    kind : str, the name :func:`make` takes
    factory : callable ``(**params) -> GPMap`` (a map class or a function)
    replace : bool, allow replacing another factory already registered under ``kind``

    Returns
    -------
    ``factory`` (so the decorator leaves the function in place)
    """
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"a map kind must be a non-empty string, got {kind!r}")
    if factory is None:
        return lambda f: register(kind, f, replace=replace)
    if not callable(factory):
        raise ValueError(f"the factory of map kind {kind!r} must be callable, got {factory!r}")
    old = _FACTORIES.get(kind)
    reloaded = old is not None and (getattr(old, "__module__", None), getattr(old, "__qualname__", None)) \
        == (getattr(factory, "__module__", None), getattr(factory, "__qualname__", None))
    if old is not None and old is not factory and not reloaded and not replace:
        raise ValueError(f"map kind {kind!r} is already registered ({old.__module__}."
                         f"{old.__qualname__}); choose another name or pass replace=True")
    _FACTORIES[kind] = factory
    return factory


class _Maps(Mapping):
    """Read-only view ``kind -> factory`` of the registry; built-in kinds are
    listed before their module is imported and imported when looked up."""

    def __getitem__(self, kind: str) -> Callable:
        if kind not in _FACTORIES and kind in BUILTIN:
            importlib.import_module(BUILTIN[kind])
        return _FACTORIES[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(set(_FACTORIES) | set(BUILTIN)))

    def __len__(self) -> int:
        return len(set(_FACTORIES) | set(BUILTIN))

    def __contains__(self, kind) -> bool:
        return kind in _FACTORIES or kind in BUILTIN

    def __repr__(self) -> str:
        return f"MAPS({', '.join(self)})"


#: Every registered map kind -> its factory (a read-only mapping).
MAPS = _Maps()


def make(kind: str, **params):
    """Build the GP map registered under ``kind`` from keyword parameters.

    The built-in kinds and their parameters:

    * ``"hnca"``: :class:`~alife.gpmap.hnca.HNCAMap` — ``spec`` (an
      :class:`~alife.nca.HNCASpec`), ``lattice_k`` (None: continuous genes),
      ``m``, ``target``, ``steps``, ``chunk``, ``method``, ``executor``;
    * ``"rna"``: :func:`~alife.gpmap.rna.rna_map` — ``length``, ``dangles``,
      ``energy_params``, ``temperature``, ``no_lp``, ``ties``;
    * ``"toy"``: :func:`~alife.gpmap.toy.toy_map` — ``name`` (threshold,
      count, parity, signs, sum_interval), ``L``, ``K``, ``threshold``,
      ``letter``, ...;
    * ``"table"``: :func:`~alife.gpmap.table.table_map` — ``file``,
      ``alphabet``, ``tau``;
    * ``"net"`` (after ``import alife.bridge.netmap``):
      :class:`~alife.bridge.netmap.NetMap` — ``model``, ``probe_x``,
      ``sigma``, ``m``, ``chunk``, ``low``, ``high``.

    Raises
    ------
    ValueError
        An unknown kind, or parameters the factory does not take (one line
        naming them and the parameters it does take).
    """
    if kind not in MAPS:
        hint = ""
        if kind in _ELSEWHERE:
            hint = f"; map kind {kind!r} registers itself: import {_ELSEWHERE[kind]} first"
        raise ValueError(f"unknown map kind {kind!r}; known kinds: {', '.join(MAPS)}{hint}")
    factory = MAPS[kind]
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):   # a builtin without a signature: let the call check
        sig = None
    if sig is not None:
        try:
            sig.bind(**params)
        except TypeError as e:
            names = ", ".join(p for p in sig.parameters if p not in ("self", "args", "kwargs"))
            raise ValueError(f"map kind {kind!r}: {e}; its parameters are {names}") from None
    return factory(**params)
