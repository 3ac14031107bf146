"""HNCA model specification, presets and the flat genome layout.

A hierarchical neural cellular automaton (HNCA; Bielawski et al., GECCO 2024)
is a stack of ``levels`` toroidal square grids.  Level ``l`` has side
``N_l = base_size / 2**l`` and ``channels`` values per cell.  At every step each
cell reads, from the previous step, its 3x3 Moore neighbourhood ("around"), its
four children one level below ("down") and its parent one level above ("up"),
and applies its level's rule (a linear map, or a one-hidden-layer MLP).

Genome layout
-------------
One flat float32 vector holds every level's rule, level 0 first.  For each
level the blocks come in this order, absent blocks omitted:

``down``    children (2i,2j), (2i,2j+1), (2i+1,2j), (2i+1,2j+1)   (not at level 0)
``around``  (dy, dx) row-major over -1, 0, 1: (-1,-1), (-1,0), ..., (1,1)
``up``      the parent (i//2, j//2)                              (not at the top)
``bias``    (only when ``bias=True``)

Inside a weight block the genes are in C order over
``(position, input channel, output unit)``; a bias block is over output units.
Without a hidden layer the output units are the ``channels`` new cell values.
With ``hidden = H`` these blocks form the first layer (output units = the H
hidden units) and are followed by the second layer: ``w2`` over
``(hidden unit, output channel)`` and, when ``bias=True``, ``b2`` over output
channels.  Equivalently, the first layer of level l is the row-major matrix
``W1`` of shape ``(n_inputs_l, H or C)`` whose rows are the inputs in the order
down, around, up.

The Bielawski preset (1 channel, no hidden layer, no bias, 4 levels) therefore
has 9 + 1 = 10 genes at level 0, 4 + 9 + 1 = 14 at levels 1 and 2 and
4 + 9 = 13 at level 3: 51 genes.  The flat NCA (one level) has 9.

Wirings (:mod:`alife.nca.wiring`) change which cells the ``down`` and ``up``
inputs read.  ``wiring="below_only"`` drops the ``up`` blocks;
``random_below`` / ``random_maps`` also drop or keep them and add, after each
level's rule blocks, the non-mutable wiring-gene blocks ``down_map`` (levels
l > 0) and ``up_map`` (``random_maps``, levels l < L-1) that hold the
genome's own links.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from . import wiring as W
from .kernels.core import all_finite
from .wiring import DOWN_WIRINGS, WIRINGS

ACTIVATIONS = ("rectified_sigmoid", "sigmoid", "tanh", "relu", "identity")
UPDATE_MODES = ("replace", "residual")
#: Activations f with f(0) == 0: with no bias, an all-zero grid then stays zero.
ZERO_PRESERVING = frozenset({"rectified_sigmoid", "tanh", "relu", "identity"})

DOWN_OFFSETS = ((0, 0), (0, 1), (1, 0), (1, 1))
AROUND_OFFSETS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))


@dataclass(frozen=True)
class Block:
    """One named block of a level's rule inside the flat genome.

    Attributes
    ----------
    level : int
        Level index (0 = base).
    name : str
        ``down``, ``around``, ``up``, ``bias``, ``w2``, ``b2``, or the
        wiring-gene blocks ``down_map`` and ``up_map``.
    slice : slice
        Where the block's genes lie in the flat genome.
    shape : tuple of int
        The block's shape: ``(positions, in_channels, out_units)`` for
        ``down``/``around``/``up``, ``(out_units,)`` for ``bias``/``b2``,
        ``(hidden, channels)`` for ``w2`` and ``(positions, 3)`` (level,
        row, col codes of one link per position) for ``down_map``/``up_map``.
    """

    level: int
    name: str
    slice: slice
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return self.slice.stop - self.slice.start

    @property
    def mutable(self) -> bool:
        """False for wiring-gene blocks (``down_map``, ``up_map``)."""
        return self.name not in ("down_map", "up_map")


@dataclass(frozen=True)
class LevelLayout:
    """Where one level's rule lies in the genome, as matrices.

    ``w1`` rows (``n_inputs`` of them) are the inputs in the order down,
    around, up; its columns are the first layer's output units.
    """

    level: int
    start: int
    n_inputs: int
    n_out1: int
    has_bias: bool
    hidden: int
    channels: int
    blocks: tuple[Block, ...]

    @property
    def stop(self) -> int:
        return self.blocks[-1].slice.stop

    def block(self, name: str) -> Block | None:
        for b in self.blocks:
            if b.name == name:
                return b
        return None


class GenomeLayout:
    """The flat genome of an :class:`HNCASpec`: gene count, blocks and names.

    Parameters
    ----------
    spec : HNCASpec
    """

    def __init__(self, spec: "HNCASpec"):
        self.spec = spec
        C, H = spec.channels, spec.hidden
        out1 = H if H > 0 else C
        levels = []
        pos = 0
        for lvl in range(spec.levels):
            blocks = []
            n_in = 0

            def add(name, shape):
                nonlocal pos
                size = int(np.prod(shape))
                blocks.append(Block(lvl, name, slice(pos, pos + size), tuple(shape)))
                pos += size

            if lvl > 0:
                add("down", (4, C, out1))
                n_in += 4 * C
            add("around", (9, C, out1))
            n_in += 9 * C
            if W.has_up(spec.wiring, lvl, spec.levels):
                add("up", (1, C, out1))
                n_in += C
            if spec.bias:
                add("bias", (out1,))
            if H > 0:
                add("w2", (H, C))
                if spec.bias:
                    add("b2", (C,))
            for name, shape in W.map_blocks(spec.wiring, lvl, spec.levels):
                add(name, shape)
            levels.append(LevelLayout(lvl, blocks[0].slice.start, n_in, out1,
                                      spec.bias, H, C, tuple(blocks)))
        self.levels: tuple[LevelLayout, ...] = tuple(levels)
        self.n_genes: int = pos
        mutable = np.ones(pos, bool)
        for b in self.blocks:
            if not b.mutable:
                mutable[b.slice] = False
        mutable.flags.writeable = False
        #: (n_genes,) bool, read-only: False for wiring genes, which mutation
        #: must leave alone (they are drawn once, by the wiring's rules).
        self.mutable: np.ndarray = mutable

    @property
    def blocks(self) -> tuple[Block, ...]:
        return tuple(b for lv in self.levels for b in lv.blocks)

    def slice(self, level: int, block: str) -> slice:
        """Slice of block ``block`` of level ``level`` in the flat genome."""
        b = self.levels[level].block(block)
        if b is None:
            raise KeyError(f"level {level} has no block {block!r}")
        return b.slice

    def gene_names(self) -> list[str]:
        """One readable name per gene, e.g. ``L1.down[0,1].c0>o0``.

        Positions are child offsets (down), (dy,dx) offsets (around) or
        nothing (up); ``c``/``o``/``h`` index input channel, output unit and
        hidden unit.  Wiring genes are named by slot and field, e.g.
        ``L2.down_map[1].level`` or ``L0.up_map[0].col``.
        """
        names: list[str] = []
        for b in self.blocks:
            p = f"L{b.level}.{b.name}"
            if not b.mutable:
                names.extend(f"{p}[{k}].{f}" for k in range(b.shape[0]) for f in W.LINK_FIELDS)
            elif b.name in ("down", "around", "up"):
                offs = {"down": DOWN_OFFSETS, "around": AROUND_OFFSETS,
                        "up": ((0, 0),)}[b.name]
                unit = "h" if self.spec.hidden > 0 else "o"
                for k in range(b.shape[0]):
                    where = "" if b.name == "up" else f"[{offs[k][0]},{offs[k][1]}]"
                    for c in range(b.shape[1]):
                        for o in range(b.shape[2]):
                            names.append(f"{p}{where}.c{c}>{unit}{o}")
            elif b.name == "bias":
                unit = "h" if self.spec.hidden > 0 else "o"
                names.extend(f"{p}.{unit}{o}" for o in range(b.shape[0]))
            elif b.name == "w2":
                names.extend(f"{p}.h{h}>o{o}" for h in range(b.shape[0])
                             for o in range(b.shape[1]))
            else:  # b2
                names.extend(f"{p}.o{o}" for o in range(b.shape[0]))
        return names

    def unpack(self, genome: np.ndarray, level: int):
        """Matrices of one level's rule from one genome (views, no copies).

        Returns
        -------
        w1 : (n_inputs, n_out1) array
        b1 : (n_out1,) array or None
        w2 : (hidden, channels) array or None
        b2 : (channels,) array or None
        """
        lv = self.levels[level]
        g = np.asarray(genome)
        w1 = g[lv.start: lv.start + lv.n_inputs * lv.n_out1].reshape(lv.n_inputs, lv.n_out1)
        b1 = g[lv.block("bias").slice] if lv.has_bias else None
        w2 = g[lv.block("w2").slice].reshape(lv.hidden, lv.channels) if lv.hidden else None
        b2 = g[lv.block("b2").slice] if (lv.hidden and lv.has_bias) else None
        return w1, b1, w2, b2

    def __repr__(self) -> str:
        per = ", ".join(str(lv.stop - lv.start) for lv in self.levels)
        return f"GenomeLayout(n_genes={self.n_genes}, per_level=[{per}])"


_PRESETS = {
    # Bielawski et al., GECCO 2024: 4 levels 64/32/16/8, one channel, linear
    # rule, no bias, rectified sigmoid, replace update, 100 steps.
    "bielawski": dict(levels=4, base_size=64, channels=1, hidden=0, bias=False,
                      output_activation="rectified_sigmoid", update="replace",
                      steps=100),
    # Growing-NCA-like multi-channel variant (Mordvintsev et al. 2020; Pande &
    # Grattarola 2023): MLP rule with bias, ReLU hidden, residual update.
    # Genes U(-0.03, 0.03): a random residual MLP rule grows the state by a
    # factor of about 1 + 24 s^2 per step (fan-ins 161 and 64), so U(-1, 1)
    # overflows float32 within ~30 steps and U(-0.1, 0.1) reaches 1e6 by step
    # 64; at s = 0.03 states stay O(1).
    "neural": dict(levels=2, base_size=32, channels=16, hidden=64, bias=True,
                   hidden_activation="relu", output_activation="identity",
                   update="residual", steps=64, init_scale=0.03),
    # Bielawski & Bongard, ISAL 2024 (the per-layer neutrality study): the
    # GECCO model with the phenotype read from the coarsest level (8x8),
    # development started there from one "on" cell at its centre (4, 4), and
    # 99 updates (the reference stores 100 states, the first the seed).  The
    # reference code's down links are down_wiring="gecco2024" (see
    # alife.nca.wiring); the preset keeps the model's definition.
    "isal2024": dict(levels=4, base_size=64, channels=1, hidden=0, bias=False,
                     output_activation="rectified_sigmoid", update="replace",
                     steps=99, seed_level=3, output_level=3),
}


@dataclass(frozen=True)
class HNCASpec:
    """A hierarchical neural cellular automaton.

    Parameters
    ----------
    levels : int
        Number of levels L >= 1; level l is a torus of side base_size / 2**l.
    base_size : int
        Side N_0 of the base grid; must be divisible by 2**(L-1).
    channels : int
        Values per cell C >= 1.
    hidden : int
        Hidden units of the per-level MLP rule; 0 = linear rule.
    bias : bool
        Whether the rule has bias terms.
    hidden_activation, output_activation : str
        One of ``rectified_sigmoid`` (0 if x <= 0 else 1/(1+e^-x)),
        ``sigmoid``, ``tanh``, ``relu``, ``identity``.
    update : str
        ``replace`` (s <- f) or ``residual`` (s <- s + f).
    steps : int
        Synchronous update steps T >= 1.
    seed_cell : tuple of int or None
        Cell of level ``seed_level`` set to ``seed_value`` in every channel
        at t = 0; None = the centre (N_l/2, N_l/2) of that level.  Everything
        else starts at 0.
    seed_value : float
    output_level : int
        Level whose channel 0 is the phenotype.
    threshold : float
        Phenotype = state > threshold.
    init_scale : float
        Random genomes are drawn from U(-init_scale, init_scale).
    seed_level : int
        Level that holds the seed cell (0 = base).
    down_wiring : str
        Which cells the four ``down`` inputs read: ``children`` (the
        model: child (2i+di, 2j+dj) for position (di, dj)) or ``gecco2024``
        (a compatibility option reproducing the reference code of Bielawski
        et al., whose down offsets are not scaled to the child level: at
        levels >= 2 all four down weights read the top-left child (2i, 2j)).
        See :mod:`alife.nca.wiring`.
    wiring : str
        How levels connect: ``hierarchy`` (down and up inputs),
        ``below_only`` (no input from above, no ``up`` genes),
        ``random_below`` (no input from above; every genome carries random
        down links to its own level or any level below) or ``random_maps``
        (random down and up links per genome, to any level).  The random
        wirings need one channel and a linear rule; their links are stored
        in the genome as non-mutable wiring genes (:mod:`alife.nca.wiring`).
    """

    levels: int = 4
    base_size: int = 64
    channels: int = 1
    hidden: int = 0
    bias: bool = False
    hidden_activation: str = "relu"
    output_activation: str = "rectified_sigmoid"
    update: str = "replace"
    steps: int = 100
    seed_cell: tuple[int, int] | None = None
    seed_value: float = 1.0
    output_level: int = 0
    threshold: float = 0.0
    init_scale: float = 1.0
    seed_level: int = 0
    down_wiring: str = "children"
    wiring: str = "hierarchy"
    _layout: GenomeLayout | None = field(default=None, init=False, repr=False,
                                         compare=False, hash=False)

    def __post_init__(self):
        def need(cond, msg):
            if not cond:
                raise ValueError(f"HNCASpec: {msg}")

        for name in ("levels", "base_size", "channels", "hidden", "steps", "output_level",
                     "seed_level"):
            v = getattr(self, name)
            need(isinstance(v, (int, np.integer)) and not isinstance(v, bool),
                 f"{name} must be an integer, got {v!r}")
        need(self.levels >= 1, f"levels must be >= 1, got {self.levels}")
        need(self.base_size >= 1, f"base_size must be >= 1, got {self.base_size}")
        need(self.base_size % (2 ** (self.levels - 1)) == 0,
             f"base_size {self.base_size} is not divisible by 2**(levels-1) = "
             f"{2 ** (self.levels - 1)}; pick a base_size that is, or fewer levels")
        need(self.channels >= 1, f"channels must be >= 1, got {self.channels}")
        need(self.hidden >= 0, f"hidden must be >= 0, got {self.hidden}")
        need(self.steps >= 1, f"steps must be >= 1, got {self.steps}")
        need(isinstance(self.bias, (bool, np.bool_)), f"bias must be true or false, got {self.bias!r}")
        for name in ("hidden_activation", "output_activation"):
            v = getattr(self, name)
            need(v in ACTIVATIONS, f"unknown {name} {v!r}; choose one of {', '.join(ACTIVATIONS)}")
        need(self.update in UPDATE_MODES,
             f"unknown update {self.update!r}; choose replace or residual")
        need(0 <= self.output_level < self.levels,
             f"output_level must be in 0..{self.levels - 1}, got {self.output_level}")
        for name in ("threshold", "seed_value", "init_scale"):
            v = getattr(self, name)
            need(isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v),
                 f"{name} must be a finite number, got {v!r}")
        need(self.init_scale > 0, f"init_scale must be > 0, got {self.init_scale}")
        need(0 <= self.seed_level < self.levels,
             f"seed_level must be in 0..{self.levels - 1} (a level of this spec), "
             f"got {self.seed_level}")
        if self.seed_cell is not None:
            n = self.base_size >> self.seed_level
            sc = tuple(self.seed_cell) if isinstance(self.seed_cell, (tuple, list)) else ()
            need(len(sc) == 2 and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                      for v in sc) and all(0 <= v < n for v in sc),
                 f"seed_cell must be two integers in 0..{n - 1} (a cell of seed level "
                 f"{self.seed_level}, side {n}), got {self.seed_cell!r}; pick a cell inside "
                 "that level, or leave seed_cell unset for its centre")
            object.__setattr__(self, "seed_cell", (int(sc[0]), int(sc[1])))
        need(self.down_wiring in DOWN_WIRINGS,
             f"unknown down_wiring {self.down_wiring!r}; choose one of {', '.join(DOWN_WIRINGS)}")
        need(self.wiring in WIRINGS,
             f"unknown wiring {self.wiring!r}; choose one of {', '.join(WIRINGS)}")
        if W.random_down(self.wiring):
            need(self.channels == 1 and self.hidden == 0,
                 f"wiring {self.wiring!r} needs one channel and a linear rule (channels = 1, "
                 f"hidden = 0), got channels = {self.channels}, hidden = {self.hidden}; "
                 "use wiring 'hierarchy' or 'below_only' for other rules")
            need(self.down_wiring == "children",
                 f"down_wiring {self.down_wiring!r} applies to fixed down links, but wiring "
                 f"{self.wiring!r} draws its own; leave down_wiring at 'children'")
        object.__setattr__(self, "_layout", GenomeLayout(self))

    # ------------------------------------------------------------------ presets
    @classmethod
    def preset(cls, name: str, **overrides) -> "HNCASpec":
        """A named spec, with any field overridden.

        ``HNCASpec.preset("bielawski")`` is the GECCO 2024 HNCA (51 genes);
        ``HNCASpec.preset("bielawski", levels=1)`` the flat NCA (9 genes);
        ``HNCASpec.preset("neural")`` a 16-channel MLP-rule HNCA;
        ``HNCASpec.preset("isal2024")`` the ISAL 2024 setting (phenotype and
        seed on the coarsest level, 99 updates; add
        ``down_wiring="gecco2024"`` to reproduce the reference code exactly).
        """
        if name not in _PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(_PRESETS)}")
        fields = {f.name for f in dataclasses.fields(cls) if f.init}
        bad = sorted(set(overrides) - fields)
        if bad:
            raise ValueError(f"unknown HNCASpec field(s) {', '.join(bad)}; "
                             f"valid: {', '.join(sorted(fields))}")
        return cls(**{**_PRESETS[name], **overrides})

    @staticmethod
    def presets() -> tuple[str, ...]:
        return tuple(_PRESETS)

    def replace(self, **changes) -> "HNCASpec":
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ derived
    @property
    def layout(self) -> GenomeLayout:
        return self._layout

    @property
    def n_genes(self) -> int:
        return self._layout.n_genes

    @property
    def sizes(self) -> tuple[int, ...]:
        """Grid side of every level."""
        return tuple(self.base_size >> lvl for lvl in range(self.levels))

    @property
    def seed_position(self) -> tuple[int, int]:
        """The seed cell of level ``seed_level``."""
        if self.seed_cell is None:
            n = self.base_size >> self.seed_level
            return (n // 2, n // 2)
        return self.seed_cell

    @property
    def has_genome_links(self) -> bool:
        """True when links come from the genome (``random_below``, ``random_maps``)."""
        return W.random_down(self.wiring)

    @property
    def zero_is_fixed_point(self) -> bool:
        """True when an all-zero state stays all-zero (enables early stopping)."""
        return (not self.bias and self.output_activation in ZERO_PRESERVING
                and (self.hidden == 0 or self.hidden_activation in ZERO_PRESERVING))

    def initial_states(self, n: int | None = None) -> list[np.ndarray]:
        """The t = 0 state of every level: all zero but the seed cell.

        Returns a list of float32 arrays of shape ``(N_l, N_l, C)``, or
        ``(n, N_l, N_l, C)`` when ``n`` is given.
        """
        lead = () if n is None else (int(n),)
        states = [np.zeros(lead + (s, s, self.channels), np.float32) for s in self.sizes]
        i, j = self.seed_position
        states[self.seed_level][..., i, j, :] = self.seed_value
        return states

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}

    # ------------------------------------------------------------------ genomes
    def random_genomes(self, n: int, seed=0) -> np.ndarray:
        """``n`` genomes with genes i.i.d. U(-init_scale, init_scale).

        With a random wiring the wiring genes are then overwritten with
        links drawn by the wiring's rules (:func:`random_wiring_genes`, from
        the same generator, after the weights).

        Parameters
        ----------
        n : int
        seed : int, numpy.random.SeedSequence or numpy.random.Generator

        Returns
        -------
        (n, n_genes) float32 array
        """
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        g = rng.uniform(-self.init_scale, self.init_scale, size=(int(n), self.n_genes))
        g = g.astype(np.float32)
        if self.has_genome_links:
            g[:, ~self.layout.mutable] = self.random_wiring_genes(int(n), rng)
        return g

    def random_wiring_genes(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n, number of wiring genes) float32: random links coded as wiring genes.

        The values of ``genomes[:, ~spec.layout.mutable]`` for ``n`` new
        genomes (none for fixed wirings).  Source levels and offsets are
        uniform over the ranges of :mod:`alife.nca.wiring`.
        """
        links = W.draw_links(self.wiring, self.levels, self.base_size, int(n), rng)
        return self._links_to_genes(links)

    def _map_slots(self):
        """[(block, level, slot0)] of every wiring-gene block, in genome order."""
        out = []
        for b in self.layout.blocks:
            if not b.mutable:
                out.append((b, b.level, 0 if b.name == "down_map" else W.UP_SLOT))
        return out

    def _links_to_genes(self, links: np.ndarray) -> np.ndarray:
        P = links.shape[0]
        cols = []
        for b, lvl, s0 in self._map_slots():
            part = links[:, lvl, s0:s0 + b.shape[0], :]
            codes = np.empty(part.shape, np.float32)
            codes[..., 0] = W.encode(part[..., 0], self.levels)
            codes[..., 1:] = W.encode(part[..., 1:], self.base_size)
            cols.append(codes.reshape(P, -1))
        return np.concatenate(cols, axis=1) if cols else np.zeros((P, 0), np.float32)

    def links(self, genomes=None) -> np.ndarray:
        """The links every cell reads through (see :mod:`alife.nca.wiring`).

        Parameters
        ----------
        genomes : (P, n_genes) or (n_genes,) array, optional
            Needed for random wirings (their links are wiring genes).

        Returns
        -------
        (L, 5, 3) int64 when ``genomes`` is None, else (P, L, 5, 3): for each
        level, the four down slots then the up slot, each ``(m, r, c)`` =
        source level and offset in base cells; ``m = -1`` for an absent input
        (and, without genomes, for a random slot).
        """
        fixed = W.fixed_links(self.levels, self.wiring, self.down_wiring)
        if genomes is None:
            return fixed
        g = np.asarray(genomes)
        if g.ndim == 1:
            g = g[None]
        if g.ndim != 2 or g.shape[1] != self.n_genes:
            raise ValueError(f"genomes must have shape (P, {self.n_genes}), got {np.shape(genomes)}")
        out = np.broadcast_to(fixed, (g.shape[0],) + fixed.shape).copy()
        if self.has_genome_links:
            self._decode_links(g, out)
        return out

    def _decode_links(self, g: np.ndarray, out: np.ndarray) -> None:
        """Decode and check the wiring genes of ``g`` into ``out`` (P, L, 5, 3)."""
        names = None
        for b, lvl, s0 in self._map_slots():
            codes = np.asarray(g[:, b.slice], np.float32).reshape(-1, b.shape[0], 3)
            m, ok_m = W.decode(codes[..., 0], self.levels)
            rc, ok_rc = W.decode(codes[..., 1:], self.base_size)
            top = W.level_range(self.wiring, lvl, self.levels, s0)
            ok = np.stack([ok_m & (m < top), ok_rc[..., 0], ok_rc[..., 1]], axis=-1)
            if not ok.all():
                p, k, f = np.argwhere(~ok)[0]
                names = names or self.layout.gene_names()
                gene = b.slice.start + 3 * k + f
                what = (f"a level code 2m/{self.levels} - 1 with m in 0..{top - 1}" if f == 0
                        else f"an offset code 2r/{self.base_size} - 1 with r in 0..{self.base_size - 1}")
                raise ValueError(
                    f"genome {p} gene {gene} ({names[gene]}) = {codes[p, k, f]!r} is not {what}; "
                    "wiring genes must come from spec.random_genomes or spec.random_wiring_genes "
                    "and be left alone by mutation (spec.layout.mutable)")
            out[:, lvl, s0:s0 + b.shape[0], 0] = m
            out[:, lvl, s0:s0 + b.shape[0], 1:] = rc

    def with_links(self, genomes: np.ndarray, links) -> np.ndarray:
        """A copy of ``genomes`` whose wiring genes encode ``links``.

        ``links`` is (L, 5, 3) or (P, L, 5, 3) integers as :meth:`links`
        returns them (only the random slots are read), e.g. a reference
        ``below_map`` / ``above_map`` translated slot by slot.
        """
        g = np.array(genomes, np.float32, copy=True)
        if g.ndim == 1:
            g = g[None]
        if g.ndim != 2 or g.shape[1] != self.n_genes:
            raise ValueError(f"genomes must have shape (P, {self.n_genes}), got {np.shape(genomes)}")
        lk = np.broadcast_to(np.asarray(links, np.int64), (g.shape[0], self.levels, W.N_SLOTS, 3))
        g[:, ~self.layout.mutable] = self._links_to_genes(lk)
        self._decode_links(g, np.empty_like(lk))      # ValueError for links outside the rules
        return g

    def check_genomes(self, genomes) -> np.ndarray:
        """Validate a genome batch; returns it as a C-contiguous (P, D) float32 array.

        Raises ValueError for a wrong shape, length or dtype, non-finite
        genes, or (random wirings) wiring genes that are not valid links.
        """
        g = genomes
        if not isinstance(g, np.ndarray):
            raise ValueError(f"genomes must be a numpy array, got {type(g).__name__}")
        if g.ndim == 1:
            g = g[None, :]
        if g.ndim != 2:
            raise ValueError(f"genomes must have shape (P, {self.n_genes}), got {genomes.shape}")
        if g.shape[1] != self.n_genes:
            raise ValueError(f"genomes have {g.shape[1]} genes but this spec needs "
                             f"{self.n_genes} (shape must be (P, {self.n_genes}))")
        if g.dtype != np.float32:
            raise ValueError(f"genomes must be float32, got {g.dtype}; "
                             "use genomes.astype(np.float32)")
        g = np.ascontiguousarray(g)
        if not all_finite(g):
            bad = np.argwhere(~np.isfinite(g))[0]
            raise ValueError(f"genomes contain NaN or inf (first at genome {bad[0]}, gene {bad[1]})")
        if self.has_genome_links:
            self._decode_links(g, np.empty((g.shape[0], self.levels, W.N_SLOTS, 3), np.int64))
        return g
