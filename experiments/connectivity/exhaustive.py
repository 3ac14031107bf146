"""Exhaustive developmental GP maps beside RNA12: ground truth for connectivity.

    python experiments/connectivity/exhaustive.py                  # the full run (EXHAUSTIVE.md)
    python experiments/connectivity/exhaustive.py --quick --out D  # < 1 minute, what the tests run

1. Enumerate every genotype of small lattice HNCA maps through
   :func:`alife.neutral.exhaustive` (with :class:`alife.neutral.developmental.
   PatternRecorder`, which also keeps each phenotype's pattern and which
   degenerate pattern, all 0 or all 1, an undefined genotype develops):

   * ``flat``: the flat NCA (Bielawski preset, 1 level, 9 genes) at base 8,
     10 steps, on the ``--flat-k`` lattice (K = 7: 40,353,607 genotypes);
   * ``hier<B>``: the 2-level HNCA (10 + 13 = 23 genes) at base ``B`` (8 and
     4), 10 steps, on the K = 2 lattice ({-1, 1}: 8,388,608 genotypes).

   and load RNA12 (every sequence of length 12 folded; the fold cache of
   ``experiments/rna/run.py``, folded here if absent).
2. For each map, the quantities the RNA12 experiment reports (phenotypes,
   undefined fraction split by kind, genotype networks, R, E,
   Cowperthwaite's E_C, R vs log f, rho_p / f_p), Wagner's correlations three
   ways (:func:`alife.neutral.correlations.wagner_three_ways`) and the
   same-network probability of random versus independently hill-climbed
   genotype pairs (:func:`alife.neutral.climbing.same_component_test`).
3. Checks: the recorder's ids equal the map's own on random genotypes; a
   sample of one-mutant neighbourhoods is classed silent / cryptic /
   changed; at base 4 the top level is a 2 x 2 torus, so its around taps
   alias (read the same cell) and genotypes that differ only by moving
   weight between aliased taps are the same developmental system: counted
   exactly, with how many of them fall in different genotype networks.

Writes ``exhaustive.json``, ``exhaustive_<map>_phenotypes.csv`` and figures
``figures/exhaustive_*.png`` into ``--out``; prints the Markdown tables that
EXHAUSTIVE.md quotes.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from alife.evolve.mutation import lattice_values
from alife.gpmap import make
from alife.gpmap.hnca import mutation_class_counts
from alife.nca import HNCASpec
from alife.nca.phenotype import phenotype_ids
from alife.neutral import exhaustive, networks_from_table
from alife.neutral import measures as M
from alife.neutral.climbing import same_component_test
from alife.neutral.correlations import wagner_three_ways, wilson_interval
from alife.neutral.developmental import UNDEFINED_ONE, UNDEFINED_ZERO, PatternRecorder
from alife.store import folder_lock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import exhaustive_report as report  # noqa: E402  (figures and Markdown, next to this file)

FULL = dict(flat_k=7, hier_k=2, hier_bases=(8, 4), steps=10, rna_L=12, targets=20, starts=50,
            max_proposals=20000, n_boot=1000, checks=2000)
QUICK = dict(flat_k=3, hier_k=2, hier_bases=(), steps=10, rna_L=8, targets=20, starts=50,
             max_proposals=5000, n_boot=100, checks=200)


class Clock:
    """Wall and CPU seconds (all threads of this process) of successive stages."""

    def __init__(self):
        self.wall, self.cpu = {}, {}
        self._t, self._c = time.perf_counter(), time.process_time()

    def lap(self, name: str):
        t, c = time.perf_counter(), time.process_time()
        self.wall[name], self.cpu[name] = t - self._t, c - self._c
        self._t, self._c = t, c


# --------------------------------------------------------------------------- #
# the maps
# --------------------------------------------------------------------------- #
def hnca_map(levels: int, base: int, K: int, steps: int) -> dict:
    """Enumerate one lattice HNCA map; returns nets, recorder, state table and timings."""
    spec = HNCASpec.preset("bielawski", levels=levels, base_size=base, steps=steps)
    hmap = make("hnca", spec=spec, lattice_k=K)
    rec = PatternRecorder(hmap)
    clock = Clock()
    nets = exhaustive(rec)
    clock.lap("enumerate")
    P = nets.n_phenotypes
    state = nets.phenotype_index.copy()
    und = state < 0
    state[und] = P + rec.undefined_kind[und].astype(np.int32) - 1   # P: all 0, P + 1: all 1
    n = spec.sizes[spec.output_level]
    pats = np.concatenate([rec.patterns(nets.phenotype_ids), np.zeros((1, n, n), bool),
                           np.ones((1, n, n), bool)]).reshape(P + 2, n * n)
    feats = np.packbits(pats, axis=1)                              # bit-packed: 1/8 the memory
    del pats
    kinds = np.bincount(rec.undefined_kind, minlength=3)
    return {"spec": spec, "hmap": hmap, "rec": rec, "nets": nets, "state": state,
            "features": feats, "bits": True, "K": K,
            "undefined": {"all_zero": int(kinds[UNDEFINED_ZERO]),
                          "all_one": int(kinds[UNDEFINED_ONE])},
            "distinct_patterns": rec.n_patterns, "clock": clock}


def rna_map(L: int, cache: Path, workers: int) -> dict:
    """RNA of length L from the fold cache (folded and cached when absent)."""
    from alife.gpmap.rna import TableRNAMap, fold_all, load_fold_cache, save_fold_cache

    clock = Clock()
    try:
        table, folded = load_fold_cache(cache, L=L), False
    except FileNotFoundError:
        table, folded = fold_all(L, n_workers=workers), True
        save_fold_cache(cache, table)
    clock.lap("fold_or_load")
    gmap = TableRNAMap(table)
    nets = networks_from_table(gmap.space, table.ids, labeler=gmap.label)
    clock.lap("networks")
    P = nets.n_phenotypes
    state = nets.phenotype_index.copy()
    state[state < 0] = P                                          # the unfolded structure
    labels = [gmap.label(int(p)) for p in nets.phenotype_ids] + ["." * L]
    feats = np.frombuffer("".join(labels).encode("ascii"), np.uint8).reshape(P + 1, L)
    return {"gmap": gmap, "nets": nets, "state": state, "features": feats,
            "undefined": {"unfolded": int(nets.n_undefined)}, "folded": folded,
            "clock": clock}


# --------------------------------------------------------------------------- #
# measures
# --------------------------------------------------------------------------- #
def table_row(nets) -> dict:
    """The quantities the RNA12 experiment reports, for any enumerated map."""
    pm = M.phenotype_measures(nets)
    rf = M.robustness_frequency(pm.robustness, pm.frequency)
    r = M.genotype_robustness(nets)
    multi = pm.n_components >= 2
    big = pm.size >= 10
    return {
        "genotypes": nets.n_genotypes, "phenotypes": nets.n_phenotypes,
        "undefined_fraction": nets.n_undefined / nets.n_genotypes,
        "components": nets.n_components,
        "phenotypes_multi_component": int(multi.sum()),
        "genotypes_in_multi_component_phenotypes": int(pm.size[multi].sum()),
        "singleton_phenotypes": int((pm.size == 1).sum()),
        "largest_phenotype_fraction": float(pm.frequency.max()),
        "R_mean": float(np.nanmean(pm.robustness)), "R_median": float(np.nanmedian(pm.robustness)),
        "r_genotype_mean": float(np.nanmean(r)),
        "E_median": float(np.median(pm.evolvability)), "E_max": int(pm.evolvability.max()),
        "EC_median": float(np.nanmedian(pm.evolvability_cowperthwaite)),
        "R_vs_log10_f": {k: v for k, v in rf.items() if k != "ratio"},
        "rho_over_f_median": float(np.nanmedian(rf["ratio"])),
        "rho_over_f_min": float(np.nanmin(rf["ratio"])),
        "rho_over_f_max": float(np.nanmax(rf["ratio"])),
        "phenotypes_10": int(big.sum()),
        "R_median_10": float(np.nanmedian(pm.robustness[big])) if big.any() else float("nan"),
        "rho_over_f_median_10": float(np.nanmedian(rf["ratio"][big])) if big.any()
        else float("nan"),
    }, pm, rf


def pick_targets(nets, pm, n: int) -> list[int]:
    """The ``n`` most frequent phenotypes with at least two genotype networks
    (ties by id); a phenotype with one network is trivially 1 both ways."""
    multi = np.flatnonzero(pm.n_components >= 2)
    order = multi[np.lexsort((pm.phenotype[multi], -pm.size[multi]))]
    return [int(p) for p in pm.phenotype[order[:n]]]


def recorder_check(m: dict, rng, n: int) -> dict:
    """The recorder's ids against the map's own on ``n`` random genotypes."""
    nets, hmap = m["nets"], m["hmap"]
    ranks = rng.integers(0, nets.n_genotypes, n)
    own = hmap.phenotypes(nets.space.unrank(ranks))
    return {"n": int(n), "equal": int((own == nets.phenotype[ranks]).sum())}


def mutation_classes(m: dict, rng, n: int) -> dict:
    """Silent / cryptic / changed one-mutants of ``n`` random defined genotypes
    (silent: identical trajectory, the same developmental run; cryptic: same
    pattern by another trajectory), with Wilson intervals on the fractions."""
    nets = m["nets"]
    ranks = rng.choice(np.flatnonzero(nets.phenotype >= 0), n, replace=False)
    counts = mutation_class_counts(m["hmap"], nets.space.unrank(ranks), rng)
    tot = int(sum(int(v.sum()) for v in counts.values()))
    out = {"genotypes": int(n), "mutations": tot}
    for k, v in counts.items():
        s = int(v.sum())
        out[k] = {"k": s, "fraction": s / tot, "ci": wilson_interval(s, tot)}
    return out


def analyse(name: str, m: dict, ss: np.random.SeedSequence, cfg: dict) -> dict:
    """Table row, Wagner's correlations and the same-network test for one map."""
    nets = m["nets"]
    r_corr, r_climb, r_check = (np.random.default_rng(s) for s in ss.spawn(3))
    clock = m["clock"]
    row, pm, rf = table_row(nets)
    clock.lap("table")
    wag = wagner_three_ways(nets, r_corr, n_boot=cfg["n_boot"])
    clock.lap("wagner")
    targets = pick_targets(nets, pm, cfg["targets"])
    same = same_component_test(nets, m["state"], m["features"], targets, r_climb,
                               n_starts=cfg["starts"], max_proposals=cfg["max_proposals"],
                               n_boot=cfg["n_boot"], bits=m.get("bits", False))
    clock.lap("climbs")
    out = {"name": name, "table": row, "undefined": m["undefined"], "wagner": wag,
           "same_component": same}
    for k in ("distinct_patterns", "folded"):
        if k in m:
            out[k] = m[k]
    if "hmap" in m:
        out["recorder_check"] = recorder_check(m, r_check, cfg["checks"])
        out["mutation_classes"] = mutation_classes(m, r_check, cfg["checks"])
        out["aliasing"] = aliasing(m)
        out["symmetry"] = d4_symmetry(m, targets, r_check, cfg["checks"])
        clock.lap("checks")
    for row in same["targets"]:
        row["label"] = phenotype_label(m, row["phenotype"])
    out["_top"] = top_phenotypes(m, pm, 200)
    clock.lap("outputs")
    out["seconds"], out["cpu_seconds"] = clock.wall, clock.cpu
    out["_pm"], out["_rf"] = pm, rf
    return out


