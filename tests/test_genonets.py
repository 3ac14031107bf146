"""Parity of alife.neutral.genonets with genonets 2.0 (committed fixture outputs)
and the bad-input errors of alife.gpmap.table."""
from __future__ import annotations

import ast
import gzip
import math
from pathlib import Path

import pytest

from alife.gpmap.table import TableMap
from alife.neutral.genonets import run_genonets

FIX = Path(__file__).parent / "fixtures" / "genonets"

#: case -> (input case, alphabet, tau, include_indels, use_all_components)
CASES = {
    "sample": ("sample", "DNA", 0.35, True, False),
    "sample_all_components": ("sample", "DNA", 0.35, True, True),
    "binary14": ("binary14", "Binary", 0.0, False, False),
    "dna7_indels_tau": ("dna7_indels_tau", "DNA", 0.25, True, False),
    "rna7": ("rna7", "RNA", 0.0, False, False),
    "protein4": ("protein4", "Protein", 0.1, False, False),
    "tiny_edge": ("tiny_edge", "DNA", 0.0, False, False),
    "single_set": ("single_set", "DNA", 0.0, False, False),
}

TOL = 1e-9


# ---------------------------------------------------------------------------------------------
# readers / comparators

def _read(path: Path) -> str:
    if path.suffix == ".gz":
        with gzip.open(path, "rt") as f:
            return f.read()
    return path.read_text()


def _files(d: Path) -> dict[str, Path]:
    out = {}
    for p in d.iterdir():
        name = p.name[:-3] if p.name.endswith(".gz") else p.name
        out[name] = p
    return out


def _num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def _same(a, b, where=""):
    """Recursive equality: numbers to TOL (NaN == NaN), dicts order-free."""
    if isinstance(a, bool) or isinstance(b, bool):
        assert a == b, where
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(a) or math.isnan(b):
            assert math.isnan(a) and math.isnan(b), f"{where}: {a!r} != {b!r}"
        else:
            assert abs(a - b) <= TOL * max(1.0, abs(a), abs(b)), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), f"{where}: keys {sorted(map(str, a))} != {sorted(map(str, b))}"
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), f"{where}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _cell(col: str, s: str):
    """Parse one TSV cell: number, Python literal or plain string.  genonets
    writes 'Peaks' member lists in hash order: compare them as sets."""
    x = _num(s)
    if x is not None:
        return x
    if s in ("None",):
        return None
    try:
        v = ast.literal_eval(s)
    except (ValueError, SyntaxError):
        return s
    if col == "Peaks":
        v = {k: sorted(m) for k, m in v.items()}
    return v


def _compare_tsv(ours: str, ref: str, what: str, key_col=0):
    lo, lr = ours.split("\n"), ref.split("\n")
    assert lo[0] == lr[0], f"{what}: header differs\n{lo[0]}\n{lr[0]}"
    cols = lr[0].split("\t")
    ro = [l for l in lo[1:] if l]
    rr = [l for l in lr[1:] if l]
    assert len(ro) == len(rr), f"{what}: {len(ro)} rows != {len(rr)}"
    for a, b in zip(ro, rr):
        if a == b:
            continue
        ca, cb = a.split("\t"), b.split("\t")
        assert len(ca) == len(cb), f"{what}: row width differs: {a[:80]}"
        assert ca[key_col] == cb[key_col], f"{what}: row key {ca[key_col]} != {cb[key_col]}"
        for c, x, y in zip(cols, ca, cb):
            if x == y:
                continue
            _same(_cell(c, x), _cell(c, y), f"{what} {ca[key_col]} {c}")


def _gml_value(t: str):
    if t.startswith('"'):
        return t[1:-1]
    return float(t)


