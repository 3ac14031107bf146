"""Tests for alife.nca.phenotype: binarise, stable ids, degenerate flags, rendering."""
from __future__ import annotations

import hashlib
import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from alife.nca.phenotype import (
    all_one,
    all_zero,
    binarise,
    degenerate,
    phenotype_id_bytes,
    phenotype_ids,
    render_filmstrip,
    render_phenotype,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _recipe_id(rows: list[str]) -> int:
    """The documented id recipe, recomputed without numpy (manual bit packing)."""
    h, w = len(rows), len(rows[0])
    bits = "".join(rows)
    bits += "0" * (-len(bits) % 8)                      # zero-pad the last byte
    body = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))  # MSB first
    digest = hashlib.blake2b(struct.pack("<II", h, w) + body, digest_size=8).digest()
    return int.from_bytes(digest, "little") & (2 ** 63 - 1)


def _bool(rows: list[str]) -> np.ndarray:
    return np.array([[c == "1" for c in r] for r in rows], dtype=bool)


# --------------------------------------------------------------------------- ids
def test_known_id_matches_independent_recipe():
    rows = ["10110", "01001", "11100"]
    known = 1124146483127041883          # computed once from the recipe, frozen here
    assert _recipe_id(rows) == known
    assert int(phenotype_ids(_bool(rows))) == known
    assert phenotype_ids(_bool(rows)[None])[0] == known


def test_ids_match_hashlib_on_many_shapes():
    # the compiled hash against hashlib: empty and tiny patterns, messages of
    # exactly 1 and 2 BLAKE2b blocks (1x960, 31x64), one byte over (1x961)
    # and ordinary ones, each batch with repeated patterns
    rng = np.random.default_rng(3)
    for shape in [(0, 0), (0, 3), (1, 1), (3, 5), (8, 8), (1, 960), (31, 64), (1, 961),
                  (1, 1023), (1, 1025), (45, 45), (64, 64)]:
        p = rng.random((3,) + shape) < 0.5
        p = np.concatenate([p, p[::-1]])          # repeats take the id already computed
        want = [int.from_bytes(hashlib.blake2b(phenotype_id_bytes(q), digest_size=8).digest(),
                               "little") & (2 ** 63 - 1) for q in p]
        assert phenotype_ids(p).tolist() == want, shape


def test_sign_bit_is_cleared():
    # The raw digest of the 4x4 all-zero pattern has its top bit set.
    data = struct.pack("<II", 4, 4) + bytes(2)
    raw = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")
    assert raw >= 2 ** 63
    got = int(phenotype_ids(np.zeros((4, 4), bool)))
    assert got == raw - 2 ** 63 == _recipe_id(["0000"] * 4)


def test_id_bytes_layout():
    p = _bool(["101", "011"])
    b = phenotype_id_bytes(p)
    assert b == struct.pack("<II", 2, 3) + bytes([0b10101100])


def test_ids_dtype_shape_nonnegative():
    rng = np.random.default_rng(1)
    p = rng.random((50, 16, 16)) < 0.5
    ids = phenotype_ids(p)
    assert ids.dtype == np.int64 and ids.shape == (50,)
    assert (ids >= 0).all()
    assert phenotype_ids(p[0]).shape == ()
    assert phenotype_ids(np.zeros((0, 8, 8), bool)).shape == (0,)
    assert phenotype_ids(p.reshape(5, 10, 16, 16)).shape == (5, 10)
    assert (phenotype_ids(p.reshape(5, 10, 16, 16)).ravel() == ids).all()


