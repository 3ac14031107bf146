"""Read-only tables of a validated config."""
from __future__ import annotations

__all__ = ["FrozenDict"]


class FrozenDict(dict):
    """A read-only, hashable, picklable dict (the tables of a validated config)."""

    __slots__ = ()

    def _read_only(self, *args, **kwargs):
        raise TypeError("config tables are read-only; build a new config instead")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __hash__(self):
        return hash(tuple(sorted(self.items())))

    def __reduce__(self):
        return (type(self), (dict(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self
