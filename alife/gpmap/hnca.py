"""The HNCA genotype–phenotype map: genomes -> developed patterns.

:class:`HNCAMap` puts any :class:`~alife.nca.HNCASpec` behind the GP-map
interface of :mod:`alife.gpmap.base`.  The phenotype of a genome is the
stable id (:func:`alife.nca.phenotype.phenotype_ids`) of the binary pattern
it develops; a degenerate pattern (all 0 or all 1) is the undefined phenotype
``-1``.

Two genotype spaces:

* **continuous** (default): the genome's ``spec.n_genes`` real genes, a
  :class:`~alife.gpmap.base.ContinuousSpace` with range
  ``[-spec.init_scale, spec.init_scale]`` (``[-1, 1]`` for the Bielawski
  preset, where random genomes and the ``resample`` mutation live); its
  neighbourhood is ``m`` uniform resamples of every gene.
* **lattice** (``lattice_k=K``): genes restricted to the ``K`` values of the
  ``lattice`` mutation (:func:`alife.evolve.mutation.lattice_values`), a
  :class:`~alife.gpmap.base.DiscreteSpace` ``(n_genes, K)`` whose letter
  ``i`` is the gene value ``lattice_values(K)[i]``; the neighbourhood is
  exact (every gene to every other lattice value).  :meth:`HNCAMap.to_letters`
  and :meth:`HNCAMap.to_genomes` convert, so genomes evolved with the
  ``lattice`` mutation map exactly.  Lattice maps also accept float genomes
  that lie on the lattice.

Every evaluation goes through the one evaluator,
:func:`alife.tasks.evaluate`: one rollout per genome in the map's task mode,
in batched :func:`alife.nca.develop` calls of ``chunk`` genomes (default
4096) to bound memory; with ``executor=`` (an :class:`alife.parallel.Executor`)
each batch is first split into one contiguous sub-batch per worker process or
Dask worker (same results).  A map with a :class:`~alife.tasks.Task`
(``task=``, any mode; or ``target=``, mode ``final``) measures phenotypes,
neutrality and mutation classes under that task: under ``damage`` the
phenotype is the pattern recovered after the damage, under ``homeostasis``
the final pattern, and the loss is the task's.  :meth:`HNCAMap.evaluate`
also returns raw pattern ids (degenerate included), trajectory fingerprints
and the loss: what :func:`alife.evolve.lineage.classify`
needs to class mutations as silent / cryptic / deleterious / beneficial /
neutral_changed (:func:`mutation_class_counts`).
:func:`robustness_profile` gives per-gene robustness.
"""
from __future__ import annotations

import numpy as np

from ..evolve.lineage import (BENEFICIAL, CRYPTIC, DELETERIOUS, NEUTRAL_CHANGED, SILENT,
                              classify)
from ..evolve.mutation import MAX_LATTICE_K, lattice_values
from ..nca import HNCASpec
from ..parallel import IN_PROCESS
from ..tasks import DEFAULT_CHUNK, Task, evaluate
from ..tasks import target as builtin_target
from .base import ContinuousSpace, DiscreteSpace, GPMap, is_int
from .registry import register

__all__ = ["HNCAMap", "robustness_profile", "mutation_class_counts", "profiles_and_classes",
           "DEFAULT_CHUNK"]




