"""RNA secondary structure GP map: a sequence's minimum-free-energy structure.

Genotypes are RNA sequences of length ``L`` over ``ACGU``
(:class:`~alife.gpmap.base.DiscreteSpace` ``(L, 4, "ACGU")``, letter index
0..3 = A, C, G, U).  The phenotype is the minimum-free-energy (MFE)
secondary structure in dot-bracket notation, computed with ViennaRNA
(``RNA.fold_compound(seq, md).mfe()`` under the :class:`FoldSettings`); its
id is :func:`~alife.gpmap.base.label_id` of the dot-bracket string and
:meth:`RNAMap.label` gives the dot-bracket back.  The unfolded structure
(``"." * L``) is the undefined phenotype ``-1``.

ViennaRNA (PyPI ``viennarna``, module ``RNA``) is an optional extra: it is
imported at first use and, when missing, an ``ImportError`` says
``pip install 'alife-neutral[rna]'``.

Conventions: the published RNA12 map
------------------------------------
The defaults reproduce the RNA12 GP map (every sequence of length 12) used by
Greenbury, Louis & Ahnert (2022), "The structure of genotype-phenotype maps
makes fitness landscapes navigable", Nature Ecology & Evolution 6:1742
(doi:10.1038/s41559-022-01867-z), first built for Greenbury, Schaper, Ahnert
& Louis (2016), PLoS Comput. Biol. 12:e1004773.  Their code and data are
https://github.com/sgreenbury/gp-maps-nav :

* Folding program: ViennaRNA **1.8.5** (INSTALL.md: "Compile and install
  ViennaRNA 1.8.5"; README.md, fRNA section: "folded using ViennaRNA
  1.8.5"), called as the library function ``fold(seq, structure)`` with the
  library's global defaults untouched (``src/landscape/rna_fold.cpp``,
  ``seqs2structs.cpp``, ``fwalker_l.cpp``).
* Those 1.8.x globals (``lib/fold_vars.c``): ``dangles = 2``,
  ``temperature = 37.0``, ``noLonelyPairs = 0``, ``noGU = 0``,
  ``tetra_loop = 1``; the energy set of the 1.x series is Turner 1999
  (ViennaRNA 2.x switched its default to Turner 2004, so 2.x needs
  ``RNA.params_load_RNA_Turner1999()`` to match: ``energy_params=
  "turner1999"`` here).  Confirmed below: Turner 1999 reproduces the
  published unfolded fraction, Turner 2004 gives 0.87 (20,000-sequence
  sample).
* Degenerate MFE ties: 1.8.5's ``fold`` returns the one structure its
  backtracking picks; nothing checks for ties.  ``ties="mfe"`` (default)
  does the same with ViennaRNA 2.x's backtracking; ``ties="undefined"``
  instead sends every sequence with more than one MFE structure
  (``fc.subopt(0)``) to ``-1``.
* The unfolded structure is one phenotype of the 58 but is the
  deleterious / undefined one: ``nd_ref 0`` in every RNA12 command of
  README.md, phenotype 0 dropped before robustness statistics in
  ``plotting/fig2.ipynb`` and redundancy computed as
  ``K**L (1 - Z_frac) / (N_p - 1)``.  Here it is ``-1``.
* Published figures (``plotting/GP_map_data.csv``, the paper's Table 1):
  RNA12 has ``N_p = 58`` phenotypes counting the unfolded one (so 57 folded
  structures) and an unfolded ("deleterious") fraction ``f_del = 0.854``
  (0.65 and 432 for RNA15).  README.md's worked example:
  ``GCACCGUCGGGC`` folds to ``((.((...))))``.
* Their genotype order differs from ours: ``geno_list0.txt`` line ``n + 1``
  holds genotype index ``n`` written in base 4 with the *first* letter least
  significant and ``A, U, C, G = 0, 1, 2, 3`` (:func:`published_index`).

Reproduction with ViennaRNA 2.8.0 and these defaults (all 4**12 sequences
folded with :func:`fold_all`): unfolded fraction 14,325,304 / 16,777,216 =
0.85385 (published 0.854), 58 folded structures + the unfolded one = 59
(published ``N_p = 58``).  The one extra structure is ``(....)(....)``, the
MFE of just 20 sequences (e.g. ``GGAAACGGAAAC``, -1.6 kcal/mol against -1.5
for ``(....)......``); none of them has a degenerate MFE, so this is most
likely a 0.1 kcal/mol energy-evaluation difference between ViennaRNA 1.8.5
and 2.x, not a tie convention (not checked against 1.8.5 itself).  ``ties="undefined"`` would raise the undefined
fraction by about 0.002 (sampled), away from the published value.  The
published phenotype list itself (``gp_maps/gp_maps.tar.gz``) was not
available to compare structure by structure.

Folding everything
------------------
:func:`fold_all` folds every sequence of length ``L`` (or a rank range) in
chunks on a ``multiprocessing`` pool using the **spawn** start method (never
fork: Numba's OpenMP layer hangs in a forked child), and returns a
:class:`FoldTable`: per-rank ``uint16`` structure codes into a sorted list of
distinct dot-brackets.  :func:`save_fold_cache` / :func:`load_fold_cache`
keep it in an HDF5 file, and :class:`TableRNAMap` serves phenotypes from it.
"""
from __future__ import annotations

