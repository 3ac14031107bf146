"""``alife bridge CONFIG.toml --out BRIDGE.h5``: one mode-connectivity experiment.

For every endpoint pair (two MLPs trained independently on digits, or loaded
from checkpoints) the run

1. evaluates every path kind of ``[paths]`` (line, Bezier, PolyChain,
   AutoNEB) at ``n_points`` t: train/test loss and error, both barrier
   definitions, length, integrated loss (:func:`evaluate_path`);
2. along each path, measures the representation against both endpoints:
   linear CKA of every hidden layer and prediction agreement on the test
   inputs, and checks that curves reproduce their endpoints (max |logit
   difference| at t = 0 and t = 1);
3. for the first ``[plane] pairs`` pairs, evaluates the train loss and the
   test error on the plane through θ_A, θ_B and the Bezier bend (Garipov et
   al. 2018, figure 1), with the curve projected into it;
4. compares ensembles from endpoint A with the single model: FGE, points of
   the trained Bezier curve, SWA, and the two endpoints together.

Then ``[align]`` trains separate pairs (width 128 by default) and measures
the straight-line barrier before and after weight matching, with the
invariance checks (a permuted net computes the same outputs and has the same
CKA), and ``[gpmap]`` measures endpoint A of pair 0 as a GP map: Wagner's
robustness and evolvability under Gaussian weight perturbations
(:func:`alife.bridge.netmap.net_robustness`).

Seeds: one :class:`numpy.random.SeedSequence` (``seed``) is spawned into one
child per pair, one for ``[align]`` and one for ``[gpmap]``; every torch
generator takes its seed from these.  The result file is written once,
atomically, at the end (:func:`alife.store.write_results`, kind
``"bridge"``); read it with :func:`read_bridge`.
"""
from __future__ import annotations

import contextlib
import json
import logging
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import functional_call

from .. import provenance
from ..store import (ResultFile, RunFileError, check_target, folder_lock, output_lock,
                     refuse_same_file, write_results)
from .align import permute_mlp, weight_matching
from .config import BridgeConfig, check_sizes
from .data import digits_split
from .ensembles import curve_ensemble, ensemble_eval, fge, params_of, swa
from .evaluate_path import evaluate_path
from .models import MLP
from .paths import AutoNEB, BezierPath, LinearPath, PolyChainPath, model_params, train_curve
from .similarity import hidden_activations, layer_cka, linear_cka, prediction_agreement
from .train import evaluate, limit_threads, load_checkpoint, save_checkpoint, train_mlp

log = logging.getLogger(__name__)

KIND = "bridge"
#: acceptance targets of the digits experiment, fixed before it was run; checked in the summary
TARGETS = dict(line_nll=0.15, line_err_pts=3.0, curve_nll=0.06, curve_err_pts=1.5, ratio=0.25,
               aligned_nll=0.05)
_PROFILES = ("train_loss", "train_error", "test_loss", "test_error")


def nll_loss(model):
    """``loss_fn(params, (x, y))``: mean cross-entropy of ``model`` at ``params``."""
    def loss_fn(params, batch):
        x, y = batch
        return F.cross_entropy(functional_call(model, params, (x,)), y)
    return loss_fn


def _seeds(ss: np.random.SeedSequence, n: int) -> list[int]:
    return [int(s) for s in ss.generate_state(n)]


def _log(progress, msg):
    if progress:
        log.info(msg)


# ------------------------------------------------------------------ endpoints
def _endpoints(cfg: BridgeConfig, split, pair_ss, progress) -> list[tuple]:
    """(model A, model B, source) per pair: loaded checkpoints or trained nets."""
    sizes = tuple(cfg.model["sizes"])
    cps = cfg.pairs["checkpoints"]
    if cps:  # load every checkpoint before any work: a mismatch fails at once
        return [tuple(load_checkpoint(f, MLP(sizes))[0] for f in pair) + ("checkpoint",)
                for pair in cps]
    out = []
    kw = {k: cfg.train[k] for k in ("epochs", "lr", "batch_size", "weight_decay",
                                     "optimizer", "schedule")}
    for p, ss in enumerate(pair_ss):
        sa, sb = _seeds(ss, 2)
        t0 = time.perf_counter()
        a = train_mlp(sizes, split, seed=sa, **kw)
        b = train_mlp(sizes, split, seed=sb, **kw)
        _log(progress, f"pair {p}: trained endpoints in {time.perf_counter() - t0:.1f} s")
        out.append((a, b, "trained"))
    return out


