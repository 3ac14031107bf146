"""One self-contained HTML page describing a run or result file (``alife report``).

``write_report(FILE.h5, report.html)`` dispatches on the file:

* a result file (root attribute ``kind``): ``"neutral"`` (``alife neutral``'s
  NET.h5), ``"bridge"`` (via :func:`alife.bridge.run.bridge_summary` and
  :func:`alife.bridge.plots.plot_bridge`) or ``"sweep"`` (a sweep's tables,
  :func:`alife.sweep.read_sweep`, drawn by :func:`alife.sweep.plots.plot_sweep`;
  tables longer than :data:`SWEEP_ROWS` rows are shown in part);
* otherwise an evolution run file (:class:`alife.store.RunFile`).

The page holds the config (TOML text), provenance (what the file records,
and separately what generated the report: package versions and machine),
the headline numbers of that result type, and every figure of that type,
rendered by the same functions as ``alife plot`` / ``alife neutral`` into a
temporary folder and embedded as base64 ``data:`` URIs.  It has no scripts,
no external stylesheets, fonts or images: it reads the same from a file, an
e-mail attachment or a web server.  Reports are meant to be shared: the
hostname, the Python executable and the file's folder are left out unless
asked for (``include_host``; ``alife report --include-host``).

Headline values carry ``id="h-KEY"`` (nested keys joined by ``.``) so tests
and scripts can find them; numbers are written by :func:`fmt`.
"""
from __future__ import annotations

import base64
import html
import json
import math
import os
import tempfile
from pathlib import Path

from . import provenance
from .store import (RunFile, RunFileError, atomic_write, check_target, output_lock, read_results,
                    refuse_same_file, result_kind)
from .store.atomic import open_exclusive

__all__ = ["ReportError", "build_report", "write_report", "plot_neutral_file", "fmt"]


class ReportError(ValueError):
    """A report cannot be made: one line naming the file and the problem."""


#: One-line captions of known figures (file name -> caption); others get their name.
CAPTIONS = {
    "loss.png": "Best and median loss (mismatched cells) per generation.",
    "best.png": "The best phenotype of the last generation beside the target.",
    "filmstrip.png": "Development of that best genome, every level.",
    "mutations.png": "Fractions of mutation classes among each generation's mutated offspring.",
    "network.png": "The largest drawn neutral network; nodes coloured by genotype robustness r(g).",
    "genotype_r_vs_e.png": "Genotype robustness r(g) vs genotype evolvability e(g) (Wagner 2008).",
    "phenotype_R_vs_E.png": "Phenotype robustness R(p) vs phenotype evolvability E(p).",
    "rank_frequency.png": "Phenotype rank vs frequency (log-log).",
    "profile.png": "Per-gene robustness profile: fraction of mutations of each gene keeping the phenotype.",
    "paths.png": "Train NLL and test error along the straight line and every trained path, per pair.",
    "cka.png": "Linear CKA of the hidden layer against endpoints A and B, and prediction agreement, "
               "along every path (pair 0).",
    "plane_pair0.png": "Train NLL and test error on the plane through A, B and the Bezier bend "
                       "(Garipov et al. 2018, figure 1), with the curve and the line.",
    "align.png": "The straight line before and after weight matching (Ainsworth et al. 2023).",
    "ensembles.png": "Test NLL of one model, both endpoints, FGE, the curve ensemble and SWA.",
    "gpmap.png": "The trained net as a GP map: robustness and evolvability under Gaussian weight "
                 "perturbations of size sigma.",
}


#: The caption of a sweep's figures (``sweep_<table>[_<page>].png``).
SWEEP_CAPTION = ("Each numeric column of the table against the sweep's main parameter: dots are "
                 "cells; lines and bands the mean and its 95% interval over the other cells, "
                 "where there are at least 3.")


