"""The 2x2 design on HNCAs: the same rules evolved and trained, one pair per cell.

:func:`hnca_pair_cell` is a cell function for :func:`alife.sweep.run_sweep`.
Cell parameters: ``rule`` (a label, :func:`rule_spec`), ``target`` (a
target name, :func:`target_pattern`), ``mode`` (``"evolved"`` or
``"trained"``) and ``pair`` (replicate index).  Every rule lives on the same
grid (4 levels, base 8, 10 steps, one seed cell) and is a one-layer map of
each cell's 14 inputs per channel:

* ``linear`` — Bielawski et al.'s rule: linear, no bias, rectified sigmoid
  (``0 if y <= 0 else sigmoid(y)``), threshold 0 (51 genes);
* ``sigmoid-bias`` — the same linear rule with a bias and a smooth sigmoid,
  threshold 1/2 (55 genes);
* ``mlp-H{H}`` (``mlp-H{H}-C{C}`` with ``C`` channels) — the sigmoid-bias
  rule with a hidden layer of ``H`` tanh units (with biases).

A cell makes two endpoints A and B from two seeds of its own stream (so
pairs never share a genome), each solving the cell's target exactly:

* ``evolved`` — ``pop_size`` independent (1 + 1) hill climbers
  (:class:`alife.evolve.algorithms.hillclimb.HillClimbers`) with the
  project's kernel (one gene resampled from U(-1, 1), equal loss accepted),
  run until a climber reaches loss 0 or ``generations`` pass; the first
  climber at loss 0 is the endpoint;
* ``trained`` — gradient descent on the surrogate loss through the torch
  twin (:func:`alife.bridge.hnca_train.train_hnca`); the rectified sigmoid
  gets the straight-through surrogate gradient (``surrogate`` setting).  The
  trained genome's phenotype is checked with the Numba development.

An endpoint that misses the target is retried from a fresh seed, up to
``evolve_attempts`` or ``train_attempts`` times.  When both endpoints solve
the target they share the exact phenotype (the target pattern), and the
cell measures, on that pair:

* **paths** (child table ``connectivity``, one row per method) —
  ``line``: the straight line A→B at ``n_points`` evenly spaced points,
  ``kept`` = fraction of points with the target phenotype, ``connected`` =
  all of them; ``matched_line`` (MLP rules only): the same after relabelling
  B's hidden units to match A's (:func:`alife.bridge.align.weight_matching_hnca`,
  exact per level); ``search``: a verified path from
  :func:`alife.neutral.pathsearch.search_path` (one gene per step, every
  row re-developed with :func:`alife.nca.develop` and checked against the
  target; ``kept`` is 1 for a path found, NaN when none was found within
  the budget).
* **robustness** (child table ``robustness``, one row per endpoint, kernel
  and strength) — r under kernel ``resample`` (``strength`` genes resampled
  from the initialisation law U(-1, 1)) and kernel ``noise`` (Gaussian noise
  of ``strength`` times the RMS of each level's layer), from
  :func:`alife.neutral.robustness_curves.robustness_curve`; the main row
  holds sigma50 and the number of resampled genes at which r falls to 1/2.

Both child tables carry the columns of the comparison's table contract
(``system`` = ``"hnca"``, ``rule``, ``mode``, ``n_params``, ``seed`` (the
cluster id of the pair), ``pair``, ...).  A pair whose endpoints did not
both solve the target gets no connectivity rows; its main row says why.
Everything is deterministic given the cell's SeedSequence (no timing
columns: the runner records each cell's seconds apart from the tables);
torch runs on one thread, so a cell gives the same bits in any process.
"""
from __future__ import annotations

import math
import re

import numpy as np

from ..nca import HNCASpec, develop
from ..neutral.robustness_curves import Block, RMSNoise, SiteResample, robustness_curve, strength_50
from ..sweep.settings import merge_settings

__all__ = ["HNCA_SETTINGS", "HNCA_QUICK_SETTINGS", "check_hnca_settings", "rule_spec",
           "target_pattern", "hnca_blocks", "evolve_endpoint", "train_endpoint",
           "hnca_pair_cell", "ASYMMETRIC"]

