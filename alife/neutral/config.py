"""The configuration of a neutral-network analysis (``alife neutral CONFIG.toml``).

::

    seed = 0                        # int >= 0, required: every random stream

    [map]
    kind = "hnca"                   # hnca | rna | toy | table
    lattice_k = 0                   # hnca: 0 = continuous genes, K = K-value lattice
    m = 4                           # hnca (continuous): resamples per gene
    # length = 12                   # rna: sequence length (also dangles,
                                    #   energy_params, temperature, no_lp)
    # name = "threshold"            # toy: threshold | count | parity, with
    # L = 8, K = 2, threshold = 4   #   L, K, threshold, letter
    # file = "input.tsv"            # table: a genonets input file, with
    # alphabet = "RNA", tau = 0.0   #   alphabet and tau

    [model]                         # hnca only: as in an evolution config
    preset = "bielawski"

    [task]                          # hnca only, optional: a target gives the
    target = "square"               # mutation classes a loss

    [seeds]                         # where the networks start (not needed
    genotypes = ["GGGAAACCC..."]    # for method = "exhaustive"): explicit
    run = "RUN.h5"                  # genotypes, and/or the best distinct
    best = 3                        # genotypes of a run's last generation,
    random = 0                      # and/or random defined genotypes

    [build]
    method = "bfs"                  # bfs (a network per seed) | exhaustive
    max_nodes = 10000               # bfs: node budget per network
    max_evaluations = 100000        # bfs: phenotype evaluations per network
    walks = 0                       # neutral random walkers per seed
    walk_steps = 100

    [measures]
    path_sources = 64               # BFS sources for sampled path lengths
    profile = true                  # hnca: per-gene robustness profile and
                                    # mutation classes of the seeds

Validation is strict, as for evolution configs (the toolkit of
:mod:`alife.config`): an unknown or misspelt key, a wrong type or an
impossible value is a one-line :class:`~alife.config.ConfigError` naming the
key.  A relative file path is resolved against the config file's folder.

The canonical text (:attr:`NeutralConfig.text`, stored in NET.h5 and keying
the progress file) follows the policy of :mod:`alife.config`: the keys as
given, in schema order, file paths absolute; ``[task]`` holds the target (or
file), and the mode with its parameters when the mode is not ``"final"``.

Sizes are checked before the analysis starts (:func:`check_sizes`, called
by :func:`load_neutral_config` and :func:`alife.neutral.run.run_neutral`):
from the map (genotype length, neighbours per genotype, the cost of one
evaluation), the seeds and the budgets (``max_evaluations`` and
``max_nodes`` per network, ``walks x walk_steps``, the seeds' one-mutants
for the profile, or every genotype for ``exhaustive``), the peak memory and
the work are estimated; over the limits of :mod:`alife.config.limits` (by
default half of the machine's memory and 1e16 operations; raise them with
``--max-memory`` / ``--max-work`` or ``ALIFE_MAX_MEMORY`` / ``ALIFE_MAX_WORK``)
the config is refused with a one-line error naming the key to blame and the
estimate.  ``exhaustive`` on a space of more than ``4**13`` genotypes is
refused the same way.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from ..config import (FrozenDict, Invalid, TopLevel, check_keys, check_kind, dump_toml, get_table,
                      key_path, parse_toml, read_config_text, reporting, required_int,
                      resolve_path, unknown_name)
from ..config.limits import Term, check_estimate
from ..nca.config import (model_inputs, model_references, model_spec, model_table_dict,
                          parse_model_table, rollout_sizes, spec_of_inputs)
from ..task_config import evaluation_memory, parse_task_table, task_object, task_table_dict

MAP_KINDS = ("hnca", "rna", "toy", "table")
TOY_NAMES = ("threshold", "count", "parity")
METHODS = ("bfs", "exhaustive")
#: The top level of a neutral-analysis config.
TOP_LEVEL = TopLevel(keys=("seed",), tables=("map", "model", "task", "seeds", "build", "measures"))
_MAP_KEYS = {
    "hnca": {"lattice_k": ("int", 0), "m": ("int", 4)},
    "rna": {"length": ("int", None), "dangles": ("int", 2), "energy_params": ("str", None),
            "temperature": ("float", 37.0), "no_lp": ("bool", None)},
    "toy": {"name": ("str", None), "L": ("int", None), "K": ("int", 2), "threshold": ("int", None),
            "letter": ("int", 0)},
    "table": {"file": ("str", None), "alphabet": ("str", None), "tau": ("float", 0.0)},
}
_SEED_KEYS = {"genotypes": None, "run": ("str", None), "best": ("int", 1), "random": ("int", 0)}
_BUILD_KEYS = {"method": ("str", "bfs"), "max_nodes": ("int", 10_000),
               "max_evaluations": ("int", 100_000), "walks": ("int", 0), "walk_steps": ("int", 100)}
_MEASURE_KEYS = {"path_sources": ("int", 64), "profile": ("bool", True)}


@dataclass(frozen=True)
class NeutralConfig:
    """A validated neutral-network analysis; build it with :func:`load_neutral_config`.

    Attributes hold the tables as given (plus resolved paths); :meth:`gpmap`
    builds the map, :attr:`text` is the canonical TOML stored in NET.h5.
    """

    seed: int
    map: FrozenDict
    model: FrozenDict | None
    task: object | None
    seeds: FrozenDict
    build: FrozenDict
    measures: FrozenDict
    text: str
    base_dir: str = field(compare=False)

    def gpmap(self):
        """The GP map this config describes, built by name through
        :func:`alife.gpmap.make` (ViennaRNA is imported only for rna).

        An hnca map scores its genomes on the ``[task]`` table when there is
        one, in its mode (final, homeostasis or damage), so the mutation
        classes and profiles measure neutrality under that task.
        """
        from ..gpmap import make
        params = {k: v for k, v in self.map.items() if k != "kind"}
        if self.map["kind"] == "hnca":
            spec = model_spec(self.model)
            task = None if self.task is None else task_object(self.task, spec)
            params.update(spec=spec, task=task, lattice_k=params.get("lattice_k") or None)
        return make(self.map["kind"], **params)


def _scalars(table: str, given: dict, schema: dict, required=()) -> dict:
    check_keys(table, given, list(schema), top=TOP_LEVEL)
    out = {}
    for key, (kind, default) in schema.items():
        if key in given:
            out[key] = check_kind(kind, given[key], key_path(table, key))
        elif key in required:
            raise Invalid(key_path(table, key), f"missing required key ({kind})")
    return out


def _positive(table: str, d: dict, keys, low: int = 1):
    for k in keys:
        if k in d and d[k] < low:
            raise Invalid(key_path(table, k), f"must be >= {low}, got {d[k]}")


def _map_table(given: dict, base_dir: str) -> dict:
    """The validated ``[map]`` table: ``kind`` first, then the kind's keys as given."""
    given = dict(given)
    kind = check_kind("str", given.pop("kind", None) or "", key_path("map", "kind"))
    if kind not in MAP_KINDS:
        raise Invalid(key_path("map", "kind"), unknown_name("map kind", kind, MAP_KINDS))
    required = {"rna": ("length",), "toy": ("name", "L"), "table": ("file", "alphabet")}.get(kind, ())
    mp = _scalars("map", given, _MAP_KEYS[kind], required)
    _positive("map", mp, ("length", "L", "m"))
    if kind == "hnca" and mp.get("lattice_k", 0) not in (0,) and not 2 <= mp["lattice_k"] <= 255:
        raise Invalid(key_path("map", "lattice_k"), f"must be 0 (continuous) or in 2..255, got {mp['lattice_k']}")
    if kind == "toy":
        if mp["name"] not in TOY_NAMES:
            raise Invalid(key_path("map", "name"), unknown_name("toy map", mp["name"], TOY_NAMES))
        if mp["name"] == "threshold" and "threshold" not in mp:
            raise Invalid(key_path("map", "threshold"), "missing required key for the threshold map (int)")
    if kind == "table":
        mp["file"] = resolve_path(mp["file"], base_dir, key_path("map", "file"))
        if not os.path.isfile(mp["file"]):
            raise Invalid(key_path("map", "file"), f"no such file: {mp['file']}")
    return {"kind": kind, **mp}


