"""Population rollout of HNCAs: the public :func:`develop` and :func:`trajectory`.

This layer validates, packs genomes and states into the kernels' plain
arrays, picks a kernel strategy and unpacks the results; the arithmetic is in
:mod:`alife.nca.kernels`.

The fixed-offset kernels (``lanes``, ``gemm``) run the model's wiring only:
``hierarchy`` with ``children`` down links.  Other fixed wirings reach them
through :func:`kernel_form`, as genomes of that wiring that compute the same
rule: ``below_only`` gets zero ``up`` weights, and ``down_wiring="gecco2024"``
(all four down inputs read the top-left child at levels >= 2) gets, at those
levels, the sum of its four down weights on child (2i, 2j) and zeros on the
other three.  Random wirings (links per genome) run on the ``mapped`` kernel.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from . import kernels as K
from .lanes_batches import lanes_develop
from .phenotype import binarise, degenerate, phenotype_ids
from .spec import HNCASpec

METHODS = ("auto", "lanes", "gemm", "mapped")


@dataclass(frozen=True)
class Geometry:
    """Plain-array description of a spec, as the kernels need it."""

    sizes: np.ndarray     # (L,) grid side per level
    offs: np.ndarray      # (L+1,) first row of each padded level; offs[L] = rows
    gstart: np.ndarray    # (L,) first gene of W1 per level
    ninp: np.ndarray      # (L,) inputs per cell (rows of W1)
    b1start: np.ndarray   # (L,) first gene of the first-layer bias, -1 if none
    w2start: np.ndarray   # (L,) first gene of W2, -1 if none
    b2start: np.ndarray   # (L,) first gene of b2, -1 if none

    @property
    def rows(self) -> int:
        return int(self.offs[-1])


@lru_cache(maxsize=64)
def geometry(spec: HNCASpec) -> Geometry:
    """Sides, padded-level offsets and gene starts of ``spec`` (kernel form).

    Cached per spec (equal specs share one result), as every ``develop``
    call needs it: the arrays are shared, so callers must not modify them.
    """
    C = spec.channels
    sizes = np.array(spec.sizes, np.int64)
    offs = np.zeros(spec.levels + 1, np.int64)
    for lvl, n in enumerate(spec.sizes):
        offs[lvl + 1] = offs[lvl] + (n + 2) * (n + 2) * C

    def start(lv, name):
        b = lv.block(name)
        return -1 if b is None else b.slice.start

    lay = spec.layout.levels
    return Geometry(
        sizes=sizes, offs=offs,
        gstart=np.array([lv.start for lv in lay], np.int64),
        ninp=np.array([lv.n_inputs for lv in lay], np.int64),
        b1start=np.array([start(lv, "bias") for lv in lay], np.int64),
        w2start=np.array([start(lv, "w2") for lv in lay], np.int64),
        b2start=np.array([start(lv, "b2") for lv in lay], np.int64),
    )


def pad_states(spec: HNCASpec, geo: Geometry, states: list[np.ndarray], P: int) -> np.ndarray:
    """Per-level (N, N, C) or (P, N, N, C) states -> (1 or P, rows) padded buffer.

    One shared row when every level's state is shared by all genomes (the
    usual seed start), so callers broadcast instead of copying P times.
    """
    Q = 1 if all(s.ndim == 3 or s.shape[0] == 1 for s in states) else P
    out = np.empty((Q, geo.rows), np.float32)
    for lvl, n in enumerate(spec.sizes):
        v = out[:, geo.offs[lvl]:geo.offs[lvl + 1]].reshape(Q, n + 2, n + 2, spec.channels)
        # the toroidal wrap of np.pad(mode="wrap") by slices (np.pad costs
        # ~25 us per level, a large share of developing a few genomes):
        # interior, then the ghost rows, then whole ghost columns (corners
        # come from the wrapped rows)
        v[:, 1:-1, 1:-1] = states[lvl]
        v[:, 0, 1:-1] = v[:, n, 1:-1]
        v[:, n + 1, 1:-1] = v[:, 1, 1:-1]
        v[:, :, 0] = v[:, :, n]
        v[:, :, n + 1] = v[:, :, 1]
    return out


@lru_cache(maxsize=64)
def seed_padded(spec: HNCASpec) -> np.ndarray:
    """``pad_states`` of ``spec.initial_states()``: the (1, rows) padded seed
    start every genome shares, cached per spec like :func:`geometry` (the
    array is shared: callers must not modify it; kernels that develop in
    place get a copy).  Padding it anew cost ~25 us per call for four
    levels, about 1% of developing 8,192 genomes on base-8 grids."""
    return pad_states(spec, geometry(spec), spec.initial_states(), 1)


def unpad_states(spec: HNCASpec, geo: Geometry, flat: np.ndarray) -> list[np.ndarray]:
    """(..., rows) padded buffer -> list of (..., N, N, C) contiguous float32."""
    lead = flat.shape[:-1]
    res = []
    for lvl, n in enumerate(spec.sizes):
        v = flat[..., geo.offs[lvl]:geo.offs[lvl + 1]].reshape(lead + (n + 2, n + 2, spec.channels))
        res.append(np.ascontiguousarray(v[..., 1:-1, 1:-1, :]))
    return res


@lru_cache(maxsize=64)
def lanes_gene_table(spec: HNCASpec) -> np.ndarray:
    """(L, NW) gene index of every row of the lanes weight table, -1 if absent.

    Cached per spec like :func:`geometry`; the shared array must not be modified.
    """
    idx = -np.ones((spec.levels, K.NW), np.int64)
    for lvl, lv in enumerate(spec.layout.levels):
        for name, first in (("down", 0), ("around", 4), ("up", 13), ("bias", 14)):
            b = lv.block(name)
            if b is not None:
                idx[lvl, first:first + b.size] = np.arange(b.slice.start, b.slice.stop)
    return idx


def pack_lanes(spec: HNCASpec, G: np.ndarray, S: np.ndarray):
    """Genomes (P, D) and padded states (P, rows) -> lanes-major batches.

    Returns Wx (nb, L, NW, LANES) and S (nb, rows + 1, LANES); the padding
    genomes are all zero and the extra row is the kernels' zero row.
    ``S`` may have one row shared by every genome (see :func:`pad_states`).
    """
    B = K.LANES
    P = G.shape[0]
    nb = -(-P // B)
    idx = lanes_gene_table(spec)
    Gz = np.zeros((nb * B, G.shape[1] + 1), np.float32)   # last column: a zero gene
    Gz[:P, :-1] = G
    table = Gz[:, idx]                                      # (nb*B, L, NW), -1 -> zero gene
    Wx = np.ascontiguousarray(table.reshape(nb, B, spec.levels, K.NW).transpose(0, 2, 3, 1))
    Sb = np.zeros((nb, S.shape[1] + 1, B), np.float32)
    if S.shape[0] == 1:
        Sb[:, :-1, :] = S[0][None, :, None]
    else:
        Sp = np.zeros((nb * B, S.shape[1]), np.float32)
        Sp[:P] = S
        Sb[:, :-1, :] = Sp.reshape(nb, B, -1).transpose(0, 2, 1)
    return Wx, Sb


def kernel_form(spec: HNCASpec, G: np.ndarray, fold: bool = True):
    """The spec and genomes the kernels run for ``spec`` and its genomes ``G``.

    Parameters
    ----------
    spec : HNCASpec
    G : (P, spec.n_genes) float32 validated genomes
    fold : bool
        Fold ``gecco2024`` down weights into child (2i, 2j) (for the
        fixed-offset kernels); False keeps them in place (the ``mapped``
        kernel reads the spec's own links instead).

    Returns
    -------
    kspec : HNCASpec
        ``spec`` with ``wiring="hierarchy"``, ``down_wiring="children"``.
    KG : (P, kspec.n_genes) float32
        The rule blocks of ``G`` at their places in ``kspec``'s layout (absent
        ``up`` blocks zero, wiring genes dropped).  ``G`` itself when ``spec``
        already has the model's wiring.
    """
    if spec.wiring == "hierarchy" and spec.down_wiring == "children":
        return spec, G
    kspec = spec.replace(wiring="hierarchy", down_wiring="children")
    KG = np.zeros((G.shape[0], kspec.n_genes), np.float32)
    for lv, kv in zip(spec.layout.levels, kspec.layout.levels):
        for b in lv.blocks:
            if not b.mutable:
                continue
            w = G[:, b.slice]
            if b.name == "down" and fold and spec.down_wiring == "gecco2024" and lv.level >= 2:
                w4 = w.reshape((-1,) + b.shape)
                folded = np.zeros_like(w4)
                folded[:, 0] = (w4[:, 0] + w4[:, 1]) + (w4[:, 2] + w4[:, 3])
                w = folded.reshape(w.shape)
            KG[:, kv.block(b.name).slice] = w
    return kspec, KG


def _kernel_links(spec: HNCASpec, G: np.ndarray) -> np.ndarray:
    """(P, L, 5, 3) int64 links for the ``mapped`` kernel (-1 = absent)."""
    if spec.has_genome_links:
        return np.ascontiguousarray(spec.links(G))
    return np.ascontiguousarray(np.broadcast_to(spec.links(), (G.shape[0], spec.levels, 5, 3)))


def _check_states(spec: HNCASpec, states, P: int) -> list[np.ndarray]:
    if states is None:
        return spec.initial_states()
    if not isinstance(states, (list, tuple)) or len(states) != spec.levels:
        raise ValueError(f"states must be a list of {spec.levels} arrays, one per level")
    out = []
    for lvl, (s, n) in enumerate(zip(states, spec.sizes)):
        s = np.asarray(s)
        shape = (n, n, spec.channels)
        if s.shape not in (shape, (1,) + shape, (P,) + shape):
            raise ValueError(f"states[{lvl}] has shape {s.shape}; expected {shape} or (P,) + {shape}")
        if not np.isfinite(s).all():
            raise ValueError(f"states[{lvl}] contains NaN or inf")
        out.append(s.astype(np.float32, copy=False))
    return out


def choose_method(spec: HNCASpec, method: str = "auto") -> str:
    """``lanes`` for one-channel linear rules (Bielawski-like), else ``gemm``;
    ``mapped`` for per-genome links (random wirings)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    lanes_ok = spec.hidden == 0 and spec.channels == 1
    if spec.has_genome_links:
        if method in ("auto", "mapped"):
            return "mapped"
        raise ValueError(f"wiring {spec.wiring!r} reads links stored in each genome, which only "
                         f"method 'mapped' supports; use 'mapped' or 'auto', not {method!r}")
    if method == "auto":
        return "lanes" if lanes_ok else "gemm"
    if method in ("lanes", "mapped") and not lanes_ok:
        raise ValueError(f"method {method!r} supports only one-channel linear rules "
                         "(channels = 1, hidden = 0); use 'gemm' or 'auto'")
    return method


