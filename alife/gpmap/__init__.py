"""Genotype–phenotype maps behind one interface (see :mod:`alife.gpmap.base`).

Maps: :class:`alife.gpmap.hnca.HNCAMap` (any HNCA spec, continuous or
lattice genes), :class:`alife.gpmap.rna.RNAMap` (ViennaRNA minimum-free-energy
structures; the ``rna`` extra), the toy maps of :mod:`alife.gpmap.toy` and
:class:`alife.gpmap.table.TableMap` (a genonets input file).  They are
imported from their modules, so ``import alife.gpmap`` stays light.
"""
from .base import (ALPHABETS, ENUMERABLE_LIMIT, CachedMap, ContinuousSpace, DiscreteSpace, GPMap,
                   label_id)

__all__ = ["ALPHABETS", "ENUMERABLE_LIMIT", "CachedMap", "ContinuousSpace", "DiscreteSpace",
           "GPMap", "label_id"]
