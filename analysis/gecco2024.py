"""Tables and a figure for the GECCO 2024 comparison (experiments/gecco2024).

Reads every finished run file ``DIR/runs/<arm>-<task>-<trial>.h5`` read-only
(never modifies it) and writes, into ``--out`` (default ``DIR/results``):

* ``table.md`` and ``table.csv``: per (task, arm) the number of finished
  runs n, the median final best loss (cells of the 64x64 base level that
  differ from the target; lower is better), its interquartile range
  (25th-75th percentile, numpy's linear interpolation) and the median
  proportion of cells correct; per task the two-sided Mann-Whitney U p-value
  between the arms' final best losses (``scipy.stats.mannwhitneyu``; with 5
  trials per arm the smallest possible p is 2/252 = 0.0079);
* ``best_loss.png``: one panel per task, the best loss of each generation,
  median over trials per arm with its 25-75% band.

Unfinished runs (status "running") are left out with a note on stderr.  The
markdown table is also printed.

Usage::

    python analysis/gecco2024.py out/gecco2024-quick [--out out/gecco2024-quick/results]

Exit status 0, or 2 with one line on stderr for a missing folder, no run
files, or a run file that cannot be read.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Arms and tasks in table order (experiments/gecco2024/run.py).
ARMS = ("hnca", "flat")
TASKS = ("square", "diamond", "hollow_circle")
_NAME = re.compile(r"^(?P<arm>[a-z]+)-(?P<task>[a-z_]+)-(?P<trial>\d+)\.h5$")
_COLORS = {"hnca": "tab:blue", "flat": "tab:orange"}
_LABELS = {"hnca": "HNCA (4 levels)", "flat": "flat NCA (1 level)"}


class AnalysisError(Exception):
    """A problem with the input folder (one line)."""


@dataclass
class Run:
    """One finished run: where it is, what it is, and its best loss per generation."""

    arm: str
    task: str
    trial: int
    path: Path
    best_loss: np.ndarray   # (G,) float64, the lowest loss of each generation
    cells: int              # cells of the phenotype (the loss's maximum)

    @property
    def final(self) -> float:
        return float(self.best_loss[-1])


def load_runs(folder: Path) -> tuple[list[Run], list[Path]]:
    """Read every ``<arm>-<task>-<trial>.h5`` under ``folder/runs`` (read-only).

    Returns
    -------
    (finished runs sorted by (task, arm, trial), paths of unfinished runs)

    Raises
    ------
    AnalysisError
        If the folder or its runs/ is missing, holds no run files, or a run
        file cannot be read.
    """
    from alife.store import RunFile, RunFileError

    if not folder.is_dir():
        raise AnalysisError(f"{folder} is not a folder (expected the --out of "
                            f"experiments/gecco2024/run.py)")
    paths = sorted(p for p in (folder / "runs").glob("*.h5") if _NAME.match(p.name)) \
        if (folder / "runs").is_dir() else []
    if not paths:
        raise AnalysisError(f"no run files <arm>-<task>-<trial>.h5 in {folder / 'runs'}")
    runs, unfinished = [], []
    for path in paths:
        m = _NAME.match(path.name)
        try:
            with RunFile.open(path, "r") as rf:
                status, text = rf.status, rf.config_toml
                loss = rf.read("loss")
        except RunFileError as e:
            raise AnalysisError(str(e)) from None
        if status != "done" or loss.ndim != 2 or loss.shape[0] == 0:
            unfinished.append(path)
            continue
        config = tomllib.loads(text)
        if config.get("task", {}).get("target") != m["task"]:
            raise AnalysisError(f"{path}: the file name says task {m['task']!r} but its config "
                                f"says {config.get('task', {}).get('target')!r}")
        side = int(config.get("model", {}).get("base_size", 64))
        runs.append(Run(m["arm"], m["task"], int(m["trial"]), path,
                        loss.min(axis=1).astype(np.float64), side * side))
    if not runs:
        raise AnalysisError(f"no finished runs in {folder / 'runs'} "
                            f"({len(unfinished)} unfinished)")
    order = {t: i for i, t in enumerate(TASKS)}
    arm_order = {a: i for i, a in enumerate(ARMS)}
    runs.sort(key=lambda r: (order.get(r.task, len(order)), r.task,
                             arm_order.get(r.arm, len(arm_order)), r.arm, r.trial))
    return runs, unfinished


def _groups(runs: list[Run]) -> dict[tuple[str, str], list[Run]]:
    out: dict[tuple[str, str], list[Run]] = {}
    for r in runs:
        out.setdefault((r.task, r.arm), []).append(r)
    return out


def summarise(runs: list[Run]) -> list[dict]:
    """One row per (task, arm): n, median, q25, q75, median proportion correct, p-value.

    ``p_value`` is the two-sided Mann-Whitney U p-value between the task's two
    arms (the same on both rows), NaN when an arm has no runs.
    """
    from scipy.stats import mannwhitneyu

    groups = _groups(runs)
    rows = []
    for task in dict.fromkeys(r.task for r in runs):
        finals = {arm: np.array([r.final for r in groups.get((task, arm), [])]) for arm in ARMS}
        if all(len(finals[a]) for a in ARMS):
            p = float(mannwhitneyu(finals["hnca"], finals["flat"], alternative="two-sided").pvalue)
        else:
            p = float("nan")
        for (t, arm), members in groups.items():
            if t != task:
                continue
            x = np.array([r.final for r in members])
            cells = members[0].cells
            q25, med, q75 = np.percentile(x, [25, 50, 75])
            rows.append({"task": task, "arm": arm, "n": len(x), "median": float(med),
                         "q25": float(q25), "q75": float(q75),
                         "median_correct": float(1.0 - med / cells), "p_value": p})
    return rows


def markdown(rows: list[dict]) -> str:
    """The table as GitHub markdown."""
    lines = ["| task | arm | n | median final best loss | IQR (q25–q75) | median correct | "
             "Mann–Whitney p (two-sided) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        p = "n/a" if np.isnan(r["p_value"]) else f"{r['p_value']:.3g}"
        lines.append(f"| {r['task']} | {r['arm']} | {r['n']} | {r['median']:g} | "
                     f"{r['q25']:g}–{r['q75']:g} | {100 * r['median_correct']:.1f}% | {p} |")
    return "\n".join(lines) + "\n"


def write_csv(rows: list[dict], path: Path) -> None:
    """The table as CSV, full precision (``repr`` floats)."""
    keys = ["task", "arm", "n", "median", "q25", "q75", "median_correct", "p_value"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(keys)
        for r in rows:
            w.writerow([repr(r[k]) if isinstance(r[k], float) else r[k] for k in keys])


def plot(runs: list[Run], path: Path) -> None:
    """Best loss vs generation, one panel per task, median and 25-75% band per arm."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = _groups(runs)
    tasks = list(dict.fromkeys(r.task for r in runs))
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.6 * len(tasks), 4.0), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for arm in ARMS:
            members = groups.get((task, arm), [])
            if not members:
                continue
            G = min(len(r.best_loss) for r in members)
            curves = np.stack([r.best_loss[:G] for r in members])
            q25, med, q75 = np.percentile(curves, [25, 50, 75], axis=0)
            gen = np.arange(G)
            color = _COLORS.get(arm)
            ax.plot(gen, med, color=color, label=f"{_LABELS.get(arm, arm)}, n={len(members)}")
            ax.fill_between(gen, q25, q75, color=color, alpha=0.25, linewidth=0)
        ax.set_title(task)
        ax.set_xlabel("generation")
        ax.set_ylabel("best loss (cells wrong)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle("GECCO 2024 comparison: best loss per generation "
                 "(median over trials, 25–75% band)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Tables and a figure for the GECCO 2024 comparison "
                                            "(reads run files only).")
    p.add_argument("dir", type=Path, help="the --out folder of experiments/gecco2024/run.py")
    p.add_argument("--out", type=Path, default=None, help="where to write (default DIR/results)")
    args = p.parse_args(argv)
    try:
        runs, unfinished = load_runs(args.dir)
    except AnalysisError as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    if unfinished:
        print(f"note: left out {len(unfinished)} unfinished run(s): "
              f"{', '.join(p.name for p in unfinished)}", file=sys.stderr)
    out = args.out if args.out is not None else args.dir / "results"
    out.mkdir(parents=True, exist_ok=True)
    rows = summarise(runs)
    md = markdown(rows)
    (out / "table.md").write_text(md, encoding="utf-8")
    write_csv(rows, out / "table.csv")
    plot(runs, out / "best_loss.png")
    print(md, end="")
    print(f"wrote {out / 'table.md'}, {out / 'table.csv'}, {out / 'best_loss.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