def _weight_tables(kspec: HNCASpec, KG: np.ndarray) -> np.ndarray:
    """(P, L, NW) float32 per-genome weight tables (down 4, around 9, up, bias)."""
    idx = lanes_gene_table(kspec)
    Gz = np.zeros((KG.shape[0], KG.shape[1] + 1), np.float32)   # last column: a zero gene
    Gz[:, :-1] = KG
    return np.ascontiguousarray(Gz[:, idx])


def _blas_one_thread():
    """Limit BLAS to one thread: the gemm kernels already run one genome per
    Numba thread.  scipy's BLAS (which Numba's np.dot calls) is loaded first,
    so the limit also holds on the call that compiles the kernel."""
    import scipy.linalg.cython_blas  # noqa: F401
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=1, user_api="blas")


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _steps(spec, steps):
    T = spec.steps if steps is None else steps
    if not _is_int(T) or T < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    return int(T)


def check_rect(spec: HNCASpec, rect, where: str = "damage") -> tuple[int, int, int, int]:
    """Validate a damage rectangle ``(row0, col0, height, width)`` in base-level cells.

    Returns the four ints; one-line ValueError (prefixed by ``where``) unless
    height, width >= 1 and the rectangle lies inside the base grid (it does
    not wrap around the torus).
    """
    N = spec.base_size
    ok = (isinstance(rect, (tuple, list, np.ndarray)) and len(rect) == 4
          and all(_is_int(v) for v in rect))
    if ok:
        r0, c0, h, w = (int(v) for v in rect)
        ok = h >= 1 and w >= 1 and r0 >= 0 and c0 >= 0 and r0 + h <= N and c0 + w <= N
    if not ok:
        raise ValueError(f"{where}: rect must be (row0, col0, height, width) integers in "
                         f"base-level cells with height, width >= 1 and the rectangle "
                         f"inside the {N}x{N} base grid (row0 + height <= {N}, "
                         f"col0 + width <= {N}), got {rect!r}")
    return r0, c0, h, w


