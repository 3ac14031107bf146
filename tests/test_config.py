"""Run configs (alife.evolve.config on the toolkit of alife.config): strict TOML
in, canonical TOML out.

What is protected here:

* round trip: ``loads(dumps(c)) == c`` and ``dumps`` is byte-stable, because a
  run file stores ``dumps(c)`` and compares it on resume;
* the canonical text itself (a golden string: changing the format breaks the
  comparison with run files already written);
* defaults are filled, and the helper objects are the library's own;
* every kind of mistake is a one-line :class:`ConfigError` naming the file and
  the key, raised at load time, and nothing else ever escapes (Hypothesis).

The registry tests cover every preset x algorithm x mutation operator.
"""
from __future__ import annotations

import copy
import itertools
import pickle
import string
import tomllib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alife.config import ConfigError, FrozenDict, dump_toml
from alife.evolve import ALGORITHMS, OPERATORS, algorithm_params, make_algorithm, operator_params
from alife.evolve.config import EvolveConfig, RunConfig, dumps, from_dict, load_config, loads
from alife.nca import HNCASpec
from alife.nca.config import LIMITS
from alife.task_config import TASK_MODES, TaskConfig
from alife.tasks import TARGETS, Task, target

HEAD = 'seed = 0\ngenerations = 10\n[task]\ntarget = "square"\n'

FULL = """\
# every table, keys in a non-canonical order, ints for floats
generations = 250
seed = 7

[run]
checkpoint_every = 5

[mutation]
sigma = 0.05
name = "gaussian"
rate = 0.25

[algorithm]
tournament_size = 3
name = "ga"
pop_size = 20
n_offspring = 30
init_scale = 1

[task]
mode = "damage"
damage_rect = [8, 8, 16, 24]
damage_step = 40
target = "hollow_circle"

[model]
steps = 60
preset = "bielawski"
levels = 3
base_size = 32
threshold = 0
seed_cell = [5, 6]
seed_value = 0.5
output_activation = "sigmoid"
"""

MINIMAL_CANONICAL = """\
seed = 0
generations = 10

[model]
preset = "bielawski"

[task]
target = "square"
mode = "final"

[algorithm]
name = "afpo"

[mutation]
name = "resample"

[run]
checkpoint_every = 1
"""


def one_line_error(text, name="evolve.toml", **kw) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        loads(text, name=name, **kw)
    msg = str(info.value)
    assert len(msg.splitlines()) == 1 and "\n" not in msg, msg
    assert msg.startswith(f"{name}: "), msg
    return info.value


# --------------------------------------------------------------------------- round trip
def test_full_config_round_trips_byte_identically():
    c = loads(FULL, name="evolve.toml")
    text = dumps(c)
    assert dumps(c) == text                       # stable
    again = loads(text)
    assert again == c and hash(again) == hash(c)
    assert dumps(again) == text                   # byte-identical after a round trip
    assert tomllib.loads(text)["model"]["threshold"] == 0.0       # int stored as float
    assert isinstance(c.model["threshold"], float)
    assert c.model["seed_cell"] == (5, 6)


def test_full_config_builds_the_library_objects():
    c = loads(FULL)
    assert c.spec() == HNCASpec.preset("bielawski", steps=60, levels=3, base_size=32, threshold=0.0,
                                       seed_cell=(5, 6), seed_value=0.5, output_activation="sigmoid")
    # the task object carries the config's mode and its parameters
    assert c.task_object() == Task.from_name("hollow_circle", 32, mode="damage", damage_step=40,
                                             damage_rect=(8, 8, 16, 24))
    assert c.task_object() != Task.from_name("hollow_circle", 32)
    assert np.array_equal(c.task_object().target, Task.from_name("hollow_circle", 32).target)
    assert c.task == TaskConfig(target="hollow_circle", mode="damage", damage_step=40,
                                damage_rect=(8, 8, 16, 24))
    assert c.algorithm_object() == make_algorithm(
        "ga", pop_size=20, n_offspring=30, tournament_size=3, init_scale=1.0,
        mutation="gaussian", mutation_params={"sigma": 0.05, "rate": 0.25})
    assert c.run == RunConfig(checkpoint_every=5)
    assert (c.seed, c.generations) == (7, 250)


