"""Every system on one set of definitions: the ``systems`` table.

One cell per system (RNA12, evolved HNCAs, trained HNCAs, the diamond's
frequency, and each MLP architecture of the width sweep); each returns rows
of the ``systems`` table (``system``, ``rule``, ``mode``, ``measure``,
``value``, ``lo``, ``hi``, ``n``, ``definition``), written by
:func:`alife.sweep.run_sweep` into one checksummed sweep file.

The common mutation kernel is kernel (i) of
:mod:`alife.neutral.robustness_curves` at one site: resample one gene,
chosen uniformly, from its initialisation law (RNA: a uniformly drawn base;
evolved HNCA: U(-1, 1); trained HNCA: U(-0.1, 0.1); MLP: the layer's
U(-1/sqrt(fan_in), 1/sqrt(fan_in))).  Every genotype gets the same number N
of mutants, and evolvability is rarefied to the same m
(:mod:`alife.neutral.evolvability`).

Genotypes
---------
RNA12: uniformly random sequences that fold (a defined MFE structure).
Evolved HNCAs: the 10 loss-0 endpoints of the connectivity experiment
(Bielawski's rule, base 8, 10 steps, the diamond), read from the first row
of their stored control paths (``experiments/connectivity/paths_controls.h5``).
Trained HNCAs: the same experiment's trained endpoints, trained again here
with its code and seeds (a few seconds each).  MLPs: the first pairs of
every architecture of ``mlp_sweep.h5``, trained again from the sweep's cell
seeds; the full run checks that each net is the sweep's own by redrawing
the sweep's 100 one-site mutants and comparing kept and new-phenotype counts.
"""
from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np

from alife.sweep import Cell, run_sweep
from alife.sweep import stats as S
from alife.bridge.width_contract import rule_label

HERE = Path(__file__).resolve().parent
EXPERIMENTS = HERE.parent

#: Settings of the full run.
SETTINGS = {
    "n_mutants": 400, "m": 100, "rna_length": 12, "rna_genotypes": 100,
    "random_genomes": 2_000_000, "random_chunk": 100_000, "null_pairs": 2000,
    "base": 8, "steps": 10, "target": "diamond", "evolved_endpoints": 0,
    "train_seeds": 6, "train_iterations": 300, "temperature": 0.1,
    "mlp_pairs": 2, "mlp_epochs": 0, "check_sweep": True, "bootstrap": 2000,
}
#: A quick version (seconds) for the tests.
QUICK_SETTINGS = {**SETTINGS, "n_mutants": 40, "m": 20, "rna_genotypes": 6,
                  "random_genomes": 20_000, "random_chunk": 10_000, "null_pairs": 100,
                  "evolved_endpoints": 4, "train_seeds": 2, "train_iterations": 60,
                  "mlp_pairs": 1, "mlp_epochs": 2, "check_sweep": False, "bootstrap": 200}
#: MLP architectures (width, depth) of the width sweep.
MLP_ARCHS = [(w, 1) for w in (4, 8, 16, 32, 64, 128, 256, 512)] + [(64, 2)]
QUICK_MLP_ARCHS = [(4, 1)]

KERNEL = "one-site resample from the initialisation law"


def cells(quick: bool = False) -> list[Cell]:
    """One cell per system part: rna12, hnca-evolved, hnca-trained, hnca-diamond, mlp."""
    out = [Cell({"part": p}) for p in ("rna12", "hnca-evolved", "hnca-trained", "hnca-diamond")]
    for w, d in (QUICK_MLP_ARCHS if quick else MLP_ARCHS):
        out.append(Cell({"part": "mlp", "width": w, "depth": d}))
    return out


def cost(cell) -> float:
    """Rough run time of a cell (for the schedule only)."""
    p = cell.as_dict()
    return {"hnca-diamond": 4e5, "mlp": 1e5 + p.get("width", 0) * 300}.get(p["part"], 5e4)


