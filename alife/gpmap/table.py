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
the problem and the fix.

The file is read in blocks, never whole (a ``.gz`` file is decompressed as
it is read), and reading stops with that one-line error at a line longer
than :data:`MAX_LINE_BYTES` (1 MiB: a gzip of zeros is refused after a
megabyte), or past the caps of :func:`input_caps`: a quarter of the memory
limit of decompressed text, and one line per 256 bytes of the memory limit
(the limit is half of the machine's memory unless ``--max-memory`` or
``ALIFE_MAX_MEMORY`` set it, see :mod:`alife.config.limits`).

:func:`table_map` is registered as map kind ``"table"``
(``alife.gpmap.make("table", file=..., alphabet="RNA", tau=0.0)``).
"""
from __future__ import annotations

import codecs
import gzip
import zlib
from pathlib import Path

import numpy as np

from ..config.limits import MEMORY_ENV, format_bytes, max_memory
from .base import ALPHABETS, DiscreteSpace, GPMap, label_id
from .registry import register

__all__ = ["TableMap", "table_map", "REQUIRED_COLUMNS", "MAX_LINE_BYTES", "input_caps",
           "genotype_length"]

#: The columns a genonets input file must have.
REQUIRED_COLUMNS = ("Genotypeset", "Delta", "Genotype", "Score")


#: Longest line a genonets input file may have (a row is four short columns).
MAX_LINE_BYTES = 1 << 20
_BLOCK = 1 << 16


def input_caps() -> tuple[float, float]:
    """``(bytes, lines)``: the most text (decompressed) and lines a genonets
    input file may hold: a quarter of the memory limit
    (:func:`alife.config.limits.max_memory`) and one line per 256 bytes of it
    (what a parsed row costs at least)."""
    limit = max_memory()
    return limit / 4, limit / 256


def _too_big(p: Path, what: str) -> ValueError:
    return ValueError(f"genonets input file {str(p)!r} {what}; split it into smaller files, or "
                      f"raise the limit with --max-memory or {MEMORY_ENV} (the input may hold "
                      f"a quarter of it)")


def _blocks(p: Path):
    """The file's (decompressed) bytes in blocks, with one-line errors."""
    opener = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as f:
            while True:
                block = f.read(_BLOCK)
                if not block:
                    return
                yield block
    except (OSError, EOFError, zlib.error) as e:
        # a folder, no permission, a .gz file that is not (or not all) gzip data
        what = "a readable gzip file" if p.suffix == ".gz" else "a readable file"
        raise ValueError(f"genonets input file {str(p)!r} is not {what}: "
                         f"{' '.join(str(e).split()) or type(e).__name__}") from None


def _read_lines(path):
    """The lines of a genonets input file, as ``str.splitlines`` of its text
    would give them, read in blocks (``.gz`` decompressed as it is read).

    The text is never held whole: reading stops with a one-line ValueError
    at a line longer than :data:`MAX_LINE_BYTES`, or past the caps of
    :func:`input_caps` (decompressed bytes, lines), so a small gzip that
    unpacks to gigabytes is refused after a megabyte or so.
    """
    p = Path(path)
    if not p.exists():
        raise ValueError(f"genonets input file {str(p)!r} does not exist; give the path of a "
                         f"tab-separated Genotypeset/Delta/Genotype/Score file")
    max_bytes, max_lines = input_caps()
    decoder = codecs.getincrementaldecoder("utf-8")()
    carry, n_bytes, n_lines = "", 0, 0
    for block in _blocks(p):
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(block)
        except UnicodeDecodeError as e:
            raise ValueError(f"genonets input file {str(p)!r} is not UTF-8 text (byte "
                             f"{n_bytes - pending + e.start}); save it as UTF-8 tab-separated "
                             f"text") from None
        n_bytes += len(block)
        if n_bytes > max_bytes:
            raise _too_big(p, f"holds more than {format_bytes(max_bytes)} of text")
        full = carry + text
        ends = full.splitlines(keepends=True)
        carry = ends.pop() if ends else ""
        lines = full.splitlines()       # the same lines without their ends
        del lines[len(ends):]
        if len(carry) > MAX_LINE_BYTES:
            raise ValueError(f"genonets input file {str(p)!r}: line {n_lines + 1} is longer than "
                             f"{format_bytes(MAX_LINE_BYTES)}; a genonets row is Genotypeset, "
                             f"Delta, Genotype and Score separated by tabs (is this a genonets "
                             f"input file?)")
        n_lines += len(lines)
        if n_lines > max_lines:
            raise _too_big(p, f"has more than {max_lines:,.0f} lines")
        yield from lines
    try:
        text = decoder.decode(b"", final=True)
    except UnicodeDecodeError as e:
        raise ValueError(f"genonets input file {str(p)!r} is not UTF-8 text (byte "
                         f"{n_bytes - len(decoder.getstate()[0]) + e.start}); save it as UTF-8 "
                         f"tab-separated text") from None
    for line in (carry + text).splitlines():
        yield line


