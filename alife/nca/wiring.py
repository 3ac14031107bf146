"""How the levels of an HNCA are wired to each other: links and per-genome maps.

Links
-----
Every input a cell takes from a level (its own or another) other than its
3x3 neighbourhood is a *link* ``(m, r, c)``: a source level ``m`` and an
offset ``(r, c)`` counted in base-level cells.  Cell ``(i, j)`` of level
``l`` (a grid of side ``N_l = N_0 / 2**l``) reads, through link ``(m, r, c)``,
cell ::

    ( ((i << l) >> m) + (r >> m) ) mod N_m ,   ( ((j << l) >> m) + (c >> m) ) mod N_m

of level ``m``: the level-``m`` cell that contains the base cell at the
top-left corner of ``(i, j)``'s block, moved by ``(r >> m, c >> m)`` cells of
level ``m``.  This is exactly what the reference code of Bielawski et al.
computes on its common 64x64 "world" grid, where a level-``l`` cell is a
block of ``2**l x 2**l`` world cells: world row ``((row // 2**l) * 2**l +
(r // 2**m) * 2**m) mod 64`` of level ``m`` is, in level-``m`` cells, the row
above.  So a reference map row ``[m, r, c]`` is the link ``(m, r, c)``
unchanged.

A level has five link slots: the four ``down`` positions (the order of the
genome's ``down`` block) and the one ``up`` input.  :func:`fixed_links`
gives them for the fixed wirings:

* ``down_wiring="children"`` (the model's definition, the default): down
  position ``k = 2*di + dj`` is the link ``(l-1, di << (l-1), dj << (l-1))``,
  i.e. child ``(2i + di, 2j + dj)``;
* ``down_wiring="gecco2024"`` (compatibility with the reference code of
  Bielawski et al., GECCO 2024 and ISAL 2024): the link ``(l-1, di, dj)``,
  the reference's ``below_map`` row taken literally.  Its offset is not
  scaled to the child level, so at levels ``l >= 2`` the shift ``di >> (l-1)``
  is 0 and all four down weights read the top-left child ``(2i, 2j)``; at
  level 1 the four children are distinct;
* the up input is the link ``(l+1, 0, 0)``: the parent ``(i // 2, j // 2)``.

Wirings (``HNCASpec.wiring``)
-----------------------------
``hierarchy``     down from the level below, up from the level above (the model).
``below_only``    down links only: no input from above and no ``up`` genes
                  (the reference's ``below_only`` branch).
``random_below``  down links only, and each genome carries its own random
                  down links: source level uniform in ``0..l`` (the level
                  itself or any level below), offsets uniform in
                  ``0..N_0-1`` (the reference's ``randcontrol`` branch).
``random_maps``   down and up links both random per genome: source level
                  uniform in ``0..L-1``, offsets uniform in ``0..N_0-1``
                  (the reference's ``upward_rand`` branch).

Wiring genes
------------
A random wiring is part of the individual, so it is stored in the genome:
blocks ``down_map`` (4 x 3, levels ``l > 0``) and, for ``random_maps``,
``up_map`` (1 x 3, levels ``l < L-1``), after the level's rule blocks.
Each row is one link ``(level, row, col)`` written as codes in ``[-1, 1)``
so that every gene of every genome stays in ``[-1, 1]`` like the rule's
weights: level ``m`` is ``2 m / L - 1`` and offset ``r`` is ``2 r / N_0 - 1``
(float32; exact for the powers of two of the presets).  Wiring genes are not
mutable: :attr:`GenomeLayout.mutable` is False for them, mutation leaves them
alone (a child inherits its parent's links, as in the reference), and
:meth:`HNCASpec.random_genomes` draws them by the rules above.  The
reference additionally kept only maps along which an all-ones genome reaches
every level ("percolates"); that filter needs a simulation and is left to the
caller (see ``experiments/isal2024``).
"""
from __future__ import annotations

import numpy as np

WIRINGS = ("hierarchy", "below_only", "random_below", "random_maps")
DOWN_WIRINGS = ("children", "gecco2024")