def run(out, *, quick: bool = False, executor=None, work=None, force: bool = False,
        progress=True):
    """Run every cell into ``out/systems.h5``; returns the SweepTable."""
    out = Path(out)
    cells_dir = None if work is None else Path(work) / "systems.h5.cells"
    settings = dict(QUICK_SETTINGS if quick else SETTINGS)
    return run_sweep(systems_cell, cells(quick), out / "systems.h5", settings=settings,
                     root_seed=0, executor=executor, cells_dir=cells_dir, force=force,
                     progress=progress, cost=cost)


# ------------------------------------------------------------------------ rows
def _row(system, rule, mode, measure, value, lo, hi, n, definition, **extra) -> dict:
    return {"system": system, "rule": rule, "mode": mode, "measure": measure,
            "value": float(value), "lo": float(lo), "hi": float(hi), "n": int(n),
            "definition": definition, **extra}


def _mean_row(system, rule, mode, measure, x, definition, *, bounds=(0.0, math.inf),
              **extra) -> dict:
    """Mean over replicates with its t interval, clipped to the measure's range."""
    m, lo, hi, n = S.t_interval(x)
    lo, hi = (max(lo, bounds[0]) if math.isfinite(lo) else lo,
              min(hi, bounds[1]) if math.isfinite(hi) else hi)
    return _row(system, rule, mode, measure, m, lo, hi, n, definition, **extra)


def _pooled_ec(counts, rng, reps: int) -> tuple[float, float, float]:
    """Phenotype-level E_C of the genotypes' pooled mutants, with a percentile
    bootstrap interval that resamples genotypes."""
    from alife.neutral.evolvability import cowperthwaite_estimate, pool_counts
    value = cowperthwaite_estimate(pool_counts(counts))[0]
    if len(counts) < 2 or not math.isfinite(value):
        return value, float("nan"), float("nan")
    boot = []
    for _ in range(int(reps)):
        pick = rng.integers(0, len(counts), len(counts))
        boot.append(cowperthwaite_estimate(pool_counts([counts[i] for i in pick]))[0])
    boot = np.asarray(boot)
    boot = boot[np.isfinite(boot)]
    if boot.size == 0:
        return value, float("nan"), float("nan")
    return value, float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))


def measure_rows(system, rule, mode, counts, settings, rng, *, pooled: bool) -> list[dict]:
    """The shared measures of one system from its genotypes' MutantCounts."""
    from alife.neutral.evolvability import cowperthwaite_estimate, rarefied_evolvability
    m, N = int(settings["m"]), int(settings["n_mutants"])
    ex = {"kernel": KERNEL, "n_mutants": N, "m": m}
    r = [c.robustness for c in counts]
    ev = [rarefied_evolvability(c, m)[0] for c in counts]
    ec = [cowperthwaite_estimate(c)[0] for c in counts]
    rows = [
        _mean_row(system, rule, mode, "robustness", r,
                  f"fraction of {N} one-site mutants keeping the exact phenotype, mean over "
                  "genotypes (t interval)", bounds=(0.0, 1.0), **ex),
        _mean_row(system, rule, mode, "evolvability_rarefied", ev,
                  f"expected distinct new phenotypes among {m} one-site mutants (exact "
                  f"rarefaction of {N}), mean over genotypes", **ex),
        _mean_row(system, rule, mode, "new_phenotypes_all", [c.n_new for c in counts],
                  f"distinct new phenotypes among all {N} mutants, mean over genotypes", **ex),
        _mean_row(system, rule, mode, "E_C", ec,
                  "Cowperthwaite's E_C of one genotype's non-neutral mutants (unbiased "
                  "Simpson), mean over genotypes where >= 2 mutants change the phenotype",
                  bounds=(0.0, 1.0), **ex),
    ]
    if pooled:       # only the genotypes of the most common phenotype: new to one p
        parents = [c.parent for c in counts]
        common = max(parents, key=parents.count)      # ties: the first genotype's
        same = [c for c in counts if c.parent == common]
        v, lo, hi = _pooled_ec(same, rng, settings["bootstrap"])
        rows.append(_row(system, rule, mode, "E_C_pooled", v, lo, hi, len(same),
                         "Cowperthwaite's E_C of one phenotype from the mutants of its "
                         "genotypes pooled (bootstrap over genotypes)", **ex))
    return rows