def genotype_length(path) -> int | None:
    """The length of the first genotype of a genonets input file (None when
    there is none), reading only as far as that row."""
    lines = _read_lines(path)
    try:
        header = next(lines).split("\t")
        if "Genotype" not in header:
            return None
        col = header.index("Genotype")
        for line in lines:
            fields = line.split("\t")
            if len(fields) > col and fields[col]:
                return len(fields[col])
    except StopIteration:
        pass
    finally:
        lines.close()
    return None


def _check_alphabet(alphabet: str) -> str:
    if alphabet not in ALPHABETS:
        raise ValueError(f"unknown alphabet {alphabet!r}; use one of "
                         f"{', '.join(ALPHABETS)} (case-sensitive, as in genonets)")
    return ALPHABETS[alphabet]


def _parse(lines, path: str, alphabet: str, letters: str, tau: float):
    """genonets' InReader.build_data_dicts on the lines of an input file
    (:func:`_read_lines`): ``(set -> genotype -> score, set -> delta, L)`` of
    the rows kept."""
    lines = iter(lines)
    first = next(lines, None)  # the header is the first line, as for csv.DictReader
    empty = ValueError(f"genonets input file {path!r} is empty; it needs the header line "
                       f"'Genotypeset<TAB>Delta<TAB>Genotype<TAB>Score' and one row per genotype")
    if first is None:
        raise empty
    header = first.split("\t")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        if not first.strip() and all(not line.strip() for line in lines):
            raise empty
        raise ValueError(f"genonets input file {path!r} lacks column(s) {', '.join(missing)} in its "
                         f"header; the first line must name the tab-separated columns "
                         f"Genotypeset, Delta, Genotype, Score")
    col = {c: header.index(c) for c in REQUIRED_COLUMNS}
    i_score, i_set, i_delta, i_geno = (col["Score"], col["Genotypeset"], col["Delta"],
                                       col["Genotype"])
    ncol = len(header)
    alpha_set = set(letters)
    data: dict[str, dict[str, float]] = {}
    deltas: dict[str, float] = {}
    L = 0
    for lineno, line in enumerate(lines, start=2):
        if line == "":
            continue
        fields = line.split("\t")
        if len(fields) != ncol:      # the usual row has exactly the header's columns
            if len(fields) < ncol:
                fields = fields + [""] * (ncol - len(fields))
            head = fields[:ncol]
        else:
            head = fields
        if "" in head:
            if all(v == "" for v in head):
                continue
            empty = header[head.index("")]
            raise ValueError(f"line {lineno}: missing value in column {empty}; every row needs "
                             f"a Genotypeset, Delta, Genotype and Score")
        s = fields[i_score]
        try:
            score = float(s)
        except ValueError:
            raise ValueError(f"line {lineno}: Score {s!r} is not a number; write scores as "
                             f"decimal numbers") from None
        if not score >= tau:
            continue
        name = fields[i_set]
        if name not in data:
            d = fields[i_delta]
            try:
                deltas[name] = float(d)
            except ValueError:
                raise ValueError(f"line {lineno}: Delta {d!r} is not a number; write each set's "
                                 f"delta as a decimal number") from None
            data[name] = {}
        g = fields[i_geno]
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
        data, deltas, L = _parse(_read_lines(path), self.path, alphabet, letters, tau)
        self.space = DiscreteSpace(L, len(letters), letters)
        self.set_names = list(data)
        self.deltas = deltas
        self.set_genotypes = {k: list(v) for k, v in data.items()}
        self.set_scores = {k: np.fromiter(v.values(), np.float64, len(v)) for k, v in data.items()}
        self._ids = {k: label_id(k) for k in self.set_names}
        self._labels = {v: k for k, v in self._ids.items()}
        first: dict[str, int] = {}
        for k in reversed(self.set_names):
            for g in data[k]:
                first[g] = self._ids[k]
        self._first = first

    def _phenotypes(self, genotypes: np.ndarray) -> np.ndarray:
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
