# %% [markdown]
# # Evolve an HNCA with your own fitness
#
# alife's evolution runner scores every HNCA against a target pattern (the
# `[task]` of its config). This tutorial replaces that score with a Python
# function of your own, logs every generation to a CSV file, and reads the
# run back as a pandas table, in a few lines, from a notebook.
#
# You will use `alife.evolve.run`, `alife.evolve.CSVLogger` and the run's
# `to_pandas()`; the model and the algorithm are described on the
# [HNCA](../concepts/hnca.md) and [evolution](../concepts/evolution.md)
# pages. You need the `notebook` extra (pandas):
# `pip install 'alife-neutral[notebook]'`.

# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

import alife.evolve as ev
from alife.store import load

# The test suite sets ALIFE_TUTORIAL_QUICK=1 to run a smaller version.
QUICK = os.environ.get("ALIFE_TUTORIAL_QUICK") == "1"
# A scratch folder for the files this tutorial writes; use your own.
work = tempfile.TemporaryDirectory(prefix="alife-tutorial-")
folder = Path(work.name)

# %% [markdown]
# ## 1. The config
#
# A run is described by a config: the HNCA, the task, the algorithm and the
# mutation. `run` takes it as a TOML file, TOML text, the name of a shipped
# example (`"smoke"`), or, as here, a dict shaped like the TOML file. This
# is the `smoke` example: the four-level Bielawski HNCA, a population of 100
# evolved with age-fitness Pareto optimisation (AFPO) for 30 generations.
# The `[task]` target still sets the size of the patterns; its loss will not
# be used.

# %%
config = {
    "seed": 0,
    "generations": 30,
    "model": {"preset": "bielawski"},
    "task": {"target": "square"},
    "algorithm": {"name": "afpo", "pop_size": 100, "n_newcomers": 2},
    "mutation": {"name": "resample"},
}
if QUICK:   # a smaller HNCA, population and run
    config.update(generations=8)
    config["model"].update(base_size=32, steps=30)
    config["algorithm"]["pop_size"] = 24

# %% [markdown]
# ## 2. A fitness of your own
#
# The config's loss is the Hamming distance to the target: the number of
# cells where pattern and target differ. For a small target that loss
# favours nearly empty patterns, which get everything outside the target
# right. A fitness of your own can score the same target another way; here
# by intersection over union (IoU), which gives an empty pattern nothing:
#
# \[ \ell(x) = 1 - \frac{|x \wedge t|}{|x \vee t|} \]
#
# (\(|x \wedge t|\): cells on in both pattern and target; \(|x \vee t|\): cells
# on in either), so \(\ell = 0\) only for the target itself.
#
# A fitness is any function that takes the phenotypes of a batch of HNCAs,
# an `(n, H, W)` bool array (read-only; `True` is an on cell), and returns
# `n` finite numbers, **lower is better**: they are used as the loss.
# A fitness that returns the wrong shape, or NaN, stops the run with a
# one-line error that says what to return.

# %%
target = ev.as_config(config).task_object().target        # (H, W) bool, the square


def iou_loss(phenotypes):
    """1 - intersection over union with the target, per pattern."""
    inter = (phenotypes & target).sum(axis=(1, 2))
    union = (phenotypes | target).sum(axis=(1, 2))
    return 1 - inter / union


empty, full = np.zeros((1,) + target.shape, bool), np.ones((1,) + target.shape, bool)
print("loss of the target, an empty and a full pattern:",
      iou_loss(np.concatenate([target[None], empty, full])))

# %% [markdown]
# **What counts as success**, stated before the runs: the first generation
# is random genomes, so its best loss is what chance gives with this many
# tries. Evolution works for this fitness if the final best loss is lower
# than the first generation's on every seed we run. We also ask, without
# a criterion fixed in advance, whether the runs of our fitness end with a
# better IoU than runs of the config's own Hamming loss.
#
# ## 3. Run it, with a CSV logger
#
# `callbacks` are called after every generation with its record (the
# generation, its best, mean and worst loss, the number of distinct
# phenotypes, the mutation classes of its offspring, and the population's
# arrays). `CSVLogger` writes those numbers to a CSV file; any function
# will do too. Without `out`, the run is held in memory and no run file is
# written.

# %%
def every_tenth(gen):
    if gen.generation % 10 == 0:
        print(f"generation {gen.generation:3d}: best {gen.best_loss:.4f}, "
              f"mean {gen.mean_loss:.4f}, {gen.n_phenotypes} phenotypes")


run = ev.run(config, fitness=iou_loss,
             callbacks=[ev.CSVLogger(folder / "log.csv"), every_tenth])
