"""Development on a torch device: what ``develop(..., device=...)`` runs.

``develop(spec, genomes)`` runs the Numba kernels on this machine's CPU
cores.  ``develop(spec, genomes, device="cuda")`` (or ``"cuda:1"``, or
``"cpu"``) runs the PyTorch twin of the same model
(:mod:`alife.nca.torch_twin`) on that torch device instead, and returns the
same :class:`~alife.nca.develop.Development`: NumPy float32 states of the
same shapes, ``steps_run``, and with ``target=``/``score_steps=`` the
per-step counts, with ``damage=`` the damaged rollout.  Only trajectory
fingerprints (``fingerprint=True``) stay with the Numba kernels.

Both compute in float32, but they add a cell's inputs in different orders,
so states agree to float32 rounding, not bit for bit.  Phenotypes agree
except where a pre-activation lies within rounding of a step of the
activation (the rectified sigmoid jumps from 0 to 1/2 at 0): there the two
orders may land on either side.  On CUDA, TF32 tensor-core arithmetic
(10-bit mantissas) would break that agreement, so it is switched off for
the rollout, and cuDNN is asked for deterministic algorithms, so that a
device gives the same results on every call.

The population is developed in batches: on a CPU, as many genomes as keep
a level's working set in cache (the twin's own chunk); on a GPU, as many as
fit in half of the device's free memory (:func:`batch_size`), up to
:data:`MAX_BATCH`.  A batch stops early when every state of all its genomes
is zero and zero is a fixed point of the rule (checked every
:data:`STOP_EVERY` steps); ``steps_run`` then counts the steps computed.

torch is imported only when a device is asked for; without it the call
fails with one line naming the extra to install.
"""
from __future__ import annotations

import contextlib

import numpy as np

from .spec import HNCASpec

__all__ = ["resolve_device", "batch_size", "bytes_per_genome", "MAX_BATCH"]

#: Most genomes developed together on a GPU (a cap on :func:`batch_size`).
MAX_BATCH = 1 << 16

#: Steps between two checks for a batch whose states are all zero.
STOP_EVERY = 8

_INSTALL = ("develop(device=...) runs the torch twin, which needs torch: "
            "pip install 'alife-neutral[torch]' (or leave device=None for the Numba kernels)")


def _torch():
    """``import torch``, or one line naming the extra to install."""
    try:
        import torch
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] != "torch":
            raise
        raise ImportError(_INSTALL) from None
    return torch


def resolve_device(device, cuda_available: bool | None = None):
    """The torch device that ``develop(..., device=device)`` runs on.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (or the same as a
        ``torch.device``).
    cuda_available : bool, optional
        Whether CUDA can be used; default ``torch.cuda.is_available()`` (and
        then a device index must be below ``torch.cuda.device_count()``).

    Returns
    -------
    torch.device

    Raises
    ------
    ImportError
        One line, when torch is not installed (naming the extra).
    ValueError
        One line, for a name that is not a supported device, or a CUDA device
        on a machine (or a torch build) without CUDA.
    """
    torch = _torch()
    if not isinstance(device, (str, torch.device)):
        raise ValueError(f"device must be a torch device name such as 'cpu' or 'cuda' (or None "
                         f"for the Numba kernels), got {type(device).__name__}")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"device {device!r} is not a torch device name; use 'cpu', 'cuda' or "
                         f"'cuda:N' (or None for the Numba kernels)") from None
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device {device!r}: only 'cpu' and 'cuda' devices are supported "
                         f"(or None for the Numba kernels)")
    if dev.type == "cuda":
        real = cuda_available is None
        if not (torch.cuda.is_available() if real else cuda_available):
            raise ValueError(f"device {device!r} asked for, but torch.cuda.is_available() is "
                             f"False (no CUDA GPU, or a CPU-only torch build); use device='cpu' "
                             f"or None, or install a CUDA build of torch")
        if real and dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r}: this machine has "
                             f"{torch.cuda.device_count()} CUDA device(s); use 'cuda:0' .. "
                             f"'cuda:{torch.cuda.device_count() - 1}'")
    return dev


