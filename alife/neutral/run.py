"""Run a neutral-network analysis from a config into ``NET.h5`` (``alife neutral``).

Three methods (``paths`` in :mod:`alife.neutral.run_paths`):

* ``bfs`` — for every seed genotype, the neutral network of its phenotype is
  grown by breadth-first search under node and evaluation budgets
  (:func:`alife.neutral.sampling.sample_bfs`), optionally explored further by
  neutral random walks; Wagner's measures are estimated on it
  (:func:`alife.neutral.measures.sampled_measures`) with its size,
  components, diameter and mean path length.  For an HNCA map the seeds also
  get a per-gene robustness profile and mutation classes.
* ``paths`` — every pair of ``[pairs]`` is searched for a verified neutral
  path (:func:`alife.neutral.pathsearch.search_path`); paths are stored as
  genome sequences (:mod:`alife.neutral.pathfile`), one unit per pair.
* ``exhaustive`` — every genotype of an enumerable discrete space is
  evaluated; every phenotype's neutral set and genotype networks are built and
  measured (:func:`alife.neutral.enumeration.exhaustive`).

Every random stream is a child of one ``numpy.random.SeedSequence(seed)``.
The result file is written once, atomically (:func:`alife.store.write_results`);
an existing file is refused unless ``force``.

Nothing is lost: the work is done in units (one per seed network, then the
seeds' profile and mutation classes; the whole exhaustive analysis is one
unit), and after each unit its results, the random generators' states and
the evaluation count are saved atomically in ``NET.h5.partial``
(:func:`alife.store.write_progress`: plain data, never a pickle), keyed by
the canonical config text.  Rerunning the same command after a crash
resumes after the last saved unit and writes the same NET.h5 as an
uninterrupted run: restoring the generators' states exactly means a resumed
unit draws the same numbers.  A progress file of another config is refused
(``force`` discards it), and so is one that does not hold what this module
writes; the progress file is removed once NET.h5 is written.

While it works, a progress bar (:func:`alife.logs.progress_bar`) counts the
units (seed networks and the profile, or pairs), or for ``exhaustive`` the
genotypes evaluated, with the time left; it draws on a terminal or in a
notebook, stays silent elsewhere, and ``progress=False`` (``alife neutral
--quiet``) turns it off.  It changes nothing in the results.

One writer: ``NET.h5``'s lock and the figures folder's lock
(:func:`alife.store.output_lock`, :func:`alife.store.folder_lock`) are held
for the whole run, taken before anything there is looked at.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import numpy as np

from ..store import (RunFile, RunFileError, check_target, folder_lock, output_lock,
                     progress_key, progress_path, read_progress, write_progress, write_results)
from ..figures import check_format, in_format
from ..logs import progress_bar
from ..outputs import check_new_outputs
from . import enumeration, sampling, walks
from . import measures as M
from .config import NeutralConfig, check_sizes
from .plots import FIGURES

#: Networks up to this many nodes are kept as GraphML and drawn.
GRAPH_MAX_NODES = 5000
#: The GraphML files an analysis may write into its figures folder.
GRAPHML_PATTERNS = ("network*.graphml", "largest_phenotype_component.graphml")


def seed_genotypes(config: NeutralConfig, gpmap, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """The seeds: explicit genotypes, then a run's best, then random defined ones.

    Returns ``(genotypes (s, L), sources)`` with a short description per seed.
    """
    space = gpmap.space
    rows, src = [], []
    for g in config.seeds.get("genotypes", ()):
        if isinstance(g, str):
            if not space.discrete or space.alphabet is None:
                raise ValueError(f"seed genotype {g!r} is text, but this map's genotypes are "
                                 f"numbers; give arrays of numbers")
            rows.append(space.encode([g])[0])
        else:
            a = np.asarray(g, np.float64)
            if space.discrete:
                if not np.all(a == np.round(a)):
                    raise ValueError("discrete seed genotypes must be letter indices (integers)")
                a = a.astype(np.int64)
            rows.append(space.check(a.reshape(1, -1))[0])
        src.append("config")
    if "run" in config.seeds:
        genomes = _best_of_run(config.seeds["run"], config.seeds.get("best", 1))
        if hasattr(gpmap, "to_letters") and space.discrete:
            genomes = gpmap.to_letters(genomes)
        for i, g in enumerate(space.check(genomes)):
            rows.append(g)
            src.append(f"run best {i + 1}")
    n_random = config.seeds.get("random", 0)
    if n_random:
        found, tries = [], 0
        while len(found) < n_random:
            if tries > 50:
                raise ValueError(f"found only {len(found)} of {n_random} random genotypes with a "
                                 f"defined phenotype in {tries} batches; lower [seeds] random")
            cand = space.random(256, rng)
            ids = gpmap.phenotypes(cand)
            found.extend(cand[ids >= 0][: n_random - len(found)])
            tries += 1
        rows.extend(found)
        src.extend(["random"] * len(found))
    if not rows:
        return np.zeros((0, space.L), np.uint8 if space.discrete else np.float32), []
    return space.check(np.stack(rows)), src


def _best_of_run(path, k: int) -> np.ndarray:
    """The ``k`` lowest-loss distinct genomes of a run's last complete generation."""
    try:
        with RunFile.open(path) as run:
            if run.generations_done == 0:
                raise ValueError(f"{path}: the run has no complete generation yet")
            G = run.read("genomes", -1)
            loss = run.read("loss", -1)
    except RunFileError as e:
        raise ValueError(str(e)) from None
    order = np.argsort(loss, kind="stable")
    _, first = np.unique(G[order], axis=0, return_index=True)
    keep = order[np.sort(first)][:k]
    return G[keep]