def _check_damage(spec: HNCASpec, damage, T: int) -> np.ndarray:
    """``damage`` -> (5,) int64 ``(t_damage, row0, col0, height, width)``;
    t_damage = -1 for none."""
    if damage is None:
        return np.full(5, -1, np.int64)
    if not isinstance(damage, (tuple, list)) or len(damage) != 2:
        raise ValueError(f"damage must be (t_damage, (row0, col0, height, width)), got {damage!r}")
    td, rect = damage
    if not _is_int(td) or not 0 <= td <= T:
        raise ValueError(f"damage: t_damage must be an integer in 0..{T} (the steps), "
                         f"got {td!r}")
    return np.array((int(td),) + check_rect(spec, rect), np.int64)


def _check_scoring(spec: HNCASpec, target, score_steps, T: int):
    """-> (target (N*N,) int64, steps (R,) int64); empty arrays when not scoring."""
    if target is None and score_steps is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if target is None or score_steps is None:
        raise ValueError("scoring needs both target and score_steps (or neither)")
    n = spec.sizes[spec.output_level]
    t = np.asarray(target)
    if t.shape != (n, n) or (t.dtype != np.bool_ and (t.dtype.kind not in "iu" or (
            t.size and not np.isin(t, (0, 1)).all()))):
        raise ValueError(f"target must be a bool (0/1) array of shape ({n}, {n}) (the output "
                         f"level {spec.output_level}), got {t.dtype} {t.shape}")
    st = np.asarray(score_steps)
    if st.ndim != 1 or (st.size and (st.dtype.kind not in "iu" or st.min() < 0
                                     or st.max() > T or (np.diff(st) <= 0).any())):
        raise ValueError(f"score_steps must be increasing integers in 0..{T} (the steps), "
                         f"got {score_steps!r}")
    return t.astype(np.int64).reshape(-1), st.astype(np.int64)


