# %% [markdown]
# # Your own genotype–phenotype map
#
# This tutorial writes a genotype–phenotype (GP) map of its own, hands it to
# alife's neutral-network analyser and reads Wagner's measures off it. The
# map is a tiny gene regulatory network in the spirit of the model Wagner and
# colleagues used to study robustness (Ciliberti, Martin & Wagner 2007): the
# genotype says how three genes switch each other on and off, the phenotype
# is the stable expression pattern the network settles into.
#
# You will use only public names: `GPMap`, `DiscreteSpace`, `register` and
# `make` from `alife.gpmap`; `exhaustive`, `genotype_robustness`,
# `genotype_evolvability`, `phenotype_measures`, `wagner_correlations`,
# `neutral_path`, `networks_from_table`, `sample_bfs` and `sampled_measures`
# from `alife.neutral`. The definitions behind the numbers are on the
# [neutral networks](../concepts/neutral-networks.md) page.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np

from alife.gpmap import DiscreteSpace, GPMap, make, register
from alife.neutral import (exhaustive, genotype_evolvability, genotype_robustness, neutral_path,
                           networks_from_table, phenotype_measures, sample_bfs, sampled_measures,
                           wagner_correlations)

# The test suite sets ALIFE_TUTORIAL_QUICK=1 to run a smaller version.
QUICK = os.environ.get("ALIFE_TUTORIAL_QUICK") == "1"
rng = np.random.default_rng(2024)

# %% [markdown]
# ## 1. The map
#
# A genotype is the interaction matrix \(W\) of \(n\) genes, entries in
# \(\{-1, 0, +1\}\) (repression, none, activation), written row by row as
# \(n^2\) letters `-`, `0`, `+`. The expression state is
# \(s \in \{-1, +1\}^n\) and every gene updates at once:
#
# \[ s_i(t+1) = \begin{cases} +1 & \sum_j W_{ij} s_j(t) > 0 \\ -1 & \sum_j W_{ij} s_j(t) < 0 \\ s_i(t) & \text{otherwise.} \end{cases} \]
#
# From \(s(0) = (+1, -1, +1)\) the dynamics either settle on a fixed point,
# which is the phenotype, or cycle for ever. A cycling genotype has no
# phenotype: its id is `-1` (*undefined*, like an RNA sequence that does not
# fold), and it belongs to no neutral network.
#
# A map is a subclass of `GPMap` that sets `space` and `name` and
# implements `_phenotypes`: it receives a validated batch of genotypes, an
# `(n, L)` array of letter indices (uint8), and returns `n` int64 phenotype
# ids. Ids must be stable (one phenotype, one id, in any batch) and
# non-negative, with `-1` for undefined. Here the id of a fixed point is its
# pattern read as bits, and `label` shows it as text.

# %%
class GRNMap(GPMap):
    """Gene regulatory networks of ``n_genes`` genes -> their fixed point.

    Genotypes: ``n_genes**2`` letters over ``-0+`` (the matrix W row by row).
    Phenotype: the fixed point reached from (+1, -1, +1, ...), as bits
    (gene i on <-> bit i set); -1 when the dynamics cycle.
    """

    def __init__(self, n_genes: int = 3):
        super().__init__()
        self.n_genes = int(n_genes)
        self.space = DiscreteSpace(L=self.n_genes ** 2, K=3, alphabet="-0+")
        self.start = np.where(np.arange(self.n_genes) % 2 == 0, 1, -1)
        self.name = f"grn{self.n_genes}"

    @staticmethod
    def _step(W, s):
        x = np.einsum("bij,bj->bi", W, s)
        return np.where(x > 0, 1, np.where(x < 0, -1, s))

    def _phenotypes(self, genotypes):
        n = self.n_genes
        W = genotypes.reshape(-1, n, n).astype(np.int64) - 1     # letters 0, 1, 2 -> -1, 0, +1
        s = np.broadcast_to(self.start, (W.shape[0], n)).copy()
        for _ in range(2 ** n):                                   # after 2**n steps s is on its attractor
            s = self._step(W, s)
        fixed = (self._step(W, s) == s).all(axis=1)
        bits = (s > 0).astype(np.int64) @ (1 << np.arange(n, dtype=np.int64))
        return np.where(fixed, bits, -1)

    def label(self, pid):
        if pid < 0:
            return "undefined"
        return "".join("+" if (int(pid) >> i) & 1 else "-" for i in range(self.n_genes))


