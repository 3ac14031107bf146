"""The configuration of an evolution run: strict TOML in, canonical TOML out.

A run is described by one TOML file (DESIGN.md, "Data flow")::

    seed = 0                      # int >= 0, required
    generations = 100             # int >= 1, required

    [model]                       # the HNCA (alife.nca.HNCASpec)
    preset = "bielawski"          # a preset name (default "bielawski"); every
    steps = 50                    # other key overrides an HNCASpec field

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

    [algorithm]
    name = "afpo"                 # afpo | ga | hillclimb; every other key is a
    pop_size = 100                # parameter of make_algorithm

    [mutation]
    name = "resample"             # resample | gaussian | lattice; every other
                                  # key is a parameter of get_operator

    [run]
    checkpoint_every = 1          # generations between checkpoints, >= 1

Every table is optional except ``[task]`` (it needs a target or a file).

Reading is strict and complete: :func:`load_config` / :func:`loads` build the
HNCASpec, the task (loading the bitmap file with the real loader), the
mutation operator and the algorithm once, so every mistake is reported before
a run starts, as a :class:`ConfigError` whose message is one line that starts
with the file name and names the key::

    evolve.toml: [model] steps: must be >= 1, got 0
    evolve.toml: unknown key [algorithm] pop_szie; did you mean pop_size?

Rules beyond the schema: ``bool`` is not an integer; an integer is accepted
where a float is expected (and stored as a float); floats must be finite;
integers must fit in 64 bits; a ``[task]`` key that the chosen mode does not
use is an error (it would silently do nothing); a few sanity limits
(:data:`LIMITS`) keep a mistyped size from hanging the validation.

Writing is canonical: :func:`dumps` emits fixed key order and ``repr`` floats,
so equal configs give byte-identical text (a run file stores this text and
compares it on resume), and ``loads(dumps(c)) == c``.  The ``[model]``,
``[algorithm]`` and ``[mutation]`` tables are kept as given (the preset or
name plus the explicit overrides, not the library defaults), because TOML has
no ``null`` for defaults such as ``seed_cell = None``.  A bitmap file is
stored as an absolute path.

Only the standard library's ``tomllib`` is used for reading; the writer is the
small :func:`dump_toml` below.
"""
from __future__ import annotations

import dataclasses
import datetime
import difflib
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .evolve.algorithms import ALGORITHMS, algorithm_params, make_algorithm
from .evolve.mutation import OPERATORS, get_operator, operator_params
from .nca.spec import HNCASpec
from .tasks import MODE_PARAMS, TARGETS, Task

__all__ = [
    "ConfigError",
    "EvolveConfig",
    "TaskConfig",
    "RunConfig",
    "FrozenDict",
    "load_config",
    "loads",
    "from_dict",
    "dumps",
    "dump_toml",
    "TASK_MODES",
    "LIMITS",
]

#: The ways a task scores a population (DESIGN.md, "Tasks and fitness").
TASK_MODES = ("final", "homeostasis", "damage")

#: Sanity limits on model sizes.  Not physical limits of the model: they keep a
#: typo (``base_size = 64000``) from allocating gigabytes, or ``levels = 10**9``
#: from computing ``2**(levels-1)``, while the config is being checked.
LIMITS = {"base_size": 1024, "levels": 16, "channels": 4096, "hidden": 4096}

_INT64 = 2**63
_TOP_SCALARS = ("seed", "generations")
_TABLES = ("model", "task", "algorithm", "mutation", "run")
_TASK_KEYS = ("target", "file", "mode", "homeostasis_k", "damage_step", "damage_rect")
#: Task keys that only some modes use.
_MODE_KEYS = {"homeostasis_k": "homeostasis", "damage_step": "damage", "damage_rect": "damage"}
#: Types of parameters whose library default (None) does not say.
_KIND_OVERRIDES = {"seed_cell": ("ints", 2), "rate": "float", "n_offspring": "int"}
#: Algorithm parameters that come from [mutation], not [algorithm].
_ALGO_FROM_MUTATION = ("mutation", "mutation_params")


