"""Wirings of the HNCA (alife.nca.wiring) against the reference code's own indexing.

The reference code of Bielawski et al. (github.com/ngaylinn/mocs-final,
``simulation.py`` on ``main`` and the ``below_only``, ``randcontrol`` and
``upward_rand`` branches, spring 2024) keeps every layer on one W x W
"world" grid, a layer-l cell being a block of 2**l x 2**l world cells, and
updates every world cell of every layer.  :func:`world_step` below is a
NumPy re-implementation of that indexing, written from the facts of the
reference kernel:

* around: world cells ``(row + dy) mod W, (col + dx) mod W`` for dy, dx in
  (-g, 0, g) row-major, g = 2**layer, weights 4..12;
* down (layer > 0), slot k with map row ``(m, r, c)``: layer m at world
  ``((row // g) * g + (r // 2**m) * 2**m) mod W`` (likewise col), weight k;
* up (layer < L-1, only where the branch has it), map row ``(m, r, c)``:
  the same formula, weight 13;
* 0 if the weighted sum is <= 0, else the logistic function; synchronous;
* default maps: below row ``(l-1, di, dj)`` for slot 2*di+dj, above row
  ``(l+1, 0, 0)``; the branches' random maps: source layer ``randint(l+1)``
  (``randcontrol``) or ``randint(L)`` (``upward_rand``), offsets ``randint(W)``;
* seed: the world block ``[W/2, W/2 + 2**b)`` of the base layer b set to 1.

Every alife implementation (the three Numba kernels, the torch twin, the
NumPy oracle) must equal it level by level after several steps, the
reference's maps translated slot by slot to links (``spec.with_links``) and
its (L, 14) genome to alife's layout.
"""
from __future__ import annotations

import h5py
import numba
import numpy as np
import pytest

from alife.evolve.config import loads
from alife.evolve.algorithms import make_algorithm
from alife.evolve.runner import evolve
from alife.nca import HNCASpec, develop, trajectory
from alife.nca.reference import reference_develop, reference_step
from alife.nca.torch_twin import develop_torch
from alife.nca.wiring import UP_SLOT

from test_develop import _fingerprint_from_trajectory