# ------------------------------------------------------------------------ RNA12
class _BaseResample:
    """One-site resample for RNA: a uniform site gets a uniform base (may be the same)."""

    name = "resample"

    def mutants(self, genome, s, n, rng):
        L = genome.size
        out = np.repeat(np.asarray(genome, np.uint8)[None], n, axis=0)
        sites = rng.integers(0, L, n)
        out[np.arange(n), sites] = rng.integers(0, 4, n).astype(np.uint8)
        return out


def rna_part(seed, s) -> list[dict]:
    from alife.gpmap.rna import RNAMap
    from alife.neutral.evolvability import mutant_counts
    L = int(s["rna_length"])
    gm = RNAMap(L)
    rng = np.random.default_rng(seed)
    G = []
    while len(G) < int(s["rna_genotypes"]):
        cand = rng.integers(0, 4, (64, L)).astype(np.uint8)
        ids = gm.phenotypes(cand)
        G += [g for g, i in zip(cand, ids) if i >= 0]
    G = G[:int(s["rna_genotypes"])]
    k = _BaseResample()
    counts = [mutant_counts(gm, g, k, 1.0 / L, s["n_mutants"], rng) for g in G]
    rows = measure_rows("rna", f"rna{L}", "random", counts, s, rng, pooled=False)
    for r in rows:
        r["n_params"] = L
    csv = EXPERIMENTS / "rna" / "phenotypes.csv"
    if L == 12 and csv.exists():
        import csv as _csv
        with open(csv, newline="") as fh:
            rf = np.array([float(r["rho_over_f"]) for r in _csv.DictReader(fh)])
        rows.append(_row("rna", "rna12", "exhaustive", "rho_over_f_median", np.median(rf),
                         float("nan"), float("nan"), rf.size,
                         "median over every structure of phenotype robustness / frequency "
                         "(exact, every sequence folded)"))
    return rows


# ------------------------------------------------------------------------ HNCAs
def _connectivity():
    """experiments/connectivity/run.py as a module (its specs and training)."""
    name = "connectivity_run_for_systems"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXPERIMENTS / "connectivity" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def evolved_endpoints(s) -> tuple[object, np.ndarray, list]:
    """(spec, (k, 51) float32, names) — the evolved endpoints, from the first row of
    their control paths (every control path starts at its endpoint)."""
    from alife.neutral.pathfile import read_path_file
    spec, recs = read_path_file(EXPERIMENTS / "connectivity" / "paths_controls.h5")
    ends = {}
    for r in recs:
        if r.get("path") is not None and r["group"] == "controls evolved":
            name = r["label"].split()[0]
            first = np.asarray(r["path"][0], np.float32)
            if name in ends and not np.array_equal(ends[name], first):
                raise ValueError(f"control paths of endpoint {name} start at different genomes")
            ends.setdefault(name, first)
    names = sorted(ends, key=lambda n: int(n[1:]))
    if s["evolved_endpoints"]:
        names = names[:int(s["evolved_endpoints"])]
    return spec, np.stack([ends[n] for n in names]), names


def trained_endpoints(s) -> tuple[object, np.ndarray, list]:
    """(spec, (k, 420) float32, names) — the connectivity experiment's trained
    endpoints (mismatch 0), trained again with its code and seeds."""
    import torch
    from alife.bridge.hnca_train import mismatch_loss, train_hnca
    from alife.tasks import target as make_target
    C = _connectivity()
    spec = C.trained_spec({"base": s["base"], "steps": s["steps"]})
    tgt = make_target(s["target"], spec.sizes[spec.output_level])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ends, names = [], []
        for seed in range(int(s["train_seeds"])):
            g = train_hnca(spec, tgt, seed=seed, iterations=int(s["train_iterations"]), lr=0.01,
                           temperature=float(s["temperature"]))
            if mismatch_loss(spec, g, tgt) == 0:
                ends.append(np.asarray(g, np.float32))
                names.append(f"t{seed}")
    finally:
        torch.set_num_threads(threads)
    return spec, np.stack(ends) if ends else np.zeros((0, spec.n_genes), np.float32), names