def run_neutral(config: NeutralConfig, out_path, *, force: bool = False, figs=None,
                executor=None, fmt: str = "png", progress: bool | None = None) -> dict:
    """Run the analysis; write ``out_path`` (NET.h5), GraphML files and figures.

    Parameters
    ----------
    config : NeutralConfig
    out_path : path of the result file
    force : bool, replace an existing result file
    figs : folder for GraphML and figures (default: ``<out stem>_figs``
        next to ``out_path``); a figure (in format ``fmt``) or GraphML file
        already there is an error unless ``force``, found before any work
    executor : alife.parallel.Executor, optional; where an HNCA map develops
        its batches (default: this process's Numba threads)
    fmt : file format of the figures: "png" (default), "pdf" or "svg"
    progress : bool or None, the progress bar with the time left: None
        (default) draws it on a terminal or in a notebook only, True always,
        False never

    An interrupted run with the same config is resumed from
    ``<out_path>.partial`` (see the module docstring).

    Returns
    -------
    dict, the summary stored in the file's ``summary_json`` attribute.

    Raises
    ------
    alife.store.OutputLockedError
        Another process is writing ``out_path`` or ``figs`` (even with ``force``).
    ValueError
        One line: an existing result without ``force``, a bad progress file, ...
    """
    fmt = check_format(fmt)
    out_path = Path(out_path)
    figs = Path(figs) if figs is not None else out_path.with_name(out_path.stem + "_figs")
    with output_lock(out_path), folder_lock(figs):
        check_target(out_path, force=force)
        check_sizes(config)
        check_new_outputs(figs, in_format(FIGURES, fmt), GRAPHML_PATTERNS, force=force,
                          option="--figs")
        return _run_locked(config, out_path, force, figs, executor, fmt, progress)


def _run_locked(config: NeutralConfig, out_path: Path, force: bool, figs: Path,
                executor, fmt: str = "png", bar: bool | None = None) -> dict:
    progress = _Progress(out_path, config.text, force, _Steps(bar))
    try:
        return _analyse_and_write(config, out_path, force, figs, executor, fmt, progress)
    finally:
        progress.steps.close()


