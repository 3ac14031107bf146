"""The MLP width sweep's tables in the comparison's common form.

The width sweep (:mod:`alife.bridge.width_sweep`, cell function
``mlp_pair_cell``) stores one wide row per pair of nets (``cells``: width,
depth, pair, n_params, ``line_kept``, ``matched_kept``, ...) and its
robustness curves in its own words (``robustness``: kernel ``rms_noise``,
strength = fraction of the weights resampled).  ``alife compare`` reads every
system through the same long-form tables (see :mod:`alife.bridge.compare`):

* ``connectivity`` — one row per pair and path: ``system`` ``"mlp"``,
  ``rule`` (``"width-64"``; ``"width-64x2"`` for two hidden layers),
  ``mode`` ``"trained"``, ``n_params``, ``seed`` (the pair's cluster id:
  the cell's position in the sweep, as every pair trains its own two
  nets), ``pair``, ``method`` (``"line"``, ``"matched_line"`` — the line
  after weight matching —, ``"bezier"``), ``connected`` (every point of
  the path keeps the exact phenotype, the training-set argmax; False when
  the two nets do not share one), ``kept`` (fraction of the path's points
  that keep it; NaN when the ends differ), plus ``same_phenotype``,
  ``fit_kept`` (the fitness-neutral fraction: training error no worse than
  the worse end) and ``train_loss_barrier``;
* ``robustness`` — one row per net, kernel and strength: the same
  identifying columns, ``endpoint``, ``kernel`` (``"resample"`` or
  ``"noise"``), ``strength`` (genes resampled, or σ in units of each
  tensor's RMS), ``fraction_changed``, ``n``, ``kept``, plus ``n_params``
  and ``resample_fraction`` (the fraction the sweep asked for).

:func:`contract_tables` derives them from a sweep read back with
:func:`alife.sweep.read_sweep`; :func:`write_contract` writes them as a
sweep file of their own (the sweep file itself is left as it is).  Neither
needs torch.
"""
from __future__ import annotations

from pathlib import Path

from ..sweep.table import Table, build_table, write_sweep

__all__ = ["FUNCTION", "METHODS", "rule_label", "contract_tables", "write_contract"]

#: The cell function whose sweep files this module reads.
FUNCTION = "alife.bridge.width_sweep:mlp_pair_cell"

#: Path kind of the width sweep -> method name of the comparison.
METHODS = {"line": "line", "matched": "matched_line", "bezier": "bezier"}

#: Kernel name of :mod:`alife.neutral.robustness_curves` -> the comparison's.
KERNELS = {"resample": "resample", "rms_noise": "noise"}


def rule_label(width: int, depth: int) -> str:
    """``"width-64"`` for one hidden layer, ``"width-64x2"`` for two."""
    return f"width-{int(width)}" if int(depth) == 1 else f"width-{int(width)}x{int(depth)}"


def _ids(cells: Table) -> dict:
    """Cell name -> (rule, n_params, seed, pair)."""
    out = {}
    for i, row in enumerate(cells.rows()):
        out.setdefault(row["cell"], (rule_label(row["width"], row["depth"]),
                                     int(row["n_params"]), i, int(row["pair"])))
    return out


def _connectivity(cells: Table, ids: dict) -> Table:
    rows = []
    for row in cells.rows():
        rule, n_params, seed, pair = ids[row["cell"]]
        for kind, method in METHODS.items():
            kept = float(row[f"{kind}_kept"])
            rows.append({"system": "mlp", "rule": rule, "mode": "trained",
                         "n_params": n_params, "seed": seed, "pair": pair, "method": method,
                         "connected": bool(kept == 1.0), "kept": kept,
                         "same_phenotype": bool(row["same_phenotype"]),
                         "fit_kept": float(row[f"{kind}_fit_kept"]),
                         "train_loss_barrier": float(row[f"{kind}_train_loss_barrier"])})
    return build_table("connectivity", rows)


def _robustness(rob: Table, ids: dict) -> Table:
    rows = []
    for row in rob.rows():
        rule, n_params, seed, pair = ids[row["cell"]]
        kernel = KERNELS[row["kernel"]]
        strength = float(row["strength"])
        if kernel == "resample":   # the contract counts genes; the sweep asked for a fraction
            sites = float(round(float(row["fraction_changed"]) * n_params))
            fraction = strength
        else:
            sites, fraction = strength, float("nan")
        rows.append({"system": "mlp", "rule": rule, "mode": "trained", "seed": seed,
                     "pair": pair, "endpoint": str(row["endpoint"]), "kernel": kernel,
                     "strength": sites, "fraction_changed": float(row["fraction_changed"]),
                     "n": int(row["n"]), "kept": int(row["kept"]), "n_params": n_params,
                     "resample_fraction": fraction})
    return build_table("robustness", rows)


def contract_tables(sweep) -> dict:
    """The ``connectivity`` and ``robustness`` tables of a width-sweep file.

    Parameters
    ----------
    sweep : :class:`alife.sweep.SweepTable` of the width sweep (its
        ``function`` is :data:`FUNCTION`)

    Returns
    -------
    dict ``{"connectivity": Table, "robustness": Table}``: 3 rows per pair
    and one per net, kernel and strength (module docstring).

    Raises
    ------
    ValueError
        One line, if the sweep is not a width sweep or lacks a column.
    """
    if sweep.function != FUNCTION:
        raise ValueError(f"{sweep.path} is a sweep of {sweep.function}, not of the MLP width "
                         f"sweep ({FUNCTION})")
    try:
        cells, rob = sweep.cells, sweep["robustness"]
        ids = _ids(cells)
        return {"connectivity": _connectivity(cells, ids), "robustness": _robustness(rob, ids)}
    except KeyError as e:
        raise ValueError(f"{sweep.path}: the width sweep's tables lack a column "
                         f"({str(e).strip(chr(34))})") from None


def write_contract(sweep, path, *, force: bool = False) -> Path:
    """Write :func:`contract_tables` of ``sweep`` as a sweep file (kind ``"sweep"``)
    at ``path``, with the source's settings, root seed and cell function, and
    its timing.  Returns the path."""
    tables = contract_tables(sweep)
    key = {"function": sweep.function, "root_seed": int(sweep.root_seed),
           "settings": sweep.settings}
    timing = dict(sweep.timing)
    timing["derived_from"] = Path(sweep.path).name if sweep.path is not None else ""
    return write_sweep(path, tables, key=key, timing=timing, force=force)