@dataclass(frozen=True)
class Development:
    """Result of :func:`develop` for a population of P genomes.

    Attributes
    ----------
    spec : HNCASpec
    states : list of (P, N_l, N_l, C) float32 arrays
        Final state of every level.
    steps_run : (P,) int64
        Steps actually computed (fewer than ``spec.steps`` when the whole
        grid died and the rollout stopped early; the state is then final).
    fingerprints : (P,) uint64 or None
        With ``develop(..., fingerprint=True)``: a 64-bit hash of the genome's
        whole trajectory (every level, every cell and channel, steps 1..T, as
        float32 bits with -0.0 read as +0.0): two 32-bit FNV-1a-style hashes
        with different primes, packed high and low (see ``kernels``).  Two genomes developed
        by the same method with equal fingerprints had identical
        trajectories (up to a 2**-64 collision chance): the test for a
        *silent* mutation.  Fingerprints are comparable only within one
        method (``lanes`` and ``gemm`` round differently).  With ``damage``,
        step ``t_damage`` is hashed as computed, before the damage (which is
        a function of that state, so the hash still fixes the trajectory).
    step_wrong, step_on : (P, R) int64 or None
        With ``develop(..., target=, score_steps=)``: at each of the R scored
        steps, the number of cells of the binarised output-level pattern that
        differ from the target, and that are on (1).  From these the loss of
        every step follows without keeping the patterns
        (:func:`alife.tasks.loss_from_counts`).
    """

    spec: HNCASpec
    states: list
    steps_run: np.ndarray
    fingerprints: np.ndarray | None = None
    step_wrong: np.ndarray | None = None
    step_on: np.ndarray | None = None

    @cached_property
    def phenotypes(self) -> np.ndarray:
        """(P, N, N) bool: channel 0 of the output level > threshold."""
        return binarise(self.states[self.spec.output_level], self.spec.threshold)

    @cached_property
    def ids(self) -> np.ndarray:
        """(P,) int64 stable phenotype ids, -1 for degenerate phenotypes."""
        ids = phenotype_ids(self.phenotypes)
        ids[self.degenerate] = -1
        return ids

    @cached_property
    def degenerate(self) -> np.ndarray:
        """(P,) bool: phenotype all 0 or all 1."""
        return degenerate(self.phenotypes)


