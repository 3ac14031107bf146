"""Hostile and careless inputs: absurd sizes, decompression and image bombs,
datasets that declare more than they hold, set names that lead out of
--out, figures in the way, running out of memory.

Every attack asserts its exact outcome (refused in one line with exit code
2, no traceback; or harmless) and that nothing outside --out is created or
changed: the whole temporary tree is snapshotted before and after (paths,
kinds, sizes, contents, modification times, link targets).  The bombs are
made here, small and fast.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import struct
import time
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

from alife.cli import main
from alife.config import ConfigError
from alife.config.limits import (DEFAULT_MAX_WORK, default_max_memory, limits, max_memory,
                                 max_work, parse_size)
from configs import TOY_EXHAUSTIVE, afpo_toml

ROOT = Path(__file__).resolve().parents[1]

#: A tiny evolution config (a second or less, kernels cached).
TINY_EVOLVE = """
seed = 1
generations = 2
[model]
preset = "bielawski"
base_size = 16
steps = 8
[task]
target = "square"
[algorithm]
name = "afpo"
pop_size = 6
n_newcomers = 1
"""

NEUTRAL_HNCA = """
seed = 0
[map]
kind = "hnca"
[model]
preset = "bielawski"
[seeds]
random = 1
"""


# --------------------------------------------------------------------------- helpers
def snapshot(root: Path) -> dict:
    """Every path under ``root`` (links not followed): kind, size, content
    hash, modification time and link target."""
    out = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            p = Path(folder) / name
            st = p.lstat()
            if p.is_symlink():
                out[str(p.relative_to(root))] = ("link", os.readlink(p))
            elif p.is_file():
                out[str(p.relative_to(root))] = ("file", st.st_size, st.st_mtime_ns,
                                                 hashlib.sha256(p.read_bytes()).hexdigest())
            else:
                out[str(p.relative_to(root))] = ("dir",)
    return out


def changed(before: dict, after: dict, inside: str | None = None) -> list:
    """Paths created, removed or changed between two snapshots, except under ``inside``."""
    keys = set(before) | set(after)
    diff = sorted(k for k in keys if before.get(k) != after.get(k))
    if inside is not None:
        diff = [k for k in diff if k != inside and not k.startswith(inside + os.sep)]
    return diff


def refused(argv, capsys, *fragments) -> str:
    """Run the CLI; it must exit 2 with exactly one line on stderr holding every fragment."""
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert rc == 2, (rc, out, err)
    assert len(lines) == 1 and "Traceback" not in err, err
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def attack(tmp_path, capsys, argv, *fragments, out: str | None = None, seconds: float = 2.0):
    """``refused(argv)`` within ``seconds``, with nothing changed in ``tmp_path``
    (outside ``out``, a path relative to it, when given)."""
    before = snapshot(tmp_path)
    t = time.perf_counter()
    line = refused(argv, capsys, *fragments)
    assert time.perf_counter() - t < seconds, line
    assert changed(before, snapshot(tmp_path), out) == []
    return line


def write(path: Path, text) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def machine_independent_limits(monkeypatch):
    """The limits of a 16 GiB machine, wherever the tests run."""
    monkeypatch.setenv("ALIFE_MAX_MEMORY", "8G")
    monkeypatch.delenv("ALIFE_MAX_WORK", raising=False)


@pytest.fixture(scope="module", autouse=True)
def warm_imports():
    """Import the commands' modules once, so the timings measure the refusals."""
    import alife.evolve.runner  # noqa: F401
    import alife.neutral.genonets  # noqa: F401
    import alife.neutral.run  # noqa: F401
    import alife.report  # noqa: F401
    import alife.evolve.plots  # noqa: F401


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """A finished two-generation run file."""
    tmp = tmp_path_factory.mktemp("run")
    cfg = write(tmp / "tiny.toml", TINY_EVOLVE)
    out = tmp / "run.h5"
    assert main(["evolve", str(cfg), "--out", str(out), "--no-progress"]) == 0
    return out