def _analyse_and_write(config: NeutralConfig, out_path: Path, force: bool, figs: Path,
                       executor, fmt: str, progress: "_Progress") -> dict:
    ss = np.random.SeedSequence(config.seed)
    r_seeds, r_build, r_measure = (np.random.default_rng(s) for s in ss.spawn(3))
    gpmap = config.gpmap()
    if executor is not None and hasattr(gpmap, "executor"):
        gpmap.executor = executor
    extra_attrs = {}
    if config.build["method"] == "paths":
        from .run_paths import run_pairs
        summary, arrays, graphs, extra_attrs = run_pairs(config, gpmap, progress)
    elif config.build["method"] == "exhaustive":
        done = progress.get("exhaustive")
        if done is None:
            result = _exhaustive(config, gpmap, r_measure, progress.steps)
            progress.save("exhaustive", result, gpmap)
        else:
            result = done
            progress.restore(gpmap)
        summary, arrays, graphs = result
    else:
        summary, arrays, graphs = _sampled(config, gpmap, r_seeds, r_build, r_measure,
                                           progress=progress)
    progress.steps.close()
    summary.update(map=gpmap.name, method=config.build["method"],
                   n_evaluations=int(gpmap.n_evaluations))
    from .plots import plot_neutral
    figs.mkdir(parents=True, exist_ok=True)
    written = plot_neutral(summary, arrays, graphs, figs, fmt=fmt)
    for name, G in graphs.items():
        path = figs / f"{name}.graphml"
        nx.write_graphml(_graphml_safe(G), path)
        written.append(path.name)
    summary["files"] = sorted(written)
    write_results(out_path, "neutral", {"config_toml": config.text,
                                        "summary_json": json.dumps(summary, sort_keys=True),
                                        **extra_attrs},
                  arrays, force=force)
    progress.remove()
    return summary


class _Progress:
    """The completed units of one ``run_neutral`` call, saved after each unit
    in ``<out>.partial`` with the generators' states and the evaluation count.

    ``save(name, result, gpmap, *rngs)`` records a unit (and the state after
    it); ``get(name)`` returns a unit's saved result or None; ``restore(gpmap,
    *rngs)`` puts back the state saved with the last unit, so the first unit
    computed afresh draws what it would have drawn without the interruption.

    The file holds plain data only (:mod:`alife.store.plain`; networks as
    node and edge lists), and what is read back must have the shape of what
    this class writes (:func:`_from_saved`), else it is refused in one line.
    """

    def __init__(self, out_path: Path, key: str, force: bool, steps: "_Steps | None" = None):
        self.out_path, self.key = out_path, key
        self.steps = steps if steps is not None else _Steps(False)
        self.units: dict = {}
        self.state = None
        self.restored = False
        try:
            found = progress_key(out_path)
            if found is not None and found != key:
                if not force:
                    raise ValueError(f"{progress_path(out_path)} holds an interrupted run of a "
                                     f"different config; rerun with that config to resume it, "
                                     f"or use --force to discard it (or a new --out)")
                progress_path(out_path).unlink()
            elif found is not None:
                self.units, self.state = _from_saved(read_progress(out_path, key),
                                                     progress_path(out_path))
        except RunFileError as e:
            if not force:
                raise ValueError(str(e)) from None
            progress_path(out_path).unlink(missing_ok=True)

    def get(self, name):
        return self.units.get(name)

    def save(self, name, result, gpmap, *rngs) -> None:
        self.steps.update()
        self.units[name] = result
        self.restored = True          # the live generators are ahead of any saved state
        self.state = {"n_evaluations": int(gpmap.n_evaluations),
                      "rngs": [r.bit_generator.state for r in rngs]}
        units = {k: _unit_to_plain(k, v) for k, v in self.units.items()}
        write_progress(self.out_path, self.key, {"units": units, "state": self.state})

    def restore(self, gpmap, *rngs) -> None:
        """Once, before the first unit computed in this process."""
        if self.restored or self.state is None:
            return
        self.restored = True
        gpmap.n_evaluations = self.state["n_evaluations"]
        try:
            for r, st in zip(rngs, self.state["rngs"]):
                r.bit_generator.state = st
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f"{progress_path(self.out_path)} holds a random generator state "
                             f"this run cannot use ({type(e).__name__}); use --force to "
                             f"discard its progress and start afresh") from None

    def check(self, name, value) -> None:
        """``value`` (e.g. the seed genotypes) must equal the interrupted run's."""
        if name not in self.units:
            self.units[name] = value
        elif not np.array_equal(self.units[name], value):
            raise ValueError(f"{progress_path(self.out_path)}: the {name} differ from those of "
                             f"the interrupted run (was an input file changed?); use --force "
                             f"to discard its progress and start afresh")

    def remove(self) -> None:
        progress_path(self.out_path).unlink(missing_ok=True)