def test_equal_patterns_equal_ids_and_single_flips_distinct():
    rng = np.random.default_rng(2)
    base = rng.random((64, 64)) < 0.5
    flips = np.repeat(base[None], 64 * 64, axis=0)
    k = np.arange(64 * 64)
    flips[k, k // 64, k % 64] ^= True
    ids = phenotype_ids(flips)
    base_id = phenotype_ids(base)
    assert phenotype_ids(base.copy()) == base_id
    assert len(np.unique(ids)) == 64 * 64
    assert not (ids == base_id).any()


def test_ids_independent_of_batch_composition_and_order():
    rng = np.random.default_rng(3)
    p = rng.random((20, 12, 12)) < 0.3
    ids = phenotype_ids(p)
    perm = rng.permutation(20)
    assert (phenotype_ids(p[perm]) == ids[perm]).all()
    assert (phenotype_ids(p[5:9]) == ids[5:9]).all()
    for i in range(20):
        assert phenotype_ids(p[i]) == ids[i]
    # non-contiguous views and 0/1 integer input give the same ids
    assert (phenotype_ids(np.asfortranarray(p)) == ids).all()
    assert (phenotype_ids(p.astype(np.uint8)) == ids).all()


def test_shape_is_part_of_id():
    assert phenotype_ids(np.zeros((8, 8), bool)) != phenotype_ids(np.zeros((16, 16), bool))
    assert phenotype_ids(np.ones((8, 8), bool)) != phenotype_ids(np.ones((16, 16), bool))
    # same bits, different shape (2x8 vs 4x4 vs 8x2 pack to identical bytes)
    bits = np.zeros(16, bool)
    bits[[0, 3]] = True
    ids = {int(phenotype_ids(bits.reshape(s))) for s in [(2, 8), (4, 4), (8, 2)]}
    assert len(ids) == 3


def test_ids_reject_bad_input():
    with pytest.raises(ValueError, match="shape"):
        phenotype_ids(np.zeros(8, bool))
    with pytest.raises(ValueError, match="binarise"):
        phenotype_ids(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="0 and 1"):
        phenotype_ids(np.full((4, 4), 2, np.int64))


@settings(max_examples=60, deadline=None)
@given(a=hnp.arrays(bool, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12)),
       data=st.data())
def test_property_copy_equal_flip_differs(a, data):
    ida = phenotype_ids(a)
    assert phenotype_ids(a.copy()) == ida
    i = data.draw(st.integers(0, a.shape[0] - 1))
    j = data.draw(st.integers(0, a.shape[1] - 1))
    b = a.copy()
    b[i, j] = ~b[i, j]
    assert phenotype_ids(b) != ida
    assert ida >= 0


# ------------------------------------------------------------------ degenerate
def test_degenerate_hand_cases():
    z = np.zeros((5, 5), bool)
    o = np.ones((5, 5), bool)
    one_on = z.copy()
    one_on[2, 2] = True
    one_off = o.copy()
    one_off[0, 4] = False
    batch = np.stack([z, o, one_on, one_off])
    assert all_zero(batch).tolist() == [True, False, False, False]
    assert all_one(batch).tolist() == [False, True, False, False]
    assert degenerate(batch).tolist() == [True, True, False, False]
    assert degenerate(batch).dtype == np.bool_ and degenerate(batch).shape == (4,)
    assert bool(degenerate(z)) and not bool(degenerate(one_on))


# -------------------------------------------------------------------- binarise
def test_binarise_threshold_is_strict():
    s = np.array([-1.0, 0.0, 1e-7, 0.5, 0.6, np.nan], np.float32).reshape(1, 6, 1)
    s = np.repeat(s, 6, axis=0)                      # (6, 6, 1)
    assert binarise(s).shape == (6, 6)
    assert binarise(s)[0].tolist() == [False, False, True, True, True, False]
    assert binarise(s, threshold=0.5)[0].tolist() == [False, False, False, False, True, False]


def test_binarise_channel_and_batch():
    rng = np.random.default_rng(4)
    s = rng.normal(size=(3, 8, 8, 4)).astype(np.float32)
    assert binarise(s).shape == (3, 8, 8)
    assert (binarise(s, channel=2) == (s[..., 2] > 0)).all()
    assert (binarise(s, channel=-1) == (s[..., 3] > 0)).all()
    with pytest.raises(ValueError, match="channel"):
        binarise(s, channel=4)
    with pytest.raises(ValueError, match="shape"):
        binarise(np.zeros((8, 8)))


# ------------------------------------------------------------------- rendering
def _read_png(path):
    import matplotlib.image as mimg

    raw = path.read_bytes()
    assert raw[:8] == PNG_MAGIC
    return mimg.imread(path)


