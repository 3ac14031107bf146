"""The Numba kernels run as plain Python (``NUMBA_DISABLE_JIT=1``) and pass.

Compiled kernels are invisible to coverage and to a Python debugger.  With
``NUMBA_DISABLE_JIT=1`` every ``@njit`` function is the Python function it
decorates, so this leg re-runs a small selection of tests in a subprocess
with the JIT off: exhaustive networks on tiny spaces against naive
enumeration (every kernel of :mod:`alife.neutral._kernels`), the measures
and toy maps worked out on paper, genonets parity on its small inputs (the
graph kernels of :mod:`alife.neutral._genonets_kernels`), and ``develop``
with both rollout strategies against the NumPy reference (the kernels of
:mod:`alife.nca.kernels`).  It takes about 15 s.

To see the kernels' lines in a coverage report, run the same selection
under coverage with the JIT off::

    W="ignore:overflow encountered in scalar:RuntimeWarning:alife.nca.kernels"
    NUMBA_DISABLE_JIT=1 python -m coverage run -m pytest -p no:cacheprovider \\
        -W "$W.core" -W "$W.lanes" -W "$W.gemm" -W "$W.mapped" \\
        $(python tests/test_kernels_pure_python.py)

The ``-W`` filters, one per module of :mod:`alife.nca.kernels`: the
trajectory hash multiplies uint32 scalars, which wrap (as compiled) but make
NumPy warn when run as Python; nothing else is ignored.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The tests the pure-Python leg runs (paths relative to the repository root).
SELECTION = [
    "tests/test_neutral_build.py",
    "tests/test_toy_maps.py",
    "tests/test_neutral_measures.py",
    "tests/test_genonets.py::test_parity_with_genonets[sample]",
    "tests/test_genonets.py::test_parity_with_genonets[sample_all_components]",
    "tests/test_genonets.py::test_parity_with_genonets[tiny_edge]",
    "tests/test_genonets.py::test_parity_with_genonets[single_set]",
    "tests/test_develop.py::test_develop_matches_numpy_reference[bielawski]",
    "tests/test_develop.py::test_develop_matches_numpy_reference[flat]",
    "tests/test_develop.py::test_develop_matches_numpy_reference[L4-C4-relu-bias]",
    "tests/test_develop.py::test_develop_matches_numpy_reference[L2-C3-H8-tanh/rsig]",
]

#: The one warning the pure-Python kernels raise that compiled ones do not (see
#: above), as a ``-W`` filter for each module of the HNCA kernels (a filter's
#: module matches one module exactly).
UINT32_WRAP = [f"ignore:overflow encountered in scalar:RuntimeWarning:alife.nca.kernels.{m}"
               for m in ("core", "lanes", "gemm", "mapped")]


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1",
                    reason="already running without the JIT")
def test_selected_tests_pass_with_the_jit_off(tmp_path):
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        *[a for f in UINT32_WRAP for a in ("-W", f)], "-o", "addopts=",
                        *SELECTION],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    tail = (r.stdout + r.stderr)[-3000:]
    assert r.returncode == 0, tail
    assert " passed" in r.stdout, tail
    # the kernels really ran as Python: a compiled kernel has no __code__ of its own
    probe = subprocess.run([sys.executable, "-c",
                            "from alife.neutral import _kernels as k; "
                            "print(type(k.union_find).__name__)"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert probe.stdout.strip() == "function", probe.stdout + probe.stderr


if __name__ == "__main__":       # print the selection (for the coverage command above)
    print(" ".join(SELECTION))