# --------------------------------------------------------------------------- #
# errors
# --------------------------------------------------------------------------- #
_LINE_BREAKS = {c: repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


def _one_line(text: str) -> str:
    return "".join(_LINE_BREAKS.get(c, c) for c in text)


class ConfigError(ValueError):
    """A problem with a configuration, as one line: ``<file>: <key>: <reason>``.

    Attributes
    ----------
    source : str
        The config file name, or ``"<string>"`` / ``"<dict>"``.
    key : str or None
        The key path, e.g. ``"[model] steps"`` or ``"seed"``; None for
        problems with the whole file (syntax, unreadable file).
    reason : str
        The message without the source and key.
    """

    def __init__(self, source: str, key: str | None, reason: str, *, keyed: bool = True):
        self.source, self.key, self.reason = source, key, reason
        head = f"{source}: {key}: " if (key and keyed) else f"{source}: "
        super().__init__(_one_line(head + reason))


class _Invalid(Exception):
    """Raised inside validation; :func:`from_dict` adds the source name."""

    def __init__(self, key: str | None, reason: str, keyed: bool = True):
        super().__init__(reason)
        self.key, self.reason, self.keyed = key, reason, keyed


def _path(table: str | None, key: str | None = None) -> str:
    """``[model] steps``, ``[model]`` or ``seed``."""
    if table is None:
        return _show_key(key)
    return f"[{table}]" if key is None else f"[{table}] {_show_key(key)}"


def _suggest(word: str, valid) -> str:
    valid = list(valid)
    lower = {v.lower(): v for v in valid}
    if isinstance(word, str) and word.lower() in lower:
        return lower[word.lower()]
    close = difflib.get_close_matches(str(word), valid, n=1, cutoff=0.6)
    return close[0] if close else ""


def _unknown_key(table: str | None, key: str, valid, context: str = "", owners=()) -> _Invalid:
    """``unknown key [t] k; did you mean ...?``

    ``context`` names the registry entry (e.g. ``algorithm "ga"``); ``owners`` are
    the other registry entries that do take the key: they replace the guess.
    """
    best = "" if owners else _suggest(key, valid)
    top = _suggest(key, _TOP_SCALARS + _TABLES) if table is not None and not best else ""
    if best:
        hint = f"did you mean {best}?"
    elif owners:
        hint = f"it is a parameter of {', '.join(owners)}, not of {context}; valid keys: {', '.join(valid)}"
    elif top:
        hint = (f"did you mean the top-level key {top}? (a key after a [table] header belongs to "
                f"that table: put top-level keys before the first header)")
    else:
        hint = f"valid keys{' of ' + context if context else ''}: {', '.join(valid) or '(none)'}"
    return _Invalid(_path(table, key), f"unknown key {_path(table, key)}; {hint}", keyed=False)


def _unknown_name(what: str, value: str, valid, alternative: str = "") -> str:
    best = _suggest(value, valid)
    hint = f"did you mean {_dump_str(best)}? " if best else ""
    return f"unknown {what} {_show(value)}; {hint}(choose one of {', '.join(valid)}{alternative})"


# --------------------------------------------------------------------------- #
# showing values in messages
# --------------------------------------------------------------------------- #
def _tname(v) -> str:
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a float"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, (list, tuple)):
        return "an array"
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, datetime.datetime):
        return "a date-time"
    if isinstance(v, datetime.date):
        return "a date"
    if isinstance(v, datetime.time):
        return "a time"
    return f"a {type(v).__name__}"


def _show(v, limit: int = 60) -> str:
    """A value as TOML-like text for a message, one line, at most ``limit`` characters."""
    try:
        text = _dump_value(v, depth=0)
    except (TypeError, ValueError):
        if isinstance(v, (datetime.date, datetime.time)):
            text = v.isoformat()
        elif isinstance(v, dict):
            text = "{...}"
        else:
            text = f"<{type(v).__name__}>"
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show_key(key) -> str:
    key = str(key)
    return key if _BARE_KEY.match(key) else _show(key, 40)