# --------------------------------------------------------------------------- #
# the progress file's contents: plain data, checked on the way back
# --------------------------------------------------------------------------- #
_NETWORK_UNIT = re.compile(r"network (0|[1-9][0-9]{0,8})")


def _graph_to_plain(G) -> dict:
    """A networkx Graph as node and edge lists (node order and edge order kept)."""
    return {"nodes": [[n, dict(d)] for n, d in G.nodes(data=True)],
            "edges": [[u, v, dict(d)] for u, v, d in G.edges(data=True)],
            "graph": dict(G.graph)}


def _graph_from_plain(d: dict):
    G = nx.Graph()
    G.graph.update(d["graph"])
    G.add_nodes_from((n, a) for n, a in d["nodes"])
    G.add_edges_from((u, v, a) for u, v, a in d["edges"])
    return G


def _unit_to_plain(name: str, value):
    if name == "exhaustive" or _NETWORK_UNIT.fullmatch(name):
        head, arrays, graphs = value
        return head, arrays, {k: _graph_to_plain(G) for k, G in graphs.items()}
    return value


def _is_attrs(d) -> bool:
    return isinstance(d, dict) and all(isinstance(k, str) and isinstance(v, (str, int, float, bool))
                                       for k, v in d.items())


def _valid_graph(d) -> bool:
    if not (isinstance(d, dict) and set(d) == {"nodes", "edges", "graph"} and _is_attrs(d["graph"])
            and isinstance(d["nodes"], list) and isinstance(d["edges"], list)):
        return False
    nodes = set()
    for n in d["nodes"]:
        if not (isinstance(n, list) and len(n) == 2 and isinstance(n[0], (int, str))
                and _is_attrs(n[1])):
            return False
        nodes.add(n[0])
    return all(isinstance(e, list) and len(e) == 3 and e[0] in nodes and e[1] in nodes
               and _is_attrs(e[2]) for e in d["edges"])


def _valid_unit(name, v) -> bool:
    def named(d, kinds):
        return isinstance(d, dict) and all(isinstance(k, str) and isinstance(x, kinds)
                                           for k, x in d.items())
    if name == "seed genotypes":
        return isinstance(v, np.ndarray) and v.ndim == 2
    if name == "profile":
        return (isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], np.ndarray)
                and named(v[1], np.ndarray))
    if name == "exhaustive" or (isinstance(name, str) and _NETWORK_UNIT.fullmatch(name)):
        return (isinstance(v, tuple) and len(v) == 3 and isinstance(v[0], dict)
                and named(v[1], (np.ndarray, list))
                and all(isinstance(x, np.ndarray) or all(isinstance(t, str) for t in x)
                        for x in v[1].values())
                and named(v[2], dict) and all(_valid_graph(g) for g in v[2].values()))
    return False


def _from_saved(saved, path: Path) -> tuple[dict, dict]:
    """``(units, state)`` from what :func:`read_progress` returned, networks
    rebuilt; RunFileError (one line) if it is not what ``_Progress`` writes."""
    ok = (isinstance(saved, dict) and set(saved) == {"units", "state"}
          and isinstance(saved["units"], dict) and isinstance(saved["state"], dict)
          and set(saved["state"]) == {"n_evaluations", "rngs"}
          and isinstance(saved["state"]["n_evaluations"], int)
          and not isinstance(saved["state"]["n_evaluations"], bool)
          and saved["state"]["n_evaluations"] >= 0
          and isinstance(saved["state"]["rngs"], list)
          and all(isinstance(r, dict) for r in saved["state"]["rngs"])
          and all(_valid_unit(k, v) for k, v in saved["units"].items()))
    if not ok:
        raise RunFileError(f"{path} does not hold the progress of an alife neutral run; "
                           f"delete it (or pass --force) to start afresh")
    units = {}
    for k, v in saved["units"].items():
        if k == "exhaustive" or _NETWORK_UNIT.fullmatch(k):
            v = (v[0], v[1], {name: _graph_from_plain(g) for name, g in v[2].items()})
        units[k] = v
    return units, saved["state"]