import dataclasses
import math
import multiprocessing as mp
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .base import DiscreteSpace, GPMap, is_int, label_id
from .registry import register

__all__ = [
    "ENERGY_PARAMS",
    "TIES",
    "FoldSettings",
    "RNAMap",
    "rna_map",
    "TableRNAMap",
    "FoldTable",
    "base_pair_distance",
    "fold_sequences",
    "fold_all",
    "save_fold_cache",
    "load_fold_cache",
    "published_index",
    "DEGENERATE",
    "RNA12_PUBLISHED",
]

#: Energy parameter sets by name -> the ViennaRNA loader function name.
ENERGY_PARAMS = {
    "turner1999": "params_load_RNA_Turner1999",
    "turner2004": "params_load_RNA_Turner2004",
    "andronescu2007": "params_load_RNA_Andronescu2007",
    "langdon2018": "params_load_RNA_Langdon2018",
}

#: How a degenerate MFE (several structures with the minimum energy) is read.
TIES = ("mfe", "undefined")

#: Structure label of a sequence whose MFE is degenerate, with ``ties="undefined"``.
DEGENERATE = "degenerate"

#: Table 1 of Greenbury, Louis & Ahnert (2022) for RNA12 (gp-maps-nav
#: ``plotting/GP_map_data.csv``): phenotypes counting the unfolded one, and
#: the unfolded ("deleterious") fraction.
RNA12_PUBLISHED = {"N_p": 58, "f_del": 0.854}

#: Version of the HDF5 fold-cache layout.
CACHE_FORMAT = 1

_INSTALL_HINT = ("ViennaRNA is not installed (module 'RNA'); install the extra with "
                 "pip install 'alife-neutral[rna]'")


def _RNA():
    """The ViennaRNA module, imported at first use."""
    try:
        import RNA  # noqa: N811
    except ImportError:
        raise ImportError(_INSTALL_HINT) from None
    return RNA