def develop(spec: HNCASpec, genomes: np.ndarray, states=None, steps: int | None = None,
            method: str = "auto", fingerprint: bool = False, target=None, score_steps=None,
            damage=None, device=None) -> Development:
    """Develop every genome of a population from the seed (or given states).

    Parameters
    ----------
    spec : HNCASpec
    genomes : (P, spec.n_genes) float32 array (a single (n_genes,) genome is
        treated as P = 1)
    states : list of per-level arrays (N_l, N_l, C) or (P, N_l, N_l, C), optional
        Initial states; default ``spec.initial_states()``.
    steps : int, optional
        Number of steps T; default ``spec.steps``.
    method : {"auto", "lanes", "gemm", "mapped"}
        Kernel strategy (see :mod:`alife.nca.kernels`); results agree to float
        rounding, and "auto" picks the faster one for the spec ("mapped" is
        the only one for random wirings).
    fingerprint : bool
        Also hash every genome's full trajectory (``.fingerprints``); costs
        one extra pass over the state per step and disables early stopping.
    target : (N_out, N_out) bool array, optional
        With ``score_steps``: compare the output level's binarised pattern
        (``state > spec.threshold``, channel 0) with ``target`` at every
        step of ``score_steps`` during the rollout (``.step_wrong``,
        ``.step_on``): what a loss averaged over steps needs, in one rollout.
    score_steps : sequence of int, optional
        Increasing steps in ``0..T`` (0 is the initial state).  A scored step
        sees the state as computed, before a damage at that step.
    damage : (t_damage, (row0, col0, height, width)), optional
        After step ``t_damage`` (``0..T``; 0 damages the initial state) zero
        the rectangle, given in base-level cells, on every level and every
        channel: at level ``l`` the rows ``row0 >> l .. (row0 + height - 1)
        >> l`` and the columns likewise, i.e. every cell that contains a
        damaged base cell.  The rectangle must lie inside the base grid.
        With ``t_damage = T`` the final states are the damaged ones.
    device : str or torch.device, optional
        None: the Numba kernels; ``"cuda"``, ``"cuda:N"``, ``"cpu"``: the torch twin
        there (:mod:`alife.nca.device`), not with ``fingerprint`` or a ``method``.

    Returns
    -------
    Development
        ``.states[l]`` (P, N_l, N_l, C) float32, ``.phenotypes`` (P, N, N) bool.

    Notes
    -----
    Parallel over genomes with Numba threads; every genome is computed by
    one thread in a fixed order, so results do not depend on the thread count.
    Scoring and damage add work only at the chosen steps: a plain rollout
    runs the same kernel loop as without them.
    """
    if not isinstance(spec, HNCASpec):
        raise ValueError(f"spec must be an HNCASpec, got {type(spec).__name__}")
    G = spec.check_genomes(genomes)
    P = G.shape[0]
    T = _steps(spec, steps)
    init = None if states is None else _check_states(spec, states, P)
    tgt, rec = _check_scoring(spec, target, score_steps, T)
    dmg = _check_damage(spec, damage, T)
    if device is not None:
        init = spec.initial_states() if init is None else init
        return _develop_on(spec, G, init, T, tgt, rec, dmg, device, method, fingerprint)
    method = choose_method(spec, method)
    user_spec, user_G = spec, G
    spec, G = kernel_form(spec, G, fold=method != "mapped")
    geo = geometry(spec)
    S = seed_padded(spec) if init is None else pad_states(spec, geo, init, P)
    if P == 0:
        states = unpad_states(spec, geo, np.zeros((0, geo.rows), np.float32))
        steps_run = np.zeros(0, np.int64)
        fps, wrong = np.zeros(0, np.uint64), np.zeros((0, rec.shape[0]), np.int64)
        on = wrong
    elif method == "mapped":
        final, steps_run, fps, wrong, on = _run_mapped(spec, geo, G, S, T, fingerprint, tgt,
                                                       rec, dmg, _kernel_links(user_spec, user_G))
        states = unpad_states(spec, geo, final)
    else:
        run = _run_lanes if method == "lanes" else _run_gemm
        states, steps_run, fps, wrong, on = run(spec, geo, G, S, T, fingerprint, tgt, rec, dmg)
    scoring = target is not None
    return Development(user_spec, states, steps_run,
                       fps if fingerprint else None,
                       wrong if scoring else None, on if scoring else None)


