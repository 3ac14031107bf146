"""Paths in weight space between two trained endpoints, for any ``nn.Module``.

A path is built from a *template* model (which supplies the architecture and
the buffers) and two endpoint parameter dicts θ_A, θ_B (name -> tensor, the
names of ``model.named_parameters()``).  Every path offers

* ``params(t)`` — all named parameters at position ``t`` in [0, 1] (a float
  or a 0-d tensor; differentiable in the bends and in ``t``);
* ``__call__(*inputs, t=...)`` — the template's forward at ``w(t)`` through
  ``torch.func.functional_call`` (buffers from the template);
* ``length(n)`` — the polygonal length of the curve sampled at ``n`` points;
* ``bends()`` — the trainable tensors (none for a straight line).

Paths (``docs/concepts/mode-connectivity.md``):

* :class:`LinearPath` — w(t) = (1−t)θ_A + tθ_B;
* :class:`BezierPath` — a Bezier curve of degree ``n_bends + 1`` with control
  points θ_A, θ_1..θ_k, θ_B (Bernstein weights); one bend gives
  (1−t)²θ_A + 2t(1−t)θ + t²θ_B;
* :class:`PolyChainPath` — piecewise linear through θ_A, θ_1..θ_k, θ_B, the
  bends at equally spaced t (or at given knots).

:func:`train_curve` fits the bends as Garipov et al. (2018) do: bends start on
the straight line, endpoints stay fixed, one t ~ U(0, 1) per minibatch, the
minibatch loss at w(t) plus (weight_decay/2)·‖w(t)‖², SGD with momentum (or
Adam) on the bends only, with Garipov's learning-rate schedule.

:class:`AutoNEB` relaxes a chain of pivots by the loss gradient's component
orthogonal to the path plus spring forces along it, and inserts new pivots
where the loss between neighbouring pivots rises above the chain (Draxler et
al. 2018); its result is a :class:`PolyChainPath` through the final pivots.

:func:`recompute_bn` re-estimates batch-norm running statistics at a path
point (Garipov et al. do this before evaluating every point of a curve).
"""
from __future__ import annotations

import math
from typing import Callable, Iterable

import torch
from torch import nn
from torch.func import functional_call

from .train import lr_factor, make_optimizer

__all__ = ["Path", "LinearPath", "BezierPath", "PolyChainPath", "train_curve", "AutoNEB",
           "recompute_bn", "has_batchnorm", "model_params", "iterate_batches"]


def model_params(model: nn.Module) -> dict:
    """A detached copy of every named parameter of ``model``."""
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def _as_t(t):
    if isinstance(t, torch.Tensor):
        return t
    t = float(t)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must lie in [0, 1], got {t}")
    return t


class Path:
    """Base class: a curve w(t), t in [0, 1], through a template model's parameter space.

    Parameters
    ----------
    model : nn.Module, the template (architecture and buffers)
    theta_a, theta_b : dict name -> tensor, the endpoints; must hold exactly
        the names and shapes of ``model.named_parameters()``
    """

    def __init__(self, model: nn.Module, theta_a: dict, theta_b: dict):
        self.model = model
        names = [n for n, _ in model.named_parameters()]
        shapes = {n: tuple(p.shape) for n, p in model.named_parameters()}
        for which, theta in (("theta_a", theta_a), ("theta_b", theta_b)):
            if set(theta) != set(names):
                miss = sorted(set(names) - set(theta))[:3]
                extra = sorted(set(theta) - set(names))[:3]
                raise ValueError(f"{which} does not match the model's parameters: missing {miss}, "
                                 f"unexpected {extra}")
            for n in names:
                if tuple(theta[n].shape) != shapes[n]:
                    raise ValueError(f"{which}[{n!r}] has shape {tuple(theta[n].shape)}, the "
                                     f"model's is {shapes[n]}")
        self.names = names
        self.theta_a = {n: torch.as_tensor(theta_a[n]).detach().clone().float() for n in names}
        self.theta_b = {n: torch.as_tensor(theta_b[n]).detach().clone().float() for n in names}

    # -- interface
    def params(self, t) -> dict:
        raise NotImplementedError

    def bends(self) -> list[torch.Tensor]:
        """The trainable tensors of the path (leaf tensors that require grad)."""
        return []

    def __call__(self, *inputs, t=0.0):
        return functional_call(self.model, self.params(t), inputs)

    @torch.no_grad()
    def length(self, n: int = 201) -> float:
        """Length of the curve: sum of ‖w(t_{i+1}) − w(t_i)‖ over ``n`` equally spaced t."""
        ts = torch.linspace(0.0, 1.0, int(n)).tolist()
        prev = _flat(self.params(ts[0]), self.names)
        total = 0.0
        for t in ts[1:]:
            cur = _flat(self.params(t), self.names)
            total += float(torch.linalg.vector_norm(cur - prev))
            prev = cur
        return total

    def distance(self) -> float:
        """‖θ_B − θ_A‖, the straight line's length."""
        return float(torch.linalg.vector_norm(_flat(self.theta_b, self.names)
                                              - _flat(self.theta_a, self.names)))