@pytest.fixture(scope="module")
def toy_net(tmp_path_factory) -> Path:
    """A NET.h5 of the toy exhaustive analysis."""
    tmp = tmp_path_factory.mktemp("net")
    cfg = write(tmp / "toy.toml", TOY_EXHAUSTIVE)
    out = tmp / "net.h5"
    assert main(["neutral", str(cfg), "--out", str(out)]) == 0
    return out


# --------------------------------------------------------------------------- absurd sizes
@pytest.mark.parametrize("edit, key, what", [
    (("pop_size = 6", "pop_size = 1000000000"), "[algorithm] pop_size", "of memory"),
    (("n_newcomers = 1", "n_newcomers = 1000000000000"), "[algorithm] n_newcomers", "of memory"),
    (("steps = 8", "steps = 1000000000000000"), "[model] steps", "operations"),
    (("generations = 2", "generations = 1000000000000000"), "generations", "operations"),
])
def test_absurd_evolution_sizes_are_refused_before_any_file(tmp_path, capsys, edit, key, what):
    cfg = write(tmp_path / "big.toml", TINY_EVOLVE.replace(*edit))
    line = attack(tmp_path, capsys, ["evolve", cfg, "--out", tmp_path / "run.h5"],
                  f"big.toml: {key}: ", what, "over the limit")
    assert ("--max-memory" in line) if what == "of memory" else ("--max-work" in line)
    assert not (tmp_path / "run.h5").exists()


@pytest.mark.parametrize("build, key", [
    ("walks = 1000\nwalk_steps = 1000000", "[build] walks"),
    ("max_nodes = 1000000000000\nmax_evaluations = 1000000000000", "[build] max_evaluations"),
])
def test_absurd_neutral_budgets_are_refused(tmp_path, capsys, build, key):
    cfg = write(tmp_path / "n.toml", NEUTRAL_HNCA + "[build]\n" + build + "\n")
    attack(tmp_path, capsys, ["neutral", cfg, "--out", tmp_path / "net.h5"], f"n.toml: {key}: ",
           "of memory", "over the limit")


def test_neutral_exhaustive_of_a_space_too_large_is_refused(tmp_path, capsys):
    cfg = write(tmp_path / "n.toml", 'seed = 0\n[map]\nkind = "rna"\nlength = 20\n'
                                     '[build]\nmethod = "exhaustive"\n')
    attack(tmp_path, capsys, ["neutral", cfg, "--out", tmp_path / "net.h5"],
           "[build] method: exhaustive", "4**13")


def test_a_neural_hnca_profile_too_big_for_memory_is_refused(tmp_path, capsys):
    """The neural preset has 25,760 genes: the profile of two seeds evaluates
    2 x 103,040 one-mutants at once (tens of GiB)."""
    cfg = write(tmp_path / "n.toml", NEUTRAL_HNCA.replace("bielawski", "neural")
                .replace("random = 1", "random = 2"))
    attack(tmp_path, capsys, ["neutral", cfg, "--out", tmp_path / "net.h5"],
           "the profiles", "of memory")


@pytest.mark.parametrize("table, key", [
    ("[plane]\ngrid = 100000", "[plane] grid"),
    ("[paths]\nn_points = 100000000", "[paths] n_points"),
    ("[gpmap]\nn = 1000000000", "[gpmap] n"),
    ("[train]\nepochs = 1000000000", "[train] epochs"),
])
def test_absurd_bridge_sizes_are_refused_before_training(tmp_path, capsys, table, key):
    """Refused in well under the time one training epoch takes."""
    cfg = write(tmp_path / "b.toml", "seed = 0\n" + table + "\n")
    attack(tmp_path, capsys, ["bridge", cfg, "--out", tmp_path / "b.h5"], f"b.toml: {key}: ",
           "over the limit")


