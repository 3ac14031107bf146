"""Units of work of the connectivity experiment (``run.py``), one function per kind.

Every unit is a plain dict (a *job*) and :func:`run_jobs` runs a contiguous
slice of a job list: it is what ``run.py`` hands to an
:class:`alife.parallel.Executor` (``map_rows``), so the jobs can be spread
over worker processes or a Dask cluster.  Every result records the job's
CPU time (``cpu_seconds``), the cost measure that does not depend on how
busy the machine is.  A job carries everything it needs
(spec, genomes, budget, its own ``numpy.random.SeedSequence``), so its result
does not depend on where or with which other jobs it runs.

Job kinds (``job["kind"]``):

* ``evolve`` — one hill-climbing run into a run file (a finished run file of
  the same config is reused);
* ``train`` — one gradient-trained HNCA (:func:`alife.bridge.hnca_train.train_hnca`);
* ``reach`` — neutral walkers from one endpoint with the evolution's kernel
  (one gene resampled uniformly, kept when the phenotype is), their quotient
  distance to the start and to every other endpoint over time;
* ``pair`` — one connection method on one pair: ``line`` (staircase along
  the straight line, :func:`alife.neutral.staircase_path`), ``walk`` (the
  guided walk of :func:`alife.neutral.neutral_path`; on a lattice an exact
  bidirectional BFS), ``curve`` (a Bezier curve trained on the surrogate of
  :mod:`alife.bridge.hnca_train`, then a staircase along 61 of its points)
  or ``search`` (:func:`alife.neutral.pathsearch.search_path`).  Every
  method starts from the canonical representatives of the endpoints (the
  exact symmetries of :mod:`alife.nca.symmetry`) and its path is joined to
  the original endpoints; a path counts only after
  :func:`~alife.neutral.pathcheck.verify_path` passes.
"""
from __future__ import annotations

import json
import math
import time

import numpy as np

from alife.gpmap.hnca import HNCAMap
from alife.nca import HNCASpec, develop
from alife.neutral import neutral_path, neutral_walks, staircase_path
from alife.neutral.pathsearch import map_symmetries, search_path, symmetry_join, verify_path

__all__ = ["run_jobs", "wilson", "clopper_pearson", "spec_from", "internal_distance",
           "encode_path", "decode_path"]


# --------------------------------------------------------------------------- #
# intervals
# --------------------------------------------------------------------------- #
def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95 % Wilson score interval of k successes in n trials ((nan, nan) for n = 0)."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (0.0 if k == 0 else max(0.0, mid - half), 1.0 if k == n else min(1.0, mid + half))


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) 95 % interval of k successes in n trials."""
    from scipy.stats import beta
    if n == 0:
        return (float("nan"), float("nan"))
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return (lo, hi)


# --------------------------------------------------------------------------- #
# helpers
# --------------------------------------------------------------------------- #
_MAPS: dict = {}


def spec_from(d: dict) -> HNCASpec:
    d = dict(d)
    if d.get("seed_cell") is not None:
        d["seed_cell"] = tuple(d["seed_cell"])
    return HNCASpec(**d)


def _map(job) -> HNCAMap:
    """One HNCAMap per (spec, lattice) and process (evaluation counts are diffs)."""
    key = json.dumps([job["spec"], job.get("lattice_k")], sort_keys=True)
    if key not in _MAPS:
        _MAPS[key] = HNCAMap(spec_from(job["spec"]), lattice_k=job.get("lattice_k"))
    return _MAPS[key]


def encode_path(P: np.ndarray) -> dict:
    """A one-gene-per-step path as its start, changed gene and new value per step."""
    P = np.asarray(P)
    if P.shape[0] == 1:
        return {"start": P[0].copy(), "gene": np.zeros(0, np.int32),
                "value": np.zeros(0, P.dtype)}
    changed = P[1:] != P[:-1]
    if not np.all(changed.sum(axis=1) == 1):
        raise ValueError("encode_path: a step changes more or fewer than one gene")
    gene = np.argmax(changed, axis=1).astype(np.int32)
    return {"start": P[0].copy(), "gene": gene, "value": P[1:][np.arange(gene.size), gene]}


def decode_path(e: dict) -> np.ndarray:
    """The (steps + 1, genes) rows of :func:`encode_path`'s encoding."""
    n = e["gene"].size
    P = np.repeat(e["start"][None], n + 1, axis=0)
    for k in range(n):
        P[k + 1:, e["gene"][k]] = e["value"][k]
    return P


