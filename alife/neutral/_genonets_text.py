"""Text kernels of the genonets port: result files assembled as bytes.

A file body is a table: one block of text per row, each block the
concatenation of its columns, each column ``prefix + value + suffix``.  A
value is an integer (written in decimal) or a *piece*: an entry of a piece
table, i.e. bytes ``pieces[at[p]:at[p + 1]]`` (pre-formatted numbers, genotype
strings, Python reprs of lists and dicts).  A piece index of ``-1`` leaves the
whole column out of that row (igraph leaves NaN attributes out of GML files).

:class:`Table` collects the columns in Python and :func:`emit` writes every
row in one compiled pass, so a file of millions of lines costs no Python
string per cell.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .._numba import CAN_CACHE

_JIT = dict(cache=CAN_CACHE, nogil=True)

#: column kinds: an integer, a piece (or nothing for -1), a constant (prefix only)
INT, PIECE, CONST = 0, 1, 2


@njit(**_JIT)
def _int_len(x):
    """Number of characters of ``x`` in decimal (with a sign if negative)."""
    n = 1
    if x < 0:
        n = 2
        x = -x
    while x >= 10:
        x //= 10
        n += 1
    return n


@njit(**_JIT)
def _put_int(out, at, x):
    """Write ``x`` in decimal at ``out[at:]``; returns the position after it."""
    n = _int_len(x)
    if x < 0:
        out[at] = 45  # '-'
        x = -x
    end = at + n
    p = end - 1
    while True:
        out[p] = 48 + x % 10
        x //= 10
        p -= 1
        if x == 0:
            break
    return end


@njit(**_JIT)
def _put(out, at, src, a, b):
    for k in range(a, b):
        out[at] = src[k]
        at += 1
    return at


@njit(**_JIT)
def emit(order, kind, values, pre, pre_at, suf, suf_at, pieces, piece_at):
    """The bytes of a table: rows ``order`` (row indices into ``values``), columns in order.

    Parameters
    ----------
    order : (n,) int64, the rows to write, in this order
    kind : (c,) int64, each column's kind (:data:`INT`, :data:`PIECE`, :data:`CONST`)
    values : (c, rows) int64, the integer or piece index of each column and row
    pre, suf : uint8, the columns' prefixes and suffixes, concatenated;
        column ``j``'s are ``pre[pre_at[j]:pre_at[j + 1]]`` (``suf`` alike)
    pieces, piece_at : uint8 and (p + 1,) int64, the piece table

    Returns
    -------
    (bytes,) uint8
    """
    ncol = kind.size
    # an upper bound on the size (every column at its widest), to write in one pass
    widest = 0
    for c in range(ncol):
        widest += pre_at[c + 1] - pre_at[c] + suf_at[c + 1] - suf_at[c]
        if kind[c] == 0:
            w = 0
            for i in range(order.size):
                w = max(w, _int_len(values[c, order[i]]))
            widest += w
        elif kind[c] == 1:
            w = 0
            for i in range(order.size):
                p = values[c, order[i]]
                if p >= 0 and piece_at[p + 1] - piece_at[p] > w:
                    w = piece_at[p + 1] - piece_at[p]
            widest += w
    total = widest * order.size
    out = np.empty(total, np.uint8)
    at = 0
    for i in range(order.size):
        r = order[i]
        for c in range(ncol):
            k = kind[c]
            if k == 1 and values[c, r] < 0:
                continue
            at = _put(out, at, pre, pre_at[c], pre_at[c + 1])
            if k == 1:
                p = values[c, r]
                at = _put(out, at, pieces, piece_at[p], piece_at[p + 1])
            elif k == 0:
                at = _put_int(out, at, values[c, r])
            at = _put(out, at, suf, suf_at[c], suf_at[c + 1])
    return out[:at]      # the unused tail was never written to (no memory behind it)


@njit(**_JIT)
def list_pieces(indptr, items, names, name_at):
    """Python reprs of lists of names, one piece per row: row ``i`` lists
    ``items[indptr[i]:indptr[i + 1]]`` (indices of pieces ``names``, which hold
    each name's repr), as ``['a', 'b']``.  Returns ``(pieces, piece_at)``."""
    n = indptr.size - 1
    at = np.zeros(n + 1, np.int64)
    for i in range(n):
        size = 2
        for e in range(indptr[i], indptr[i + 1]):
            size += name_at[items[e] + 1] - name_at[items[e]]
            if e > indptr[i]:
                size += 2
        at[i + 1] = at[i] + size
    out = np.empty(at[n], np.uint8)
    for i in range(n):
        w = at[i]
        out[w] = 91  # '['
        w += 1
        for e in range(indptr[i], indptr[i + 1]):
            if e > indptr[i]:
                out[w] = 44  # ', '
                out[w + 1] = 32
                w += 2
            w = _put(out, w, names, name_at[items[e]], name_at[items[e] + 1])
        out[w] = 93  # ']'
    return out, at


@njit(**_JIT)
def dict_pieces(indptr, sets, genotypes, names, name_at, letters, L):
    """Python reprs of dicts ``{set name: [genotype, ...]}``, one piece per row.

    Row ``i``'s entries ``indptr[i]:indptr[i + 1]`` of ``sets`` (indices of
    pieces ``names``, each name's repr) and ``genotypes`` (rows of
    ``letters``, a (U * L,) uint8 array of genotype strings of length ``L``)
    are grouped by consecutive equal sets: ``{'A': ['AC', 'AG'], 'B': ['CC']}``.
    """
    n = indptr.size - 1
    at = np.zeros(n + 1, np.int64)
    for i in range(n):
        size = 2
        for e in range(indptr[i], indptr[i + 1]):
            if e == indptr[i] or sets[e] != sets[e - 1]:
                if e > indptr[i]:
                    size += 3          # '], '
                size += name_at[sets[e] + 1] - name_at[sets[e]] + 3   # ": ["
            else:
                size += 2              # ', '
            size += L + 2
        if indptr[i + 1] > indptr[i]:
            size += 1                  # ']'
        at[i + 1] = at[i] + size
    out = np.empty(at[n], np.uint8)
    for i in range(n):
        w = at[i]
        out[w] = 123  # '{'
        w += 1
        for e in range(indptr[i], indptr[i + 1]):
            if e == indptr[i] or sets[e] != sets[e - 1]:
                if e > indptr[i]:
                    out[w] = 93
                    out[w + 1] = 44
                    out[w + 2] = 32
                    w += 3
                w = _put(out, w, names, name_at[sets[e]], name_at[sets[e] + 1])
                out[w] = 58    # ': ['
                out[w + 1] = 32
                out[w + 2] = 91
                w += 3
            else:
                out[w] = 44
                out[w + 1] = 32
                w += 2
            out[w] = 39        # quote
            w = _put(out, w + 1, letters, genotypes[e] * L, genotypes[e] * L + L)
            out[w] = 39
            w += 1
        if indptr[i + 1] > indptr[i]:
            out[w] = 93
            w += 1
        out[w] = 125  # '}'
    return out, at


# ----------------------------------------------------------------------------------------------

def string_pieces(strings) -> tuple[np.ndarray, np.ndarray]:
    """A piece table of the given strings (UTF-8): ``(pieces, piece_at)``."""
    strings = list(strings)
    joined = "".join(strings)
    raw = joined.encode("utf-8")
    at = np.zeros(len(strings) + 1, np.int64)
    if len(raw) == len(joined):        # ASCII: one byte per character
        np.cumsum(np.fromiter(map(len, strings), np.int64, len(strings)), out=at[1:])
    else:
        np.cumsum([len(s.encode("utf-8")) for s in strings], out=at[1:])
    return np.frombuffer(raw, np.uint8).copy(), at


def float_pieces(x, fmt, *, nan_omitted=False):
    """Each value of float array ``x`` as a piece formatted by ``fmt`` (a
    function float -> str, or a %-format string such as ``"%.15g"``),
    formatting each distinct value once; returns
    ``(pieces, piece_at, index)``, ``index`` (len(x),) int64 (-1 for NaN if
    ``nan_omitted``)."""
    x = np.asarray(x, np.float64)
    u, index = np.unique(x, return_inverse=True)
    pieces, at = string_pieces(map(fmt.__mod__ if isinstance(fmt, str) else fmt, u.tolist()))
    index = index.astype(np.int64).ravel()
    if nan_omitted:
        index[np.isnan(x)] = -1
    return pieces, at, index


class Table:
    """Columns of a text table, gathered for :func:`emit` (see the module docstring).

    ``rows`` is the number of rows the value arrays have.
    """

    def __init__(self, rows: int):
        self.rows = rows
        self.kind, self.values, self.pre, self.suf = [], [], [], []
        self._pieces, self._at, self._n_pieces, self._n_bytes = [], [np.zeros(1, np.int64)], 0, 0

    def _column(self, kind, values, pre, suf):
        self.kind.append(kind)
        self.values.append(values)
        self.pre.append(pre.encode("utf-8"))
        self.suf.append(suf.encode("utf-8"))

    def const(self, text: str):
        """A constant text in every row."""
        self._column(CONST, None, text, "")

    def ints(self, pre: str, values, suf: str = ""):
        """An integer column, written in decimal."""
        self._column(INT, np.asarray(values, np.int64), pre, suf)

    def pieces(self, pre: str, pieces, piece_at, index, suf: str = ""):
        """A column of pieces: row ``i`` writes piece ``index[i]`` (nothing at all if -1)."""
        index = np.asarray(index, np.int64)
        shifted = np.where(index >= 0, index + self._n_pieces, -1)
        self._pieces.append(np.asarray(pieces, np.uint8))
        self._at.append(np.asarray(piece_at[1:], np.int64) + self._n_bytes)
        self._n_pieces += piece_at.size - 1
        self._n_bytes += int(piece_at[-1])
        self._column(PIECE, shifted, pre, suf)

    def render(self, order=None) -> np.ndarray:
        """The table's bytes (uint8 array), rows in ``order`` (default: all rows in order)."""
        order = np.arange(self.rows, dtype=np.int64) if order is None else np.asarray(order, np.int64)
        values = np.zeros((len(self.kind), self.rows), np.int64)
        for j, v in enumerate(self.values):
            if v is not None:
                values[j] = v
        pre_at = np.zeros(len(self.pre) + 1, np.int64)
        np.cumsum([len(b) for b in self.pre], out=pre_at[1:])
        suf_at = np.zeros(len(self.suf) + 1, np.int64)
        np.cumsum([len(b) for b in self.suf], out=suf_at[1:])
        pieces = np.concatenate(self._pieces) if self._pieces else np.zeros(0, np.uint8)
        out = emit(order, np.asarray(self.kind, np.int64), values,
                   np.frombuffer(b"".join(self.pre), np.uint8), pre_at,
                   np.frombuffer(b"".join(self.suf), np.uint8), suf_at,
                   pieces, np.concatenate(self._at))
        return out