print(run)

# %% [markdown]
# ## 4. The run as a table
#
# `to_pandas()` gives one row per generation (`to_pandas("individuals")`
# one row per individual and generation, `to_xarray()` every array with
# labelled dimensions). The CSV log holds the same numbers.

# %%
table = run.to_pandas()
print(table[["generation", "best_loss", "mean_loss", "n_phenotypes",
             "offspring_beneficial", "offspring_deleterious"]].tail().to_string(index=False))
logged = pd.read_csv(folder / "log.csv")
print("the CSV log equals the table:", logged.equals(table))

# %%
first_best = run.read("phenotype_id", 0)[np.argmin(run.read("loss", 0))]
last_best = run.read("phenotype_id", -1)[np.argmin(run.read("loss", -1))]
fig, axes = plt.subplots(1, 4, figsize=(14, 3.4))
table.plot(x="generation", y=["best_loss", "mean_loss"], ax=axes[0])
axes[0].set_ylabel("1 - IoU (lower is better)")
axes[0].set_title("our fitness over the run")
pictures = [(run.phenotype(first_best) if first_best >= 0 else empty[0], "best of generation 0"),
            (run.phenotype(last_best) if last_best >= 0 else empty[0],
             f"best of generation {len(table) - 1}"),
            (target, "the target")]
for ax, (picture, title) in zip(axes[1:], pictures):
    im = ax.imshow(picture, cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xticks([]), ax.set_yticks([])
cbar = fig.colorbar(im, ax=axes[1:], ticks=[0, 1], shrink=0.8)
cbar.ax.set_yticklabels(["off", "on"])
run.close()

# %% [markdown]
# ## 5. More seeds, to run files
#
# One run proves little. Here the same experiment runs on several seeds
# (`seed=` replaces the config's seed), each into an HDF5 run file
# (`out=`), the file `alife evolve` writes. A run file made with your own
# fitness records its name, and a note at the top of its stored config
# says that the config alone does not reproduce it: `alife evolve` refuses
# to resume it, and `run(..., fitness=iou_loss, out=...)` resumes
# it from Python. Beside each, the same seed runs with the config's own
# loss (in memory), and we score its final population with our IoU.

# %%
n_seeds = 2 if QUICK else 3
own_first, own_last, hamming_last = [], [], []
for seed in range(n_seeds):
    with ev.run(config, fitness=iou_loss, seed=seed, out=folder / f"seed{seed}.h5") as f:
        best = f.to_pandas()["best_loss"]
        own_first.append(best.iloc[0])
        own_last.append(best.iloc[-1])
    with ev.run(config, seed=seed) as h:               # the config's own loss, for comparison
        alive = [i for i in h.read("phenotype_id", -1) if i >= 0]
        hamming_last.append(iou_loss(np.stack([h.phenotype(i) for i in alive])).min())
    print(f"seed {seed}: IoU loss {own_first[-1]:.3f} -> {own_last[-1]:.3f} with our fitness; "
          f"{hamming_last[-1]:.3f} after the run of the Hamming loss")

with load(folder / "seed0.h5") as f:                   # open any file alife writes
    print("recorded fitness:", f.fitness)
    print(f.config_toml.splitlines()[0])


def mean_and_interval(x):
    """Mean and 95 % t-interval over seeds."""
    x = np.asarray(x, float)
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return f"{x.mean():.3f} [{x.mean() - half:.3f}, {x.mean() + half:.3f}]"


gain = np.array(own_first) - np.array(own_last)
edge = np.array(hamming_last) - np.array(own_last)
print(f"improved on generation 0 on {int((gain > 0).sum())} of {n_seeds} seeds; "
      f"mean gain {mean_and_interval(gain)}")
print(f"better IoU than the Hamming-loss run on {int((edge > 0).sum())} of {n_seeds} seeds; "
      f"mean difference {mean_and_interval(edge)}")

# %% [markdown]
# The intervals are over a handful of seeds, so they are wide; the counts
# of seeds are the plainer statement. What this does **not** show: that
# IoU is the better loss in general (one target, one HNCA, short runs),
# whether longer runs keep improving, or how close the final patterns are
# to the best this HNCA can make.
#
# ## Where to go next
#
# * `TensorBoardLogger(logdir)` logs the same numbers for TensorBoard (the
#   `tensorboard` extra).
# * `alife.store.load(path)` opens any file alife writes, run or result,
#   with `to_pandas()`: see the [store's API](../api/store.md).
# * The fitness contract and the evaluator it plugs into are in the
#   [tasks API](../api/tasks.md); `run`'s options in the
#   [evolve API](../api/evolve.md).