def fmt(v) -> str:
    """How a headline value is written: ints plainly, floats to 6 significant
    digits, lists comma-separated, None as ``none``."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:      # numpy scalar
        v = v.item()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else format(v, ".6g")
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt(x) for x in v)
    return str(v)


# --------------------------------------------------------------------------- #
# reading the three kinds of file
# --------------------------------------------------------------------------- #
def _load(path: Path) -> dict:
    """The parts of a report: ``kind``, ``config``, ``recorded``, ``headline``
    (a JSON-like dict; lists of dicts become tables), ``labels``, ``notes`` and
    ``render(outdir) -> [Path]``."""
    if not path.exists():
        raise ReportError(f"{path} does not exist")
    if path.is_dir():
        raise ReportError(f"{path} is a directory, not an alife run or result file")
    try:
        kind = result_kind(path)
    except RunFileError as e:
        raise ReportError(f"{path} is not an alife run or result file "
                          f"({_reason(path, e)})") from None
    if kind is None:
        return _load_run(path)
    if kind == "neutral":
        attrs, arrays = read_results(path, kind)      # verified; RunFileError is one line
        return _load_neutral(path, attrs, arrays)
    if kind == "bridge":
        attrs, _ = read_results(path, kind, names=())  # the figures read what they need
        return _load_bridge(path, attrs)
    if kind == "sweep":
        attrs, _ = read_results(path, kind, names=())
        return _load_sweep(path, attrs)
    raise ReportError(f"{path}: no report for result files of kind {kind!r} "
                      f"(known: neutral, bridge, sweep, and run files)")


def _reason(path: Path, e: Exception) -> str:
    """An error's message without the leading file name."""
    reason = str(e)
    reason = reason[len(str(path)):] if reason.startswith(str(path)) else reason
    return reason.split(": ", 1)[-1].strip()


def _recorded(attrs: dict, skip=("config_toml", "summary_json")) -> dict:
    """Scalar root attributes, with JSON-object attributes flattened."""
    out = {}
    for k, v in sorted(attrs.items()):
        if k in skip:
            continue
        if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
            v = v.item()
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if isinstance(v, str) and v[:1] == "{":
            try:
                d = json.loads(v)
            except ValueError:
                d = None
            if isinstance(d, dict):
                out.update(_flatten(d, k))
                continue
        if isinstance(v, (str, int, float, bool)):
            out[k] = v
    return out


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict):
            out.update(_flatten(v, key))
        else:
            out[key] = v
    return out


def _load_run(path: Path) -> dict:
    try:
        with RunFile.open(path, "r") as run:
            s = run.summary()
            # every scalar root attribute, so provenance the writer adds later shows up too
            attrs = dict(run._h5.attrs.items())
    except RunFileError as e:
        if "locked by another process" in str(e) or "corrupt" in str(e):
            raise ReportError(str(e)) from None
        raise ReportError(f"{path} is not an alife run or result file "
                          f"({_reason(path, e)})") from None
    best = s["best_loss"]
    G = s["generations_done"]
    headline = {
        "status": s["status"],
        "generations_done": G,
        "pop_size": s["pop_size"],
        "genome_size": s["genome_size"],
        "best_loss_first": float(best[0]) if len(best) else None,
        "best_loss_last": float(best[-1]) if len(best) else None,
        "best_loss_min": float(best.min()) if len(best) else None,
        "mean_evals_per_s": s["mean_evals_per_s"],
        "n_phenotypes": s["n_phenotypes"],
        "seed_entropy": s["seed_entropy"],
    }
    labels = {"status": "status", "generations_done": "generations complete",
              "pop_size": "population size", "genome_size": "genes per genome",
              "best_loss_first": "best loss, first generation",
              "best_loss_last": "best loss, last generation",
              "best_loss_min": "best loss over the run",
              "mean_evals_per_s": "evaluations/s (mean over generations)",
              "n_phenotypes": "distinct phenotypes stored", "seed_entropy": "seed entropy"}
    notes = []

    def render(outdir, fmt="png"):
        if G == 0:
            notes.append("No complete generation yet: no figures.")
            return []
        from .evolve.plots import plot_run
        return plot_run(path, outdir)

    return {"kind": "run", "title": "evolution run", "config": s["config_toml"],
            "recorded": _recorded(attrs, skip=("config_toml", "class_counts")),
            "headline": headline, "labels": labels,
            "notes": notes, "render": render}


def _load_neutral(path: Path, attrs: dict, arrays: dict) -> dict:
    try:
        summary = json.loads(attrs["summary_json"])
        config_text = attrs["config_toml"]
    except (KeyError, ValueError) as e:
        raise ReportError(f"{path}: neutral result file without a readable summary ({e})") from None
    headline = {k: v for k, v in summary.items() if k != "files"}
    notes = []

    def render(outdir, fmt="png"):
        from .neutral.plots import plot_neutral
        graphs = _neutral_graphs(summary, arrays, config_text, path, notes)
        return [Path(outdir) / n for n in plot_neutral(summary, arrays, graphs, outdir, fmt=fmt)]

    return {"kind": "neutral", "title": f"neutral networks ({summary.get('method', '?')})",
            "config": config_text, "recorded": _recorded(attrs), "headline": headline,
            "labels": {}, "notes": notes, "render": render}