def test_canonical_text_of_the_minimal_config_is_fixed():
    # Run files store this text and compare it on resume: the format must not drift.
    assert dumps(loads(HEAD)) == MINIMAL_CANONICAL


def test_equal_configs_written_differently_give_the_same_text():
    a = loads(HEAD + "[model]\nthreshold = 0\nsteps = 20\n")
    b = loads('# comment\n[model]\nsteps=20\nthreshold=0.0\n[task]\ntarget="square"\n'
              '[mutation]\nname="resample"\n[run]\ncheckpoint_every=1\n\n[algorithm]\n'
              'name = "afpo"\n'.replace("[model]", "generations = 10\nseed = 0\n[model]"))
    assert a == b and dumps(a) == dumps(b)


def test_defaults_are_filled():
    c = loads(HEAD)
    assert c.model == {"preset": "bielawski"}
    assert c.algorithm == {"name": "afpo"} and c.mutation == {"name": "resample"}
    assert c.task == TaskConfig(target="square", file=None, mode="final", homeostasis_k=10,
                                damage_step=50, damage_rect=(0, 0, 16, 16))
    assert c.run == RunConfig(checkpoint_every=1)
    assert c.spec() == HNCASpec.preset("bielawski")
    assert c.task_object() == Task.from_name("square", 64)
    assert c.algorithm_object() == make_algorithm("afpo")


def test_mode_parameters_are_written_only_for_their_mode():
    h = loads(HEAD + 'mode = "homeostasis"\nhomeostasis_k = 4\n')
    assert h.task.homeostasis_k == 4 and loads(dumps(h)) == h
    assert "homeostasis_k = 4" in dumps(h) and "damage" not in dumps(h)
    d = loads(HEAD + 'mode = "damage"\n')                 # defaults used and written
    assert (d.task.damage_step, d.task.damage_rect) == (50, (0, 0, 16, 16))
    assert "damage_rect = [0, 0, 16, 16]" in dumps(d) and loads(dumps(d)) == d


def test_config_is_frozen_hashable_and_picklable():
    c = loads(FULL)
    with pytest.raises(TypeError):
        c.model["steps"] = 3
    with pytest.raises(TypeError):
        c.algorithm.update(pop_size=3)
    with pytest.raises(AttributeError):
        c.seed = 3
    assert pickle.loads(pickle.dumps(c)) == c
    assert copy.deepcopy(c) == c
    assert isinstance(c.model, dict) and isinstance(c.model, FrozenDict)
    assert len({c, loads(dumps(c))}) == 1


def test_integer_accepted_for_float_but_bool_is_not_an_integer():
    c = loads(HEAD + "[mutation]\nname = \"gaussian\"\nsigma = 1\n")
    assert c.mutation["sigma"] == 1.0 and isinstance(c.mutation["sigma"], float)
    e = one_line_error(HEAD + "[model]\nsteps = true\n")
    assert e.key == "[model] steps" and "integer" in str(e)


# --------------------------------------------------------------------------- registries
@pytest.mark.parametrize("preset, algo, op", list(itertools.product(
    HNCASpec.presets(), sorted(ALGORITHMS), sorted(OPERATORS))))
def test_every_preset_algorithm_and_operator_round_trips(preset, algo, op):
    text = (f'seed = 3\ngenerations = 2\n[model]\npreset = "{preset}"\n[task]\ntarget = "plus"\n'
            f'[algorithm]\nname = "{algo}"\npop_size = 4\n[mutation]\nname = "{op}"\n')
    c = loads(text)
    assert loads(dumps(c)) == c and dumps(loads(dumps(c))) == dumps(c)
    spec = c.spec()
    assert spec == HNCASpec.preset(preset)
    algorithm = c.algorithm_object()
    assert algorithm.name == algo and algorithm.mutation == op and algorithm.pop_size == 4
    # random genomes are drawn like the model's own (U(-0.03, 0.03) for "neural")
    assert algorithm.init_scale == spec.init_scale
    assert c.task_object().N == spec.sizes[spec.output_level]   # the phenotype's side
    assert spec.output_level > 0 or c.task_object().N == spec.base_size