# ---------------------------------------------------------------- along paths
def path_similarity(template, path, ha, hb, x, ts) -> dict:
    """Per t: CKA of each hidden layer vs A and vs B, prediction agreement vs A and B.

    ``ha``, ``hb``: the endpoints' :func:`hidden_activations` on ``x``."""
    n_hidden = len(ha) - 1
    cka_a = np.zeros((len(ts), n_hidden))
    cka_b = np.zeros((len(ts), n_hidden))
    agree_a = np.zeros(len(ts))
    agree_b = np.zeros(len(ts))
    with torch.no_grad():
        for i, t in enumerate(ts):
            h = hidden_activations(template, x, params=path.params(float(t)))
            cka_a[i] = [linear_cka(u, v) for u, v in zip(ha[:n_hidden], h[:n_hidden])]
            cka_b[i] = [linear_cka(u, v) for u, v in zip(hb[:n_hidden], h[:n_hidden])]
            agree_a[i] = prediction_agreement(ha[-1], h[-1])
            agree_b[i] = prediction_agreement(hb[-1], h[-1])
    return {"cka_a": cka_a, "cka_b": cka_b, "agree_a": agree_a, "agree_b": agree_b}


def endpoint_error(template, path, a, b, x) -> float:
    """max |logits(path at t=0) − logits(A)| and the same at t=1 against B."""
    with torch.no_grad():
        d0 = (functional_call(template, path.params(0.0), (x,)) - a(x)).abs().max()
        d1 = (functional_call(template, path.params(1.0), (x,)) - b(x)).abs().max()
    return float(max(d0, d1))


def _make_path(kind, cfg, template, pa, pb, data, seed):
    loss_fn = nll_loss(template)
    pc = cfg.paths
    if kind == "line":
        return LinearPath(template, pa, pb), {}
    if kind == "autoneb":
        ne = cfg.autoneb
        neb = AutoNEB(template, pa, pb, loss_fn, data, seed=seed, n_pivots=ne["pivots"],
                      cycles=ne["cycles"], steps=ne["steps"], lr=ne["lr"], spring=ne["spring"],
                      batch_size=ne["batch_size"])
        path = neb.run()
        return path, {"pivots": int(neb.chain.shape[0] - 2)}
    cls = BezierPath if kind == "bezier" else PolyChainPath
    path = cls(template, pa, pb, n_bends=pc["bends"])
    hist = train_curve(path, loss_fn, data, epochs=pc["epochs"], lr=pc["lr"],
                       weight_decay=pc["weight_decay"], seed=seed,
                       batch_size=pc["batch_size"], optimizer=pc["optimizer"])
    return path, {"curve_loss": np.asarray(hist["loss"])}