def _parse_gml(text: str):
    """Parse igraph's GML (one ``key value`` per line) into
    (directed, graph attrs, {id: node attrs}, {edge: edge attrs}); values stay
    raw strings (compared as text first, as numbers only when the text differs)."""
    attrs, nodes, edges = {}, {}, {}
    directed = False
    cur = None
    kind = None
    depth = 0
    for line in text.splitlines():
        line = line.strip()
        if line == "[":
            depth += 1
            continue
        if line == "]":
            depth -= 1
            if depth == 1 and cur is not None:
                if kind == "node":
                    nodes[int(cur.pop("id"))] = cur
                else:
                    e = (int(cur.pop("source")), int(cur.pop("target")))
                    edges[e] = cur
                cur = None
            continue
        if depth == 1 and line in ("node", "edge"):
            kind, cur = line, {}
            continue
        if not line:
            continue
        k, _, v = line.partition(" ")
        if depth == 2 and cur is not None:
            cur[k] = v
        elif depth == 1:
            if k == "directed":
                directed = v == "1"
            else:
                attrs[k] = v
    if not directed:
        edges = {frozenset(e): d for e, d in edges.items()}
    return directed, attrs, nodes, edges


def _gml_same(a: dict, b: dict, where: str):
    if a == b:
        return
    _same({k: _gml_value(v) for k, v in a.items()}, {k: _gml_value(v) for k, v in b.items()}, where)


def _compare_gml(ours: str, ref: str, what: str):
    do, ao, no, eo = _parse_gml(ours)
    dr, ar, nr, er = _parse_gml(ref)
    assert do == dr, f"{what}: directedness"
    _gml_same(ao, ar, f"{what} graph attributes")
    assert len(no) == len(nr), f"{what}: {len(no)} nodes != {len(nr)}"
    for i in nr:
        _gml_same(no[i], nr[i], f"{what} node {i}")
    assert set(eo) == set(er), f"{what}: edge sets differ ({len(eo)} vs {len(er)})"
    for e in er:
        _gml_same(eo[e], er[e], what + " edge")


def compare_dirs(ours: Path, ref: Path):
    fo, fr = _files(ours), _files(ref)
    assert set(fo) == set(fr), f"file sets differ: only ours {set(fo) - set(fr)}, only genonets {set(fr) - set(fo)}"
    for name, pr in sorted(fr.items()):
        a, b = _read(fo[name]), _read(pr)
        if name == "in_params.tsv":
            skip = ("Genonets input file:", "Output path:")
            la = [l for l in a.splitlines() if not l.startswith(skip)]
            lb = [l for l in b.splitlines() if not l.startswith(skip)]
            assert la == lb, name
        elif name == "Genotype_set_overlap.tsv":
            assert a == b, name
        elif name.endswith(".tsv"):
            _compare_tsv(a, b, name)
        elif name.endswith(".gml"):
            _compare_gml(a, b, name)
        else:  # pragma: no cover
            raise AssertionError(f"unexpected file {name}")


def _input(case: str) -> Path:
    d = FIX / case
    for n in ("input.tsv", "input.tsv.gz", "input.csv"):
        if (d / n).exists():
            return d / n
    raise FileNotFoundError(d)


# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", list(CASES))
def test_parity_with_genonets(case, tmp_path):
    src, alphabet, tau, indels, allc = CASES[case]
    out = tmp_path / "out"
    res = run_genonets(_input(src), alphabet, tau, out, include_indels=indels, use_all_components=allc)
    assert res["sets"] and res["files"]
    compare_dirs(out, FIX / case / "genonets_output")


def test_refuses_nonempty_out_dir(tmp_path):
    (tmp_path / "x").write_text("keep")
    with pytest.raises(ValueError, match="not empty"):
        run_genonets(_input("sample"), "DNA", 0.35, tmp_path)
    res = run_genonets(_input("sample"), "DNA", 0.35, tmp_path, force=True, include_indels=True)
    assert (tmp_path / "Genotype_set_measures.tsv").exists() and res["seconds"] >= 0


def test_reverse_complements_not_supported(tmp_path):
    with pytest.raises(ValueError, match="use_reverse_complements"):
        run_genonets(_input("sample"), "DNA", 0.35, tmp_path / "o", use_reverse_complements=True)


# ---------------------------------------------------------------------------------------------
# TableMap

