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
    method = "bfs"                  # bfs (a network per seed) | exhaustive |
                                    # paths (are these pairs connected?)
    max_nodes = 10000               # bfs: node budget per network
    max_evaluations = 100000        # bfs: phenotype evaluations per network;
                                    # paths: evaluations per pair
    walks = 0                       # neutral random walkers per seed
    walk_steps = 100
    pivots = 16                     # paths: pivots first put on the line
    max_pivots = 512                # paths: longest pivot chain

    [pairs]                         # method = "paths" only: pairs of
    genotypes = [[[0.1, ...], [0.3, ...]]]   # genotypes of one phenotype
    runs = ["a.h5", "b.h5"]         # and/or the best genome of each run,
                                    # every two with the same phenotype paired

    [measures]
    path_sources = 64               # BFS sources for sampled path lengths
    profile = true                  # hnca: per-gene robustness profile and
                                    # mutation classes of the seeds

With ``method = "paths"`` each pair is searched for a neutral path by
:func:`alife.neutral.pathsearch.search_path` (maps with a graded distance:
hnca, rna), and every path found is stored as its sequence of genomes
(:mod:`alife.neutral.pathfile`) and checked step by step.

Validation is strict, as for evolution configs (the toolkit of
:mod:`alife.config`): an unknown or misspelt key, a wrong type or an
impossible value is a one-line :class:`~alife.config.ConfigError` naming the
key.  A relative file path is resolved against the config file's folder.

The canonical text (:attr:`NeutralConfig.text`, stored in NET.h5 and keying
the progress file) follows the policy of :mod:`alife.config`: the keys as
given, in schema order, file paths absolute; ``[task]`` holds the target (or
file), and the mode with its parameters when the mode is not ``"final"``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..config import (FrozenDict, Invalid, TopLevel, check_keys, check_kind, dump_toml, get_table,
                      key_path, parse_toml, read_config_text, reporting, required_int,
                      resolve_path, unknown_name)
from ..nca.config import model_spec, model_table_dict, parse_model_table
from ..task_config import parse_task_table, task_object, task_table_dict

MAP_KINDS = ("hnca", "rna", "toy", "table")
TOY_NAMES = ("threshold", "count", "parity")
METHODS = ("bfs", "exhaustive", "paths")
#: Map kinds with a graded phenotype distance (what method = "paths" needs).
PATH_MAP_KINDS = ("hnca", "rna")
#: The top level of a neutral-analysis config.
TOP_LEVEL = TopLevel(keys=("seed",), tables=("map", "model", "task", "seeds", "build", "measures",
                                             "pairs"))
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
               "max_evaluations": ("int", 100_000), "walks": ("int", 0), "walk_steps": ("int", 100),
               "pivots": ("int", 16), "max_pivots": ("int", 512)}
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
    pairs: FrozenDict = field(default_factory=lambda: FrozenDict({}))

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
    _positive("build", bd, ("max_nodes", "max_evaluations", "walk_steps", "pivots",
                            "max_pivots"))
    if bd["method"] == "paths" and mp["kind"] not in PATH_MAP_KINDS:
        raise Invalid(key_path("build", "method"), f"paths needs a map with a graded phenotype "
                                                   f"distance ({', '.join(PATH_MAP_KINDS)}); "
                                                   f"kind \"{mp['kind']}\" has none")
    _positive("build", bd, ("walks",), low=0)
    if bd["method"] == "exhaustive" and mp["kind"] == "hnca" and not mp.get("lattice_k"):
        raise Invalid(key_path("build", "method"), "exhaustive needs an enumerable discrete space; "
                                                   "an hnca map with continuous genes can only be sampled "
                                                   "(use method = \"bfs\", or set [map] lattice_k)")
    return bd