def phenotype_label(m: dict, pid: int) -> str:
    """A phenotype's readable form: the dot-bracket structure, or the HNCA
    pattern's rows as hexadecimal bytes (most significant bit = first cell)."""
    if "rec" not in m:
        return m["gmap"].label(int(pid))
    P = m["rec"].patterns([pid])[0]
    return np.packbits(P, axis=1).tobytes().hex()


def top_phenotypes(m: dict, pm, n: int) -> dict:
    """The ``n`` most frequent phenotypes: positions, labels (dot-bracket, or
    the pattern's rows as 0/1 separated by '/') and HNCA patterns."""
    order = np.lexsort((pm.phenotype, -pm.size))[:n]
    ids = pm.phenotype[order]
    if "rec" in m:
        pats = m["rec"].patterns(ids)
        labels = ["/".join("".join("1" if c else "0" for c in row) for row in p) for p in pats]
    else:
        pats, labels = None, [m["gmap"].label(int(p)) for p in ids]
    return {"order": order, "labels": labels, "patterns": pats}


# --------------------------------------------------------------------------- #
# aliased taps: weights that read the same cell of a small torus
# --------------------------------------------------------------------------- #
def alias_groups(spec: HNCASpec) -> list[list[int]]:
    """Groups (of size >= 2) of genes whose around taps read the same cell.

    On an ``n x n`` torus the around tap ``(dy, dx)`` reads cell
    ``(i + dy, j + dx) mod n``; for ``n <= 2`` distinct offsets coincide
    (``-1 = +1 mod 2``), so with the linear one-channel rule of the
    Bielawski preset only the sum of their weights matters."""
    if spec.hidden or spec.channels != 1:
        raise ValueError("alias groups are worked out for the linear one-channel rule")
    groups = []
    for lvl, n in enumerate(spec.sizes):
        blk = spec.layout.slice(lvl, "around")
        offs = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
        cells: dict = {}
        for k, (dy, dx) in enumerate(offs):
            cells.setdefault((dy % n, dx % n), []).append(blk.start + k)
        groups += [g for g in cells.values() if len(g) > 1]
    return groups


