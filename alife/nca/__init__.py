"""Hierarchical neural cellular automata: spec, Numba rollout, phenotypes.

Public surface::

    from alife.nca import HNCASpec, develop
    spec = HNCASpec.preset("bielawski")
    out = develop(spec, spec.random_genomes(500, seed=0))
    out.phenotypes      # (500, 64, 64) bool
    out.states[l]       # (500, N_l, N_l, C) float32

The PyTorch twin lives in :mod:`alife.nca.torch_twin` (imports torch).
"""
from .spec import HNCASpec, GenomeLayout, ACTIVATIONS, UPDATE_MODES

__all__ = ["HNCASpec", "GenomeLayout", "ACTIVATIONS", "UPDATE_MODES"]
from .develop import develop, trajectory, Development

__all__ += ["develop", "trajectory", "Development"]