def test_the_library_entry_points_check_sizes_too(tmp_path):
    """evolve() and run_neutral() refuse what load_config would (a config built in code)."""
    from alife.evolve.config import loads
    from alife.evolve.runner import evolve
    from alife.neutral.config import loads_neutral
    from alife.neutral.run import run_neutral
    big = loads(TINY_EVOLVE.replace("pop_size = 6", "pop_size = 10000000"))
    with pytest.raises(ConfigError, match=r"^<config>: \[algorithm\] pop_size: "):
        evolve(big, tmp_path / "run.h5")
    net = loads_neutral(NEUTRAL_HNCA + "[build]\nwalks = 1000\nwalk_steps = 1000000\n")
    with pytest.raises(ConfigError, match=r"\[build\] walks"):
        run_neutral(net, tmp_path / "net.h5")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- limits
def test_limits_come_from_the_flag_then_the_environment_then_the_machine(monkeypatch):
    monkeypatch.delenv("ALIFE_MAX_MEMORY", raising=False)
    monkeypatch.delenv("ALIFE_MAX_WORK", raising=False)
    assert max_memory() == default_max_memory() > 0
    assert max_work() == DEFAULT_MAX_WORK
    monkeypatch.setenv("ALIFE_MAX_MEMORY", "3G")
    monkeypatch.setenv("ALIFE_MAX_WORK", "1e12")
    assert max_memory() == 3 << 30 and max_work() == 1e12
    with limits(memory="512M", work="none"):
        assert max_memory() == 512 << 20 and max_work() == float("inf")
    assert max_memory() == 3 << 30 and max_work() == 1e12
    assert parse_size("2TB") == 2e12 and parse_size("1.5k") == 1536
    for bad in ("banana", "-1G", "0", "12X"):
        with pytest.raises(ValueError, match="is not a size|more than 0"):
            parse_size(bad)


def test_a_low_limit_refuses_the_smoke_config_and_a_high_one_admits_a_big_one(
        tmp_path, capsys, monkeypatch):
    smoke = ROOT / "experiments" / "smoke" / "evolve.toml"
    attack(tmp_path, capsys, ["evolve", smoke, "--out", tmp_path / "r.h5", "--max-memory", "1M"],
           "smoke", "over the limit of 1 MiB", "--max-memory")
    monkeypatch.setenv("ALIFE_MAX_WORK", "1e6")
    attack(tmp_path, capsys, ["evolve", smoke, "--out", tmp_path / "r.h5"],
           "[model] steps", "operations", "ALIFE_MAX_WORK")
    attack(tmp_path, capsys, ["evolve", smoke, "--out", tmp_path / "r.h5", "--max-work", "x"],
           "--max-work = 'x' is not a positive number")
    monkeypatch.setenv("ALIFE_MAX_MEMORY", "lots")
    attack(tmp_path, capsys, ["evolve", smoke, "--out", tmp_path / "r.h5", "--max-work", "none"],
           "ALIFE_MAX_MEMORY = 'lots' is not a size")
    monkeypatch.delenv("ALIFE_MAX_MEMORY")
    monkeypatch.delenv("ALIFE_MAX_WORK")
    from alife.evolve.config import load_config
    big = write(tmp_path / "big.toml", TINY_EVOLVE.replace("pop_size = 6", "pop_size = 10000000"))
    with limits(memory="1P"):
        assert load_config(big).algorithm["pop_size"] == 10_000_000


