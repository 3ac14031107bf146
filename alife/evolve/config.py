"""The configuration of an evolution run: strict TOML in, canonical TOML out.

A run is described by one TOML file::

    seed = 0                      # int >= 0, required
    generations = 100             # int >= 1, required

    [model]                       # the HNCA (alife.nca.config): a preset
    preset = "bielawski"          # and HNCASpec overrides
    steps = 50

    [task]                        # the target and its scoring
    target = "square"             # (alife.task_config): target or file,
    mode = "final"                # mode and the mode's parameters

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
a run starts, as a :class:`~alife.config.ConfigError` whose message is one
line that starts with the file name and names the key::

    evolve.toml: [model] steps: must be >= 1, got 0
    evolve.toml: unknown key [algorithm] pop_szie; did you mean pop_size?

Writing is canonical (the policy of :mod:`alife.config`): :func:`dumps` emits
fixed key order and ``repr`` floats, so equal configs give byte-identical
text (a run file stores this text and compares it on resume), and
``loads(dumps(c)) == c``.  The ``[model]``, ``[algorithm]`` and
``[mutation]`` tables are kept as given (the preset or name plus the explicit
overrides, not the library defaults).  A bitmap file is stored as an
absolute path.

Sizes are checked before a run starts (:func:`check_sizes`, called by
:func:`load_config` and by :func:`alife.evolve.runner.evolve`): the memory
the run holds at its peak (the populations' genomes, developing and scoring
a generation's offspring) and its work (generations x offspring x steps x
the multiply-adds of one step) are estimated from the config alone, and a
config over the limits of :mod:`alife.config.limits` is refused with a
one-line :class:`~alife.config.ConfigError` naming the key to blame and the
estimate::

    evolve.toml: [model] steps: 1000000000000 would make the run take about 1.8e+20
    operations (mostly 30 generations of 102 genomes developed for 1000000000000 steps
    over 5440 cells: 1.7e+19 cell updates; about 579 years at 1e+10 operations/s),
    over the limit of 1e+16; use smaller sizes, or raise the limit with --max-work
    or ALIFE_MAX_WORK

The memory limit is half of the machine's memory by default, the work limit
1e16 operations (days of computing); ``--max-memory`` / ``--max-work`` on
the command line, or ``ALIFE_MAX_MEMORY`` / ``ALIFE_MAX_WORK``, raise them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..config import (FrozenDict, Invalid, TopLevel, canonical_table, check_keys, check_kind,
                      check_name, dump_toml, get_table, key_path, kind_of, library_error,
                      parse_toml, read_config_text, reporting, required_int, toml_string)
from ..config.limits import Term, check_estimate
from ..nca.config import (model_inputs, model_references, model_spec, model_table_dict,
                          parse_model_table, rollout_sizes, spec_of_inputs)
from ..nca.spec import HNCASpec
from ..task_config import (TaskConfig, evaluation_memory, parse_task_table, task_object,
                           task_table_dict)
from ..tasks import Task
from .algorithms import ALGORITHMS, algorithm_params, make_algorithm
from .mutation import OPERATORS, get_operator, operator_params

__all__ = ["EvolveConfig", "RunConfig", "TOP_LEVEL", "load_config", "loads", "from_dict", "dumps",
           "check_sizes", "size_terms"]

#: The top level of an evolution config.
TOP_LEVEL = TopLevel(keys=("seed", "generations"),
                     tables=("model", "task", "algorithm", "mutation", "run"))
#: Types of parameters whose library default (None) does not say.
_KIND_OVERRIDES = {"rate": "float", "n_offspring": "int"}
#: Algorithm parameters that come from [mutation], not [algorithm].
_ALGO_FROM_MUTATION = ("mutation", "mutation_params")


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
    task : alife.task_config.TaskConfig
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
        return model_spec(self.model)

    def task_object(self) -> Task:
        """The target as an :class:`alife.tasks.Task` at the phenotype's resolution.

        The phenotype is the output level, of side ``base_size >> output_level``.
        A bitmap file is read again on every call.
        """
        return task_object(self.task, self.spec())

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
        return {
            "seed": self.seed,
            "generations": self.generations,
            "model": model_table_dict(self.model),
            "task": task_table_dict(self.task),
            "algorithm": canonical_table(self.algorithm,
                                         ["name"] + list(algorithm_params(self.algorithm["name"]))),
            "mutation": canonical_table(self.mutation,
                                        ["name"] + list(operator_params(self.mutation["name"]))),
            "run": {"checkpoint_every": self.run.checkpoint_every},
        }


# --------------------------------------------------------------------------- #
# validation, table by table
# --------------------------------------------------------------------------- #
def _given_params(table: str, given: dict, valid: dict) -> dict:
    """The registry parameters given in ``table``, checked against their defaults' types."""
    return {key: check_kind(kind_of(key, default, _KIND_OVERRIDES), given[key], key_path(table, key))
            for key, default in valid.items() if key in given}