def test_every_library_parameter_is_accepted_with_its_default():
    # A parameter added to a registry is configurable without touching config.py.
    model = {k: v for k, v in HNCASpec.preset("bielawski").to_dict().items() if v is not None}
    for algo in ALGORITHMS:
        params = {k: v for k, v in algorithm_params(algo).items()
                  if k not in ("mutation", "mutation_params") and v is not None}
        for op in OPERATORS:
            mut = {k: v for k, v in operator_params(op).items() if v is not None}
            c = from_dict({"seed": 0, "generations": 1, "model": model, "task": {"target": "square"},
                           "algorithm": {"name": algo, **params}, "mutation": {"name": op, **mut}})
            assert c.spec() == HNCASpec.preset("bielawski")
            assert loads(dumps(c)) == c


def test_explicit_algorithm_init_scale_wins_over_the_model_one():
    c = loads(HEAD + '[model]\npreset = "neural"\n[algorithm]\ninit_scale = 0.5\n')
    assert c.algorithm_object().init_scale == 0.5


# --------------------------------------------------------------------------- bitmap files
def test_relative_file_is_resolved_against_the_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cfg"
    folder.mkdir()
    np.save(folder / "shape.npy", target("diamond", 64))
    text = 'seed = 1\ngenerations = 3\n[task]\nfile = "shape.npy"\n'
    (folder / "evolve.toml").write_text(text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)                   # not where the bitmap is
    c = load_config(folder / "evolve.toml")
    assert c.task.file == str(folder / "shape.npy") and c.task.target is None
    assert c.task_object() == Task("shape", target("diamond", 64))
    assert loads(dumps(c)) == c                     # the stored path is absolute
    # loads() resolves against base_dir, or the working directory
    assert loads(text, base_dir=folder) == c
    assert one_line_error(text).key == "[task] file"


def test_file_target_at_the_output_level_resolution(tmp_path):
    np.save(tmp_path / "half.npy", target("plus", 32))
    c = loads(HEAD.replace('target = "square"', 'file = "half.npy"') + "[model]\noutput_level = 1\n",
              base_dir=tmp_path)
    assert c.task_object().N == 32


def test_load_config_round_trips_through_a_file(tmp_path):
    c = loads(FULL)
    (tmp_path / "run.toml").write_text(dumps(c), encoding="utf-8")
    assert load_config(tmp_path / "run.toml") == c
    assert load_config(str(tmp_path / "run.toml")) == c