def plot_neutral_file(path, out_dir, *, force: bool = False,
                      fmt: str = "png") -> tuple[list[Path], list[str]]:
    """Draw the figures of a NET.h5 file into ``out_dir`` (``alife plot NET.h5``).

    The same figures ``alife neutral`` draws (:func:`alife.neutral.plots.plot_neutral`),
    from the stored arrays; the network drawing is rebuilt from them.

    Parameters
    ----------
    path : str or Path
        A result file of ``alife neutral`` (read and verified whole).
    out_dir : str or Path
        Folder for the figures (created).
    force : bool
        Replace figures already in ``out_dir``; without it an existing
        figure is refused before anything is drawn.
    fmt : str
        File format of the figures: "png" (default), "pdf" or "svg".

    Returns
    -------
    files : list of Path
        The figures written.
    notes : list of str
        What could not be drawn and why (e.g. a map whose file is not here).
    """
    from .figures import check_format, in_format
    from .neutral.plots import FIGURES
    from .outputs import check_new_outputs

    path = Path(path)
    fmt = check_format(fmt)
    check_new_outputs(out_dir, in_format(FIGURES, fmt), force=force)
    attrs, arrays = read_results(path, "neutral")
    parts = _load_neutral(path, attrs, arrays)
    files = parts["render"](out_dir, fmt)
    return files, parts["notes"]


def _neutral_graphs(summary, arrays, config_text, path, notes) -> dict:
    """The graphs ``run_neutral`` drew, rebuilt from the stored arrays (the
    result file keeps genotypes, edges and r(g), not networkx objects).
    Mirrors the choice in :func:`alife.neutral.run.run_neutral`."""
    import networkx as nx
    import numpy as np

    from .neutral.run import GRAPH_MAX_NODES

    graphs = {}
    if "networks" in summary:
        for n in summary["networks"]:
            i = n["seed"]
            p = f"networks/{i}/"
            if p + "robustness" not in arrays or len(arrays[p + "robustness"]) > GRAPH_MAX_NODES:
                continue
            rob = np.asarray(arrays[p + "robustness"], float)
            G = nx.Graph()
            G.add_nodes_from((j, {"robustness": float(r)}) for j, r in enumerate(rob))
            G.add_edges_from(map(tuple, np.asarray(arrays[p + "edges"]).reshape(-1, 2).tolist()))
            graphs[f"network{i}"] = G
        return graphs
    if "genotypes/phenotype" not in arrays or not len(arrays.get("phenotypes/size", ())):
        return graphs
    try:
        from .neutral import networks_from_table
        from .neutral.config import loads_neutral
        config = loads_neutral(config_text, name=str(path), base_dir=path.parent)
        nets = networks_from_table(config.gpmap().space, arrays["genotypes/phenotype"])
        big = int(np.argmax(arrays["phenotypes/size"]))
        comp = int(nets.components_of(int(arrays["phenotypes/phenotype"][big]))[0])
        if nets.component_sizes[comp] <= GRAPH_MAX_NODES:
            graphs["largest_phenotype_component"] = nets.graph(component=comp,
                                                               max_nodes=GRAPH_MAX_NODES)
    except Exception as e:          # the map may need a file or package not here
        notes.append(f"The network drawing was not rebuilt: {' '.join(str(e).split())}")
    return graphs


def _load_bridge(path: Path, attrs: dict) -> dict:
    try:
        from .bridge.plots import plot_bridge
        from .bridge.run import bridge_summary
    except (ImportError, AttributeError) as e:
        raise ReportError(f"{path}: bridge reports need alife.bridge.run.bridge_summary and "
                          f"alife.bridge.plots.plot_bridge, not available here "
                          f"({' '.join(str(e).split())})") from None
    summary = dict(bridge_summary(path))
    config_text = summary.pop("config_toml", attrs.get("config_toml", ""))
    headline = summary
    return {"kind": "bridge", "title": "bridge to ML", "config": config_text,
            "recorded": _recorded(attrs, skip=("config_toml", "summary")),
            "headline": headline, "labels": {}, "notes": [],
            "render": lambda outdir: [Path(p) for p in plot_bridge(path, outdir)]}


#: Rows of a sweep table shown in a report; a longer table is shown in part
#: (the whole table is in the file: ``read_sweep(path)[name].to_csv()``).
SWEEP_ROWS = 200