def _model_and_task(t: dict, kind: str, base_dir: str):
    """``(model, task)``: the ``[model]`` and ``[task]`` tables of an hnca map
    (task None when absent); both None for other kinds, which must not have them."""
    if kind == "hnca":
        model, spec = parse_model_table(t["model"], top=TOP_LEVEL)
        task = parse_task_table(t["task"], spec, base_dir, top=TOP_LEVEL) if t["task"] else None
        return model, task
    for name in ("model", "task"):
        if t[name]:
            raise Invalid(f"[{name}]", f"[{name}] is only used with [map] kind = \"hnca\" "
                                       f"(kind is \"{kind}\"); remove it", keyed=False)
    return None, None


def _build_table(given: dict, mp: dict) -> dict:
    """The validated ``[build]`` table (``method`` filled in, the other keys as given)."""
    bd = _scalars("build", given, _BUILD_KEYS)
    bd = {"method": bd.get("method", "bfs"), **bd}     # schema order: method first
    if bd["method"] not in METHODS:
        raise Invalid(key_path("build", "method"), unknown_name("method", bd["method"], METHODS))
    _positive("build", bd, ("max_nodes", "max_evaluations", "walk_steps"))
    _positive("build", bd, ("walks",), low=0)
    if bd["method"] == "exhaustive" and mp["kind"] == "hnca" and not mp.get("lattice_k"):
        raise Invalid(key_path("build", "method"), "exhaustive needs an enumerable discrete space; "
                                                   "an hnca map with continuous genes can only be sampled "
                                                   "(use method = \"bfs\", or set [map] lattice_k)")
    return bd


