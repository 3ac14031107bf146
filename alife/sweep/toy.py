"""A small cell function for examples, tests and timing the runner itself.

:func:`toy_cell` estimates the mean and the spread of ``n`` draws from a
normal law with the cell's ``loc`` and ``scale`` (parameters or settings),
and returns a child table of quantiles, so it exercises everything a real
cell function does: its own random stream, settings, several tables.
"""
from __future__ import annotations

import time

import numpy as np

__all__ = ["toy_cell"]


def toy_cell(params: dict, seed: np.random.SeedSequence, settings: dict) -> dict:
    """Mean, standard deviation and quantiles of ``n`` normal draws.

    Parameters
    ----------
    params : dict; ``loc`` and ``scale`` (default 0 and 1) are read from it,
        any other key is ignored (e.g. a replicate index ``rep``)
    seed : the cell's SeedSequence
    settings : dict; ``n`` draws (default 1000), ``sleep`` seconds to wait
        (default 0; lets tests interrupt a sweep in the middle), ``fail_on``
        (a cell name that raises ValueError, to test failure handling)

    Returns
    -------
    dict: ``mean``, ``std``, ``n`` and the child table ``quantiles`` (rows
    ``{"q": q, "value": v}`` for q in 0.1, 0.5, 0.9).
    """
    n = int(settings.get("n", 1000))
    if settings.get("fail_on") is not None and settings["fail_on"] == params.get("rep"):
        raise ValueError(f"asked to fail on rep {params.get('rep')}")
    if settings.get("sleep"):
        time.sleep(float(settings["sleep"]))
    rng = np.random.default_rng(seed)
    x = rng.normal(params.get("loc", 0.0), params.get("scale", 1.0), n)
    qs = (0.1, 0.5, 0.9)
    return {"mean": float(x.mean()), "std": float(x.std(ddof=1)), "n": n,
            "positive": bool(x.mean() > 0),
            "quantiles": [{"q": q, "value": float(v)} for q, v in zip(qs, np.quantile(x, qs))]}