class HNCAMap(GPMap):
    """GP map of an HNCA spec: genomes -> developed-pattern ids (-1 degenerate).

    Parameters
    ----------
    spec : HNCASpec
    lattice_k : int or None
        None: continuous genes.  ``K`` (2..255): genes on the ``K``-value
        lattice of the ``lattice`` mutation, genotypes as uint8 letter indices.
    m : int
        Resamples per gene in a continuous neighbourhood (ignored on a lattice).
    target : None, a target name (:data:`alife.tasks.TARGETS`) or a bool array
        of the output level's shape; gives :meth:`evaluate` a loss (mode
        ``final``).  Shorthand for ``task=Task(name, target)``.
    task : alife.tasks.Task or None
        A task in any mode (``final``, ``homeostasis``, ``damage``): the
        phenotypes and losses are those of that task's rollout.  Give
        ``target`` or ``task``, not both.
    steps : int or None
        Development steps (default ``spec.steps``).
    chunk : int
        Genomes per :func:`develop` call.
    method : str
        Kernel strategy passed to :func:`develop` (fingerprints are only
        comparable within one method, so a map keeps one).
    executor : alife.parallel.Executor or None
        Where batches are developed (default: Numba threads in this process).
        A runtime choice: it can be set or replaced later (``map.executor =``)
        and is not pickled with the map.
    """

    def __init__(self, spec: HNCASpec, *, lattice_k: int | None = None, m: int = 4,
                 target=None, task: Task | None = None, steps: int | None = None,
                 chunk: int = DEFAULT_CHUNK, method: str = "auto", executor=None):
        super().__init__()
        if not isinstance(spec, HNCASpec):
            raise ValueError(f"HNCAMap: spec must be an HNCASpec, got {type(spec).__name__}; "
                             "build one with HNCASpec.preset('bielawski')")
        self.spec = spec
        D = spec.n_genes
        if lattice_k is None:
            self.lattice_k = None
            self.space = ContinuousSpace(D, m, -float(spec.init_scale), float(spec.init_scale))
            self._values = None
        else:
            if not is_int(lattice_k) or not 2 <= lattice_k <= min(255, MAX_LATTICE_K):
                raise ValueError(f"HNCAMap: lattice_k must be an integer in 2..255 (letters are "
                                 f"uint8), got {lattice_k!r}")
            self.lattice_k = int(lattice_k)
            self.space = DiscreteSpace(D, self.lattice_k)
            self._values = lattice_values(self.lattice_k)
        if steps is not None and (not is_int(steps) or steps < 1):
            raise ValueError(f"HNCAMap: steps must be a positive integer or None, got {steps!r}")
        self.steps = spec.steps if steps is None else int(steps)
        if not is_int(chunk) or chunk < 1:
            raise ValueError(f"HNCAMap: chunk must be a positive integer, got {chunk!r}")
        self.chunk = int(chunk)
        self.method = method
        self.executor = executor
        self.task = self._check_task(target, task)
        kind = "continuous" if self.lattice_k is None else f"lattice{self.lattice_k}"
        mode = "" if self.task is None or self.task.mode == "final" else f"-{self.task.mode}"
        self.name = f"hnca-{kind}-{D}genes{mode}"

    # ------------------------------------------------------------------ setup
    def _check_target(self, target):
        n = self.spec.sizes[self.spec.output_level]
        if isinstance(target, str):
            return Task(target, builtin_target(target, n))
        t = np.asarray(target)
        if t.dtype != np.bool_:
            if t.dtype.kind not in "iu" or (t.size and not np.isin(t, (0, 1)).all()):
                raise ValueError("HNCAMap: target must be a target name or a bool (0/1) array")
            t = t.astype(bool)
        if t.shape != (n, n):
            raise ValueError(f"HNCAMap: target has shape {t.shape} but the phenotype is "
                             f"({n}, {n}); build the target at N = {n}")
        return Task("target", t)

    def _check_task(self, target, task):
        if target is not None and task is not None:
            raise ValueError("HNCAMap: give target= (a final-pattern task) or task= (any "
                             "mode), not both")
        if task is None:
            return None if target is None else self._check_target(target)
        if not isinstance(task, Task):
            raise ValueError(f"HNCAMap: task must be an alife.tasks.Task, got "
                             f"{type(task).__name__}; build one with Task.from_name(name, N, "
                             "mode=...)")
        task.check(self.spec, self.steps)
        return task

    @property
    def target(self):
        """(N, N) bool target of the map's task, or None without a task."""
        return None if self.task is None else self.task.target

    def __getstate__(self):
        state = dict(self.__dict__)
        state["executor"] = None      # a pool or a Dask client does not travel
        return state

    @property
    def _ex(self):
        return IN_PROCESS if self.executor is None else self.executor

    @property
    def lattice(self) -> bool:
        return self.lattice_k is not None

    @property
    def n_genes(self) -> int:
        return self.spec.n_genes

    def gene_names(self) -> list[str]:
        return self.spec.layout.gene_names()

    # ------------------------------------------------------------------ conversion
    def _shape_2d(self, genotypes) -> np.ndarray:
        g = np.asarray(genotypes)
        D = self.spec.n_genes
        if g.dtype.kind not in "biuf":
            raise ValueError(f"HNCAMap: genotypes must be a numeric array, got dtype {g.dtype}")
        if g.ndim == 1:
            g = g[None]
        if g.ndim != 2 or g.shape[1] != D:
            got = g.shape[-1] if g.ndim >= 1 else 0
            raise ValueError(f"HNCAMap: genotypes have shape {np.shape(genotypes)} ({got} genes) "
                             f"but this spec needs {D} genes; pass an (n, {D}) array, or build "
                             "the map from the spec the genomes were made for")
        return g

    def _check_finite(self, g: np.ndarray):
        bad = ~np.isfinite(g)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(f"HNCAMap: genotype {i} gene {j} ({self.gene_names()[j]}) is "
                             f"{g[i, j]}; genes must be finite: replace NaN/inf values "
                             "(e.g. redraw the genome) before mapping")

    def to_letters(self, genomes) -> np.ndarray:
        """Float genomes on the lattice -> (n, D) uint8 letter indices.

        Raises ValueError for off-lattice or non-finite genes (snap with
        :func:`alife.evolve.mutation.to_lattice` first)."""
        if not self.lattice:
            raise ValueError("HNCAMap: to_letters needs a lattice map; build it with "
                             "HNCAMap(spec, lattice_k=K)")
        g = self._shape_2d(genomes)
        self._check_finite(g)
        K = self.lattice_k
        idx = np.clip(np.rint((g.astype(np.float64) + 1.0) * ((K - 1) / 2.0)), 0, K - 1)
        idx = idx.astype(np.intp)
        off = self._values[idx] != g
        if off.any():
            i, j = np.argwhere(off)[0]
            raise ValueError(f"HNCAMap: genotype {i} gene {j} = {g[i, j]!r} is not on the "
                             f"k={K} lattice; snap genomes with "
                             f"alife.evolve.mutation.to_lattice(genomes, {K}) first")
        return idx.astype(np.uint8)

    def to_genomes(self, genotypes) -> np.ndarray:
        """Validated genotypes -> (n, D) float32 genomes ready for develop."""
        g = self.check(genotypes)
        if self.lattice:
            return np.ascontiguousarray(self._values[g])
        return np.ascontiguousarray(g, dtype=np.float32)

    def check(self, genotypes) -> np.ndarray:
        """Validate genotypes into the space's form: (n, D) float32 for a
        continuous map, (n, D) uint8 letters for a lattice map (float genomes
        on the lattice are converted).  One-line ValueError otherwise."""
        g = self._shape_2d(genotypes)
        if not self.lattice:
            if g.dtype.kind != "f":
                raise ValueError(f"HNCAMap: continuous genotypes must be floats, got {g.dtype}; "
                                 "pass genomes.astype(np.float32) (letter indices need "
                                 "HNCAMap(spec, lattice_k=K))")
            self._check_finite(g)
            return np.ascontiguousarray(g, dtype=np.float32)
        if g.dtype.kind == "f":
            return self.to_letters(g)
        K = self.lattice_k
        if g.size and (g.min() < 0 or g.max() >= K):
            bad = np.argwhere((g < 0) | (g >= K))[0]
            raise ValueError(f"HNCAMap: letter {g[bad[0], bad[1]]} at genotype {bad[0]} gene "
                             f"{bad[1]} is outside 0..{K - 1}; lattice letters index "
                             f"lattice_values({K}) (convert genomes with to_letters)")
        return np.ascontiguousarray(g, dtype=np.uint8)

    # ------------------------------------------------------------------ evaluation
    def phenotypes(self, genotypes) -> np.ndarray:
        """(n,) int64 ids of the developed patterns, -1 degenerate."""
        return super().phenotypes(self.check(genotypes))

    def _evaluate(self, G: np.ndarray, **kw):
        return evaluate(self.spec, G, self.task, executor=self._ex, steps=self.steps,
                        method=self.method, chunk=self.chunk, **kw)

    def _phenotypes(self, genotypes: np.ndarray) -> np.ndarray:
        return self._evaluate(self.to_genomes(genotypes), phenotypes=False).ids

    def evaluate(self, genotypes) -> dict:
        """Everything the mutation classes need, from one rollout per genotype.

        Returns
        -------
        dict with
            ``ids`` (n,) int64, -1 for degenerate patterns;
            ``raw_ids`` (n,) int64 pattern ids, degenerate patterns included;
            ``fingerprints`` (n,) uint64 trajectory hashes;
            ``loss`` (n,) float64 (the task's loss) or None without a task.
        """
        G = self.to_genomes(genotypes)
        ev = self._evaluate(G, fingerprint=True, phenotypes=False)
        self.n_evaluations += G.shape[0]
        return {"ids": ev.ids, "raw_ids": ev.raw_ids, "fingerprints": ev.fingerprints,
                "loss": ev.loss}

    def patterns(self, genotypes) -> np.ndarray:
        """(n, N, N) bool developed patterns (for pictures and checks)."""
        return self._evaluate(self.to_genomes(genotypes)).phenotypes

    # ------------------------------------------------------------------ graded distance
    has_distance = True

    def target_of(self, genotype) -> np.ndarray:
        """The (N, N) bool pattern one genotype develops (under the map's task):
        the target :meth:`distance_to` measures against."""
        g = self.check(genotype)
        if g.shape[0] != 1:
            raise ValueError(f"HNCAMap.target_of takes one genotype, got {g.shape[0]}")
        return self.patterns(g)[0]

    def _distance_to(self, genotypes: np.ndarray, target) -> np.ndarray:
        """Hamming distance (number of differing cells) between each developed
        pattern and the (N, N) bool ``target``; 0 exactly for the target's phenotype."""
        t = np.asarray(target)
        n = self.spec.sizes[self.spec.output_level]
        if t.shape != (n, n) or t.dtype != np.bool_:
            raise ValueError(f"HNCAMap.distance_to: target must be an ({n}, {n}) bool pattern "
                             f"(from target_of), got {t.dtype} {t.shape}")
        pats = self._evaluate(self.to_genomes(genotypes)).phenotypes
        return (pats != t[None]).sum(axis=(1, 2))

    # ------------------------------------------------------------------ neighbourhoods
    def neighbours(self, genotypes, rng: np.random.Generator | None = None, m: int | None = None):
        """One-mutants of every genotype, ``(n, D * per_gene, D)``, gene-major.

        Lattice: all ``K - 1`` other values of every gene (``rng`` unused).
        Continuous: ``m`` (default the map's) uniform resamples per gene,
        drawn from ``rng``.  Returns ``(mutants, per_gene)``.
        """
        g = self.check(genotypes)
        if self.lattice:
            return self.space.neighbours(g), self.lattice_k - 1
        if not isinstance(rng, np.random.Generator):
            raise TypeError("HNCAMap.neighbours: a continuous map samples its neighbourhood; "
                            f"pass rng=np.random.default_rng(seed), got {type(rng).__name__}")
        m = self.space.m if m is None else m
        space = ContinuousSpace(self.spec.n_genes, m, self.space.low, self.space.high)
        return space.neighbours(g, rng), int(m)


