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

Validation is strict, as for evolution configs (:mod:`alife.config`): an
unknown or misspelt key, a wrong type or an impossible value is a one-line
:class:`~alife.config.ConfigError` naming the key.  A relative file path is
resolved against the config file's folder.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..config import (ConfigError, FrozenDict, _check_keys, _check_kind, _Invalid, _model, _path,
                      _resolve, _table, _task, _unknown_name, dump_toml, parse_toml,
                      read_config_text, seed_and_tables)

MAP_KINDS = ("hnca", "rna", "toy", "table")
TOY_NAMES = ("threshold", "count", "parity")
METHODS = ("bfs", "exhaustive")
_TABLES = ("map", "model", "task", "seeds", "build", "measures")
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
    base_dir: str

    def gpmap(self):
        """The GP map this config describes (imports ViennaRNA only for rna)."""
        kind = self.map["kind"]
        if kind == "hnca":
            from ..gpmap.hnca import HNCAMap
            from ..nca import HNCASpec
            m = dict(self.model)
            spec = HNCASpec.preset(m.pop("preset"), **m)
            target = None
            if self.task is not None:
                target = self.task.target if self.task.file is None else _bitmap(self.task.file, spec)
            k = self.map.get("lattice_k", 0)
            return HNCAMap(spec, lattice_k=k or None, m=self.map.get("m", 4), target=target)
        if kind == "rna":
            from ..gpmap.rna import RNAMap
            kw = {k: v for k, v in self.map.items() if k not in ("kind", "length")}
            if "no_lp" in kw:
                kw["noLP"] = kw.pop("no_lp")
            return RNAMap(self.map["length"], **kw)
        if kind == "toy":
            from ..gpmap import toy
            name, L, K = self.map["name"], self.map["L"], self.map.get("K", 2)
            if name == "threshold":
                return toy.ThresholdMap(L, self.map["threshold"])
            if name == "count":
                return toy.CountMap(L, K, letter=self.map.get("letter", 0))
            return toy.ParityMap(L, K)
        from ..gpmap.table import TableMap
        return TableMap(self.map["file"], alphabet=self.map["alphabet"],
                        tau=self.map.get("tau", 0.0))


def _bitmap(path, spec):
    from ..tasks import Task
    return Task.from_file(path, spec.sizes[spec.output_level]).target


def _scalars(table: str, given: dict, schema: dict, required=()) -> dict:
    _check_keys(table, given, list(schema))
    out = {}
    for key, (kind, default) in schema.items():
        if key in given:
            out[key] = _check_kind(kind, given[key], _path(table, key))
        elif key in required:
            raise _Invalid(_path(table, key), f"missing required key ({kind})")
    return out


def _positive(table: str, d: dict, keys, low: int = 1):
    for k in keys:
        if k in d and d[k] < low:
            raise _Invalid(_path(table, k), f"must be >= {low}, got {d[k]}")


