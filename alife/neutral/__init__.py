"""Neutral networks of any genotype–phenotype map: build them, walk them, measure them.

The neutral network of a phenotype ``p`` is the set of genotypes with
phenotype ``p``, with edges between genotypes one point mutation apart; its
connected components are *genotype networks*.  Undefined genotypes
(phenotype ``-1``: an unfolded RNA, a degenerate HNCA pattern) belong to no
network.  Every function takes a map of :mod:`alife.gpmap` and evaluates
phenotypes in batches.

Building networks

* :func:`exhaustive` — every genotype of an enumerable discrete space and
  all its genotype networks (:class:`ExhaustiveNetworks`);
  :func:`networks_from_table` does the same from a phenotype array indexed by
  genotype rank.
* :func:`sample_bfs` — the part of one phenotype's network a breadth-first
  search from seed genotypes reaches under node and evaluation budgets
  (:class:`SampledNetwork`); works on continuous spaces too.

Moving on networks

* :func:`neutral_walks` — blind-ant neutral random walks (:class:`NeutralWalks`).
* :func:`neutral_path` — a neutral path between two genotypes of one
  phenotype (exact shortest on a discrete space, within budget);
  :func:`staircase_path` — one-gene steps along a polyline of continuous
  genotypes.
* :func:`search_path` — a derivative-free search for a neutral path on any map
  with a graded phenotype distance (a pivot chain pulled into the phenotype,
  AutoNEB-style; :class:`PathSearchResult`), :func:`verify_path` (every step
  one gene, every row the phenotype) and the path files of
  :mod:`alife.neutral.pathfile` (:func:`write_path_file`, :func:`check_path_file`).

Measures (Wagner 2008; Cowperthwaite et al. 2008)

* per genotype: :func:`genotype_robustness`, :func:`genotype_evolvability`;
* per phenotype and component: :func:`phenotype_measures`,
  :func:`component_measures`, :func:`transition_matrix`;
* on a sampled network: :func:`sampled_measures`, :func:`sampled_transitions`;
* :func:`distance_stats`, :func:`robustness_frequency`,
  :func:`wagner_correlations`, :func:`spearman`,
  :func:`cowperthwaite_evolvability`;
* from sampled mutants (:mod:`alife.neutral.evolvability`):
  :func:`mutant_counts` / :func:`tally_mutants` (:class:`MutantCounts`),
  :func:`rarefied_evolvability` (distinct new phenotypes rarefied to a
  fixed number of mutants), :func:`cowperthwaite_estimate` (E_C, unbiased),
  :func:`pool_counts`.

Correlations and connectivity on enumerated spaces

* :func:`wagner_three_ways` — Wagner's r–e correlations pooled over
  genotypes, within each phenotype, and R–E across phenotypes as a partial
  correlation given log frequency, with bootstrap intervals
  (:mod:`alife.neutral.correlations`: :func:`partial_spearman`,
  :func:`wilson_interval`, :func:`clopper_pearson_interval`);
* :func:`same_component_probabilities`, :func:`same_component_test` —
  whether random and independently hill-climbed genotype pairs of one
  phenotype share a genotype network (:func:`hill_climb`);
* :class:`PatternRecorder` — a lattice HNCA map that keeps every pattern
  and degenerate kind while :func:`exhaustive` enumerates it.

genonets: :func:`run_genonets` runs the genonets 2.0 analysis of a genonets
input file and writes the same result files.

The command ``alife neutral CONFIG.toml`` (:mod:`alife.neutral.run`, configs
in :mod:`alife.neutral.config`) runs a whole analysis into ``NET.h5``.

Example
-------
>>> import numpy as np
>>> from alife.gpmap import make
>>> from alife.neutral import exhaustive, phenotype_measures, sample_bfs, neutral_path
>>> gpmap = make("toy", name="count", L=6, K=3)      # phenotype = number of letter 0
>>> nets = exhaustive(gpmap)                         # all 3**6 genotypes
>>> nets.n_phenotypes, nets.n_components
(7, 64)
>>> pm = phenotype_measures(nets)                    # robustness R(p), evolvability E(p), ...
>>> net = sample_bfs(gpmap, [1, 1, 2, 0, 0, 0])       # the component of one genotype
>>> net.n_nodes, net.complete
(8, True)
>>> neutral_path(gpmap, [1, 1, 2, 0, 0, 0], [2, 2, 1, 0, 0, 0]).shape   # 3 mutations
(4, 6)
"""
from .._lazy import lazy_exports

#: Exported name -> the submodule defining it.  Imported on first use (PEP 562), so
#: ``from alife.neutral import run_genonets`` does not load the network kernels, and
#: ``from alife.neutral import exhaustive`` does not load the genonets port.
_HOME = {
    "exhaustive": "enumeration", "networks_from_table": "enumeration",
    "ExhaustiveNetworks": "enumeration",
    "sample_bfs": "sampling", "SampledNetwork": "sampling",
    "neutral_walks": "walks", "NeutralWalks": "walks", "neutral_path": "walks",
    "staircase_path": "walks",
    "search_path": "pathsearch", "PathSearchResult": "pathsearch", "verify_path": "pathcheck",
    "write_path_file": "pathfile", "check_path_file": "pathfile",
    **{name: "measures" for name in (
        "genotype_robustness", "genotype_evolvability", "phenotype_measures", "PhenotypeMeasures",
        "component_measures", "ComponentMeasures", "transition_matrix", "sampled_measures",
        "SampledMeasures", "sampled_transitions", "distance_stats", "robustness_frequency",
        "wagner_correlations", "spearman", "cowperthwaite_evolvability")},
    "run_genonets": "genonets",
    **{name: "correlations" for name in (
        "wagner_three_ways", "partial_spearman", "wilson_interval", "clopper_pearson_interval")},
    **{name: "climbing" for name in (
        "same_component_probabilities", "same_component_test", "hill_climb")},
    "PatternRecorder": "developmental",
    **{name: "evolvability" for name in (
        "MutantCounts", "mutant_counts", "tally_mutants", "rarefied_evolvability",
        "cowperthwaite_estimate", "pool_counts")},
}

__all__ = [
    # building networks
    "exhaustive", "networks_from_table", "ExhaustiveNetworks", "sample_bfs", "SampledNetwork",
    # moving on them
    "neutral_walks", "NeutralWalks", "neutral_path", "staircase_path",
    "search_path", "PathSearchResult", "verify_path", "write_path_file", "check_path_file",
    # measures
    "genotype_robustness", "genotype_evolvability", "phenotype_measures", "PhenotypeMeasures",
    "component_measures", "ComponentMeasures", "transition_matrix", "sampled_measures",
    "SampledMeasures", "sampled_transitions", "distance_stats", "robustness_frequency",
    "wagner_correlations", "spearman", "cowperthwaite_evolvability",
    # evolvability on a common scale (sampled mutants)
    "MutantCounts", "mutant_counts", "tally_mutants", "rarefied_evolvability",
    "cowperthwaite_estimate", "pool_counts",
    # correlations and connectivity on enumerated spaces
    "wagner_three_ways", "partial_spearman", "wilson_interval", "clopper_pearson_interval",
    "same_component_probabilities", "same_component_test", "hill_climb", "PatternRecorder",
    # genonets
    "run_genonets",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOME)