# ---------------------------------------------------------------------- plane
def loss_plane(template, pa, pb, bend, data_tr, data_te, grid: int, margin: float,
               curve=None, n_curve: int = 61) -> dict:
    """Train loss and test error on the plane through θ_A, θ_B and a bend.

    Orthonormal basis (Garipov et al. 2018): u along θ_B − θ_A, v along the
    part of bend − θ_A orthogonal to u.  Returns the grid coordinates
    ``u``, ``v`` (grid,), ``train_loss`` and ``test_error`` (grid, grid)
    indexed [v, u], the anchors' coordinates (3, 2: A, B, bend) and, given
    ``curve``, its points projected onto the plane (n_curve, 2) with the
    largest distance of a curve point from the plane (``curve_offplane``).
    """
    names = list(pa)
    flat = lambda d: torch.cat([d[n].detach().reshape(-1).double() for n in names])  # noqa: E731
    wa, wb, wc = flat(pa), flat(pb), flat(bend)
    u = wb - wa
    du = u.norm()
    u = u / du
    r = wc - wa
    v = r - (r @ u) * u
    dv = v.norm()
    if float(dv) == 0.0:
        raise ValueError("the bend lies on the line through the endpoints: no plane")
    v = v / dv
    anchors = np.array([[0.0, 0.0], [float(du), 0.0], [float(r @ u), float(dv)]])
    lo, hi = anchors.min(0), anchors.max(0)
    span = hi - lo
    if span[1] < 0.5 * span[0]:  # a bend close to the line: show a readable strip around it
        mid = 0.5 * (lo[1] + hi[1])
        lo[1], hi[1] = mid - 0.25 * span[0], mid + 0.25 * span[0]
        span = hi - lo
    us = np.linspace(lo[0] - margin * span[0], hi[0] + margin * span[0], grid)
    vs = np.linspace(lo[1] - margin * span[1], hi[1] + margin * span[1], grid)
    shapes = [(n, pa[n].shape, pa[n].numel(), pa[n].dtype) for n in names]

    def unflat(w):
        out, k = {}, 0
        for n, shape, size, dtype in shapes:
            out[n] = w[k:k + size].reshape(shape).to(dtype)
            k += size
        return out

    tr_loss = np.zeros((grid, grid))
    te_err = np.zeros((grid, grid))
    (xtr, ytr), (xte, yte) = data_tr, data_te
    with torch.no_grad():
        for i, cv in enumerate(vs):
            for j, cu in enumerate(us):
                params = unflat(wa + cu * u + cv * v)
                tr_loss[i, j] = float(F.cross_entropy(functional_call(template, params, (xtr,)), ytr))
                pred = functional_call(template, params, (xte,)).argmax(1)
                te_err[i, j] = float((pred != yte).double().mean())
        out = {"u": us, "v": vs, "train_loss": tr_loss, "test_error": te_err, "anchors": anchors}
        if curve is not None:
            pts = np.zeros((n_curve, 2))
            off = 0.0
            for k, t in enumerate(np.linspace(0, 1, n_curve)):
                d = flat(curve.params(float(t))) - wa
                pts[k] = [float(d @ u), float(d @ v)]
                off = max(off, float((d - (d @ u) * u - (d @ v) * v).norm()))
            out["curve"] = pts
            out["curve_offplane"] = off
    return out