def internal_distance(spec: HNCASpec, ref, genomes) -> dict:
    """How far the internal (non-output) levels of ``genomes`` are from ``ref``'s
    after development: per genome the RMS difference relative to the RMS state,
    and the fraction of binarised channel-0 cells that differ, both averaged
    over the internal levels.  Returns ``{"rel": (n,), "flip": (n,)}``."""
    G = np.concatenate([np.asarray(ref, np.float32)[None], np.asarray(genomes, np.float32)])
    dev = develop(spec, G)
    rel, flip = [], []
    for lvl, s in enumerate(dev.states):
        if lvl == spec.output_level:
            continue
        s = s.astype(np.float64).reshape(s.shape[0], -1)
        d = np.sqrt(((s[1:] - s[0]) ** 2).mean(axis=1))
        scale = np.sqrt(0.5 * ((s[1:] ** 2).mean(axis=1) + (s[0] ** 2).mean()))
        rel.append(np.where(scale > 0, d / np.where(scale > 0, scale, 1), 0.0))
        b = dev.states[lvl][..., 0] > spec.threshold
        flip.append((b[1:] != b[0]).reshape(b.shape[0] - 1, -1).mean(axis=1))
    if not rel:
        n = G.shape[0] - 1
        return {"rel": np.full(n, np.nan), "flip": np.full(n, np.nan)}
    return {"rel": np.mean(rel, axis=0), "flip": np.mean(flip, axis=0)}


# --------------------------------------------------------------------------- #
# job kinds
# --------------------------------------------------------------------------- #
def _evolve(job) -> dict:
    """One evolution run into ``job["path"]``; a finished run file of the same
    config there is reused (``reused``: True, ``seconds``: None)."""
    from alife.evolve.config import loads
    from alife.evolve.runner import evolve
    from alife.store import RunFile
    if RunFile.is_finished(job["path"], job["config"]):
        return {"seed": job["seed"], "seconds": None, "reused": True}
    t0 = time.perf_counter()
    evolve(loads(job["config"]), job["path"], force=True, progress=False)
    return {"seed": job["seed"], "seconds": time.perf_counter() - t0, "reused": False}


def _train(job) -> dict:
    import torch
    from alife.bridge.hnca_train import mismatch_loss, train_hnca
    from alife.tasks import target as make_target
    torch.set_num_threads(1)
    spec = spec_from(job["spec"])
    tgt = make_target(job["target"], spec.sizes[spec.output_level])
    t0 = time.perf_counter()
    g = train_hnca(spec, tgt, seed=job["seed"], iterations=job["iterations"], lr=0.01,
                   temperature=job["temperature"])
    return {"seed": job["seed"], "genome": np.asarray(g, np.float32),
            "mismatch": mismatch_loss(spec, g, tgt), "iterations": len(g.history) - 1,
            "seconds": time.perf_counter() - t0}


def _reach(job) -> dict:
    """Walkers from one endpoint; quotient distances to it and to the others."""
    gm = _map(job)
    sym = map_symmetries(gm)
    rng = np.random.default_rng(job["seed_seq"])
    start = np.asarray(job["start"], np.float32)
    others = np.asarray(job["others"], np.float32)
    t0 = time.perf_counter()
    w = neutral_walks(gm, start, job["steps"], job["walkers"], rng)
    rec = np.arange(0, job["steps"] + 1, job["every"])
    G = w.genotypes[rec]                                         # (t, walkers, L)
    flat = G.reshape(-1, G.shape[-1])

    def qd(X, y):
        if sym is None:
            return np.linalg.norm(X.astype(np.float64) - y, axis=1)
        return sym.distance(X, np.repeat(y[None], X.shape[0], axis=0))

    to_start = qd(flat, start).reshape(len(rec), -1)
    to_others = np.stack([qd(flat, o).reshape(len(rec), -1) for o in others], axis=2) \
        if len(others) else np.zeros((len(rec), G.shape[1], 0))
    return {"endpoint": job["endpoint"], "steps": rec, "to_start": to_start,
            "to_others": to_others, "final": w.genotypes[-1],
            "acceptance": w.acceptance_rate, "seconds": time.perf_counter() - t0}


def _quotient_ends(gm, a, b):
    """Canonical endpoints and the one-gene joins to them (None when a join fails)."""
    ca, ja = symmetry_join(gm, a)
    cb, jb = symmetry_join(gm, b)
    return ca, cb, ja, jb


def _assemble(ja, middle, jb):
    return np.concatenate([ja, middle[1:], jb[::-1][1:]])