grn = GRNMap(3)
g = grn.space.random(1000, rng)
ids = grn.phenotypes(g)
# the contract: the same ids whatever the batch
assert np.array_equal(ids, np.concatenate([grn.phenotypes(g[:317]), grn.phenotypes(g[317:])]))
for text, pid in zip(grn.space.decode(g[:4]), ids[:4]):
    print(f"genotype {text} -> phenotype {grn.label(pid)} (id {pid})")

# %% [markdown]
# Registering the map gives it a name, so code that builds maps by name
# (`alife.gpmap.make`) can build it too. Registering the same class again
# (re-running this cell) is allowed; a different factory under a taken name
# is an error.

# %%
register("grn", GRNMap)
grn = make("grn", n_genes=3)
print(grn.name, grn.space)

# %% [markdown]
# ## 2. Every genotype, every genotype network
#
# Three genes give \(3^9 = 19\,683\) genotypes, few enough to evaluate them
# all. `exhaustive` does that in batches and labels the genotype networks:
# the connected components of each phenotype's genotypes under single
# mutations.

# %%
nets = exhaustive(grn)
print(f"{nets.n_genotypes} genotypes, {nets.n_undefined} undefined "
      f"({nets.n_undefined / nets.n_genotypes:.0%} cycle), {nets.n_phenotypes} phenotypes, "
      f"{nets.n_components} genotype networks")

# %% [markdown]
# ## 3. Wagner's measures
#
# Per genotype: robustness \(r(g)\), the fraction of its one-mutants with the
# same phenotype, and evolvability \(e(g)\), the number of other phenotypes
# among them. Per phenotype: \(R(p)\), the mean \(r(g)\) over its genotypes,
# and \(E(p)\), the number of other phenotypes one mutation away from any of
# them; \(E_C(p)\) is Cowperthwaite's evolvability (how evenly the
# non-neutral mutations spread over those phenotypes).

# %%
r = genotype_robustness(nets)          # (19683,) by rank, NaN where undefined
e = genotype_evolvability(nets)        # (19683,) by rank, -1 where undefined
pm = phenotype_measures(nets)

print("phenotype  genotypes  frequency  networks   R(p)   E(p)  E_C(p)")
for i in np.argsort(-pm.size):
    print(f"{grn.label(pm.phenotype[i]):>9}  {pm.size[i]:9d}  {pm.frequency[i]:9.4f}  "
          f"{pm.n_components[i]:8d}  {pm.robustness[i]:5.3f}  {pm.evolvability[i]:5d}  "
          f"{pm.evolvability_cowperthwaite[i]:6.3f}")

# %% [markdown]
# The numbers can be checked by hand. Take one genotype, list its
# \(9 \times 2 = 18\) one-mutants, fold them through the map and count: the
# analyser must agree (a positive control for the whole pipeline).

# %%
big = int(pm.phenotype[np.argmax(pm.size)])              # the most common phenotype
ranks = nets.ranks_of(big)
g0 = grn.space.unrank(ranks[e[ranks] > 0][:1])            # its first genotype with e(g) > 0
mutants = grn.space.neighbours(g0)[0]                     # (18, 9)
p0, pm0 = grn.phenotypes(g0)[0], grn.phenotypes(mutants)
r_hand = np.mean(pm0 == p0)
e_hand = len(set(pm0[(pm0 != p0) & (pm0 >= 0)].tolist()))
rank0 = grn.space.rank(g0)[0]
print(f"{grn.space.decode(g0)[0]}: r(g) by hand {r_hand:.3f}, analyser {r[rank0]:.3f}; "
      f"e(g) by hand {e_hand}, analyser {e[rank0]}")
assert r_hand == r[rank0] and e_hand == e[rank0]

# %% [markdown]
# Wagner (2008) found, for RNA, that robust *genotypes* have fewer new
# phenotypes nearby (\(r\) and \(e\) anticorrelated) while robust
# *phenotypes* have more (\(R\) and \(E\) correlated). The genotype-level
# half can be tested here:

# %%
wc = wagner_correlations(nets, max_genotypes=None)
print(f"Spearman r(g) vs e(g): {wc['genotype_rho']:+.3f} over {wc['genotype_n']} genotypes")
print("E(p) of every phenotype:", sorted(set(pm.evolvability.tolist())))
assert wc["genotype_rho"] < 0

# %% [markdown]
# The genotype level agrees with RNA. The phenotype level cannot be tested
# on this map: with only a handful of phenotypes every phenotype reaches every
# other one, so \(E(p)\) is the same for all of them and has no rank
# correlation with anything. A larger map (more genes) would be needed.
#
# ## 4. A neutral path
#
# Two genotypes of the same genotype network are joined by a chain of single
# mutations that never changes the phenotype. `neutral_path` finds a shortest
# one (bidirectional breadth-first search along neutral mutants).