def _experiment_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_committed_config_passes_on_a_small_machine(tmp_path):
    """Under a 2 GiB memory limit (a machine of 4 GiB) and the default work
    limit: the shipped examples, the tests' configs and the experiments'
    full-size configs."""
    from alife.bridge.config import check_sizes as bridge_check, load_bridge_config
    from alife.evolve.config import check_sizes as evolve_check, load_config, loads
    from alife.neutral.config import (check_sizes as neutral_check, load_neutral_config,
                                      loads_neutral)
    with limits(memory="2G"):
        load_config(ROOT / "experiments/smoke/evolve.toml")
        load_neutral_config(ROOT / "experiments/smoke/neutral.toml")
        load_bridge_config(ROOT / "experiments/bridge/digits.toml")
        evolve_check(loads(afpo_toml()))
        neutral_check(loads_neutral(TOY_EXHAUSTIVE))
        gecco = _experiment_module(ROOT / "experiments/gecco2024/run.py", "gecco2024_run_sizes")
        for variant in gecco.VARIANTS:
            for arm in gecco.ARMS:
                evolve_check(gecco.make_config(variant, arm, "square", 0))
        hn = _experiment_module(ROOT / "experiments/hnca_neutral/run.py", "hnca_neutral_sizes")
        run = tmp_path / "run.h5"
        run.touch()
        for p in (hn.FULL, hn.QUICK):
            evolve_check(loads(hn.EVOLVE.format(seed=0, target="square", **p)))
            for seeds in (f'run = "{run}"\nbest = 1', "random = 1"):
                neutral_check(loads_neutral(hn.NEUTRAL.format(seed=0, target="square",
                                                              seeds=seeds, **p)))
        pairs = _experiment_module(ROOT / "experiments/bridge/hnca_pairs.py", "hnca_pairs_sizes")
        for p in (pairs.FULL, pairs.QUICK):
            evolve_check(pairs._evolve_config(p, 0))
        bridge_check(load_bridge_config(ROOT / "experiments/bridge/digits.toml"))


# --------------------------------------------------------------------------- bombs
def _gzip_of_zeros(unpacked: int, member: int = 16 << 20) -> bytes:
    """A multi-member gzip stream of ``unpacked`` zero bytes (made in ~0.1 s)."""
    one = gzip.compress(bytes(member), compresslevel=9, mtime=0)
    return one * (unpacked // member)


def test_gzip_bomb_is_refused_after_a_megabyte(tmp_path, capsys):
    """2.2 MB... here 5.7 MB of gzip that unpacks to 5.6 GB of zeros (one endless line)."""
    bomb = write(tmp_path / "bomb.tsv.gz", _gzip_of_zeros(5_600 << 20))
    assert bomb.stat().st_size < 8 << 20
    attack(tmp_path, capsys, ["genonets", bomb, "--alphabet", "RNA", "--tau", "0",
                              "--out", tmp_path / "out"],
           "bomb.tsv.gz", "line 1 is longer than 1 MiB")
    assert not (tmp_path / "out").exists()


def test_gzip_of_many_rows_is_refused_at_the_line_cap(tmp_path, capsys):
    """Valid rows, millions of them, in a small gzip: the line cap (one line
    per 256 bytes of the memory limit) stops the reading."""
    rows = b"Genotypeset\tDelta\tGenotype\tScore\n" + b"A\t0\tACGU\t1\n" * 400_000
    bomb = write(tmp_path / "rows.tsv.gz", gzip.compress(rows, mtime=0))
    attack(tmp_path, capsys, ["genonets", bomb, "--alphabet", "RNA", "--tau", "0",
                              "--out", tmp_path / "out", "--max-memory", "64M"],
           "has more than 262,144 lines", "--max-memory")


def test_gzip_of_long_rows_is_refused_at_the_text_cap(tmp_path, capsys):
    row = b"A\t0\t" + b"A" * 500 + b"\t1\n"
    data = b"Genotypeset\tDelta\tGenotype\tScore\n" + row * 40_000
    bomb = write(tmp_path / "long.tsv.gz", gzip.compress(data, mtime=0))
    attack(tmp_path, capsys, ["genonets", bomb, "--alphabet", "RNA", "--tau", "0",
                              "--out", tmp_path / "out", "--max-memory", "64M"],
           "holds more than 16 MiB of text")


def test_a_neutral_table_map_reads_with_the_same_caps(tmp_path, capsys):
    bomb = write(tmp_path / "bomb.tsv.gz", _gzip_of_zeros(64 << 20))
    cfg = write(tmp_path / "t.toml", 'seed = 0\n[map]\nkind = "table"\nfile = "bomb.tsv.gz"\n'
                                     'alphabet = "RNA"\n[seeds]\ngenotypes = ["ACGU"]\n')
    attack(tmp_path, capsys, ["neutral", cfg, "--out", tmp_path / "net.h5"],
           "line 1 is longer than 1 MiB")


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width x height`` 8-bit grey pixels (a header and a
    token image chunk: decoding it would allocate width x height bytes)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes(90_000))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("name, data, shape", [
    ("bomb.png", _png_header(70_000, 70_000), "(70000, 70000)"),
    ("wide.png", _png_header(64, 1_000_000), "(1000000, 64)"),
])
def test_png_target_is_refused_by_its_header(tmp_path, capsys, name, data, shape):
    """A small PNG that decodes to 4.9 GB is refused by the shape in its header."""
    write(tmp_path / name, data)
    cfg = write(tmp_path / "e.toml", TINY_EVOLVE.replace('target = "square"', f'file = "{name}"'))
    attack(tmp_path, capsys, ["evolve", cfg, "--out", tmp_path / "run.h5"],
           "[task] file", f"has shape {shape}", "expected a bitmap of shape (16, 16)")