def _genotypes(genotypes, where: str | None = None) -> tuple:
    """Explicit seed genotypes: a tuple of strings or of tuples of numbers."""
    where = key_path("seeds", "genotypes") if where is None else where
    if not isinstance(genotypes, list) or not genotypes:
        raise Invalid(where, "must be a non-empty array of genotypes "
                             "(strings, or arrays of numbers)")
    for g in genotypes:
        ok = isinstance(g, str) or (isinstance(g, list) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in g))
        if not ok:
            raise Invalid(where, "every genotype must be a string or an "
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


def _pair_list(pairs) -> tuple:
    """Explicit pairs: a tuple of (genotype, genotype), each a string or a tuple of numbers."""
    where = key_path("pairs", "genotypes")
    if not isinstance(pairs, list) or not pairs:
        raise Invalid(where, "must be a non-empty array of pairs [genotype A, genotype B]")
    out = []
    for pr in pairs:
        if not isinstance(pr, list) or len(pr) != 2:
            raise Invalid(where, f"every pair must be an array of two genotypes, got {pr!r}"[:200])
        out.append(tuple(_genotypes(pr, where)))
    return tuple(out)


def _pairs_table(given: dict, method: str, kind: str, base_dir: str) -> dict:
    """The validated ``[pairs]`` table (run paths made absolute)."""
    if not given:
        if method == "paths":
            raise Invalid("[pairs]", "method = \"paths\" needs [pairs]: give genotypes = "
                                     "[[A, B], ...] and/or runs = [\"a.h5\", ...]", keyed=False)
        return {}
    if method != "paths":
        raise Invalid("[pairs]", f"[pairs] is only used with [build] method = \"paths\" "
                                 f"(method is \"{method}\"); remove it", keyed=False)
    check_keys("pairs", given, ["genotypes", "runs"], top=TOP_LEVEL)
    pt = {}
    if "genotypes" in given:
        pt["genotypes"] = _pair_list(given["genotypes"])
    if "runs" in given:
        runs = given["runs"]
        where = key_path("pairs", "runs")
        if kind != "hnca":
            raise Invalid(where, "pairs from evolution runs need [map] kind = \"hnca\"")
        if not isinstance(runs, list) or len(runs) < 2 or not all(isinstance(r, str) for r in runs):
            raise Invalid(where, "must be an array of at least two run file paths")
        pt["runs"] = tuple(resolve_path(r, base_dir, where) for r in runs)
    if not pt:
        raise Invalid("[pairs]", "give genotypes = [[A, B], ...] and/or runs = [...]", keyed=False)
    return pt


def _canonical_text(seed: int, mp: dict, model, task, sd: dict, bd: dict, ms: dict,
                    pt: dict | None = None) -> str:
    """The canonical TOML text (the policy of :mod:`alife.config`): the keys as given."""
    canonical = {"seed": seed, "map": mp}
    if model is not None:
        canonical["model"] = model_table_dict(model)
    if task is not None:
        canonical["task"] = task_table_dict(task, write_final_mode=False)
    canonical.update(seeds={k: (list(map(lambda g: g if isinstance(g, str) else list(g), v))
                                if k == "genotypes" else v) for k, v in sd.items()},
                     build=bd, measures=ms)
    if pt:
        canonical["pairs"] = {k: ([[g if isinstance(g, str) else list(g) for g in pr] for pr in v]
                                  if k == "genotypes" else list(v)) for k, v in pt.items()}
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
    pt = _pairs_table(t["pairs"], bd["method"], mp["kind"], base_dir)
    if bd["method"] == "paths" and task is not None and getattr(task, "mode", "final") != "final":
        raise Invalid(key_path("task", "mode"), "method = \"paths\" stores paths that anyone can "
                                                "check on the final pattern; remove the mode "
                                                "(paths under homeostasis or damage are not "
                                                "supported)")
    # the run reads every [build] / [measures] key: fill the defaults there
    # (the canonical text keeps the keys as given)
    bd_full = {k: bd.get(k, default) for k, (_, default) in _BUILD_KEYS.items()}
    ms_full = {k: ms.get(k, default) for k, (_, default) in _MEASURE_KEYS.items()}
    return NeutralConfig(seed=seed, map=FrozenDict(mp), model=model, task=task,
                         seeds=FrozenDict(sd), build=FrozenDict(bd_full),
                         measures=FrozenDict(ms_full),
                         text=_canonical_text(seed, mp, model, task, sd, bd, ms, pt),
                         base_dir=str(base_dir), pairs=FrozenDict(pt))


def loads_neutral(text: str, name: str = "<string>", base_dir=None) -> NeutralConfig:
    """Parse and validate neutral-analysis TOML text (see the module docstring)."""
    data = parse_toml(text, name, "loads_neutral", "load_neutral_config")
    with reporting(name):
        return _build(data, os.getcwd() if base_dir is None else os.fspath(base_dir))


def load_neutral_config(path) -> NeutralConfig:
    """Read and validate a neutral-analysis config file (one-line ConfigError on any problem)."""
    name, text, base_dir = read_config_text(path)
    return loads_neutral(text, name=name, base_dir=base_dir)
