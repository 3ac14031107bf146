"""Evolution of HNCAs: mutation operators, ask/tell algorithms, mutation classes
(:mod:`.lineage`), the run-file runner (:mod:`.runner`) and one call to run
it all from Python (:mod:`.api`, with callbacks from :mod:`.callbacks`).

From a notebook::

    import alife.evolve as ev
    run = ev.run("smoke", fitness=my_loss, callbacks=[ev.CSVLogger("log.csv")])
    run.to_pandas()              # one row per generation (pandas)

Building blocks::

    import numpy as np
    from alife.evolve import get_operator
    op = get_operator("resample", n_genes=1)        # or "gaussian", "lattice"
    children, mutated = op(parents, np.random.default_rng(0))
    # children: fresh (P, D) float32; mutated: (P, D) bool == (children != parents)

    algo = make_algorithm("afpo", pop_size=100, n_newcomers=1)   # or "ga", "hillclimb"
    first = algo.init(rng, genome_size=51)
    state = algo.tell_init(first.genomes, loss_of(first.genomes))
    off = algo.ask(state, rng)
    state = algo.tell(state, off, loss_of(off.genomes), rng)
"""
from . import algorithms as _algorithms
from . import api as _api
from . import callbacks as _callbacks
from . import mutation as _mutation
from .algorithms import *  # noqa: F401,F403 - each module's __all__ is the public surface
from .api import *  # noqa: F401,F403
from .callbacks import *  # noqa: F401,F403
from .mutation import *  # noqa: F401,F403

__all__ = _mutation.__all__ + _algorithms.__all__ + _api.__all__ + _callbacks.__all__