# %%
members = grn.space.unrank(nets.ranks_of(big))
ga = members[0]
gb = members[np.argmax((members != ga).sum(axis=1))]        # as far from ga as the network allows
path = neutral_path(grn, ga, gb)
steps = (path[1:] != path[:-1]).sum(axis=1)
assert (steps == 1).all() and (grn.phenotypes(path) == big).all()
print(f"Hamming distance {int((ga != gb).sum())}, neutral path of {len(path) - 1} mutations:")
print(" -> ".join(grn.space.decode(path)))

# %% [markdown]
# ## 5. Against a null model and a toy map
#
# Is this map's neutrality remarkable? Two comparisons on the same genotype
# space:
#
# * a **random map** with the same phenotype frequencies: every genotype's
#   phenotype shuffled to another genotype. There a mutant keeps the
#   phenotype with probability \(f_p\), so \(R(p) \approx f_p\), and neutral
#   sets shatter into many networks;
# * the **toy map** `count` of `alife.gpmap`, whose phenotype is the number of
#   `-` letters. Its networks are known on paper:
#   \(R(c) = (L - c)(K - 2) / (L (K - 1))\), which the analyser must
#   reproduce.

# %%
null = networks_from_table(grn.space, rng.permutation(nets.phenotype))
pn = phenotype_measures(null)
toy = make("toy", name="count", L=9, K=3)
pt = phenotype_measures(exhaustive(toy))
c = pt.phenotype
assert np.allclose(pt.robustness, (9 - c) * (3 - 2) / (9 * (3 - 1)))     # the paper formula

print(f"genotype networks: GRN {nets.n_components}, random map {null.n_components} "
      f"(same {nets.n_phenotypes} phenotypes and frequencies)")
print(f"R(p) / f(p): GRN {np.min(pm.robustness / pm.frequency):.1f}–"
      f"{np.max(pm.robustness / pm.frequency):.1f}, random map "
      f"{np.min(pn.robustness / pn.frequency):.2f}–{np.max(pn.robustness / pn.frequency):.2f}")
assert (pm.robustness > 2 * pm.frequency).all()

fig, ax = plt.subplots(figsize=(5.5, 4))
f = np.geomspace(1e-4, 1, 50)
ax.plot(f, f, color="grey", lw=1, label="random map: R = f")
ax.scatter(pn.frequency, pn.robustness, marker="x", color="grey", label="GRN, shuffled")
ax.scatter(pt.frequency, pt.robustness, marker="s", color="tab:orange", label="toy map count")
ax.scatter(pm.frequency, pm.robustness, color="tab:blue", label="GRN (3 genes)")
ax.set(xscale="log", xlabel="phenotype frequency f(p)", ylabel="phenotype robustness R(p)")
ax.legend(frameon=False)
fig.tight_layout()

# %% [markdown]
# Every GRN phenotype lies far above the line \(R = f\): its genotypes are
# clustered into a few large networks instead of being scattered, which is
# what makes neutral drift possible. The shuffled map sits on the line, as it
# must. In the toy map robustness is set by the rule, \((9 - c)/18\), not by
# how common a phenotype is: its rarest phenotype (nine `-` letters) has none
# at all, and several rare ones are more robust than common ones.
#
# ## 6. When the space is too large to enumerate
#
# With four genes there are \(3^{16} \approx 4.3 \times 10^7\) genotypes.
# Instead of enumerating them, `sample_bfs` grows one phenotype's network by
# breadth-first search from a seed, under a node budget, and
# `sampled_measures` estimates the measures from what it saw (exact for the
# expanded nodes; \(E\) counts only the boundary seen, so it is a lower
# bound until the search is complete).

# %%
grn4 = make("grn", n_genes=4)
candidates = grn4.space.random(200, rng)
seed = candidates[grn4.phenotypes(candidates) >= 0][0]
net = sample_bfs(grn4, seed, max_nodes=300 if QUICK else 3000)
sm = sampled_measures(net)
print(f"phenotype {grn4.label(net.phenotype)}: {sm.size} genotypes found "
      f"({'the whole network' if sm.complete else 'budget reached'}), {sm.n_expanded} expanded, "
      f"R ≈ {sm.robustness:.3f}, E ≥ {sm.evolvability}, {net.n_evaluations} evaluations")

# %% [markdown]
# ## Where to go next
#
# * Every measure used here, and more (component measures, transition
#   matrices, distances), is in the [API reference](../api/neutral.md).
# * To make a map available to `alife neutral` configs (`[map] kind =
#   "..."`), it must live in a module that alife imports: see "Where a new
#   piece goes" on the [architecture](../architecture.md) page.