#: Settings of the full sweep (every key documented in :func:`check_hnca_settings`).
HNCA_SETTINGS = {
    "levels": 4, "base_size": 8, "steps": 10,
    "pop_size": 100, "generations": 2000, "evolve_attempts": 1, "train_attempts": 2,
    "mutation": "resample", "mutation_params": {},
    "train_iterations": 600, "train_lr": 0.03, "temperature": 0.1,
    "surrogate": "straight_through", "leak": 0.1,
    "n_points": 61,
    "search_budget": 60_000, "search_pivots": 16, "search_max_pivots": 256,
    "robust_n": 100,
    "resample_sites": [1, 2, 4, 8, 16, 32],
    "noise_sigmas": [0.01, 0.03, 0.1, 0.3, 1.0],
}

#: A small version for tests and ``--quick`` (seconds per cell): a 2-level
#: grid of base 4 and 4 steps, where the small rules reach the target fast.
HNCA_QUICK_SETTINGS = {**HNCA_SETTINGS, "levels": 2, "base_size": 4, "steps": 4,
                       "pop_size": 20, "generations": 100, "evolve_attempts": 1,
                       "train_iterations": 200, "n_points": 11, "search_budget": 6000,
                       "search_pivots": 4, "search_max_pivots": 32, "robust_n": 10,
                       "resample_sites": [1, 4], "noise_sigmas": [0.03, 0.3]}

MODES = ("evolved", "trained")

#: The asymmetric target: an L of on cells (no mirror or rotation symmetry).
ASYMMETRIC = "ell"

_RULE = re.compile(r"^mlp-H(\d+)(?:-C(\d+))?$")


def check_hnca_settings(settings: dict) -> dict:
    """The settings merged over :data:`HNCA_SETTINGS`, checked (ValueError, one line).

    Keys: ``levels``, ``base_size``, ``steps`` — the grid of every rule;
    ``pop_size``, ``generations``, ``mutation``, ``mutation_params`` — the
    hill climbers of an evolved endpoint and their operator
    (:data:`alife.evolve.OPERATORS`; default one gene resampled);
    ``evolve_attempts``, ``train_attempts`` — fresh seeds tried per evolved
    or trained endpoint until one solves the target; ``train_iterations``, ``train_lr``, ``temperature`` — the
    gradient training of a trained endpoint; ``surrogate`` (None,
    ``"straight_through"``, ``"leaky"``) and ``leak`` — the rectified
    sigmoid's surrogate gradient; ``n_points`` — points per straight line;
    ``search_budget`` (phenotype evaluations), ``search_pivots``,
    ``search_max_pivots`` — the path search; ``robust_n`` — mutants per
    strength; ``resample_sites`` — kernel ``resample`` strengths (genes);
    ``noise_sigmas`` — kernel ``noise`` strengths.
    """
    s = merge_settings(settings, HNCA_SETTINGS,
                       counts=("levels", "base_size", "steps", "pop_size", "generations",
                               "evolve_attempts", "train_attempts", "train_iterations",
                               "n_points", "search_budget", "search_pivots",
                               "search_max_pivots", "robust_n"),
                       increasing=("resample_sites", "noise_sigmas"))
    if any(not isinstance(x, int) for x in s["resample_sites"]):
        raise ValueError(f"setting resample_sites must list integers, got {s['resample_sites']!r}")
    from ..evolve.mutation import get_operator
    from .models import surrogate_leak
    surrogate_leak(s["surrogate"], s["leak"])
    if not isinstance(s["mutation_params"], dict):
        raise ValueError(f"setting mutation_params must be a dict, got {s['mutation_params']!r}")
    get_operator(s["mutation"], **s["mutation_params"])     # one-line ValueError if unknown
    return s


def rule_spec(rule: str, settings: dict | None = None) -> HNCASpec:
    """The HNCASpec of a rule label on the sweep's grid (module docstring).

    ``"linear"``, ``"sigmoid-bias"``, ``"mlp-H8"`` (8 hidden tanh units, one
    channel) or ``"mlp-H8-C2"`` (two channels).  ValueError (one line) for
    another label.
    """
    s = check_hnca_settings(settings or {})
    grid = dict(levels=s["levels"], base_size=s["base_size"], steps=s["steps"], init_scale=1.0)
    if rule == "linear":
        return HNCASpec(**grid, channels=1, hidden=0, bias=False,
                        output_activation="rectified_sigmoid", threshold=0.0)
    if rule == "sigmoid-bias":
        return HNCASpec(**grid, channels=1, hidden=0, bias=True, output_activation="sigmoid",
                        threshold=0.5)
    m = _RULE.match(rule) if isinstance(rule, str) else None
    if m is None or int(m.group(1)) < 1 or (m.group(2) is not None and int(m.group(2)) < 1):
        raise ValueError(f"unknown rule {rule!r}; use linear, sigmoid-bias, mlp-H<hidden> or "
                         "mlp-H<hidden>-C<channels>")
    return HNCASpec(**grid, channels=int(m.group(2) or 1), hidden=int(m.group(1)), bias=True,
                    hidden_activation="tanh", output_activation="sigmoid", threshold=0.5)


