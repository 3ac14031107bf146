"""Neutral paths on disk, in a form anyone can check by re-developing them.

Layout (inside any result file written by :func:`alife.store.write_results`:
the path files of :func:`write_path_file`, kind ``"neutral_paths"``, and the
``NET.h5`` of ``alife neutral`` with ``[build] method = "paths"``):

``paths/<i>/genotypes``
    ``(steps + 1, genes)`` float32: the path of pair ``i`` as its sequence of
    genomes (gene *values*, also for lattice maps), row 0 = genotype A, last
    row = genotype B; consecutive rows differ in exactly one gene and every
    row develops the endpoints' phenotype.  Only pairs whose path was found
    have one.
root attribute ``spec_json``
    the :class:`~alife.nca.HNCASpec` as JSON (``HNCASpec(**json.loads(...))``).
root attribute ``paths_json``
    JSON list, one object per pair: ``label``, ``found``, ``phenotype`` (the
    stable id of the endpoints' pattern), ``steps`` (the development steps),
    and whatever else the writer adds (evaluations, distances, ...).

:func:`check_path_file` re-develops every row of every stored path with
:class:`~alife.gpmap.hnca.HNCAMap` and checks the two rules with
:func:`~alife.neutral.pathcheck.verify_path`, and that the phenotype is the
recorded one.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from alife.store import RunFileError, read_results, write_results

from .pathcheck import PathCheck, verify_path

__all__ = ["PATHS_KIND", "path_arrays", "write_path_file", "read_path_file", "check_path_file"]

#: ``kind`` attribute of the files :func:`write_path_file` writes.
PATHS_KIND = "neutral_paths"


def path_arrays(records: list[dict]) -> dict:
    """Datasets ``paths/<i>/genotypes`` (float32) for the records with a ``path``
    (``(k + 1, genes)`` genome values, or None when not found)."""
    out = {}
    for i, r in enumerate(records):
        if r.get("path") is not None:
            out[f"paths/{i}/genotypes"] = np.asarray(r["path"], np.float32)
    return out


def _meta(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "path"} for r in records]


def write_path_file(out, spec, records: list[dict], *, attrs: dict | None = None,
                    force: bool = False, compress: bool = True) -> Path:
    """Write neutral paths of an HNCA spec (atomically, :func:`alife.store.write_results`).

    Parameters
    ----------
    out : path of the HDF5 file
    spec : HNCASpec the genomes belong to
    records : list of dicts, one per pair: ``path`` ((k + 1, genes) genome
        values or None), ``label``, ``found``, ``phenotype``, ``steps`` and any
        JSON-serialisable extras
    attrs : extra root attributes (str / int / float)
    force : replace an existing file
    compress : gzip the paths (a staircase repeats all but one gene per row,
        so it compresses well)

    Returns
    -------
    Path of the written file.
    """
    a = {"spec_json": json.dumps(spec.to_dict(), sort_keys=True),
         "paths_json": json.dumps(_meta(records), sort_keys=True, default=_jsonable),
         **(attrs or {})}
    return write_results(out, PATHS_KIND, a, path_arrays(records), force=force, compress=compress)


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"{type(v).__name__} is not JSON serialisable")


def read_path_file(path) -> tuple:
    """``(spec, records)`` of a file with the layout above; each record gets
    its ``path`` array (or None)."""
    from alife.nca import HNCASpec

    attrs, arrays = read_results(path)
    if "spec_json" not in attrs or "paths_json" not in attrs:
        raise RunFileError(f"{path} holds no neutral paths of an HNCA (no spec_json / "
                           "paths_json attribute)")
    spec_d = json.loads(attrs["spec_json"])
    if spec_d.get("seed_cell") is not None:
        spec_d["seed_cell"] = tuple(spec_d["seed_cell"])
    spec = HNCASpec(**spec_d)
    records = json.loads(attrs["paths_json"])
    for i, r in enumerate(records):
        r["path"] = arrays.get(f"paths/{i}/genotypes")
    return spec, records


def check_path_file(path) -> list[PathCheck | None]:
    """Re-develop every stored path and check it (one :class:`PathCheck` per
    record; None for records without a path).

    A path passes when every row develops the recorded phenotype (under the
    recorded number of steps, final pattern) and consecutive rows differ in
    exactly one gene.
    """
    from alife.gpmap.hnca import HNCAMap

    spec, records = read_path_file(path)
    out = []
    for r in records:
        if r["path"] is None:
            out.append(None)
            continue
        gm = HNCAMap(spec, steps=int(r.get("steps", spec.steps)))
        chk = verify_path(gm, r["path"], int(r["phenotype"]) if "phenotype" in r else None)
        out.append(chk)
    return out
