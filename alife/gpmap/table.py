"""A GP map read from a genonets input file (:class:`TableMap`).

The genonets 2.0 input format (Khalid, Aguilar-Rodriguez & Wagner, NAR 2016)
is a tab-separated table with the header columns ``Genotypeset``, ``Delta``,
``Genotype`` and ``Score`` (extra columns are allowed and ignored).  Each row
says that ``Genotype`` belongs to the genotype set (phenotype) ``Genotypeset``
with score ``Score``; ``Delta`` is the set's noise threshold used by the peak,
path and epistasis analyses.

Parsing follows genonets' ``InReader.build_data_dicts`` exactly:

* a row whose columns are all empty is skipped; any other row with an empty
  required column is an error;
* every row's ``Score`` must be a number; rows with ``Score < tau`` are dropped
  (kept iff ``Score >= tau``) *before* anything else about them is checked, so
  a dropped row's genotype and delta are never validated (genonets does the same);
* the set's ``Delta`` is read from its first kept row only;
* all kept genotypes must have the length of the first kept genotype and use
  only letters of the alphabet;
* within a set the genotype order is first-appearance order; a genotype listed
  twice in one set keeps its first position and its *last* score;
* the set order is the order in which sets first appear among kept rows;
* no kept row at all is an error.

Every problem raises :class:`ValueError` with a one-line message that names
the problem and the fix.  :func:`table_map` is registered as map kind
``"table"`` (``alife.gpmap.make("table", file=..., alphabet="RNA", tau=0.0)``).
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from .base import ALPHABETS, DiscreteSpace, GPMap, label_id
from .registry import register

__all__ = ["TableMap", "table_map", "REQUIRED_COLUMNS"]

#: The columns a genonets input file must have.
REQUIRED_COLUMNS = ("Genotypeset", "Delta", "Genotype", "Score")


def _read_text(path) -> str:
    p = Path(path)
    if not p.exists():
        raise ValueError(f"genonets input file {str(p)!r} does not exist; give the path of a "
                         f"tab-separated Genotypeset/Delta/Genotype/Score file")
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rt", encoding="utf-8", newline="") as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"genonets input file {str(p)!r} is not UTF-8 text (byte {e.start}); "
                         f"save it as UTF-8 tab-separated text") from None
    except (OSError, EOFError, zlib.error) as e:
        # a folder, no permission, a .gz file that is not (or not all) gzip data
        what = "a readable gzip file" if p.suffix == ".gz" else "a readable file"
        raise ValueError(f"genonets input file {str(p)!r} is not {what}: "
                         f"{' '.join(str(e).split()) or type(e).__name__}") from None


def _check_alphabet(alphabet: str) -> str:
    if alphabet not in ALPHABETS:
        raise ValueError(f"unknown alphabet {alphabet!r}; use one of "
                         f"{', '.join(ALPHABETS)} (case-sensitive, as in genonets)")
    return ALPHABETS[alphabet]


def _parse(text: str, path: str, alphabet: str, letters: str, tau: float):
    """genonets' InReader.build_data_dicts on the text of an input file:
    ``(set -> genotype -> score, set -> delta, L)`` of the rows kept."""
    lines = text.splitlines()
    start = 0  # the header is the first line, as for csv.DictReader
    if not text.strip():
        raise ValueError(f"genonets input file {path!r} is empty; it needs the header line "
                         f"'Genotypeset<TAB>Delta<TAB>Genotype<TAB>Score' and one row per genotype")
    header = lines[start].split("\t")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"genonets input file {path!r} lacks column(s) {', '.join(missing)} in its "
                         f"header; the first line must name the tab-separated columns "
                         f"Genotypeset, Delta, Genotype, Score")
    col = {c: header.index(c) for c in REQUIRED_COLUMNS}
    ncol = len(header)
    alpha_set = set(letters)
    data: dict[str, dict[str, float]] = {}
    deltas: dict[str, float] = {}
    L = 0
    for lineno0 in range(start + 1, len(lines)):
        line = lines[lineno0]
        if line == "":
            continue
        fields = line.split("\t")
        if len(fields) < ncol:
            fields = fields + [""] * (ncol - len(fields))
        head = fields[:ncol]
        lineno = lineno0 + 1
        if "" in head:                      # (a quick test first: most rows have no empty cell)
            if all(v == "" for v in head):
                continue
            empty = [header[i] for i, v in enumerate(head) if v == ""]
            raise ValueError(f"line {lineno}: missing value in column {empty[0]}; every row needs "
                             f"a Genotypeset, Delta, Genotype and Score")
        s = fields[col["Score"]]
        try:
            score = float(s)
        except ValueError:
            raise ValueError(f"line {lineno}: Score {s!r} is not a number; write scores as "
                             f"decimal numbers") from None
        if not score >= tau:
            continue
        name = fields[col["Genotypeset"]]
        if name not in data:
            d = fields[col["Delta"]]
            try:
                deltas[name] = float(d)
            except ValueError:
                raise ValueError(f"line {lineno}: Delta {d!r} is not a number; write each set's "
                                 f"delta as a decimal number") from None
            data[name] = {}
        g = fields[col["Genotype"]]
        if L == 0:
            L = len(g)
        if len(g) != L:
            raise ValueError(f"line {lineno}: genotype {g!r} has length {len(g)} but the first "
                             f"genotype has length {L}; all genotypes must have the same length")
        if not alpha_set.issuperset(g):
            bad = next(c for c in g if c not in alpha_set)
            raise ValueError(f"line {lineno}: genotype {g!r} has letter {bad!r} outside the "
                             f"{alphabet} alphabet {letters}; fix the genotype or choose the "
                             f"right alphabet")
        data[name][g] = score
    if not data:
        raise ValueError(f"no genotype in {path!r} has Score >= tau={tau}; lower tau or "
                         f"check the Score column")
    return data, deltas, L


class TableMap(GPMap):
    """GP map given by a genonets input table.

    Parameters
    ----------
    path : str or Path
        The genonets input file (``.gz`` is read compressed).
    alphabet : {"RNA", "DNA", "Protein", "Binary"}
    tau : float
        Score threshold: a row is kept iff ``Score >= tau``.

    Attributes
    ----------
    space : DiscreteSpace
        Length ``L`` of the genotypes, letters of ``alphabet``.
    set_names : list of str
        Genotype sets in first-appearance order.
    deltas : dict str -> float
        Each set's ``Delta`` (from its first kept row).
    set_genotypes : dict str -> list of str
        Each set's genotypes in genonets' order (first appearance).
    set_scores : dict str -> numpy.ndarray
        Scores aligned with ``set_genotypes``.

    The phenotype of a genotype is the set it belongs to: ``label_id(name)``
    of the *first* set (in :attr:`set_names` order) that lists it, ``-1`` if
    none does (genonets allows a genotype in several sets; a GP map has one
    phenotype per genotype).
    """

    name = "table"

    def __init__(self, path, alphabet: str, tau: float = 0.0):
        super().__init__()
        letters = _check_alphabet(alphabet)
        try:
            tau = float(tau)
        except (TypeError, ValueError):
            raise ValueError(f"tau {tau!r} is not a number; give the minimum score as a number") from None
        self.alphabet_name = alphabet
        self.tau = tau
        self.path = str(path)
        data, deltas, L = _parse(_read_text(path), self.path, alphabet, letters, tau)
        self.space = DiscreteSpace(L, len(letters), letters)
        self.set_names = list(data)
        self.deltas = deltas
        self.set_genotypes = {k: list(v) for k, v in data.items()}
        self.set_scores = {k: np.fromiter(v.values(), np.float64, len(v)) for k, v in data.items()}
        self._ids = {k: label_id(k) for k in self.set_names}
        self._labels = {v: k for k, v in self._ids.items()}
        self._first: dict[str, int] | None = None     # genotype -> phenotype, built on first use

    def _phenotypes(self, genotypes: np.ndarray) -> np.ndarray:
        if self._first is None:
            first: dict[str, int] = {}
            for k in reversed(self.set_names):
                for g in self.set_genotypes[k]:
                    first[g] = self._ids[k]
            self._first = first
        texts = self.space.decode(genotypes)
        return np.array([self._first.get(t, -1) for t in texts], np.int64)

    def label(self, pid: int) -> str:
        return self._labels.get(int(pid), str(int(pid)))

    def set_array(self, name: str) -> np.ndarray:
        """(n, L) uint8 letter indices of set ``name``'s genotypes, genonets order."""
        gs = self.set_genotypes[name]
        lut = np.zeros(256, np.uint8)
        for i, c in enumerate(self.space.alphabet):
            lut[ord(c)] = i
        raw = np.frombuffer("".join(gs).encode("ascii"), np.uint8)
        return lut[raw].reshape(len(gs), self.space.L)


@register("table")
def table_map(file, alphabet: str, tau: float = 0.0) -> TableMap:
    """The :class:`TableMap` of genonets input ``file`` (map kind ``"table"``)."""
    return TableMap(file, alphabet=alphabet, tau=tau)