def _kernel(spec):
    from alife.neutral.robustness_curves import Block, SiteResample
    a = float(spec.init_scale)
    return SiteResample([Block("genes", 0, spec.n_genes, -a, a)])


def quotient_distances(spec, a, b) -> np.ndarray:
    """(k,) distances between rows of ``a`` and ``b`` in the quotient by the spec's
    exact symmetries: hidden-unit relabelling (one exact linear assignment per
    level, :func:`alife.bridge.align.weight_matching_hnca`) for an MLP rule, then
    the tap groups of :func:`alife.nca.symmetry.symmetries` (exact alone; with
    both, the relabelling is chosen first, an upper bound)."""
    from alife.nca.symmetry import symmetries
    sym = symmetries(spec)
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if spec.hidden > 0:
        from alife.bridge.align import permute_hnca_hidden, weight_matching_hnca
        b = np.stack([permute_hnca_hidden(spec, y, weight_matching_hnca(spec, x, y))
                      for x, y in zip(a, b)]).astype(np.float64)
    if len(a) == 0:
        return np.zeros(0)
    return np.atleast_1d(sym.distance(a, b))


def distance_rows(system, rule, mode, spec, ends, rng, s) -> list[dict]:
    """Raw and quotient distances of disjoint endpoint pairs (0-1, 2-3, ...), and
    the same for random genome pairs (the null)."""
    from alife.nca.symmetry import symmetries
    sym = symmetries(spec)
    k = len(ends) // 2
    a, b = ends[0:2 * k:2].astype(np.float64), ends[1:2 * k:2].astype(np.float64)
    raw = np.sqrt(((a - b) ** 2).sum(axis=1))
    quo = quotient_distances(spec, a, b)
    R = spec.random_genomes(2 * int(s["null_pairs"]), seed=rng).astype(np.float64)
    ra, rb = R[0::2], R[1::2]
    nraw = np.sqrt(((ra - rb) ** 2).sum(axis=1))
    nquo = quotient_distances(spec, ra, rb)
    parts = []
    if spec.hidden > 1:
        parts.append(f"relabelling of the {spec.hidden} hidden units of each level")
    if sym.groups:
        parts.append(f"{len(sym.groups)} exact tap groups ({sym.n_neutral} neutral directions "
                     f"of {sym.n_genes} genes)")
    note = "quotient by " + ("; ".join(parts) if parts else "nothing (no exact symmetry)")
    rest = [n for n in sym.notes if not n.startswith("permutations")]
    if rest:
        note += "; not quotiented: " + "; ".join(rest)
    ex = {"note": note}
    return [
        _mean_row(system, rule, mode, "distance_raw", raw,
                  "Euclidean distance between the two genomes of a disjoint endpoint pair", **ex),
        _mean_row(system, rule, mode, "distance_quotient", quo,
                  "the same distance in the quotient by the exact symmetries", **ex),
        _mean_row(system, rule, mode, "distance_quotient_over_raw", quo / np.maximum(raw, 1e-300),
                  "quotient / raw distance per endpoint pair", bounds=(0.0, 1.0), **ex),
        _mean_row(system, rule, "random", "distance_raw", nraw,
                  "null: Euclidean distance between two random genomes of the "
                  "initialisation law", **ex),
        _mean_row(system, rule, "random", "distance_quotient", nquo,
                  "null: quotient distance between two random genomes", **ex),
        _mean_row(system, rule, "random", "distance_quotient_over_raw",
                  nquo / np.maximum(nraw, 1e-300), "null: quotient / raw distance",
                  bounds=(0.0, 1.0), **ex),
    ]