def test_render_phenotype_png(tmp_path):
    rng = np.random.default_rng(5)
    p = rng.random((32, 32)) < 0.5
    out = render_phenotype(p, tmp_path / "a" / "b" / "single.png")
    assert out == tmp_path / "a" / "b" / "single.png" and out.is_file()
    img = _read_png(out)
    h, w = img.shape[:2]
    assert 0.8 < w / h < 1.25

    out2 = render_phenotype(p, str(tmp_path / "pair.png"), target=~p, title="vs target")
    img2 = _read_png(out2)
    h2, w2 = img2.shape[:2]
    assert 1.5 < w2 / h2 < 2.6


def test_render_phenotype_black_is_one(tmp_path):
    p = np.zeros((8, 8), bool)
    p[:, :4] = True                                   # left half black
    img = _read_png(render_phenotype(p, tmp_path / "half.png"))
    grey = img[..., :3].mean(axis=2)
    h, w = grey.shape
    row = grey[h // 2]
    assert row[int(w * 0.3)] < 0.2 and row[int(w * 0.7)] > 0.8


def test_render_phenotype_rejects_bad_shapes(tmp_path):
    with pytest.raises(ValueError, match="pattern"):
        render_phenotype(np.zeros((2, 8, 8), bool), tmp_path / "x.png")
    with pytest.raises(ValueError, match="pattern"):
        render_phenotype(np.zeros(8, bool), tmp_path / "x.png")
    with pytest.raises(ValueError, match="target"):
        render_phenotype(np.zeros((8, 8), bool), tmp_path / "x.png", target=np.zeros(8))
    assert not (tmp_path / "x.png").exists()


def _history(levels=3, base=16, T=20, C=2, seed=6):
    rng = np.random.default_rng(seed)
    return [rng.random((T + 1, base >> l, base >> l, C)).astype(np.float32)
            for l in range(levels)]


def test_render_filmstrip_png(tmp_path):
    out = render_filmstrip(_history(), tmp_path / "deep" / "film.png", frames=6, title="dev")
    assert out.is_file()
    img = _read_png(out)
    h, w = img.shape[:2]
    assert w > h                                      # 6 columns x 3 rows
    # constant levels (flat colour range) and T < frames render too
    flat = [np.zeros((4, 8, 8, 1), np.float32), np.ones((4, 4, 4, 1), np.float32)]
    img2 = _read_png(render_filmstrip(flat, tmp_path / "flat.png", frames=8))
    h2, w2 = img2.shape[:2]
    assert 1.2 < w2 / h2 < 3.5                        # 4 columns x 2 rows


@pytest.mark.parametrize("T,frames", [(0, 8), (1, 8), (3, 8), (7, 8), (100, 8), (100, 2), (99, 7)])
def test_filmstrip_frame_times(T, frames):
    from alife.nca.phenotype import _frame_times

    t = _frame_times(T, frames)
    assert t[0] == 0 and t[-1] == T
    assert len(t) == min(frames, T + 1)
    assert (np.diff(t) > 0).all()


def test_render_filmstrip_rejects_bad_shapes(tmp_path):
    good = _history()
    with pytest.raises(ValueError, match="non-empty"):
        render_filmstrip([], tmp_path / "x.png")
    with pytest.raises(ValueError, match="level 1"):
        render_filmstrip([good[0], good[1][..., 0]], tmp_path / "x.png")
    with pytest.raises(ValueError, match="level 0"):
        render_filmstrip([np.zeros((5, 8, 4, 1))], tmp_path / "x.png")
    with pytest.raises(ValueError, match="share"):
        render_filmstrip([good[0], good[1][:5]], tmp_path / "x.png")
    with pytest.raises(ValueError, match="frames"):
        render_filmstrip(good, tmp_path / "x.png", frames=1)
    assert not (tmp_path / "x.png").exists()


def test_import_does_not_load_matplotlib():
    code = ("import sys, alife.nca.phenotype; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'")
    subprocess.run([sys.executable, "-c", code], check=True)