def test_npy_and_text_targets_are_refused_before_reading(tmp_path, capsys):
    header = np.lib.format.header_data_from_array_1_0(np.zeros((1, 1), bool))
    header["shape"] = (100_000, 100_000)
    with open(tmp_path / "bomb.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
    write(tmp_path / "big.txt", "#" * (2 << 20))
    for name, what in (("bomb.npy", "has shape (100000, 100000)"),
                       ("big.txt", "more than the text of a 16x16 bitmap")):
        cfg = write(tmp_path / "e.toml",
                    TINY_EVOLVE.replace('target = "square"', f'file = "{name}"'))
        attack(tmp_path, capsys, ["evolve", cfg, "--out", tmp_path / "run.h5"], "[task] file", what)


def test_a_config_file_that_never_ends_is_refused(tmp_path, capsys):
    attack(tmp_path, capsys, ["evolve", "/dev/zero", "--out", tmp_path / "run.h5"],
           "/dev/zero", "config file")


# --------------------------------------------------------------------------- declared sizes
def test_result_file_dataset_that_declares_gigabytes_is_not_read(tmp_path, capsys, toy_net):
    """A NET.h5 with an empty 10**9-element dataset: report refuses it in one
    line instead of allocating 8 GB."""
    net = tmp_path / "net.h5"
    net.write_bytes(toy_net.read_bytes())
    with h5py.File(net, "a") as f:
        f.create_dataset("genotypes/huge", shape=(10 ** 9,), dtype="f8")
    assert net.stat().st_size < 200_000
    attack(tmp_path, capsys, ["report", net, "-o", tmp_path / "r.html"],
           "genotypes/huge", "declares", "stores only")
    from alife.store import RunFileError, read_results
    with pytest.raises(RunFileError, match="genotypes/huge"):
        read_results(net)


def test_compressed_data_alife_writes_still_read(tmp_path):
    """The declared-size check passes the best-compressing real data (zeros)."""
    from alife.store import read_results, write_results
    zeros = np.zeros((4000, 1000))
    write_results(tmp_path / "z.h5", "test", {}, {"a/zeros": zeros}, compress=True)
    assert (tmp_path / "z.h5").stat().st_size < 200_000
    _, arrays = read_results(tmp_path / "z.h5")
    assert arrays["a/zeros"].shape == (4000, 1000) and not arrays["a/zeros"].any()


def test_run_file_reads_are_checked_against_what_is_stored(tmp_path, tiny_run):
    from alife.store import RunFile, RunFileError
    from alife.store.sizes import check_read
    with RunFile.open(tiny_run) as run:
        assert run.read("loss").shape[0] == 2          # real rows pass
    with h5py.File(tmp_path / "x.h5", "w") as f:
        ds = f.create_dataset("loss", shape=(10 ** 6, 1000), chunks=(1, 1000), dtype="f8")
        ds[0] = 1.0
        check_read(ds, "x.h5", 1000)                    # the stored row
        with pytest.raises(RunFileError, match=r"x.h5: dataset loss declares"):
            check_read(ds, "x.h5")


# --------------------------------------------------------------------------- genonets paths
@pytest.mark.parametrize("evil", ["../../escaped", "/ABSOLUTE/victim", "sub/dir", "..\\win"])
def test_genonets_set_names_cannot_leave_out(tmp_path, capsys, evil):
    if evil.startswith("/"):
        evil = str(tmp_path / "victim")     # an absolute path inside the snapshotted tree
    rows = f"Genotypeset\tDelta\tGenotype\tScore\nA\t0\tAAA\t1\nA\t0\tAAC\t1\n{evil}\t0\tCCC\t1\n"
    inp = write(tmp_path / "in.tsv", rows)
    out = tmp_path / "a" / "b" / "out"
    attack(tmp_path, capsys, ["genonets", inp, "--alphabet", "RNA", "--tau", "0", "--out", out],
           "genotype set", "has a path separator", "rename the set")
    assert not out.exists()


def test_genonets_result_files_that_would_clash_are_refused(tmp_path, capsys):
    rows = ("Genotypeset\tDelta\tGenotype\tScore\nA\t0\tAAA\t1\nA\t0\tAAC\t1\n"
            "phenotype_network\t0\tAAG\t1\n")
    inp = write(tmp_path / "in.tsv", rows)
    attack(tmp_path, capsys, ["genonets", inp, "--alphabet", "RNA", "--tau", "0", "--out",
                              tmp_path / "out"],
           "'phenotype_network.gml'", "rename that genotype set")
    assert not (tmp_path / "out").exists()


def test_genonets_never_writes_through_a_planted_link(tmp_path, capsys):
    rows = "Genotypeset\tDelta\tGenotype\tScore\nA\t0\tAAA\t1\nA\t0\tAAC\t1\nB\t0\tCCC\t1\n"
    inp = write(tmp_path / "in.tsv", rows)
    victim = write(tmp_path / "victim.txt", "precious\n")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / "in_params.tsv")
    # refused when the file is opened, after the analysis (which may compile its
    # kernels first on a fresh checkout): the time limit is for refusals before work
    attack(tmp_path, capsys, ["genonets", inp, "--alphabet", "RNA", "--tau", "0", "--out", out,
                              "--force"], "in_params.tsv", "symbolic link", out="out",
           seconds=300)
    assert victim.read_text() == "precious\n"