def _check_device_args(method, fingerprint) -> None:
    """What the torch route of ``develop(..., device=)`` cannot do, in one line."""
    if fingerprint:
        raise ValueError("fingerprint=True needs the Numba kernels: trajectory fingerprints are "
                         "not computed on a torch device; use device=None")
    if method != "auto":
        raise ValueError(f"method={method!r} chooses a Numba kernel, but device= runs the torch "
                         f"twin; leave method='auto' or use device=None")


def _develop_on(spec, G, init, T, tgt, rec, dmg, device, method, fingerprint) -> Development:
    """:func:`develop` on a torch device (validated arguments)."""
    from .device import develop_on_device
    _check_device_args(method, fingerprint)
    scoring = tgt.shape[0] > 0 or rec.shape[0] > 0
    states, steps_run, wrong, on = develop_on_device(spec, G, init, T, tgt, rec, dmg, device)
    return Development(spec, states, steps_run, None,
                       wrong if scoring else None, on if scoring else None)


def _kernel_args(spec: HNCASpec):
    """Scalars every rollout kernel takes: output activation, residual, can_stop,
    and the (output level, float32 threshold) pair of the scoring."""
    return (K.ACT_CODES[spec.output_activation], spec.update == "residual",
            spec.zero_is_fixed_point, (np.int64(spec.output_level), np.float32(spec.threshold)))


def _run_lanes(spec, geo, G, S, T, fingerprint, tgt, rec, dmg):
    """The lanes kernel, packing and unpacking inside its parallel loop; ->
    (per-level final states, steps_run, fingerprints, wrong, on) per genome."""
    P, R = G.shape[0], rec.shape[0]
    oact, residual, can_stop, score = _kernel_args(spec)
    cells = geo.sizes * geo.sizes
    out = np.empty(P * int(cells.sum()), np.float32)
    steps_run = np.empty(P, np.int64)
    fps = np.zeros(P if fingerprint else 0, np.uint64)
    wrong, on = np.empty((P, R), np.int64), np.empty((P, R), np.int64)
    lanes_develop(G, lanes_gene_table(spec), S, T, geo.sizes, geo.offs, oact, residual,
                  can_stop, out, steps_run, fps, score, tgt, rec, wrong, on, dmg)
    # every level is one contiguous block of ``out``: (P, N, N, 1) views, no copy
    ends = P * np.concatenate(([0], np.cumsum(cells)))
    states = [out[a:b].reshape(P, n, n, 1) for a, b, n in zip(ends[:-1], ends[1:], spec.sizes)]
    return states, steps_run, fps, wrong, on


def _per_genome(S: np.ndarray, P: int) -> np.ndarray:
    """(P, rows) padded states the in-place kernels may overwrite: a shared
    (1, rows) start (perhaps the cached :func:`seed_padded`) is repeated,
    i.e. copied even for P = 1."""
    return np.repeat(S, P, axis=0) if S.shape[0] == 1 or S.shape[0] != P else S


