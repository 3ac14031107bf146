"""Mode connectivity on digits: straight line vs trained Bezier and PolyChain curves.

For each of ``pairs`` seed pairs, two 64-``width``-10 ReLU MLPs are trained
independently on sklearn's digits (:func:`alife.bridge.data.digits_split`,
seed 0; seeds 2p and 2p+1 drive initialisation and shuffling), then three
paths between them are evaluated at 61 points
(:func:`alife.bridge.evaluate_path.evaluate_path`):

* the straight line;
* a Bezier curve with one bend and a PolyChain with one bend, each trained
  as Garipov et al. (2018) train curves (:func:`alife.bridge.paths.train_curve`);
* with ``autoneb=True`` (``--autoneb``) also the PolyChain that
  :class:`alife.bridge.paths.AutoNEB` relaxes (Draxler et al. 2018; not part
  of the targets).

Printed per pair: the train-NLL barrier and the test-error barrier (Frankle's
definition, percentage points for the error) of every path and the ratio
curve / line.  The acceptance targets (issue "bridge: paths"):

* straight line: train-NLL barrier >= 0.15 and test-error barrier >= 3 points
  in at least 2 of 3 pairs;
* Bezier and PolyChain: barriers <= 0.06 NLL, <= 1.5 points and <= 0.25 x the
  straight line's.

Usage::

    python experiments/bridge/digits_paths.py            # full (3 pairs)
    python experiments/bridge/digits_paths.py --quick    # seconds, for tests
    python experiments/bridge/digits_paths.py --autoneb  # also AutoNEB (~6 s a pair)
"""
from __future__ import annotations

import argparse
import time

import torch.nn.functional as F
from torch.func import functional_call

from alife.bridge.data import digits_split
from alife.bridge.evaluate_path import evaluate_path
from alife.bridge.models import MLP
from alife.bridge.paths import (AutoNEB, BezierPath, LinearPath, PolyChainPath, model_params,
                                train_curve)
from alife.bridge.train import evaluate, limit_threads, train_mlp

#: Endpoint training (SGD + momentum, Garipov's schedule): long enough that
#: the nets fit the train set (train NLL ~ 1e-3), independent seeds.
ENDPOINT = dict(epochs=120, lr=0.05, batch_size=32, weight_decay=1e-4, optimizer="sgd")
#: Curve training (bends only, L2 on w(t) with the same weight decay).
CURVE = dict(epochs=120, lr=0.05, batch_size=32, weight_decay=1e-4, optimizer="sgd")
#: --quick: small and fast, no targets.
QUICK_ENDPOINT = dict(epochs=15, lr=0.05, batch_size=64, weight_decay=1e-4, optimizer="sgd")
QUICK_CURVE = dict(epochs=10, lr=0.05, batch_size=64, weight_decay=1e-4, optimizer="sgd")
#: AutoNEB (optional): cycles of relaxation (steps minibatches each) and insertion.
AUTONEB = dict(n_pivots=1, cycles=3, steps=300, lr=0.05, spring=1.0, batch_size=64)
QUICK_AUTONEB = dict(n_pivots=1, cycles=2, steps=40, lr=0.05, spring=1.0, batch_size=64)

TARGETS = dict(line_nll=0.15, line_err_pts=3.0, curve_nll=0.06, curve_err_pts=1.5, ratio=0.25)


def nll_loss(model):
    def loss_fn(params, batch):
        x, y = batch
        return F.cross_entropy(functional_call(model, params, (x,)), y)
    return loss_fn