def test_genonets_ordinary_odd_names_still_work(tmp_path, capsys):
    """Spaces, dots, unicode and a leading dash are plain file names: written as given."""
    names = ["a b", "..x", "é-1", "-dash"]
    rows = "Genotypeset\tDelta\tGenotype\tScore\n" + "".join(
        f"{n}\t0\t{g}\t1\n" for n, g in zip(names, ["AAA", "CCC", "GGG", "UUU"]))
    inp = write(tmp_path / "in.tsv", rows)
    out = tmp_path / "out"
    before = snapshot(tmp_path)
    assert main(["genonets", str(inp), "--alphabet", "RNA", "--tau", "0", "--out", str(out)]) == 0
    capsys.readouterr()
    assert changed(before, snapshot(tmp_path), "out") == []
    for n in names:
        assert (out / f"{n}.gml").is_file() and (out / f"{n}_genotype_measures.tsv").is_file()


# --------------------------------------------------------------------------- figures in the way
def test_plot_does_not_overwrite_figures_without_force(tmp_path, capsys, tiny_run):
    out = tmp_path / "figs"
    old = write(out / "best.png", b"my own figure")
    other = write(out / "notes.txt", "keep")
    attack(tmp_path, capsys, ["plot", tiny_run, "--out", out], "best.png already exists", "--force")
    assert main(["plot", str(tiny_run), "--out", str(out), "--force"]) == 0
    capsys.readouterr()
    assert old.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and other.read_text() == "keep"
    for name in ("loss.png", "filmstrip.png", "mutations.png"):
        assert (out / name).is_file()