# --------------------------------------------------------------------------- #
# settings
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class FoldSettings:
    """How sequences are folded (defaults: the published RNA12 map).

    Parameters
    ----------
    energy_params : str, one of :data:`ENERGY_PARAMS` (default ``"turner1999"``,
        the energy set of ViennaRNA 1.8.5)
    dangles : int in 0..3 (ViennaRNA ``-d``; default 2)
    temperature : float, degrees Celsius (default 37.0)
    noLP : bool, forbid lonely pairs (default False)
    ties : ``"mfe"`` (ViennaRNA's backtracked structure, as 1.8.5's ``fold``)
        or ``"undefined"`` (a degenerate MFE is phenotype -1)
    """

    energy_params: str = "turner1999"
    dangles: int = 2
    temperature: float = 37.0
    noLP: bool = False
    ties: str = "mfe"

    def __post_init__(self):
        if self.energy_params not in ENERGY_PARAMS:
            raise ValueError(f"unknown energy_params {self.energy_params!r}; choose one of "
                             f"{', '.join(ENERGY_PARAMS)}")
        if not is_int(self.dangles) or self.dangles not in (0, 1, 2, 3):
            raise ValueError(f"dangles must be 0, 1, 2 or 3, got {self.dangles!r}")
        if (not isinstance(self.temperature, (int, float, np.integer, np.floating))
                or isinstance(self.temperature, bool) or not math.isfinite(self.temperature)
                or self.temperature <= -273.15):
            raise ValueError(f"temperature must be a finite number of degrees Celsius above "
                             f"-273.15, got {self.temperature!r}")
        if not isinstance(self.noLP, (bool, np.bool_)):
            raise ValueError(f"noLP must be true or false, got {self.noLP!r}")
        if self.ties not in TIES:
            raise ValueError(f"unknown ties {self.ties!r}; choose 'mfe' (ViennaRNA's structure) "
                             "or 'undefined' (degenerate MFE -> -1)")
        if self.ties == "undefined" and self.dangles in (1, 3):
            raise ValueError(f"ties='undefined' enumerates MFE ties with subopt, which supports "
                             f"dangles 0 or 2 only, got dangles={self.dangles}")
        object.__setattr__(self, "dangles", int(self.dangles))
        object.__setattr__(self, "temperature", float(self.temperature))
        object.__setattr__(self, "noLP", bool(self.noLP))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class _Folder:
    """Folds lists of sequences under one :class:`FoldSettings` (one process)."""

    def __init__(self, settings: FoldSettings):
        self.settings = settings
        self.RNA = _RNA()
        md = self.RNA.md()
        md.dangles = settings.dangles
        md.temperature = settings.temperature
        md.noLP = int(settings.noLP)
        if settings.ties == "undefined":
            md.uniq_ML = 1          # subopt needs it; the MFE is unchanged
        self.md = md

    def fold(self, seqs) -> list[str]:
        RNA, md, s = self.RNA, self.md, self.settings
        # The parameter set is global in ViennaRNA: (re)load it for every batch
        # so other code in the process loading another set cannot leak in.
        getattr(RNA, ENERGY_PARAMS[s.energy_params])()
        out = []
        undefined_ties = s.ties == "undefined"
        for seq in seqs:
            fc = RNA.fold_compound(seq, md)
            structure, _ = fc.mfe()
            if undefined_ties and len(fc.subopt(0)) > 1:
                structure = DEGENERATE
            out.append(structure)
        return out


def fold_sequences(sequences, settings: FoldSettings | None = None, **kwargs) -> list[str]:
    """MFE dot-brackets of RNA sequences (strings over ACGU), in one process.

    ``settings`` or keyword overrides of :class:`FoldSettings`; with
    ``ties="undefined"`` a degenerate MFE comes back as :data:`DEGENERATE`.
    """
    settings = _settings(settings, kwargs)
    return _Folder(settings).fold(list(sequences))


def _settings(settings, kwargs) -> FoldSettings:
    if settings is None:
        return FoldSettings(**kwargs)
    if not isinstance(settings, FoldSettings):
        raise ValueError(f"settings must be a FoldSettings, got {type(settings).__name__}")
    return dataclasses.replace(settings, **kwargs) if kwargs else settings


def _pairs(structure: str) -> set:
    """The base pairs (i, j) of a dot-bracket structure."""
    stack, out = [], set()
    for k, c in enumerate(structure):
        if c == "(":
            stack.append(k)
        elif c == ")":
            if not stack:
                raise ValueError(f"unbalanced dot-bracket structure {structure!r}")
            out.add((stack.pop(), k))
    if stack:
        raise ValueError(f"unbalanced dot-bracket structure {structure!r}")
    return out


def base_pair_distance(a: str, b: str) -> int:
    """Base-pair distance between two dot-bracket structures: the number of
    base pairs in exactly one of them (0 only for equal structures).  The
    :data:`DEGENERATE` label (a tie under ``ties="undefined"``) is at distance
    (pairs of the other) + 1 from any structure but itself."""
    if a == DEGENERATE or b == DEGENERATE:
        if a == b:
            return 0
        other = b if a == DEGENERATE else a
        return len(_pairs(other)) + 1 if other != DEGENERATE else 0
    return len(_pairs(a) ^ _pairs(b))


def _structure_id(structure: str, L: int) -> int:
    if structure == "." * L or structure == DEGENERATE:
        return -1
    return label_id(structure)