def _graphml_safe(G):
    """A copy with NaN attributes (r(g) of unexpanded nodes) written as -1:
    GraphML readers do not all accept NaN."""
    H = G.copy()
    for _, d in H.nodes(data=True):
        for k, v in list(d.items()):
            if isinstance(v, float) and not np.isfinite(v):
                d[k] = -1.0
    return H


def _sampled(config, gpmap, r_seeds, r_build, r_measure, progress=None):
    seeds, sources = seed_genotypes(config, gpmap, r_seeds)
    if progress is None:
        progress = _NoProgress()
    progress.check("seed genotypes", seeds)
    if seeds.shape[0] == 0:
        raise ValueError("no seed genotypes: give [seeds] genotypes, run or random")
    ids = gpmap.phenotypes(seeds)
    bad = np.flatnonzero(ids < 0)
    if bad.size:
        raise ValueError(f"seed {int(bad[0]) + 1} ({sources[bad[0]]}) has an undefined "
                         f"(degenerate) phenotype; it belongs to no neutral network")
    bd = config.build
    nets, arrays, graphs = [], {}, {}
    profile = hasattr(gpmap, "spec") and config.measures.get("profile", True)
    _units_bar(progress, len(seeds), profile)
    for i, g in enumerate(seeds):
        done = progress.get(f"network {i}")
        if done is not None:
            row, unit_arrays, unit_graphs = done
            nets.append(row)
            arrays.update(unit_arrays)
            graphs.update(unit_graphs)
            continue
        progress.restore(gpmap, r_build, r_measure)
        unit_arrays, unit_graphs = {}, {}
        before = gpmap.n_evaluations
        net = sampling.sample_bfs(gpmap, g[None], max_nodes=bd["max_nodes"],
                                  max_evaluations=bd["max_evaluations"], rng=r_build)
        sm = M.sampled_measures(net)
        csr = _csr(net)
        ds = M.distance_stats(csr, n_sources=config.measures["path_sources"], rng=r_measure)
        row = {"seed": i, "source": sources[i], "phenotype": int(net.phenotype),
               "label": gpmap.label(int(net.phenotype)), "size": sm.size,
               "n_expanded": sm.n_expanded, "complete": sm.complete,
               "robustness": sm.robustness, "evolvability": sm.evolvability,
               "evolvability_cowperthwaite": sm.evolvability_cowperthwaite,
               "undefined_fraction": sm.undefined_fraction,
               "n_evaluations": int(gpmap.n_evaluations - before),
               **{k: (v.item() if isinstance(v, np.generic) else v) for k, v in ds.items()
                  if not isinstance(v, np.ndarray)}}
        p = f"networks/{i}/"
        unit_arrays.update({p + "genotypes": net.genotypes, p + "depth": net.depth,
                            p + "robustness": sm.genotype_robustness,
                            p + "evolvability": sm.genotype_evolvability, p + "edges": net.edges,
                            p + "boundary_phenotype": net.boundary_phenotype})
        if bd["walks"]:
            w = walks.neutral_walks(gpmap, g, bd["walk_steps"], bd["walks"], r_build)
            row.update(walk_acceptance=w.acceptance_rate,
                       walk_final_distance_mean=float(w.distance[-1].mean()),
                       walk_visited=int(w.visited().shape[0]))
            unit_arrays[p + "walk_distance"] = w.distance
        if net.n_nodes <= GRAPH_MAX_NODES:
            unit_graphs[f"network{i}"] = net.graph(GRAPH_MAX_NODES)
        nets.append(row)
        arrays.update(unit_arrays)
        graphs.update(unit_graphs)
        progress.save(f"network {i}", (row, unit_arrays, unit_graphs), gpmap, r_build, r_measure)
    summary = {"networks": nets}
    if profile:
        done = progress.get("profile")
        if done is None:
            progress.restore(gpmap, r_build, r_measure)
            from ..gpmap.hnca import profiles_and_classes
            # one evaluation of the seeds' one-mutants gives both (it used to be two)
            prof, counts = profiles_and_classes(gpmap, seeds, r_measure)
            done = (prof, counts)
            progress.save("profile", done, gpmap, r_build, r_measure)
        prof, counts = done
        arrays["profile/robustness"] = prof
        arrays["profile/gene_names"] = list(gpmap.gene_names())
        for k, v in counts.items():
            arrays[f"mutation_classes/{k}"] = v
        summary["mutation_classes"] = {k: int(v.sum()) for k, v in counts.items()}
    progress.restore(gpmap, r_build, r_measure)   # every unit was saved: the final count
    rob = np.array([n["robustness"] for n in nets])
    evo = np.array([n["evolvability"] for n in nets], np.float64)
    rho, pval, n = M.spearman(rob, evo)
    summary["phenotype_robustness_vs_evolvability"] = {"spearman_rho": rho, "p": pval, "n": n}
    return summary, arrays, graphs