def _load_sweep(path: Path, attrs: dict) -> dict:
    from .sweep import read_sweep
    from .sweep.plots import plot_sweep, sweep_layout

    sweep = read_sweep(path)
    headline = {"function": sweep.function, "root_seed": sweep.root_seed,
                "n_cells": len(set(sweep.cells["cell"])) if "cell" in sweep.cells.columns else 0,
                "cell_seconds": sweep.timing.get("cell_seconds")}
    labels = {"n_cells": "cells", "cell_seconds": "seconds of work in all cells"}
    notes = []
    for name, t in sweep.tables.items():
        layout = sweep_layout(t)
        headline[f"{name}_table"] = (
            f"{len(t)} rows, {len(t.names)} columns"
            + (f"; drawn against {layout['x']}" if layout else "")
            + (f"; the first {SWEEP_ROWS} rows shown below, all of them are in the file "
               f"(alife.sweep.read_sweep)" if len(t) > SWEEP_ROWS else ""))
        labels[f"{name}_table"] = f"table {name}"
    for name, t in sweep.tables.items():
        headline[name] = t.rows()[:SWEEP_ROWS]
    config = json.dumps({"root_seed": sweep.root_seed, "function": sweep.function,
                         "settings": sweep.settings}, indent=2, sort_keys=True)

    def render(outdir, fmt="png"):
        files, why = plot_sweep(path, outdir, fmt=fmt)
        notes.extend(why)
        return files

    return {"kind": "sweep", "title": f"sweep ({sweep.function})", "config": config,
            "recorded": _recorded(attrs, skip=("tables", "sweep_key", "settings", "timing")),
            "headline": headline, "labels": labels,
            "notes": notes, "render": render}


# --------------------------------------------------------------------------- #
# HTML
# --------------------------------------------------------------------------- #
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:70em;
padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .6em;
text-align:left;vertical-align:top}th{background:#f4f4f4;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f7f7f7;border:1px solid #ddd;padding:.8em;overflow-x:auto}
figure{display:inline-block;margin:.5em 1em 1em 0;vertical-align:top;max-width:100%}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#444;max-width:40em}
.note{color:#7a4b00}
.prov{display:flex;flex-wrap:wrap;gap:2em}.prov>div{min-width:0;overflow-wrap:anywhere}
.wide{overflow-x:auto}
"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _num(v) -> str:
    return ' class="num"' if isinstance(v, (int, float)) and not isinstance(v, bool) else ""


def _kv_table(d: dict, *, ids: bool = False, labels: dict | None = None) -> str:
    labels = labels or {}
    rows = []
    for k, v in d.items():
        ident = f' id="h-{_e(k)}"' if ids else ""
        rows.append(f"<tr><th>{_e(labels.get(k, k))}</th><td{ident}{_num(v)}>{_e(fmt(v))}</td></tr>")
    return "<table>\n" + "\n".join(rows) + "\n</table>"


#: Columns of the per-network table shown first (the rest follow as stored).
_NETWORK_COLUMNS = ("seed", "source", "phenotype", "label", "size", "complete", "robustness",
                    "evolvability", "n_evaluations")


def _is_table(v) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(r, dict) for r in v)


def _rows_table(key: str, rows_in: list) -> str:
    """A list of dicts (networks, pairs, ...) as one table; cell ids ``h-KEY.i.COLUMN``."""
    flat = [_flatten(r) for r in rows_in]
    cols = [c for c in _NETWORK_COLUMNS if any(c in n for n in flat)]
    for n in flat:
        cols.extend(k for k in n if k not in cols)
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    rows = []
    for i, n in enumerate(flat):
        cells = "".join(f'<td id="h-{_e(key)}.{i}.{_e(c)}"{_num(n.get(c))}>{_e(fmt(n.get(c)))}</td>'
                        for c in cols)
        rows.append(f"<tr>{cells}</tr>")
    return (f'<div class="wide"><table>\n<tr>{head}</tr>\n' + "\n".join(rows)
            + "\n</table></div>")


def _figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    mime = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
            ".jpeg": "image/jpeg"}.get(path.suffix.lower(), "application/octet-stream")
    caption = CAPTIONS.get(path.name, SWEEP_CAPTION if path.name.startswith("sweep_") else "")
    return (f'<figure><img src="data:{mime};base64,{data}" alt="{_e(path.name)}">'
            f"<figcaption><b>{_e(path.name)}</b>{' — ' + _e(caption) if caption else ''}"
            f"</figcaption></figure>")


def _config_seed(text: str):
    import tomllib
    try:
        return tomllib.loads(text).get("seed")
    except (tomllib.TOMLDecodeError, TypeError):
        return None


#: Provenance keys (last dotted part) that identify a machine or a person's
#: folders; reports show them only when asked (``include_host``).
HOST_KEYS = ("hostname", "python_executable")