# --------------------------------------------------------------------------- #
# the map
# --------------------------------------------------------------------------- #
class RNAMap(GPMap):
    """RNA sequences of length ``L`` -> MFE secondary structure ids.

    Parameters
    ----------
    L : int, sequence length (>= 1)
    energy_params, dangles, temperature, noLP, ties : see :class:`FoldSettings`
        (defaults: the published RNA12 conventions, module docstring)

    Notes
    -----
    ``phenotypes(g)`` folds ``(n, L)`` letter indices (0..3 = A, C, G, U) in
    this process; the unfolded structure (and, with ``ties="undefined"``, a
    degenerate MFE) is ``-1``.  ``label(pid)`` is the dot-bracket of any id
    this map has produced.  For a whole space use :func:`fold_all` and
    :class:`TableRNAMap`.
    """

    def __init__(self, L: int, *, energy_params: str = "turner1999", dangles: int = 2,
                 temperature: float = 37.0, noLP: bool = False, ties: str = "mfe"):
        super().__init__()
        self.space = DiscreteSpace(L, 4, "ACGU")
        self.settings = FoldSettings(energy_params, dangles, temperature, noLP, ties)
        self.name = f"rna{L}"
        self._labels: dict[int, str] = {}
        self._folder: _Folder | None = None

    @property
    def L(self) -> int:
        return self.space.L

    def _fold(self, seqs: list[str]) -> list[str]:
        if self._folder is None:
            self._folder = _Folder(self.settings)
        return self._folder.fold(seqs)

    def structures(self, genotypes) -> list[str]:
        """Dot-bracket MFE structures of ``(n, L)`` genotypes (or strings)."""
        return self._fold(self._as_texts(genotypes))

    def fold(self, sequences) -> list[str]:
        """Dot-brackets of sequences given as strings over ACGU."""
        return self.structures(list(sequences))

    def _as_texts(self, genotypes) -> list[str]:
        if isinstance(genotypes, str):
            genotypes = [genotypes]
        if isinstance(genotypes, (list, tuple)) and genotypes and isinstance(genotypes[0], str):
            self.space.encode([t.upper().replace("T", "U") for t in genotypes])  # validates
            return [t.upper().replace("T", "U") for t in genotypes]
        return self.space.decode(genotypes)

    def _phenotypes(self, genotypes: np.ndarray) -> np.ndarray:
        structures = self._fold(self.space.decode(genotypes))
        ids = np.empty(len(structures), np.int64)
        L = self.L
        for k, s in enumerate(structures):
            pid = _structure_id(s, L)
            ids[k] = pid
            if pid >= 0:
                self._labels.setdefault(pid, s)
        return ids

    def label(self, pid: int) -> str:
        """Dot-bracket of phenotype ``pid``; ``-1`` reads ``'.' * L`` (unfolded),
        or ``'undefined'`` with ``ties="undefined"`` (unfolded or degenerate)."""
        pid = int(pid)
        if pid == -1:
            return "." * self.L if self.settings.ties == "mfe" else "undefined"
        try:
            return self._labels[pid]
        except KeyError:
            raise KeyError(f"phenotype id {pid} has not been produced by this map; fold a "
                           "sequence with that structure first (or use label_id(structure))") \
                from None

    # graded distance: base pairs in one structure but not the other
    has_distance = True

    def target_of(self, genotype) -> str:
        """The dot-bracket MFE structure of one genotype (the target of :meth:`distance_to`)."""
        g = self.space.check(genotype)
        if g.shape[0] != 1:
            raise ValueError(f"RNAMap.target_of takes one genotype, got {g.shape[0]}")
        return self._fold(self.space.decode(g))[0]

    def _distance_to(self, genotypes: np.ndarray, target) -> np.ndarray:
        return np.array([base_pair_distance(s, target)
                         for s in self._fold(self.space.decode(genotypes))], np.float64)


@register("rna")
def rna_map(length: int, *, energy_params: str = "turner1999", dangles: int = 2,
            temperature: float = 37.0, no_lp: bool = False, ties: str = "mfe") -> RNAMap:
    """The :class:`RNAMap` of sequences of ``length`` (map kind ``"rna"``);
    ``no_lp`` is :class:`FoldSettings`' ``noLP`` (forbid lonely pairs)."""
    return RNAMap(length, energy_params=energy_params, dangles=dangles, temperature=temperature,
                  noLP=no_lp, ties=ties)