def target_pattern(name: str, n: int) -> np.ndarray:
    """(n, n) bool target: a built-in target (:data:`alife.tasks.TARGETS`) or
    :data:`ASYMMETRIC`, an L: column ``n//4`` from row ``n//4`` to ``3n//4 - 1``
    and row ``3n//4 - 1`` from that column to ``3n//4 - 1`` (7 cells at n = 8)."""
    if name == ASYMMETRIC:
        t = np.zeros((n, n), bool)
        lo, hi = n // 4, 3 * n // 4 - 1
        t[lo:hi + 1, lo] = True
        t[hi, lo:hi + 1] = True
        return t
    from ..tasks import target
    return target(name, n)


def hnca_blocks(spec: HNCASpec) -> list[Block]:
    """One :class:`~alife.neutral.robustness_curves.Block` per level and layer:
    the first layer (down, around, up, bias blocks) and, for an MLP rule, the
    second (w2, b2), each with the initialisation law U(-init_scale, init_scale)."""
    out = []
    for lv in spec.layout.levels:
        first = [b for b in lv.blocks if b.name in ("down", "around", "up", "bias")]
        second = [b for b in lv.blocks if b.name in ("w2", "b2")]
        for name, bl in (("layer1", first), ("layer2", second)):
            if bl:
                out.append(Block(f"L{lv.level}.{name}", bl[0].slice.start, bl[-1].slice.stop,
                                 -float(spec.init_scale), float(spec.init_scale)))
    return out


