"""``alife neutral`` with ``[build] method = "paths"``: are these pairs connected?

Every pair of ``[pairs]`` (explicit genotypes, and every two runs of
``runs`` whose best genomes share a defined phenotype) goes through
:func:`alife.neutral.pathsearch.search_path` under ``[build]
max_evaluations`` per pair, ``pivots`` and ``max_pivots``.  Pair ``i`` draws
its random numbers from child ``i`` of child 3 of
``numpy.random.SeedSequence(seed)`` (children 0..2 are the other streams of
:func:`alife.neutral.run.run_neutral`), so a pair's result does not depend on
the other pairs.  Each found path is checked again row by row
(:func:`~alife.neutral.pathcheck.verify_path`) and stored as its sequence of
genomes (:mod:`alife.neutral.pathfile` layout; for an HNCA map the spec goes
into the ``spec_json`` attribute, so :func:`alife.neutral.pathfile.check_path_file`
can re-develop every step).
"""
from __future__ import annotations

import itertools
import json

import numpy as np

from . import pathsearch
from .pathcheck import verify_path
from .pathfile import path_arrays

__all__ = ["pairs_of", "run_pairs"]


def _genotype(gpmap, g):
    space = gpmap.space
    if isinstance(g, str):
        if not space.discrete or getattr(space, "alphabet", None) is None:
            raise ValueError(f"genotype {g[:40]!r} is text, but this map's genotypes are "
                             "numbers; give arrays of numbers")
        return space.encode([g])[0]
    a = np.asarray(g, np.float64)
    if space.discrete and hasattr(gpmap, "to_letters") and not np.all(a == np.round(a)):
        return gpmap.to_letters(a.astype(np.float32)[None])[0]     # lattice gene values
    if space.discrete:
        if not np.all(a == np.round(a)):
            raise ValueError("discrete genotypes must be letter indices (integers)")
        a = a.astype(np.int64)
    return space.check(a.reshape(1, -1))[0]


def pairs_of(config, gpmap) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The pairs of ``[pairs]``: ``(label, genotype A, genotype B)``, in the
    map's genotype form; explicit pairs first, then the runs' pairs in order."""
    from .run import _best_of_run

    out = []
    for k, (ga, gb) in enumerate(config.pairs.get("genotypes", ())):
        out.append((f"pair {k + 1}", _genotype(gpmap, ga), _genotype(gpmap, gb)))
    runs = config.pairs.get("runs", ())
    if runs:
        bests = np.concatenate([_best_of_run(r, 1) for r in runs])
        if gpmap.space.discrete and hasattr(gpmap, "to_letters"):
            bests = gpmap.to_letters(bests)
        bests = gpmap.space.check(bests)
        ids = gpmap.phenotypes(bests)
        for i, j in itertools.combinations(range(len(runs)), 2):
            if ids[i] == ids[j] and ids[i] >= 0:
                out.append((f"run {i + 1} - run {j + 1}", bests[i], bests[j]))
    return out


def _as_genomes(gpmap, rows):
    if hasattr(gpmap, "to_genomes"):
        return gpmap.to_genomes(rows)
    return np.asarray(rows)


def run_pairs(config, gpmap, progress) -> tuple[dict, dict, dict, dict]:
    """Search every pair; returns ``(summary, arrays, graphs, attrs)`` for the result file."""
    pairs = pairs_of(config, gpmap)
    if not pairs:
        raise ValueError("no pairs to search: the runs' best genomes share no defined "
                         "phenotype (give [pairs] genotypes, or other runs)")
    progress.check("pair genotypes", np.stack([np.stack([a, b]) for _, a, b in pairs]))
    ids = gpmap.phenotypes(np.stack([g for _, a, b in pairs for g in (a, b)])).reshape(-1, 2)
    for (label, _, _), (pa, pb) in zip(pairs, ids):
        if pa != pb or pa < 0:
            raise ValueError(f"{label}: the two genotypes have phenotypes {int(pa)} and "
                             f"{int(pb)}; a neutral path needs one defined phenotype")
    seeds = np.random.SeedSequence(config.seed).spawn(4)[3].spawn(len(pairs))
    bd = config.build
    records = []
    progress.steps.start(len(pairs), "pairs", "pair",
                         done=sum(progress.get(f"pair {i}") is not None for i in range(len(pairs))))
    for i, (label, a, b) in enumerate(pairs):
        done = progress.get(f"pair {i}")
        if done is None:
            progress.restore(gpmap)
            r = pathsearch.search_path(gpmap, a, b, rng=np.random.default_rng(seeds[i]),
                                       max_evaluations=bd["max_evaluations"],
                                       n_pivots=bd["pivots"], max_pivots=bd["max_pivots"])
            path = None if r.path is None else _as_genomes(gpmap, r.path)
            ok = None if r.path is None else verify_path(gpmap, r.path, int(ids[i, 0])).ok
            done = {"label": label, "found": bool(r.found), "stop": r.stop,
                    "verified": ok, "phenotype": int(ids[i, 0]),
                    "steps": int(getattr(gpmap, "steps", 0)), "path_steps": r.n_steps,
                    "n_evaluations": r.n_evaluations, "n_pivots": r.n_pivots,
                    "distance": r.distance, "quotient_distance": r.quotient_distance,
                    "path": path}
            progress.save(f"pair {i}", done, gpmap)
        records.append(done)
    rows = [{k: v for k, v in r.items() if k != "path"} for r in records]
    summary = {"pairs": rows, "n_pairs": len(rows), "n_found": sum(r["found"] for r in rows)}
    attrs = {"paths_json": json.dumps(rows, sort_keys=True)}
    if hasattr(gpmap, "spec"):
        attrs["spec_json"] = json.dumps(gpmap.spec.to_dict(), sort_keys=True)
    return summary, path_arrays(records), {}, attrs
