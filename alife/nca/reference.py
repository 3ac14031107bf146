"""Plain-NumPy HNCA step: a slow, obviously-correct test oracle.

This module exists only to check the fast implementations (the Numba rollout
and the PyTorch twin in :mod:`alife.nca.torch_twin`) against an
implementation simple enough to verify by reading.  It loops over every cell
in Python, computes in float64 and builds each cell's input vector exactly as
the model is defined (Bielawski et al., GECCO 2024; see the documentation
page ``docs/concepts/hnca.md``):

* ``down``: the four children at level l-1, cells (2i,2j), (2i,2j+1),
  (2i+1,2j), (2i+1,2j+1), channel fastest (absent at level 0);
* ``around``: the 3x3 neighbourhood at level l, offsets (dy, dx) row-major over
  -1, 0, 1, cell ((i+dy) mod N, (j+dx) mod N);
* ``up``: the parent at level l+1, cell (i//2, j//2) (absent at the top).

Do not use it for anything but small grids in tests.
"""
from __future__ import annotations

import numpy as np

from .spec import AROUND_OFFSETS, DOWN_OFFSETS, HNCASpec


def _activation(name: str, x: np.ndarray) -> np.ndarray:
    """Apply the activation ``name`` elementwise (float64)."""
    x = np.asarray(x, dtype=np.float64)
    if name == "rectified_sigmoid":
        out = np.zeros_like(x)
        pos = x > 0
        out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
        return out
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "identity":
        return x.copy()
    raise ValueError(f"unknown activation {name!r}")


def _cell_inputs(spec: HNCASpec, states: list[np.ndarray], level: int,
                 i: int, j: int) -> np.ndarray:
    """The input vector of cell (i, j) of ``level``: down, around, up.

    Returns
    -------
    (n_inputs,) float64 array
    """
    parts = []
    if level > 0:
        child = states[level - 1]
        for di, dj in DOWN_OFFSETS:
            parts.append(child[2 * i + di, 2 * j + dj, :])
    grid = states[level]
    n = grid.shape[0]
    for dy, dx in AROUND_OFFSETS:
        parts.append(grid[(i + dy) % n, (j + dx) % n, :])
    if level < spec.levels - 1:
        parts.append(states[level + 1][i // 2, j // 2, :])
    return np.concatenate(parts).astype(np.float64)


def reference_step(spec: HNCASpec, genome: np.ndarray,
                   states: list[np.ndarray]) -> list[np.ndarray]:
    """One synchronous HNCA step of one genome (test oracle).

    Parameters
    ----------
    spec : HNCASpec
    genome : (n_genes,) array
        Flat genome, read through ``spec.layout.unpack``.
    states : list of L arrays, level l of shape (N_l, N_l, C)
        The states at step t-1.

    Returns
    -------
    list of L float64 arrays, level l of shape (N_l, N_l, C)
        The states at step t; every level is computed from ``states`` only.
    """
    genome = np.asarray(genome, dtype=np.float64)
    if genome.shape != (spec.n_genes,):
        raise ValueError(f"genome must have shape ({spec.n_genes},), got {genome.shape}")
    states = [np.asarray(s, dtype=np.float64) for s in states]
    for lvl, (s, n) in enumerate(zip(states, spec.sizes)):
        if s.shape != (n, n, spec.channels):
            raise ValueError(f"state of level {lvl} must have shape "
                             f"({n}, {n}, {spec.channels}), got {s.shape}")

    new_states = []
    for lvl, n in enumerate(spec.sizes):
        w1, b1, w2, b2 = spec.layout.unpack(genome, lvl)
        new = np.zeros((n, n, spec.channels), dtype=np.float64)
        for i in range(n):
            for j in range(n):
                x = _cell_inputs(spec, states, lvl, i, j)
                y = x @ w1
                if b1 is not None:
                    y = y + b1
                if spec.hidden > 0:
                    h = _activation(spec.hidden_activation, y)
                    y = h @ w2
                    if b2 is not None:
                        y = y + b2
                out = _activation(spec.output_activation, y)
                if spec.update == "replace":
                    new[i, j, :] = out
                else:  # residual
                    new[i, j, :] = states[lvl][i, j, :] + out
        new_states.append(new)
    return new_states


def reference_develop(spec: HNCASpec, genome: np.ndarray, steps: int | None = None,
                      states: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """Run ``steps`` reference steps of one genome (test oracle).

    Parameters
    ----------
    spec : HNCASpec
    genome : (n_genes,) array
    steps : int, optional
        Number of steps; default ``spec.steps``.
    states : list of L arrays (N_l, N_l, C), optional
        Starting states; default ``spec.initial_states()``.

    Returns
    -------
    list of L float64 arrays, level l of shape (N_l, N_l, C)
    """
    steps = spec.steps if steps is None else int(steps)
    if states is None:
        states = spec.initial_states()
    states = [np.asarray(s, dtype=np.float64) for s in states]
    for _ in range(steps):
        states = reference_step(spec, genome, states)
    return states