def _mutation(given: dict, spec: HNCASpec) -> FrozenDict:
    name = check_name("mutation", given, "resample", sorted(OPERATORS), "mutation operator")
    valid = operator_params(name)
    check_keys("mutation", given, ["name", *valid], top=TOP_LEVEL,
               context=f"operator {toml_string(name)}", registry=OPERATORS, params_of=operator_params)
    params = _given_params("mutation", given, valid)
    try:
        get_operator(name, **params)
    except ValueError as e:
        raise library_error("mutation", e, params) from None
    if params.get("n_genes", 1) > spec.n_genes:
        raise Invalid(key_path("mutation", "n_genes"), f"must be <= {spec.n_genes} (the genome length "
                                                       f"of this model), got {params['n_genes']}")
    return FrozenDict({"name": name, **params})


def _own_params(name: str) -> dict:
    """An algorithm's parameters that ``[algorithm]`` sets (not the mutation's)."""
    return {k: v for k, v in algorithm_params(name).items() if k not in _ALGO_FROM_MUTATION}


def _algorithm(given: dict, spec: HNCASpec, mutation: FrozenDict) -> FrozenDict:
    name = check_name("algorithm", given, "afpo", sorted(ALGORITHMS), "algorithm")
    valid = _own_params(name)
    check_keys("algorithm", given, ["name", *valid], top=TOP_LEVEL,
               context=f"algorithm {toml_string(name)}", registry=ALGORITHMS, params_of=_own_params)
    out = {"name": name, **_given_params("algorithm", given, valid)}
    params = {k: v for k, v in out.items() if k != "name"}
    if "init_scale" in valid and "init_scale" not in params:
        # algorithm_object() falls back on the model's init_scale
        if not 0 < spec.init_scale <= 1:
            raise Invalid(key_path("model", "init_scale"),
                          f"must be in (0, 1] for evolution (mutation keeps genes in [-1, 1]), got "
                          f"{spec.init_scale}; or set [algorithm] init_scale")
        params["init_scale"] = float(spec.init_scale)
    mut = dict(mutation)
    try:
        make_algorithm(name, mutation=mut.pop("name"), mutation_params=mut, **params)
    except ValueError as e:
        raise library_error("algorithm", e, out) from None
    return FrozenDict(out)


def _run(given: dict) -> RunConfig:
    check_keys("run", given, ["checkpoint_every"], top=TOP_LEVEL)
    every = check_kind("int", given.get("checkpoint_every", 1), key_path("run", "checkpoint_every"))
    if every < 1:
        raise Invalid(key_path("run", "checkpoint_every"), f"must be >= 1, got {every}")
    return RunConfig(checkpoint_every=every)


