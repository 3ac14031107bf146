"""``alife compare``: every system on one set of definitions, from sweep files.

A comparison sweep file (an :mod:`alife.sweep` result file) carries, besides
its own tables, one or more of three long-form tables in a common form
(:data:`CONTRACT`; extra columns are allowed and ignored):

* ``connectivity`` — one row per pair of same-phenotype models and path
  method: ``system`` (``"hnca"``, ``"mlp"``, ``"rna"``), ``rule`` (the model
  family, e.g. ``"linear"``, ``"width-64"``), ``mode`` (``"evolved"`` or
  ``"trained"``), ``n_params`` (free parameters of one model), ``seed``
  (the pair's cluster id), ``pair``, ``method`` (``"line"``,
  ``"matched_line"``, ``"search"``, ``"bezier"``, ...), ``connected``
  (the exact phenotype is kept at every point of the path) and ``kept``
  (the fraction of the path's points that keep it);
* ``robustness`` — one row per endpoint, kernel and strength: the same
  identifying columns, ``endpoint``, ``kernel`` (``"resample"``: genes
  resampled from their initialisation law, ``strength`` = genes;
  ``"noise"``: Gaussian noise of ``strength`` times each layer's or
  level's RMS), ``fraction_changed``, ``n`` mutants, ``kept`` mutants with
  the same phenotype;
* ``systems`` — one row per system and measure: ``system``, ``measure``,
  ``value``, ``lo``, ``hi`` (95 % interval), ``n``, ``definition``.

A sweep of the MLP width sweep (:mod:`alife.bridge.width_sweep`), which
predates these tables, is read through its adapter
(:func:`alife.bridge.width_contract.contract_tables`).

:func:`load_contract` reads and checks one file, :func:`combine` several,
:func:`summarise` groups the rows (one per system, mode and rule), and
:func:`write_comparison` writes ``comparison.csv``, ``comparison.md`` and the
figure (:mod:`alife.bridge.compare_figure`) into one folder.  Nothing here
imports torch.  The earlier one-row-per-system table of a BRIDGE.h5 is
:mod:`alife.bridge.compare_legacy`.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from ..store import RunFileError, atomic_write, check_target, refuse_same_file
from ..store.atomic import open_exclusive
from ..sweep import read_sweep
from ..sweep import stats as S

__all__ = ["CONTRACT", "METHOD_ORDER", "MATCHED_FRACTION", "inputs_are_sweeps", "load_contract",
           "combine",
           "summarise", "csv_text", "markdown", "write_comparison", "output_names"]

#: The common tables: name -> {column: kind} ("str", "int", "float", "bool").
CONTRACT = {
    "connectivity": {"system": "str", "rule": "str", "mode": "str", "n_params": "int",
                     "seed": "int", "pair": "int", "method": "str", "connected": "bool",
                     "kept": "float"},
    "robustness": {"system": "str", "rule": "str", "mode": "str", "seed": "int", "pair": "int",
                   "endpoint": "str", "kernel": "str", "strength": "float",
                   "fraction_changed": "float", "n": "int", "kept": "int"},
    "systems": {"system": "str", "measure": "str", "value": "float", "lo": "float",
                "hi": "float", "n": "int", "definition": "str"},
}

#: Sweeps that predate the common tables: cell function -> adapter ("module:function").
ADAPTERS = {"alife.bridge.width_sweep:mlp_pair_cell":
            "alife.bridge.width_contract:contract_tables"}

#: Path methods in the order of the table's columns (others follow, sorted).
METHOD_ORDER = ("line", "matched_line", "search", "bezier")

#: Kernel names accepted for the two kernels.
KERNEL_NAMES = {"resample": "resample", "noise": "noise", "rms_noise": "noise"}

#: "r at a matched fraction": this fraction of the genome resampled (1/51: one
#: gene of Bielawski's 51-gene HNCA rule), read where a curve has a point
#: within a factor :data:`MATCH_TOLERANCE` of it.
MATCHED_FRACTION = 1 / 51
MATCH_TOLERANCE = 1.5

#: Fewest clusters (pairs) behind an interval or a plotted point.
MIN_POINTS = 3


# ----------------------------------------------------------------------- reading
def _column_ok(values, kind: str) -> bool:
    if kind == "str":
        return isinstance(values, list)
    a = np.asarray(values)
    if kind == "bool":
        return a.dtype == bool
    if kind == "int":
        return a.dtype.kind in "iu" or (a.dtype.kind == "f" and bool(np.all(a == np.round(a))))
    return a.dtype.kind in "fiu"


#: Columns read when a table has them (beside the contract's).
_OPTIONAL = {"robustness": ("n_params",), "systems": ("rule", "mode")}


def _check_table(path, name, table) -> list[dict]:
    """The rows of one common table, checked; RunFileError (one line) if not."""
    missing = [c for c in CONTRACT[name] if c not in table.columns]
    if missing:
        raise RunFileError(f"{path}: table {name!r} lacks the column(s) {', '.join(missing)} of "
                           f"the comparison's {name} table")
    for c, kind in CONTRACT[name].items():
        if not _column_ok(table[c], kind):
            raise RunFileError(f"{path}: column {name}.{c} must hold {kind} values")
    keep = list(CONTRACT[name]) + [c for c in _OPTIONAL.get(name, ()) if c in table.columns]
    target = name != "systems" and isinstance(table.columns.get("target"), list)
    rows = []
    for r in table.rows():
        row = {c: r[c] for c in keep}
        if name == "systems":      # optional labels, "" when a file has none
            row.update({c: "" if not isinstance(row.get(c, ""), str) else row.get(c, "")
                        for c in ("rule", "mode")})
        if name != "systems":
            row["target"] = r["target"] if target else ""
        for c, kind in CONTRACT[name].items():
            if kind == "int" and row[c] == row[c]:
                row[c] = int(row[c])
        rows.append(row)
    if name == "robustness":
        for row in rows:
            if row["kernel"] not in KERNEL_NAMES:
                raise RunFileError(f"{path}: robustness.kernel {row['kernel']!r} is not one of "
                                   f"resample, noise")
            row["kernel"] = KERNEL_NAMES[row["kernel"]]
            if not 0 <= row["kept"] <= row["n"] or row["n"] < 1:
                raise RunFileError(f"{path}: robustness row with kept = {row['kept']}, "
                                   f"n = {row['n']}; need 0 <= kept <= n, n >= 1")
    return rows


def _adapt(sweep):
    import importlib
    module, fn = ADAPTERS[sweep.function].split(":")
    try:
        return getattr(importlib.import_module(module), fn)(sweep)
    except ValueError as e:
        raise RunFileError(str(e)) from None


def inputs_are_sweeps(inputs) -> bool:
    """Which comparison ``alife compare`` makes of its inputs.

    True when every input is a sweep file; False for one input that is not
    (the earlier table of a BRIDGE.h5, :mod:`alife.bridge.compare_legacy`,
    which reports a missing or unreadable file itself).

    Raises
    ------
    ValueError
        One line, for several inputs of which some are not sweep files.
    """
    from ..store import result_kind

    kinds = []
    for p in inputs:
        try:
            kinds.append(result_kind(p) if Path(p).is_file() else None)
        except RunFileError:
            kinds.append(None)
    if all(k == "sweep" for k in kinds):
        return True
    if len(inputs) == 1:
        return False
    bad = [str(p) for p, k in zip(inputs, kinds) if k != "sweep"]
    raise ValueError(f"{', '.join(bad)}: not a sweep file; alife compare reads sweep files "
                     f"(several), or one BRIDGE.h5 for the earlier table")


def load_contract(path) -> dict:
    """The common tables of one sweep file, checked.

    Parameters
    ----------
    path : a sweep result file (:func:`alife.sweep.read_sweep`)

    Returns
    -------
    dict table name -> list of row dicts (the :data:`CONTRACT` columns; for
    ``robustness`` also ``n_params`` where the file has it; kernel
    ``rms_noise`` read as ``noise``), for each common table the file holds.

    Raises
    ------
    RunFileError
        One line, for a file that is not a sweep, holds none of the common
        tables (naming what it holds) or holds one without its columns.
    """
    sweep = read_sweep(path)
    present = {n: t for n, t in sweep.tables.items() if n in CONTRACT}
    complete = {n: t for n, t in present.items()
                if all(c in t.columns for c in CONTRACT[n])}
    if not complete and sweep.function in ADAPTERS:
        present = _adapt(sweep)
    elif not present:
        raise RunFileError(
            f"{path} carries none of the comparison tables (connectivity, robustness, "
            f"systems); it holds {', '.join(sweep.tables) or 'no table'}: a sweep's cell "
            f"function returns them as child tables (columns in alife.bridge.compare.CONTRACT)")
    return {n: _check_table(path, n, t) for n, t in present.items()}


def combine(paths) -> dict:
    """The common tables of several files, concatenated (each row gets ``source``,
    the file's name).

    Raises RunFileError (one line) if two files hold the same pair (same
    system, rule, mode, seed, pair and method) or the same system measure.
    """
    out = {n: [] for n in CONTRACT}
    seen = {}
    keys = {"connectivity": ("system", "rule", "target", "mode", "seed", "pair", "method"),
            "robustness": ("system", "rule", "target", "mode", "seed", "pair", "endpoint",
                           "kernel", "strength", "fraction_changed"),
            "systems": ("system", "rule", "mode", "measure", "definition")}
    done = {}
    for path in paths:
        real = str(Path(path).resolve())
        if real in done:
            raise RunFileError(f"{path} is given twice (as {done[real]}); give each file once")
        done[real] = str(path)
        for name, rows in load_contract(path).items():
            mine = set()
            for r in rows:
                k = (name,) + tuple(r[c] for c in keys[name])
                if k in seen:
                    raise RunFileError(f"{path} and {seen[k]} both hold the {name} row "
                                       f"{dict(zip(keys[name], k[1:]))}; give each once")
                mine.add(k)
                r["source"] = Path(path).name
                out[name].append(r)
            seen.update({k: str(path) for k in mine})
    return out


# ----------------------------------------------------------------------- grouping
def _methods(conn) -> list[str]:
    present = {r["method"] for r in conn}
    return [m for m in METHOD_ORDER if m in present] + sorted(present - set(METHOD_ORDER))


def _group(rows, keys) -> dict:
    out = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


def _cluster_mean(rows, value, bounds=(-math.inf, math.inf)) -> tuple:
    """``(mean, lo, hi, clusters)``: the mean of ``value`` over rows, with a t
    interval over the seed clusters (each cluster's mean first), clipped to
    ``bounds``; no interval from fewer than MIN_POINTS clusters."""
    by_seed = _group(rows, ("seed",))
    means = [float(np.mean([value(r) for r in g])) for g in by_seed.values()]
    m, lo, hi, n = S.t_interval(means)
    if n < MIN_POINTS:
        return m, float("nan"), float("nan"), n
    return m, max(lo, bounds[0]), min(hi, bounds[1]), n


def _r(row) -> float:
    return row["kept"] / row["n"]


def _connected(rows) -> dict:
    k, n = sum(bool(r["connected"]) for r in rows), len(rows)
    lo, hi = S.wilson(k, n) if n >= MIN_POINTS else (float("nan"), float("nan"))
    kept = [r["kept"] for r in rows if r["kept"] == r["kept"]]
    return {"k": k, "n": n, "lo": lo, "hi": hi,
            "kept_mean": float(np.mean(kept)) if kept else float("nan")}


def _r_single(rows) -> tuple:
    one = [r for r in rows if r["kernel"] == "resample" and r["strength"] == 1]
    return _cluster_mean(one, _r, (0.0, 1.0)) if one else (float("nan"),) * 3 + (0,)


def _r_matched(rows, fraction) -> tuple:
    """r at the point of each endpoint's resample curve nearest ``fraction``
    (within MATCH_TOLERANCE); the mean over endpoints with a t interval."""
    picked = []
    for g in _group([r for r in rows if r["kernel"] == "resample"],
                    ("seed", "pair", "endpoint")).values():
        best = min(g, key=lambda r: abs(math.log(max(r["fraction_changed"], 1e-300) / fraction)))
        if abs(math.log(max(best["fraction_changed"], 1e-300) / fraction)) <= \
                math.log(MATCH_TOLERANCE):
            picked += [r for r in g if r["fraction_changed"] == best["fraction_changed"]]
    return _cluster_mean(picked, _r, (0.0, 1.0)) if picked else (float("nan"),) * 3 + (0,)


def _sigma50(rows) -> dict:
    """σ50 of each endpoint's noise curve (where r falls to 1/2, log σ)."""
    from ..neutral.robustness_curves import strength_50
    vals, status = [], []
    for (seed, _, _), g in _group([r for r in rows if r["kernel"] == "noise"
                                   and r["strength"] > 0], ("seed", "pair", "endpoint")).items():
        by_s = _group(g, ("strength",))
        s = sorted(k[0] for k in by_s)
        r = [np.mean([x["kept"] / x["n"] for x in by_s[(v,)]]) for v in s]
        s50, st = strength_50(s, r)
        vals.append({"seed": seed, "s50": s50})
        status.append(st)
    ok = [v for v, st in zip(vals, status) if st == "interpolated"]
    m, lo, hi, n = _cluster_mean(ok, lambda r: r["s50"]) if ok else (float("nan"),) * 3 + (0,)
    return {"mean": m, "lo": lo, "hi": hi, "clusters": n, "nets": len(vals),
            "below": status.count("below_range"), "above": status.count("above_range")}


def _n_params(conn_rows, rob_rows) -> int | None:
    vals = [r["n_params"] for r in conn_rows] + [r["n_params"] for r in rob_rows
                                                 if r.get("n_params") == r.get("n_params")
                                                 and r.get("n_params") is not None]
    return int(np.median(vals)) if vals else None


def summarise(tables: dict, matched_fraction: float = MATCHED_FRACTION) -> list[dict]:
    """One row per (system, mode, rule): pairs connected per method, robustness.

    Parameters
    ----------
    tables : :func:`combine`'s result
    matched_fraction : the fraction of the genome changed at which r is read

    Returns
    -------
    list of dicts (sorted by system, mode, #parameters) with ``system``,
    ``mode``, ``rule``, ``target`` (the optional ``target`` column of the
    tables, "" where absent: rows of different targets are kept apart),
    ``n_params``, ``pairs``, ``connected`` (method -> ``{k, n, lo, hi,
    kept_mean}``: pairs connected of the pairs with a row for the method,
    95 % Wilson interval from MIN_POINTS pairs on), ``r_single`` and
    ``r_matched`` (mean, lo, hi, clusters: a t interval over pairs),
    ``sigma50`` (mean, lo, hi, clusters, and the counts of models whose
    σ50 lies below or above the grid of σ), ``nets``.
    """
    conn = _group(tables["connectivity"], ("system", "mode", "rule", "target"))
    rob = _group(tables["robustness"], ("system", "mode", "rule", "target"))
    methods = _methods(tables["connectivity"])
    out = []
    for key in list(dict.fromkeys(list(conn) + list(rob))):
        c, r = conn.get(key, []), rob.get(key, [])
        by_m = _group(c, ("method",))
        row = {"system": key[0], "mode": key[1], "rule": key[2], "target": key[3],
               "n_params": _n_params(c, r),
               "pairs": len({(x["seed"], x["pair"]) for x in c}),
               "connected": {m: _connected(by_m[(m,)]) for m in methods if (m,) in by_m},
               "nets": len({(x["seed"], x["pair"], x["endpoint"]) for x in r}),
               "r_single": _r_single(r), "r_matched": _r_matched(r, matched_fraction),
               "sigma50": _sigma50(r)}
        out.append(row)
    out.sort(key=lambda w: (w["system"], w["mode"], w["n_params"] or 0, w["rule"], w["target"]))
    return out


# ----------------------------------------------------------------------- text
def _g(v, digits=3) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.{digits}g}"


def _kn(d) -> str:
    if d is None:
        return "—"
    text = f"{d['k']}/{d['n']}"
    return text + (f" ({d['lo']:.2f}–{d['hi']:.2f})" if math.isfinite(d["lo"]) else "")


def _mean_cell(t) -> str:
    m, lo, hi, n = t
    if not n:
        return "—"
    return _g(m) + (f" ({_g(lo)}–{_g(hi)})" if math.isfinite(lo) else f" (n = {n})")


def _s50_cell(d) -> str:
    if not d["nets"]:
        return "—"
    text = _mean_cell((d["mean"], d["lo"], d["hi"], d["clusters"])) if d["clusters"] else ""
    off = [f"{d['below']} below" if d["below"] else "", f"{d['above']} above" if d["above"] else ""]
    off = ", ".join(x for x in off if x)
    if off:
        text = (text + "; " if text else "") + f"{off} the grid (of {d['nets']})"
    return text


def csv_text(rows, methods) -> str:
    """The summary as CSV: one line per (system, mode, rule), numbers unrounded."""
    head = ["system", "mode", "rule", "target", "n_params", "pairs"]
    for m in methods:
        head += [f"{m}_k", f"{m}_n", f"{m}_lo", f"{m}_hi", f"{m}_kept_mean"]
    for c in ("r_single", "r_matched"):
        head += [c, f"{c}_lo", f"{c}_hi", f"{c}_clusters"]
    head += ["sigma50", "sigma50_lo", "sigma50_hi", "sigma50_clusters", "sigma50_below",
             "sigma50_above", "nets"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    for r in rows:
        line = [r["system"], r["mode"], r["rule"], r["target"],
                "" if r["n_params"] is None else r["n_params"], r["pairs"]]
        for m in methods:
            d = r["connected"].get(m)
            line += ["", "", "", "", ""] if d is None else \
                [d["k"], d["n"], _num(d["lo"]), _num(d["hi"]), _num(d["kept_mean"])]
        for c in ("r_single", "r_matched"):
            line += [_num(v) for v in r[c][:3]] + [r[c][3]]
        s = r["sigma50"]
        line += [_num(s["mean"]), _num(s["lo"]), _num(s["hi"]), s["clusters"], s["below"],
                 s["above"], r["nets"]]
        w.writerow(line)
    return buf.getvalue()


def _num(v) -> str:
    return "nan" if v is None or not math.isfinite(v) else repr(float(v))


#: Column labels of the path methods.
METHOD_LABELS = {"line": "line", "matched_line": "matched line", "search": "search",
                 "bezier": "Bezier"}

DEFINITIONS = [
    "*Phenotype*: one exact, discrete object per model — HNCA: the final pattern; MLP: the "
    "argmax predictions on the training set; RNA: the minimum-free-energy structure. "
    "*Neutral*: the same phenotype.",
    "*params*: free (mutable or trainable) parameters of one model. *pairs*: pairs of "
    "independently obtained models (each pair its own seeds).",
    "*Connected k/n*: pairs whose path keeps the exact phenotype at every point, of the pairs "
    "measured with that path (a pair whose ends differ in phenotype counts as not "
    "connected); 95 % Wilson interval, "
    "shown from {m} pairs on. Paths: *line* — the straight line between the two parameter "
    "vectors; *matched line* — the line after the hidden units of one model are permuted to "
    "match the other's (weight matching); *search* — a path found by the path search and "
    "verified point by point; *Bezier* — a one-bend Bezier curve trained between the ends.",
    "*r, 1 gene*: fraction of mutants with the same phenotype when one gene (a weight, a rule "
    "entry) is resampled from its initialisation law; mean over models, 95 % t interval over "
    "pairs (from {m} pairs on). *r at 1/{d}*: the same with 1/{d} of the genes resampled "
    "(each curve's nearest point within a factor {tol:g}).",
    "*σ50*: the noise level σ (Gaussian noise of σ times each layer's or level's RMS) at "
    "which r falls to one half, interpolated in log σ on each model's curve; mean with a 95 % "
    "t interval over pairs; models whose r is at most one half at the smallest σ (below) or "
    "above one half at the largest (above) are counted apart.",
]


def _systems_md(rows) -> list[str]:
    """The system measures: one short row each (system, mode, rule, measure,
    value, n), every distinct definition written once below, numbered."""
    if not rows:
        return []
    defs: dict[tuple, int] = {}
    L = ["", "**Measures per system**", "",
         "| system | mode | rule | measure | value (95 % interval) | n |", "|---|---|---|---|---|---|"]
    for r in rows:
        k = defs.setdefault((r["measure"], r["definition"]), len(defs) + 1)
        v = _g(r["value"]) + (f" ({_g(r['lo'])}–{_g(r['hi'])})" if math.isfinite(r["lo"])
                              and math.isfinite(r["hi"]) else "")
        cells = [r["system"], r["mode"], r["rule"], f"{r['measure']} [{k}]", v, str(r["n"])]
        L.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    L += ["", "Measures: " + "; ".join(f"[{k}] *{m}*: {d.replace('|', '/')}"
                                        for (m, d), k in defs.items()) + "."]
    return L


def markdown(rows, methods, systems=(), sources=(),
             matched_fraction: float = MATCHED_FRACTION) -> str:
    """The comparison as Markdown: one short-celled table, the system measures
    and the definitions every row shares."""
    d = round(1 / matched_fraction)
    L = ["# Comparison on one set of definitions", ""]
    if sources:
        L += ["From " + ", ".join(f"`{s}`" for s in sources) + ".", ""]
    head = (["system", "mode", "rule", "params", "pairs"]
            + [METHOD_LABELS.get(m, m) for m in methods]
            + ["r, 1 gene", f"r at 1/{d}", "σ50 (noise)"])
    L += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["system"], r["mode"], r["rule"] + (f" ({r['target']})" if r["target"] else ""),
                 "—" if r["n_params"] is None else f"{r['n_params']:,}", str(r["pairs"])]
        cells += [_kn(r["connected"].get(m)) for m in methods]
        cells += [_mean_cell(r["r_single"]), _mean_cell(r["r_matched"]), _s50_cell(r["sigma50"])]
        L.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    L += _systems_md(list(systems))
    L += ["", "**Definitions** (the same for every row)", ""]
    L += [f"{i}. " + t.format(m=MIN_POINTS, d=d, tol=MATCH_TOLERANCE)
          for i, t in enumerate(DEFINITIONS, 1)]
    return "\n".join(L) + "\n"


def _systems_csv(rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = list(CONTRACT["systems"]) + ["rule", "mode"]
    w.writerow(cols + ["source"])
    for r in rows:
        w.writerow([_num(r[c]) if isinstance(r[c], float) else r[c] for c in cols]
                   + [r["source"]])
    return buf.getvalue()


def output_names(fmt: str = "png", systems: bool = False) -> list[str]:
    """The files :func:`write_comparison` writes into its folder."""
    return (["comparison.csv", "comparison.md", f"comparison.{fmt}"]
            + (["comparison_systems.csv"] if systems else []))


def _write_text(path: Path, text: str) -> None:
    with atomic_write(path) as tmp, open_exclusive(tmp, "w") as fh:
        fh.write(text)


def write_comparison(paths, out, *, fmt: str = "png", force: bool = False,
                     matched_fraction: float = MATCHED_FRACTION) -> list[Path]:
    """Read ``paths`` (sweep files), write the comparison into the folder ``out``.

    Parameters
    ----------
    paths : sweep result files carrying the common tables
    out : folder; gets ``comparison.csv``, ``comparison.md``,
        ``comparison.<fmt>`` and, if any file has a ``systems`` table,
        ``comparison_systems.csv``
    fmt : "png", "pdf" or "svg"
    force : replace outputs already there (never a folder, device or FIFO)

    Returns
    -------
    The written paths.  Nothing is written unless every input reads and every
    output may be written.
    """
    from .compare_figure import FORMATS, comparison_figure
    if fmt not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(out)
    tables = combine(paths)
    if not tables["connectivity"] and not tables["robustness"] and not tables["systems"]:
        raise RunFileError(f"{', '.join(map(str, paths))}: no rows in the comparison tables")
    names = output_names(fmt, systems=bool(tables["systems"]))
    targets = [out / n for n in names]
    for t in targets:
        refuse_same_file(t, paths, what="output")
        check_target(t, force=force)
    rows = summarise(tables, matched_fraction)
    methods = _methods(tables["connectivity"])
    sources = list(dict.fromkeys(Path(p).name for p in paths))
    out.mkdir(parents=True, exist_ok=True)
    _write_text(targets[0], csv_text(rows, methods))
    _write_text(targets[1], markdown(rows, methods, tables["systems"], sources,
                                     matched_fraction))
    comparison_figure(tables, rows, targets[2], fmt=fmt)
    if tables["systems"]:
        _write_text(targets[3], _systems_csv(tables["systems"]))
    return targets