#: What a report shows instead of a withheld value.
WITHHELD = "left out (alife report --include-host shows it)"


def _private(d: dict) -> dict:
    """``d`` with the values of :data:`HOST_KEYS` replaced by :data:`WITHHELD`."""
    return {k: WITHHELD if str(k).rsplit(".", 1)[-1] in HOST_KEYS else v for k, v in d.items()}


def build_report(path, *, include_host: bool = False) -> str:
    """The report of ``path`` as HTML text (raises :class:`ReportError`).

    Unless ``include_host``, the page leaves out what identifies the machine
    or the user's folders, so it can be shared: the hostname and the Python
    executable (of the report's making and any the file records; their rows
    say they were left out) and the file's folder (only its name is shown).
    """
    path = Path(path)
    part = _load(path)
    with tempfile.TemporaryDirectory(prefix="alife-report-") as tmp:
        figures = [Path(p) for p in part["render"](tmp)]
        figs_html = "\n".join(_figure(p) for p in figures)
    now = provenance.current()
    gen = {"time (UTC)": now["time_utc"], **now["versions"], **now["machine"],
           "git_commit": now["git_commit"]}
    title = f"alife report: {path.name}"
    body = [f"<h1>{_e(title)}</h1>",
            f"<p>{_e(part['title'])} — file "
            f"<code>{_e(os.path.abspath(path) if include_host else path.name)}</code></p>"]
    body.append("<h2>Headline numbers</h2>")
    head = part["headline"]
    body.append(_kv_table(_flatten({k: v for k, v in head.items() if not _is_table(v)}),
                          ids=True, labels=part["labels"]))
    for k, v in head.items():
        if _is_table(v):
            body.append(f"<h3>{_e(k)}</h3>")
            body.append(_rows_table(k, v))
    body.append(f"<h2>Figures ({len(figures)})</h2>")
    for note in part["notes"]:
        body.append(f'<p class="note">{_e(note)}</p>')
    body.append(figs_html or "<p>No figures.</p>")
    body.append("<h2>Config</h2>")
    body.append(f'<pre id="config">{_e(part["config"])}</pre>')
    body.append("<h2>Provenance</h2>")
    recorded = dict(part["recorded"])
    if not any("seed" in k for k in recorded):
        seed = _config_seed(part["config"])
        if seed is not None:
            recorded["seed (from the config)"] = seed
    missing = ("" if any(k.endswith(("numpy", "hostname")) for k in recorded) else
               '<p class="note">The file records no package versions or machine; '
               "those shown beside are of the report's making only.</p>")
    if not include_host:
        recorded, gen = _private(recorded), _private(gen)
    body.append('<div class="prov"><div><h3>Recorded in the file</h3>'
                + _kv_table(recorded) + missing + "</div>")
    body.append("<div><h3>Generated this report</h3>" + _kv_table(gen) + "</div></div>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def write_report(path, out, *, force: bool = False, include_host: bool = False) -> Path:
    """Write the report of ``path`` to ``out`` atomically; return ``out``.

    ``include_host`` adds the hostname, executable and full path that
    shareable reports leave out (see :func:`build_report`).

    Refuses (:class:`ReportError`) an ``out`` that is a directory, that
    exists (unless ``force``), that is the input file, or that is an HDF5
    file or not a regular file (results and devices are never overwritten by
    a report, even with ``force``).  ``out``'s lock is held while the report
    is made (:func:`alife.store.output_lock`): a second writer is refused.
    """
    path, out = Path(path), Path(out)
    if not path.exists():
        raise ReportError(f"{path} does not exist")
    if out.is_dir():
        raise ReportError(f"{out} is a directory; give a file name such as {out / 'report.html'}")
    try:
        refuse_same_file(out, [path], what="-o")
    except RunFileError:
        raise ReportError(f"{out} is the input file; refusing to overwrite it") from None
    with output_lock(out):                 # one writer, taken before the existence check
        try:
            exists = check_target(out, force=True, what="-o")
        except RunFileError as e:
            raise ReportError(str(e)) from None
        if exists:
            with open(out, "rb") as f:
                if f.read(8) == b"\x89HDF\r\n\x1a\n":
                    raise ReportError(f"{out} is an HDF5 file; refusing to overwrite it with "
                                      f"a report")
            if not force:
                raise ReportError(f"{out} already exists; use --force to overwrite it or "
                                  f"another -o")
        text = build_report(path, include_host=include_host)
        with atomic_write(out) as tmp, open_exclusive(tmp, "w") as fh:
            fh.write(text)
    return out