def _run_mapped(spec, geo, G, S, T, fingerprint, tgt, rec, dmg, links):
    """The mapped kernel, one genome per task, links (P, L, 5, 3) int64 read
    through tables; returns as :func:`_run_lanes`."""
    P, R = G.shape[0], rec.shape[0]
    oact, residual, can_stop, score = _kernel_args(spec)
    steps_run = np.zeros(P, np.int64)
    S = _per_genome(S, P)
    fps = np.zeros((P, 1 if fingerprint else 0), np.uint64)
    wrong, on = np.zeros((P, R, 1), np.int64), np.zeros((P, R, 1), np.int64)
    K.mapped_rollout(_weight_tables(spec, G), S, T, geo.sizes, geo.offs, links, oact, residual,
                     can_stop, steps_run, fps, score, tgt, rec, wrong, on, dmg)
    return S, steps_run, fps.reshape(-1), wrong[:, :, 0], on[:, :, 0]


def _run_gemm(spec, geo, G, S, T, fingerprint, tgt, rec, dmg):
    """The gemm kernel, one genome per task; returns as :func:`_run_lanes`."""
    P, R = G.shape[0], rec.shape[0]
    oact, residual, can_stop, score = _kernel_args(spec)
    steps_run = np.zeros(P, np.int64)
    S = _per_genome(S, P)
    fps = np.zeros((P, 1 if fingerprint else 0), np.uint64)
    wrong, on = np.zeros((P, R, 1), np.int64), np.zeros((P, R, 1), np.int64)
    with _blas_one_thread():
        K.gemm_rollout(G, S, T, geo.sizes, geo.offs, geo.gstart, geo.ninp,
                       spec.hidden or spec.channels, geo.b1start,
                       geo.w2start, geo.b2start, spec.hidden, spec.channels,
                       K.ACT_CODES[spec.hidden_activation], oact, residual, can_stop,
                       steps_run, fps, score, tgt, rec, wrong, on, dmg)
    return unpad_states(spec, geo, S), steps_run, fps.reshape(-1), wrong[:, :, 0], on[:, :, 0]


def trajectory(spec: HNCASpec, genome: np.ndarray, states=None, steps: int | None = None,
               method: str = "auto") -> list[np.ndarray]:
    """Full development of one genome, every step kept (for figures and tests).

    Returns
    -------
    list of (T+1, N_l, N_l, C) float32 arrays, one per level; index 0 is t = 0.
    """
    if not isinstance(spec, HNCASpec):
        raise ValueError(f"spec must be an HNCASpec, got {type(spec).__name__}")
    G = spec.check_genomes(genome)
    if G.shape[0] != 1:
        raise ValueError(f"trajectory takes one genome, got {G.shape[0]}")
    T = _steps(spec, steps)
    init = _check_states(spec, states, 1)
    method = choose_method(spec, method)
    links = _kernel_links(spec, G)[0] if method == "mapped" else None
    spec, G = kernel_form(spec, G, fold=method != "mapped")
    geo = geometry(spec)
    S = pad_states(spec, geo, init, 1)[0]
    hist = np.zeros((T + 1, geo.rows), np.float32)
    residual = spec.update == "residual"
    oact = K.ACT_CODES[spec.output_activation]
    if method == "mapped":
        K.mapped_trajectory(_weight_tables(spec, G)[0], S, T, geo.sizes, geo.offs, links, oact,
                            residual, spec.zero_is_fixed_point, hist)
    elif method == "lanes":
        Wx, Sb = pack_lanes(spec, G, S[None, :])
        K.lanes_trajectory(Wx[0], Sb[0], T, geo.sizes, geo.offs, oact, residual,
                           spec.zero_is_fixed_point, hist)
    else:
        with _blas_one_thread():
            K.gemm_trajectory(G[0], S, T, geo.sizes, geo.offs, geo.gstart, geo.ninp,
                              spec.hidden or spec.channels, geo.b1start,
                              geo.w2start, geo.b2start, spec.hidden, spec.channels,
                              K.ACT_CODES[spec.hidden_activation], oact, residual,
                              spec.zero_is_fixed_point, hist)
    return unpad_states(spec, geo, hist)
