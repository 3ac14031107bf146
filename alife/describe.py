"""A short text summary of any alife file: what ``alife show`` prints.

:func:`describe` reads a run file (``alife evolve``), a neutral-network
result file (``alife neutral``'s NET.h5), a bridge result file
(``alife bridge``'s BRIDGE.h5), a sweep's result file (its cells, tables and
settings) or any other alife result file (a checkpoint, a fold table) and returns a few lines: the kind, what wrote it (alife
version, git commit, main package versions), the key numbers of that kind
and the config text it was made with.  It reads attributes and summaries
only (no datasets are verified: that is ``alife verify``), and it needs no
optional package: a bridge file is summarised without PyTorch.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from .store import ResultFile, RunFile, RunFileError, result_kind

__all__ = ["describe", "provenance_line"]

#: Packages named in the provenance line, when the file records them.
_VERSIONS = ("python", "numpy", "numba", "torch")


def _num(v, digits: int = 4) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return "nan" if math.isnan(v) else format(v, f".{digits}g")
    return str(v)


def provenance_line(recorded: dict | None, alife_version=None) -> str:
    """One line: the alife version, git commit and main package versions a file records.

    Parameters
    ----------
    recorded : dict or None
        The file's provenance (:func:`alife.provenance.recorded`: ``versions``,
        ``git_commit``, ``platform``), or an older flat dict of versions.
    alife_version : str, optional
        The file's ``alife_version`` attribute, used when ``recorded`` lacks it.
    """
    recorded = recorded or {}
    versions = recorded.get("versions", recorded)
    versions = versions if isinstance(versions, dict) else {}
    alife = versions.get("alife") or alife_version or "unknown"
    parts = [f"alife {alife}"]
    commit = recorded.get("git_commit")
    parts.append(f"git {str(commit)[:12]}" if commit else "no git commit recorded")
    parts += [f"{k} {versions[k]}" for k in _VERSIONS if isinstance(versions.get(k), str)
              and versions[k] != "not installed"]
    if not recorded:
        parts.append("(no package versions recorded)")
    return ", ".join(parts)


def _config_lines(text: str) -> list[str]:
    return ["config:"] + [f"  {line}" for line in (text or "").splitlines()]


def _run(path: Path) -> list[str]:
    with RunFile.open(path, "r") as run:
        s = run.summary()
        recorded = run.provenance
    best = s["best_loss"]
    lines = [f"run file:     {s['path']} ({s['status']})",
             f"provenance:   {provenance_line(recorded, s['alife_version'])}",
             f"generations:  {s['generations_done']}  population {s['pop_size']}  "
             f"genes {s['genome_size']}"]
    if len(best):
        lines.append(f"best loss:    {float(best[-1]):g} (first generation {float(best[0]):g})")
    lines += [f"evaluations/s (mean): {s['mean_evals_per_s']:,.0f}",
              f"phenotypes stored: {s['n_phenotypes']}"]
    return lines + _config_lines(s["config_toml"])




def _json_attr(path: Path, attrs: dict, key: str):
    try:
        value = json.loads(attrs[key])
    except (KeyError, TypeError, ValueError):
        raise RunFileError(f"{path}: its {key} attribute is missing or not readable JSON; "
                           f"rerun the command that wrote it") from None
    return value


def _recorded(attrs: dict):
    raw = attrs.get("provenance")
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        value = None
    return value if isinstance(value, dict) else None


def _neutral(path: Path, attrs: dict) -> list[str]:
    s = _json_attr(path, attrs, "summary_json")
    lines = [f"neutral result file: {path} (method {s.get('method', 'exhaustive')}, "
             f"map {s.get('map', '?')})"]
    lines.append(f"provenance:   {provenance_line(_recorded(attrs), attrs.get('alife_version'))}")
    if "networks" in s:
        nets = s["networks"]
        lines.append(f"networks:     {len(nets)} ({_num(s.get('n_evaluations'))} evaluations)")
        for n in nets:
            lines.append(f"  network {n['seed']} ({n.get('source', '?')}): {_num(n['size'])} "
                         f"genotypes{' (complete)' if n.get('complete') else ''}, "
                         f"R = {_num(n['robustness'], 3)}, E = {_num(n['evolvability'])}")
        if "mutation_classes" in s:
            mc = s["mutation_classes"]
            lines.append("mutation classes of the seeds: "
                         + ", ".join(f"{k} {_num(v)}" for k, v in mc.items()))
    else:
        lines.append(f"genotypes:    {_num(s.get('n_genotypes'))}  phenotypes "
                     f"{_num(s.get('n_phenotypes'))}  genotype networks "
                     f"{_num(s.get('n_components'))}")
        lines.append(f"undefined fraction: {_num(s.get('undefined_fraction'), 3)}")
    return lines + _config_lines(attrs.get("config_toml", ""))


def _bridge(path: Path, attrs: dict) -> list[str]:
    s = _json_attr(path, attrs, "summary")
    pairs = s.get("pairs", [])
    lines = [f"bridge result file: {path} ({len(pairs)} pairs, "
             f"{_num(s.get('seconds'), 3)} s)",
             f"provenance:   {provenance_line(_recorded(attrs), attrs.get('alife_version'))}"]
    kinds = list(pairs[0]["paths"]) if pairs else []
    for k in kinds:
        barriers = [p["paths"][k]["train_loss_barrier"] for p in pairs if k in p["paths"]]
        lines.append(f"train-NLL barrier, {k}: " + ", ".join(_num(b, 3) for b in barriers))
    for a in s.get("align", []):
        lines.append(f"aligned pair {a['pair']}: line barrier "
                     f"{_num(a['train_loss_barrier_before'], 3)} before, "
                     f"{_num(a['train_loss_barrier_after'], 3)} after weight matching")
    met = s.get("targets_met", {})
    flat = {k: v for k, v in met.items() if isinstance(v, bool)}
    if flat:
        lines.append("targets met:  " + ", ".join(f"{k} {_num(v)}" for k, v in flat.items()))
    return lines + _config_lines(attrs.get("config_toml", ""))


def _sweep(path: Path, attrs: dict) -> list[str]:
    layout = _json_attr(path, attrs, "tables")
    settings = _json_attr(path, attrs, "settings")
    lines = [f"sweep result file: {path} ({_num(int(attrs.get('n_cells', 0)))} cells of "
             f"{attrs.get('function', '?')}, root seed {attrs.get('root_seed', '?')})",
             f"provenance:   {provenance_line(_recorded(attrs), attrs.get('alife_version'))}"]
    lines.append("tables:       " + ", ".join(f"{name} ({len(cols)} columns)"
                                              for name, cols in layout.items()))
    lines.append("settings:")
    lines += [f"  {k} = {json.dumps(v)}" for k, v in sorted(settings.items())]
    return lines


def _other(path: Path, kind: str, attrs: dict, names: list) -> list[str]:
    lines = [f"{kind} result file: {path}",
             f"provenance:   {provenance_line(_recorded(attrs), attrs.get('alife_version'))}",
             f"datasets:     {len(names)}"]
    if "config_toml" in attrs:
        lines += _config_lines(attrs["config_toml"])
    return lines


def describe(path) -> str:
    """A few lines describing an alife file (what ``alife show`` prints).

    Parameters
    ----------
    path : str or Path
        A run file, a NET.h5 / BRIDGE.h5 result file, or another alife
        result file (checkpoint, fold table).

    Returns
    -------
    str
        Lines ending in newlines: the kind and path, a provenance line, the
        key numbers of that kind, then the config text (indented).

    Raises
    ------
    alife.store.RunFileError
        One line, for a missing, unreadable or damaged file.
    """
    path = Path(path)
    kind = result_kind(path)
    if kind is None:
        lines = _run(path)
    else:
        with ResultFile(path, kind) as rf:    # the root checksum verified
            attrs, names = dict(rf.attrs), list(rf.names)
        if kind == "neutral":
            lines = _neutral(path, attrs)
        elif kind == "bridge":
            lines = _bridge(path, attrs)
        elif kind == "sweep":
            lines = _sweep(path, attrs)
        else:
            lines = _other(path, kind, attrs, names)
    return "\n".join(lines) + "\n"