# --------------------------------------------------------------------------- #
# folding a whole space
# --------------------------------------------------------------------------- #
@dataclass
class FoldTable:
    """Every sequence of a rank range ``start .. start + len(codes) - 1`` folded.

    Attributes
    ----------
    L : int
    settings : FoldSettings
    codes : (n,) uint16, code of the structure of the sequence of rank
        ``start + i`` (ranks as :meth:`DiscreteSpace.rank`, ACGU, first letter
        most significant)
    structures : list of str, the distinct structures, sorted (unfolded
        first, then :data:`DEGENERATE` if present, then lexicographic), so codes
        do not depend on chunking or worker count
    start : int, first rank
    seconds : float, wall-clock folding time (0 for a loaded cache)
    viennarna_version : str
    """

    L: int
    settings: FoldSettings
    codes: np.ndarray
    structures: list
    start: int = 0
    seconds: float = 0.0
    viennarna_version: str = ""
    _structure_ids: np.ndarray | None = field(default=None, repr=False)

    @property
    def structure_ids(self) -> np.ndarray:
        """(n_structures,) int64 phenotype id of every structure (-1 undefined)."""
        if self._structure_ids is None:
            self._structure_ids = np.array([_structure_id(s, self.L) for s in self.structures],
                                           np.int64)
        return self._structure_ids

    @property
    def ids(self) -> np.ndarray:
        """(n,) int64 phenotype id of every rank (-1 undefined)."""
        return self.structure_ids[self.codes]

    @property
    def n_phenotypes(self) -> int:
        """Distinct defined phenotypes (the unfolded/degenerate -1 not counted)."""
        return int((self.structure_ids >= 0).sum())

    @property
    def undefined_fraction(self) -> float:
        return float((self.structure_ids[self.codes] < 0).mean()) if len(self.codes) else 0.0

    @property
    def rate(self) -> float:
        """Sequences folded per second."""
        return len(self.codes) / self.seconds if self.seconds > 0 else float("nan")

    def labels(self) -> dict[int, str]:
        """Phenotype id -> dot-bracket, for the defined phenotypes."""
        return {int(i): s for i, s in zip(self.structure_ids, self.structures) if i >= 0}


def _sort_key(L):
    def key(s):
        return (0 if s == "." * L else 1 if s == DEGENERATE else 2, s)
    return key


_WORKER: dict = {}


def _worker_init(L: int, settings: dict):
    _WORKER["L"] = L
    _WORKER["folder"] = _Folder(FoldSettings(**settings))


def _fold_range(args):
    """Fold ranks lo..hi-1; returns (local codes uint16, local structure list)."""
    lo, hi = args
    L = _WORKER["L"]
    space = DiscreteSpace(L, 4, "ACGU")
    seqs = space.decode(space.unrank(np.arange(lo, hi, dtype=np.int64)))
    structures = _WORKER["folder"].fold(seqs)
    local: dict[str, int] = {}
    codes = np.fromiter((local.setdefault(s, len(local)) for s in structures), np.int64,
                        len(structures))
    return codes.astype(np.uint16), list(local)


def _fold_range_checked(L: int, start, stop, chunk, n_workers) -> tuple[int, int]:
    """The rank range ``(start, stop)`` of :func:`fold_all` as ints (``stop``
    None: ``4**L``), after checking it, ``chunk`` and ``n_workers``; a one-line
    ValueError names a bad one."""
    total = DiscreteSpace(L, 4, "ACGU").size
    stop = total if stop is None else int(stop)
    start = int(start)
    if not 0 <= start <= stop <= total:
        raise ValueError(f"need 0 <= start <= stop <= 4**{L} = {total}, got start={start}, "
                         f"stop={stop}")
    if stop - start > 2 ** 40:
        raise ValueError(f"{stop - start} sequences is too many to fold; give a smaller "
                         "start/stop range")
    if not is_int(chunk) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    if not is_int(n_workers) or n_workers < 0:
        raise ValueError(f"n_workers must be a non-negative integer, got {n_workers!r}")
    return start, stop