def cka_rows(system, rule, mode, spec, ends, rng, s) -> list[dict]:
    """Linear CKA of the developments of disjoint endpoint pairs (0-1, 2-3, ...)
    (:func:`alife.bridge.similarity.hnca_state_cka`), and its null: the same
    for pairs of random genomes of the rule (pairs where either development
    is constant are left out and counted)."""
    from alife.bridge.similarity import hnca_state_cka
    k = len(ends) // 2
    cka = np.array([hnca_state_cka(spec, ends[2 * i], ends[2 * i + 1]) for i in range(k)])
    R = spec.random_genomes(2 * int(s["null_pairs"]), seed=rng)
    null = np.array([hnca_state_cka(spec, R[2 * i], R[2 * i + 1])
                     for i in range(int(s["null_pairs"]))])
    what = ("linear CKA of the two developments of a disjoint endpoint pair: every cell of "
            "every level at steps 1 to T an example, its channels the features")
    return [
        _mean_row(system, rule, mode, "cka_states", cka, what, bounds=(0.0, 1.0)),
        _mean_row(system, rule, "random", "cka_states", null,
                  "null: the same for two random genomes of the initialisation law (a pair "
                  "whose development is constant over the examples is left out; n counts the "
                  "rest)", bounds=(0.0, 1.0)),
    ]


#: Rule labels shared with the comparison's other tables: the evolved endpoints
#: are Bielawski's rule on the 4-level base-8 grid, the 2x2 design's "linear".
EVOLVED_RULE = "linear"


def trained_rule(spec) -> str:
    """Label of the connectivity experiment's trained rule, e.g.
    ``residual-relu-H8-C2-L2``: a residual ReLU MLP rule (H hidden units, C
    channels, L levels), a different rule from the 2x2 design's ``mlp-H8``."""
    return f"residual-relu-H{spec.hidden}-C{spec.channels}-L{spec.levels}"


def hnca_part(which: str, seed, s) -> tuple[list[dict], dict]:
    from alife.gpmap.hnca import HNCAMap
    from alife.neutral.evolvability import mutant_counts
    rng = np.random.default_rng(seed)
    if which == "evolved":
        spec, ends, names = evolved_endpoints(s)
        rule = EVOLVED_RULE
    else:
        spec, ends, names = trained_endpoints(s)
        rule = trained_rule(spec)
    if len(ends) == 0:
        return [], {"genotypes": 0}
    gm = HNCAMap(spec)
    kern = _kernel(spec)
    counts = [mutant_counts(gm, g, kern, 1.0 / spec.n_genes, s["n_mutants"], rng) for g in ends]
    rows = measure_rows("hnca", rule, which, counts, s, rng, pooled=True)
    rows += distance_rows("hnca", rule, which, spec, ends, rng, s)
    rows += cka_rows("hnca", rule, which, spec, ends, rng, s)
    for r in rows:
        r["n_params"] = int(spec.n_genes)
    return rows, {"genotypes": len(ends), "endpoints": " ".join(names)}