def _write(tmp_path, text, name="in.tsv"):
    p = tmp_path / name
    p.write_text(text)
    return p


HDR = "Genotypeset\tDelta\tGenotype\tScore\n"


def test_tablemap_parses_and_filters(tmp_path):
    p = _write(tmp_path, HDR + "A\t0.1\tACGT\t0.5\nA\t0.1\tACGA\t0.2\nB\tx\tACGG\t0.1\n"
               "B\t0.2\tACGC\t0.9\nA\t0.1\tACGT\t0.7\n\t\t\t\n")
    tm = TableMap(p, "DNA", 0.3)
    assert tm.set_names == ["A", "B"]
    assert tm.deltas == {"A": 0.1, "B": 0.2}       # B's first *kept* row gives its delta
    assert tm.set_genotypes["A"] == ["ACGT"]
    assert tm.set_scores["A"].tolist() == [0.7]     # later duplicate overwrites the score
    ids = tm.phenotypes(tm.space.encode(["ACGT", "ACGC", "AAAA"]))
    assert tm.label(ids[0]) == "A" and tm.label(ids[1]) == "B" and ids[2] == -1


@pytest.mark.parametrize("text, alphabet, pattern", [
    ("", "DNA", r"is empty; it needs the header line"),
    ("Genotypeset\tDelta\tGenotype\n", "DNA", r"lacks column\(s\) Score"),
    ("foo\tbar\n", "DNA", r"lacks column\(s\) Genotypeset, Delta, Genotype, Score"),
    (HDR + "A\t0.1\tACGT\t0.5\n", "Dna", r"unknown alphabet 'Dna'; use one of RNA, DNA, Protein, Binary"),
    (HDR + "A\t0.1\tACGT\t0.5\nA\t0.1\tACG\t0.5\n", "DNA",
     r"line 3: genotype 'ACG' has length 3 but the first genotype has length 4"),
    (HDR + "A\t0.1\tACGU\t0.5\n", "DNA", r"line 2: genotype 'ACGU' has letter 'U' outside the DNA alphabet"),
    (HDR + "A\t0.1\tACGT\tabc\n", "DNA", r"line 2: Score 'abc' is not a number"),
    (HDR + "A\tx\tACGT\t0.5\n", "DNA", r"line 2: Delta 'x' is not a number"),
    (HDR + "A\t0.1\t\t0.5\n", "DNA", r"line 2: missing value in column Genotype"),
    (HDR + "A\t0.1\tACGT\t0.1\n", "DNA", r"no genotype in .* has Score >= tau=0.5"),
])
def test_tablemap_bad_input(tmp_path, text, alphabet, pattern):
    p = _write(tmp_path, text)
    with pytest.raises(ValueError, match=pattern) as e:
        TableMap(p, alphabet, 0.5 if "tau=0.5" in pattern else 0.0)
    assert "\n" not in str(e.value)


def test_tablemap_missing_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        TableMap(tmp_path / "nope.tsv", "DNA", 0)


# --------------------------------------------------------------------- the command
def test_cli_writes_genonets_files_and_reports_bad_input(tmp_path, capsys):
    from alife.cli import main

    out = tmp_path / "out"
    assert main(["genonets", str(_input("sample")), "--alphabet", "DNA", "--tau", "0.35",
                 "--include-indels", "--out", str(out)]) == 0
    compare_dirs(out, FIX / "sample" / "genonets_output")
    capsys.readouterr()
    # an existing result folder is never overwritten without --force
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["genonets", str(_input("sample")), "--alphabet", "DNA", "--tau", "0.35",
                 "--out", str(out)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    bad = tmp_path / "bad.tsv"
    bad.write_text("Genotypeset\tDelta\tGenotype\tScore\nA\t0.1\tACGU\t1\nA\t0.1\tACG\t1\n")
    for alphabet in ("RNA", "RNAA"):
        assert main(["genonets", str(bad), "--alphabet", alphabet, "--tau", "0",
                     "--out", str(tmp_path / "o2")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not (tmp_path / "o2").exists() or not any((tmp_path / "o2").iterdir())