register("hnca", HNCAMap)


# --------------------------------------------------------------------------- #
# neighbourhood statistics
# --------------------------------------------------------------------------- #
def robustness_profile(hmap: HNCAMap, genotypes, rng: np.random.Generator,
                       m: int | None = None) -> np.ndarray:
    """Per-gene robustness: for each gene, the fraction of its one-mutants
    (``m`` sampled resamples on a continuous map, all ``K - 1`` on a lattice)
    that keep the phenotype, averaged over the genotypes.

    Genotypes with the undefined phenotype (-1) belong to no neutral network
    and are left out of the average; ValueError if none is defined.  All
    genotypes and mutants are evaluated in one :meth:`HNCAMap.phenotypes`
    call (chunked).

    Returns
    -------
    (n_genes,) float64
    """
    if not isinstance(hmap, HNCAMap):
        raise ValueError(f"robustness_profile takes an HNCAMap, got {type(hmap).__name__}")
    g = hmap.check(genotypes)
    n, D = g.shape
    nb, per = hmap.neighbours(g, rng, m)
    ids = hmap.phenotypes(np.concatenate([g, nb.reshape(-1, D)]))
    parent, mut = ids[:n], ids[n:].reshape(n, D, per)
    ok = parent >= 0
    if not ok.any():
        raise ValueError("robustness_profile: none of the genotypes has a defined phenotype "
                         "(all develop degenerate patterns); pass genotypes with id >= 0")
    keep = mut[ok] == parent[ok][:, None, None]
    return keep.mean(axis=(0, 2))