def diamond_part(seed, s) -> tuple[list[dict], dict]:
    """f of the diamond among random genomes (Clopper-Pearson), rho of the
    diamond's genotypes, and rho / f."""
    from alife.gpmap.hnca import HNCAMap
    from alife.neutral.correlations import clopper_pearson_interval
    from alife.neutral.evolvability import mutant_counts
    rng = np.random.default_rng(seed)
    spec, ends, _ = evolved_endpoints(s)
    gm = HNCAMap(spec, target=s["target"])
    n, hits, undefined = int(s["random_genomes"]), [], 0
    for a in range(0, n, int(s["random_chunk"])):
        G = spec.random_genomes(min(int(s["random_chunk"]), n - a), seed=rng)
        ev = gm.evaluate(G)
        hits.append(G[ev["loss"] == 0])
        undefined += int((ev["ids"] < 0).sum())
    hits = np.concatenate(hits)
    k = len(hits)
    f = k / n
    flo, fhi = clopper_pearson_interval(k, n)
    # rho: from uniform random genomes of the diamond when there are some, else
    # from the evolved endpoints (hill-climbed, not a uniform sample of the set)
    source = hits if k >= 2 else ends
    what = "random genomes that develop it" if k >= 2 else "the evolved endpoints"
    kern = _kernel(spec)
    counts = [mutant_counts(gm, g, kern, 1.0 / spec.n_genes, s["n_mutants"], rng)
              for g in source[:50]]
    rho, rlo, rhi, rn = S.t_interval([c.robustness for c in counts])
    rlo, rhi = max(rlo, 0.0), min(rhi, 1.0)
    ex = {"kernel": KERNEL, "n_mutants": int(s["n_mutants"]), "n_params": int(spec.n_genes)}
    ratio = rho / f if k else float("nan")
    rows = [
        _row("hnca", EVOLVED_RULE, "random", "frequency", f, flo, fhi, n,
             f"fraction of {n:,} uniformly random genomes developing the {s['target']} "
             "(base 8, 10 steps; Clopper-Pearson)", **ex),
        _row("hnca", EVOLVED_RULE, "evolved" if k < 2 else "random", "rho", rho, rlo, rhi, rn,
             f"phenotype robustness of the {s['target']}: mean one-site robustness of "
             f"{what}", **ex),
        _row("hnca", EVOLVED_RULE, "evolved" if k < 2 else "random", "rho_over_f", ratio,
             rlo / fhi if fhi > 0 else float("nan"),
             rhi / flo if flo > 0 else float("inf"), rn,
             "rho / f (interval: the ends of both intervals; upper end infinite while f "
             "may be 0)", **ex),
    ]
    return rows, {"random_genomes": n, "hits": k, "undefined_random": undefined}


# ------------------------------------------------------------------------ MLPs
def mlp_part(params, seed, s) -> tuple[list[dict], dict]:
    import torch
    from torch import nn

    from alife.bridge.train import train_mlp
    from alife.bridge.width_sweep import (SETTINGS as MS, _split, check_settings, mlp_blocks,
                                          mlp_sizes, prediction_phenotypes)
    from alife.neutral.evolvability import mutant_counts
    from alife.neutral.robustness_curves import SiteResample, robustness_curve
    from alife.sweep import cell_seed, read_sweep
    w, d = int(params["width"]), int(params["depth"])
    ms = check_settings({})
    sw = read_sweep(HERE / "mlp_sweep.h5")
    if s["check_sweep"] and {k: sw.settings[k] for k in MS} != {k: ms[k] for k in MS}:
        raise ValueError("mlp_sweep.h5 was run with other settings than the width sweep's")
    if s["mlp_epochs"]:
        ms["epochs"] = int(s["mlp_epochs"])
    split = _split(float(ms["test_fraction"]), int(ms["split_seed"]))
    xtr = split.tensors()[0]
    kw = {k: ms[k] for k in ("epochs", "lr", "batch_size", "weight_decay", "optimizer",
                             "momentum", "schedule")}
    rob = sw["robustness"]
    rng = np.random.default_rng(seed)
    counts, checked, matched = [], 0, 0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for pair in range(int(s["mlp_pairs"])):
            name = f"depth={d},pair={pair},width={w}"
            sa, sb, _, _, ra1, _, rb1, _ = (int(v) for v in
                                            cell_seed(sw.root_seed, name).generate_state(8))
            for tag, sn, rs in (("a", sa, ra1), ("b", sb, rb1)):
                model = train_mlp(mlp_sizes(w, d), split, seed=sn, **kw)
                genome = nn.utils.parameters_to_vector(model.parameters()).detach().numpy()
                genome = genome.astype(np.float32)
                fn = prediction_phenotypes(model, xtr)
                kern = SiteResample(mlp_blocks(model))
                if s["check_sweep"]:
                    c = robustness_curve(fn, genome, kern, [1.0 / genome.size],
                                         int(ms["robust_n"]), rs)[0]
                    ref = rob.where(cell=name, endpoint=tag, single_site=True)
                    checked += 1
                    matched += int(len(ref) == 1 and int(ref["kept"][0]) == c["kept"]
                                   and int(ref["evolvability"][0]) == c["evolvability"])
                counts.append(mutant_counts(fn, genome, kern, 1.0 / genome.size,
                                            s["n_mutants"], rng))
    finally:
        torch.set_num_threads(threads)
    if s["check_sweep"] and matched != checked:
        raise ValueError(f"width {w} depth {d}: {checked - matched} of {checked} nets differ "
                         "from the sweep's (kept or new-phenotype counts of its one-site "
                         "mutants); the training is not reproduced")
    rule = rule_label(w, d)
    rows = measure_rows("mlp", rule, "trained", counts, s, rng, pooled=True)
    n_params = int(genome.size)
    for r in rows:
        r["n_params"] = n_params
    return rows, {"genotypes": len(counts), "sweep_nets_checked": checked,
                  "sweep_nets_matched": matched}