class _Steps:
    """The progress bar of one analysis (:func:`alife.logs.progress_bar`), or
    nothing: ``enabled`` None draws on a terminal or in a notebook only,
    False never.  ``start`` opens a bar (closing the last), ``update`` counts
    done steps, ``close`` ends it; all are safe to call without a bar."""

    def __init__(self, enabled: bool | None):
        self.enabled, self.bar = enabled, None

    def start(self, total: int, desc: str, unit: str, done: int = 0) -> None:
        self.close()
        if self.enabled is not False:
            self.bar = progress_bar(total, desc, enabled=self.enabled, unit=unit, initial=done)

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class _NoProgress:
    """Progress that saves nothing (``_sampled`` called without a result file)."""

    steps = _Steps(False)

    def get(self, name):
        return None

    def save(self, *args) -> None:
        pass

    def restore(self, *args) -> None:
        pass

    def check(self, *args) -> None:
        pass


def _units_bar(progress, n_seeds: int, profile: bool) -> None:
    """Start the bar of a sampled analysis: one step per seed network and the
    profile, counting those an interrupted run already saved."""
    units = [f"network {i}" for i in range(n_seeds)] + (["profile"] if profile else [])
    progress.steps.start(len(units), "networks", "unit",
                         done=sum(progress.get(u) is not None for u in units))


def _csr(net):
    from scipy import sparse
    n = net.n_nodes
    e = net.edges
    A = sparse.coo_matrix((np.ones(len(e), np.int8), (e[:, 0], e[:, 1])), shape=(n, n)) if len(e) \
        else sparse.coo_matrix((n, n), dtype=np.int8)
    return (A + A.T).tocsr()


def _exhaustive(config, gpmap, r_measure, steps=None):
    if steps is not None:
        steps.start(int(gpmap.space.size), "genotypes", "genotype")
    nets = enumeration.exhaustive(gpmap, on_batch=None if steps is None else steps.update)
    if steps is not None:
        steps.close()            # the measures that follow are not counted
    pm = M.phenotype_measures(nets)
    wc = M.wagner_correlations(nets, rng=r_measure)
    rf = M.robustness_frequency(pm.robustness, pm.frequency)
    r = M.genotype_robustness(nets)
    e = M.genotype_evolvability(nets)
    labels = [gpmap.label(int(p)) for p in pm.phenotype]
    arrays = {f"phenotypes/{k}": getattr(pm, k) for k in pm.__dataclass_fields__}
    arrays["phenotypes/label"] = labels
    arrays["phenotypes/rho_over_f"] = rf["ratio"]
    arrays.update({"genotypes/phenotype": nets.phenotype, "genotypes/component": nets.component,
                   "genotypes/robustness": r.astype(np.float32),
                   "genotypes/evolvability": e.astype(np.int32),
                   "components/size": nets.component_sizes,
                   "components/phenotype": nets.component_phenotype})
    summary = {"n_genotypes": int(nets.n_genotypes), "n_phenotypes": int(nets.n_phenotypes),
               "n_components": int(nets.n_components),
               "undefined_fraction": float(nets.n_undefined) / float(nets.n_genotypes),
               "wagner": wc, "robustness_vs_log_frequency":
                   {k: v for k, v in rf.items() if k != "ratio"}}
    graphs = {}
    big = int(np.argmax(pm.size)) if pm.size.size else None
    if big is not None:
        comp = int(nets.components_of(int(pm.phenotype[big]))[0])
        if nets.component_sizes[comp] <= GRAPH_MAX_NODES:
            graphs["largest_phenotype_component"] = nets.graph(component=comp,
                                                               max_nodes=GRAPH_MAX_NODES)
    return summary, arrays, graphs