def _build(data, base_dir) -> EvolveConfig:
    TOP_LEVEL.check(data)
    seed = required_int(data, "seed", 0)
    generations = required_int(data, "generations", 1)
    tables = {name: get_table(data, name) for name in TOP_LEVEL.tables}
    model, spec = parse_model_table(tables["model"], top=TOP_LEVEL)
    task = parse_task_table(tables["task"], spec, base_dir, top=TOP_LEVEL)
    mutation = _mutation(tables["mutation"], spec)
    algorithm = _algorithm(tables["algorithm"], spec, mutation)
    run = _run(tables["run"])
    return EvolveConfig(seed=seed, generations=generations, model=model, task=task,
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
    alife.config.ConfigError
    """
    with reporting(name):
        return _build(data, base_dir)


def loads(text: str, name: str = "<string>", base_dir=None) -> EvolveConfig:
    """Parse and validate TOML text; see :func:`from_dict` for ``name`` and ``base_dir``.

    Raises
    ------
    alife.config.ConfigError
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
    alife.config.ConfigError
        For an unreadable file (missing, a folder, not UTF-8, ...) or any
        problem :func:`loads` reports.
    """
    name, text, base_dir = read_config_text(path)
    config = loads(text, name=name, base_dir=base_dir)
    check_sizes(config, name)
    return config


# --------------------------------------------------------------------------- #
# sizes
# --------------------------------------------------------------------------- #
#: Usual values of the size keys (what a key is set back to when finding the
#: one to blame for an estimate over its limit).
_SIZE_REFERENCES = {"generations": 100, "[algorithm] pop_size": 100,
                    "[algorithm] n_newcomers": 1, "[algorithm] n_offspring": 100,
                    "[task] homeostasis_k": 10}


def _size_inputs(config: EvolveConfig) -> dict:
    algo = config.algorithm_object()
    name = config.algorithm["name"]
    out = {"generations": config.generations, "[algorithm] name": name,
           "[algorithm] pop_size": int(algo.pop_size)}
    if name == "afpo":
        out["[algorithm] n_newcomers"] = int(algo.n_newcomers)
    elif name == "ga" and "n_offspring" in config.algorithm:
        out["[algorithm] n_offspring"] = int(algo.n_offspring)
    if config.task.mode == "homeostasis":
        out["[task] homeostasis_k"] = config.task.homeostasis_k
    out.update(model_inputs(config.model))
    return out


def size_terms(inputs: dict) -> tuple[list, list]:
    """The memory (bytes) and work (operations) estimates of a run, as
    :class:`~alife.config.limits.Term` lists, from its size inputs (key path
    -> value: generations, the algorithm's sizes, the ``[model]`` table)."""
    rs = rollout_sizes(spec_of_inputs(inputs))
    P = inputs["[algorithm] pop_size"]
    K = inputs.get("[algorithm] n_offspring", P) + inputs.get("[algorithm] n_newcomers", 0)
    D, T, G = rs["genes"], rs["steps"], inputs["generations"]
    k = inputs.get("[task] homeostasis_k", 0)
    side = rs["side"]
    memory = [
        Term("[algorithm] pop_size", (P + K) * D * 4 * 4 + K * D,
             f"genomes: {P} parents and {K} offspring of {D} genes, with copies"),
        Term("[algorithm] pop_size", evaluation_memory(rs, K, k),
             f"developing and scoring {K} offspring: {rs['state']} state values each, "
             f"{side}x{side} phenotypes"),
        Term("[algorithm] pop_size", (P + K) * 160.0, "per-individual bookkeeping")]
    work = [Term("[model] steps", float(G) * K * T * rs["ops_per_step"],
                 f"{G} generations of {K} genomes developed for {T} steps over {rs['cells']} "
                 f"cells: {float(G) * K * T * rs['cells']:.2g} cell updates")]
    return memory, work


def check_sizes(config: EvolveConfig, name: str = "<config>") -> None:
    """Refuse a run whose estimated memory or work is over its limit
    (:mod:`alife.config.limits`), before anything is allocated.

    Raises
    ------
    alife.config.ConfigError
        One line starting with ``name``, naming the key to blame and the estimate.
    """
    inputs = _size_inputs(config)
    refs = {**_SIZE_REFERENCES, **model_references(config.model)}
    with reporting(name):
        check_estimate(lambda i: size_terms(i)[0], lambda i: size_terms(i)[1], inputs, refs)


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