def bytes_per_genome(spec: HNCASpec) -> int:
    """Device memory one genome takes during a twin rollout (an upper estimate).

    Per level, float32: the state, the next state and its circularly padded
    copy (C values per padded cell each), the first layer's output and the
    down and up terms added to it (O values each, O = hidden units or C),
    the second layer's output (C); random wirings add a flat copy of every
    level (C) and int64 link positions (5 slots per cell).

    Returns
    -------
    int
        Bytes.
    """
    C = spec.channels
    O = spec.hidden if spec.hidden > 0 else C
    padded = sum((n + 2) ** 2 for n in spec.sizes)
    per = 4 * padded * (4 * C + 3 * O)
    if spec.has_genome_links:
        per += 4 * padded * C + 8 * 5 * sum(n * n for n in spec.sizes)
    return per + 4 * spec.n_genes


def batch_size(spec: HNCASpec, free_bytes: int, budget: float = 0.5) -> int:
    """Genomes developed together on a GPU with ``free_bytes`` of free memory.

    ``budget * free_bytes`` over :func:`bytes_per_genome`, capped at
    :data:`MAX_BATCH` and so that no tensor of the batch has 2**31 elements
    or more (32-bit indexing); at least 1.

    Parameters
    ----------
    spec : HNCASpec
    free_bytes : int
        Free device memory, e.g. ``torch.cuda.mem_get_info(device)[0]``.
    budget : float
        Share of the free memory a batch may take, in (0, 1].

    Returns
    -------
    int
    """
    if not 0 < budget <= 1:
        raise ValueError(f"budget must be in (0, 1], got {budget!r}")
    if free_bytes < 0:
        raise ValueError(f"free_bytes must be >= 0, got {free_bytes!r}")
    C = spec.channels
    widest = (spec.base_size + 2) ** 2 * max(C, spec.hidden)
    n = min(int(budget * free_bytes) // bytes_per_genome(spec), MAX_BATCH,
            (2 ** 31 - 1) // widest)
    return max(1, n)


def _batch_for(spec: HNCASpec, dev) -> int:
    """Genomes per batch on ``dev``: the twin's cache-sized chunk on a CPU,
    :func:`batch_size` of the free memory on a GPU."""
    if dev.type == "cuda":
        torch = _torch()
        return batch_size(spec, torch.cuda.mem_get_info(dev)[0])
    from .torch_twin import TorchHNCA
    return TorchHNCA(spec).chunk


@contextlib.contextmanager
def _exact_float32(dev):
    """On CUDA: no TF32, deterministic cuDNN algorithms (restored after)."""
    if dev.type != "cuda":
        yield
        return
    torch = _torch()
    b = torch.backends
    saved = (b.cudnn.allow_tf32, b.cuda.matmul.allow_tf32, b.cudnn.deterministic,
             b.cudnn.benchmark)
    b.cudnn.allow_tf32 = b.cuda.matmul.allow_tf32 = False
    b.cudnn.deterministic, b.cudnn.benchmark = True, False
    try:
        yield
    finally:
        (b.cudnn.allow_tf32, b.cuda.matmul.allow_tf32, b.cudnn.deterministic,
         b.cudnn.benchmark) = saved


def _kernels_on(model, G: np.ndarray, dev) -> list[dict]:
    """The twin's per-level kernels of genomes ``G`` (P, n_genes), built on the
    CPU (random wirings: with their link positions) and moved to ``dev``."""
    torch = _torch()
    ks = model.kernels(torch.from_numpy(G))
    for lvl, k in enumerate(ks):
        if k["links"] is not None:
            model._link_index(k, lvl)          # cached in k["link_index"]

    def move(v):
        if isinstance(v, list):
            return [None if x is None else x.to(dev) for x in v]
        return None if v is None else v.to(dev)

    return [{name: move(v) for name, v in k.items()} for k in ks]


def _to_cells(spec: HNCASpec, init: list[np.ndarray], a: int, b: int, dev) -> list:
    """Initial states of genomes a:b as the twin's (N, N, (b-a)*C) tensors on ``dev``
    (fresh copies: the rollout zeroes damage in place)."""
    torch = _torch()
    C, P = spec.channels, b - a
    out = []
    for s, n in zip(init, spec.sizes):
        s = s.reshape((-1, n, n, C))
        s = np.broadcast_to(s, (P, n, n, C)) if s.shape[0] == 1 else s[a:b]
        out.append(torch.tensor(np.ascontiguousarray(s.transpose(1, 2, 0, 3)).reshape(n, n, P * C),
                                device=dev))
    return out


def _damage(spec: HNCASpec, st: list, dmg: np.ndarray) -> None:
    """Zero the damage rectangle ``dmg`` (t, row0, col0, height, width) on every
    level, in place (at level l, every cell that contains a damaged base cell)."""
    _, r0, c0, h, w = (int(v) for v in dmg)
    for lvl, s in enumerate(st):
        s[r0 >> lvl:((r0 + h - 1) >> lvl) + 1, c0 >> lvl:((c0 + w - 1) >> lvl) + 1] = 0


def _score(spec: HNCASpec, st: list, tgt, thr: float):
    """(wrong, on) (P,) int64 tensors: cells of the output level's binarised
    channel 0 that differ from ``tgt`` (N, N, 1) bool, and that are on."""
    s = st[spec.output_level]
    n = s.shape[0]
    x = s.view(n, n, -1, spec.channels)[..., 0] > thr
    return (x != tgt).sum((0, 1)), x.sum((0, 1))


def _rollout(spec: HNCASpec, model, k: list, st: list, T: int, tgt, rec: np.ndarray,
             dmg: np.ndarray, thr: float):
    """Advance one batch T steps on its device, scoring the steps ``rec`` and
    damaging after step ``dmg[0]`` as the Numba kernels do.

    Returns (final states, steps computed, wrong (R, P), on (R, P)).
    """
    torch = _torch()
    P = st[0].shape[-1] // spec.channels
    R = rec.shape[0]
    wrong = torch.zeros((R, P), dtype=torch.int64, device=st[0].device)
    on = torch.zeros_like(wrong)
    ri = 0
    can_stop = spec.zero_is_fixed_point
    t = 0
    while True:
        if ri < R and rec[ri] == t:
            wrong[ri], on[ri] = _score(spec, st, tgt, thr)
            ri += 1
        if dmg[0] == t:
            _damage(spec, st, dmg)
        if t == T:
            break
        if can_stop and t % STOP_EVERY == 0 and t > 0 and not bool(
                torch.stack([s.any() for s in st]).any()):
            # all dead: the state is fixed, every later scored step sees it
            if ri < R:
                wrong[ri:], on[ri:] = _score(spec, st, tgt, thr)
            break
        st = model._step(k, st)
        t += 1
    return st, t, wrong, on


def develop_on_device(spec: HNCASpec, G: np.ndarray, init: list[np.ndarray], T: int,
                      tgt: np.ndarray, rec: np.ndarray, dmg: np.ndarray, device):
    """The torch-twin rollout behind ``develop(..., device=device)``.

    Parameters
    ----------
    spec : HNCASpec
    G : (P, spec.n_genes) float32 validated genomes
    init : list of L float32 arrays (N_l, N_l, C), (1, N_l, N_l, C) or (P, N_l, N_l, C)
        Validated initial states.
    T : int
        Steps.
    tgt : (N_out * N_out,) int64 target, empty when not scoring
    rec : (R,) int64 increasing scored steps in 0..T
    dmg : (5,) int64 ``(t_damage, row0, col0, height, width)``, t_damage -1 for none
    device : str or torch.device

    Returns
    -------
    states : list of L C-contiguous float32 arrays (P, N_l, N_l, C)
    steps_run : (P,) int64
    wrong, on : (P, R) int64
    """
    torch = _torch()
    dev = resolve_device(device)
    from .torch_twin import TorchHNCA
    P, C, R = G.shape[0], spec.channels, rec.shape[0]
    states = [np.empty((P, n, n, C), np.float32) for n in spec.sizes]
    steps_run = np.zeros(P, np.int64)
    wrong, on = np.zeros((P, R), np.int64), np.zeros((P, R), np.int64)
    if P == 0:
        return states, steps_run, wrong, on
    n_out = spec.sizes[spec.output_level]
    tgt_t = torch.tensor(tgt.reshape(n_out, n_out, 1) != 0 if R else np.zeros((1, 1, 1), bool),
                         device=dev)
    thr = float(np.float32(spec.threshold))
    model = TorchHNCA(spec)
    batch = _batch_for(spec, dev)
    with torch.no_grad(), _exact_float32(dev):
        for a in range(0, P, batch):
            b = min(P, a + batch)
            k = _kernels_on(model, G[a:b], dev)
            st, t, w, o = _rollout(spec, model, k, _to_cells(spec, init, a, b, dev), T, tgt_t,
                                   rec, dmg, thr)
            for lvl, (s, n) in enumerate(zip(st, spec.sizes)):
                states[lvl][a:b] = s.view(n, n, b - a, C).permute(2, 0, 1, 3).cpu().numpy()
            steps_run[a:b] = t
            wrong[a:b], on[a:b] = w.T.cpu().numpy(), o.T.cpu().numpy()
    return states, steps_run, wrong, on
