"""`alife neutral`: configs, the result file, figures, reproducibility and bad input."""
from __future__ import annotations

import json
from math import comb
from pathlib import Path

import numpy as np
import pytest

from alife.cli import main
from configs import TOY_EXHAUSTIVE
from alife.neutral.config import loads_neutral
from alife.store import read_results

ROOT = Path(__file__).resolve().parents[1]

TOY = TOY_EXHAUSTIVE


def test_smoke_config_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "net.h5"
    assert main(["neutral", str(ROOT / "experiments/smoke/neutral.toml"), "--out", str(out)]) == 0
    attrs, arrays = read_results(out, "neutral")
    s = json.loads(attrs["summary_json"])
    assert len(s["networks"]) == 2
    for n in s["networks"]:
        i = n["seed"]
        rob = arrays[f"networks/{i}/robustness"]
        assert len(rob) == n["size"] == arrays[f"networks/{i}/genotypes"].shape[0]
        # the network's R is the mean r(g) over expanded nodes
        assert n["robustness"] == pytest.approx(np.nanmean(rob))
        edges = arrays[f"networks/{i}/edges"]
        assert edges.size == 0 or (edges.min() >= 0 and edges.max() < n["size"])
    prof = arrays["profile/robustness"]
    assert prof.shape == (2, 51) and ((prof >= 0) & (prof <= 1)).all()
    assert len(arrays["profile/gene_names"]) == 51
    # every seed's neighbourhood is classified: counts sum to 2 seeds x 51 genes x m = 2
    assert sum(s["mutation_classes"].values()) == 2 * 51 * 2
    figs = tmp_path / "net_figs"
    for name in ("network.png", "genotype_r_vs_e.png", "phenotype_R_vs_E.png",
                 "rank_frequency.png", "profile.png"):
        assert (figs / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(figs.glob("*.graphml"))


def test_exhaustive_toy_map_gives_the_binomial_networks(tmp_path):
    """Threshold map, L = 6, phenotype 1 iff at least 3 ones: the neutral set
    of phenotype 1 has sum_{k>=3} C(6,k) = 42 genotypes and of phenotype 0
    has 22; each is one connected network (any genotype reaches 111000 or
    000000 by neutral single flips)."""
    cfg = tmp_path / "toy.toml"
    cfg.write_text(TOY)
    out = tmp_path / "toy.h5"
    assert main(["neutral", str(cfg), "--out", str(out)]) == 0
    attrs, arrays = read_results(out, "neutral")
    s = json.loads(attrs["summary_json"])
    assert s["n_genotypes"] == 64 and s["n_phenotypes"] == 2 and s["n_components"] == 2
    sizes = dict(zip(arrays["phenotypes/phenotype"].tolist(), arrays["phenotypes/size"].tolist()))
    assert sorted(sizes.values()) == [sum(comb(6, k) for k in range(3)),
                                      sum(comb(6, k) for k in range(3, 7))]
    # r(g) of 000111 (three ones, phenotype 1): flipping any 1 loses it -> 3/6 neutral
    r = arrays["genotypes/robustness"]
    assert r[0b000111] == pytest.approx(0.5) and r[0] == pytest.approx(1.0)


def test_same_seed_same_file_contents(tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    cfg = str(ROOT / "experiments/smoke/neutral.toml")
    assert main(["neutral", cfg, "--out", str(a)]) == 0
    assert main(["neutral", cfg, "--out", str(b)]) == 0
    (_, x), (_, y) = read_results(a), read_results(b)
    assert sorted(x) == sorted(y)
    for k in x:
        if isinstance(x[k], list):
            assert x[k] == y[k]
        else:
            assert x[k].tobytes() == y[k].tobytes(), k


def _one_line_exit_2(argv, capsys, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and fragment in err, err


@pytest.mark.parametrize("text, fragment", [
    (TOY.replace("threshold = 3", "treshold = 3"), "did you mean threshold?"),
    (TOY.replace('kind = "toy"', 'kind = "rnaa"'), 'did you mean "rna"?'),
    (TOY.replace('method = "exhaustive"', 'method = "bfs"'), "needs seeds"),
    (TOY.replace("L = 6", "L = 0"), "[map] L: must be >= 1"),
    ("seed = 1\n[map]\nkind = \"table\"\nfile = \"missing.tsv\"\nalphabet = \"RNA\"\n", "no such file"),
    ("seed = 1\n[map]\nkind = \"hnca\"\n[build]\nmethod = \"exhaustive\"\n", "continuous genes"),
    ("seed = 1\n[map]\nkind = \"hnca\"\n[seeds]\ngenotypes = [[0.1, 0.2]]\n", "shape (n, 51)"),
    ("seed = 1\n[map]\nkind = \"rna\"\nlength = 8\n[model]\npreset = \"bielawski\"\n", "only used with"),
])
def test_bad_configs_are_one_line_errors(tmp_path, capsys, text, fragment):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    _one_line_exit_2(["neutral", str(cfg), "--out", str(tmp_path / "n.h5")], capsys, fragment)
    assert not (tmp_path / "n.h5").exists()


def test_existing_result_is_never_overwritten(tmp_path, capsys):
    cfg = tmp_path / "toy.toml"
    cfg.write_text(TOY)
    out = tmp_path / "toy.h5"
    out.write_bytes(b"precious")
    _one_line_exit_2(["neutral", str(cfg), "--out", str(out)], capsys, "--force")
    assert out.read_bytes() == b"precious"
    assert main(["neutral", str(cfg), "--out", str(out), "--force"]) == 0


def test_canonical_config_text_round_trips():
    c = loads_neutral(TOY)
    assert loads_neutral(c.text).text == c.text


def test_table_map_from_a_genonets_file(tmp_path):
    """A genonets input as a GP map: the DNA L=3 edge case, enumerated whole;
    every genotype listed in the file belongs to its set's phenotype."""
    from alife.gpmap.table import TableMap
    src = ROOT / "tests/fixtures/genonets/tiny_edge/input.tsv"
    cfg = tmp_path / "table.toml"
    cfg.write_text(f'seed = 0\n[map]\nkind = "table"\nfile = "{src}"\nalphabet = "DNA"\n'
                   f'[build]\nmethod = "exhaustive"\n')
    out = tmp_path / "t.h5"
    assert main(["neutral", str(cfg), "--out", str(out)]) == 0
    attrs, arrays = read_results(out, "neutral")
    tm = TableMap(src, "DNA")
    listed = {g for gs in tm.set_genotypes.values() for g in gs}
    assert int((arrays["genotypes/phenotype"] >= 0).sum()) == len(listed)
    assert sorted(arrays["phenotypes/label"]) == sorted(set(tm.set_names) & {
        tm.label(p) for p in arrays["phenotypes/phenotype"]})