# --------------------------------------------------------------------------- #
# the reference's world-grid indexing, re-implemented
# --------------------------------------------------------------------------- #
def _world_read(world, layer, W, m, r, c):
    """(W, W): layer m's world values that every world cell of ``layer`` reads
    through map row (m, r, c)."""
    g, gm = 1 << layer, 1 << m
    rows = np.arange(W)[:, None]
    cols = np.arange(W)[None, :]
    nr = ((rows // g) * g + (r // gm) * gm) % W
    nc = ((cols // g) * g + (c // gm) * gm) % W
    return world[m][nr, nc]


def world_step(world, wref, below_map, above_map, look_up=True):
    """One reference step on the world grid.  world (L, W, W) float64; wref
    (L, 14): down 0..3, around 4..12, up 13; below_map (L, 4, 3); above_map (L, 3)."""
    L, W = world.shape[0], world.shape[1]
    rows = np.arange(W)[:, None]
    cols = np.arange(W)[None, :]
    new = np.zeros_like(world)
    for layer in range(L):
        g = 1 << layer
        s = np.zeros((W, W))
        if layer > 0:
            for k in range(4):
                s += wref[layer, k] * _world_read(world, layer, W, *below_map[layer, k])
        k = 4
        for dy in (-g, 0, g):
            for dx in (-g, 0, g):
                s += wref[layer, k] * world[layer][(rows + dy) % W, (cols + dx) % W]
                k += 1
        if look_up and layer < L - 1:
            s += wref[layer, 13] * _world_read(world, layer, W, *above_map[layer])
        pos = s > 0
        new[layer][pos] = 1.0 / (1.0 + np.exp(-s[pos]))
    return new


def world_seed(L, W, base):
    world = np.zeros((L, W, W))
    g = 1 << base
    world[base, W // 2:W // 2 + g, W // 2:W // 2 + g] = 1.0
    return world


def spatial_maps(L):
    below = np.zeros((L, 4, 3), np.int64)
    above = np.zeros((L, 3), np.int64)
    for lvl in range(L):
        for k, (di, dj) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
            below[lvl, k] = (lvl - 1, di, dj)
        above[lvl] = (lvl + 1, 0, 0)
    return below, above


def random_maps(L, W, rng, at_or_below):
    below = np.zeros((L, 4, 3), np.int64)
    above = np.zeros((L, 3), np.int64)
    for lvl in range(L):
        for k in range(4):
            top = lvl + 1 if at_or_below else L
            below[lvl, k] = (rng.integers(top), rng.integers(W), rng.integers(W))
        above[lvl] = (rng.integers(L), rng.integers(W), rng.integers(W))
    return below, above


def reference_genome(L, rng):
    """A reference (L, 14) genome: U(-1, 1), layer 0's down and the top's up masked."""
    w = rng.uniform(-1, 1, (L, 14)).astype(np.float32)
    w[0, :4] = 0
    w[L - 1, 13] = 0
    return w


def to_alife(spec, wref, below, above):
    """The reference genome and maps as one alife genome of ``spec``."""
    g = np.zeros(spec.n_genes, np.float32)
    for lv in spec.layout.levels:
        for name, cols in (("down", slice(0, 4)), ("around", slice(4, 13)), ("up", slice(13, 14))):
            b = lv.block(name)
            if b is not None:
                g[b.slice] = wref[lv.level, cols]
    if spec.has_genome_links:
        links = np.full((spec.levels, 5, 3), -1, np.int64)
        links[1:, :4] = below[1:]
        links[:-1, UP_SLOT] = above[:-1]
        g = spec.with_links(g, links)[0]
    return g


#: (reference branch, alife wiring options, the branch's maps, does it look up).
BRANCHES = {
    "main": (dict(down_wiring="gecco2024"), "spatial", True),
    "below_only": (dict(wiring="below_only", down_wiring="gecco2024"), "spatial", False),
    "randcontrol": (dict(wiring="random_below"), "at_or_below", False),
    "upward_rand": (dict(wiring="random_maps"), "any", True),
}


def _branch_case(branch, L, W, base, seed, n_genomes):
    opts, maps, look_up = BRANCHES[branch]
    spec = HNCASpec.preset("isal2024", base_size=W, levels=L, seed_level=base,
                           output_level=L - 1, **opts)
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n_genomes):
        wref = reference_genome(L, rng)
        if maps == "spatial":
            below, above = spatial_maps(L)
        else:
            below, above = random_maps(L, W, rng, at_or_below=maps == "at_or_below")
        cases.append((wref, below, above, to_alife(spec, wref, below, above)))
    return spec, look_up, cases


def _world_states(world, spec, W):
    """The reference world as alife levels: the top-left world cell of every block."""
    out = []
    for lvl, n in enumerate(spec.sizes):
        g = 1 << lvl
        blocks = world[lvl].reshape(n, g, n, g)
        assert (blocks == blocks[:, :1, :, :1]).all(), "a reference layer lost its block structure"
        out.append(world[lvl][::g, ::g])
    return out


@pytest.mark.parametrize("base", [0, 3])
@pytest.mark.parametrize("branch", BRANCHES)
def test_every_implementation_equals_the_reference_world_grid(branch, base):
    """States to 1e-5 after 12 steps, level by level, for 4 genomes (maps
    random per genome on the random branches), seeded on the base level
    (the branches' hill climbers) or on the top level (the ISAL protocol)."""
    L, W, T = 4, 32, 12
    spec, look_up, cases = _branch_case(branch, L, W, base, seed=10 + base, n_genomes=6)
    G = np.stack([c[3] for c in cases])
    methods = ["mapped"] if spec.has_genome_links else ["lanes", "gemm", "mapped"]
    got = {m: develop(spec, G, steps=T, method=m).states for m in methods}
    got["torch"] = develop_torch(spec, G, steps=T)[0]
    alive = 0
    for p, (wref, below, above, _) in enumerate(cases):
        world = world_seed(L, W, base)
        for _ in range(T):
            world = world_step(world, wref.astype(np.float64), below, above, look_up)
        want = _world_states(world, spec, W)
        alive += sum(int((w > 0).sum()) for w in want)
        for name, states in got.items():
            for lvl in range(L):
                np.testing.assert_allclose(states[lvl][p, ..., 0], want[lvl], atol=1e-5,
                                           err_msg=f"{name} genome {p} level {lvl}")
        if p == 0:   # the float64 oracle, slow: one genome
            ref = reference_develop(spec, G[p], steps=T)
            for lvl in range(L):
                np.testing.assert_allclose(ref[lvl][..., 0], want[lvl], atol=1e-9)
    assert alive > 20       # the comparison is not between empty grids


def test_children_wiring_is_the_reference_formula_with_scaled_offsets():
    """The model's down links are the reference's formula with the child
    offsets scaled to the child level, (l-1, di << (l-1), dj << (l-1))."""
    L, W, T = 4, 32, 10
    spec = HNCASpec.preset("isal2024", base_size=W)
    rng = np.random.default_rng(4)
    below, above = spatial_maps(L)
    for lvl in range(1, L):
        below[lvl, :, 1:] <<= lvl - 1
    np.testing.assert_array_equal(spec.links()[1:, :4], below[1:])
    for _ in range(3):
        wref = reference_genome(L, rng)
        g = to_alife(spec, wref, below, above)
        world = world_seed(L, W, 3)
        for _ in range(T):
            world = world_step(world, wref.astype(np.float64), below, above)
        states = develop(spec, g, steps=T).states
        for lvl, want in enumerate(_world_states(world, spec, W)):
            np.testing.assert_allclose(states[lvl][0, ..., 0], want, atol=1e-5)


def test_gecco2024_links_are_the_reference_maps_literally():
    spec = HNCASpec.preset("isal2024", down_wiring="gecco2024")
    below, above = spatial_maps(4)
    links = spec.links()
    np.testing.assert_array_equal(links[1:, :4], below[1:])
    np.testing.assert_array_equal(links[:-1, UP_SLOT], above[:-1])
    assert (links[0, :4] == -1).all() and (links[3, UP_SLOT] == -1).all()


def test_isal2024_preset_is_the_reference_protocol():
    spec = HNCASpec.preset("isal2024")
    assert (spec.levels, spec.base_size, spec.channels, spec.hidden, spec.bias) == (4, 64, 1, 0, False)
    assert spec.steps == 99 and spec.output_level == 3 and spec.seed_level == 3
    assert spec.down_wiring == "children" and spec.n_genes == 51
    init = spec.initial_states()
    world = world_seed(4, 64, 3)
    for lvl, want in enumerate(_world_states(world, spec, 64)):
        np.testing.assert_array_equal(init[lvl][..., 0], want)
    assert init[3][4, 4, 0] == 1 and sum(s.sum() for s in init) == 1
    out = develop(spec, spec.random_genomes(3, seed=0))
    assert out.phenotypes.shape == (3, 8, 8)


# --------------------------------------------------------------------------- #
# routing: which cell each down (and up) weight reads
# --------------------------------------------------------------------------- #
def _numba_step(method):
    def step(spec, genome, states):
        out = develop(spec, genome[None].astype(np.float32),
                      states=[s[None].astype(np.float32) for s in states], steps=1, method=method)
        return [s[0] for s in out.states]
    return step


def _torch_step(spec, genome, states):
    final, _ = develop_torch(spec, genome[None].astype(np.float32),
                             states=[s[None].astype(np.float32) for s in states], steps=1)
    return [s[0] for s in final]


STEPPERS = {"numba-lanes": _numba_step("lanes"), "numba-gemm": _numba_step("gemm"),
            "numba-mapped": _numba_step("mapped"), "torch": _torch_step,
            "reference": reference_step}
LINK_STEPPERS = {k: STEPPERS[k] for k in ("numba-mapped", "torch", "reference")}


def _one_cell(spec, level, cell):
    states = [np.zeros((n, n, 1), np.float32) for n in spec.sizes]
    states[level][cell[0], cell[1], 0] = 1.0
    return states


def _lit(spec, got, level, cells):
    for lvl, s in enumerate(got):
        want = np.zeros(s.shape, np.float32)
        if lvl == level:
            for (i, j) in cells:
                want[i, j, 0] = 1.0
        np.testing.assert_array_equal(np.asarray(s, np.float32), want, err_msg=f"level {lvl}")


@pytest.mark.parametrize("impl", STEPPERS)
@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("q", range(4))
def test_gecco2024_down_weight_reads_the_top_left_child_above_level_1(impl, level, q):
    """Down position q = (di, dj) reads child (2i+di, 2j+dj) at level 1 and
    child (2i, 2j) at levels >= 2, whatever q."""
    spec = HNCASpec(levels=4, base_size=32, output_activation="identity", steps=1,
                    down_wiring="gecco2024")
    g = np.zeros(spec.n_genes, np.float32)
    g[spec.layout.slice(level, "down").start + q] = 1.0
    n_child = spec.sizes[level - 1]
    for a, b in [(4, 6), (5, 6), (4, 7), (5, 7), (n_child - 1, 0), (n_child - 2, 0)]:
        got = STEPPERS[impl](spec, g, _one_cell(spec, level - 1, (a, b)))
        reads = (a % 2, b % 2) == ((q // 2, q % 2) if level == 1 else (0, 0))
        _lit(spec, got, level, [(a // 2, b // 2)] if reads else [])


@pytest.mark.parametrize("impl", ["numba-lanes", "numba-gemm", "numba-mapped", "torch", "reference"])
def test_below_only_has_no_up_input(impl):
    spec = HNCASpec(levels=3, base_size=16, output_activation="identity", steps=1,
                    wiring="below_only")
    assert all(lv.block("up") is None for lv in spec.layout.levels)
    g = np.ones(spec.n_genes, np.float32)
    for lv in spec.layout.levels:           # only the down weights
        g[lv.block("around").slice] = 0
    got = STEPPERS[impl](spec, g, _one_cell(spec, 2, (1, 2)))     # a lone top cell
    _lit(spec, got, 0, [])                                          # reaches nobody below


#: Links (m, r, c) of a level-2 cell of a 4-level, 32-base spec: a finer,
#: the same, a coarser source level, offsets that wrap and ones that do not.
LINKS = [(0, 5, 30), (1, 7, 2), (2, 0, 31), (2, 13, 4), (3, 31, 17), (1, 0, 0)]


def _expected_readers(spec, level, link, src):
    """Cells (i, j) of ``level`` whose link reads cell ``src`` of level m, by
    the reference's world formula in block units."""
    m, r, c = link
    n, nm = spec.sizes[level], spec.sizes[m]
    out = []
    for i in range(n):
        for j in range(n):
            a = ((i * 2 ** level) // 2 ** m + r // 2 ** m) % nm
            b = ((j * 2 ** level) // 2 ** m + c // 2 ** m) % nm
            if (a, b) == src:
                out.append((i, j))
    return out


@pytest.mark.parametrize("impl", LINK_STEPPERS)
@pytest.mark.parametrize("slot", range(5))
@pytest.mark.parametrize("link", LINKS)
def test_random_link_weight_reads_exactly_its_linked_cell(impl, slot, link):
    spec = HNCASpec(levels=4, base_size=32, output_activation="identity", steps=1,
                    wiring="random_maps")
    level = 2
    links = np.zeros((4, 5, 3), np.int64)
    links[..., 0] = 0
    links[level, slot] = link
    g = np.zeros(spec.n_genes, np.float32)
    block = spec.layout.levels[level].block("up" if slot == UP_SLOT else "down")
    g[block.slice.start + (0 if slot == UP_SLOT else slot)] = 1.0
    g = spec.with_links(g, links)[0]
    m, r, c = link
    nm = spec.sizes[m]
    # the cell that (1, 2) reads, by the reference's world formula in block units
    read_by_1_2 = (((1 * 4) // 2 ** m + r // 2 ** m) % nm, ((2 * 4) // 2 ** m + c // 2 ** m) % nm)
    for src in [read_by_1_2, (0, 0), (nm - 1, nm // 2)]:
        got = STEPPERS[impl](spec, g, _one_cell(spec, m, src))
        readers = _expected_readers(spec, level, link, src)
        if src == read_by_1_2:   # a finer source is read by one cell, a coarser by its block
            assert (1, 2) in readers and len(readers) == (4 ** (m - level) if m > level else 1)
        _lit(spec, got, level, readers)


# --------------------------------------------------------------------------- #
# parity on random genomes, full size
# --------------------------------------------------------------------------- #
WIRING_SPECS = {
    "gecco2024": HNCASpec.preset("isal2024", down_wiring="gecco2024"),
    "below_only": HNCASpec.preset("isal2024", wiring="below_only"),
    "below_only-gecco2024": HNCASpec.preset("isal2024", wiring="below_only",
                                            down_wiring="gecco2024"),
    "random_below": HNCASpec.preset("isal2024", wiring="random_below"),
    "random_maps": HNCASpec.preset("isal2024", wiring="random_maps"),
    "bielawski-gecco2024": HNCASpec.preset("bielawski", down_wiring="gecco2024"),
    "multichannel-gecco2024-below_only": HNCASpec(levels=3, base_size=16, channels=3, hidden=5,
                                                  bias=True, hidden_activation="tanh",
                                                  steps=10, down_wiring="gecco2024",
                                                  wiring="below_only", init_scale=0.5),
}


def _methods(spec, gemm=True):
    """Methods to compare; full-size rollouts skip the (slow) gemm path for
    one-channel linear rules, which the world-grid and one-step tests cover."""
    if spec.has_genome_links:
        return ["mapped"]
    if spec.channels == 1 and spec.hidden == 0:
        return ["lanes", "gemm", "mapped"] if gemm else ["lanes", "mapped"]
    return ["gemm"]


def _departure_margin(spec, g, method):
    """|float64 pre-activation| at the first cell where ``method``'s rollout and
    the twin's own rollout part by more than 1e-5, from the previous state."""
    from alife.nca.reference import _cell_inputs
    hist = trajectory(spec, g, method=method)
    st = [s[None] for s in spec.initial_states()]
    links = spec.links(g)[0] if spec.has_genome_links else None
    for t in range(spec.steps):
        nxt, _ = develop_torch(spec, g[None], states=st, steps=1)
        gaps = [np.abs(n[0] - h[t + 1]) for n, h in zip(nxt, hist)]
        if max(x.max() for x in gaps) > 1e-5:
            lvl = int(np.argmax([x.max() for x in gaps]))
            i, j, _ = np.unravel_index(np.argmax(gaps[lvl]), gaps[lvl].shape)
            w1 = spec.layout.unpack(g.astype(np.float64), lvl)[0]
            x = _cell_inputs(spec, [h[t].astype(np.float64) for h in hist], lvl, i, j, links)
            return abs(float(x @ w1[:, 0]))
        st = nxt
    return np.inf


@pytest.mark.parametrize("name", WIRING_SPECS)
def test_develop_matches_the_twin_for_every_wiring(name):
    """States to 1e-5 and phenotypes exactly on 100 random genomes, every
    method, except where the rectified sigmoid's step meets a pre-activation
    within float32 rounding of 0 (two correct summation orders may then land
    on either side; README, "A note on parity"): at most 2 such genomes, and
    each must part from the twin at a cell with |pre-activation| < 1e-6."""
    spec = WIRING_SPECS[name]
    G = spec.random_genomes(100, seed=11)
    t_states, t_phen = develop_torch(spec, G)
    for method in _methods(spec, gemm=False):
        out = develop(spec, G, method=method)
        gap = np.max([(np.abs(out.states[lvl] - t_states[lvl])
                       / np.maximum(1.0, np.abs(t_states[lvl]))).reshape(len(G), -1).max(1)
                      for lvl in range(spec.levels)], axis=0)
        apart = np.flatnonzero(gap > 1e-5)
        assert len(apart) <= 2, (method, apart)
        for p in apart:
            assert _departure_margin(spec, G[p], method) < 1e-6, (method, p)
        same = np.setdiff1d(np.arange(len(G)), apart)
        np.testing.assert_array_equal(out.phenotypes[same], t_phen[same], err_msg=method)


@pytest.mark.parametrize("name", WIRING_SPECS)
def test_one_step_from_random_states_matches_the_oracle(name):
    spec = WIRING_SPECS[name].replace(base_size=16 if WIRING_SPECS[name].levels == 4 else 8)
    rng = np.random.default_rng(2)
    G = spec.random_genomes(3, seed=rng)
    states = [rng.uniform(-1, 1, (3, n, n, spec.channels)).astype(np.float32) for n in spec.sizes]
    t_states, _ = develop_torch(spec, G, states=states, steps=1)
    for method in _methods(spec):
        out = develop(spec, G, states=states, steps=1, method=method)
        for p in range(3):
            ref = reference_step(spec, G[p], [s[p] for s in states])
            for lvl in range(spec.levels):
                assert np.abs(out.states[lvl][p] - ref[lvl]).max() <= 1e-5, (method, p, lvl)
                assert np.abs(t_states[lvl][p] - ref[lvl]).max() <= 1e-5, ("torch", p, lvl)


def test_gecco2024_differs_from_children_only_through_levels_2_and_up():
    """The two down wirings agree exactly on genomes whose level >= 2 down
    weights are zero, and disagree on most random genomes."""
    a = HNCASpec.preset("isal2024")
    b = a.replace(down_wiring="gecco2024")
    G = a.random_genomes(200, seed=3)
    pa, pb = develop(a, G).phenotypes, develop(b, G).phenotypes
    assert (pa != pb).any(axis=(1, 2)).mean() > 0.2
    for lvl in (2, 3):
        G[:, a.layout.slice(lvl, "down")] = 0
    np.testing.assert_array_equal(develop(a, G).states[0], develop(b, G).states[0])


# --------------------------------------------------------------------------- #
# the mapped kernel: fingerprints, determinism, trajectories
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("wiring, base", [("random_below", 16), ("random_maps", 16),
                                          ("random_maps", 40), ("hierarchy", 16)])
def test_mapped_fingerprint_is_the_hash_of_the_whole_trajectory(wiring, base):
    spec = HNCASpec.preset("isal2024", base_size=base, steps=6, wiring=wiring)
    G = spec.random_genomes(5, seed=2)
    out = develop(spec, G, method="mapped", fingerprint=True)
    for p in (0, 3):
        hist = trajectory(spec, G[p], method="mapped")
        assert int(out.fingerprints[p]) == _fingerprint_from_trajectory(spec, hist)
        for lvl in range(spec.levels):
            np.testing.assert_array_equal(hist[lvl][-1], out.states[lvl][p])


def test_mapped_results_do_not_depend_on_threads_or_batch():
    spec = HNCASpec.preset("isal2024", wiring="random_maps")
    G = spec.random_genomes(40, seed=9)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = develop(spec, G, fingerprint=True)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = develop(spec, G, fingerprint=True)
    finally:
        numba.set_num_threads(before)
    part = develop(spec, G[17:21], fingerprint=True)
    for lvl in range(spec.levels):
        np.testing.assert_array_equal(one.states[lvl], two.states[lvl])
        np.testing.assert_array_equal(one.states[lvl][17:21], part.states[lvl])
    np.testing.assert_array_equal(one.fingerprints, two.fingerprints)
    np.testing.assert_array_equal(one.fingerprints[17:21], part.fingerprints)


def test_mapped_stops_dead_genomes_early_with_the_same_result():
    spec = HNCASpec.preset("isal2024", wiring="random_below")
    G = spec.random_genomes(4, seed=0)
    G[:, spec.layout.mutable] = -np.abs(G[:, spec.layout.mutable])   # dies at step 1
    out = develop(spec, G)
    assert (out.steps_run < spec.steps).all() and out.degenerate.all()
    assert all((s == 0).all() for s in out.states)


@pytest.mark.parametrize("wiring", ["random_below", "random_maps", "hierarchy"])
def test_mapped_scoring_counts_what_the_trajectory_shows(wiring):
    """develop(target=, score_steps=) on the mapped kernel: the counts of every
    scored step are those of the trajectory, and scoring changes nothing else."""
    spec = HNCASpec.preset("isal2024", base_size=16, steps=12, wiring=wiring)
    G = spec.random_genomes(6, seed=4)
    G[0, spec.layout.mutable] = -np.abs(G[0, spec.layout.mutable])     # dies: early stop
    n = spec.sizes[spec.output_level]
    t = np.zeros((n, n), bool)
    t[: n // 2, 1:] = True
    steps = np.array([0, 1, 5, 11, 12])
    dev = develop(spec, G, method="mapped", target=t, score_steps=steps)
    assert dev.step_wrong.shape == dev.step_on.shape == (6, 5)
    assert dev.steps_run[0] < spec.steps
    for p in range(6):
        hist = trajectory(spec, G[p], method="mapped")[spec.output_level]
        ph = hist[steps][..., 0] > spec.threshold
        np.testing.assert_array_equal(dev.step_on[p], ph.sum(axis=(1, 2)))
        np.testing.assert_array_equal(dev.step_wrong[p], (ph != t).sum(axis=(1, 2)))
    plain = develop(spec, G, method="mapped")
    for a, b in zip(dev.states, plain.states):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("wiring", ["random_maps", "hierarchy"])
@pytest.mark.parametrize("t_damage", [0, 5, 12])
def test_mapped_damage_in_one_rollout_equals_two_develop_calls(wiring, t_damage):
    from alife.tasks import damage_states
    spec = HNCASpec.preset("isal2024", base_size=16, steps=12, seed_level=0, wiring=wiring)
    G = spec.random_genomes(9, seed=6)
    rect = (2, 3, 9, 6)
    first = (spec.initial_states(9) if t_damage == 0
             else develop(spec, G, steps=t_damage, method="mapped").states)
    hurt = damage_states(spec, first, rect)
    ref = develop(spec, G, states=hurt, steps=spec.steps - t_damage, method="mapped") \
        if t_damage < spec.steps else None
    for fp in (False, True):
        dev = develop(spec, G, method="mapped", damage=(t_damage, rect), fingerprint=fp)
        for lvl in range(spec.levels):
            want = hurt[lvl] if ref is None else ref.states[lvl]
            np.testing.assert_array_equal(dev.states[lvl], want)
    if wiring == "hierarchy":          # the fixed-offset kernels agree (float rounding)
        lanes = develop(spec, G, method="lanes", damage=(t_damage, rect))
        for a, b in zip(dev.states, lanes.states):
            np.testing.assert_allclose(a, b, atol=1e-5)


# --------------------------------------------------------------------------- #
# the spec: validation, wiring genes
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("kwargs, match", [
    (dict(seed_level=4), "seed_level must be in 0..3"),
    (dict(seed_level=-1), "seed_level"),
    (dict(seed_level=3, seed_cell=(8, 0)), r"seed_cell must be two integers in 0\.\.7"),
    (dict(seed_level=2, seed_cell=(1,)), "seed_cell"),
    (dict(seed_cell=(True, 2)), "seed_cell"),
    (dict(down_wiring="parents"), "unknown down_wiring"),
    (dict(wiring="random"), "unknown wiring"),
    (dict(wiring="random_below", channels=2), "needs one channel and a linear rule"),
    (dict(wiring="random_maps", hidden=3), "needs one channel and a linear rule"),
    (dict(wiring="random_maps", down_wiring="gecco2024"), "leave down_wiring at 'children'"),
])
def test_impossible_wiring_and_seed_options_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HNCASpec(**kwargs)


def test_seed_on_any_level_and_cell():
    spec = HNCASpec(levels=3, base_size=16, seed_level=1, seed_cell=(2, 7), seed_value=0.5)
    init = spec.initial_states()
    assert init[1][2, 7, 0] == 0.5 and sum(float(s.sum()) for s in init) == 0.5
    assert HNCASpec(levels=3, base_size=16, seed_level=2).seed_position == (2, 2)
    assert HNCASpec().seed_position == (32, 32)          # unchanged default


def test_random_genomes_of_fixed_wirings_are_unchanged_draws():
    for spec in (HNCASpec.preset("bielawski"), HNCASpec.preset("isal2024", down_wiring="gecco2024")):
        want = np.random.default_rng(5).uniform(-1, 1, (7, spec.n_genes)).astype(np.float32)
        np.testing.assert_array_equal(spec.random_genomes(7, seed=5), want)
        assert spec.layout.mutable.all()


@pytest.mark.parametrize("wiring", ["random_below", "random_maps"])
def test_random_wiring_genes_follow_the_rules(wiring):
    spec = HNCASpec.preset("isal2024", wiring=wiring)
    G = spec.random_genomes(4000, seed=1)
    assert ((G >= -1) & (G <= 1)).all()
    links = spec.links(G)
    for lvl in range(4):
        for s in range(5):
            m = links[:, lvl, s, 0]
            present = (s < 4 and lvl > 0) or (s == UP_SLOT and wiring == "random_maps" and lvl < 3)
            if not present:
                assert (m == -1).all()
                continue
            top = lvl + 1 if wiring == "random_below" else 4
            assert set(np.unique(m).tolist()) == set(range(top))        # every allowed level drawn
            counts = np.bincount(m, minlength=top) / len(m)
            assert np.abs(counts - 1 / top).max() < 0.05
            rc = links[:, lvl, s, 1:]
            assert rc.min() == 0 and rc.max() == 63
            assert abs(rc.mean() - 31.5) < 1.5
    names = spec.layout.gene_names()
    fixed = [n for n, mut in zip(names, spec.layout.mutable) if not mut]
    first = "L0.up_map[0]" if wiring == "random_maps" else "L1.down_map[0]"
    assert fixed[:3] == [f"{first}.level", f"{first}.row", f"{first}.col"]
    assert spec.n_genes == {"random_below": 48 + 36, "random_maps": 51 + 45}[wiring]


def test_bad_wiring_genes_are_refused_with_the_gene_name():
    spec = HNCASpec.preset("isal2024", wiring="random_below")
    G = spec.random_genomes(3, seed=0)
    idx = int(np.flatnonzero(~spec.layout.mutable)[0])      # L1.down_map[0].level
    bad = G.copy()
    bad[1, idx] = 0.5                                        # level 3 > 1 at level 1
    with pytest.raises(ValueError, match=r"genome 1 gene .*L1\.down_map\[0\]\.level.*m in 0\.\.1"):
        develop(spec, bad)
    bad = G.copy()
    bad[2, idx + 1] = 0.3                                    # not an offset code
    with pytest.raises(ValueError, match=r"L1\.down_map\[0\]\.row.*spec\.random_genomes"):
        develop_torch(spec, bad)
    with pytest.raises(ValueError, match="'mapped'"):
        develop(spec, G, method="lanes")


def test_with_links_round_trips_and_checks_the_rules():
    spec = HNCASpec.preset("isal2024", wiring="random_maps")
    G = spec.random_genomes(2, seed=0)
    links = spec.links(G)
    np.testing.assert_array_equal(spec.with_links(G, links), G)
    links[0, 2, 1] = (3, 17, 3)
    G2 = spec.with_links(G, links)
    np.testing.assert_array_equal(spec.links(G2), links)
    np.testing.assert_array_equal(G2[:, spec.layout.mutable], G[:, spec.layout.mutable])
    links[1, 2, 1, 0] = 4
    with pytest.raises(ValueError, match="level code"):
        spec.with_links(G, links)


# --------------------------------------------------------------------------- #
# evolution keeps wiring genes: inherited, never mutated, resumable
# --------------------------------------------------------------------------- #
def test_algorithm_with_fixed_genes_mutates_only_the_mutable_ones():
    spec = HNCASpec.preset("isal2024", wiring="random_maps")
    for name, params in (("afpo", dict(n_newcomers=3)), ("ga", {}), ("hillclimb", {})):
        algo = make_algorithm(name, pop_size=12, **params).with_fixed_genes(
            spec.layout.mutable, spec.random_wiring_genes)
        rng = np.random.default_rng(1)
        first = algo.init(rng, genome_size=spec.n_genes)
        spec.check_genomes(first.genomes)
        state = algo.tell_init(first, rng.random(12))
        for _ in range(3):
            off = algo.ask(state, rng)
            spec.check_genomes(off.genomes)                     # valid links throughout
            kids = off.parent_index >= 0
            fixed = ~spec.layout.mutable
            np.testing.assert_array_equal(off.genomes[kids][:, fixed],
                                          state.genomes[off.parent_index[kids]][:, fixed])
            assert not off.mutated[:, fixed].any() and (off.mutated[kids].sum(1) == 1).all()
            state = algo.tell(state, off, rng.random(len(off)), rng)


RANDOM_WIRING_RUN = """
seed = 5
generations = 7

[model]
preset = "isal2024"
base_size = 32
steps = 24
wiring = "random_maps"

[task]
target = "square"

[algorithm]
name = "afpo"
pop_size = 16
n_newcomers = 2

[mutation]
name = "resample"
"""


def test_evolution_run_with_random_links_is_self_contained_and_resumable(tmp_path):
    cfg = loads(RANDOM_WIRING_RUN)
    spec = cfg.spec()
    evolve(cfg, tmp_path / "straight.h5", progress=False)
    evolve(cfg, tmp_path / "resumed.h5", progress=False, stop_after=3)
    evolve(cfg, tmp_path / "resumed.h5", progress=False)
    fixed = ~spec.layout.mutable
    with h5py.File(tmp_path / "straight.h5", "r") as a, h5py.File(tmp_path / "resumed.h5", "r") as b:
        for key in ("genomes", "uid", "parent_uid", "loss", "phenotype_id"):
            assert a[key][()].tobytes() == b[key][()].tobytes(), key
        genomes, uid, puid = a["genomes"][()], a["uid"][()], a["parent_uid"][()]
    links_of = {}
    for g in range(genomes.shape[0]):
        spec.check_genomes(genomes[g])
        for u, p, genome in zip(uid[g], puid[g], genomes[g]):
            links_of[int(u)] = genome[fixed]
            if p >= 0:      # every child carries its parent's links
                np.testing.assert_array_equal(genome[fixed], links_of[int(p)])
    # the stored genomes alone reproduce the stored phenotypes
    with h5py.File(tmp_path / "straight.h5", "r") as f:
        ids = f["phenotype_id"][()][-1]
    out = develop(spec, genomes[-1])
    np.testing.assert_array_equal(out.ids, ids)


def test_twin_is_differentiable_through_random_links():
    """Analytic gradient vs finite differences (float64) with random links:
    the weights get gradient, the wiring genes (not used arithmetically) none."""
    import torch
    from alife.nca.torch_twin import TorchHNCA
    spec = HNCASpec(levels=3, base_size=8, steps=2, wiring="random_maps")
    model = TorchHNCA(spec)
    G0 = torch.from_numpy(spec.random_genomes(2, seed=9)).double()
    mut = torch.from_numpy(spec.layout.mutable.copy())
    rng = np.random.default_rng(9)
    states = [torch.from_numpy(rng.uniform(0, 1, (2, n, n, 1))) for n in spec.sizes]

    def of_weights(w):            # wiring genes held fixed: they are codes, not numbers
        g = G0.clone()
        g[:, mut] = w
        return model(g, states)

    w = G0[:, mut].clone().requires_grad_()
    assert torch.autograd.gradcheck(of_weights, (w,), eps=1e-6, atol=1e-5, fast_mode=True)
    G = G0.clone().requires_grad_()
    model(G, states)[0].sum().backward()
    assert (G.grad[:, ~mut] == 0).all() and G.grad[:, mut].abs().sum() > 0