def _flat(params: dict, names) -> torch.Tensor:
    return torch.cat([params[n].reshape(-1) for n in names])


class LinearPath(Path):
    """The straight line w(t) = (1−t)θ_A + tθ_B."""

    def params(self, t) -> dict:
        t = _as_t(t)
        return {n: (1 - t) * self.theta_a[n] + t * self.theta_b[n] for n in self.names}


class _BendPath(Path):
    """A path with ``n_bends`` interior control points, initialised on the straight line
    at t_k = k / (n_bends + 1) (Garipov's linear initialisation), or given."""

    def __init__(self, model, theta_a, theta_b, n_bends: int = 1, bends: list | None = None):
        super().__init__(model, theta_a, theta_b)
        n_bends = int(n_bends)
        if n_bends < 1:
            raise ValueError(f"n_bends must be >= 1, got {n_bends}")
        self.n_bends = n_bends
        # control[n]: (n_bends, *shape) leaf tensor, the bends of parameter n
        self.control = {}
        for n in self.names:
            if bends is None:
                a, b = self.theta_a[n], self.theta_b[n]
                pts = [(1 - k / (n_bends + 1)) * a + k / (n_bends + 1) * b
                       for k in range(1, n_bends + 1)]
            else:
                if len(bends) != n_bends:
                    raise ValueError(f"got {len(bends)} bends for n_bends = {n_bends}")
                pts = [torch.as_tensor(bd[n]).detach().float() for bd in bends]
            self.control[n] = torch.stack(pts).clone().requires_grad_(True)

    def bends(self) -> list[torch.Tensor]:
        return [self.control[n] for n in self.names]

    def bend_params(self) -> list[dict]:
        """The bends as parameter dicts (detached copies)."""
        return [{n: self.control[n][k].detach().clone() for n in self.names}
                for k in range(self.n_bends)]

    def _points(self, n):
        """All control points of parameter ``n``: (n_bends + 2, *shape)."""
        return torch.cat([self.theta_a[n][None], self.control[n], self.theta_b[n][None]])


class BezierPath(_BendPath):
    """Bezier curve of degree ``n_bends + 1``: w(t) = Σ_k C(K,k) t^k (1−t)^(K−k) θ_k,
    θ_0 = θ_A, θ_K = θ_B, K = n_bends + 1."""

    def coefficients(self, t):
        K = self.n_bends + 1
        if isinstance(t, torch.Tensor):
            k = torch.arange(K + 1, dtype=t.dtype)
            binom = torch.tensor([math.comb(K, i) for i in range(K + 1)], dtype=t.dtype)
            return binom * t ** k * (1 - t) ** (K - k)
        return torch.tensor([math.comb(K, i) * t ** i * (1 - t) ** (K - i) for i in range(K + 1)])

    def params(self, t) -> dict:
        t = _as_t(t)
        c = self.coefficients(t)
        out = {}
        for n in self.names:
            pts = self._points(n)
            out[n] = torch.tensordot(c, pts, dims=([0], [0]))
        return out


class PolyChainPath(_BendPath):
    """Piecewise-linear chain θ_A → θ_1 → … → θ_k → θ_B.

    ``knots``: the t of every control point, increasing from 0 to 1
    (default equally spaced, k / (n_bends + 1)).
    """

    def __init__(self, model, theta_a, theta_b, n_bends: int = 1, bends: list | None = None,
                 knots=None):
        super().__init__(model, theta_a, theta_b, n_bends, bends)
        K = self.n_bends + 1
        if knots is None:
            knots = [k / K for k in range(K + 1)]
        knots = [float(k) for k in knots]
        if (len(knots) != K + 1 or knots[0] != 0.0 or knots[-1] != 1.0
                or any(b <= a for a, b in zip(knots[:-1], knots[1:]))):
            raise ValueError(f"knots must be {K + 1} increasing values from 0 to 1, got {knots}")
        self.knots = knots

    def coefficients(self, t):
        """Hat-function weights of the control points at ``t`` (two non-zero)."""
        kn = torch.tensor(self.knots)
        if isinstance(t, torch.Tensor):
            kn = kn.to(t.dtype)
        tv = float(t.detach()) if isinstance(t, torch.Tensor) else float(t)
        seg = min(max(int(torch.searchsorted(kn, torch.tensor(tv), right=True)) - 1, 0),
                  len(self.knots) - 2)
        lo, hi = self.knots[seg], self.knots[seg + 1]
        u = (t - lo) / (hi - lo)
        c = [0.0] * len(self.knots)
        if isinstance(t, torch.Tensor):
            c = torch.zeros(len(self.knots), dtype=t.dtype)
            c = c.index_put((torch.tensor([seg]),), (1 - u).reshape(1))
            c = c.index_put((torch.tensor([seg + 1]),), u.reshape(1))
            return c
        c[seg], c[seg + 1] = 1 - u, u
        return torch.tensor(c)

    def params(self, t) -> dict:
        t = _as_t(t)
        c = self.coefficients(t)
        return {n: torch.tensordot(c, self._points(n), dims=([0], [0])) for n in self.names}