def test_unreadable_config_files(tmp_path):
    for path in (tmp_path / "missing.toml", tmp_path):
        with pytest.raises(ConfigError) as info:
            load_config(path)
        assert str(info.value).startswith(f"{path}: cannot read") and "\n" not in str(info.value)
    (tmp_path / "latin.toml").write_bytes(b'seed = 0 # \xe9\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path / "latin.toml")


# --------------------------------------------------------------------------- errors
def _with_task(task_body: str) -> str:
    return f"seed = 0\ngenerations = 10\n[task]\n{task_body}\n"


#: (id, config text, the key path the error names, a fragment of the reason)
BAD = [
    ("misspelt top-level key", "generatoins = 3\n" + HEAD, "generatoins", "did you mean generations?"),
    ("top-level key inside a table", HEAD + "generations = 3\n", "[task] generations",
     "did you mean the top-level key generations?"),
    ("misspelt nested key", HEAD + "[algorithm]\npop_szie = 3\n",
     "[algorithm] pop_szie", "unknown key [algorithm] pop_szie; did you mean pop_size?"),
    ("key of another algorithm", HEAD + '[algorithm]\nname = "ga"\nn_newcomers = 2\n',
     "[algorithm] n_newcomers", "a parameter of afpo"),
    ("unknown table", HEAD + "[modle]\nsteps = 3\n", "[modle]", "did you mean [model]?"),
    ("table given as a value", "model = 3\n" + HEAD, "[model]", "must be a table"),
    ("bool for int", HEAD + "[model]\nsteps = true\n", "[model] steps", "must be an integer"),
    ("str for int", HEAD.replace("seed = 0", 'seed = "0"'), "seed", "must be an integer"),
    ("float for int", HEAD + "[algorithm]\npop_size = 10.0\n", "[algorithm] pop_size", "integer"),
    ("str for float", HEAD + '[model]\nthreshold = "0"\n', "[model] threshold", "must be a number"),
    ("non-finite float", HEAD + "[model]\nthreshold = nan\n", "[model] threshold", "finite"),
    ("negative seed", HEAD.replace("seed = 0", "seed = -1"), "seed", "must be >= 0, got -1"),
    ("zero generations", HEAD.replace("generations = 10", "generations = 0"), "generations",
     "must be >= 1, got 0"),
    ("missing seed", HEAD.replace("seed = 0\n", ""), "seed", "missing required key"),
    ("int beyond 64 bits", HEAD.replace("seed = 0", "seed = 99999999999999999999"), "seed", "64-bit"),
    ("zero steps", HEAD + "[model]\nsteps = 0\n", "[model] steps", "must be >= 1, got 0"),
    ("unknown preset", HEAD + '[model]\npreset = "bielawsky"\n', "[model] preset",
     'did you mean "bielawski"?'),
    ("base_size not divisible", HEAD + "[model]\nbase_size = 60\n", "[model] base_size",
     "not divisible"),
    ("too many levels", HEAD + "[model]\nlevels = 8\n", "[model] levels", "not divisible"),
    ("absurd levels", HEAD + "[model]\nlevels = 1000000000000\n", "[model] levels", "<= 16"),
    ("absurd base_size", HEAD + "[model]\nbase_size = 65536\n", "[model] base_size",
     f"<= {LIMITS['base_size']}"),
    ("unknown activation", HEAD + '[model]\noutput_activation = "relux"\n',
     "[model] output_activation", "unknown output_activation"),
    ("seed cell off the grid", HEAD + "[model]\nseed_cell = [0, 64]\n", "[model] seed_cell", "0..63"),
    ("seed cell of 3 ints", HEAD + "[model]\nseed_cell = [0, 1, 2]\n", "[model] seed_cell",
     "array of 2 integers"),
    ("model init_scale too big for evolution", HEAD + "[model]\ninit_scale = 2\n",
     "[model] init_scale", "(0, 1]"),
    ("unknown target", _with_task('target = "sqaure"'), "[task] target", 'did you mean "square"?'),
    ("missing file", _with_task('file = "nowhere/shape.npy"'), "[task] file", "no such file"),
    ("unsupported file type", _with_task('file = "shape.bmp"'), "[task] file", "unsupported file type"),
    ("both target and file", _with_task('target = "square"\nfile = "a.npy"'), "[task]",
     "exactly one of target"),
    ("neither target nor file", _with_task('mode = "final"'), "[task]", "got neither"),
    ("no task table", "seed = 0\ngenerations = 10\n", "[task]", "got neither"),
    ("unknown mode", HEAD + 'mode = "homeostatis"\n', "[task] mode", 'did you mean "homeostasis"?'),
    ("key unused by the mode", HEAD + "damage_step = 3\n", "[task] damage_step", 'mode = "damage"'),
    ("homeostasis_k beyond steps", HEAD + 'mode = "homeostasis"\nhomeostasis_k = 101\n',
     "[task] homeostasis_k", "1..100"),
    ("default homeostasis_k beyond steps", HEAD + 'mode = "homeostasis"\n[model]\nsteps = 5\n',
     "[task] homeostasis_k", "(the default)"),
    ("damage rect outside the grid", HEAD + 'mode = "damage"\ndamage_rect = [60, 0, 8, 8]\n',
     "[task] damage_rect", "inside the 64x64"),
    ("target too small at the output level", HEAD + "[model]\nbase_size = 8\noutput_level = 2\n",
     "[task] target", "output level 2, side 2"),
    ("unknown mutation", HEAD + '[mutation]\nname = "gausian"\n', "[mutation] name",
     'did you mean "gaussian"?'),
    ("bad mutation param", HEAD + '[mutation]\nname = "gaussian"\nsigma = -0.1\n',
     "[mutation] sigma", "must be a finite number > 0"),
    ("mutation param of another operator", HEAD + "[mutation]\nsigma = 0.1\n", "[mutation] sigma",
     "a parameter of gaussian"),
    ("mutation n_genes beyond the genome", HEAD + "[mutation]\nn_genes = 52\n", "[mutation] n_genes",
     "<= 51"),
    ("lattice too fine", HEAD + '[mutation]\nname = "lattice"\nk = 1\n', "[mutation] k", "2..65536"),
    ("unknown algorithm", HEAD + '[algorithm]\nname = "apfo"\n', "[algorithm] name",
     'did you mean "afpo"?'),
    ("bad algorithm param", HEAD + "[algorithm]\npop_size = 0\n", "[algorithm] pop_size",
     "must be an integer >= 1"),
    ("tournament bigger than the population",
     HEAD + '[algorithm]\nname = "ga"\npop_size = 4\ntournament_size = 5\n',
     "[algorithm] tournament_size", "1..4"),
    ("bad algorithm init_scale", HEAD + "[algorithm]\ninit_scale = 1.5\n", "[algorithm] init_scale",
     "(0, 1]"),
    ("checkpoint_every zero", HEAD + "[run]\ncheckpoint_every = 0\n", "[run] checkpoint_every",
     "must be >= 1"),
    ("misspelt run key", HEAD + "[run]\ncheckpoint_evry = 2\n", "[run] checkpoint_evry",
     "did you mean checkpoint_every?"),
    ("quoted key with a line break", HEAD + '[model]\n"st\\neps" = 3\n', "[model]", "unknown key"),
]


@pytest.mark.parametrize("text, key, fragment", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_is_one_line_naming_the_key(text, key, fragment, tmp_path):
    e = one_line_error(text, base_dir=tmp_path)
    assert isinstance(e, ValueError)
    msg = str(e)
    assert key in msg, msg
    assert fragment in msg, msg
    assert e.source == "evolve.toml" and e.key is not None and key in e.key


def test_wrong_size_file(tmp_path):
    np.save(tmp_path / "small.npy", target("square", 32))
    e = one_line_error(_with_task('file = "small.npy"'), base_dir=tmp_path)
    assert e.key == "[task] file" and "(32, 32)" in str(e) and "(64, 64)" in str(e)
    assert str(e).startswith("evolve.toml: [task] file: load_target: ")


def test_toml_syntax_error_gives_line_and_column():
    e = one_line_error("seed = 0\ngenerations = \n")
    assert str(e).startswith("evolve.toml: TOML syntax error: ") and "line 2, column" in str(e)
    assert e.key is None
    e = one_line_error("seed = 0\nseed = 1\n")               # duplicate key
    assert "line 2" in str(e)


def test_library_messages_are_kept():
    e = one_line_error(HEAD + "[model]\nbase_size = 60\n")
    assert str(e) == ("evolve.toml: [model] base_size: base_size 60 is not divisible by "
                      "2**(levels-1) = 8; pick a base_size that is, or fewer levels")
    assert str(one_line_error(HEAD + "[model]\nsteps = 0\n")) == \
        "evolve.toml: [model] steps: must be >= 1, got 0"


def test_string_source_name_and_type_errors():
    with pytest.raises(ConfigError, match=r"^<string>: seed: "):
        loads(HEAD.replace("seed = 0", "seed = -3"))
    with pytest.raises(TypeError):
        loads(HEAD.encode())
    with pytest.raises(TypeError):
        dumps({"seed": 0})


# --------------------------------------------------------------------------- the TOML writer
_scalars = (st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False)
            | st.text(max_size=12))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=8)