def _losses(spec: HNCASpec, genomes: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    from ..tasks import loss
    return np.asarray(loss(develop(spec, genomes).phenotypes, tgt), dtype=np.float64)


def evolve_endpoint(spec: HNCASpec, tgt: np.ndarray, seed, pop_size: int, generations: int,
                    mutation: str = "resample",
                    mutation_params: dict | None = None) -> tuple[np.ndarray, float, int]:
    """Hill climbers until one solves ``tgt``.

    Parameters
    ----------
    spec : HNCASpec
    tgt : (N, N) bool target at the output level
    seed : int or SeedSequence, the climbers' only random stream
    pop_size, generations : climbers, and the most generations run
    mutation, mutation_params : the operator (default: one gene resampled
        from U(-1, 1), the GECCO kernel)

    Returns
    -------
    (genome (n_genes,) float32, its loss, generations run): the first
    climber at loss 0, else the best climber at the end.
    """
    from ..evolve.algorithms.hillclimb import HillClimbers
    algo = HillClimbers(pop_size=int(pop_size), mutation=mutation,
                        mutation_params=dict(mutation_params or {}), init_scale=spec.init_scale)
    rng = np.random.default_rng(seed)
    first = algo.init(rng, genome_size=spec.n_genes)
    state = algo.tell_init(first, _losses(spec, first.genomes, tgt))
    gen = 0
    while gen < generations and not (state.loss == 0).any():
        off = algo.ask(state, rng)
        state = algo.tell(state, off, _losses(spec, off.genomes, tgt), rng)
        gen += 1
    i = int(np.argmin(state.loss))
    return state.genomes[i].astype(np.float32).copy(), float(state.loss[i]), gen


def train_endpoint(spec: HNCASpec, tgt: np.ndarray, seed: int, s: dict) -> tuple[np.ndarray, float, int]:
    """Gradient training (:func:`~alife.bridge.hnca_train.train_hnca`) from
    ``spec.random_genomes(1, seed)``; returns (genome, mismatch loss under the
    Numba development, iterations run)."""
    from .hnca_train import mismatch_loss, train_hnca
    surrogate = s["surrogate"] if "rectified_sigmoid" in (
        spec.output_activation, spec.hidden_activation if spec.hidden else "") else None
    train_spec = spec
    if spec.output_activation == "rectified_sigmoid" and spec.threshold == 0:
        # its outputs are 0 or > 1/2, so "> 0" and "> 1/4" are the same phenotype;
        # the surrogate needs the threshold between the two, or every "off" cell
        # sits exactly on it (logit 0) and pulls the whole rule towards 0
        train_spec = spec.replace(threshold=0.25)
    g = train_hnca(train_spec, tgt, seed=int(seed), iterations=s["train_iterations"],
                   lr=s["train_lr"], temperature=s["temperature"], surrogate=surrogate,
                   leak=s["leak"])
    return np.asarray(g, np.float32).copy(), float(mismatch_loss(spec, g, tgt)), len(g.history) - 1


def _endpoint(spec, tgt, mode, seeds, s) -> dict:
    """Up to ``evolve_attempts`` / ``train_attempts`` tries from fresh seeds;
    the first that solves the target."""
    tries = s["evolve_attempts"] if mode == "evolved" else s["train_attempts"]
    for k, ss in enumerate(seeds[:tries]):
        if mode == "evolved":
            g, loss, work = evolve_endpoint(spec, tgt, ss, s["pop_size"], s["generations"],
                                            s["mutation"], s["mutation_params"])
        else:
            g, loss, work = train_endpoint(spec, tgt, int(ss.generate_state(1)[0]), s)
        if loss == 0:
            break
    return {"genome": g, "loss": loss, "attempts": k + 1, "work": work}


def _line_kept(gm, a, b, n_points: int, phenotype: int) -> float:
    t = np.linspace(0.0, 1.0, n_points)[:, None]
    pts = ((1 - t) * a.astype(np.float64) + t * b.astype(np.float64)).astype(np.float32)
    pts[0], pts[-1] = a, b
    return float(np.mean(gm.phenotypes(pts) == phenotype))


def _search(gm, spec, a, b, tgt, rng, s) -> dict:
    """The path search on one pair, and the re-development of the path found."""
    from ..gpmap.hnca import HNCAMap
    from ..neutral.pathsearch import search_path
    # trained genes may leave U(-1, 1): the search's gene range (and the range of
    # its symmetry representatives) is widened to hold both endpoints; the
    # phenotype does not depend on it
    reach = float(np.ceil(max(np.abs(a).max(), np.abs(b).max())))
    if reach > spec.init_scale:
        gm = HNCAMap(spec.replace(init_scale=reach))
    r = search_path(gm, a, b, rng=rng, max_evaluations=s["search_budget"],
                    n_pivots=s["search_pivots"], max_pivots=s["search_max_pivots"])
    out = {"found": bool(r.found), "stop": r.stop, "evaluations": int(r.n_evaluations),
           "path_steps": r.n_steps, "quotient_distance": float(r.quotient_distance),
           "redeveloped": None}
    out["path"] = None if r.path is None else gm.to_genomes(r.path)
    if r.found:
        genomes = out["path"]
        same = develop(spec, genomes).phenotypes == tgt[None]
        out["redeveloped"] = bool(same.all() and np.array_equal(genomes[0], a)
                                  and np.array_equal(genomes[-1], b))
    return out


def _robustness(gm, spec, genome, seed, s, tag) -> tuple[dict, list]:
    """r of one endpoint under both kernels: summary columns, curve rows."""
    blocks = hnca_blocks(spec)
    L = spec.n_genes
    sites = sorted({int(k) for k in s["resample_sites"] if k <= L})
    row, rows = {}, []
    ss_resample, ss_noise = seed.spawn(2)
    for kernel, label, strengths, ss in (
            (SiteResample(blocks), "resample", [k / L for k in sites], ss_resample),
            (RMSNoise(blocks), "noise", [float(v) for v in s["noise_sigmas"]], ss_noise)):
        curve = robustness_curve(gm, genome, kernel, strengths, s["robust_n"], ss)
        for c in curve:
            strength = (kernel.n_sites(c["strength"], L) if label == "resample"
                        else c["strength"])
            rows.append({"endpoint": tag, "kernel": label, "strength": float(strength),
                         "fraction_changed": c["fraction_changed"], "n": c["n"],
                         "kept": c["kept"], "r": c["r"], "r_lo": c["r_lo"], "r_hi": c["r_hi"],
                         "evolvability": c["evolvability"]})
        xs = [float(kernel.n_sites(c["strength"], L)) if label == "resample" else c["strength"]
              for c in curve]
        s50, status = strength_50(xs, [c["r"] for c in curve])
        col = "sites50" if label == "resample" else "sigma50"
        row[f"{col}_{tag}"], row[f"{col}_{tag}_status"] = s50, status
        if label == "resample":
            row[f"r_single_{tag}"] = next(c["r"] for c in curve
                                          if kernel.n_sites(c["strength"], L) == 1)
    return row, rows


def hnca_pair_cell(params: dict, seed: np.random.SeedSequence, settings: dict) -> dict:
    """One disjoint pair of HNCA genomes of one rule, every measure of the module docstring.

    Parameters
    ----------
    params : ``{"rule": str, "target": str, "mode": "evolved" | "trained", "pair": int}``
    seed : the cell's SeedSequence (:func:`alife.sweep.cell_seed`)
    settings : see :func:`check_hnca_settings` (missing keys take the defaults)

    Returns
    -------
    dict: one row of scalars (``n_params``, endpoint, path and robustness
    columns) with the child tables ``connectivity`` (one row per path
    method; none when the endpoints do not both solve the target) and
    ``robustness`` (one row per solved endpoint, kernel and strength).
    """
    import torch
    s = check_hnca_settings(settings)
    if params.get("mode") not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {params.get('mode')!r}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _pair(params, seed, s)
    finally:
        torch.set_num_threads(threads)


def _pair(params, seed, s) -> dict:
    from ..gpmap.hnca import HNCAMap
    spec = rule_spec(params["rule"], s)
    tgt = target_pattern(params["target"], spec.sizes[spec.output_level])
    ss_a, ss_b, ss_search, ss_robust = seed.spawn(4)
    cluster = int(seed.generate_state(1)[0])
    head = {"system": "hnca", "n_params": int(spec.n_genes), "seed": cluster,
            "channels": int(spec.channels), "hidden": int(spec.hidden)}
    row = dict(head)
    row["log10_params"] = math.log10(spec.n_genes)
    ends = {}
    for tag, ss in (("a", ss_a), ("b", ss_b)):
        e = _endpoint(spec, tgt, params["mode"],
                      ss.spawn(max(s["evolve_attempts"], s["train_attempts"])), s)
        ends[tag] = e
        row.update({f"loss_{tag}": e["loss"], f"solved_{tag}": e["loss"] == 0,
                    f"attempts_{tag}": e["attempts"], f"work_{tag}": e["work"]})
    a, b = ends["a"]["genome"], ends["b"]["genome"]
    row["distance"] = float(np.linalg.norm(a.astype(np.float64) - b))
    gm = HNCAMap(spec)
    conn, rob = [], []
    row["robustness"], row["connectivity"] = rob, conn
    for tag, ss in zip(("a", "b"), ss_robust.spawn(2)):
        if ends[tag]["loss"] == 0:
            r_row, r_rows = _robustness(gm, spec, ends[tag]["genome"], ss, s, tag)
            row.update(r_row)
            rob += [{**head, **r} for r in r_rows]
    if row["solved_a"] and row["solved_b"]:
        conn += _paths(gm, spec, a, b, tgt, ss_search, s, head, row)
    return row


def _paths(gm, spec, a, b, tgt, ss_search, s, head, row) -> list:
    """The connectivity rows of a solved pair (line, matched line, search);
    adds the pair's path columns to ``row``."""
    conn = []
    phen = int(gm.phenotypes(a[None])[0])
    kept = _line_kept(gm, a, b, s["n_points"], phen)
    conn.append({**head, "method": "line", "connected": kept == 1.0, "kept": kept})
    if spec.hidden > 0:
        from .align import permute_hnca_hidden, weight_matching_hnca
        bm = permute_hnca_hidden(spec, b, weight_matching_hnca(spec, a, b))
        row["distance_matched"] = float(np.linalg.norm(a.astype(np.float64) - bm))
        row["matched_endpoint_kept"] = bool(gm.phenotypes(bm[None])[0] == phen)
        kept = _line_kept(gm, a, bm, s["n_points"], phen)
        conn.append({**head, "method": "matched_line", "connected": kept == 1.0, "kept": kept})
    r = _search(gm, spec, a, b, tgt, np.random.default_rng(ss_search), s)
    row.update({f"search_{k}": v for k, v in r.items() if k != "path"})
    conn.append({**head, "method": "search", "connected": r["found"] and bool(r["redeveloped"]),
                 "kept": 1.0 if r["found"] else float("nan"), "evaluations": r["evaluations"],
                 "stop": r["stop"]})
    return conn
