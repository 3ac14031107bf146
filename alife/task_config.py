"""The ``[task]`` table of a config: the target and how it is scored.

Shared by the evolution and neutral-analysis configs::

    [task]
    target = "square"             # a built-in target (alife.tasks.TARGETS), or
    # file = "shape.npy"          # a bitmap file: exactly one of target / file;
                                  # a relative path is resolved against the
                                  # config file's folder
    mode = "final"                # "final" | "homeostasis" | "damage"
    # homeostasis_k = 10          # only with mode = "homeostasis"
    # damage_step = 50            # only with mode = "damage"
    # damage_rect = [0, 0, 16, 16]  # only with mode = "damage": row0, col0,
                                    # height, width in base-level cells

A key that the chosen mode does not use is an error (it would silently do
nothing).  The target is loaded once while the table is checked (with the
real loader, at the phenotype's resolution), so a bad bitmap is reported
before a run starts.
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import (Invalid, TopLevel, check_keys, check_kind, key_path, resolve_path, show_value,
                     toml_string, unknown_name)
from .nca.spec import HNCASpec
from .tasks import DEFAULT_CHUNK, MODE_PARAMS, TARGETS, TASK_MODES, Task

__all__ = ["TASK_MODES", "TaskConfig", "parse_task_table", "task_table_dict", "task_object",
           "evaluation_memory"]

_TASK_KEYS = ("target", "file", "mode", "homeostasis_k", "damage_step", "damage_rect")
#: Task keys that only some modes use.
_MODE_KEYS = {"homeostasis_k": "homeostasis", "damage_step": "damage", "damage_rect": "damage"}


@dataclass(frozen=True)
class TaskConfig:
    """The ``[task]`` table.

    Attributes
    ----------
    target : str or None
        A built-in target name (exactly one of target / file is set).
    file : str or None
        Absolute path of a bitmap target (PNG, .npy or text art).
    mode : str
        ``final`` (loss of the final phenotype), ``homeostasis`` (mean loss
        over the last ``homeostasis_k`` steps) or ``damage`` (zero
        ``damage_rect`` after step ``damage_step``, score the recovery).
    homeostasis_k, damage_step, damage_rect
        The mode's parameters; the defaults when the mode does not use them.
    """

    target: str | None = None
    file: str | None = None
    mode: str = "final"
    homeostasis_k: int = 10
    damage_step: int = 50
    damage_rect: tuple[int, int, int, int] = (0, 0, 16, 16)


def task_object(task: TaskConfig, spec: HNCASpec) -> Task:
    """The target and mode of ``task`` as an :class:`alife.tasks.Task` at the
    phenotype's resolution (the output level, side ``base_size >> output_level``).

    A bitmap file is read again on every call.
    """
    n = spec.sizes[spec.output_level]
    mode = {"mode": task.mode, **{k: getattr(task, k) for k in MODE_PARAMS[task.mode]}}
    if task.file is not None:
        return Task.from_file(task.file, n, **mode)
    return Task.from_name(task.target, n, **mode)


def _target(given: dict, spec: HNCASpec, base_dir) -> dict:
    """``{"target": name}`` or ``{"file": absolute path}`` (exactly one of them is
    given), loaded once to check it."""
    if "target" in given:
        where = key_path("task", "target")
        name = check_kind("str", given["target"], where)
        if name not in TARGETS:
            raise Invalid(where, unknown_name("target", name, TARGETS, ", or give file = a bitmap"))
        kw = {"target": name}
    else:
        where = key_path("task", "file")
        kw = {"file": resolve_path(check_kind("str", given["file"], where), base_dir, where)}
    try:
        task_object(TaskConfig(**kw), spec)
    except (ValueError, OSError) as e:
        note = (f" (the phenotype is output level {spec.output_level}, side "
                f"{spec.sizes[spec.output_level]})" if spec.output_level else "")
        raise Invalid(where, " ".join(str(e).split()) + note) from None
    return kw


def _mode_parameters(given: dict, spec: HNCASpec, mode: str) -> dict:
    """The parameters of ``mode`` (defaults filled), checked against the model."""
    T, defaults, out = spec.steps, TaskConfig(), {}

    def value(key, kind):
        v = check_kind(kind, given.get(key, getattr(defaults, key)), key_path("task", key))
        return v, "" if key in given else " (the default)"

    if mode == "homeostasis":
        k, note = value("homeostasis_k", "int")
        if not 1 <= k <= T:
            raise Invalid(key_path("task", "homeostasis_k"), f"must be in 1..{T} ([model] steps), got {k}{note}")
        out["homeostasis_k"] = k
    if mode == "damage":
        t, note = value("damage_step", "int")
        if not 0 <= t <= T:
            raise Invalid(key_path("task", "damage_step"), f"must be in 0..{T} ([model] steps), got {t}{note}")
        rect, note = value("damage_rect", ("ints", 4))
        r0, c0, h, w = rect
        N = spec.base_size
        if not (h >= 1 and w >= 1 and r0 >= 0 and c0 >= 0 and r0 + h <= N and c0 + w <= N):
            raise Invalid(key_path("task", "damage_rect"),
                          f"must be [row0, col0, height, width] with height, width >= 1 inside the "
                          f"{N}x{N} base grid (row0 + height <= {N}, col0 + width <= {N}), "
                          f"got {show_value(list(rect))}{note}")
        out["damage_step"], out["damage_rect"] = t, rect
    return out


def parse_task_table(given: dict, spec: HNCASpec, base_dir, top: TopLevel | None = None) -> TaskConfig:
    """Validate a ``[task]`` table against the HNCA it scores.

    Parameters
    ----------
    given : dict
        The parsed table.
    spec : HNCASpec
        The model (its phenotype resolution, steps and base size bound the
        target and the mode's parameters).
    base_dir : str or Path or None
        Folder a relative ``file`` is resolved against (None: the working
        directory).
    top : alife.config.TopLevel or None
        The calling config's top level, for the hint on a misplaced top-level key.

    Raises
    ------
    alife.config.Invalid
    """
    check_keys("task", given, _TASK_KEYS, top=top)
    if ("target" in given) == ("file" in given):
        which = "both" if "target" in given else "neither"
        raise Invalid(key_path("task"), f"give exactly one of target (a built-in: {', '.join(TARGETS)}) "
                                        f"or file (a bitmap), got {which}")
    mode = check_kind("str", given.get("mode", "final"), key_path("task", "mode"))
    if mode not in TASK_MODES:
        raise Invalid(key_path("task", "mode"), unknown_name("mode", mode, TASK_MODES))
    for key, used_by in _MODE_KEYS.items():
        if key in given and mode != used_by:
            raise Invalid(key_path("task", key), f"only used when mode = {toml_string(used_by)} (mode is "
                                                 f"{toml_string(mode)}); remove it or change the mode")
    kw = _target(given, spec, base_dir)
    return TaskConfig(mode=mode, **kw, **_mode_parameters(given, spec, mode))


def task_table_dict(task: TaskConfig, write_final_mode: bool = True) -> dict:
    """The ``[task]`` table in canonical order: target or file, mode, then the
    parameters of that mode (arrays as lists).

    ``write_final_mode=False`` leaves ``mode = "final"`` (the default) out.
    """
    out = {}
    if task.target is not None:
        out["target"] = task.target
    if task.file is not None:
        out["file"] = task.file
    if task.mode == "final" and not write_final_mode:
        return out
    out["mode"] = task.mode
    for key, mode in _MODE_KEYS.items():
        if mode == task.mode:
            v = getattr(task, key)
            out[key] = list(v) if isinstance(v, tuple) else v
    return out


def evaluation_memory(rollout: dict, n: int, homeostasis_k: int = 0) -> float:
    """Bytes that one :meth:`alife.tasks.Task.evaluate` of ``n`` genomes holds at its peak.

    ``rollout`` is :func:`alife.nca.config.rollout_sizes` of the model.  The
    batch is developed :data:`alife.tasks.DEFAULT_CHUNK` genomes at a time:
    per genome in a chunk, three copies of the padded float32 state and two
    of the genome; per genome of the batch, its pattern (unpacked and packed)
    and its ids, loss and fingerprint; with homeostasis, two int64 counts per
    scored step.
    """
    c = min(int(n), DEFAULT_CHUNK)
    chunk = c * (rollout["state"] * 4 * 3 + rollout["genes"] * 4 * 2 + homeostasis_k * 16)
    return float(chunk + n * (rollout["side"] ** 2 * 1.2 + 64))