# ----------------------------------------------------------------- batch norm
@torch.no_grad()
def recompute_bn(model: nn.Module, params: dict, batches: Iterable) -> dict:
    """Reset and re-estimate the batch-norm running statistics of ``model`` at
    the parameters ``params`` (Garipov et al.'s ``update_bn``).

    Every BN module's running mean / variance is reset, then ``batches``
    (tensors of inputs, or (x, y) tuples) are run through
    ``functional_call(model, params, x)`` in train mode with the running
    average weighted by batch size (the exact mean over all samples).  The
    template's buffers are updated in place; momenta and mode are restored.
    Returns a copy of the new buffers.  A model without BN is left untouched.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return {n: b.detach().clone() for n, b in model.named_buffers()}
    was = model.training
    momenta = {m: m.momentum for m in bns}
    model.train()
    for m in bns:
        m.reset_running_stats()
    seen = 0
    try:
        for batch in batches:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            b = x.shape[0]
            for m in bns:
                m.momentum = b / (seen + b)
            functional_call(model, params, (x,))
            seen += b
    finally:
        for m in bns:
            m.momentum = momenta[m]
        model.train(was)
    return {n: b.detach().clone() for n, b in model.named_buffers()}


# -------------------------------------------------------------- curve training
def iterate_batches(data, batch_size: int | None, generator: torch.Generator):
    """One epoch of minibatches: ``data`` is an (x, y) pair of tensors (shuffled
    with ``generator`` and cut into ``batch_size`` rows) or any re-iterable of
    batches (used as is)."""
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], torch.Tensor):
        x, y = data
        n = x.shape[0]
        bs = n if batch_size is None else int(batch_size)
        perm = torch.randperm(n, generator=generator)
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            yield x[idx], y[idx]
    else:
        yield from data


def train_curve(path: _BendPath, loss_fn: Callable, data, *, epochs: int, lr: float,
                weight_decay: float = 0.0, seed: int = 0, batch_size: int | None = 64,
                optimizer: str = "sgd", momentum: float = 0.9, schedule: bool = True) -> dict:
    """Fit the bends of ``path`` (Garipov et al. 2018).

    For every minibatch one t ~ U(0, 1) is drawn (from a generator seeded
    with ``seed``, which also shuffles) and the bends take a step on
    ``loss_fn(path.params(t), batch) + weight_decay / 2 * ‖w(t)‖²``; the
    endpoints never move.  The learning rate follows :func:`lr_factor`
    (``schedule=True``).

    Parameters
    ----------
    path : BezierPath or PolyChainPath (bends initialised on the straight line)
    loss_fn : callable(params, batch) -> scalar tensor (e.g. the mean NLL of
        ``functional_call(model, params, (x,))`` on the batch)
    data : (x, y) tensors, cut into shuffled minibatches of ``batch_size``, or
        an iterable of batches
    epochs, lr, weight_decay, seed, optimizer ("sgd" | "adam"), momentum

    Returns
    -------
    dict with ``loss``: the mean objective per epoch (list of float).
    """
    bends = path.bends()
    if not bends:
        raise ValueError("this path has no bends to train")
    g = torch.Generator().manual_seed(int(seed))
    opt = make_optimizer(bends, optimizer, lr, 0.0, momentum)
    history = []
    for epoch in range(int(epochs)):
        if schedule:
            for group in opt.param_groups:
                group["lr"] = lr * lr_factor(epoch, epochs)
        total, count = 0.0, 0
        for batch in iterate_batches(data, batch_size, g):
            t = float(torch.rand((), generator=g))
            w = path.params(t)
            loss = loss_fn(w, batch)
            if weight_decay:
                loss = loss + 0.5 * weight_decay * sum((v * v).sum() for v in w.values())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach())
            count += 1
        history.append(total / max(count, 1))
    return {"loss": history}


# --------------------------------------------------------------------- AutoNEB
class AutoNEB:
    """AutoNEB (Draxler et al. 2018): a nudged elastic band with automatic pivot insertion.

    The chain θ_A = p_0, p_1, …, p_{m+1} = θ_B starts with ``n_pivots``
    interior pivots on the straight line.  Each of ``cycles`` cycles

    1. relaxes the interior pivots for ``steps`` minibatch steps (SGD with
       momentum) along the NEB force: minus the loss gradient with its
       component along the tangent τ_i removed (Henkelman & Jónsson's
       improved tangent) plus a spring force k·(‖p_{i+1}−p_i‖ − ‖p_i−p_{i−1}‖)·τ_i;
    2. evaluates ``eval_fn`` at the pivots and at ``n_interp`` points of each
       straight segment between neighbours, and inserts a pivot at the worst
       point of every segment whose loss rises above the linear
       interpolation of its two pivots' losses by more than
       ``insert_threshold`` × (chain max − chain min) and by more than
       ``insert_min`` (at most ``max_pivots`` interior pivots).

    ``run()`` returns a :class:`PolyChainPath` through the final pivots with
    knots at their relative arc length.

    Parameters
    ----------
    model : template nn.Module
    theta_a, theta_b : endpoint parameter dicts
    loss_fn : callable(params, batch) -> scalar tensor
    data : (x, y) tensors or iterable of batches (as :func:`train_curve`)
    eval_fn : callable(params) -> float, the loss used for insertion
        (default: the mean of ``loss_fn`` over one pass of ``data``)
    """

    def __init__(self, model, theta_a, theta_b, loss_fn, data=None, *, eval_fn=None,
                 n_pivots: int = 1, cycles: int = 4, steps: int = 200, lr: float = 0.05,
                 momentum: float = 0.5, spring: float = 1.0, weight_decay: float = 0.0,
                 batch_size: int | None = 64, n_interp: int = 9, insert_threshold: float = 0.1,
                 insert_min: float = 1e-3, max_pivots: int = 8, seed: int = 0):
        self.line = LinearPath(model, theta_a, theta_b)
        self.model = model
        self.names = self.line.names
        self.shapes = {n: self.line.theta_a[n].shape for n in self.names}
        self.loss_fn = loss_fn
        self.data = data
        self.eval_fn = eval_fn
        self.n_pivots, self.cycles, self.steps = int(n_pivots), int(cycles), int(steps)
        self.lr, self.momentum, self.spring = float(lr), float(momentum), float(spring)
        self.weight_decay = float(weight_decay)
        self.batch_size = batch_size
        self.n_interp, self.insert_threshold = int(n_interp), float(insert_threshold)
        self.insert_min, self.max_pivots = float(insert_min), int(max_pivots)
        self.seed = int(seed)
        if data is None and eval_fn is None:
            raise ValueError("AutoNEB needs data (for the gradient) and/or an eval_fn")
        a = _flat(self.line.theta_a, self.names)
        b = _flat(self.line.theta_b, self.names)
        m = self.n_pivots
        self.chain = torch.stack([(1 - i / (m + 1)) * a + i / (m + 1) * b for i in range(m + 2)])
        self.history: list[dict] = []

    def _unflat(self, v: torch.Tensor) -> dict:
        out, i = {}, 0
        for n in self.names:
            k = int(torch.Size(self.shapes[n]).numel())
            out[n] = v[i:i + k].reshape(self.shapes[n])
            i += k
        return out

    def _eval(self, v: torch.Tensor) -> float:
        params = self._unflat(v)
        if self.eval_fn is not None:
            return float(self.eval_fn(params))
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            vals = [float(self.loss_fn(params, b))
                    for b in iterate_batches(self.data, None, g)]
        return sum(vals) / len(vals)

    @staticmethod
    def _tangent(prev, cur, nxt, l_prev, l_cur, l_next):
        """Henkelman & Jónsson (2000)'s improved tangent at a pivot."""
        t_prev = cur - prev
        t_next = nxt - cur
        if (l_next > l_cur > l_prev):
            tau = t_next
        elif (l_next < l_cur < l_prev):
            tau = t_prev
        else:
            dmax = max(abs(l_next - l_cur), abs(l_prev - l_cur))
            dmin = min(abs(l_next - l_cur), abs(l_prev - l_cur))
            if l_next > l_prev:
                tau = t_next * dmax + t_prev * dmin
            else:
                tau = t_next * dmin + t_prev * dmax
        nrm = torch.linalg.vector_norm(tau)
        if float(nrm) == 0.0:
            tau = nxt - prev
            nrm = torch.linalg.vector_norm(tau)
        return tau / nrm

    def relax(self, g: torch.Generator) -> None:
        """One NEB relaxation of the interior pivots (``steps`` minibatch steps)."""
        if self.data is None:
            raise ValueError("relaxing the chain needs data")
        m = self.chain.shape[0]
        vel = torch.zeros_like(self.chain)
        step = 0
        while step < self.steps:
            for batch in iterate_batches(self.data, self.batch_size, g):
                if step >= self.steps:
                    break
                lr = self.lr * lr_factor(step, self.steps)
                losses = [0.0] * m
                grads = torch.zeros_like(self.chain)
                for i in range(m):
                    v = self.chain[i].clone().requires_grad_(i not in (0, m - 1))
                    loss = self.loss_fn(self._unflat(v), batch)
                    if self.weight_decay:
                        loss = loss + 0.5 * self.weight_decay * (v * v).sum()
                    losses[i] = float(loss.detach())
                    if 0 < i < m - 1:
                        grads[i] = torch.autograd.grad(loss, v)[0]
                force = torch.zeros_like(self.chain)
                for i in range(1, m - 1):
                    p, c, n = self.chain[i - 1], self.chain[i], self.chain[i + 1]
                    tau = self._tangent(p, c, n, losses[i - 1], losses[i], losses[i + 1])
                    gi = grads[i]
                    g_perp = gi - (gi @ tau) * tau
                    spring = self.spring * (torch.linalg.vector_norm(n - c)
                                            - torch.linalg.vector_norm(c - p))
                    # descent direction = -g_perp + spring * tau; as a "gradient":
                    force[i] = g_perp - spring * tau
                vel = self.momentum * vel + force
                self.chain[1:-1] -= lr * vel[1:-1]
                step += 1

    @torch.no_grad()
    def insert(self) -> int:
        """Insert pivots where the loss between neighbours rises above the chain;
        returns how many were inserted."""
        m = self.chain.shape[0]
        piv = [self._eval(self.chain[i]) for i in range(m)]
        lo, hi = min(piv), max(piv)
        alphas = [(j + 1) / (self.n_interp + 1) for j in range(self.n_interp)]
        candidates = []
        for i in range(m - 1):
            best, best_a = -math.inf, None
            for a in alphas:
                v = (1 - a) * self.chain[i] + a * self.chain[i + 1]
                score = self._eval(v) - ((1 - a) * piv[i] + a * piv[i + 1])
                if score > best:
                    best, best_a = score, a
            if best > self.insert_min and best > self.insert_threshold * (hi - lo):
                candidates.append((best, i, best_a))
        room = self.max_pivots - (m - 2)
        chosen = sorted(candidates, reverse=True)[:max(room, 0)]
        self.history.append({"pivot_losses": piv, "inserted": len(chosen)})
        if not chosen:
            return 0
        where = {i: a for _, i, a in chosen}
        rows = [self.chain[0]]
        for i in range(m - 1):
            if i in where:
                a = where[i]
                rows.append((1 - a) * self.chain[i] + a * self.chain[i + 1])
            rows.append(self.chain[i + 1])
        self.chain = torch.stack(rows)
        return len(chosen)

    def run(self) -> PolyChainPath:
        """Relax and insert for ``cycles`` cycles; the PolyChainPath through the pivots."""
        g = torch.Generator().manual_seed(self.seed)
        for _ in range(self.cycles):
            if self.data is not None and self.steps > 0:
                self.relax(g)
            self.insert()
        if self.data is not None and self.steps > 0:
            self.relax(g)
        return self.path()

    def path(self) -> PolyChainPath:
        """The PolyChainPath through the current pivots (knots at relative arc length)."""
        seg = torch.linalg.vector_norm(self.chain[1:] - self.chain[:-1], dim=1)
        cum = torch.cat([torch.zeros(1), torch.cumsum(seg, 0)])
        knots = (cum / cum[-1]).tolist() if float(cum[-1]) > 0 else None
        if knots is not None:
            knots[0], knots[-1] = 0.0, 1.0
        bends = [self._unflat(self.chain[i]) for i in range(1, self.chain.shape[0] - 1)]
        return PolyChainPath(self.model, self.line.theta_a, self.line.theta_b,
                             n_bends=len(bends), bends=bends, knots=knots)