def _got(v) -> str:
    return f"got {_show(v)} ({_tname(v)})"


# --------------------------------------------------------------------------- #
# type checks
# --------------------------------------------------------------------------- #
def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_kind(kind, v, where: str):
    """Check ``v`` against ``kind`` and return it normalised (int -> float for floats).

    ``kind``: ``"int"``, ``"float"``, ``"bool"``, ``"str"``, ``("ints", n)``
    (an array of n integers, returned as a tuple) or None (any scalar).
    """
    if kind == "int":
        if not _is_int(v):
            raise _Invalid(where, f"must be an integer, {_got(v)}")
        if not -_INT64 <= v < _INT64:
            raise _Invalid(where, f"must fit in a 64-bit integer, got {_show(v)}")
        return v
    if kind == "float":
        if _is_int(v):
            if not -_INT64 <= v < _INT64:
                raise _Invalid(where, f"must fit in a 64-bit integer, got {_show(v)}")
            v = float(v)
        if not isinstance(v, float):
            raise _Invalid(where, f"must be a number, {_got(v)}")
        if not math.isfinite(v):
            raise _Invalid(where, f"must be a finite number, got {_show(v)}")
        return v
    if kind == "bool":
        if not isinstance(v, bool):
            raise _Invalid(where, f"must be true or false, {_got(v)}")
        return v
    if kind == "str":
        if not isinstance(v, str):
            raise _Invalid(where, f"must be a string, {_got(v)}")
        return v
    if isinstance(kind, tuple):
        n = kind[1]
        if not isinstance(v, (list, tuple)) or len(v) != n or not all(_is_int(x) for x in v):
            raise _Invalid(where, f"must be an array of {n} integers, {_got(v)}")
        return tuple(_check_kind("int", x, where) for x in v)
    # unknown type (a parameter the library added after this table was written)
    if isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, float)):
        return _check_kind("int" if _is_int(v) else "float", v, where)
    raise _Invalid(where, f"must be a number, a string or a boolean, {_got(v)}")


def _kind_of(name: str, default):
    if name in _KIND_OVERRIDES:
        return _KIND_OVERRIDES[name]
    for t, kind in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if isinstance(default, t):
            return kind
    return None


def _table(data: dict, name: str) -> dict:
    t = data.get(name, {})
    if not isinstance(t, dict):
        raise _Invalid(_path(name), f"must be a table, {_got(t)}")
    return t


def _check_keys(table: str | None, given: dict, valid, context: str = "", registry=None, params_of=None):
    """Every key of ``given`` must be in ``valid``; ``registry``/``params_of`` find other owners."""
    for key in given:
        if key not in valid:
            owners = [n for n in sorted(registry) if key in params_of(n)] if registry else []
            raise _unknown_key(table, key, list(valid), context, owners)


def _name(table: str, given: dict, default: str, valid, what: str) -> str:
    where = _path(table, "name" if table != "model" else "preset")
    v = given.get("name" if table != "model" else "preset", default)
    v = _check_kind("str", v, where)
    if v not in valid:
        raise _Invalid(where, _unknown_name(what, v, valid))
    return v


def _library_error(table: str, err: ValueError, given: dict) -> _Invalid:
    """A ValueError from HNCASpec / get_operator / make_algorithm, blamed on a key.

    The key is the first key the user set that the message names (so a
    divisibility error blames whichever of base_size / levels was set), else
    the table.
    """
    msg = " ".join(str(err).split())
    if msg.startswith("HNCASpec: "):
        msg = msg[len("HNCASpec: "):]
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", msg)
    key = next((w for w in words if w in given and w not in ("name", "preset")), None)
    if key is not None and msg.startswith(f"{key} must "):
        msg = msg[len(key) + 1:]
    return _Invalid(_path(table, key), msg)