def _curve(gm, spec, ca, cb, job, rng_seed):
    """Bezier curve between ca and cb trained on the surrogate, then a staircase
    along 61 of its points."""
    import torch
    from torch.func import functional_call

    from alife.bridge.hnca_train import surrogate_loss
    from alife.bridge.models import HNCAModel
    from alife.bridge.paths import BezierPath, train_curve
    torch.set_num_threads(1)
    model = HNCAModel(spec, genome=ca)
    ta, tb = {"genome": torch.from_numpy(ca.copy())}, {"genome": torch.from_numpy(cb.copy())}
    tgt = torch.from_numpy(develop(spec, ca[None]).phenotypes[0].astype(np.float32))
    out_level = spec.output_level

    def loss_fn(params, batch):
        states = functional_call(model, params, ())
        return surrogate_loss(states[out_level][0, ..., 0], tgt, job["temperature"],
                              spec.threshold)

    curve = BezierPath(model, ta, tb, n_bends=1)
    dist = float(np.linalg.norm(ca.astype(np.float64) - cb))
    lr = job["curve_lr"] * dist / np.sqrt(spec.n_genes)
    train_curve(curve, loss_fn, [None], epochs=job["curve_epochs"], lr=lr, seed=int(rng_seed),
                batch_size=None, optimizer="adam")
    with torch.no_grad():
        pts = np.stack([curve.params(float(t))["genome"].numpy()
                        for t in np.linspace(0, 1, 61)]).astype(np.float32)
    pts[0], pts[-1] = ca, cb
    kept = float(np.mean(gm.phenotypes(pts) == gm.phenotypes(ca[None])[0]))
    return staircase_path(gm, pts, max_evaluations=job["budget"]), kept


def _pair(job) -> dict:
    """One method on one pair (see the module docstring)."""
    gm = _map(job)
    spec = gm.spec
    a, b = gm.check(job["a"])[0], gm.check(job["b"])[0]
    seed = np.random.SeedSequence(job["seed_seq"].entropy, spawn_key=job["seed_seq"].spawn_key)
    rng = np.random.default_rng(seed)
    p = int(gm.phenotypes(a[None])[0])
    ev0, t0 = gm.n_evaluations, time.perf_counter()
    out = {"id": job["id"], "group": job["group"], "method": job["method"], "label": job["label"]}
    extra = {}
    if job["method"] == "search":
        r = search_path(gm, a, b, rng=rng, max_evaluations=job["budget"],
                        n_pivots=job["pivots"], max_pivots=job["max_pivots"])
        path, stop = r.path, r.stop
        extra = {"n_pivots": r.n_pivots, "stats": r.stats}
    else:
        ca, cb, ja, jb = _quotient_ends(gm, a, b)
        middle, stop = None, "join"
        if ja is not None and jb is not None:
            if job["method"] == "line":
                middle = staircase_path(gm, np.stack([ca, cb]), max_evaluations=job["budget"])
            elif job["method"] == "walk":
                middle = neutral_path(gm, ca, cb, max_evaluations=job["budget"], rng=rng)
            elif job["method"] == "curve":
                middle, extra["curve_kept"] = _curve(gm, spec, ca, cb, job,
                                                     seed.generate_state(1)[0])
            else:
                raise ValueError(f"unknown method {job['method']!r}")
            stop = "found" if middle is not None else "not found"
        path = None if middle is None else _assemble(ja, middle, jb)
    found = path is not None and verify_path(gm, path, p).ok
    out.update(found=bool(found), stop=stop, evaluations=int(gm.n_evaluations - ev0),
               seconds=time.perf_counter() - t0, phenotype=p,
               path_steps=None if path is None else int(path.shape[0] - 1), **extra)
    if found and job.get("keep_path"):
        genomes = gm.to_genomes(path)
        out["path"] = encode_path(genomes)
        n = genomes.shape[0]
        rows = genomes[np.unique(np.linspace(0, n - 1, min(n, job.get("internal_rows", 64)))
                                 .round().astype(int))]
        ind = internal_distance(spec, genomes[0], rows)
        out["internal_along"] = {"rel": ind["rel"].tolist(), "flip": ind["flip"].tolist()}
    return out


_KINDS = {"evolve": _evolve, "train": _train, "reach": _reach, "pair": _pair}


def run_jobs(rows, jobs) -> dict:
    """Run ``jobs[rows]`` here, in order; ``{"out": object array of result dicts}``
    (the row-per-entry dict :meth:`alife.parallel.Executor.map_rows` joins)."""
    out = np.empty(len(rows), dtype=object)
    for k, i in enumerate(np.asarray(rows).tolist()):
        c0 = time.process_time()
        out[k] = _KINDS[jobs[i]["kind"]](jobs[i])
        out[k]["cpu_seconds"] = time.process_time() - c0
    return {"out": out}
