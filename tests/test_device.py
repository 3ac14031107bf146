"""``develop(..., device=...)``: the torch twin behind the public develop.

Invariants protected:

* on the parity specs (every preset, 1-4 levels and channels, hidden layers,
  every activation, both updates, every wiring) the device route gives the
  Numba path's phenotypes exactly and its states to float32 rounding, and
  the same per-step scores and damaged rollouts; states come back as the
  CPU path's NumPy arrays (shapes, dtype, contiguity);
* batching does not change results; early stopping of dead batches keeps
  the final state and the later scored steps;
* plumbing that a GPU would exercise, checked without one: every tensor of
  a step, a damage and a score stays on the batch's device (run on torch's
  ``meta`` device, where mixing devices fails as on CUDA), TF32 is off and
  cuDNN deterministic during a CUDA rollout, and the batch size follows the
  device's free memory;
* what the route cannot do is refused in one line naming the fix: CUDA asked
  where torch sees none, unknown devices, fingerprints, a Numba ``method``,
  and a missing torch (the extra to install).
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from alife.nca import HNCASpec, develop  # noqa: E402
from alife.nca import device as D  # noqa: E402
from alife.nca.torch_twin import TorchHNCA, develop_torch  # noqa: E402
from test_develop import PARITY_SPECS  # noqa: E402
from test_packaging import NO_TORCH, _env  # noqa: E402
from test_wiring import WIRING_SPECS  # noqa: E402


def _gap(a, b):
    """Max abs difference, relative to magnitude where states exceed 1."""
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)), initial=0.0))


# ---------------------------------------------------------------- parity
@pytest.mark.parametrize("name", PARITY_SPECS)
def test_device_cpu_gives_the_kernels_phenotypes(name):
    """Phenotypes exactly and states to 1e-5, from the seed (8-20 genomes; the
    twin's own parity with the kernels is tested on more in test_develop, and
    benchmarks/device_parity.py counts on thousands)."""
    spec = PARITY_SPECS[name]
    P = 8 if spec.hidden >= 32 or spec.base_size >= 64 else 20
    G = spec.random_genomes(P, seed=11)
    ref = develop(spec, G)
    out = develop(spec, G, device="cpu")
    np.testing.assert_array_equal(out.phenotypes, ref.phenotypes)
    for lvl in range(spec.levels):
        got = out.states[lvl]
        assert got.dtype == np.float32 and got.flags.c_contiguous
        assert got.shape == ref.states[lvl].shape
        assert _gap(got, ref.states[lvl]) <= 1e-5, lvl
    assert out.steps_run.dtype == np.int64 and out.steps_run.shape == (P,)
    assert out.fingerprints is None and out.step_wrong is None


@pytest.mark.parametrize("name", WIRING_SPECS)
def test_device_cpu_gives_the_kernels_phenotypes_for_every_wiring(name):
    spec = WIRING_SPECS[name]
    G = spec.random_genomes(16 if spec.base_size < 64 else 8, seed=12)
    ref = develop(spec, G)
    out = develop(spec, G, device=torch.device("cpu"))
    np.testing.assert_array_equal(out.phenotypes, ref.phenotypes)
    # the route is the twin itself
    t_states, _ = develop_torch(spec, G[:4])
    for got, tw in zip(out.states, t_states):
        assert _gap(got[:4], tw) <= 1e-6


@pytest.mark.parametrize("spec", [HNCASpec.preset("bielawski", base_size=16, steps=40),
                                  PARITY_SPECS["L2-C3-H8-tanh/rsig"],
                                  WIRING_SPECS["random_maps"].replace(base_size=16)],
                         ids=["bielawski", "mlp", "random_maps"])
def test_scoring_and_damage_match_the_kernels(spec):
    G = spec.random_genomes(30, seed=5)
    n = spec.sizes[spec.output_level]
    target = np.zeros((n, n), bool)
    target[n // 4: 3 * n // 4, n // 4: 3 * n // 4] = True
    T, N = spec.steps, spec.base_size
    kw = dict(target=target, score_steps=[0, 1, T // 2, T - 1, T],
              damage=(T // 2, (1, 2, N // 2, N // 3)))
    ref = develop(spec, G, **kw)
    out = develop(spec, G, device="cpu", **kw)
    assert out.step_wrong.dtype == np.int64 and out.step_wrong.shape == (30, 5)
    np.testing.assert_array_equal(out.step_wrong, ref.step_wrong)
    np.testing.assert_array_equal(out.step_on, ref.step_on)
    np.testing.assert_array_equal(out.phenotypes, ref.phenotypes)
    for lvl in range(spec.levels):
        assert _gap(out.states[lvl], ref.states[lvl]) <= 1e-5
    # damage at the last step: the final states are the damaged ones
    last = develop(spec, G, device="cpu", damage=(T, (0, 0, N, N)))
    assert all(not s.any() for s in last.states)


def test_given_states_and_a_single_genome_come_back_like_the_cpu_path():
    spec = PARITY_SPECS["L4-C4-relu-bias"]
    rng = np.random.default_rng(3)
    G = spec.random_genomes(5, seed=rng)
    states = [rng.uniform(-1, 1, (5, n, n, spec.channels)).astype(np.float32)
              for n in spec.sizes]
    before = [s.copy() for s in states]
    ref = develop(spec, G, states=states, steps=3)
    out = develop(spec, G, states=states, steps=3, device="cpu")
    for a, b, s, s0 in zip(out.states, ref.states, states, before):
        assert a.shape == b.shape and _gap(a, b) <= 1e-5
        np.testing.assert_array_equal(s, s0)          # inputs untouched
    one = develop(spec, G[0], device="cpu", steps=3)
    assert [s.shape for s in one.states] == [(1,) + s.shape[1:] for s in ref.states]
    empty = develop(spec, G[:0], device="cpu", target=np.zeros((16, 16), bool),
                    score_steps=[1, 2])
    assert [s.shape for s in empty.states] == [(0,) + s.shape[1:] for s in ref.states]
    assert empty.steps_run.shape == (0,) and empty.step_wrong.shape == (0, 2)


def test_batches_do_not_change_results(monkeypatch):
    spec = PARITY_SPECS["L3-C2-H6-relu/identity-residual"]
    rng = np.random.default_rng(8)
    G = spec.random_genomes(11, seed=rng)
    states = [rng.uniform(-1, 1, (11, n, n, spec.channels)).astype(np.float32)
              for n in spec.sizes]
    whole = [develop(spec, G, device="cpu"), develop(spec, G, states=states, device="cpu")]
    monkeypatch.setattr(D, "_batch_for", lambda spec, dev: 3)
    split = [develop(spec, G, device="cpu"), develop(spec, G, states=states, device="cpu")]
    for w, s in zip(whole, split):
        for a, b in zip(w.states, s.states):
            np.testing.assert_allclose(a, b, atol=1e-6)
        np.testing.assert_array_equal(w.phenotypes, s.phenotypes)


def test_a_dead_batch_stops_and_keeps_its_scores():
    spec = HNCASpec.preset("bielawski", base_size=16, steps=30)
    G = np.zeros((4, spec.n_genes), np.float32)      # every cell dies at step 1
    n = spec.sizes[spec.output_level]
    kw = dict(target=np.ones((n, n), bool), score_steps=[0, 1, 20, 30])
    out = develop(spec, G, device="cpu", **kw)
    ref = develop(spec, G, **kw)
    assert (out.steps_run == D.STOP_EVERY).all()
    np.testing.assert_array_equal(out.step_wrong, ref.step_wrong)
    np.testing.assert_array_equal(out.step_on, ref.step_on)
    assert all(not s.any() for s in out.states)
    alive = develop(spec, spec.random_genomes(64, seed=1), device="cpu")
    assert alive.steps_run.max() == 30


# ------------------------------------------------ plumbing without a GPU
@pytest.mark.parametrize("spec", [PARITY_SPECS["neural"].replace(base_size=8),
                                  PARITY_SPECS["L4-C4-relu-bias"],
                                  WIRING_SPECS["random_below"].replace(base_size=16),
                                  WIRING_SPECS["multichannel-gecco2024-below_only"]],
                         ids=["neural", "4levels", "random_below", "gecco2024"])
def test_every_tensor_of_a_step_stays_on_the_batch_device(spec):
    """On torch's meta device a CPU tensor mixed into the step fails, as it
    would on CUDA; the step, the damage and the score must all run there."""
    meta = torch.device("meta")
    with pytest.raises((RuntimeError, NotImplementedError)):
        torch.ones(2, device=meta) + torch.ones(2)          # the check works
    G = spec.random_genomes(3, seed=0)
    model = TorchHNCA(spec)
    with torch.no_grad():
        k = D._kernels_on(model, G, meta)
        for kl in k:
            for v in kl.values():
                for x in (v if isinstance(v, list) else [v]):
                    assert x is None or x.device == meta
        st = D._to_cells(spec, spec.initial_states(), 0, 3, meta)
        st = model._step(k, model._step(k, st))
        D._damage(spec, st, np.array([1, 0, 0, 2, 3]))
        n = spec.sizes[spec.output_level]
        wrong, on = D._score(spec, st, torch.zeros((n, n, 1), dtype=torch.bool, device=meta),
                             spec.threshold)
    assert all(s.device == meta for s in st) and wrong.device == on.device == meta
    assert [tuple(s.shape) for s in st] == [(m, m, 3 * spec.channels) for m in spec.sizes]
    assert wrong.shape == on.shape == (3,)


def test_cuda_rollouts_run_without_tf32_and_deterministically():
    b = torch.backends
    before = (b.cudnn.allow_tf32, b.cuda.matmul.allow_tf32, b.cudnn.deterministic,
              b.cudnn.benchmark)
    with D._exact_float32(torch.device("cuda")):
        assert not b.cudnn.allow_tf32 and not b.cuda.matmul.allow_tf32
        assert b.cudnn.deterministic and not b.cudnn.benchmark
    assert (b.cudnn.allow_tf32, b.cuda.matmul.allow_tf32, b.cudnn.deterministic,
            b.cudnn.benchmark) == before
    with D._exact_float32(torch.device("cpu")):
        assert b.cudnn.allow_tf32 == before[0]


def test_batch_size_follows_the_free_memory():
    spec = HNCASpec.preset("bielawski")
    per = D.bytes_per_genome(spec)
    # 5,916 padded cells x (4 C + 3 O) floats, plus the genome
    assert per == 4 * (66 ** 2 + 34 ** 2 + 18 ** 2 + 10 ** 2) * 7 + 4 * spec.n_genes
    assert D.batch_size(spec, 1 << 30) == (1 << 29) // per
    assert D.batch_size(spec, 2 << 30) >= 2 * D.batch_size(spec, 1 << 30)
    assert D.batch_size(spec, 141 << 30) == D.MAX_BATCH              # an H200
    assert D.batch_size(spec, 0) == 1
    wide = HNCASpec(levels=2, base_size=256, channels=4, hidden=64)
    assert D.batch_size(wide, 1 << 50) == (2 ** 31 - 1) // (258 ** 2 * 64)
    links = WIRING_SPECS["random_maps"]
    assert D.bytes_per_genome(links) > D.bytes_per_genome(links.replace(wiring="hierarchy"))
    with pytest.raises(ValueError, match="budget"):
        D.batch_size(spec, 1 << 30, budget=0)


def test_the_cpu_batch_is_the_twins_cache_sized_chunk():
    spec = HNCASpec.preset("neural")
    assert D._batch_for(spec, torch.device("cpu")) == TorchHNCA(spec).chunk


# ------------------------------------------------------------- refusals
def test_cuda_without_cuda_is_one_line_naming_the_fix():
    with pytest.raises(ValueError) as e:
        D.resolve_device("cuda", cuda_available=False)
    msg = str(e.value)
    assert "\n" not in msg and "torch.cuda.is_available() is False" in msg
    assert "device='cpu'" in msg and "CUDA build of torch" in msg
    if not torch.cuda.is_available():
        spec = HNCASpec.preset("bielawski", base_size=8)
        with pytest.raises(ValueError, match="is_available"):
            develop(spec, spec.random_genomes(2), device="cuda:0")
    assert D.resolve_device("cpu") == torch.device("cpu")
    assert D.resolve_device("cuda:1", cuda_available=True) == torch.device("cuda", 1)


@pytest.mark.parametrize("device, match", [("tpu", "not a torch device name"),
                                           ("meta", "only 'cpu' and 'cuda'"),
                                           (3, "device must be a torch device name")])
def test_unknown_devices_are_refused(device, match):
    spec = HNCASpec.preset("bielawski", base_size=8)
    with pytest.raises(ValueError, match=match) as e:
        develop(spec, spec.random_genomes(2), device=device)
    assert "\n" not in str(e.value)


def test_what_only_the_kernels_do_is_refused_in_one_line():
    spec = HNCASpec.preset("bielawski", base_size=8)
    G = spec.random_genomes(2)
    with pytest.raises(ValueError, match="fingerprint=True needs the Numba kernels"):
        develop(spec, G, device="cpu", fingerprint=True)
    with pytest.raises(ValueError, match="leave method='auto'"):
        develop(spec, G, device="cpu", method="lanes")


def test_without_torch_the_error_names_the_extra(tmp_path):
    script = NO_TORCH + textwrap.dedent("""
        from alife.nca import HNCASpec, develop
        spec = HNCASpec.preset("bielawski", base_size=8)
        try:
            develop(spec, spec.random_genomes(2), device="cpu")
        except ImportError as e:
            print("ERR", e)
    """)
    r = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=_env(),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERR ")
    assert "pip install 'alife-neutral[torch]'" in lines[0] and "device=None" in lines[0]


# ------------------------------------------------------------ the evaluator
@pytest.mark.parametrize("mode, params", [("final", {}), ("homeostasis", {"homeostasis_k": 4}),
                                          ("damage", {"damage_step": 9,
                                                      "damage_rect": (2, 3, 6, 5)})])
def test_task_evaluate_on_a_device_scores_as_the_kernels(mode, params):
    from alife.tasks import Task
    spec = HNCASpec.preset("bielawski", base_size=16, steps=24)
    G = spec.random_genomes(40, seed=9)
    task = Task.from_name("square", 16, mode, **params)
    ref = task.evaluate(spec, G)
    ev = task.evaluate(spec, G, device="cpu", chunk=16)
    np.testing.assert_array_equal(ev.loss, ref.loss)
    np.testing.assert_array_equal(ev.ids, ref.ids)
    np.testing.assert_array_equal(ev.phenotypes, ref.phenotypes)


def test_the_evaluator_keeps_a_device_in_this_process():
    from alife.tasks import evaluate

    class Elsewhere:            # what evaluate reads of an executor before using it
        in_process = False

    spec = HNCASpec.preset("bielawski", base_size=8)
    with pytest.raises(ValueError, match="leave executor=None"):
        evaluate(spec, spec.random_genomes(2), executor=Elsewhere(), device="cpu")
