"""Figures: file formats, the on/off key, the filmstrip's colour scale, the
mutation classes, the network's colour scale, the per-gene profile, the CKA
axes, labels that do not overlap and no statistic from fewer than 3 points."""
from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from configs import TOY_EXHAUSTIVE, afpo_toml

from alife import figures
from alife.bridge import plots as bridge_plots
from alife.cli import main
from alife.evolve import plots as evolve_plots
from alife.evolve.config import loads
from alife.evolve.runner import evolve
from alife.nca import HNCASpec
from alife.nca import phenotype as ph
from alife.neutral import plots as neutral_plots
from alife.neutral.config import loads_neutral
from alife.neutral.run import run_neutral

MAGIC = {"png": (b"\x89PNG",), "pdf": (b"%PDF",), "svg": (b"<?xml", b"<svg")}


def _is(path, fmt) -> bool:
    return path.suffix == f".{fmt}" and path.read_bytes().startswith(MAGIC[fmt])


def _texts(fig) -> list[str]:
    """Every non-empty text drawn on ``fig`` (titles, labels, ticks, legends, notes)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def _overlapping_labels(fig) -> list[tuple[str, str]]:
    """Pairs of visible texts of ``fig`` whose drawn boxes overlap (by more
    than a pixel): titles, axis labels, tick labels, legend entries."""
    from matplotlib.text import Text

    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ticks, drawn = set(), set()          # tick labels, and those inside the view (drawn)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-9 * max(1.0, abs(hi - lo))
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks.update((id(tick.label1), id(tick.label2)))
                loc = tick.get_loc()
                if loc is not None and lo - eps <= loc <= hi + eps:
                    drawn.update((id(tick.label1), id(tick.label2)))
    boxes = []
    for t in fig.findobj(Text):
        if id(t) in ticks and id(t) not in drawn:
            continue
        if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0:
            b = t.get_window_extent(r)
            if b.width > 0 and b.height > 0:
                boxes.append((t.get_text(), b.expanded(1, 1).padded(-1)))
    return [(a, c) for (a, ba), (c, bc) in itertools.combinations(boxes, 2) if ba.overlaps(bc)]


# ------------------------------------------------------------------- formats
def test_check_format_accepts_the_three_and_names_them_otherwise():
    assert figures.FORMATS == ("png", "pdf", "svg")
    assert figures.check_format("PDF") == "pdf" and figures.check_format(".svg") == "svg"
    for bad in ("jpg", "", None, 3):
        with pytest.raises(ValueError, match="png, pdf, svg"):
            figures.check_format(bad)


@pytest.mark.parametrize("fmt", figures.FORMATS)
def test_save_figure_writes_that_format_and_the_same_bytes_twice(tmp_path, fmt):
    def one(name):
        fig = figures.new_figure((3, 2))
        fig.add_subplot().plot([0, 1, 2], [1, 0, 1], label="a line")
        fig.legend(loc="outside lower center")
        return figures.save_figure(fig, tmp_path / f"{name}.{fmt}")

    a, b = one("a"), one("b")
    assert _is(a, fmt) and _is(b, fmt)
    assert a.read_bytes() == b.read_bytes()          # no creation date, fixed ids


def test_save_figure_refuses_an_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match="png, pdf, svg"):
        figures.save_figure(figures.new_figure((2, 2)), tmp_path / "x.jpg")
    assert not (tmp_path / "x.jpg").exists()


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("figures") / "run.h5"
    evolve(loads(afpo_toml(seed=3, generations=3, pop_size=8)), path, progress=False)
    return path


@pytest.mark.parametrize("fmt", figures.FORMATS)
def test_plot_run_writes_every_figure_in_each_format(run_file, tmp_path, fmt):
    paths = evolve_plots.plot_run(run_file, tmp_path, fmt=fmt)
    assert sorted(p.name for p in paths) == sorted(
        f"{n}.{fmt}" for n in ("loss", "best", "filmstrip", "mutations"))
    assert all(_is(p, fmt) for p in paths)
    assert sorted(tmp_path.iterdir()) == sorted(paths)


def test_cli_plot_format_and_a_bad_format(run_file, tmp_path, capsys):
    assert main(["plot", str(run_file), "--out", str(tmp_path / "v"), "--format", "svg"]) == 0
    assert sorted(p.suffix for p in (tmp_path / "v").iterdir()) == [".svg"] * 4
    # argparse's usage errors come back from main() as exit 2 with one line
    assert main(["plot", str(run_file), "--out", str(tmp_path / "j"), "--format", "jpg"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'jpg'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "j").exists()


def test_figures_of_another_format_are_not_in_the_way_but_the_same_format_is(run_file,
                                                                            tmp_path, capsys):
    out = str(tmp_path / "f")
    assert main(["plot", str(run_file), "--out", out]) == 0
    png = {p.name: p.read_bytes() for p in (tmp_path / "f").iterdir()}
    assert main(["plot", str(run_file), "--out", out, "--format", "pdf"]) == 0
    assert main(["plot", str(run_file), "--out", out, "--format", "pdf"]) == 2
    assert "best.pdf already exists; use --force" in capsys.readouterr().err
    assert main(["plot", str(run_file), "--out", out, "--format", "pdf", "--force"]) == 0
    assert {p.name: p.read_bytes() for p in (tmp_path / "f").glob("*.png")} == png
    assert len(list((tmp_path / "f").glob("*.pdf"))) == 4
    assert figures.in_format(("a.png", "plane_pair*.png", "b"), "svg") == \
        ("a.svg", "plane_pair*.svg", "b.svg")


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
def test_neutral_figures_in_each_format(tmp_path, fmt):
    s = run_neutral(loads_neutral(TOY_EXHAUSTIVE), tmp_path / "toy.h5", figs=tmp_path / "f",
                    fmt=fmt)
    figs = sorted(p for p in (tmp_path / "f").iterdir() if p.suffix != ".graphml")
    assert figs and all(_is(p, fmt) for p in figs)
    assert sorted(p.name for p in figs) == sorted(n for n in s["files"] if n.endswith(fmt))


def test_neutral_refuses_a_bad_format_before_running(tmp_path):
    with pytest.raises(ValueError, match="figure format"):
        run_neutral(loads_neutral(TOY_EXHAUSTIVE), tmp_path / "toy.h5", fmt="gif")
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------- on/off key, filmstrip
def test_phenotype_picture_has_an_onoff_key():
    p = np.eye(8, dtype=bool)
    fig = ph._phenotype_figure(p, ~p, "t", threshold=0.0)
    (leg,) = fig.legends
    labels = [t.get_text() for t in leg.get_texts()]
    assert labels == ["on (1): state > 0", "off (0): state \u2264 0"]
    faces = [h.get_facecolor()[:3] for h in leg.legend_handles]
    assert faces == [(0.0, 0.0, 0.0), (1.0, 1.0, 1.0)]     # black on, white off
    assert not _overlapping_labels(fig)


def _history(levels=3, T=12, seed=2):
    rng = np.random.default_rng(seed)
    return [np.where(rng.random((T + 1, 16 >> l, 16 >> l, 1)) < 0.5, 0.0,
                     rng.random((T + 1, 16 >> l, 16 >> l, 1)) * (l + 1)) for l in range(levels)]


def _colorbars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def test_filmstrip_has_one_labelled_colour_scale_and_an_onoff_key():
    hist = _history()
    fig = ph._filmstrip_figure(hist, ph._frame_times(12, 5), "dev", threshold=0.0)
    (cax,) = _colorbars(fig)                                    # one scale for all levels
    assert "cell state" in cax.get_ylabel()
    ims = [im for ax in fig.axes if ax is not cax for im in ax.get_images()]
    assert len(ims) == 3 * 5 and len({(im.norm.vmin, im.norm.vmax) for im in ims}) == 1
    on = max(float(h[..., 0].max()) for h in hist)
    assert ims[0].norm.vmin == 0.0 and ims[0].norm.vmax == pytest.approx(on)
    (leg,) = fig.legends
    labels = [t.get_text() for t in leg.get_texts()]
    assert labels[0].startswith("on (1): state > 0") and labels[1] == "off (0): state \u2264 0"
    # off cells (state <= threshold) are masked and drawn white, as in phenotypes
    img = ims[0].get_array()
    assert np.ma.isMaskedArray(img) and img.mask.any() and not img.mask.all()
    assert ims[0].cmap.get_bad()[:3].tolist() == [1.0, 1.0, 1.0]
    assert not _overlapping_labels(fig)


def test_filmstrip_without_threshold_still_one_labelled_scale():
    fig = ph._filmstrip_figure(_history(), ph._frame_times(12, 4))
    (cax,) = _colorbars(fig)
    assert cax.get_ylabel() == "cell state (channel 0)" and not fig.legends


# --------------------------------------------------------------- mutations
def test_mutations_no_ramp_at_generation_zero_readable_legend_off_the_data():
    rng = np.random.default_rng(0)
    counts = np.zeros((6, 6), np.int64)
    counts[0, 0] = 16                                # generation 0: random genomes only
    counts[1:, 0] = 2
    counts[1:, 1:] = rng.integers(0, 5, (5, 5))
    counts[1:, 2] += 1
    fig = evolve_plots._mutations_figure(counts)
    (ax,) = fig.axes
    assert ax.get_legend() is None and len(fig.legends) == 1
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(labels) == 6 and not any("_" in s for s in labels)
    steps = {p.get_label(): p.get_data() for p in ax.patches}
    tops = np.zeros(6)
    for label, _ in evolve_plots._CLASSES.values():
        values, edges, baseline = steps[label]
        assert values[0] == baseline[0] == 0              # nothing drawn at generation 0
        assert np.array_equal(edges, np.arange(7) - 0.5)  # one column per generation
        tops = values
    assert tops[1:] == pytest.approx(1.0)                 # fractions of mutated offspring
    hatch = steps["no mutated offspring (random genomes only)"][0]
    assert hatch.tolist() == [1, 0, 0, 0, 0, 0]
    assert not _overlapping_labels(fig)


# ------------------------------------------------------------------ network
def test_network_colour_scale_fits_its_values():
    G = nx.path_graph(6)
    for n, r in zip(G.nodes, [0.1, 0.2, 0.3, 0.15, np.nan, np.nan]):
        G.nodes[n]["robustness"] = r
    fig = neutral_plots._network_figure({"net": G})
    (cax,) = _colorbars(fig)
    sc = [c for c in fig.axes[0].collections if c.get_array() is not None
          and c.get_array().size == 4]
    assert sc and (sc[0].norm.vmin, sc[0].norm.vmax) == pytest.approx((0.1, 0.3))
    assert "r(g) not measured (2)" in _texts(fig)


# ----------------------------------------------------------------- profile
def test_gene_profile_is_labelled_by_level_and_block():
    names = HNCASpec.preset("bielawski").layout.gene_names()
    prof = np.random.default_rng(1).random((2, len(names)))
    fig = neutral_plots._profile_figure({"profile/robustness": prof,
                                         "profile/gene_names": names})
    panels = [ax for ax in fig.axes if ax.get_title()]
    levels = sorted({n.split(".")[0] for n in names})
    assert [ax.get_title() for ax in panels] == [f"level {l[1:]}" for l in levels]
    ticks = [[t.get_text() for t in ax.get_xticklabels()] for ax in panels]
    expected = []
    for l in levels:
        blocks = []
        for n in names:
            if n.split(".")[0] == l and (not blocks or blocks[-1] != n.split(".")[1].split("[")[0]):
                blocks.append(n.split(".")[1].split("[")[0])
        expected.append(blocks)
    assert ticks == expected
    assert sum(map(len, ticks)) < len(names) / 3                  # not one label per gene
    # every gene drawn once, in its panel
    assert sum(len(ax.patches) for ax in panels) == len(names)
    assert not _overlapping_labels(fig)


def test_gene_profile_of_names_without_levels_is_one_panel():
    arrays = {"profile/robustness": np.full((3, 4), 0.5), "profile/gene_names": list("abcd")}
    fig = neutral_plots._profile_figure(arrays)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == list("abcd")


# --------------------------------------------------------------------- CKA
def _bridge_data(kinds=("line", "bezier", "polychain"), n=7, layers=2):
    t = np.linspace(0, 1, n)
    arrays = {}
    for k, kind in enumerate(kinds):
        pre = f"pair0/paths/{kind}/"
        arrays[pre + "t"] = t
        arrays[pre + "cka_a"] = np.stack([1 - 0.1 * (k + 1) * t] * layers, axis=1)
        arrays[pre + "cka_b"] = arrays[pre + "cka_a"][::-1]
        arrays[pre + "agree_a"] = 1 - 0.05 * t
        arrays[pre + "agree_b"] = 0.95 + 0.05 * t
    return {"pairs": [{"pair": 0, "paths": {k: {} for k in kinds}}]}, arrays


def test_cka_panels_share_their_axes_and_keep_the_legend_off_the_data():
    summary, arrays = _bridge_data()
    fig = bridge_plots._cka_figure(summary, arrays)
    axes = np.array(fig.axes).reshape(2, 3)
    for row in axes:
        assert [a.get_ylim() for a in row] == [row[0].get_ylim()] * 3
        assert all(row[0].get_shared_y_axes().joined(row[0], a) for a in row)
    assert all(axes[0, j].get_shared_x_axes().joined(axes[0, j], axes[1, j]) for j in range(3))
    assert min(axes[0, 0].get_ylim()) <= 0.7 - 0.02 + 1e-9           # lowest CKA of any path
    assert all(a.get_legend() is None for a in axes.ravel()) and len(fig.legends) == 1
    assert not _overlapping_labels(fig)


# ------------------------------------------------------------ statistics
def test_no_statistic_from_fewer_than_3_points():
    def stats(fig):
        return [s for s in _texts(fig) if "\u03c1" in s or "slope" in s or " r =" in s]

    two = {"genotypes/robustness": np.array([0.1, 0.3]),
           "genotypes/evolvability": np.array([4.0, 2.0])}
    fig = neutral_plots._genotype_figure(two)
    assert stats(fig) == [] and "2 points: too few for a statistic" in _texts(fig)
    nets = {"networks": [{"robustness": 0.1, "evolvability": 3, "size": 5},
                         {"robustness": 0.4, "evolvability": 9, "size": 9}]}
    assert stats(neutral_plots._phenotype_figure(nets, {})) == []
    # NaN pairs do not count towards the 3
    nan3 = {"genotypes/robustness": np.array([0.1, 0.3, np.nan]),
            "genotypes/evolvability": np.array([4.0, 2.0, 1.0])}
    assert stats(neutral_plots._genotype_figure(nan3)) == []
    # with enough points the rank correlation is printed, and it is the right one
    five = {"genotypes/robustness": np.array([0.1, 0.2, 0.3, 0.4, 0.5]),
            "genotypes/evolvability": np.array([5.0, 4.0, 3.0, 1.0, 2.0])}
    (text,) = stats(neutral_plots._genotype_figure(five))
    assert text.startswith("Spearman \u03c1 = -0.90") and "n = 5" in text
    nets["networks"].append({"robustness": 0.2, "evolvability": 5, "size": 2})
    assert len(stats(neutral_plots._phenotype_figure(nets, {}))) == 1


def test_annotate_statistic_guard():
    ax = figures.new_figure((2, 2)).add_subplot()
    assert figures.annotate_statistic(ax, "r = 1.00", 2) is False
    assert figures.annotate_statistic(ax, "", 10) is False
    assert figures.annotate_statistic(ax, "r = 0.50", 3) is True


# -------------------------------------------------- constrained, everywhere
def test_overlap_check_finds_overlapping_labels():
    fig = figures.new_figure((3, 3))
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, "one label", transform=ax.transAxes)
    assert not _overlapping_labels(fig)
    ax.text(0.52, 0.5, "another label", transform=ax.transAxes)
    assert _overlapping_labels(fig) == [("one label", "another label")]


def _full_bridge_data():
    """Synthetic data for every bridge figure: 2 pairs, 4 path kinds, a plane."""
    kinds = ("line", "bezier", "polychain", "autoneb")
    summary, arrays = _bridge_data(kinds)
    t = arrays["pair0/paths/line/t"]
    summary["pairs"] = []
    for p in range(2):
        ens = {n: {"nll": 0.3 + 0.01 * k} for k, n in
               enumerate(["single_a", "single_b", "endpoints", "fge", "curve", "swa"])}
        summary["pairs"].append({"pair": p, "paths": {k: {} for k in kinds}, "ensembles": ens,
                                 "plane": {"curve": "bezier"}})
        for k, kind in enumerate(kinds):
            pre = f"pair{p}/paths/{kind}/"
            arrays[pre + "t"] = t
            arrays[pre + "train_loss"] = 0.3 + (1 - k / 4) * np.sin(np.pi * t)
            arrays[pre + "test_error"] = 0.1 + 0.3 * (1 - k / 4) * np.sin(np.pi * t)
            if p:
                for key in ("cka_a", "cka_b", "agree_a", "agree_b"):
                    arrays[pre + key] = arrays[f"pair0/paths/{kind}/{key}"]
    u, v = np.linspace(-3, 15, 6), np.linspace(-4, 5, 5)
    arrays.update({"pair0/plane/u": u, "pair0/plane/v": v,
                   "pair0/plane/train_loss": 0.3 + np.add.outer(v ** 2, (u - 6) ** 2) / 40,
                   "pair0/plane/test_error": 0.1 + np.add.outer(v ** 2, (u - 6) ** 2) / 100,
                   "pair0/plane/anchors": np.array([[0.0, 0.0], [12.0, 0.0], [6.0, 1.2]]),
                   "pair0/plane/curve": np.c_[np.linspace(0, 12, 9),
                                              0.6 * np.sin(np.linspace(0, np.pi, 9))]})
    summary["align"] = [{"pair": 0}]
    for name, d in (("before", 1.0), ("after", 0.3)):
        arrays[f"align/pair0/{name}/t"] = t
        arrays[f"align/pair0/{name}/train_loss"] = 2.1 + d * 0.1 * np.sin(np.pi * t)
    summary["gpmap"] = [{"sigma": s, "robustness": r, "agreement": a, "evolvability": e, "n": 40}
                        for s, r, a, e in ((0.01, 0.9, 0.99, 3), (0.1, 0.2, 0.9, 30))]
    return summary, arrays


def test_bridge_figures_have_no_overlapping_labels():
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    summary, arrays = _full_bridge_data()
    figs = {"paths": bridge_plots._paths_figure(summary, arrays),
            "cka": bridge_plots._cka_figure(summary, arrays),
            "plane": bridge_plots._plane_figure(summary, arrays, 0),
            "align": bridge_plots._align_figure(summary, arrays),
            "ensembles": bridge_plots._ensembles_figure(summary),
            "gpmap": bridge_plots._gpmap_figure(summary)}
    for name, fig in figs.items():
        assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine), name
        assert not _overlapping_labels(fig), name
    # a loss range under a decade is drawn on a linear axis, a wider one on a log axis
    assert figs["align"].axes[0].get_yscale() == "linear"
    assert figs["ensembles"].axes[0].get_xticklabels()[0].get_text() == "model A\nalone"


def test_run_figures_have_no_overlapping_labels():
    loss = np.abs(np.random.default_rng(0).normal(900, 50, (12, 8)))
    counts = np.zeros((12, 6), np.int64)
    counts[0, 0], counts[1:, 1:] = 8, 1
    for fig in (evolve_plots._loss_figure(loss), evolve_plots._mutations_figure(counts)):
        assert not _overlapping_labels(fig)


def test_every_neutral_figure_uses_constrained_layout():
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    G = nx.path_graph(4)
    nx.set_node_attributes(G, 0.5, "robustness")
    arrays = {"genotypes/robustness": np.linspace(0, 1, 6),
              "genotypes/evolvability": np.arange(6.0),
              "phenotypes/robustness": np.linspace(0, 1, 4),
              "phenotypes/evolvability": np.arange(4.0), "phenotypes/size": np.arange(1.0, 5),
              "phenotypes/frequency": np.array([0.5, 0.25, 0.15, 0.1]),
              "profile/robustness": np.full((3, 4), 0.5), "profile/gene_names": list("abcd")}
    assert [f"{n}.png" for n in neutral_plots._BUILDERS] == list(neutral_plots.FIGURES)
    for name, build in neutral_plots._BUILDERS.items():
        fig = build({}, arrays, {"n": G})
        assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine), name
        assert not _overlapping_labels(fig), name
