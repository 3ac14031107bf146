"""The ``[model]`` table of a config: an HNCA preset and its overrides.

Shared by the evolution and neutral-analysis configs::

    [model]                       # the HNCA (alife.nca.HNCASpec)
    preset = "bielawski"          # a preset name (default "bielawski"); every
    steps = 50                    # other key overrides an HNCASpec field

The table is kept as given (the preset plus the explicit overrides, not the
library defaults: TOML has no ``null`` for defaults such as
``seed_cell = None``).
"""
from __future__ import annotations

import dataclasses

from ..config import (FrozenDict, Invalid, TopLevel, canonical_table, check_keys, check_kind,
                      check_name, key_path, kind_of, library_error)
from .spec import HNCASpec

__all__ = ["LIMITS", "parse_model_table", "model_spec", "model_table_dict", "model_inputs",
           "model_references", "spec_of_inputs", "rollout_sizes"]

#: Sanity limits on model sizes.  Not physical limits of the model: they keep a
#: typo (``base_size = 64000``) from allocating gigabytes, or ``levels = 10**9``
#: from computing ``2**(levels-1)``, while the config is being checked.
LIMITS = {"base_size": 1024, "levels": 16, "channels": 4096, "hidden": 4096}

#: Types of HNCASpec fields whose default (None) does not say.
_KIND_OVERRIDES = {"seed_cell": ("ints", 2)}


def _fields() -> dict:
    return {f.name: f for f in dataclasses.fields(HNCASpec) if f.init}


def parse_model_table(given: dict, top: TopLevel | None = None) -> tuple[FrozenDict, HNCASpec]:
    """Validate a ``[model]`` table and build its HNCA.

    Parameters
    ----------
    given : dict
        The parsed table (``{}`` when absent).
    top : alife.config.TopLevel or None
        The calling config's top level, for the hint on a misplaced top-level key.

    Returns
    -------
    table : FrozenDict
        ``preset`` plus the HNCASpec fields given (ints given for float
        fields stored as floats, arrays as tuples).
    spec : HNCASpec

    Raises
    ------
    alife.config.Invalid
        An unknown key or preset, a wrong type, a value over :data:`LIMITS`,
        or a value HNCASpec rejects (blamed on the key its message names).
    """
    fields = _fields()
    check_keys("model", given, ["preset", *fields], top=top)
    preset = check_name("model", given, "bielawski", HNCASpec.presets(), "preset", key="preset")
    out = {"preset": preset}
    for key in fields:
        if key in given:
            out[key] = check_kind(kind_of(key, fields[key].default, _KIND_OVERRIDES), given[key],
                                  key_path("model", key))
    for key, most in LIMITS.items():
        if key in out and out[key] > most:
            raise Invalid(key_path("model", key), f"must be <= {most} (a sanity limit of "
                                                  f"alife.nca.config.LIMITS), got {out[key]}")
    try:
        spec = model_spec(out)
    except ValueError as e:
        raise library_error("model", e, out) from None
    return FrozenDict(out), spec


def model_spec(table) -> HNCASpec:
    """The HNCA of a validated ``[model]`` table: ``HNCASpec.preset(preset, **other keys)``."""
    m = dict(table)
    return HNCASpec.preset(m.pop("preset"), **m)


def model_table_dict(table) -> dict:
    """The ``[model]`` table in canonical order (preset, then HNCASpec's field order)."""
    return canonical_table(table, ["preset", *_fields()])


# --------------------------------------------------------------------------- #
# sizes, for the memory and work estimates of the configs (alife.config.limits)
# --------------------------------------------------------------------------- #
def model_inputs(table) -> dict:
    """The size inputs of a ``[model]`` table: ``"[model] key" -> value`` for
    every key given (and ``"[model] preset"``), as the configs' estimates
    read them (:func:`spec_of_inputs`)."""
    return {key_path("model", k): v for k, v in dict(table).items()}


def model_references(table) -> dict:
    """``"[model] key" -> the preset's value`` for every key of the table but
    the preset: what a key is set back to when finding the one to blame."""
    base = HNCASpec.preset(table["preset"])
    return {key_path("model", k): getattr(base, k) for k in dict(table) if k != "preset"}


def spec_of_inputs(inputs: dict) -> HNCASpec:
    """The HNCA of the ``[model]`` entries of ``inputs`` (see :func:`model_inputs`).

    Raises ValueError for a combination HNCASpec rejects.
    """
    head = "[model] "
    m = {k[len(head):]: v for k, v in inputs.items() if k.startswith(head)}
    return model_spec(m)


def rollout_sizes(spec: HNCASpec) -> dict:
    """What one rollout of one genome costs, from the spec alone.

    Returns
    -------
    dict
        ``genes`` (D), ``cells`` (cells of every level), ``state`` (float32
        values of the padded state, every level and channel), ``ops_per_step``
        (multiply-adds of one step: each cell applies its level's genes
        once), ``steps`` and ``side`` (of the phenotype, the output level).
    """
    sizes = spec.sizes
    lay = spec.layout.levels
    return {"genes": spec.n_genes,
            "cells": sum(n * n for n in sizes),
            "state": sum((n + 2) * (n + 2) for n in sizes) * spec.channels,
            "ops_per_step": sum(n * n * (lv.stop - lv.start) for n, lv in zip(sizes, lay)),
            "steps": spec.steps,
            "side": sizes[spec.output_level]}
