"""Targets, bitmap loading, loss, homeostasis and damage (alife.tasks)."""
from __future__ import annotations

import numpy as np
import pytest

from alife.nca import HNCASpec, develop, trajectory
from alife.tasks import (TARGETS, Task, damage_loss, damage_states, homeostasis_loss,
                         load_target, loss, proportion_correct, target)


@pytest.fixture(scope="module")
def spec():
    return HNCASpec.preset("bielawski", base_size=16, steps=10)


@pytest.fixture(scope="module")
def genomes(spec):
    return spec.random_genomes(12, seed=3)


def _art(rows):
    return np.array([[ch == "#" for ch in r] for r in rows], dtype=bool)


# ---------------------------------------------------------------- built-in targets
def test_square_n8_by_hand():
    exp = _art(["........",
                "........",
                "..####..",
                "..####..",
                "..####..",
                "..####..",
                "........",
                "........"])
    t = target("square", 8)
    assert t.dtype == np.bool_ and t.shape == (8, 8)
    np.testing.assert_array_equal(t, exp)


def test_square_matches_central_half_when_n_divisible_by_4():
    for N in (4, 8, 12, 16, 64):
        t = target("square", N)
        exp = np.zeros((N, N), bool)
        exp[N // 4:N // 4 + N // 2, N // 4:N // 4 + N // 2] = True
        np.testing.assert_array_equal(t, exp)


def test_square_odd_remainder_stays_centred():
    # N = 6: side N//2 = 3 cannot be centred; it is rounded up to 4 (rows 1..4)
    t = target("square", 6)
    exp = np.zeros((6, 6), bool)
    exp[1:5, 1:5] = True
    np.testing.assert_array_equal(t, exp)


def test_diamond_n8_by_hand():
    # c = 3.5; |i-c| + |j-c| <= 2; the 12-cell diamond is closest to the square's 16
    # (r = 3 would have 24 cells)
    exp = _art(["........",
                "........",
                "...##...",
                "..####..",
                "..####..",
                "...##...",
                "........",
                "........"])
    np.testing.assert_array_equal(target("diamond", 8), exp)


def test_diamond_area_close_to_square():
    # even N: 2 r (r+1) cells; N = 64 -> r = 22, 1012 cells vs 1024
    assert target("diamond", 64).sum() == 2 * 22 * 23
    # odd N: 2 r (r+1) + 1 cells; N = 9: square side 5 (25 cells) -> r = 3 (25 cells)
    assert target("diamond", 9).sum() == 25
    t9 = target("diamond", 9)
    assert t9[4, 1] and t9[4, 7] and t9[1, 4] and not t9[4, 0] and not t9[1, 3]


def test_hollow_circle_cells_by_hand():
    # N = 16: c = 7.5, inner = 3, outer = 6 (both included)
    t = target("hollow_circle", 16)
    # (7, 7): distance sqrt(0.5) < 3 -> hole
    assert not t[7, 7]
    # (7, 4): distance sqrt(0.25 + 12.25) = 3.54 -> ring
    assert t[7, 4]
    # (7, 5): distance sqrt(0.25 + 6.25) = 2.55 < 3 -> hole
    assert not t[7, 5]
    # (7, 2): distance sqrt(0.25 + 30.25) = 5.52 -> ring
    assert t[7, 2]
    # (7, 1): distance sqrt(0.25 + 42.25) = 6.52 > 6 -> outside
    assert not t[7, 1]
    # (2, 2): distance sqrt(2 * 30.25) = 7.78 -> outside; corner (0, 0) outside
    assert not t[2, 2] and not t[0, 0]
    # N = 64: inner 12, outer 25 (64 / 2.5 = 25.6 floored)
    t64 = target("hollow_circle", 64)
    # (31, 31 - 24) -> distance sqrt(0.25 + 24.5**2) = 24.505 -> ring; one further out 25.505
    assert t64[31, 7] and not t64[31, 6]
    # inner edge: (31, 19): sqrt(0.25 + 12.5**2) = 12.51 -> ring; (31, 20): 11.51 -> hole
    assert t64[31, 19] and not t64[31, 20]


def test_hollow_circle_radius_ends_included():
    # N = 5: c = 2 (integer), inner 1, outer 2: distances exactly 1 and 2 are in
    t = target("hollow_circle", 5)
    assert not t[2, 2]            # distance 0
    assert t[2, 3] and t[2, 4]    # distances 1 and 2
    assert t[1, 1]                # sqrt 2
    assert not t[0, 0]            # sqrt 8 > 2
    assert not t[0, 1]            # sqrt 5 > 2


def test_plus_n8_by_hand():
    exp = _art(["...##...",
                "...##...",
                "...##...",
                "########",
                "########",
                "...##...",
                "...##...",
                "...##..."])
    np.testing.assert_array_equal(target("plus", 8), exp)
    # N = 64: bars of width 16, rows/cols 24..39
    t = target("plus", 64)
    assert t.sum() == 2 * 16 * 64 - 16 * 16
    assert t[24, 0] and t[39, 63] and not t[23, 0] and not t[40, 0] and t[0, 24]


@pytest.mark.parametrize("name", TARGETS)
def test_builtins_symmetric_and_non_degenerate(name):
    for N in list(range(4, 20)) + [32, 63, 64]:
        t = target(name, N)
        assert t.shape == (N, N) and t.dtype == np.bool_
        assert t.any() and not t.all(), (name, N)
        np.testing.assert_array_equal(t, t.T)
        np.testing.assert_array_equal(t, t[::-1, :])
        np.testing.assert_array_equal(t, t[:, ::-1])


def test_target_errors():
    with pytest.raises(ValueError, match="unknown target 'circle'.*square, diamond, "
                                         "hollow_circle, plus"):
        target("circle", 16)
    with pytest.raises(ValueError, match="N must be >= 4"):
        target("square", 3)
    with pytest.raises(ValueError, match="integer"):
        target("square", 8.0)


# ---------------------------------------------------------------- loss
def test_loss_hand_cases():
    t = target("square", 8)
    assert loss(t, t) == 0
    # complement: not degenerate, every cell differs
    assert loss(~t, t) == 64
    one = t.copy()
    one[0, 0] = True
    one[3, 3] = False
    assert loss(one, t) == 2
    zeros = np.zeros((8, 8), bool)
    ones = np.ones((8, 8), bool)
    # all-0 would differ in 16 cells, all-1 in 48: both get the worst loss
    L = loss(np.stack([t, one, zeros, ones, ~t]), t)
    assert L.dtype == np.int64 and L.shape == (5,)
    np.testing.assert_array_equal(L, [0, 2, 64, 64, 64])
    pc = proportion_correct(np.stack([t, one, zeros, ones]), t)
    assert pc.dtype == np.float64
    np.testing.assert_allclose(pc, [1.0, 1 - 2 / 64, 0.0, 0.0])
    assert loss(one.astype(np.int8), t.astype(np.int64)) == 2


def test_loss_vectorised_equals_loop():
    rng = np.random.default_rng(0)
    t = target("hollow_circle", 16)
    ph = rng.random((40, 16, 16)) < rng.random((40, 1, 1))
    ph[0] = False
    ph[1] = True
    ph[2] = t
    L = loss(ph, t)
    exp = []
    for p in ph:
        exp.append(256 if (p.all() or not p.any()) else int((p != t).sum()))
    np.testing.assert_array_equal(L, exp)
    np.testing.assert_allclose(proportion_correct(ph, t), 1 - np.array(exp) / 256)
    assert loss(ph[:0], t).shape == (0,)


def test_loss_errors():
    t = target("square", 8)
    with pytest.raises(ValueError, match="shape"):
        loss(np.zeros((3, 8, 9), bool), t)
    with pytest.raises(ValueError, match="bool"):
        loss(np.full((8, 8), 0.5), t)


# ---------------------------------------------------------------- bitmap files
def _save_png(path, t):
    from matplotlib.image import imsave
    imsave(path, (~t).astype(np.float64), cmap="gray", vmin=0, vmax=1)


def test_load_npy_txt_png_roundtrip(tmp_path):
    t = target("hollow_circle", 16)
    t[0, 1] = True                       # break the symmetry: orientation must survive
    np.save(tmp_path / "a.npy", t)
    np.testing.assert_array_equal(load_target(tmp_path / "a.npy", 16), t)
    np.save(tmp_path / "i.npy", t.astype(np.int64))
    np.testing.assert_array_equal(load_target(str(tmp_path / "i.npy"), 16), t)

    lines = ["".join("#" if v else "." for v in row) for row in t]
    (tmp_path / "a.txt").write_text("\n".join(lines) + "\n\n")
    np.testing.assert_array_equal(load_target(tmp_path / "a.txt", 16), t)
    alt = ["".join(("X1"[(i + j) % 2] if v else ".0 "[(i + j) % 3]) for j, v in enumerate(row))
           for i, row in enumerate(t)]
    (tmp_path / "b.txt").write_bytes(("\r\n".join(alt)).encode())
    np.testing.assert_array_equal(load_target(tmp_path / "b.txt", 16), t)

    _save_png(tmp_path / "a.png", t)
    np.testing.assert_array_equal(load_target(tmp_path / "a.png", 16), t)
    # black on a transparent background
    rgba = np.zeros((16, 16, 4))
    rgba[..., 3] = t
    from matplotlib.image import imsave
    imsave(tmp_path / "alpha.png", rgba)
    np.testing.assert_array_equal(load_target(tmp_path / "alpha.png", 16), t)


def test_load_rejects_bad_files(tmp_path):
    t = target("square", 8)
    cases = {}
    p = tmp_path / "wide.npy"
    np.save(p, np.zeros((8, 9), bool) | np.eye(8, 9, dtype=bool))
    cases[p] = r"\(8, 9\).*\(8, 8\)"
    p = tmp_path / "wide.txt"
    p.write_text("\n".join(["#......."] * 7) + "\n")
    cases[p] = r"\(7, 8\).*\(8, 8\)"
    p = tmp_path / "big.png"
    _save_png(p, target("square", 16))
    cases[p] = r"\(16, 16\).*\(8, 8\)"
    cases[tmp_path / "missing.npy"] = "no such file.*\\(8, 8\\)"
    p = tmp_path / "zeros.npy"
    np.save(p, np.zeros((8, 8), bool))
    cases[p] = "degenerate"
    p = tmp_path / "ones.txt"
    p.write_text("\n".join(["########"] * 8))
    cases[p] = "degenerate"
    p = tmp_path / "garbage.png"
    p.write_bytes(b"this is not a png at all")
    cases[p] = "cannot read"
    p = tmp_path / "garbage.npy"
    p.write_bytes(b"\x00\x01 nonsense")
    cases[p] = "cannot read"
    p = tmp_path / "twos.npy"
    np.save(p, t.astype(np.int64) * 2)
    cases[p] = "cannot read"
    p = tmp_path / "bad.txt"
    p.write_text("\n".join(["#..a...."] + ["#......."] * 7))
    cases[p] = "character 'a'"
    p = tmp_path / "ragged.txt"
    p.write_text("\n".join(["#......."] * 7 + ["#......"]))
    cases[p] = "different lengths"
    p = tmp_path / "pic.bmp"
    p.write_bytes(b"BM")
    cases[p] = "unsupported file type"
    for path, pattern in cases.items():
        with pytest.raises(ValueError, match=pattern) as e:
            load_target(path, 8)
        msg = str(e.value)
        assert str(path) in msg and "\n" not in msg, msg


# ---------------------------------------------------------------- Task
def test_task_evaluate(spec, genomes):
    task = Task.from_name("square", 16)
    ev = task.evaluate(spec, genomes)
    L, ph = ev.loss, ev.phenotypes
    out = develop(spec, genomes)
    np.testing.assert_array_equal(ph, out.phenotypes)
    np.testing.assert_array_equal(L, loss(out.phenotypes, task.target))
    # the evaluator's loss is float64 in every mode (homeostasis means are
    # fractional); in mode final it holds loss()'s int64 values exactly
    assert L.dtype == np.float64 and L.shape == (12,)
    assert loss(out.phenotypes, task.target).dtype == np.int64
    np.testing.assert_array_equal(L, L.astype(np.int64))
    np.testing.assert_array_equal(L[out.degenerate], 256)
    with pytest.raises(ValueError, match=r"\(8, 8\).*\(16, 16\)"):
        Task.from_name("square", 8).evaluate(spec, genomes)


def test_task_value_semantics(tmp_path):
    a = Task.from_name("plus", 8)
    assert a == Task("plus", target("plus", 8)) and hash(a) == hash(Task.from_name("plus", 8))
    assert a != Task.from_name("plus", 12) and a != Task("x", target("plus", 8))
    assert not a.target.flags.writeable and a.N == 8
    np.save(tmp_path / "shape.npy", target("diamond", 8))
    f = Task.from_file(tmp_path / "shape.npy", 8)
    assert f.name == "shape" and np.array_equal(f.target, target("diamond", 8))
    with pytest.raises(ValueError, match="degenerate"):
        Task("empty", np.zeros((8, 8), bool))


# ---------------------------------------------------------------- homeostasis
def test_homeostasis_k1_equals_final_loss(spec, genomes):
    t = target("diamond", 16)
    h = homeostasis_loss(spec, genomes, t, 1)
    assert h.dtype == np.float64 and h.shape == (12,)
    np.testing.assert_array_equal(h, loss(develop(spec, genomes).phenotypes, t))


def test_homeostasis_matches_trajectory(spec, genomes):
    t = target("hollow_circle", 16)
    k = 4
    h = homeostasis_loss(spec, genomes[:3], t, k)
    for p in range(3):
        hist = trajectory(spec, genomes[p])[0]             # (T+1, 16, 16, 1)
        ph = hist[spec.steps - k + 1:, :, :, 0] > spec.threshold
        assert h[p] == pytest.approx(loss(ph, t).mean())
    # k = T runs from the seed
    assert homeostasis_loss(spec, genomes[:2], t, spec.steps).shape == (2,)


def test_homeostasis_validates_k(spec, genomes):
    t = target("square", 16)
    for k in (0, spec.steps + 1, 1.0):
        with pytest.raises(ValueError, match="k must be"):
            homeostasis_loss(spec, genomes, t, k)


# ---------------------------------------------------------------- damage
def test_damage_states_level_mapping(spec):
    states = [np.ones((2, n, n, 1), np.float32) for n in spec.sizes]
    hurt = damage_states(spec, states, (3, 5, 4, 2))    # base rows 3..6, cols 5..6
    assert all(s.min() == 1 for s in states)            # inputs untouched
    for lvl, s in enumerate(hurt):
        exp = np.ones_like(states[lvl])
        exp[:, 3 >> lvl:(6 >> lvl) + 1, 5 >> lvl:(6 >> lvl) + 1] = 0
        np.testing.assert_array_equal(s, exp)
    # level 1: rows 1..3, cols 2..3; level 3: row 0, col 0
    assert hurt[1][0, 1:4, 2:4].max() == 0 and hurt[1][0, 0, 2] == 1 and hurt[1][0, 1, 4] == 1
    assert hurt[3][0, 0, 0] == 0 and hurt[3][0, 1, 0] == 1 and hurt[3][0, 0, 1] == 1


def test_damage_at_final_step_zeroes_phenotype(spec, genomes):
    t = target("square", 16)
    rect = (2, 6, 5, 7)
    L = damage_loss(spec, genomes, t, spec.steps, rect)
    ph = develop(spec, genomes).phenotypes.copy()
    ph[:, 2:7, 6:13] = False
    assert L.dtype == np.int64
    np.testing.assert_array_equal(L, loss(ph, t))


def test_damage_at_start_away_from_seed_changes_nothing(spec, genomes):
    t = target("plus", 16)
    assert spec.seed_position == (8, 8)
    L = damage_loss(spec, genomes, t, 0, (0, 0, 4, 4))
    np.testing.assert_array_equal(L, loss(develop(spec, genomes).phenotypes, t))


def test_damage_midway_matches_manual(spec, genomes):
    t = target("hollow_circle", 16)
    rect = (4, 4, 8, 8)
    L = damage_loss(spec, genomes, t, 5, rect)
    mid = develop(spec, genomes, steps=5)
    end = develop(spec, genomes, states=damage_states(spec, mid.states, rect), steps=5)
    np.testing.assert_array_equal(L, loss(end.phenotypes, t))


def test_damage_validates(spec, genomes):
    t = target("square", 16)
    for td in (-1, spec.steps + 1):
        with pytest.raises(ValueError, match="t_damage"):
            damage_loss(spec, genomes, t, td, (0, 0, 1, 1))
    for rect in ((0, 0, 0, 1), (-1, 0, 2, 2), (10, 0, 7, 1), (0, 15, 1, 2), (0, 0, 1)):
        with pytest.raises(ValueError, match="rect"):
            damage_loss(spec, genomes, t, 3, rect)
    with pytest.raises(ValueError, match="target has shape"):
        damage_loss(spec, genomes, target("square", 8), 3, (0, 0, 1, 1))