#: Class names reported by :func:`mutation_class_counts`, with and without a target.
CLASSES_WITH_TARGET = ("silent", "cryptic", "deleterious", "beneficial", "neutral_changed")
CLASSES_NO_TARGET = ("silent", "cryptic", "changed")


def _neighbourhood_codes(hmap: HNCAMap, genotypes, rng: np.random.Generator, m, what: str):
    """Classify every one-mutant of every genotype in one :meth:`HNCAMap.evaluate`:
    ``(codes (n, D, per), parent phenotype ids (n,), has_target)``."""
    if not isinstance(hmap, HNCAMap):
        raise ValueError(f"{what} takes an HNCAMap, got {type(hmap).__name__}")
    g = hmap.check(genotypes)
    n, D = g.shape
    nb, per = hmap.neighbours(g, rng, m)
    k = D * per
    ev = hmap.evaluate(np.concatenate([g, nb.reshape(-1, D)]))
    rep = np.repeat(np.arange(n), k)
    has_target = ev["loss"] is not None
    loss = ev["loss"] if has_target else np.zeros(n + n * k)
    codes = classify(np.ones(n * k, bool), loss[:n][rep], loss[n:],
                     ev["raw_ids"][:n][rep], ev["raw_ids"][n:],
                     ev["fingerprints"][:n][rep], ev["fingerprints"][n:]).reshape(n, D, per)
    return codes, ev["ids"][:n], has_target