_tables = st.recursive(
    st.dictionaries(st.text(max_size=6), _values, max_size=4),
    lambda inner: st.dictionaries(st.text(max_size=6), _values | inner, max_size=4),
    max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(_tables)
def test_dump_toml_reads_back_with_tomllib(data):
    text = dump_toml(data)
    assert tomllib.loads(text) == data
    assert dump_toml(tomllib.loads(text)) == text


def test_dump_toml_rejects_none():
    with pytest.raises(TypeError):
        dump_toml({"a": None})


# --------------------------------------------------------------------------- fuzzing
_KEYS = (["seed", "generations", "sed", "model", "task", "algorithm", "mutation", "run"]
         + ["preset", "name", *HNCASpec().to_dict(), "pop_size", "n_newcomers", "inherit_age",
            "n_offspring", "tournament_size", "n_genes", "sigma", "rate", "k",
            "target", "file", "mode", "homeostasis_k", "damage_step", "damage_rect",
            "checkpoint_every", "pop_szie", "stpes"])
_NAMES = [*HNCASpec.presets(), *TARGETS, *TASK_MODES, *ALGORITHMS, *OPERATORS,
          "relu", "tanh", "identity", "residual", "replace", "a.npy", "x.png", "", "\n"]
_ints = st.integers(-3, 70) | st.sampled_from([2**63, -2**63 - 1, 10**30, 2048, 4096, 2**40])
_floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, 0.03, 0.5, 1.0, 1.5])
_atoms = st.booleans() | _ints | _floats | st.sampled_from(_NAMES) | st.text(max_size=5)
_fuzz_values = _atoms | st.lists(_ints, max_size=5) | st.lists(_atoms, max_size=3)
_fuzz_tables = st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), _fuzz_values, max_size=5)
_fuzz_docs = st.dictionaries(st.sampled_from(_KEYS), _fuzz_values | _fuzz_tables, max_size=8)
_NOWHERE = "/nonexistent/alife-config-fuzz"


