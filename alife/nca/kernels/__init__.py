"""Numba kernels for population rollouts of HNCAs.

These functions see only arrays and scalars (no specs, no files); the public
wrapper :func:`alife.nca.develop.develop` validates input, packs the genomes
and unpacks the results.

Modules
-------
:mod:`.core`
    What every strategy shares: the padded state layout, constants
    (``LANES``, ``ACT_CODES``, ``NW``, ``STOP_EVERY``), activations, ghost
    borders, trajectory fingerprints, scoring and damage.
:mod:`.lanes`
    ``lanes`` (one-channel linear rules -- the Bielawski preset): one genome
    per SIMD lane, ``prange`` over batches of ``LANES`` genomes.
:mod:`.gemm`
    ``gemm`` (MLP rules or many channels -- the neural preset): one genome
    per task, the rule applied as matrix products.
:mod:`.mapped`
    ``mapped`` (one-channel linear rules whose links differ per genome --
    the random wirings of :mod:`alife.nca.wiring`): one genome per task,
    the down and up inputs gathered through per-genome link tables.

``lanes`` and ``gemm`` run the model's fixed links (``hierarchy`` wiring,
``children`` down links); other fixed wirings reach them as equivalent
genomes (see :func:`alife.nca.develop.kernel_form`).  All accumulate each
pre-activation in float32.

Every name the simulator uses is importable from this package
(``from alife.nca import kernels as K``; ``K.lanes_rollout``, ``K.LANES``).
A kernel of :mod:`.lanes`, :mod:`.gemm` or :mod:`.mapped` carries compiled
copies of the :mod:`.core` helpers it calls; :mod:`alife._numba` stamps
every cached alife kernel with a hash of all of alife's Numba sources, so
editing :mod:`.core` recompiles them too.
"""
from __future__ import annotations

from .core import (ACT_CODES, LANES, NW, STOP_EVERY, activate_inplace, aligned_empty,
                   fast_sigmoid, fast_tanh, fill_ghosts, hash_keys)
from .gemm import gemm_rollout, gemm_trajectory
# _lanes_rollout_batch: alife.nca.lanes_batches advances single batches with it
from .lanes import _lanes_rollout_batch, lanes_rollout, lanes_trajectory
from .mapped import link_tables, mapped_rollout, mapped_trajectory

__all__ = ["ACT_CODES", "LANES", "NW", "STOP_EVERY", "activate_inplace", "aligned_empty",
           "fast_sigmoid", "fast_tanh", "fill_ghosts", "gemm_rollout", "gemm_trajectory",
           "hash_keys", "lanes_rollout", "lanes_trajectory", "link_tables",
           "mapped_rollout", "mapped_trajectory"]
