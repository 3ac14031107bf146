"""The configuration of a mode-connectivity experiment (``alife bridge CONFIG.toml``).

Every key is optional except ``seed``; the defaults are the digits
experiment of ``experiments/bridge/digits.toml``::

    seed = 0                        # int >= 0: every random stream (numpy SeedSequence)

    [data]
    dataset = "digits"              # sklearn's 8x8 digits (the only dataset)
    test_fraction = 0.25            # stratified split, fixed by split_seed
    split_seed = 0

    [model]
    sizes = [64, 32, 10]            # ReLU MLP widths: inputs, hidden..., classes

    [train]                         # each endpoint (train_mlp)
    epochs = 120
    lr = 0.05
    batch_size = 32
    weight_decay = 1e-4
    optimizer = "sgd"               # sgd (momentum 0.9) | adam
    schedule = true                 # Garipov's learning-rate schedule

    [pairs]
    n = 3                           # independent endpoint pairs (trained here)
    checkpoints = []                # or [["a.h5", "b.h5"], ...]: load them instead

    [paths]
    kinds = ["line", "bezier", "polychain"]   # and/or "autoneb"
    bends = 1                       # bends of the Bezier curve and the PolyChain
    n_points = 61                   # t in [0, 1] where every path is evaluated
    epochs = 120                    # curve training (train_curve): as [train]
    lr = 0.05
    batch_size = 32
    weight_decay = 1e-4
    optimizer = "sgd"

    [autoneb]                       # when "autoneb" is in [paths] kinds
    pivots = 1
    cycles = 3
    steps = 300
    lr = 0.05
    spring = 1.0
    batch_size = 64

    [plane]                         # loss surface through A, B and the Bezier bend
    pairs = 1                       # for the first `pairs` pairs (0 = none)
    grid = 21                       # grid x grid points
    margin = 0.3                    # beyond the three anchors, as a fraction

    [align]                         # weight matching (Ainsworth et al. 2023)
    pairs = 3                       # pairs of separately trained nets (0 = none)
    sizes = [64, 128, 10]
    epochs = 100
    lr = 1e-3
    batch_size = 64
    weight_decay = 0.0
    optimizer = "adam"
    schedule = false
    n_points = 26
    curve_epochs = 30               # a Bezier curve between A and matched B,
    curve_lr = 3e-3                 #   for the ensembles of the aligned pairs
    curve_optimizer = "adam"

    [ensembles]                     # from endpoint A of every pair (and of every
                                    # aligned pair)
    fge_cycles = 8                  # FGE snapshots
    fge_cycle_epochs = 4            # passes over the data per FGE cycle
    lr_high = 0.05
    lr_low = 5e-4
    curve_points = 5                # points of the Bezier curve (t equally spaced)
    swa_epochs = 20
    swa_lr = 0.01

    [gpmap]                         # the trained net as a genotype-phenotype map
    sigmas = [1e-3, 3e-3, 1e-2, 3e-2]   # Gaussian weight perturbation sizes
    n = 500                         # perturbations per sigma (of endpoint A, pair 0)

Validation is strict, as for the other configs (the toolkit of
:mod:`alife.config`): an unknown or misspelt key, a wrong type or an
impossible value is a one-line :class:`~alife.config.ConfigError` naming the
key.  Relative checkpoint paths are resolved against the config file's folder.

The canonical text (:attr:`BridgeConfig.text`, stored in BRIDGE.h5) follows
the policy of :mod:`alife.config`, with every key written (every default here
is a TOML value) and checkpoint paths absolute.

Sizes are checked before any training starts (:func:`check_sizes`, called
by :func:`load_bridge_config` and :func:`alife.bridge.run.run_bridge`): the
peak memory (parameter vectors of every endpoint, bend and snapshot, the
``[plane]`` grid, the ``[gpmap]`` perturbations, which are drawn all at
once: ``n`` x the number of weights) and the work (multiply-adds of every
training epoch and every evaluation: paths at ``n_points``, the
``grid x grid`` plane, ``n`` perturbations per sigma) are estimated from the
config alone; over the limits of :mod:`alife.config.limits` (by default half
of the machine's memory and 1e16 operations; raise them with ``--max-memory``
/ ``--max-work`` or ``ALIFE_MAX_MEMORY`` / ``ALIFE_MAX_WORK``) the config is
refused with a one-line error naming the key to blame and the estimate.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..config import (FrozenDict, Invalid, TopLevel, check_keys, check_kind, dump_toml, get_table,
                      got, key_path, parse_toml, read_config_text, reporting, required_int,
                      resolve_path, unknown_name)
from ..config.limits import Term, check_estimate

DATASETS = ("digits",)
OPTIMIZERS = ("sgd", "adam")
PATH_KINDS = ("line", "bezier", "polychain", "autoneb")

#: table -> key -> (kind, default, minimum or None)
SCHEMA = {
    "data": {"dataset": ("str", "digits", None), "test_fraction": ("float", 0.25, None),
             "split_seed": ("int", 0, 0)},
    "model": {"sizes": ("sizes", [64, 32, 10], None)},
    "train": {"epochs": ("int", 120, 1), "lr": ("float", 0.05, None),
              "batch_size": ("int", 32, 1), "weight_decay": ("float", 1e-4, 0.0),
              "optimizer": ("str", "sgd", None), "schedule": ("bool", True, None)},
    "pairs": {"n": ("int", 3, 1), "checkpoints": ("checkpoints", [], None)},
    "paths": {"kinds": ("kinds", ["line", "bezier", "polychain"], None),
              "bends": ("int", 1, 1), "n_points": ("int", 61, 3), "epochs": ("int", 120, 1),
              "lr": ("float", 0.05, None), "batch_size": ("int", 32, 1),
              "weight_decay": ("float", 1e-4, 0.0), "optimizer": ("str", "sgd", None)},
    "autoneb": {"pivots": ("int", 1, 1), "cycles": ("int", 3, 1), "steps": ("int", 300, 1),
                "lr": ("float", 0.05, None), "spring": ("float", 1.0, 0.0),
                "batch_size": ("int", 64, 1)},
    "plane": {"pairs": ("int", 1, 0), "grid": ("int", 21, 3), "margin": ("float", 0.3, 0.0)},
    "align": {"pairs": ("int", 3, 0), "sizes": ("sizes", [64, 128, 10], None),
              "epochs": ("int", 100, 1), "lr": ("float", 1e-3, None),
              "batch_size": ("int", 64, 1), "weight_decay": ("float", 0.0, 0.0),
              "optimizer": ("str", "adam", None), "schedule": ("bool", False, None),
              "n_points": ("int", 26, 3), "curve_epochs": ("int", 30, 1),
              "curve_lr": ("float", 3e-3, None), "curve_optimizer": ("str", "adam", None)},
    "ensembles": {"fge_cycles": ("int", 8, 1), "fge_cycle_epochs": ("int", 4, 1),
                  "lr_high": ("float", 0.05, None), "lr_low": ("float", 5e-4, None),
                  "curve_points": ("int", 5, 2), "swa_epochs": ("int", 20, 1),
                  "swa_lr": ("float", 0.01, None)},
    "gpmap": {"sigmas": ("floats", [1e-3, 3e-3, 1e-2, 3e-2], None), "n": ("int", 500, 1)},
}
#: The top level of a bridge config.
TOP_LEVEL = TopLevel(keys=("seed",), tables=tuple(SCHEMA))
#: the digits data: 64 pixel features, 10 classes
N_FEATURES, N_CLASSES = 64, 10


@dataclass(frozen=True)
class BridgeConfig:
    """A validated bridge config: ``seed`` and one FrozenDict per table."""
    seed: int
    data: FrozenDict
    model: FrozenDict
    train: FrozenDict
    pairs: FrozenDict
    paths: FrozenDict
    autoneb: FrozenDict
    plane: FrozenDict
    align: FrozenDict
    ensembles: FrozenDict
    gpmap: FrozenDict
    text: str          # canonical TOML (every key, defaults filled in)
    base_dir: str = field(compare=False)

    @property
    def n_pairs(self) -> int:
        cps = self.pairs["checkpoints"]
        return len(cps) if cps else self.pairs["n"]


def _value(kind, v, where):
    if kind == "sizes":
        if (not isinstance(v, list) or len(v) < 3
                or not all(isinstance(x, int) and not isinstance(x, bool) for x in v)):
            raise Invalid(where, f"must be an array of >= 3 integers (inputs, hidden..., "
                                 f"classes), {got(v)}")
        if any(x < 1 or x > 100_000 for x in v):
            raise Invalid(where, f"widths must be in 1..100000, got {v}")
        if v[0] != N_FEATURES or v[-1] != N_CLASSES:
            raise Invalid(where, f"digits has {N_FEATURES} inputs and {N_CLASSES} classes: "
                                 f"sizes must start with {N_FEATURES} and end with "
                                 f"{N_CLASSES}, got {v}")
        return list(v)
    if kind == "floats":
        if not isinstance(v, list) or not v:
            raise Invalid(where, f"must be a non-empty array of numbers, {got(v)}")
        out = [check_kind("float", x, where) for x in v]
        if any(x <= 0 for x in out):
            raise Invalid(where, f"every sigma must be > 0, got {v}")
        return out
    if kind == "kinds":
        if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
            raise Invalid(where, f"must be a non-empty array of path kinds, {got(v)}")
        for x in v:
            if x not in PATH_KINDS:
                raise Invalid(where, unknown_name("path kind", x, PATH_KINDS))
        if len(set(v)) != len(v):
            raise Invalid(where, f"lists a path kind twice: {v}")
        if "line" not in v:
            raise Invalid(where, "must include \"line\" (barriers are compared with it)")
        return list(v)
    if kind == "checkpoints":
        if not isinstance(v, list):
            raise Invalid(where, f"must be an array of [A, B] file pairs, {got(v)}")
        for x in v:
            if (not isinstance(x, list) or len(x) != 2
                    or not all(isinstance(f, str) and f for f in x)):
                raise Invalid(where, f"every entry must be a pair of file names "
                                     f"[\"a.h5\", \"b.h5\"], {got(x)}")
        return [list(x) for x in v]
    return check_kind(kind, v, where)


def _build(data: dict, base_dir: str) -> BridgeConfig:
    TOP_LEVEL.check(data)
    seed = required_int(data, "seed", 0)
    tables = {}
    for name, schema in SCHEMA.items():
        given = get_table(data, name)
        check_keys(name, given, list(schema), top=TOP_LEVEL)
        out = {}
        for key, (kind, default, low) in schema.items():
            where = key_path(name, key)
            v = _value(kind, given[key], where) if key in given else default
            if low is not None and v < low:
                raise Invalid(where, f"must be >= {low}, got {v}")
            if kind == "float" and key in ("lr", "lr_high", "lr_low", "swa_lr", "curve_lr") and v <= 0:
                raise Invalid(where, f"must be > 0, got {v}")
            out[key] = v
        tables[name] = out
    d = tables["data"]
    if d["dataset"] not in DATASETS:
        raise Invalid(key_path("data", "dataset"), unknown_name("dataset", d["dataset"], DATASETS))
    if not 0.05 <= d["test_fraction"] <= 0.5:
        raise Invalid(key_path("data", "test_fraction"),
                      f"must be in [0.05, 0.5], got {d['test_fraction']}")
    for name in ("train", "paths", "align"):
        opt = tables[name]["optimizer"]
        if opt not in OPTIMIZERS:
            raise Invalid(key_path(name, "optimizer"), unknown_name("optimizer", opt, OPTIMIZERS))
    if tables["align"]["curve_optimizer"] not in OPTIMIZERS:
        raise Invalid(key_path("align", "curve_optimizer"),
                      unknown_name("optimizer", tables["align"]["curve_optimizer"], OPTIMIZERS))
    ens = tables["ensembles"]
    if ens["lr_low"] > ens["lr_high"]:
        raise Invalid(key_path("ensembles", "lr_low"),
                      f"must be <= lr_high ({ens['lr_high']}), got {ens['lr_low']}")
    where = key_path("pairs", "checkpoints")
    tables["pairs"]["checkpoints"] = [[resolve_path(f, base_dir, where) for f in pair]
                                      for pair in tables["pairs"]["checkpoints"]]
    return BridgeConfig(seed=seed, **{k: FrozenDict(v) for k, v in tables.items()},
                        text=dump_toml({"seed": seed, **tables}), base_dir=str(base_dir))


# --------------------------------------------------------------------------- #
# sizes
# --------------------------------------------------------------------------- #
#: Examples in the digits data set (train + test).
N_DIGITS = 1797


def _n_params(sizes) -> int:
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def _size_inputs(cfg: BridgeConfig) -> dict:
    out = {}
    for table in SCHEMA:
        for key, v in getattr(cfg, table).items():
            if (isinstance(v, (int, float, list)) and not isinstance(v, bool)
                    and key != "checkpoints"):
                out[key_path(table, key)] = v
    out[key_path("pairs", "n")] = cfg.n_pairs
    out["trained endpoints"] = not cfg.pairs["checkpoints"]
    return out


def _ensemble_ops(i: dict, P: int, n_tr: float, n_te: float) -> float:
    epochs = (i["[ensembles] fge_cycles"] * i["[ensembles] fge_cycle_epochs"]
              + i["[ensembles] swa_epochs"])
    members = i["[ensembles] fge_cycles"] + i["[ensembles] curve_points"] + 5
    return 3.0 * epochs * n_tr * P + members * n_te * P


def size_terms(i: dict) -> tuple[list, list]:
    """The memory (bytes) and work (multiply-adds) estimates of a bridge run,
    as :class:`~alife.config.limits.Term` lists, from its size inputs (key
    path -> value, every number and array of the config)."""
    n_te = round(N_DIGITS * i["[data] test_fraction"])
    n_tr = N_DIGITS - n_te
    sizes, a_sizes = i["[model] sizes"], i["[align] sizes"]
    P, Pa = _n_params(sizes), _n_params(a_sizes)
    pairs, a_pairs = i["[pairs] n"], i["[align] pairs"]
    kinds = len(i["[paths] kinds"])
    bends, n_pts, grid = i["[paths] bends"], i["[paths] n_points"], i["[plane] grid"]
    planes = min(i["[plane] pairs"], pairs)
    n_gp, sigmas = i["[gpmap] n"], len(i["[gpmap] sigmas"])
    snaps = (8 + kinds * (bends + 2) + i["[ensembles] fge_cycles"]
             + i["[ensembles] curve_points"])
    width = max(max(sizes), max(a_sizes))
    memory = [
        Term("[gpmap] n", n_gp * (P * 4.0 + n_te * 2.0) + 256.0 * n_te * width * 4,
             f"{n_gp:,} weight perturbations of {P:,} weights, drawn at once"),
        Term("[plane] grid", planes * grid * grid * 16.0 + n_tr * sum(sizes) * 8.0,
             f"the {grid}x{grid} loss plane of {planes} pair(s)"),
        Term("[model] sizes", pairs * snaps * P * 4.0 + a_pairs * (snaps + 3) * Pa * 4.0,
             f"the weights of every endpoint, bend and snapshot ({P:,} per net)"),
        Term("[paths] n_points", pairs * kinds * n_pts * (64.0 + 16 * len(sizes))
             + 3.0 * N_DIGITS * (sum(sizes) + sum(a_sizes)) * 4,
             f"profiles at {n_pts} points and activations")]
    train = 2 * pairs * i["[train] epochs"] * n_tr * P * 3.0 if i["trained endpoints"] else 0.0
    steps = n_tr / i["[paths] batch_size"]
    curves = kinds * (i["[paths] epochs"] * (3.0 * n_tr * P + steps * P * (bends + 2) * 2)
                      + n_pts * (2.0 * n_tr + 2 * n_te) * P + max(n_pts, 201) * P)
    neb = (i["[autoneb] cycles"] * i["[autoneb] steps"] * (i["[autoneb] pivots"] + 2)
           * i["[autoneb] batch_size"] * P * 3.0) if "autoneb" in i["[paths] kinds"] else 0.0
    align = a_pairs * (2 * i["[align] epochs"] * n_tr * Pa * 3.0
                       + 2 * i["[align] n_points"] * (n_tr + n_te) * Pa
                       + i["[align] curve_epochs"] * n_tr * Pa * 3.0
                       + _ensemble_ops(i, Pa, n_tr, n_te))
    work = [Term("[train] epochs", train, f"training {2 * pairs} endpoints"),
            Term("[paths] epochs", pairs * (curves + neb + _ensemble_ops(i, P, n_tr, n_te)),
                 f"training and evaluating {kinds} path kinds of {pairs} pair(s)"),
            Term("[plane] grid", planes * grid * grid * (n_tr + n_te) * float(P),
                 f"{planes} loss plane(s) of {grid}x{grid} points"),
            Term("[align] epochs", align, f"{a_pairs} aligned pair(s)"),
            Term("[gpmap] n", sigmas * float(n_gp) * n_te * P,
                 f"{sigmas} x {n_gp:,} weight perturbations")]
    return memory, work


def check_sizes(config: BridgeConfig, name: str = "<config>") -> None:
    """Refuse a run whose estimated memory or work is over its limit
    (:mod:`alife.config.limits`), before any training starts.

    Raises
    ------
    alife.config.ConfigError
        One line starting with ``name``, naming the key to blame and the estimate.
    """
    refs = {key_path(t, k): default for t, schema in SCHEMA.items()
            for k, (_, default, _) in schema.items()}
    with reporting(name):
        check_estimate(lambda i: size_terms(i)[0], lambda i: size_terms(i)[1],
                       _size_inputs(config), refs)


def loads_bridge(text: str, name: str = "<string>", base_dir=None) -> BridgeConfig:
    """Parse and validate bridge TOML text (see the module docstring)."""
    data = parse_toml(text, name, "loads_bridge", "load_bridge_config")
    with reporting(name):
        return _build(data, os.getcwd() if base_dir is None else os.fspath(base_dir))


def load_bridge_config(path) -> BridgeConfig:
    """Read and validate a bridge config file (one-line ConfigError on any problem)."""
    name, text, base_dir = read_config_text(path)
    config = loads_bridge(text, name=name, base_dir=base_dir)
    check_sizes(config, name)
    return config
