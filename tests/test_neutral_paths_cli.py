"""`alife neutral` with [build] method = "paths": are these pairs connected?"""
from __future__ import annotations

import json

import numpy as np
import pytest

from alife.cli import main
from alife.gpmap.hnca import HNCAMap
from alife.nca import HNCASpec
from alife.neutral import neutral_walks
from alife.neutral.config import loads_neutral
from alife.neutral.pathfile import check_path_file, read_path_file
from alife.store import read_results

BIEL8 = HNCASpec.preset("bielawski", base_size=8, steps=10)

HEAD = """seed = 3
[map]
kind = "hnca"
[model]
preset = "bielawski"
base_size = 8
steps = 10
[build]
method = "paths"
max_evaluations = 40000
"""


def _toml_genome(g) -> str:
    return "[" + ", ".join(repr(float(x)) for x in np.asarray(g, np.float32)) + "]"


@pytest.fixture(scope="module")
def pair():
    gm = HNCAMap(BIEL8)
    G = BIEL8.random_genomes(200, seed=11)
    a = G[np.flatnonzero(gm.phenotypes(G) >= 0)[0]]
    b = neutral_walks(gm, a, 100, 1, np.random.default_rng(2)).genotypes[-1, 0]
    return a, b


def test_paths_method_end_to_end(tmp_path, capsys, pair):
    a, b = pair
    cfg = tmp_path / "paths.toml"
    cfg.write_text(HEAD + f"[pairs]\ngenotypes = [[{_toml_genome(a)}, {_toml_genome(b)}]]\n")
    out = tmp_path / "net.h5"
    assert main(["neutral", str(cfg), "--out", str(out)]) == 0
    assert "1 of 1 pairs connected" in capsys.readouterr().out
    attrs, arrays = read_results(out, "neutral")
    s = json.loads(attrs["summary_json"])
    row = s["pairs"][0]
    assert row["found"] and row["verified"] and row["n_evaluations"] <= 40000
    P = arrays["paths/0/genotypes"]
    assert P.dtype == np.float32 and P.shape == (row["path_steps"] + 1, 51)
    np.testing.assert_array_equal(P[0], a)
    np.testing.assert_array_equal(P[-1], b)
    spec, recs = read_path_file(out)
    assert spec == BIEL8 and recs[0]["found"]
    assert check_path_file(out)[0].ok
    # the same config gives the same file contents
    out2 = tmp_path / "net2.h5"
    assert main(["neutral", str(cfg), "--out", str(out2)]) == 0
    np.testing.assert_array_equal(read_results(out2, "neutral")[1]["paths/0/genotypes"], P)


def test_pairs_from_runs_are_paired_by_phenotype(tmp_path, pair):
    a, b = pair
    text = HEAD + f'[pairs]\nruns = ["a.h5", "b.h5", "c.h5"]\n'
    c = loads_neutral(text, base_dir=tmp_path)
    assert c.pairs["runs"] == tuple(str(tmp_path / n) for n in ("a.h5", "b.h5", "c.h5"))
    assert "[pairs]" in c.text and "a.h5" in c.text


@pytest.mark.parametrize("text, fragment", [
    (HEAD, "needs [pairs]"),
    (HEAD.replace('method = "paths"', 'method = "bfs"') + "[seeds]\nrandom = 1\n"
     + "[pairs]\nruns = [\"a.h5\", \"b.h5\"]\n", "only used with [build] method = \"paths\""),
    ("seed = 1\n[map]\nkind = \"toy\"\nname = \"count\"\nL = 4\n[build]\nmethod = \"paths\"\n"
     "[pairs]\ngenotypes = [[[0, 1, 0, 1], [1, 0, 1, 0]]]\n", "graded phenotype distance"),
    (HEAD + "[pairs]\ngenotypes = [[[0.1, 0.2]]]\n", "array of two genotypes"),
    (HEAD + "[pairs]\nruns = [\"only.h5\"]\n", "at least two run file paths"),
    (HEAD + "[pairs]\ngenotypes = [[[0.1, 0.2], [0.3, 0.4]]]\n", "shape (n, 51)"),
    (HEAD + "[task]\ntarget = \"diamond\"\nmode = \"homeostasis\"\n"
     "[pairs]\nruns = [\"a.h5\", \"b.h5\"]\n", "remove the mode"),
])
def test_bad_paths_configs_are_one_line_errors(tmp_path, capsys, text, fragment):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    assert main(["neutral", str(cfg), "--out", str(tmp_path / "n.h5")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and fragment in err, err
    assert not (tmp_path / "n.h5").exists()


def test_pairs_with_different_phenotypes_are_refused(tmp_path, capsys, pair):
    a, _ = pair
    gm = HNCAMap(BIEL8)
    G = BIEL8.random_genomes(100, seed=12)
    ids = gm.phenotypes(G)
    other = G[int(np.flatnonzero((ids >= 0) & (ids != gm.phenotypes(a[None])[0]))[0])]
    cfg = tmp_path / "diff.toml"
    cfg.write_text(HEAD + f"[pairs]\ngenotypes = [[{_toml_genome(a)}, {_toml_genome(other)}]]\n")
    assert main(["neutral", str(cfg), "--out", str(tmp_path / "n.h5")]) == 2
    err = capsys.readouterr().err
    assert "pair 1" in err and "one defined phenotype" in err and err.count("\n") == 1
