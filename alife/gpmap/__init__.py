"""Genotype–phenotype maps behind one interface, built by name.

A GP map is a genotype space plus a *batch* phenotype function (see
:mod:`alife.gpmap.base`)::

    ids = gpmap.phenotypes(genotypes)      # (n, L) genotypes -> (n,) int64, -1 undefined

Spaces: :class:`DiscreteSpace` (``L`` letters out of ``K``; exact
neighbourhoods, ranks, :meth:`~DiscreteSpace.mutate`) and
:class:`ContinuousSpace` (``L`` real genes; sampled neighbourhoods).
:class:`CachedMap` memoises a map by genotype.

Maps, each registered under a name for :func:`make` (:data:`MAPS` lists them):

* ``"hnca"`` — :class:`alife.gpmap.hnca.HNCAMap`, any HNCA spec, continuous
  or lattice genes;
* ``"rna"`` — :class:`alife.gpmap.rna.RNAMap`, ViennaRNA minimum-free-energy
  structures (the ``rna`` extra);
* ``"toy"`` — the maps of :mod:`alife.gpmap.toy`, worked out on paper;
* ``"table"`` — :class:`alife.gpmap.table.TableMap`, a genonets input file;
* ``"net"`` — :class:`alife.bridge.netmap.NetMap`, a trained torch model
  (registered when :mod:`alife.bridge.netmap` is imported).

The map classes are importable from here too (``from alife.gpmap import
RNAMap``); their modules are imported on first use, so ``import alife.gpmap``
stays light (NumPy only).

Example
-------
>>> import numpy as np
>>> from alife.gpmap import make, MAPS
>>> {"hnca", "rna", "toy", "table"} <= set(MAPS)    # "net" too, once alife.bridge.netmap is imported
True
>>> toy = make("toy", name="threshold", L=4, threshold=2)
>>> toy.phenotypes(np.array([[0, 0, 0, 1], [1, 1, 0, 0]]))
array([0, 1])
>>> toy.space.neighbours([[0, 0, 0, 1]]).shape      # all L (K - 1) one-mutants
(1, 4, 4)
>>> toy.space.rank([[0, 0, 0, 1]])
array([1])
"""
from .base import (ALPHABETS, ENUMERABLE_LIMIT, CachedMap, ContinuousSpace, DiscreteSpace, GPMap,
                   as_cached, label_id)
from .registry import MAPS, make, register
from .._lazy import lazy_exports

#: Map classes and factories served lazily from their modules (PEP 562).
_LAZY = {
    "HNCAMap": "hnca",
    "RNAMap": "rna", "TableRNAMap": "rna", "rna_map": "rna",
    "TableMap": "table", "table_map": "table",
    "ThresholdMap": "toy", "CountMap": "toy", "ParityMap": "toy", "TableLookupMap": "toy",
    "SignPatternMap": "toy", "SumIntervalMap": "toy", "toy_map": "toy",
}

__all__ = ["ALPHABETS", "ENUMERABLE_LIMIT", "CachedMap", "ContinuousSpace", "DiscreteSpace",
           "GPMap", "as_cached", "label_id", "MAPS", "make", "register", *_LAZY]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
