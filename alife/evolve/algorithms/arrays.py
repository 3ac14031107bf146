"""A :class:`~alife.evolve.algorithms.state.PopulationState` as a flat dict of arrays and back.

:func:`to_arrays` / :func:`from_arrays` are exact inverses (no silent casts),
so a runner that stores them with ``rng.bit_generator.state`` resumes a run
bit for bit.
"""
from __future__ import annotations

import numpy as np

from .state import PopulationState

__all__ = ["STATE_KEYS", "to_arrays", "from_arrays"]

#: Keys of :func:`to_arrays` (and required by :func:`from_arrays`).
STATE_KEYS = ("genomes", "loss", "age", "uid", "generation", "next_uid")

def to_arrays(state: PopulationState) -> dict[str, np.ndarray]:
    """The state as a flat dict of numpy arrays (keys :data:`STATE_KEYS`).

    ``generation`` and ``next_uid`` become 0-d int64 arrays.  The arrays are
    writeable copies, safe to hand to h5py or :func:`numpy.savez`.
    """
    if not isinstance(state, PopulationState):
        raise TypeError(f"state must be a PopulationState, got {type(state).__name__}")
    return {
        "genomes": state.genomes.copy(),
        "loss": state.loss.copy(),
        "age": state.age.copy(),
        "uid": state.uid.copy(),
        "generation": np.asarray(state.generation, dtype=np.int64),
        "next_uid": np.asarray(state.next_uid, dtype=np.int64),
    }


def from_arrays(arrays) -> PopulationState:
    """Rebuild a state from :func:`to_arrays` output (any mapping of arrays).

    Exact inverse of :func:`to_arrays`: dtypes must match exactly (no silent
    casts, so a resumed run is bit-identical); extra keys are an error too.
    """
    keys = set(arrays.keys())
    if keys != set(STATE_KEYS):
        missing, extra = sorted(set(STATE_KEYS) - keys), sorted(keys - set(STATE_KEYS))
        raise ValueError(f"state arrays must have keys {list(STATE_KEYS)}; missing {missing}, unexpected {extra}")
    scalars = {}
    for key in ("generation", "next_uid"):
        a = np.asarray(arrays[key])
        if a.shape != () or a.dtype.kind not in "iu":
            raise ValueError(f"{key} must be a 0-d integer array, got shape {a.shape}, dtype {a.dtype}")
        scalars[key] = int(a)
    return PopulationState(
        genomes=np.asarray(arrays["genomes"]),
        loss=np.asarray(arrays["loss"]),
        age=np.asarray(arrays["age"]),
        uid=np.asarray(arrays["uid"]),
        **scalars,
    )
