"""Cached kernels are tied to all of alife's Numba sources (``alife._numba``).

Numba stamps a cached function with its own file only, so a kernel that
calls a helper from another module would keep a stale compiled copy of it
after the helper's module changed.  alife's own cache locators stamp every
alife kernel with one hash of all its Numba-using modules.
"""
from __future__ import annotations

import numpy as np
import pytest
from numba import njit

import alife._numba as N
from alife.nca import HNCASpec, develop
from alife.nca.lanes_batches import lanes_develop


def test_the_digest_covers_every_numba_module_and_only_those(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    kernel, plain = tmp_path / "sub" / "k.py", tmp_path / "p.py"
    kernel.write_text("from numba import njit\n")
    plain.write_text("x = 1\n")
    monkeypatch.setattr(N, "_PACKAGE", tmp_path)
    before = N._sources_digest()
    plain.write_text("x = 2\n")                     # no Numba: no effect
    assert N._sources_digest() == before
    kernel.write_text("from numba import njit\n# a helper changed\n")
    assert N._sources_digest() != before


@pytest.mark.skipif(not N.CAN_CACHE, reason="Numba cannot cache here")
def test_alife_kernels_carry_the_digest_and_other_functions_do_not():
    spec = HNCASpec.preset("bielawski", base_size=8, steps=2)
    develop(spec, spec.random_genomes(3, seed=0))
    locator = lanes_develop._cache._impl.locator
    assert type(locator).__name__.startswith("AlifeStamped")
    assert locator.get_source_stamp() == N.SOURCES_DIGEST

    @njit(cache=True)
    def outside(x):                                 # a function outside alife
        return x + 1

    assert outside(np.int64(1)) == 2
    assert not type(outside._cache._impl.locator).__name__.startswith("AlifeStamped")
    assert N._install_locators()                    # installing twice adds nothing
    from numba.core import caching
    names = [c.__name__ for c in caching.CacheImpl._locator_classes]
    assert sum(n.startswith("AlifeStamped") for n in names) == 3
