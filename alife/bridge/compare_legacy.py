"""The earlier `alife compare` table (legacy): one row per system from a BRIDGE.h5.

Rows and where their numbers come from:

* **RNA L=12** — ``experiments/rna/phenotypes.csv`` (every structure's
  neutral set, exhaustive; ``python experiments/rna/run.py``);
* **evolved HNCA** — ``experiments/hnca_neutral/results.json`` (networks grown
  from the best genomes of evolution runs) and the ``evolved`` rows of
  ``experiments/bridge/hnca_pairs.json`` (pairs of evolved genomes with one
  phenotype);
* **gradient-trained HNCA** — the ``trained`` rows of ``hnca_pairs.json``;
* **trained MLP** — a BRIDGE.h5 file of ``alife bridge``.

Columns (each cell states its unit; "—" where a quantity has no meaning for
that row):

* *robustness* — Wagner's genotype robustness r(g): the fraction of
  one-step mutants (single-gene resamples; for nets, Gaussian weight
  perturbations of stated σ) that keep the phenotype;
* *evolvability* — Wagner's genotype evolvability e(g): the number of
  distinct other phenotypes among those mutants (for phenotypes, E(p));
* *connectivity of independent optima* — for the genotype side whether a
  neutral path joins two genotypes of one phenotype, found by the
  analyser's search (:func:`~alife.neutral.neutral_path`) or as a
  staircase of one-gene moves along the trained curve
  (:func:`~alife.neutral.staircase_path`) (RNA: the share of a
  neutral set in its largest genotype network), and the fraction of points
  along the straight line and along a trained Bezier curve that keep the
  phenotype; for nets the straight-line and curve train-NLL barriers and the
  fraction of path points whose test error stays within 1 point of the
  worse endpoint (the "function" of a classifier is its accuracy, since two
  independently trained nets never share every prediction);
* *representation diversity along the path* — 1 − linear CKA of the hidden
  layer (minimum over the path and between the endpoints) for nets; the
  relative RMS difference of the internal (non-output) level states of the
  two endpoints for HNCAs;
* *ensemble gain along the path* — relative drop in test NLL of a 5-point
  curve ensemble against one endpoint (nets); for genotypes whose endpoints
  already reproduce the target exactly there is nothing to gain.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ..store import RunFileError
from .run import read_bridge


def _load_json(path, what):
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise RunFileError(f"{path} does not exist; {what}") from None
    except (OSError, ValueError) as e:
        raise RunFileError(f"{path} is not a readable JSON result ({e.__class__.__name__}); "
                           f"{what}") from None


def _fmt(v, digits=3):
    if v is None:
        return "—"
    if isinstance(v, float):
        if not np.isfinite(v):
            return "—"
        return f"{v:.{digits}g}"
    return str(v)


def _range(vals, digits=3):
    vals = [v for v in vals if v is not None and np.isfinite(v)]
    if not vals:
        return "—"
    if len(vals) == 1:
        return _fmt(float(vals[0]), digits)
    return f"{_fmt(float(np.median(vals)), digits)} (range {_fmt(float(min(vals)), digits)}–" \
           f"{_fmt(float(max(vals)), digits)}, n = {len(vals)})"


def _signed(fractions) -> str:
    """Per-pair relative gains as signed percentages, e.g. ``+3.1 %, −6.6 %``."""
    return ", ".join(f"{100 * f:+.1f} %".replace("-", "−") for f in fractions)


# ----------------------------------------------------------------------- rows
def rna_row(phenotypes_csv) -> dict:
    """RNA12 from the per-structure table of ``experiments/rna/run.py``."""
    try:
        with open(phenotypes_csv, newline="") as f:
            rows = list(csv.DictReader(f))
        size = np.array([float(r["size"]) for r in rows])
        R = np.array([float(r["R"]) for r in rows])
        E = np.array([float(r["E"]) for r in rows])
        n_net = np.array([int(r["n_networks"]) for r in rows])
        largest = np.array([float(r["largest_network"]) for r in rows])
    except FileNotFoundError:
        raise RunFileError(f"{phenotypes_csv} does not exist; run python experiments/rna/run.py "
                           f"or pass --rna-phenotypes") from None
    except (OSError, KeyError, ValueError) as e:
        raise RunFileError(f"{phenotypes_csv} is not the phenotypes.csv of experiments/rna/run.py "
                           f"({e.__class__.__name__}: {e})") from None
    share = largest / size
    # two random genotypes of one structure are neutrally connected at least when
    # both lie in its largest network: P >= share^2 (size-weighted over structures)
    p_conn = float(np.sum(size * share ** 2) / size.sum())
    return {
        "name": "RNA L=12 (exhaustive, 16.8 M sequences)",
        "robustness": f"mean r(g) {_fmt(float(np.sum(size * R) / size.sum()))} over folded "
                      f"sequences (R(p) {_range(list(R))})",
        "evolvability": f"E(p) {_range(list(E))} structures",
        "connectivity": f"{int(np.sum(n_net == 1))}/{len(rows)} structures form one network; "
                        f"largest network holds {_range(list(share))} of a neutral set; "
                        f"P(two same-structure sequences neutrally connected) >= {_fmt(p_conn)}",
        "diversity": "—",
        "ensemble": "—",
    }


def _pair_cells(rows) -> tuple[str, str]:
    if not rows:
        return "no pair", "—"
    found = sum(1 for r in rows if r.get("path_found"))
    indep = sum(1 for r in rows if not r.get("same_run"))
    stair = sum(1 for r in rows if r.get("curve_path_found"))
    conn = (f"{len(rows)} pairs ({indep} independent): neutral path found in {found} by the "
            f"analyser's search and in {stair} along the trained curve; "
            f"phenotype kept on line {_range([r.get('line_kept') for r in rows])}, "
            f"on trained Bezier {_range([r.get('curve_kept') for r in rows])}")
    div = (f"internal states differ: rel. RMS {_range([r.get('internal_rel') for r in rows])}, "
           f"cells flipped {_range([r.get('internal_flip') for r in rows])}")
    return conn, div


def _endpoint_measures(rows, gene_range) -> tuple[str, str]:
    r = [x for row in rows for x in row.get("endpoint_robustness", [])]
    e = [x for row in rows for x in row.get("endpoint_evolvability", [])]
    if not r:
        return "not measured", "not measured"
    scale = f", genes resampled in ±{gene_range:g}" if gene_range is not None else ""
    return (f"r(g) {_range(r)} (pair endpoints{scale})",
            f"e(g) {_range([float(v) for v in e])} phenotypes (pair endpoints)")


def _setup(pairs: dict) -> str:
    p = pairs.get("params", {})
    keys = ("base", "steps", "target", "algorithm")
    if not all(k in p for k in keys):
        return ""
    return f" (base {p['base']}, {p['steps']} steps, {p['target']}; evolved by {p['algorithm']})"


def hnca_rows(neutral_json, pairs_json) -> list[dict]:
    """Evolved and gradient-trained HNCA rows."""
    neutral = _load_json(neutral_json, "run python experiments/hnca_neutral/run.py")
    pairs = _load_json(pairs_json, "run python experiments/bridge/hnca_pairs.py --out "
                                   "experiments/bridge")
    evo_net = [r for r in neutral.get("rows", []) if r.get("kind") == "evolved"]
    evo_pairs = [r for r in pairs.get("rows", []) if r.get("kind") == "evolved"]
    sgd_pairs = [r for r in pairs.get("rows", []) if r.get("kind") == "trained"]
    scale = {k: pairs.get(k, {}).get("spec", {}).get("init_scale") for k in ("evolved", "trained")}
    out = []
    conn, div = _pair_cells(evo_pairs)
    rob, evo = _endpoint_measures(evo_pairs, scale["evolved"])
    if evo_net:  # the networks grown from the AFPO runs of experiments/hnca_neutral
        rob += (f"; networks grown from AFPO bests (base 16): R "
                f"{_range([r['R'] for r in evo_net])}")
        evo += f"; those networks: E {_range([float(r['E']) for r in evo_net])} phenotypes"
    out.append({"name": "evolved HNCA" + _setup(pairs), "robustness": rob,
                "evolvability": evo, "connectivity": conn, "diversity": div,
                "ensemble": "— (endpoints are exact; nothing to gain)"})
    conn, div = _pair_cells(sgd_pairs)
    rob, evo = _endpoint_measures(sgd_pairs, scale["trained"])
    out.append({"name": "gradient-trained HNCA (MLP rule, 420 genes)", "robustness": rob,
                "evolvability": evo, "connectivity": conn, "diversity": div,
                "ensemble": "— (endpoints are exact; nothing to gain)"})
    return out


def _kept_fraction(arrays, p, kind, summary) -> float:
    """Fraction of path points whose test error is within 1 point of the worse endpoint."""
    err = arrays[f"pair{p}/paths/{kind}/test_error"]
    worst = max(e["test"]["error"] for e in summary["pairs"][p]["endpoints"])
    return float(np.mean(err <= worst + 0.01))


def _needed_arrays(summary: dict) -> list[str]:
    """The datasets :func:`mlp_row` reads: each pair's test error along the
    line and the curve, and its CKA along the line."""
    names = []
    for r in summary["pairs"]:
        p = r["pair"]
        names += [f"pair{p}/paths/{kind}/test_error" for kind in ("line", "bezier")
                  if kind in r["paths"]]
        names.append(f"pair{p}/paths/line/cka_a")
    return names


def mlp_row(bridge_h5, sigma: float | None = None) -> dict:
    """The trained-MLP row from a BRIDGE.h5 file (reads only the datasets it uses)."""
    import tomllib
    summary, arrays, attrs = read_bridge(bridge_h5, names=_needed_arrays)
    config = tomllib.loads(attrs["config_toml"])
    pairs = summary["pairs"]
    gp = summary["gpmap"]
    if gp:
        g = min(gp, key=lambda r: abs(np.log(r["sigma"]) - np.log(sigma or 1e-2)))
        rob = (f"r(g) {_fmt(g['robustness'])} at σ = {g['sigma']:g} ("
               + ", ".join(f"{_fmt(r['robustness'])} at {r['sigma']:g}" for r in gp) + ")")
        evo = f"e(g) {g['evolvability']} of {g['n']} at σ = {g['sigma']:g}"
    else:
        rob = evo = "not measured"
    curve = "bezier" if all("bezier" in r["paths"] for r in pairs) else None
    line_b = [r["paths"]["line"]["train_loss_barrier"] for r in pairs]
    conn = f"line NLL barrier {_range(line_b)}"
    if curve:
        conn += (f"; Bezier {_range([r['paths'][curve]['train_loss_barrier'] for r in pairs])}"
                 f"; points keeping the function: line "
                 f"{_range([_kept_fraction(arrays, r['pair'], 'line', summary) for r in pairs])}, "
                 f"Bezier {_range([_kept_fraction(arrays, r['pair'], curve, summary) for r in pairs])}")
    if summary["align"]:
        conn += (f"; after weight matching (width "
                 f"{'-'.join(map(str, config['align']['sizes']))}) line "
                 f"{_range([r['train_loss_barrier_after'] for r in summary['align']])}")
    div = "—"
    if curve:
        ends = [1 - float(np.min(arrays[f"pair{r['pair']}/paths/line/cka_a"][-1]))
                for r in pairs]
        along = [1 - r["paths"][curve]["min_cka"] for r in pairs]
        div = (f"1 − CKA between endpoints {_range(ends)}; max along Bezier {_range(along)}")
    ens = "—"
    if all("curve" in r["ensembles"] for r in pairs):
        gains = [1 - r["ensembles"]["curve"]["nll"] / r["ensembles"]["single_a"]["nll"]
                 for r in pairs]
        fge_g = [1 - r["ensembles"]["fge"]["nll"] / r["ensembles"]["single_a"]["nll"]
                 for r in pairs]
        mean_end = [0.5 * (r["ensembles"]["single_a"]["nll"] + r["ensembles"]["single_b"]["nll"])
                    for r in pairs]
        g_mean = [1 - r["ensembles"]["curve"]["nll"] / m for r, m in zip(pairs, mean_end)]
        f_mean = [1 - r["ensembles"]["fge"]["nll"] / m for r, m in zip(pairs, mean_end)]
        ens = (f"test NLL of the 5-point curve ensemble vs the mean endpoint "
               f"{_signed(g_mean)}, vs endpoint A {_signed(gains)}; FGE from A vs the mean "
               f"endpoint {_signed(f_mean)}, vs A {_signed(fge_g)} (positive: the ensemble is better)")
    return {"name": f"trained MLP {'-'.join(map(str, config['model']['sizes']))} (digits, {len(pairs)} pairs)",
            "robustness": rob, "evolvability": evo, "connectivity": conn,
            "diversity": div, "ensemble": ens}


# ---------------------------------------------------------------------- table
COLUMNS = [("name", "system"), ("robustness", "robustness"), ("evolvability", "evolvability"),
           ("connectivity", "connectivity of independent optima"),
           ("diversity", "representation diversity along the path"),
           ("ensemble", "ensemble gain along the path")]


def markdown_table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(h for _, h in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join(str(r[k]).replace("|", "/") for k, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def compare(bridge_h5, rna_phenotypes, hnca_neutral, hnca_pairs, *, sigma=None) -> str:
    """The comparison table (markdown) from the four result sources; a source
    given as None is the committed reference result shipped with alife
    (:func:`alife.examples.reference`)."""
    from ..examples import reference
    rna_phenotypes = reference("rna_phenotypes") if rna_phenotypes is None else rna_phenotypes
    hnca_neutral = reference("hnca_neutral") if hnca_neutral is None else hnca_neutral
    hnca_pairs = reference("hnca_pairs") if hnca_pairs is None else hnca_pairs
    rows = [rna_row(rna_phenotypes), *hnca_rows(hnca_neutral, hnca_pairs),
            mlp_row(bridge_h5, sigma)]
    return markdown_table(rows)