def run(width: int = 32, pairs: int = 3, quick: bool = False, n_points: int = 61,
        verbose: bool = True, autoneb: bool = False) -> dict:
    """Train ``pairs`` endpoint pairs and evaluate line, Bezier and PolyChain paths.

    Returns a dict with ``pairs`` (list, one dict per pair: ``endpoints``
    (train/test loss and error of both nets), ``paths`` (name -> the
    :func:`~alife.bridge.evaluate_path.evaluate_path` result), ``seconds``),
    ``seconds`` and ``targets_met`` (None in quick mode; see :func:`targets_met`).
    """
    limit_threads(1)  # tiny models: one thread is many times faster than two
    t0 = time.time()
    split = digits_split()
    xtr, ytr, xte, yte = split.tensors()
    sizes = (split.n_features, int(width), split.n_classes)
    ep = QUICK_ENDPOINT if quick else ENDPOINT
    cv = QUICK_CURVE if quick else CURVE
    n_points = 11 if quick else n_points
    results = []
    for p in range(int(pairs)):
        ts = time.time()
        nets = [train_mlp(sizes, split, seed=2 * p + k, **ep) for k in (0, 1)]
        ends = [dict(train=evaluate(m, xtr, ytr), test=evaluate(m, xte, yte)) for m in nets]
        template = MLP(sizes)
        a, b = model_params(nets[0]), model_params(nets[1])
        loss_fn = nll_loss(template)
        row = {"pair": p, "endpoints": ends, "paths": {}, "train_seconds": {}}
        row["train_seconds"]["endpoints"] = time.time() - ts
        paths = {"line": LinearPath(template, a, b),
                 "bezier": BezierPath(template, a, b, n_bends=1),
                 "polychain": PolyChainPath(template, a, b, n_bends=1)}
        for name, path in paths.items():
            tc = time.time()
            if name != "line":
                train_curve(path, loss_fn, (xtr, ytr), epochs=cv["epochs"], lr=cv["lr"],
                            weight_decay=cv["weight_decay"], seed=1000 + p,
                            batch_size=cv["batch_size"], optimizer=cv["optimizer"])
            r = evaluate_path(path, template, (xtr, ytr), (xte, yte), n_points=n_points)
            row["train_seconds"][name] = time.time() - tc
            row["paths"][name] = r
        if autoneb:
            tc = time.time()
            neb = AutoNEB(template, a, b, loss_fn, (xtr, ytr), seed=2000 + p,
                          **(QUICK_AUTONEB if quick else AUTONEB))
            r = evaluate_path(neb.run(), template, (xtr, ytr), (xte, yte), n_points=n_points)
            r["pivots"] = neb.chain.shape[0] - 2
            row["train_seconds"]["autoneb"] = time.time() - tc
            row["paths"]["autoneb"] = r
        row["seconds"] = time.time() - ts
        results.append(row)
        if verbose:
            _print_pair(row)
    out = {"pairs": results, "seconds": time.time() - t0, "sizes": sizes,
           "endpoint": ep, "curve": cv}
    out["targets_met"] = None if quick else targets_met(results)
    if verbose:
        print(f"total {out['seconds']:.1f} s; targets met: {out['targets_met']}")
    return out


def _print_pair(row):
    e = row["endpoints"]
    print(f"pair {row['pair']}: endpoints train NLL {e[0]['train']['loss']:.4f} / "
          f"{e[1]['train']['loss']:.4f}, test error {100 * e[0]['test']['error']:.2f}% / "
          f"{100 * e[1]['test']['error']:.2f}%  ({row['seconds']:.1f} s)")
    line = row["paths"]["line"]
    for name, r in row["paths"].items():
        nll, err = r["train_loss_barrier"], 100 * r["test_error_barrier"]
        ratio = ""
        if name != "line":
            rn = nll / line["train_loss_barrier"] if line["train_loss_barrier"] > 0 else float("nan")
            re_ = (err / (100 * line["test_error_barrier"])
                   if line["test_error_barrier"] > 0 else float("nan"))
            ratio = f"  ratio NLL {rn:.3f}, error {re_:.3f}"
        print(f"  {name:9s} train-NLL barrier {nll:7.4f}  test-error barrier {err:6.2f} pts  "
              f"(Entezari {r['train_loss_barrier_entezari']:.4f} / "
              f"{100 * r['test_error_barrier_entezari']:.2f})  length {r['length']:.2f}{ratio}")


def targets_met(results) -> dict:
    """Which acceptance targets the pairs meet (see the module docstring)."""
    T = TARGETS
    n_line = sum(1 for r in results
                 if r["paths"]["line"]["train_loss_barrier"] >= T["line_nll"]
                 and 100 * r["paths"]["line"]["test_error_barrier"] >= T["line_err_pts"])
    curves_ok = True
    for r in results:
        ln = r["paths"]["line"]
        for name in ("bezier", "polychain"):
            c = r["paths"][name]
            nll, err = c["train_loss_barrier"], 100 * c["test_error_barrier"]
            ok = (nll <= T["curve_nll"] and err <= T["curve_err_pts"]
                  and nll <= T["ratio"] * max(ln["train_loss_barrier"], 0.0)
                  and err <= T["ratio"] * max(100 * ln["test_error_barrier"], 0.0))
            curves_ok = curves_ok and ok
    return {"line_pairs_with_barrier": n_line, "line": n_line >= min(2, len(results)),
            "curves": curves_ok}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--autoneb", action="store_true", help="also relax an AutoNEB chain")
    args = ap.parse_args(argv)
    run(width=args.width, pairs=args.pairs, quick=args.quick, autoneb=args.autoneb)


if __name__ == "__main__":
    main()