# ------------------------------------------------------------------------ cell
def systems_cell(params: dict, seed: np.random.SeedSequence, settings: dict) -> dict:
    """One part of the systems table (see the module docstring).

    Returns one summary row with the child table ``systems``."""
    part = params["part"]
    if part == "rna12":
        rows = rna_part(seed, settings)
        info = {"genotypes": int(settings["rna_genotypes"])}
    elif part == "hnca-evolved":
        rows, info = hnca_part("evolved", seed, settings)
    elif part == "hnca-trained":
        rows, info = hnca_part("trained", seed, settings)
    elif part == "hnca-diamond":
        rows, info = diamond_part(seed, settings)
    elif part == "mlp":
        rows, info = mlp_part(params, seed, settings)
    else:
        raise ValueError(f"unknown part {part!r}")
    return {**info, "n_rows": len(rows), "systems": rows}


# ------------------------------------------------------------------------ reading
def _fmt(v: float) -> str:
    if not math.isfinite(v):
        return "∞" if v == math.inf else "—"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e4 or a < 1e-3:
        return f"{v:.2e}"
    return f"{v:.3g}" if a < 100 else f"{v:,.0f}"


def markdown(sw) -> str:
    """The systems table as Markdown: one line per system and measure."""
    t = sw["systems"]
    s = sw.settings
    lines = [f"# Every system on one set of definitions ({'quick' if s['m'] < 100 else 'full'} run)",
             "",
             f"Kernel: {KERNEL}, {s['n_mutants']} mutants per genotype; evolvability "
             f"rarefied to m = {s['m']} mutants.  Intervals: 95 % (t over genotypes or pairs; "
             "Clopper-Pearson for the frequency; bootstrap over genotypes for pooled E_C).",
             "",
             "| system | rule | mode | measure | value | 95 % interval | n |",
             "|---|---|---|---|---|---|---|"]
    for r in t.rows():
        iv = ("" if not (math.isfinite(r["lo"]) or math.isfinite(r["hi"]))
              else f"[{_fmt(r['lo'])}, {_fmt(r['hi'])}]")
        lines.append(f"| {r['system']} | {r['rule']} | {r['mode']} | {r['measure']} | "
                     f"{_fmt(r['value'])} | {iv} | {r['n']} |")
    lines += ["", "Definitions:", ""]
    seen = {}
    for r in t.rows():
        seen.setdefault(r["measure"] + (" (null)" if r["mode"] == "random"
                                        and r["measure"].startswith(("distance", "cka"))
                                        else ""),
                        r["definition"])
    lines += [f"* `{k}`: {v}" for k, v in seen.items()]
    return "\n".join(lines) + "\n"


def write_outputs(sw, out) -> list[Path]:
    """``systems.csv`` (the systems table) and ``systems.md`` next to the sweep file."""
    from alife.store import atomic_write
    from alife.store.atomic import open_exclusive
    out = Path(out)
    csv = out / "systems.csv"
    sw["systems"].to_csv(csv)
    md = out / "systems.md"
    with atomic_write(md) as tmp, open_exclusive(tmp, "w") as fh:
        fh.write(markdown(sw))
    return [csv, md]
