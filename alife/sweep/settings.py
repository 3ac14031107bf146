"""Checking the settings of a cell function: known keys, counts and increasing lists.

A sweep's cell function takes one ``settings`` dict shared by every cell
(:func:`alife.sweep.run_sweep`); :func:`merge_settings` is the check its
module runs before any work: unknown keys, integer counts and increasing
lists of positive numbers each get a one-line :class:`ValueError` that
names the setting and what it must be.
"""
from __future__ import annotations

__all__ = ["merge_settings"]


def merge_settings(settings: dict, defaults: dict, *, counts=(), increasing=()) -> dict:
    """``settings`` merged over ``defaults``, checked.

    Parameters
    ----------
    settings : the given settings (a subset of ``defaults``' keys)
    defaults : every known setting with its default
    counts : keys whose value must be an integer >= 1 (``bool`` refused); a
        key ``n_points`` must moreover be >= 3 (a path needs its two ends
        and a point between them)
    increasing : keys whose value must be a non-empty, increasing list of
        numbers > 0

    Returns
    -------
    dict: the merged settings.  ValueError (one line) for an unknown key or
    a value of the wrong form.
    """
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(defaults)}")
    s = {**defaults, **settings}
    for k in counts:
        if not isinstance(s[k], int) or isinstance(s[k], bool) or s[k] < 1:
            raise ValueError(f"setting {k} must be an integer >= 1, got {s[k]!r}")
    if "n_points" in counts and s["n_points"] < 3:
        raise ValueError(f"setting n_points must be >= 3, got {s['n_points']}")
    for k in increasing:
        v = s[k]
        if (not isinstance(v, list) or not v or any(not isinstance(x, (int, float)) or x <= 0
                                                     for x in v) or sorted(v) != v):
            raise ValueError(f"setting {k} must be an increasing list of numbers > 0, got {v!r}")
    return s