def _genotypes(genotypes) -> tuple:
    """Explicit seed genotypes: a tuple of strings or of tuples of numbers."""
    if not isinstance(genotypes, list) or not genotypes:
        raise Invalid(key_path("seeds", "genotypes"), "must be a non-empty array of genotypes "
                                                      "(strings, or arrays of numbers)")
    for g in genotypes:
        ok = isinstance(g, str) or (isinstance(g, list) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in g))
        if not ok:
            raise Invalid(key_path("seeds", "genotypes"), "every genotype must be a string or an "
                                                          f"array of numbers, got {g!r}"[:200])
    return tuple(g if isinstance(g, str) else tuple(g) for g in genotypes)


def _seeds_table(given: dict, kind: str, method: str, base_dir: str) -> dict:
    """The validated ``[seeds]`` table (a run file's path made absolute)."""
    sd_given = dict(given)
    genotypes = sd_given.pop("genotypes", None)
    sd = _scalars("seeds", sd_given, {k: v for k, v in _SEED_KEYS.items() if v is not None})
    _positive("seeds", sd, ("best",))
    _positive("seeds", sd, ("random",), low=0)
    if "best" in sd and "run" not in sd:
        raise Invalid(key_path("seeds", "best"), "only used with run = \"RUN.h5\"; add run or remove best")
    if genotypes is not None:
        sd["genotypes"] = _genotypes(genotypes)
    if "run" in sd:
        sd["run"] = resolve_path(sd["run"], base_dir, key_path("seeds", "run"))
        if kind != "hnca":
            raise Invalid(key_path("seeds", "run"), "seeds from an evolution run need [map] kind = \"hnca\"")
    if method == "bfs" and not (sd.get("genotypes") or sd.get("run") or sd.get("random")):
        raise Invalid("[seeds]", "method = \"bfs\" needs seeds: give genotypes, run (with best) "
                                 "or random = n", keyed=False)
    return sd


def _canonical_text(seed: int, mp: dict, model, task, sd: dict, bd: dict, ms: dict) -> str:
    """The canonical TOML text (the policy of :mod:`alife.config`): the keys as given."""
    canonical = {"seed": seed, "map": mp}
    if model is not None:
        canonical["model"] = model_table_dict(model)
    if task is not None:
        canonical["task"] = task_table_dict(task, write_final_mode=False)
    canonical.update(seeds={k: (list(map(lambda g: g if isinstance(g, str) else list(g), v))
                                if k == "genotypes" else v) for k, v in sd.items()},
                     build=bd, measures=ms)
    return dump_toml(canonical)


def _build(data: dict, base_dir: str) -> NeutralConfig:
    TOP_LEVEL.check(data)
    seed = required_int(data, "seed", 0)
    t = {name: get_table(data, name) for name in TOP_LEVEL.tables}
    mp = _map_table(t["map"], base_dir)
    model, task = _model_and_task(t, mp["kind"], base_dir)
    bd = _build_table(t["build"], mp)
    sd = _seeds_table(t["seeds"], mp["kind"], bd["method"], base_dir)
    ms = _scalars("measures", t["measures"], _MEASURE_KEYS)
    _positive("measures", ms, ("path_sources",))
    # the run reads every [build] / [measures] key: fill the defaults there
    # (the canonical text keeps the keys as given)
    bd_full = {k: bd.get(k, default) for k, (_, default) in _BUILD_KEYS.items()}
    ms_full = {k: ms.get(k, default) for k, (_, default) in _MEASURE_KEYS.items()}
    return NeutralConfig(seed=seed, map=FrozenDict(mp), model=model, task=task,
                         seeds=FrozenDict(sd), build=FrozenDict(bd_full),
                         measures=FrozenDict(ms_full),
                         text=_canonical_text(seed, mp, model, task, sd, bd, ms),
                         base_dir=str(base_dir))