# ------------------------------------------------------------------ ensembles
def _ensembles(ec, a, pa, pb, curve, train, test, seeds, *, batch_size: int,
               weight_decay: float) -> dict:
    """Test NLL and error of ensembles from endpoint A against one model.

    FGE (snapshots of SGD with a cyclical rate, started from A), SWA from A,
    ``curve_points`` equally spaced points of ``curve`` (both endpoints
    included), and the two endpoints together; ``single_a`` / ``single_b``
    are the endpoints alone.
    """
    (xtr, ytr), (xte, yte) = train, test
    g = torch.Generator().manual_seed(seeds[0])
    batches = [(xtr[i], ytr[i]) for i in torch.randperm(len(xtr), generator=g).split(batch_size)]
    snaps = fge(a, batches, F.cross_entropy, cycles=ec["fge_cycles"],
                cycle_length=2 * ((ec["fge_cycle_epochs"] * len(batches) + 1) // 2),
                lr_high=ec["lr_high"], lr_low=ec["lr_low"], seed=seeds[1],
                weight_decay=weight_decay)
    s = swa(a, batches, F.cross_entropy, epochs=ec["swa_epochs"], lr=ec["lr_high"],
            swa_lr=ec["swa_lr"], seed=seeds[2], weight_decay=weight_decay)
    out = {"single_a": ensemble_eval(a, [pa], xte, yte),
           "single_b": ensemble_eval(a, [pb], xte, yte),
           "endpoints": ensemble_eval(a, [pa, pb], xte, yte),
           "fge": ensemble_eval(a, snaps, xte, yte),
           "swa": ensemble_eval(a, [params_of(s)], xte, yte)}
    if curve is not None:
        ts = np.linspace(0.0, 1.0, ec["curve_points"])
        out["curve"] = ensemble_eval(a, curve_ensemble(curve, ts), xte, yte)
    return {k: {"nll": v["nll"], "error": v["error"], "n_members": v["n_members"],
                "mean_member_nll": v["mean_member_nll"]} for k, v in out.items()}


def _log_ensembles(progress, head, e):
    _log(progress, f"{head}: test NLL A {e['single_a']['nll']:.4f}, B {e['single_b']['nll']:.4f}, "
                   f"FGE {e['fge']['nll']:.4f}"
                   + (f", curve {e['curve']['nll']:.4f}" if "curve" in e else "")
                   + f", SWA {e['swa']['nll']:.4f}, A+B {e['endpoints']['nll']:.4f}")


# ---------------------------------------------------------------------- pairs
def run_pair(cfg: BridgeConfig, p: int, a, b, split, ss, progress) -> tuple[dict, dict]:
    """Paths, similarity, plane and ensembles of one endpoint pair: (summary, arrays)."""
    xtr, ytr, xte, yte = split.tensors()
    template = MLP(tuple(cfg.model["sizes"]))
    pa, pb = model_params(a), model_params(b)
    seeds = _seeds(ss, 8)
    summary = {"pair": p, "endpoints": [{"train": evaluate(m, xtr, ytr), "test": evaluate(m, xte, yte)}
                                        for m in (a, b)],
               "paths": {}, "seconds": {}}
    arrays = {f"pair{p}/a/{n}": v.numpy() for n, v in pa.items()}
    arrays.update({f"pair{p}/b/{n}": v.numpy() for n, v in pb.items()})
    paths = {}
    ha, hb = hidden_activations(a, xte), hidden_activations(b, xte)
    for k, kind in enumerate(cfg.paths["kinds"]):
        t0 = time.perf_counter()
        path, extra = _make_path(kind, cfg, template, pa, pb, (xtr, ytr), seeds[2 + k])
        r = evaluate_path(path, template, (xtr, ytr), (xte, yte), n_points=cfg.paths["n_points"])
        sim = path_similarity(template, path, ha, hb, xte, r["t"])
        row = {key: v for key, v in r.items() if not isinstance(v, np.ndarray)}
        row["endpoint_max_abs_diff"] = endpoint_error(template, path, a, b, xte)
        row["min_cka"] = float(min(sim["cka_a"].min(), sim["cka_b"].min()))
        row["min_agreement"] = float(min(sim["agree_a"].min(), sim["agree_b"].min()))
        row.update({key: v for key, v in extra.items() if not isinstance(v, np.ndarray)})
        summary["paths"][kind] = row
        for key, v in {**r, **sim, **extra}.items():
            if isinstance(v, np.ndarray):
                arrays[f"pair{p}/paths/{kind}/{key}"] = v
        for i, bend in enumerate(path.bend_params() if hasattr(path, "bend_params") else []):
            for n, v in bend.items():
                arrays[f"pair{p}/paths/{kind}/bend{i}/{n}"] = v.detach().numpy()
        paths[kind] = path
        summary["seconds"][kind] = time.perf_counter() - t0
        _log(progress, f"pair {p}: {kind:9s} train-NLL barrier {r['train_loss_barrier']:.4f}, "
                       f"test-error barrier {100 * r['test_error_barrier']:.2f} pts "
                       f"({summary['seconds'][kind]:.1f} s)")
    curve = paths.get("bezier") or paths.get("polychain")
    if p < cfg.plane["pairs"] and curve is not None:
        t0 = time.perf_counter()
        bend = curve.bend_params()[0]
        pl = loss_plane(template, pa, pb, bend, (xtr, ytr), (xte, yte), cfg.plane["grid"],
                        cfg.plane["margin"], curve=curve)
        summary["plane"] = {"curve": "bezier" if "bezier" in paths else "polychain",
                            "curve_offplane": pl.pop("curve_offplane"),
                            "min_train_loss": float(pl["train_loss"].min()),
                            "max_train_loss": float(pl["train_loss"].max())}
        arrays.update({f"pair{p}/plane/{k}": v for k, v in pl.items()})
        summary["seconds"]["plane"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary["ensembles"] = _ensembles(cfg.ensembles, a, pa, pb, curve, (xtr, ytr), (xte, yte),
                                      seeds[5:8], batch_size=cfg.train["batch_size"],
                                      weight_decay=cfg.train["weight_decay"])
    summary["seconds"]["ensembles"] = time.perf_counter() - t0
    _log_ensembles(progress, f"pair {p}", summary["ensembles"])
    return summary, arrays


# ---------------------------------------------------------------------- align
def run_align(cfg: BridgeConfig, split, ss, progress) -> tuple[list, dict]:
    """Weight matching on separately trained pairs: barriers before/after, invariances."""
    al = cfg.align
    sizes = tuple(al["sizes"])
    xtr, ytr, xte, yte = split.tensors()
    kw = {k: al[k] for k in ("epochs", "lr", "batch_size", "weight_decay", "optimizer", "schedule")}
    rows, arrays = [], {}
    for p, child in enumerate(ss.spawn(al["pairs"])):
        t0 = time.perf_counter()
        sa, sb, sm, sp, sc, se = _seeds(child, 6)
        a = train_mlp(sizes, split, seed=sa, **kw)
        b = train_mlp(sizes, split, seed=sb, **kw)
        perms = weight_matching(a, b, seed=sm)
        b_al = permute_mlp(b, perms)
        pa, pb, pb_al = model_params(a), model_params(b), model_params(b_al)
        before = evaluate_path(LinearPath(a, pa, pb), a, (xtr, ytr), (xte, yte),
                               n_points=al["n_points"])
        after = evaluate_path(LinearPath(a, pa, pb_al), a, (xtr, ytr), (xte, yte),
                              n_points=al["n_points"])
        # invariance: a random permutation of B's hidden units changes nothing
        g = torch.Generator().manual_seed(sp)
        rand = [torch.randperm(w, generator=g).numpy() for w in sizes[1:-1]]
        b_rand = permute_mlp(b, rand)
        out_diff = max(_output_diff64(b, b_rand, xte), _output_diff64(b, b_al, xte))
        cka_before = layer_cka(a, b, xte)
        cka_after = layer_cka(a, b_al, xte)
        row = {"pair": p,
               "train_loss_barrier_before": before["train_loss_barrier"],
               "train_loss_barrier_after": after["train_loss_barrier"],
               "test_error_barrier_before": before["test_error_barrier"],
               "test_error_barrier_after": after["test_error_barrier"],
               "permuted_output_max_abs_diff": out_diff,
               "cka_before": cka_before, "cka_after": cka_after,
               "cka_max_abs_change": float(np.max(np.abs(np.subtract(cka_before, cka_after)))),
               }
        curve = BezierPath(a, pa, pb_al, n_bends=1)
        train_curve(curve, nll_loss(a), (xtr, ytr), epochs=al["curve_epochs"], lr=al["curve_lr"],
                    weight_decay=al["weight_decay"], seed=sc, batch_size=al["batch_size"],
                    optimizer=al["curve_optimizer"], schedule=al["schedule"])
        row["ensembles"] = _ensembles(cfg.ensembles, a, pa, pb_al, curve, (xtr, ytr), (xte, yte),
                                      (se, se + 1, se + 2), batch_size=al["batch_size"],
                                      weight_decay=al["weight_decay"])
        row["seconds"] = time.perf_counter() - t0
        rows.append(row)
        for name, r in (("before", before), ("after", after)):
            for k in _PROFILES:
                arrays[f"align/pair{p}/{name}/{k}"] = r[k]
            arrays[f"align/pair{p}/{name}/t"] = r["t"]
        _log(progress, f"align {p}: width {sizes[1:-1]} line barrier {row['train_loss_barrier_before']:.4f}"
                       f" -> {row['train_loss_barrier_after']:.4f} after weight matching "
                       f"({row['seconds']:.1f} s)")
        _log_ensembles(progress, f"align {p}", row["ensembles"])
    return rows, arrays


def _output_diff64(m, m_perm, x) -> float:
    """max |m(x) − m_perm(x)| computed in float64 (float32 sums in another order differ by ~1e-6)."""
    with torch.no_grad():
        p64 = {k: v.double() for k, v in model_params(m).items()}
        q64 = {k: v.double() for k, v in model_params(m_perm).items()}
        x64 = torch.as_tensor(x).double()
        return float((functional_call(m, p64, (x64,)) - functional_call(m, q64, (x64,))).abs().max())


# ------------------------------------------------------------------ GP map
def run_gpmap(cfg: BridgeConfig, model, split, ss) -> list[dict]:
    """Wagner's robustness and evolvability of ``model`` per sigma (probe: test inputs)."""
    from .netmap import net_robustness
    _, _, xte, _ = split.tensors()
    rows = []
    for sigma, child in zip(cfg.gpmap["sigmas"], ss.spawn(len(cfg.gpmap["sigmas"]))):
        rows.append(net_robustness(model, xte, sigma, cfg.gpmap["n"], np.random.default_rng(child)))
    return rows


# --------------------------------------------------------------------- targets
def targets_met(pairs: list, align: list) -> dict:
    """The digits acceptance targets (``TARGETS``) against the measured barriers."""
    T = TARGETS
    n_line = sum(1 for r in pairs
                 if r["paths"]["line"]["train_loss_barrier"] >= T["line_nll"]
                 and 100 * r["paths"]["line"]["test_error_barrier"] >= T["line_err_pts"])
    curves = {}
    for name in ("bezier", "polychain"):
        ok = None
        for r in pairs:
            if name not in r["paths"]:
                continue
            ln, c = r["paths"]["line"], r["paths"][name]
            nll, err = c["train_loss_barrier"], 100 * c["test_error_barrier"]
            this = (nll <= T["curve_nll"] and err <= T["curve_err_pts"]
                    and nll <= T["ratio"] * max(ln["train_loss_barrier"], 0.0)
                    and err <= T["ratio"] * max(100 * ln["test_error_barrier"], 0.0))
            ok = this if ok is None else (ok and this)
        curves[name] = ok
    out = {"line_pairs_with_barrier": n_line,
           "line": n_line >= min(2, len(pairs)),
           "curves": curves,
           "curve_endpoints_1e-6": all(r["paths"][k]["endpoint_max_abs_diff"] <= 1e-6
                                       for r in pairs for k in r["paths"]),
           "ensembles": _ensemble_wins([r["ensembles"] for r in pairs])}
    if align:
        out["aligned_line"] = all(r["train_loss_barrier_after"] <= T["aligned_nll"] for r in align)
        out["permutation_invariance_1e-6"] = all(r["permuted_output_max_abs_diff"] <= 1e-6
                                                 and r["cka_max_abs_change"] <= 1e-6 for r in align)
        out["align_ensembles"] = _ensemble_wins([r["ensembles"] for r in align])
    return out


def _ensemble_wins(ens: list) -> dict:
    """In how many pairs each ensemble's test NLL beats endpoint A alone (the model
    FGE and SWA start from) and the mean of the two endpoints' NLLs."""
    out = {}
    for k in ("fge", "curve", "swa", "endpoints"):
        if ens and all(k in e for e in ens):
            out[f"{k}_beats_a"] = sum(e[k]["nll"] < e["single_a"]["nll"] for e in ens)
            out[f"{k}_beats_mean_endpoint"] = sum(
                e[k]["nll"] < 0.5 * (e["single_a"]["nll"] + e["single_b"]["nll"]) for e in ens)
    out["pairs"] = len(ens)
    return out


# ------------------------------------------------------------------------- run
def run_bridge(cfg: BridgeConfig, out, *, force: bool = False, progress: bool = True,
               save_checkpoints: str | None = None) -> dict:
    """Run the experiment ``cfg`` and write ``out`` (BRIDGE.h5); returns the summary.

    ``save_checkpoints``: a folder to also write every trained endpoint to
    (``pairN_a.h5``, ``pairN_b.h5``; :func:`~alife.bridge.train.save_checkpoint`),
    so that a later config can load them with ``[pairs] checkpoints``.

    ``progress``: log a line after each step (trained endpoints, each path,
    the ensembles) to the ``alife.bridge.run`` logger at level INFO (shown
    by ``alife bridge``; in a notebook after
    ``logging.getLogger("alife").setLevel(logging.INFO)`` and a handler).

    ``out``'s lock (and that of the ``save_checkpoints`` folder) is held for
    the whole run (:func:`alife.store.output_lock`): a second writer is
    refused, with or without ``force``; ``out`` may not be one of the
    checkpoints the config loads.
    """
    out = Path(out)
    check_sizes(cfg)
    if out.is_dir():
        raise RunFileError(f"{out} is a directory; give a file name such as BRIDGE.h5")
    inputs = [f for pair in cfg.pairs["checkpoints"] for f in pair]
    refuse_same_file(out, inputs)
    if save_checkpoints is not None:
        for p in range(cfg.n_pairs):
            for name in ("a", "b"):
                refuse_same_file(Path(save_checkpoints) / f"pair{p}_{name}.h5", inputs,
                                 what="--save-checkpoints file")
    with contextlib.ExitStack() as locks:
        locks.enter_context(output_lock(out))       # one writer; before the existence check
        if save_checkpoints is not None:
            locks.enter_context(folder_lock(save_checkpoints))
        check_target(out, force=force)
        return _run_bridge_locked(cfg, out, force, progress, save_checkpoints)


def _run_bridge_locked(cfg: BridgeConfig, out: Path, force: bool, progress: bool,
                       save_checkpoints) -> dict:
    limit_threads(1)  # tiny models: one torch thread is many times faster than two here
    t0 = time.perf_counter()
    split = digits_split(cfg.data["test_fraction"], cfg.data["split_seed"])
    ss_pairs, ss_align, ss_gp = np.random.SeedSequence(cfg.seed).spawn(3)
    pair_ss = ss_pairs.spawn(cfg.n_pairs)
    ends = _endpoints(cfg, split, pair_ss, progress)
    if save_checkpoints is not None:
        for p, (a, b, _) in enumerate(ends):
            for name, m in (("a", a), ("b", b)):
                save_checkpoint(Path(save_checkpoints) / f"pair{p}_{name}.h5", m,
                                {"config_seed": cfg.seed, "pair": p, "endpoint": name}, force=force)
    pairs, arrays = [], {}
    for p, ((a, b, source), ss) in enumerate(zip(ends, pair_ss)):
        s, arr = run_pair(cfg, p, a, b, split, ss, progress)
        s["source"] = source
        pairs.append(s)
        arrays.update(arr)
    align, arr = run_align(cfg, split, ss_align, progress)
    arrays.update(arr)
    gp = run_gpmap(cfg, ends[0][0], split, ss_gp)
    summary = {"pairs": pairs, "align": align, "gpmap": gp, "targets": TARGETS,
               "targets_met": targets_met(pairs, align),
               "seconds": time.perf_counter() - t0}
    attrs = {"config_toml": cfg.text, "summary": json.dumps(summary, default=float),
             "provenance": json.dumps({**provenance.recorded(),
                                       "torch_threads": torch.get_num_threads()}, sort_keys=True)}
    write_results(out, KIND, attrs, arrays, force=force)
    _log(progress, f"targets met: {json.dumps(summary['targets_met'])}; "
                   f"{summary['seconds']:.1f} s in all")
    return summary


def read_bridge(path, names=None) -> tuple[dict, dict, dict]:
    """``(summary, arrays, attrs)`` of a BRIDGE.h5 file (one-line error if it is not one).

    ``names``: the datasets to read (and verify): None for all, an iterable
    of names, or a function of the summary returning them (read only what
    a command needs)."""
    with ResultFile(path, KIND) as rf:
        attrs = dict(rf.attrs)
        try:
            summary = json.loads(attrs["summary"])
        except (KeyError, ValueError, TypeError):
            raise RunFileError(f"{path}: the bridge summary is missing or corrupt; rerun "
                               f"alife bridge to rebuild it") from None
        if callable(names):
            try:
                names = names(summary)
            except (KeyError, TypeError, ValueError, IndexError) as e:
                raise RunFileError(f"{path}: the bridge summary lacks what is needed "
                                   f"({type(e).__name__}: {e}); rerun alife bridge") from None
        arrays = rf.read_all(names)
    return summary, arrays, attrs


def bridge_summary(path) -> dict:
    """Headline numbers of a BRIDGE.h5 file (JSON-able), with ``config_toml``."""
    summary, _, attrs = read_bridge(path, names=())
    out = {"config_toml": attrs["config_toml"], "targets_met": summary["targets_met"],
           "seconds": summary["seconds"], "pairs": []}
    for r in summary["pairs"]:
        out["pairs"].append({
            "pair": r["pair"],
            "endpoint_test_error": [e["test"]["error"] for e in r["endpoints"]],
            **{f"{k}_train_nll_barrier": v["train_loss_barrier"] for k, v in r["paths"].items()},
            **{f"{k}_test_error_barrier": v["test_error_barrier"] for k, v in r["paths"].items()},
            **{f"{k}_min_cka": v["min_cka"] for k, v in r["paths"].items()},
            **{f"ensemble_{k}_test_nll": v["nll"] for k, v in r["ensembles"].items()}})
    out["align"] = [{k: r[k] for k in ("pair", "train_loss_barrier_before",
                                       "train_loss_barrier_after")} for r in summary["align"]]
    out["gpmap"] = summary["gpmap"]
    return out
