# %% [markdown]
# # Your own `nn.Module`: curves, barriers, weight matching
#
# Two networks trained from different random starts reach different minima
# of the loss. Are those minima isolated, or joined by a path of low loss
# (*mode connectivity*)? This tutorial asks that of a model you write
# yourself, with the tools of `alife.bridge`:
#
# 1. train two copies of your own `nn.Module` on the digits data;
# 2. walk the straight line between them and measure its **barrier**;
# 3. train a **Bezier curve** between them and measure again;
# 4. for MLPs, remove most of the line's barrier by **weight matching**
#    (relabelling hidden units), and compare hidden representations with
#    **linear CKA**.
#
# The paths work for any `nn.Module` (they call it through
# `torch.func.functional_call`); weight matching needs the layer structure of
# `alife.bridge.MLP`. The formulas are on the
# [mode connectivity](../concepts/mode-connectivity.md) page. This needs the
# `bridge` extra: `pip install 'alife-neutral[bridge]'`.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from alife.bridge import (BezierPath, LinearPath, digits_split, hidden_activations, linear_cka,
                          model_params, permute_mlp, train_curve, train_mlp, weight_matching)
from alife.bridge.evaluate_path import evaluate_path

# The test suite sets ALIFE_TUTORIAL_QUICK=1 to run a smaller version.
QUICK = os.environ.get("ALIFE_TUTORIAL_QUICK") == "1"
EPOCHS = 8 if QUICK else 20
POINTS = 21 if QUICK else 41          # points along each path (Garipov et al. use 61)
torch.set_num_threads(1)              # small nets train fastest on one thread

split = digits_split(seed=0)          # sklearn's 1,797 8x8 digits, a fixed stratified split
x, y, xt, yt = split.tensors()
print(f"train {tuple(x.shape)}, test {tuple(xt.shape)}, {split.n_classes} classes")

# %% [markdown]
# ## 1. Your model, trained twice
#
# Any module will do; here a small residual MLP. Training is plain PyTorch:
# the seed fixes the initial weights and the order of the minibatches, so
# each run is reproducible and the two runs differ only in their seed.

# %%
class ResidualMLP(nn.Module):
    def __init__(self, width: int = 32):
        super().__init__()
        self.inp = nn.Linear(64, width)
        self.block = nn.Linear(width, width)
        self.out = nn.Linear(width, 10)

    def forward(self, x):
        h = F.relu(self.inp(x))
        h = h + F.relu(self.block(h))
        return self.out(h)


def train(seed: int, epochs: int = EPOCHS) -> ResidualMLP:
    torch.manual_seed(seed)
    model = ResidualMLP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(x), generator=order)
        for start in range(0, len(x), 64):
            idx = perm[start:start + 64]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


a, b = train(seed=1), train(seed=2)
with torch.no_grad():
    for name, m in (("A", a), ("B", b)):
        print(f"model {name}: test error {(m(xt).argmax(1) != yt).float().mean():.3f}")

# %% [markdown]
# ## 2. The straight line and its barrier
#
# `LinearPath` is \(w(t) = (1 - t)\,\theta_A + t\,\theta_B\) for every named
# parameter of the module. `evaluate_path` evaluates loss and error at
# equally spaced \(t\) and reports two barrier definitions for each profile:
# Frankle's \(\max_t L(t) - \tfrac12 (L(0) + L(1))\) (`*_barrier`) and
# Entezari's \(\max_t [L(t) - ((1 - t) L(0) + t L(1))]\)
# (`*_barrier_entezari`).

# %%
line = LinearPath(a, model_params(a), model_params(b))
on_line = evaluate_path(line, train=(x, y), test=(xt, yt), n_points=POINTS)
print(f"line: train-loss barrier {on_line['train_loss_barrier']:.3f} "
      f"(Entezari {on_line['train_loss_barrier_entezari']:.3f}), "
      f"test-error barrier {on_line['test_error_barrier']:.3f}, "
      f"worst test error {on_line['test_error_max']:.3f}")

# %% [markdown]
# ## 3. A trained curve
#
# A Bezier curve with one bend \(\theta\),
# \(w(t) = (1-t)^2 \theta_A + 2t(1-t)\,\theta + t^2 \theta_B\), starts on the
# straight line; `train_curve` then moves the bend the way Garipov et al.
# (2018) do: for each minibatch one \(t \sim U(0, 1)\), one step on the loss
# at \(w(t)\). The endpoints never move. The loss function receives the
# parameters at \(w(t)\) and a batch.

# %%
curve = BezierPath(a, model_params(a), model_params(b), n_bends=1)


def loss_at(params, batch):
    xb, yb = batch
    return F.cross_entropy(functional_call(a, params, (xb,)), yb)