# --------------------------------------------------------------------------- #
# sizes
# --------------------------------------------------------------------------- #
#: Usual values of the size keys (what a key is set back to when finding the
#: one to blame for an estimate over its limit).
_SIZE_REFERENCES = {"[build] max_nodes": 10_000, "[build] max_evaluations": 100_000,
                    "[build] walks": 0, "[build] walk_steps": 100, "[seeds] random": 0,
                    "[seeds] best": 1, "[measures] path_sources": 64,
                    "[map] m": 4, "[map] lattice_k": 0, "[map] length": 12, "[map] L": 8,
                    "[map] K": 2, "[task] homeostasis_k": 10}
#: Bytes of one cached phenotype or one boundary entry besides the genotype
#: (dict entry, bytes key, numpy row object).
_ENTRY = 250


def _size_inputs(config: NeutralConfig) -> dict:
    mp, sd, bd, ms = config.map, config.seeds, config.build, config.measures
    out = {"[map] kind": mp["kind"], "[build] method": bd["method"]}
    for k in ("m", "lattice_k", "length", "L", "K"):
        if k in mp:
            out[key_path("map", k)] = mp[k]
    if mp["kind"] == "hnca":
        out.setdefault("[map] m", 4)
        out.update(model_inputs(config.model))
        if config.task is not None and config.task.mode == "homeostasis":
            out["[task] homeostasis_k"] = config.task.homeostasis_k
    if mp["kind"] == "table":
        from ..gpmap.base import ALPHABETS
        from ..gpmap.table import genotype_length
        try:
            out["table L"] = genotype_length(mp["file"]) or 1
        except ValueError:
            out["table L"] = 1       # the run reports what is wrong with the file
        out["table K"] = len(ALPHABETS.get(mp["alphabet"], "01"))
    for k in ("max_nodes", "max_evaluations", "walks", "walk_steps"):
        out[key_path("build", k)] = bd[k]
    out["[seeds] genotypes"] = len(sd.get("genotypes", ()))
    out["[seeds] best"] = sd.get("best", 1) if "run" in sd else 0
    out["[seeds] random"] = sd.get("random", 0)
    out["[measures] path_sources"] = ms["path_sources"]
    out["[measures] profile"] = bool(ms["profile"])
    return out


def _map_sizes(i: dict) -> dict:
    """Genotype length ``L``, bytes per gene, neighbours per genotype, space
    size, operations and memory (a function of the batch size) of one
    evaluation, for the map of size inputs ``i``."""
    kind = i["[map] kind"]
    if kind == "hnca":
        rs = rollout_sizes(spec_of_inputs(i))
        L, k = rs["genes"], i.get("[map] lattice_k", 0)
        per = i["[map] m"] if not k else k - 1
        hk = i.get("[task] homeostasis_k", 0)
        return {"L": L, "item": 1 if k else 4, "nb": L * per, "per": per,
                "space": float(k) ** L if k else math.inf,
                "ops": float(rs["steps"]) * rs["ops_per_step"],
                "batch": lambda n: evaluation_memory(rs, n, hk)}
    if kind == "rna":
        L, K = i["[map] length"], 4
        ops = 100.0 * L ** 3
        batch = (lambda n: 64.0 * L * L + 32.0 * n)        # one fold's tables, the ids
    elif kind == "toy":
        L, K = i["[map] L"], i.get("[map] K", 2)
        ops, batch = float(L), (lambda n: 32.0 * n)
    else:
        L, K = i["table L"], i["table K"]
        ops, batch = float(L), (lambda n: (L + 64.0) * n)
    return {"L": L, "item": 1, "nb": L * (K - 1), "per": K - 1, "space": float(K) ** L,
            "ops": ops, "batch": batch}