def test_plot_of_a_bridge_file_checks_its_figures_first(tmp_path, capsys):
    """Refused before the (here fake) BRIDGE.h5 is read: a plane figure of any pair counts."""
    fake = tmp_path / "b.h5"
    with h5py.File(fake, "w") as f:
        f.attrs["kind"] = "bridge"
    write(tmp_path / "figs" / "plane_pair7.png", b"x")
    attack(tmp_path, capsys, ["plot", fake, "--out", tmp_path / "figs"],
           "plane_pair7.png already exists")


def test_plot_refuses_a_link_in_place_of_a_figure_even_with_force(tmp_path, capsys, tiny_run):
    victim = write(tmp_path / "victim.png", b"precious")
    (tmp_path / "figs").mkdir()
    os.symlink(victim, tmp_path / "figs" / "loss.png")
    attack(tmp_path, capsys, ["plot", tiny_run, "--out", tmp_path / "figs", "--force"],
           "loss.png exists and is not a regular file")


def test_neutral_does_not_overwrite_figures_without_force(tmp_path, capsys):
    cfg = write(tmp_path / "toy.toml", TOY_EXHAUSTIVE)
    figs = tmp_path / "figs"
    write(figs / "rank_frequency.png", b"mine")
    attack(tmp_path, capsys, ["neutral", cfg, "--out", tmp_path / "net.h5", "--figs", figs],
           "rank_frequency.png already exists", "--figs")
    assert not (tmp_path / "net.h5").exists()
    (figs / "rank_frequency.png").unlink()
    write(figs / "network3.graphml", b"mine")
    attack(tmp_path, capsys, ["neutral", cfg, "--out", tmp_path / "net.h5", "--figs", figs],
           "network3.graphml already exists")
    assert main(["neutral", str(cfg), "--out", str(tmp_path / "net.h5"), "--figs", str(figs),
                 "--force"]) == 0
    capsys.readouterr()
    assert (figs / "rank_frequency.png").read_bytes()[:4] == b"\x89PNG"


def test_neutral_creates_the_parent_folders_of_out(tmp_path, capsys):
    cfg = write(tmp_path / "toy.toml", TOY_EXHAUSTIVE)
    before = snapshot(tmp_path)
    assert main(["neutral", str(cfg), "--out", str(tmp_path / "new" / "dir" / "x.h5")]) == 0
    capsys.readouterr()
    assert (tmp_path / "new" / "dir" / "x.h5").is_file()
    assert (tmp_path / "new" / "dir" / "x_figs" / "rank_frequency.png").is_file()
    assert changed(before, snapshot(tmp_path), "new") == []


# --------------------------------------------------------------------------- out of memory
def test_memory_error_is_one_line_and_leaves_no_run_file(tmp_path, capsys, monkeypatch):
    """The first batch's evaluation runs out of memory: one line, exit 2, and
    no 0-generation run file (the file is created after the first batch)."""
    from alife.tasks import Task

    def no_memory(*a, **k):
        raise MemoryError("Unable to allocate 4.8 TiB")
    monkeypatch.setattr(Task, "evaluate", no_memory)
    cfg = write(tmp_path / "e.toml", TINY_EVOLVE)
    attack(tmp_path, capsys, ["evolve", cfg, "--out", tmp_path / "run.h5"],
           "alife evolve: error: out of memory", "smaller sizes")
    assert not (tmp_path / "run.h5").exists()


def test_memory_error_in_any_command_is_one_line(tmp_path, capsys, monkeypatch, toy_net):
    import alife.report

    def no_memory(*a, **k):
        raise MemoryError()
    monkeypatch.setattr(alife.report, "write_report", no_memory)
    attack(tmp_path, capsys, ["report", toy_net, "-o", tmp_path / "r.html"],
           "alife report: error: out of memory")