#: Link slots of a level: the four down positions, then the up input.
N_SLOTS = 5
UP_SLOT = 4
#: Columns of a link / of a map block row.
LINK_FIELDS = ("level", "row", "col")


def has_down(level: int) -> bool:
    return level > 0


def has_up(wiring: str, level: int, levels: int) -> bool:
    """Whether level ``level`` takes an input from above under ``wiring``."""
    return level < levels - 1 and wiring in ("hierarchy", "random_maps")


def random_down(wiring: str) -> bool:
    return wiring in ("random_below", "random_maps")


def random_up(wiring: str) -> bool:
    return wiring == "random_maps"


def fixed_links(levels: int, wiring: str, down_wiring: str) -> np.ndarray:
    """(L, 5, 3) int64 links of a fixed wiring; level -1 marks an absent slot.

    Random slots (of ``random_below`` / ``random_maps``) are -1 here too: they
    come from the genome (:func:`genome_links`).
    """
    out = np.full((levels, N_SLOTS, 3), -1, np.int64)
    for lvl in range(levels):
        if has_down(lvl) and not random_down(wiring):
            for k in range(4):
                di, dj = divmod(k, 2)
                sh = (lvl - 1) if down_wiring == "children" else 0
                out[lvl, k] = (lvl - 1, di << sh, dj << sh)
        if has_up(wiring, lvl, levels) and not random_up(wiring):
            out[lvl, UP_SLOT] = (lvl + 1, 0, 0)
    return out


def source_cell(level: int, link, i: int, j: int, sizes) -> tuple[int, int, int]:
    """``(m, row, col)``: the cell of level m that cell (i, j) of ``level`` reads
    through ``link = (m, r, c)`` (see the module docstring)."""
    m, r, c = (int(x) for x in link)
    n = sizes[m]
    return m, (((i << level) >> m) + (r >> m)) % n, (((j << level) >> m) + (c >> m)) % n


# --------------------------------------------------------------------------- #
# wiring genes: codes in [-1, 1)
# --------------------------------------------------------------------------- #
def encode(k, n_values: int) -> np.ndarray:
    """Integer value(s) ``k`` in ``0..n_values-1`` -> float32 codes ``2 k / n - 1``."""
    return (2.0 * np.asarray(k, np.float64) / n_values - 1.0).astype(np.float32)


def decode(x, n_values: int):
    """Float32 codes -> (integers, exact) where ``exact`` says the code is one
    of :func:`encode`'s values for ``0..n_values-1``."""
    x = np.asarray(x, np.float32)
    k = np.rint((x.astype(np.float64) + 1.0) * n_values / 2.0)
    ok = np.isfinite(k) & (k >= 0) & (k < n_values)
    k = np.where(ok, k, 0).astype(np.int64)
    return k, ok & (encode(k, n_values) == x)


def map_blocks(wiring: str, level: int, levels: int) -> list[tuple[str, tuple[int, int]]]:
    """The wiring-gene blocks of one level: ``[(name, (positions, 3)), ...]``."""
    out = []
    if random_down(wiring) and has_down(level):
        out.append(("down_map", (4, 3)))
    if random_up(wiring) and has_up(wiring, level, levels):
        out.append(("up_map", (1, 3)))
    return out


def level_range(wiring: str, level: int, levels: int, slot: int) -> int:
    """Number of allowed source levels (``0..n-1``) of a random link slot."""
    if wiring == "random_below":
        return level + 1
    return levels


def draw_links(wiring: str, levels: int, base_size: int, n: int, rng) -> np.ndarray:
    """(n, L, 5, 3) int64 random links by the wiring's rules (-1 where fixed or absent)."""
    out = np.full((n, levels, N_SLOTS, 3), -1, np.int64)
    for lvl in range(levels):
        slots = []
        if random_down(wiring) and has_down(lvl):
            slots += [0, 1, 2, 3]
        if random_up(wiring) and has_up(wiring, lvl, levels):
            slots.append(UP_SLOT)
        for s in slots:
            out[:, lvl, s, 0] = rng.integers(0, level_range(wiring, lvl, levels, s), size=n)
            out[:, lvl, s, 1:] = rng.integers(0, base_size, size=(n, 2))
    return out