def size_terms(i: dict) -> tuple[list, list]:
    """The memory (bytes) and work (operations) estimates of an analysis, as
    :class:`~alife.config.limits.Term` lists, from its size inputs (key path
    -> value, see the module docstring)."""
    m = _map_sizes(i)
    L, g, nb = m["L"], m["L"] * m["item"], m["nb"]
    if i["[build] method"] == "exhaustive":
        n = m["space"]
        memory = [Term("[build] method", n * (48.0 + g / 8),
                       f"every genotype of the space: {n:.3g} of them, their phenotypes and "
                       f"networks"),
                  Term("[build] method", m["batch"](min(n, 1 << 18)) + (1 << 18) * g * 2.0,
                       "evaluating a batch of genotypes")]
        return memory, [Term("[build] method", n * m["ops"],
                             f"evaluating {n:.3g} genotypes")]
    seeds = i["[seeds] genotypes"] + i["[seeds] best"] + i["[seeds] random"]
    E = float(min(i["[build] max_evaluations"], m["space"]))
    N = float(min(i["[build] max_nodes"], E + 1))
    w, ws = i["[build] walks"], i["[build] walk_steps"]
    walked = float(w) * (ws + 1)
    memory = [
        Term("[build] max_evaluations", E * (3.0 * g + _ENTRY) + m["batch"](min(E, N * nb)),
             f"one network's {E:.3g} evaluations: cached phenotypes and the boundary"),
        Term("[build] max_nodes", N * (g + _ENTRY) + seeds * N * (g + 50.0) + seeds * E * 8.0,
             f"{seeds} networks of up to {N:.3g} genotypes of {L} genes"),
        Term("[build] walks", walked * (g + 9.0 + _ENTRY) + m["batch"](w),
             f"{w} walks of {ws} steps, every step stored"),
        Term("[measures] path_sources", i["[measures] path_sources"] * N * 16.0,
             "path lengths from the BFS sources")]
    work = [Term("[build] max_evaluations", seeds * E * m["ops"],
                 f"{seeds} networks of {E:.3g} evaluations"),
            Term("[build] walks", seeds * walked * m["ops"], f"{w} walks of {ws} steps")]
    if i["[map] kind"] == "hnca" and i["[measures] profile"]:
        n_prof = seeds * (1.0 + nb)
        memory.append(Term("[measures] profile", n_prof * (2.0 * g + 48) + m["batch"](n_prof),
                           f"the profiles: {seeds} seeds x {nb:,} one-mutants of {L} genes, "
                           f"evaluated at once"))
        work.append(Term("[measures] profile", n_prof * m["ops"], "the profiles"))
    return memory, work


def check_sizes(config: NeutralConfig, name: str = "<config>") -> None:
    """Refuse an analysis whose estimated memory or work is over its limit
    (:mod:`alife.config.limits`), or an ``exhaustive`` one of a space too
    large to enumerate, before anything is computed.

    Raises
    ------
    alife.config.ConfigError
        One line starting with ``name``, naming the key to blame and the estimate.
    """
    from ..gpmap.base import ENUMERABLE_LIMIT
    inputs = _size_inputs(config)
    refs = dict(_SIZE_REFERENCES)
    if config.model is not None:
        refs.update(model_references(config.model))
    with reporting(name):
        if inputs["[build] method"] == "exhaustive":
            space = _map_sizes(inputs)["space"]
            if space > ENUMERABLE_LIMIT:
                raise Invalid(key_path("build", "method"),
                              f"exhaustive enumerates every genotype, and this map has {space:.3g} "
                              f"(more than the {ENUMERABLE_LIMIT:,} of 4**13 alife enumerates); "
                              f"use method = \"bfs\", or a shorter genotype")
        check_estimate(lambda i: size_terms(i)[0], lambda i: size_terms(i)[1], inputs, refs,
                       "the analysis")


def loads_neutral(text: str, name: str = "<string>", base_dir=None) -> NeutralConfig:
    """Parse and validate neutral-analysis TOML text (see the module docstring)."""
    data = parse_toml(text, name, "loads_neutral", "load_neutral_config")
    with reporting(name):
        return _build(data, os.getcwd() if base_dir is None else os.fspath(base_dir))


def load_neutral_config(path) -> NeutralConfig:
    """Read and validate a neutral-analysis config file (one-line ConfigError on any problem)."""
    name, text, base_dir = read_config_text(path)
    config = loads_neutral(text, name=name, base_dir=base_dir)
    check_sizes(config, name)
    return config