# --------------------------------------------------------------------------- #
# read-only tables
# --------------------------------------------------------------------------- #
class FrozenDict(dict):
    """A read-only, hashable, picklable dict (the raw tables of an :class:`EvolveConfig`)."""

    __slots__ = ()

    def _read_only(self, *args, **kwargs):
        raise TypeError("config tables are read-only; build a new config instead")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __hash__(self):
        return hash(tuple(sorted(self.items())))

    def __reduce__(self):
        return (type(self), (dict(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


# --------------------------------------------------------------------------- #
# configs
# --------------------------------------------------------------------------- #
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


@dataclass(frozen=True)
class RunConfig:
    """The ``[run]`` table: ``checkpoint_every`` generations between checkpoints."""

    checkpoint_every: int = 1


@dataclass(frozen=True)
class EvolveConfig:
    """A validated evolution run.  Build it with :func:`load_config` / :func:`loads`.

    Attributes
    ----------
    seed : int >= 0
    generations : int >= 1
    model : FrozenDict
        ``preset`` plus the HNCASpec fields given in ``[model]``.
    task : TaskConfig
    algorithm : FrozenDict
        ``name`` plus the make_algorithm parameters given in ``[algorithm]``.
    mutation : FrozenDict
        ``name`` plus the get_operator parameters given in ``[mutation]``.
    run : RunConfig
    """

    seed: int
    generations: int
    model: FrozenDict
    task: TaskConfig
    algorithm: FrozenDict
    mutation: FrozenDict
    run: RunConfig = field(default_factory=RunConfig)

    def spec(self) -> HNCASpec:
        """The HNCA: ``HNCASpec.preset(model["preset"], **other model keys)``."""
        m = dict(self.model)
        return HNCASpec.preset(m.pop("preset"), **m)

    def task_object(self) -> Task:
        """The target and mode as an :class:`alife.tasks.Task` at the phenotype's resolution.

        The phenotype is the output level, of side ``base_size >> output_level``.
        A bitmap file is read again on every call.
        """
        spec = self.spec()
        n = spec.sizes[spec.output_level]
        t = self.task
        mode = {"mode": t.mode, **{k: getattr(t, k) for k in MODE_PARAMS[t.mode]}}
        if self.task.file is not None:
            return Task.from_file(self.task.file, n, **mode)
        return Task.from_name(self.task.target, n, **mode)

    def algorithm_object(self):
        """The algorithm, with the ``[mutation]`` operator bound to it.

        ``make_algorithm(name, **params, mutation=..., mutation_params=...)``.
        When ``[algorithm]`` sets no ``init_scale``, the model's
        ``init_scale`` is used, so random genomes (generation 0 and AFPO
        newcomers) are drawn like :meth:`HNCASpec.random_genomes` (e.g.
        U(-0.03, 0.03) for the neural preset).
        """
        params = dict(self.algorithm)
        name = params.pop("name")
        if "init_scale" in algorithm_params(name) and "init_scale" not in params:
            params["init_scale"] = float(self.spec().init_scale)
        mut = dict(self.mutation)
        return make_algorithm(name, mutation=mut.pop("name"), mutation_params=mut, **params)

    def to_dict(self) -> dict:
        """The config as nested plain dicts in canonical order (what :func:`dumps` writes)."""
        task = {}
        if self.task.target is not None:
            task["target"] = self.task.target
        if self.task.file is not None:
            task["file"] = self.task.file
        task["mode"] = self.task.mode
        for key, mode in _MODE_KEYS.items():
            if mode == self.task.mode:
                v = getattr(self.task, key)
                task[key] = list(v) if isinstance(v, tuple) else v
        return {
            "seed": self.seed,
            "generations": self.generations,
            "model": _ordered(self.model, ["preset"] + _spec_fields()),
            "task": task,
            "algorithm": _ordered(self.algorithm, ["name"] + list(algorithm_params(self.algorithm["name"]))),
            "mutation": _ordered(self.mutation, ["name"] + list(operator_params(self.mutation["name"]))),
            "run": {"checkpoint_every": self.run.checkpoint_every},
        }


def _ordered(d, order) -> dict:
    out = {k: d[k] for k in order if k in d}
    out.update((k, d[k]) for k in sorted(d) if k not in out)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def _spec_fields() -> list[str]:
    return [f.name for f in dataclasses.fields(HNCASpec) if f.init]


# --------------------------------------------------------------------------- #
# validation, table by table
# --------------------------------------------------------------------------- #
def _model(given: dict) -> tuple[FrozenDict, HNCASpec]:
    fields = {f.name: f for f in dataclasses.fields(HNCASpec) if f.init}
    _check_keys("model", given, ["preset", *fields])
    preset = _name("model", given, "bielawski", HNCASpec.presets(), "preset")
    out = {"preset": preset}
    for key in fields:
        if key in given:
            out[key] = _check_kind(_kind_of(key, fields[key].default), given[key], _path("model", key))
    for key, most in LIMITS.items():
        if key in out and out[key] > most:
            raise _Invalid(_path("model", key), f"must be <= {most} (a sanity limit of alife.config.LIMITS), "
                                                f"got {out[key]}")
    try:
        spec = HNCASpec.preset(preset, **{k: v for k, v in out.items() if k != "preset"})
    except ValueError as e:
        raise _library_error("model", e, out) from None
    return FrozenDict(out), spec


def _resolve(file: str, base_dir) -> str:
    if "\x00" in file:
        raise _Invalid(_path("task", "file"), "must not contain a NUL character")
    base = os.getcwd() if base_dir is None else os.fspath(base_dir)
    return os.path.normpath(os.path.join(os.path.abspath(base), file))


def _task(given: dict, spec: HNCASpec, base_dir) -> TaskConfig:
    _check_keys("task", given, _TASK_KEYS)
    if ("target" in given) == ("file" in given):
        which = "both" if "target" in given else "neither"
        raise _Invalid(_path("task"), f"give exactly one of target (a built-in: {', '.join(TARGETS)}) "
                                      f"or file (a bitmap), got {which}")
    mode = _check_kind("str", given.get("mode", "final"), _path("task", "mode"))
    if mode not in TASK_MODES:
        raise _Invalid(_path("task", "mode"), _unknown_name("mode", mode, TASK_MODES))
    for key, used_by in _MODE_KEYS.items():
        if key in given and mode != used_by:
            raise _Invalid(_path("task", key), f"only used when mode = {_dump_str(used_by)} (mode is "
                                               f"{_dump_str(mode)}); remove it or change the mode")

    n = spec.sizes[spec.output_level]
    kw = {"mode": mode}
    if "target" in given:
        where = _path("task", "target")
        name = _check_kind("str", given["target"], where)
        if name not in TARGETS:
            raise _Invalid(where, _unknown_name("target", name, TARGETS, ", or give file = a bitmap"))
        build = lambda: Task.from_name(name, n)  # noqa: E731
        kw["target"] = name
    else:
        where = _path("task", "file")
        path = _resolve(_check_kind("str", given["file"], where), base_dir)
        build = lambda: Task.from_file(path, n)  # noqa: E731
        kw["file"] = path
    try:
        build()
    except (ValueError, OSError) as e:
        note = (f" (the phenotype is output level {spec.output_level}, side {n})"
                if spec.output_level else "")
        raise _Invalid(where, " ".join(str(e).split()) + note) from None

    T = spec.steps
    defaults = TaskConfig()

    def value(key, kind):
        v = _check_kind(kind, given.get(key, getattr(defaults, key)), _path("task", key))
        return v, "" if key in given else " (the default)"

    if mode == "homeostasis":
        k, note = value("homeostasis_k", "int")
        if not 1 <= k <= T:
            raise _Invalid(_path("task", "homeostasis_k"), f"must be in 1..{T} ([model] steps), got {k}{note}")
        kw["homeostasis_k"] = k
    if mode == "damage":
        t, note = value("damage_step", "int")
        if not 0 <= t <= T:
            raise _Invalid(_path("task", "damage_step"), f"must be in 0..{T} ([model] steps), got {t}{note}")
        rect, note = value("damage_rect", ("ints", 4))
        r0, c0, h, w = rect
        N = spec.base_size
        if not (h >= 1 and w >= 1 and r0 >= 0 and c0 >= 0 and r0 + h <= N and c0 + w <= N):
            raise _Invalid(_path("task", "damage_rect"),
                           f"must be [row0, col0, height, width] with height, width >= 1 inside the "
                           f"{N}x{N} base grid (row0 + height <= {N}, col0 + width <= {N}), "
                           f"got {_show(list(rect))}{note}")
        kw["damage_step"], kw["damage_rect"] = t, rect
    return TaskConfig(**kw)


def _mutation(given: dict, spec: HNCASpec) -> FrozenDict:
    name = _name("mutation", given, "resample", sorted(OPERATORS), "mutation operator")
    valid = operator_params(name)
    _check_keys("mutation", given, ["name", *valid], f"operator {_dump_str(name)}",
                OPERATORS, operator_params)
    out = {"name": name}
    for key, default in valid.items():
        if key in given:
            out[key] = _check_kind(_kind_of(key, default), given[key], _path("mutation", key))
    params = {k: v for k, v in out.items() if k != "name"}
    try:
        get_operator(name, **params)
    except ValueError as e:
        raise _library_error("mutation", e, params) from None
    if params.get("n_genes", 1) > spec.n_genes:
        raise _Invalid(_path("mutation", "n_genes"), f"must be <= {spec.n_genes} (the genome length of "
                                                     f"this model), got {params['n_genes']}")
    return FrozenDict(out)


def _algorithm(given: dict, spec: HNCASpec, mutation: FrozenDict) -> FrozenDict:
    name = _name("algorithm", given, "afpo", sorted(ALGORITHMS), "algorithm")
    valid = {k: v for k, v in algorithm_params(name).items() if k not in _ALGO_FROM_MUTATION}

    def own_params(n):
        return [k for k in algorithm_params(n) if k not in _ALGO_FROM_MUTATION]

    _check_keys("algorithm", given, ["name", *valid], f"algorithm {_dump_str(name)}",
                ALGORITHMS, own_params)
    out = {"name": name}
    for key, default in valid.items():
        if key in given:
            out[key] = _check_kind(_kind_of(key, default), given[key], _path("algorithm", key))
    params = {k: v for k, v in out.items() if k != "name"}
    if "init_scale" in valid and "init_scale" not in params:
        # algorithm_object() falls back on the model's init_scale
        if not 0 < spec.init_scale <= 1:
            raise _Invalid(_path("model", "init_scale"),
                           f"must be in (0, 1] for evolution (mutation keeps genes in [-1, 1]), got "
                           f"{spec.init_scale}; or set [algorithm] init_scale")
        params["init_scale"] = float(spec.init_scale)
    mut = dict(mutation)
    try:
        make_algorithm(name, mutation=mut.pop("name"), mutation_params=mut, **params)
    except ValueError as e:
        raise _library_error("algorithm", e, out) from None
    return FrozenDict(out)


def _run(given: dict) -> RunConfig:
    _check_keys("run", given, ["checkpoint_every"])
    every = _check_kind("int", given.get("checkpoint_every", 1), _path("run", "checkpoint_every"))
    if every < 1:
        raise _Invalid(_path("run", "checkpoint_every"), f"must be >= 1, got {every}")
    return RunConfig(checkpoint_every=every)


def _build(data, base_dir) -> EvolveConfig:
    if not isinstance(data, dict):
        raise _Invalid(None, f"a config must be a table of keys, {_got(data)}")
    for key, v in data.items():
        if key not in _TOP_SCALARS + _TABLES:
            if isinstance(v, dict):
                best = _suggest(key, _TABLES)
                hint = f"did you mean [{best}]?" if best else f"valid tables: {', '.join(_TABLES)}"
                raise _Invalid(f"[{_show_key(key)}]", f"unknown table [{_show_key(key)}]; {hint}", keyed=False)
            raise _unknown_key(None, key, list(_TOP_SCALARS + _TABLES))
    top = {}
    for key, low in (("seed", 0), ("generations", 1)):
        if key not in data:
            raise _Invalid(key, f"missing required key (an integer >= {low})")
        top[key] = _check_kind("int", data[key], key)
        if top[key] < low:
            raise _Invalid(key, f"must be >= {low}, got {top[key]}")
    tables = {name: _table(data, name) for name in _TABLES}
    model, spec = _model(tables["model"])
    task = _task(tables["task"], spec, base_dir)
    mutation = _mutation(tables["mutation"], spec)
    algorithm = _algorithm(tables["algorithm"], spec, mutation)
    run = _run(tables["run"])
    return EvolveConfig(seed=top["seed"], generations=top["generations"], model=model, task=task,
                        algorithm=algorithm, mutation=mutation, run=run)


# --------------------------------------------------------------------------- #
# public API
# --------------------------------------------------------------------------- #
def from_dict(data: dict, name: str = "<dict>", base_dir=None) -> EvolveConfig:
    """Validate a parsed config (nested dicts of TOML values) and build it.

    Parameters
    ----------
    data : dict
        As returned by :func:`tomllib.loads` (CLI overrides may be merged in
        first).
    name : str
        What error messages start with.
    base_dir : str or Path or None
        Folder that a relative ``[task] file`` is resolved against; None = the
        current working directory.

    Raises
    ------
    ConfigError
    """
    try:
        return _build(data, base_dir)
    except _Invalid as e:
        raise ConfigError(name, e.key, e.reason, keyed=e.keyed) from None


def seed_and_tables(data: dict, tables) -> int:
    """Check the top level of a ``seed = N`` + tables config: every key is
    ``seed`` or one of ``tables`` (a misspelt table gets a suggestion), and the
    required ``seed`` is an integer >= 0, which is returned."""
    tables = tuple(tables)
    for key, v in data.items():
        if key not in ("seed",) + tables:
            if isinstance(v, dict):
                best = _suggest(key, tables)
                hint = f"did you mean [{best}]?" if best else f"valid tables: {', '.join(tables)}"
                raise _Invalid(f"[{key}]", f"unknown table [{key}]; {hint}", keyed=False)
            raise _unknown_key(None, key, ["seed", *tables])
    if "seed" not in data:
        raise _Invalid("seed", "missing required key (an integer >= 0)")
    seed = _check_kind("int", data["seed"], "seed")
    if seed < 0:
        raise _Invalid("seed", f"must be >= 0, got {seed}")
    return seed


def parse_toml(text: str, name: str, fn: str = "loads", file_fn: str = "load_config") -> dict:
    """``tomllib.loads(text)`` with every syntax problem as a one-line ConfigError.

    ``fn`` and ``file_fn`` name the calling function and its file-reading
    twin in the TypeError raised for a non-str ``text``.
    """
    if not isinstance(text, str):
        raise TypeError(f"{fn}() takes TOML text as a str, got {type(text).__name__}; "
                        f"use {file_fn}(path) for a file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(name, None, f"TOML syntax error: {' '.join(str(e).split())}") from None
    except RecursionError:
        raise ConfigError(name, None, "TOML syntax error: values nested too deeply") from None


def read_config_text(path) -> tuple[str, str, Path]:
    """``(name, text, folder)`` of a config file; a one-line ConfigError if it cannot
    be read (missing, a folder, not UTF-8, ...).  ``name`` is the path as given."""
    name = os.fsdecode(os.fspath(path))
    try:
        raw = Path(name).read_bytes()
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ConfigError(name, None, f"cannot read the config file: {reason}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(name, None, f"cannot read the config file: not UTF-8 text "
                                      f"(byte {e.start})") from None
    return name, text, Path(os.path.abspath(name)).parent


def loads(text: str, name: str = "<string>", base_dir=None) -> EvolveConfig:
    """Parse and validate TOML text; see :func:`from_dict` for ``name`` and ``base_dir``.

    Raises
    ------
    ConfigError
        For a TOML syntax error (with tomllib's line and column) or any
        invalid content.
    TypeError
        If ``text`` is not a str.
    """
    data = parse_toml(text, name, "loads", "load_config")
    return from_dict(data, name=name, base_dir=base_dir)


def load_config(path) -> EvolveConfig:
    """Read, parse and validate a TOML config file.

    A relative ``[task] file`` is resolved against the file's folder.  Error
    messages start with ``path`` as given.

    Raises
    ------
    ConfigError
        For an unreadable file (missing, a folder, not UTF-8, ...) or any
        problem :func:`loads` reports.
    """
    name, text, base_dir = read_config_text(path)
    return loads(text, name=name, base_dir=base_dir)


def dumps(config: EvolveConfig) -> str:
    """The canonical TOML text of a config.

    Fixed key order (top-level scalars, then model, task, algorithm,
    mutation, run; inside a table the preset/name first, then the library's
    parameter order), ``repr`` floats, ``\\n`` line ends.  Equal configs give
    byte-identical text and ``loads(dumps(c)) == c``.
    """
    if not isinstance(config, EvolveConfig):
        raise TypeError(f"dumps() takes an EvolveConfig, got {type(config).__name__}")
    return dump_toml(config.to_dict())


# --------------------------------------------------------------------------- #
# a small TOML writer
# --------------------------------------------------------------------------- #
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_MAX_DEPTH = 32


def _dump_str(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            cp = ord(ch)
            if 0xD800 <= cp <= 0xDFFF:
                raise ValueError(f"cannot write the lone surrogate U+{cp:04X} in TOML")
            out.append(f"\\u{cp:04X}" if cp <= 0xFFFF else f"\\U{cp:08X}")
    out.append('"')
    return "".join(out)


def _dump_key(key) -> str:
    if not isinstance(key, str):
        raise TypeError(f"TOML keys are strings, got {type(key).__name__}")
    return key if _BARE_KEY.match(key) else _dump_str(key)


def _dump_value(v, depth: int = 0) -> str:
    if depth > _MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)   # shortest round-trip text; always a valid TOML float (incl. inf, nan)
    if isinstance(v, str):
        return _dump_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_dump_value(x, depth + 1) for x in v) + "]"
    if isinstance(v, dict):
        items = ", ".join(f"{_dump_key(k)} = {_dump_value(x, depth + 1)}" for k, x in v.items())
        return "{" + items + "}" if items else "{}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dump_toml(data: dict) -> str:
    """TOML text of nested dicts of str, int, float, bool and arrays of those.

    Keys keep the dict's order; in each table the plain values come first,
    then the sub-tables as ``[a.b]`` sections.  Floats are written with
    ``repr`` (the shortest text that reads back to the same float).  Tables
    inside arrays are written inline.

    Raises
    ------
    TypeError
        For a value of another type (e.g. None: TOML has no null).
    """
    lines: list[str] = []

    def table(d: dict, prefix: tuple[str, ...]):
        if len(prefix) > _MAX_DEPTH:
            raise ValueError("tables nested too deeply")
        subs = []
        for k, v in d.items():
            if isinstance(v, dict):
                subs.append((k, v))
            else:
                lines.append(f"{_dump_key(k)} = {_dump_value(v)}")
        for k, v in subs:
            path = prefix + (_dump_key(k),)
            if lines:
                lines.append("")
            lines.append(f"[{'.'.join(path)}]")
            table(v, path)

    if not isinstance(data, dict):
        raise TypeError(f"dump_toml() takes a dict, got {type(data).__name__}")
    table(data, ())
    return "\n".join(lines) + "\n" if lines else ""