def fold_all(L: int, n_workers: int = 2, *, start: int = 0, stop: int | None = None,
             chunk: int = 20000, settings: FoldSettings | None = None, progress=None,
             **kwargs) -> FoldTable:
    """Fold every RNA sequence of length ``L`` (ranks ``start .. stop - 1``).

    Parameters
    ----------
    L : int, sequence length (4**L must be enumerable: L <= 13)
    n_workers : int, processes of a **spawn** pool; ``0`` or ``1`` folds in
        this process
    start, stop : rank range (default: everything, ``0 .. 4**L``)
    chunk : sequences per task
    settings or keyword overrides of :class:`FoldSettings` (defaults: RNA12)
    progress : callable ``(done, total)`` called after every chunk, optional

    Returns
    -------
    FoldTable
        ``.codes`` per rank, ``.structures``, ``.ids``, ``.seconds``, ``.rate``.

    Notes
    -----
    Measured here (ViennaRNA 2.8.0, Python 3.11, RNA12 defaults): ranks
    0..200k with 2 workers at 42,300 sequences/s (about 21,000 per worker),
    so all 4**12 = 16.8 M sequences take about 400 s (6.6 min) on 2 idle
    cores; the full run on a shared, busy machine took 988 s.  The result
    against the published RNA12 map is in the module docstring.
    """
    settings = _settings(settings, kwargs)
    start, stop = _fold_range_checked(L, start, stop, chunk, n_workers)
    RNA = _RNA()
    bounds = [(lo, min(lo + chunk, stop)) for lo in range(start, stop, chunk)]
    codes = np.empty(stop - start, np.uint16)      # provisional codes, first-seen order
    found: dict[str, int] = {}
    t0 = time.perf_counter()
    done = 0

    def collect(b, res):
        nonlocal done
        local_codes, local_structs = res
        remap = np.array([found.setdefault(s, len(found)) for s in local_structs], np.int64)
        if len(found) > 65536:
            raise RuntimeError(f"more than 65536 distinct structures at L={L}; the uint16 "
                               "code table cannot hold them (fold a smaller L)")
        codes[b[0] - start:b[1] - start] = remap[local_codes.astype(np.int64)]
        done += b[1] - b[0]
        if progress is not None:
            progress(done, stop - start)

    if n_workers <= 1:
        _worker_init(L, settings.to_dict())
        try:
            for b in bounds:
                collect(b, _fold_range(b))
        finally:
            _WORKER.clear()
    else:
        ctx = mp.get_context("spawn")
        with ctx.Pool(int(n_workers), initializer=_worker_init,
                      initargs=(L, settings.to_dict())) as pool:
            for b, res in zip(bounds, pool.imap(_fold_range, bounds)):
                collect(b, res)
    structures = sorted(found, key=_sort_key(L))
    order = np.zeros(max(len(found), 1), np.uint16)
    order[[found[s] for s in structures]] = np.arange(len(structures))
    codes = order[codes]
    seconds = time.perf_counter() - t0
    return FoldTable(L, settings, codes, structures, start, seconds, RNA.__version__)


def published_index(genotypes) -> np.ndarray:
    """Index of each genotype in the published RNA12 files (gp-maps-nav).

    ``geno_list0.txt`` line ``n + 1`` is genotype index ``n``: base 4, the
    *first* letter least significant, ``A, U, C, G = 0, 1, 2, 3``.  Takes
    ``(n, L)`` letter indices of :class:`RNAMap` (A, C, G, U = 0..3).
    """
    g = np.asarray(genotypes)
    if g.ndim == 1:
        g = g[None]
    if g.ndim != 2 or g.size and (g.min() < 0 or g.max() > 3):
        raise ValueError("genotypes must be (n, L) letter indices 0..3 (A, C, G, U)")
    to_published = np.array([0, 2, 3, 1], np.int64)   # A C G U -> A=0 U=1 C=2 G=3
    w = 4 ** np.arange(g.shape[1], dtype=np.int64)
    return to_published[g.astype(np.int64)] @ w