def _only_config_errors(call):
    """Run ``call``; it may only return a config or raise ConfigError (one line)."""
    try:
        c = call()
    except ConfigError as e:
        assert len(str(e).splitlines()) == 1
        return None
    assert isinstance(c, EvolveConfig)
    text = dumps(c)
    assert loads(text, base_dir=_NOWHERE) == c and dumps(loads(text)) == text
    return c


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_fuzz_random_text(text):
    _only_config_errors(lambda: loads(text, base_dir=_NOWHERE))


_toml_lines = st.lists(
    st.one_of(
        st.sampled_from([f"[{t}]" for t in ("model", "task", "algorithm", "mutation", "run", "modle")]),
        st.builds(lambda k, v: f"{k} = {v}", st.sampled_from(_KEYS),
                  st.sampled_from(["0", "1", "-1", "64", "true", "1.5", "nan", "inf", '"square"',
                                   '"afpo"', '"ga"', '"gaussian"', '"neural"', "[1, 2]", "[0, 0, 4, 4]",
                                   "{a = 1}", '"', "1979-05-27", "0x10", "1e400", ""])),
        st.text(alphabet=string.printable, max_size=10)),
    max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_toml_lines)
def test_fuzz_toml_ish_text(lines):
    _only_config_errors(lambda: loads("\n".join(lines), base_dir=_NOWHERE))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_fuzz_docs)
def test_fuzz_random_dicts(data):
    # as text through the writer, and directly (with non-finite floats, big ints, ...)
    try:
        text = dump_toml(data)
    except (TypeError, ValueError):
        text = None
    if text is not None:
        _only_config_errors(lambda: loads(text, base_dir=_NOWHERE))
    _only_config_errors(lambda: from_dict(data, base_dir=_NOWHERE))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["model", "task", "algorithm", "mutation", "run", None]),
       st.sampled_from(_KEYS), _fuzz_values, st.booleans())
def test_fuzz_one_change_to_a_valid_config(table, key, value, ga):
    """A valid config with one key set to a random value: a valid config or a ConfigError."""
    data = tomllib.loads(FULL if ga else HEAD)
    (data if table is None else data.setdefault(table, {}))[key] = value
    _only_config_errors(lambda: from_dict(data, base_dir=_NOWHERE))