def _build(data: dict, base_dir: str) -> NeutralConfig:
    seed = seed_and_tables(data, _TABLES)
    t = {name: _table(data, name) for name in _TABLES}

    # [map]
    given = dict(t["map"])
    kind = _check_kind("str", given.pop("kind", None) or "", _path("map", "kind"))
    if kind not in MAP_KINDS:
        raise _Invalid(_path("map", "kind"), _unknown_name("map kind", kind, MAP_KINDS))
    required = {"rna": ("length",), "toy": ("name", "L"), "table": ("file", "alphabet")}.get(kind, ())
    mp = _scalars("map", given, _MAP_KEYS[kind], required)
    _positive("map", mp, ("length", "L", "m"))
    if kind == "hnca" and mp.get("lattice_k", 0) not in (0,) and not 2 <= mp["lattice_k"] <= 255:
        raise _Invalid(_path("map", "lattice_k"), f"must be 0 (continuous) or in 2..255, got {mp['lattice_k']}")
    if kind == "toy":
        if mp["name"] not in TOY_NAMES:
            raise _Invalid(_path("map", "name"), _unknown_name("toy map", mp["name"], TOY_NAMES))
        if mp["name"] == "threshold" and "threshold" not in mp:
            raise _Invalid(_path("map", "threshold"), "missing required key for the threshold map (int)")
    if kind == "table":
        mp["file"] = _resolve(mp["file"], base_dir)
        if not os.path.isfile(mp["file"]):
            raise _Invalid(_path("map", "file"), f"no such file: {mp['file']}")
    mp = {"kind": kind, **mp}

    # [model] and [task]: HNCA only
    model = task = None
    if kind == "hnca":
        model, spec = _model(t["model"])
        if t["task"]:
            task = _task(t["task"], spec, base_dir)
    else:
        for name in ("model", "task"):
            if t[name]:
                raise _Invalid(f"[{name}]", f"[{name}] is only used with [map] kind = \"hnca\" "
                                            f"(kind is \"{kind}\"); remove it", keyed=False)

    # [build]
    bd = _scalars("build", t["build"], _BUILD_KEYS)
    bd.setdefault("method", "bfs")
    if bd["method"] not in METHODS:
        raise _Invalid(_path("build", "method"), _unknown_name("method", bd["method"], METHODS))
    _positive("build", bd, ("max_nodes", "max_evaluations", "walk_steps"))
    _positive("build", bd, ("walks",), low=0)
    if bd["method"] == "exhaustive" and kind == "hnca" and not mp.get("lattice_k"):
        raise _Invalid(_path("build", "method"), "exhaustive needs an enumerable discrete space; "
                                                 "an hnca map with continuous genes can only be sampled "
                                                 "(use method = \"bfs\", or set [map] lattice_k)")

    # [seeds]
    sd_given = dict(t["seeds"])
    genotypes = sd_given.pop("genotypes", None)
    sd = _scalars("seeds", sd_given, {k: v for k, v in _SEED_KEYS.items() if v is not None})
    _positive("seeds", sd, ("best",))
    _positive("seeds", sd, ("random",), low=0)
    if "best" in sd and "run" not in sd:
        raise _Invalid(_path("seeds", "best"), "only used with run = \"RUN.h5\"; add run or remove best")
    if genotypes is not None:
        if not isinstance(genotypes, list) or not genotypes:
            raise _Invalid(_path("seeds", "genotypes"), "must be a non-empty array of genotypes "
                                                        "(strings, or arrays of numbers)")
        for g in genotypes:
            ok = isinstance(g, str) or (isinstance(g, list) and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in g))
            if not ok:
                raise _Invalid(_path("seeds", "genotypes"), "every genotype must be a string or an "
                                                            f"array of numbers, got {g!r}"[:200])
        sd["genotypes"] = tuple(g if isinstance(g, str) else tuple(g) for g in genotypes)
    if "run" in sd:
        sd["run"] = _resolve(sd["run"], base_dir)
        if kind != "hnca":
            raise _Invalid(_path("seeds", "run"), "seeds from an evolution run need [map] kind = \"hnca\"")
    if bd["method"] == "bfs" and not (sd.get("genotypes") or sd.get("run") or sd.get("random")):
        raise _Invalid("[seeds]", "method = \"bfs\" needs seeds: give genotypes, run (with best) "
                                  "or random = n", keyed=False)

    ms = _scalars("measures", t["measures"], _MEASURE_KEYS)
    _positive("measures", ms, ("path_sources",))

    canonical = {"seed": seed, "map": mp}
    if model is not None:
        canonical["model"] = dict(model)
    if task is not None:
        canonical["task"] = {k: v for k, v in (("target", task.target), ("file", task.file))
                             if v is not None}
    canonical.update(seeds={k: (list(map(lambda g: g if isinstance(g, str) else list(g), v))
                                if k == "genotypes" else v) for k, v in sd.items()},
                     build=bd, measures=ms)
    # the run reads every [build] / [measures] key: fill the defaults there
    # (the canonical text keeps the keys as given)
    bd_full = {k: bd.get(k, default) for k, (_, default) in _BUILD_KEYS.items()}
    ms_full = {k: ms.get(k, default) for k, (_, default) in _MEASURE_KEYS.items()}
    return NeutralConfig(seed=seed, map=FrozenDict(mp), model=model, task=task,
                         seeds=FrozenDict(sd), build=FrozenDict(bd_full),
                         measures=FrozenDict(ms_full),
                         text=dump_toml(canonical), base_dir=str(base_dir))


def loads_neutral(text: str, name: str = "<string>", base_dir=None) -> NeutralConfig:
    """Parse and validate neutral-analysis TOML text (see the module docstring)."""
    data = parse_toml(text, name, "loads_neutral", "load_neutral_config")
    try:
        return _build(data, os.getcwd() if base_dir is None else os.fspath(base_dir))
    except _Invalid as e:
        raise ConfigError(name, e.key, e.reason, keyed=e.keyed) from None


def load_neutral_config(path) -> NeutralConfig:
    """Read and validate a neutral-analysis config file (one-line ConfigError on any problem)."""
    name, text, base_dir = read_config_text(path)
    return loads_neutral(text, name=name, base_dir=base_dir)
