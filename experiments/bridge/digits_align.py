"""Weight matching, CKA and cheap ensembles on sklearn's digits.

``run(quick=False)`` trains two MLPs (64-W-10) from different seeds with Adam,
measures the straight-line train-NLL barrier ``max_t L(w(t)) - (L_A + L_B)/2``
between them before and after weight matching (Ainsworth et al. 2023), the
per-layer linear CKA and prediction agreement, and compares the test NLL and
error of one model with an FGE ensemble (Garipov et al. 2018), a linear-curve
ensemble between the aligned endpoints and SWA.

    .venv/bin/python experiments/bridge/digits_align.py [--quick]

Measured (full run, 64-128-10, Adam lr 1e-3, batch 64, 100 epochs, by
:func:`alife.bridge.train.train_mlp`; seed pairs (0,1), (2,3), (4,5); 26
points on each line; 1 torch thread; 19 s for all three pairs, 2026-11-28):

* straight-line train-NLL barrier before -> after weight matching:
  0.123 -> 0.014, 0.163 -> 0.016, 0.246 -> 0.013 (target <= 0.05: met);
  train-error barrier 0.013/0.034/0.077 -> 0.003/0.003/0.001; test-NLL
  barrier 0.109/0.159/0.207 -> 0.016/0.010/0.008.
* hidden-layer linear CKA A vs B 0.993 in every pair, unchanged by the
  matching (as it must be).
* test NLL, single A | FGE (8 snapshots) | Bezier curve A -> matched B,
  5 points | SWA | single B | A+B:
  pair 0: 0.0822 | 0.0818 | 0.0803 | 0.0827 | 0.0827 | 0.0817
  pair 2: 0.0919 | 0.0873 | 0.0838 | 0.0881 | 0.0818 | 0.0859
  pair 4: 0.0819 | 0.0795 | 0.0768 | 0.0794 | 0.0798 | 0.0794
  FGE and the curve ensemble beat model A in every pair; the curve ensemble
  beats both endpoints in pairs 0 and 4, not in pair 2 (B alone is better).
  The gains are small (0.5-9 % NLL): the digits MLPs are barely
  overconfident, so averaging has little to fix.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from alife.bridge.align import permute_mlp, weight_matching
from alife.bridge.data import digits_split
from alife.bridge.ensembles import curve_ensemble, ensemble_eval, fge, params_of, swa
from alife.bridge.evaluate_path import barrier
from alife.bridge.paths import BezierPath, LinearPath, train_curve
from alife.bridge.similarity import layer_cka, prediction_agreement
from alife.bridge.train import train_mlp


def path_losses(model, path, x, y, ts):
    """(len(ts), 2) mean NLL and error along ``path``."""
    out = []
    with torch.no_grad():
        for t in ts:
            logits = torch.func.functional_call(model, path.params(float(t)), (x,))
            out.append((float(F.cross_entropy(logits, y)),
                        float((logits.argmax(1) != y).float().mean())))
    return np.array(out)


def _nll(model, x, y):
    def loss(params, batch):
        bx, by = batch
        return F.cross_entropy(torch.func.functional_call(model, params, (bx,)), by)
    return loss


def run(quick: bool = False, width: int = 128, seed: int = 0) -> dict:
    torch.set_num_threads(1)  # tiny nets: one thread is fastest (2 threads spin under load)
    t0 = time.perf_counter()
    split = digits_split()
    xtr, ytr, xte, yte = split.tensors()
    sizes = (64, width, 10)
    epochs = 30 if quick else 100
    kw = dict(epochs=epochs, lr=1e-3, batch_size=64, weight_decay=0.0, optimizer="adam",
              schedule=False)
    a = train_mlp(sizes, split, seed=seed, **kw)
    b = train_mlp(sizes, split, seed=seed + 1, **kw)
    t_train = time.perf_counter() - t0
    ts = np.linspace(0, 1, 11 if quick else 26)

    t1 = time.perf_counter()
    perms = weight_matching(a, b, seed=seed)
    b_al = permute_mlp(b, perms)
    t_match = time.perf_counter() - t1
    pa, pb, pb_al = params_of(a), params_of(b), params_of(b_al)
    before = path_losses(a, LinearPath(a, pa, pb), xtr, ytr, ts)
    after = path_losses(a, LinearPath(a, pa, pb_al), xtr, ytr, ts)
    before_te = path_losses(a, LinearPath(a, pa, pb), xte, yte, ts)
    after_te = path_losses(a, LinearPath(a, pa, pb_al), xte, yte, ts)
    with torch.no_grad():
        agree = prediction_agreement(a(xte), b(xte))
    res = {
        "sizes": sizes, "epochs": epochs,
        "train_nll_endpoints": [float(before[0, 0]), float(before[-1, 0])],
        "barrier_train_nll_before": barrier(before[:, 0]),
        "barrier_train_nll_after": barrier(after[:, 0]),
        "barrier_train_error_before": barrier(before[:, 1]),
        "barrier_train_error_after": barrier(after[:, 1]),
        "barrier_test_nll_before": barrier(before_te[:, 0]),
        "barrier_test_nll_after": barrier(after_te[:, 0]),
        "midpoint_test_error_before": float(before_te[len(ts) // 2, 1]),
        "midpoint_test_error_after": float(after_te[len(ts) // 2, 1]),
        "cka_hidden_before": layer_cka(a, b, xte),
        "cka_hidden_after": layer_cka(a, b_al, xte),
        "prediction_agreement_test": agree,
        "seconds_train_two": t_train, "seconds_match": t_match,
    }

    # ensembles, all from model a, compared on the test set
    batches = [(xtr[i], ytr[i]) for i in
               torch.randperm(len(xtr), generator=torch.Generator().manual_seed(7)).split(64)]
    t2 = time.perf_counter()
    snaps = fge(a, batches, F.cross_entropy, cycles=4 if quick else 8,
                cycle_length=(2 if quick else 4) * len(batches), lr_high=0.05, lr_low=0.001, seed=seed)
    res["seconds_fge"] = time.perf_counter() - t2
    single = ensemble_eval(a, [pa], xte, yte)
    e_fge = ensemble_eval(a, snaps, xte, yte)
    curve_ts = [0.0, 0.25, 0.5, 0.75, 1.0]
    e_lin = ensemble_eval(a, curve_ensemble(LinearPath(a, pa, pb_al), curve_ts), xte, yte)
    t3 = time.perf_counter()
    bend_epochs = 10 if quick else 30
    bez_al, bez_raw = BezierPath(a, pa, pb_al), BezierPath(a, pa, pb)
    for path in (bez_al, bez_raw):
        train_curve(path, _nll(a, xtr, ytr), (xtr, ytr), epochs=bend_epochs, lr=3e-3,
                    optimizer="adam", schedule=False, seed=seed)
    res["seconds_two_bezier_fits"] = time.perf_counter() - t3
    e_bez_al = ensemble_eval(a, curve_ensemble(bez_al, curve_ts), xte, yte)
    e_bez_raw = ensemble_eval(a, curve_ensemble(bez_raw, curve_ts), xte, yte)
    single_b = ensemble_eval(b, [pb], xte, yte)
    e_two = ensemble_eval(a, [pa, pb], xte, yte)
    s = swa(a, batches, F.cross_entropy, epochs=5 if quick else 20, lr=0.05, swa_lr=0.01, seed=seed)
    e_swa = ensemble_eval(a, [params_of(s)], xte, yte)
    res.update({
        "single_test_nll": single["nll"], "single_test_error": single["error"],
        "fge_test_nll": e_fge["nll"], "fge_test_error": e_fge["error"],
        "fge_members": e_fge["n_members"], "fge_mean_member_nll": e_fge["mean_member_nll"],
        "single_b_test_nll": single_b["nll"], "single_b_test_error": single_b["error"],
        "curve_ts": curve_ts,
        "curve_linear_aligned_test_nll": e_lin["nll"],
        "curve_linear_aligned_test_error": e_lin["error"],
        "curve_bezier_aligned_test_nll": e_bez_al["nll"],
        "curve_bezier_aligned_test_error": e_bez_al["error"],
        "curve_bezier_raw_test_nll": e_bez_raw["nll"],
        "curve_bezier_raw_test_error": e_bez_raw["error"],
        "two_independent_test_nll": e_two["nll"], "two_independent_test_error": e_two["error"],
        "swa_test_nll": e_swa["nll"], "swa_test_error": e_swa["error"],
        "seconds_total": time.perf_counter() - t0,
    })
    return res


def run_seeds(seeds=(0, 2, 4), quick: bool = False, width: int = 128) -> list[dict]:
    """:func:`run` for several seed pairs (pair ``s`` trains seeds ``s`` and ``s+1``)."""
    return [run(quick=quick, width=width, seed=s) for s in seeds]


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for r in run_seeds((0,) if quick else (0, 2, 4), quick=quick):
        print(json.dumps(r))