def _class_counts(codes: np.ndarray, has_target: bool) -> dict:
    n = codes.shape[0]
    flat = codes.reshape(n, -1)

    def count(*cs):
        return np.isin(flat, cs).sum(axis=1).astype(np.int64)

    if has_target:
        return {"silent": count(SILENT), "cryptic": count(CRYPTIC),
                "deleterious": count(DELETERIOUS), "beneficial": count(BENEFICIAL),
                "neutral_changed": count(NEUTRAL_CHANGED)}
    return {"silent": count(SILENT), "cryptic": count(CRYPTIC),
            "changed": count(BENEFICIAL, DELETERIOUS, NEUTRAL_CHANGED)}


def mutation_class_counts(hmap: HNCAMap, genotypes, rng: np.random.Generator,
                          m: int | None = None) -> dict:
    """Mutation classes of every genotype's one-mutant neighbourhood.

    Classes follow :func:`alife.evolve.lineage.classify` (raw pattern ids,
    trajectory fingerprints, loss on the map's target): ``silent`` (same
    trajectory), ``cryptic`` (same pattern, other trajectory), and for a
    changed pattern ``deleterious`` / ``beneficial`` / ``neutral_changed``
    by the loss.  Without a target the changed ones are one class,
    ``changed``.  Parents and mutants go through one :meth:`HNCAMap.evaluate`.

    Returns
    -------
    dict name -> (n,) int64 counts per genotype (keys
    :data:`CLASSES_WITH_TARGET` or :data:`CLASSES_NO_TARGET`, in that order);
    the counts of a genotype sum to its neighbourhood size.
    """
    codes, _, has_target = _neighbourhood_codes(hmap, genotypes, rng, m, "mutation_class_counts")
    return _class_counts(codes, has_target)


def profiles_and_classes(hmap: HNCAMap, genotypes, rng: np.random.Generator,
                         m: int | None = None) -> tuple[np.ndarray, dict]:
    """Per-genotype robustness profiles and mutation classes from ONE evaluation
    of the one-mutant neighbourhoods.

    The profile of genotype i, gene j is the fraction of gene j's mutants
    whose pattern is the parent's (silent + cryptic), i.e. what
    :func:`robustness_profile` gives for that genotype alone; NaN for a
    genotype with the undefined phenotype.  The classes are those of
    :func:`mutation_class_counts`.

    Returns
    -------
    (profiles (n, n_genes) float64, counts dict as :func:`mutation_class_counts`)
    """
    codes, parent, has_target = _neighbourhood_codes(hmap, genotypes, rng, m,
                                                     "profiles_and_classes")
    prof = np.isin(codes, (SILENT, CRYPTIC)).mean(axis=2)
    prof[parent < 0] = np.nan
    return prof, _class_counts(codes, has_target)