def aliasing(m: dict) -> dict:
    """Exactly how many distinct developmental systems the genotypes encode
    (genotypes whose aliased taps have equal weight sums are one system),
    checked against the closed form ``prod_g (m_g (K - 1) + 1) * K**(L - sum m_g)``
    (lattice values are linear in the letter, so equal sums are equal letter
    sums), and how many defined genotypes have an equivalent genotype in
    another genotype network."""
    spec, nets, K = m["spec"], m["nets"], m["K"]
    groups = alias_groups(spec)
    N, L = nets.n_genotypes, nets.space.L
    closed = int(np.prod([len(g) * (K - 1) + 1 for g in groups], dtype=np.int64)) * \
        K ** (L - sum(len(g) for g in groups))
    if not groups:
        return {"groups": [], "systems": N, "systems_closed_form": closed, "genotypes": N}
    ranks = np.arange(N, dtype=np.int64)
    w = nets.space.weights
    key = ranks.copy()    # zero the grouped letters, then append each group's letter sum
    sums = [np.zeros(N, np.int64) for _ in groups]
    for g, s in zip(groups, sums):
        for i in g:
            d = (ranks // w[i]) % K
            key -= d * w[i]
            s += d
    for g, s in zip(groups, sums):
        key = key * (len(g) * (K - 1) + 1) + s
    systems = int(np.unique(key).size)
    if systems != closed:
        raise RuntimeError(f"alias classes: {systems} systems, closed form says {closed}")
    ok = nets.phenotype >= 0
    C = np.int64(nets.n_components)
    pair = np.unique(key[ok] * C + nets.component[ok])
    cls, n_comp = np.unique(pair // C, return_counts=True)
    split = np.isin(key[ok], cls[n_comp > 1])
    names = spec.layout.gene_names()
    return {"groups": [[names[i] for i in g] for g in groups], "systems": systems,
            "systems_closed_form": closed, "genotypes": N,
            "defined_genotypes_with_equivalent_in_other_network": int(split.sum()),
            "defined_genotypes": int(ok.sum())}


# --------------------------------------------------------------------------- #
# the flat NCA's symmetries: the square's, about the seed cell
# --------------------------------------------------------------------------- #
def _d4():
    """The 8 symmetries of the square as integer 2 x 2 matrices acting on (dy, dx)."""
    rot = np.array([[0, -1], [1, 0]])
    ref = np.array([[1, 0], [0, -1]])
    out, M = [], np.eye(2, dtype=int)
    for _ in range(4):
        out += [M, M @ ref]
        M = rot @ M
    return out


def d4_symmetry(m: dict, targets, rng, n: int) -> dict | None:
    """For the flat NCA (one level, 3 x 3 kernel, seed at the centre cell of
    an even torus): a symmetry T of the square maps the rule ``w`` to
    ``w'(d) = w(T^-1 d)`` and the pattern P to ``T P`` (about the seed).
    Checked on ``n`` random defined genotypes against the enumeration, then,
    for each target phenotype with ``T P = P``, where T sends the target's
    largest genotype network: onto itself, or onto another of its networks."""
    spec, nets, rec = m["spec"], m["nets"], m["rec"]
    if spec.levels != 1 or spec.n_genes != 9:
        return None
    side = spec.sizes[0]
    offs = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    si, sj = spec.seed_position
    mats = _d4()[1:]
    perms, cells = [], []
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    for T in mats:
        Ti = np.rint(np.linalg.inv(T)).astype(int)
        perms.append(np.array([offs.index(tuple(Ti @ np.array(d))) for d in offs]))
        v = np.stack([ii - si, jj - sj])                   # P'(T x) = P(x): P' = P[T^-1 x']
        src = np.einsum("ab,bij->aij", Ti, v)
        cells.append(((src[0] + si) % side, (src[1] + sj) % side))

    def image(ranks, k):
        return nets.space.rank(nets.space.unrank(ranks)[:, perms[k]])

    ok = np.flatnonzero(nets.phenotype >= 0)
    sample = rng.choice(ok, n, replace=False)
    pats = rec.patterns(nets.phenotype[sample])
    agree = 0
    for k in range(len(mats)):
        want = phenotype_ids(pats[:, cells[k][0], cells[k][1]])
        agree += int((nets.phenotype[image(sample, k)] == want).sum())
    rows = []
    for pid in targets:
        own = np.flatnonzero(nets.component_phenotype == pid)
        big = own[np.argmax(nets.component_sizes[own])]
        P = rec.patterns([pid])[0]
        fixing = [k for k in range(len(mats)) if (P[cells[k][0], cells[k][1]] == P).all()]
        comps = [int(nets.component[image(nets.component_root[[big]], k)][0]) for k in fixing]
        rows.append({"phenotype": int(pid), "symmetries_fixing_pattern": len(fixing),
                     "largest_onto_itself": sum(c == big for c in comps),
                     "largest_onto_other": sum(c != big for c in comps)})
    return {"checked": int(n) * len(mats), "agree": agree, "targets": rows}


# --------------------------------------------------------------------------- #
# run
# --------------------------------------------------------------------------- #
def run(out=HERE, *, quick: bool = False, seed: int = 2026, rna_cache=None, workers: int = 2,
        **overrides) -> dict:
    cfg = dict(QUICK if quick else FULL)
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    out = Path(out)
    with folder_lock(out):          # one writer per output folder, as for alife's commands
        return _run(out, cfg, quick, seed, rna_cache, workers)


def _run(out: Path, cfg: dict, quick: bool, seed: int, rna_cache, workers: int) -> dict:
    (out / "figures").mkdir(parents=True, exist_ok=True)
    default_cache = (out if quick else Path("out/rna")) / f"rna{cfg['rna_L']}_fold.h5"
    cache = Path(rna_cache) if rna_cache else default_cache
    t_start, c_start = time.perf_counter(), time.process_time()
    ss = np.random.SeedSequence(seed)
    specs = [("flat", 1, 8, cfg["flat_k"])] + [(f"hier{b}", 2, b, cfg["hier_k"])
                                               for b in cfg["hier_bases"]]
    seeds = ss.spawn(len(specs) + 1)
    results = []
    for (name, levels, base, K), s in zip(specs, seeds):
        m = hnca_map(levels, base, K, cfg["steps"])
        res = analyse(name, m, s, cfg)
        res["map"] = {"levels": levels, "base": base, "K": K, "steps": cfg["steps"],
                      "genes": m["spec"].n_genes, "lattice": lattice_values(K).tolist()}
        results.append(res)
        print(f"# {name}: wall {res['seconds']} cpu {res['cpu_seconds']}", file=sys.stderr,
              flush=True)
        del m
    m = rna_map(cfg["rna_L"], cache, workers)
    res = analyse(f"rna{cfg['rna_L']}", m, seeds[-1], cfg)
    res["map"] = {"L": cfg["rna_L"], "K": 4}
    results.append(res)
    del m
    report.figures(results, out / "figures")
    for r in results:
        report.phenotype_csv(r, out / f"exhaustive_{r['name']}_phenotypes.csv")
    total, total_cpu = time.perf_counter() - t_start, time.process_time() - c_start
    doc = {"config": {**cfg, "hier_bases": list(cfg["hier_bases"]), "seed": seed, "quick": quick},
           "seconds_total": total, "cpu_seconds_total": total_cpu,
           "maps": [_public(r) for r in results]}
    (out / "exhaustive.json").write_text(json.dumps(report.jsonable(doc), indent=1) + "\n")
    return doc


def _public(r: dict) -> dict:
    """A map's results without the arrays kept for figures (JSON-sized)."""
    out = {k: v for k, v in r.items() if not k.startswith("_")}
    within = {k: v for k, v in r["wagner"]["within"].items() if k not in ("rho", "size")}
    out["wagner"] = {**r["wagner"], "within": within}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(HERE))
    ap.add_argument("--quick", action="store_true", help="small maps, under a minute")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--flat-k", type=int, help="lattice size of the flat NCA (full: 7)")
    ap.add_argument("--hier-bases", type=lambda s: tuple(int(x) for x in s.split(",") if x),
                    help="base sizes of the 2-level maps, comma-separated (full: 8,4; '' none)")
    ap.add_argument("--rna-L", type=int, help="RNA sequence length (full: 12)")
    ap.add_argument("--rna-cache", help="fold cache (default out/rna/rnaL_fold.h5)")
    ap.add_argument("--workers", type=int, default=2, help="folding processes if not cached")
    ap.add_argument("--n-boot", type=int)
    a = ap.parse_args(argv)
    for k in ("flat_k", "rna_L"):
        v = getattr(a, k)
        if v is not None and v < 2:
            ap.error(f"--{k.replace('_', '-')} must be >= 2")
    doc = run(a.out, quick=a.quick, seed=a.seed, rna_cache=a.rna_cache, workers=a.workers,
              flat_k=a.flat_k, hier_bases=a.hier_bases, rna_L=a.rna_L, n_boot=a.n_boot)
    print(report.markdown(doc))
    return doc


if __name__ == "__main__":
    main()