# --------------------------------------------------------------------------- #
# a map served from a table
# --------------------------------------------------------------------------- #
class TableRNAMap(GPMap):
    """An :class:`RNAMap` answered by lookup in a complete :class:`FoldTable`."""

    def __init__(self, table: FoldTable):
        super().__init__()
        if table.start != 0 or len(table.codes) != 4 ** table.L:
            raise ValueError("TableRNAMap needs a complete table (fold_all with the default "
                             "start and stop)")
        self.table = table
        self.space = DiscreteSpace(table.L, 4, "ACGU")
        self.settings = table.settings
        self.name = f"rna{table.L}"
        self._sid = table.structure_ids
        self._labels = table.labels()

    def _phenotypes(self, genotypes: np.ndarray) -> np.ndarray:
        return self._sid[self.table.codes[self.space.rank(genotypes)]]

    has_distance = True

    def target_of(self, genotype) -> str:
        """The dot-bracket structure of one genotype (the target of :meth:`distance_to`)."""
        g = self.space.check(genotype)
        if g.shape[0] != 1:
            raise ValueError(f"TableRNAMap.target_of takes one genotype, got {g.shape[0]}")
        return self.table.structures[int(self.table.codes[self.space.rank(g)[0]])]

    def _distance_to(self, genotypes: np.ndarray, target) -> np.ndarray:
        codes = self.table.codes[self.space.rank(genotypes)]
        per = np.array([base_pair_distance(s, target) for s in self.table.structures], np.float64)
        return per[codes]

    def label(self, pid: int) -> str:
        pid = int(pid)
        if pid == -1:
            return "." * self.space.L if self.settings.ties == "mfe" else "undefined"
        try:
            return self._labels[pid]
        except KeyError:
            raise KeyError(f"phenotype id {pid} is not in this RNA{self.space.L} table") from None


# --------------------------------------------------------------------------- #
# HDF5 cache
# --------------------------------------------------------------------------- #
def save_fold_cache(path, table: FoldTable) -> Path:
    """Write a :class:`FoldTable` to HDF5 (through :func:`alife.store.write_results`,
    atomically): dataset ``codes`` (uint16 per rank, gzip), dataset
    ``structures`` (UTF-8 strings) and the settings, ``L``, ``start``,
    ViennaRNA version and format as root attributes.  Overwrites ``path``."""
    from ..store import write_results

    if not isinstance(table, FoldTable):
        raise ValueError(f"save_fold_cache takes a FoldTable, got {type(table).__name__}")
    attrs = {"format": CACHE_FORMAT, "L": int(table.L), "start": int(table.start),
             "viennarna_version": str(table.viennarna_version), **table.settings.to_dict()}
    return write_results(path, "rna_fold_cache", attrs,
                         {"codes": np.asarray(table.codes, np.uint16),
                          "structures": list(table.structures)}, force=True, compress=True)


def load_fold_cache(path, L: int | None = None, settings: FoldSettings | None = None,
                    **kwargs) -> FoldTable:
    """Read a table written by :func:`save_fold_cache`.

    Refuses (one-line ``ValueError``) a cache whose fold settings differ from
    ``settings`` / the keyword overrides (defaults: RNA12 conventions), or
    whose length is not ``L`` when ``L`` is given.
    """
    from ..store import RunFileError, read_results

    want = _settings(settings, kwargs)
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no fold cache at '{p}'; build one with fold_all() and "
                                "save_fold_cache()")
    try:
        a, arrays = read_results(p)
    except RunFileError:
        a, arrays = {}, {}
    if int(a.get("format", -1)) != CACHE_FORMAT:
        raise ValueError(f"'{p}' is not a fold cache of format {CACHE_FORMAT}; refold "
                         "with fold_all() and save_fold_cache()")
    got = {k: a[k] for k in want.to_dict() if k in a}
    try:
        have = FoldSettings(energy_params=str(got["energy_params"]),
                            dangles=int(got["dangles"]),
                            temperature=float(got["temperature"]),
                            noLP=bool(got["noLP"]), ties=str(got["ties"]))
    except (KeyError, ValueError) as e:
        raise ValueError(f"'{p}' has missing or bad fold settings ({e}); refold it") from None
    if have != want:
        diff = ", ".join(f"{k}={v!r} (want {want.to_dict()[k]!r})"
                         for k, v in have.to_dict().items() if want.to_dict()[k] != v)
        raise ValueError(f"fold cache '{p}' was made with other settings: {diff}; refold "
                         "with these settings or load with matching ones")
    if L is not None and int(a["L"]) != int(L):
        raise ValueError(f"fold cache '{p}' is for L={int(a['L'])}, not L={L}")
    codes = np.asarray(arrays["codes"])
    structures = list(arrays["structures"])
    if codes.size and int(codes.max()) >= len(structures):
        raise ValueError(f"fold cache '{p}' is corrupt: a code exceeds the structure list")
    return FoldTable(int(a["L"]), have, codes, structures, int(a["start"]), 0.0,
                     str(a.get("viennarna_version", "")))
