"""Cells of a sweep: named parameter sets, and one random stream per name.

A *cell* is one unit of work of a sweep: a dict of parameters (scalars:
int, float, str, bool), for example ``{"width": 64, "depth": 1, "pair": 3}``.
Its *name* is a canonical text of those parameters, sorted by key::

    depth=1,pair=3,width=64

so the same parameters always give the same name, whatever order they were
written in.  The name fixes the cell's random stream: :func:`cell_seed`
derives a :class:`numpy.random.SeedSequence` from the sweep's root seed and
a hash of the name (as ``SeedSequence.spawn`` would, with the name in place
of a child index).  Adding, removing or reordering cells therefore never
changes the stream, and so never the result, of any other cell.
"""
from __future__ import annotations

import hashlib
import itertools
import math
import re
from dataclasses import dataclass

import numpy as np

__all__ = ["Cell", "grid", "cell_seed", "SweepError"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TEXT = re.compile(r"[A-Za-z0-9_.+\-]+\Z")


class SweepError(ValueError):
    """A sweep that cannot run or be read: bad cells, a config that does not
    match the finished cells on disk, a failed cell.  The message is one line
    that names the problem and the fix."""


def _scalar(key: str, value):
    """A parameter value as a plain Python scalar (int, float, str or bool)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            raise SweepError(f"parameter {key!r} = {value!r} is not finite; cell parameters "
                             f"must be finite numbers, strings or booleans")
        return v
    if isinstance(value, str):
        if not _TEXT.match(value):
            raise SweepError(f"parameter {key!r} = {value!r}: text values may hold only letters, "
                             f"digits and _ . + - (they become part of the cell's name)")
        return value
    raise SweepError(f"parameter {key!r} = {value!r} is a {type(value).__name__}; cell "
                     f"parameters must be int, float, str or bool")


def _text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


@dataclass(frozen=True)
class Cell:
    """One cell of a sweep: its parameters and its canonical name.

    Parameters
    ----------
    params : dict of str -> int / float / str / bool
        Keys are identifiers (letters, digits, ``_``); values are scalars
        (numpy scalars are converted).  Text values may hold letters, digits
        and ``_ . + -``.

    Attributes
    ----------
    name : str
        ``key=value`` pairs sorted by key and joined by commas, e.g.
        ``"depth=1,pair=3,width=64"`` (floats in ``repr`` form, booleans as
        ``true``/``false``).  It names the cell's file on disk and fixes its
        random stream (:func:`cell_seed`).
    """

    params: tuple          # ((key, value), ...) sorted by key

    def __init__(self, params: dict | None = None, **kw):
        merged = dict(params or {})
        for k, v in kw.items():
            if k in merged:
                raise SweepError(f"parameter {k!r} given twice")
            merged[k] = v
        if not merged:
            raise SweepError("a cell needs at least one parameter")
        items = []
        for k in sorted(merged):
            if not isinstance(k, str) or not _KEY.match(k):
                raise SweepError(f"parameter name {k!r} must be an identifier (letters, digits, _)")
            items.append((k, _scalar(k, merged[k])))
        object.__setattr__(self, "params", tuple(items))

    @property
    def name(self) -> str:
        return ",".join(f"{k}={_text(v)}" for k, v in self.params)

    def as_dict(self) -> dict:
        """The parameters as a new dict (sorted by key)."""
        return dict(self.params)

    def __getitem__(self, key: str):
        return dict(self.params)[key]

    def __repr__(self) -> str:
        return f"Cell({self.name})"


def grid(axes: dict, **fixed) -> list[Cell]:
    """The Cartesian product of ``axes`` as cells, in row-major order.

    Parameters
    ----------
    axes : dict of str -> sequence
        One axis per parameter; the last axis varies fastest.
    **fixed : parameters shared by every cell of this grid (e.g. ``depth=1``)

    Returns
    -------
    list of :class:`Cell`.  Concatenate several grids for an irregular design
    (``grid({...}, depth=1) + grid({...}, depth=2)``); :func:`run_sweep`
    refuses duplicate names.

    Examples
    --------
    >>> [c.name for c in grid({"width": [4, 8], "pair": range(2)}, depth=1)]
    ['depth=1,pair=0,width=4', 'depth=1,pair=1,width=4', 'depth=1,pair=0,width=8', 'depth=1,pair=1,width=8']
    """
    keys = list(axes)
    clash = set(keys) & set(fixed)
    if clash:
        raise SweepError(f"parameter(s) {sorted(clash)} given both as an axis and as fixed")
    values = []
    for k in keys:
        vals = list(axes[k])
        if not vals:
            raise SweepError(f"axis {k!r} is empty")
        values.append(vals)
    return [Cell({**fixed, **dict(zip(keys, combo))}) for combo in itertools.product(*values)]


def cell_seed(root_seed: int, name: str) -> np.random.SeedSequence:
    """The random stream of the cell called ``name`` in a sweep with ``root_seed``.

    ``SeedSequence(root_seed, spawn_key=h)`` where ``h`` is the BLAKE2b-128
    hash of the name as four 32-bit words: a child of the root seed keyed by
    the name instead of a spawn index, so it does not depend on which other
    cells exist.

    Parameters
    ----------
    root_seed : int >= 0
    name : str, a :attr:`Cell.name`

    Returns
    -------
    numpy.random.SeedSequence (use ``.spawn(k)`` or ``.generate_state(k)``
    for the cell's own sub-streams).
    """
    if isinstance(root_seed, bool) or not isinstance(root_seed, (int, np.integer)) or root_seed < 0:
        raise SweepError(f"root seed must be an integer >= 0, got {root_seed!r}")
    h = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    key = tuple(int.from_bytes(h[i:i + 4], "little") for i in range(0, 16, 4))
    return np.random.SeedSequence(int(root_seed), spawn_key=key)
