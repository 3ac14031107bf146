"""One canonical-text policy for every config, and the toolkit of alife.config.

What is protected here:

* every config (evolution, neutral analysis, bridge) reads its canonical text
  back to an equal config, from any folder, and writes it again byte for
  byte (run and result files store the text and compare it on resume);
* the canonical text of the committed configs is the text already stored in
  committed result files (``experiments/bridge/digits.h5``), and arrays stay
  inline (the reason the hand-written writer is kept);
* a key misplaced inside a table is pointed to the top level of *its own*
  config, never to another config's keys;
* the toolkit's public helpers behave as the configs rely on.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import h5py
import numpy as np
import pytest

from alife.bridge.config import load_bridge_config, loads_bridge
from alife.config import (ConfigError, FrozenDict, Invalid, TopLevel, check_kind, dump_toml,
                          is_int, reporting, resolve_path, unknown_key)
from alife.evolve.config import dumps, load_config, loads
from alife.neutral.config import load_neutral_config, loads_neutral
from alife.tasks import target
from configs import TOY_EXHAUSTIVE, afpo_toml

ROOT = Path(__file__).resolve().parents[1]


def _elsewhere(tmp_path) -> Path:
    d = tmp_path / "elsewhere"
    d.mkdir(exist_ok=True)
    return d


# --------------------------------------------------------------------------- round trips
EVOLVE_TEXTS = [
    afpo_toml(),
    afpo_toml().replace('target = "square"', 'target = "square"\nmode = "damage"\n'
                        'damage_step = 10\ndamage_rect = [0, 0, 8, 8]'),
    afpo_toml().replace("[model]", "[model]\nseed_cell = [3, 4]\nthreshold = 0"),
    (ROOT / "experiments/smoke/evolve.toml").read_text(),
]


@pytest.mark.parametrize("text", EVOLVE_TEXTS)
def test_evolve_config_round_trips(text, tmp_path):
    c = loads(text)
    canonical = dumps(c)
    assert dumps(c) == canonical
    again = loads(canonical, base_dir=_elsewhere(tmp_path))
    assert again == c and dumps(again) == canonical


def _neutral_texts(tmp_path) -> list[str]:
    np.save(tmp_path / "shape.npy", target("diamond", 64))
    hnca = 'seed = 4\n[map]\nkind = "hnca"\nm = 2\n[model]\nsteps = 20\n[seeds]\nrandom = 1\n'
    return [
        TOY_EXHAUSTIVE,
        (ROOT / "experiments/smoke/neutral.toml").read_text(),
        hnca + '[task]\ntarget = "plus"\n',
        hnca + '[task]\nfile = "shape.npy"\nmode = "homeostasis"\nhomeostasis_k = 4\n',
        hnca.replace("m = 2", "lattice_k = 3") + "[build]\nmethod = \"exhaustive\"\n",
        'seed = 2\n[map]\nkind = "toy"\nname = "count"\nL = 5\nK = 3\n'
        '[seeds]\ngenotypes = [[0, 1, 2, 0, 1]]\n[build]\nmax_nodes = 10\nwalks = 2\n',
    ]


def test_neutral_config_round_trips(tmp_path):
    for text in _neutral_texts(tmp_path):
        c = loads_neutral(text, base_dir=tmp_path)
        again = loads_neutral(c.text, base_dir=_elsewhere(tmp_path))
        assert again == c, text
        assert again.text == c.text and tomllib.loads(c.text)   # stable, valid TOML
    # equal analyses written differently (keys in another order) share one text
    a = loads_neutral('seed = 1\n[map]\nkind = "toy"\nname = "parity"\nL = 4\n'
                      '[seeds]\nrandom = 1\n[build]\nwalks = 1\nmethod = "bfs"\n')
    b = loads_neutral('seed = 1\n[build]\nwalks = 1\n[map]\nL = 4\nname = "parity"\nkind = "toy"\n'
                      '[seeds]\nrandom = 1\n')
    assert a.text == b.text


def test_neutral_task_mode_is_part_of_the_text(tmp_path):
    """Two analyses that differ only in the task mode have different texts (the
    text keys the progress file); the default mode keeps the old text."""
    texts = _neutral_texts(tmp_path)
    plain = loads_neutral(texts[2], base_dir=tmp_path)
    assert "mode =" not in plain.text
    homeo = loads_neutral(texts[2] + 'mode = "homeostasis"\n', base_dir=tmp_path)
    assert homeo.text != plain.text and 'mode = "homeostasis"' in homeo.text
    assert homeo.task.mode == "homeostasis" and homeo.task.homeostasis_k == 10


def test_bridge_config_round_trips(tmp_path):
    (tmp_path / "ck").mkdir()
    texts = [(ROOT / "experiments/bridge/digits.toml").read_text(), "seed = 5",
             'seed = 1\n[pairs]\ncheckpoints = [["ck/a.h5", "ck/b.h5"]]\n[paths]\nkinds = ["line"]\n']
    for text in texts:
        c = loads_bridge(text, base_dir=tmp_path)
        again = loads_bridge(c.text, base_dir=_elsewhere(tmp_path))
        assert again == c and again.text == c.text
    # a relative checkpoint is stored as an absolute path
    assert c.pairs["checkpoints"] == [[str(tmp_path / "ck/a.h5"), str(tmp_path / "ck/b.h5")]]
    assert str(tmp_path / "ck/a.h5") in c.text


def test_committed_bridge_text_is_reproduced_with_inline_arrays():
    """The canonical text of digits.toml is the one stored in the committed
    digits.h5 (so the experiment reproduces bit for bit); arrays are inline."""
    c = load_bridge_config(ROOT / "experiments/bridge/digits.toml")
    with h5py.File(ROOT / "experiments/bridge/digits.h5", "r") as f:
        stored = f.attrs["config_toml"]
    assert c.text == stored
    assert "\nsizes = [64, 32, 10]\n" in c.text


def test_smoke_configs_load_from_their_files():
    assert load_config(ROOT / "experiments/smoke/evolve.toml").generations == 30
    assert load_neutral_config(ROOT / "experiments/smoke/neutral.toml").map["kind"] == "hnca"


# --------------------------------------------------------------------------- own top level
@pytest.mark.parametrize("load, text, fragment, not_fragment", [
    # a bridge config is pointed to its own top-level key, never to evolution's
    (loads_bridge, "seed = 0\n[train]\nseed = 3\n", "did you mean the top-level key seed?", None),
    (loads_bridge, "seed = 0\n[train]\ngenerations = 3\n", "valid keys: epochs", "generations?"),
    (loads_bridge, "seed = 0\n[train]\npair = 3\n", "did you mean the table [pairs]?", None),
    (loads_neutral, TOY_EXHAUSTIVE + "seed = 1\n", "[build] seed; did you mean the top-level key seed?",
     None),
    (loads_neutral, TOY_EXHAUSTIVE + "generations = 1\n", "valid keys: method", "generations?"),
    (loads, afpo_toml() + "generations = 3\n", "did you mean the top-level key generations?", None),
    (loads, afpo_toml() + "modle = 3\n", "did you mean the table [model]?", None),
])
def test_misplaced_keys_point_to_the_configs_own_top_level(load, text, fragment, not_fragment):
    with pytest.raises(ConfigError) as info:
        load(text)
    msg = str(info.value)
    assert fragment in msg and "\n" not in msg, msg
    if not_fragment:
        assert not_fragment not in msg, msg


# --------------------------------------------------------------------------- the toolkit
def test_toolkit_helpers():
    assert is_int(3) and not is_int(True) and not is_int(3.0)
    assert check_kind("float", 2, "x") == 2.0 and isinstance(check_kind("float", 2, "x"), float)
    assert check_kind(("ints", 2), [1, 2], "x") == (1, 2)
    with pytest.raises(Invalid, match="must be an integer"):
        check_kind("int", True, "x")
    with pytest.raises(ConfigError, match=r"^f\.toml: \[a\] b: must be true or false"):
        with reporting("f.toml"):
            check_kind("bool", 1, "[a] b")
    top = TopLevel(keys=("seed",), tables=("data",))
    with pytest.raises(Invalid, match=r"did you mean \[data\]\?"):
        top.check({"seed": 0, "dta": {}})
    e = unknown_key("data", "sed", ["x"], top=top)
    assert "top-level key seed" in e.reason and e.key == "[data] sed"
    assert "top-level" not in unknown_key("data", "sed", ["x"]).reason   # no top level given
    with pytest.raises(Invalid, match="NUL"):
        resolve_path("a\x00b", "/", "[m] file")
    assert resolve_path("b/../c.h5", "/x", "k") == "/x/c.h5"
    assert dump_toml({"a": [1, 2.5, "x"], "t": {"k": True}}) == 'a = [1, 2.5, "x"]\n\n[t]\nk = true\n'
    f = FrozenDict(a=1)
    with pytest.raises(TypeError):
        f["a"] = 2
