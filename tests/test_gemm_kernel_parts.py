"""The pieces of the gemm rollout against NumPy, bit for bit.

The im2col copy moves float32 values as wider words when the channel count
allows it, and bias and ReLU run as one pass: neither may change a single
bit of what a plain float copy or a bias pass followed by an activation
pass would give, NaN payloads and signed zeros included.
"""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from alife.nca import HNCASpec
from alife.nca.kernels import ACT_CODES, activate_inplace
from alife.nca.kernels.gemm import _bias_act, _im2col

_develop = importlib.import_module("alife.nca.develop")


def _raw_bits(rng, n):
    """n float32 values of arbitrary bits (NaNs with payloads, infinities, subnormals)."""
    return rng.integers(0, 2 ** 32, n, dtype=np.uint64).astype(np.uint32).view(np.float32)


def _numpy_im2col(S, lvl, sizes, offs, C):
    """Rows of inputs of level ``lvl`` built with NumPy slicing of the padded state."""
    L = len(sizes)

    def level(k):
        n = int(sizes[k]) + 2
        return S[offs[k]: offs[k] + n * n * C].reshape(n, n, C)

    N = int(sizes[lvl])
    here = level(lvl)
    rows = []
    for i in range(N):
        for j in range(N):
            parts = []
            if lvl > 0:
                kids = level(lvl - 1)
                parts += [kids[2 * i + 1 + di, 2 * j + 1: 2 * j + 3].reshape(-1) for di in (0, 1)]
            parts.append(here[i: i + 3, j: j + 3].reshape(-1))
            if lvl < L - 1:
                parts.append(level(lvl + 1)[i // 2 + 1, j // 2 + 1])
            rows.append(np.concatenate(parts))
    return np.array(rows)


@pytest.mark.parametrize("C", [3, 4, 8, 16])
def test_im2col_copies_every_bit_of_every_input(C):
    spec = HNCASpec(levels=3, base_size=8, channels=C, hidden=4, steps=1)
    geo = _develop.geometry(spec)
    S = _raw_bits(np.random.default_rng(C), int(geo.rows))
    for lvl in range(3):
        want = _numpy_im2col(S, lvl, geo.sizes, geo.offs, C)
        X = np.zeros_like(want)
        _im2col(S, X, lvl, 3, geo.sizes, geo.offs, C)
        assert np.array_equal(X.view(np.uint32), want.view(np.uint32)), (C, lvl)


@pytest.mark.parametrize("act", sorted(ACT_CODES))
@pytest.mark.parametrize("with_bias", [True, False])
def test_bias_and_activation_in_one_pass_equal_two_passes(act, with_bias):
    rng = np.random.default_rng(7)
    n, m = 37, 24
    g = _raw_bits(rng, 200)
    Y = _raw_bits(rng, n * m).reshape(n, m)
    Y[0, :4] = [0.0, -0.0, np.nan, -np.inf]
    bstart = 50 if with_bias else -1
    g[50: 54] = [-0.0, -0.0, 1.0, 1.0]        # so that y + b = -0.0 as well
    want, got = Y.copy(), Y.copy()
    with np.errstate(all="ignore"):
        if with_bias:
            want += g[bstart: bstart + m]
        activate_inplace(want.reshape(-1), n * m, ACT_CODES[act])
        _bias_act(got, n, m, g, bstart, ACT_CODES[act])
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