train_curve(curve, loss_at, (x, y), epochs=EPOCHS, lr=1e-2, optimizer="adam", seed=0)
on_curve = evaluate_path(curve, train=(x, y), test=(xt, yt), n_points=POINTS)
print(f"curve: train-loss barrier {on_curve['train_loss_barrier']:.3f}, "
      f"test-error barrier {on_curve['test_error_barrier']:.3f}, "
      f"length {on_curve['length'] / on_curve['distance']:.2f} x the straight line")
assert on_curve["train_loss_barrier"] < on_line["train_loss_barrier"] / 4

fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharex=True)
for prof, label in ((on_line, "straight line"), (on_curve, "Bezier curve")):
    axes[0].plot(prof["t"], prof["train_loss"], label=label)
    axes[1].plot(prof["t"], 100 * prof["test_error"], label=label)
axes[0].set(xlabel="t", ylabel="train loss (NLL)")
axes[1].set(xlabel="t", ylabel="test error (%)")
axes[0].legend(frameon=False)
fig.tight_layout()

# %% [markdown]
# The line climbs a ridge between the two minima; the curve goes round it.
# The barrier is a property of the *path*, not only of the endpoints.
#
# ## 4. Weight matching and CKA
#
# Much of the line's barrier comes from a symmetry: relabelling the hidden
# units of a network changes its weights but not its function, and two
# independent runs have no reason to label their units alike. Weight
# matching (Ainsworth et al. 2023) finds the relabelling of B's hidden units
# that brings its weights closest to A's. It needs the layer structure of
# `alife.bridge.MLP`, which `train_mlp` trains.

# %%
mlp_a = train_mlp((64, 64, 10), split, seed=1, epochs=EPOCHS, optimizer="adam", lr=1e-2)
mlp_b = train_mlp((64, 64, 10), split, seed=2, epochs=EPOCHS, optimizer="adam", lr=1e-2)
perms = weight_matching(mlp_a, mlp_b)          # one permutation per hidden layer
mlp_b_aligned = permute_mlp(mlp_b, perms)

with torch.no_grad():
    same = torch.allclose(mlp_b(xt), mlp_b_aligned(xt), atol=1e-5)
print(f"B relabelled computes the same function: {same}")
assert same

before = evaluate_path(LinearPath(mlp_a, model_params(mlp_a), model_params(mlp_b)),
                       train=(x, y), test=(xt, yt), n_points=POINTS)
after = evaluate_path(LinearPath(mlp_a, model_params(mlp_a), model_params(mlp_b_aligned)),
                      train=(x, y), test=(xt, yt), n_points=POINTS)
print(f"line A-B train-loss barrier: {before['train_loss_barrier']:.3f} before matching, "
      f"{after['train_loss_barrier']:.3f} after")
assert after["train_loss_barrier"] < before["train_loss_barrier"]

# %% [markdown]
# Linear CKA (Kornblith et al. 2019) compares two representations of the same
# inputs, here the hidden-layer activations on the test images:
# \(\mathrm{CKA}(X, Y) = \lVert Y^\top X \rVert_F^2 / (\lVert X^\top X \rVert_F
# \lVert Y^\top Y \rVert_F)\) on column-centred activations. It is 1 for
# representations equal up to rotation and scale, so relabelling units
# leaves it unchanged. A number needs a null: the CKA of A's activations with
# B's activations of *other* images (rows shuffled) says how high CKA gets by
# chance here.

# %%
h_a = hidden_activations(mlp_a, xt)[0]
h_b = hidden_activations(mlp_b, xt)[0]
h_b_aligned = hidden_activations(mlp_b_aligned, xt)[0]
cka = linear_cka(h_a, h_b)
null = np.array([linear_cka(h_a, h_b[torch.from_numpy(np.random.default_rng(i).permutation(len(xt)))])
                 for i in range(20)])
print(f"CKA(A, B) = {cka:.3f}; after relabelling B: {linear_cka(h_a, h_b_aligned):.3f}; "
      f"null (rows shuffled, 20 draws): {null.mean():.3f}, at most {null.max():.3f}")
assert abs(linear_cka(h_a, h_b_aligned) - cka) < 1e-9 and cka > null.max()

# %% [markdown]
# The two MLPs learn nearly the same hidden representation up to a linear
# map: CKA is close to 1, far above its null, and identical before and after
# relabelling. Their weights differ mainly by a permutation, which is why
# matching flattens the straight line.
#
# ## Where to go next
#
# * `PolyChainPath` (a polygonal chain) and `AutoNEB` (a chain of pivots
#   relaxed by nudged elastic bands) are the other paths; `fge`, `swa` and
#   `curve_ensemble` build ensembles from them ([API reference](../api/bridge.md)).
# * `alife bridge digits --out digits.h5` runs the whole experiment, with
#   three independent pairs; its results are on the
#   [bridge results](../results/bridge/index.md) page.
