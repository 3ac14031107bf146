"""The quick default job: grow one surviving Bielawski HNCA and draw it.

Draws seeded random genomes of the Bielawski preset (GECCO 2024: 4 levels
64/32/16/8, 51 genes, 100 steps) until one survives — its final phenotype is
neither all 0 nor all 1 — then writes, into the output folder:

``phenotype.png``   the final binary pattern of level 0
``filmstrip.png``   every level at evenly spaced steps of its development
``genome.npy``      the genome, (51,) float32
``summary.json``    seed, how many genomes were tried, phenotype id, cells on
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .nca import HNCASpec, develop, trajectory
from .nca.phenotype import render_filmstrip, render_phenotype


def first_survivor(spec: HNCASpec, seed: int, batch: int = 64, max_tries: int = 100_000):
    """First genome, in seeded order, whose final phenotype is non-degenerate.

    Returns (genome (D,) float32, index in the seeded stream, Development of it).
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    tried = 0
    while tried < max_tries:
        G = spec.random_genomes(batch, seed=rng)
        out = develop(spec, G)
        alive = np.flatnonzero(~out.degenerate)
        if alive.size:
            k = int(alive[0])
            return G[k], tried + k, develop(spec, G[k:k + 1])
        tried += batch
    raise RuntimeError(f"no surviving genome among {max_tries} random genomes")


def run_demo(out_dir, seed: int = 0, preset: str = "bielawski") -> dict:
    """Grow the first surviving genome of ``preset`` from ``seed``; write PNGs."""
    spec = HNCASpec.preset(preset)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    genome, index, dev = first_survivor(spec, seed)
    hist = trajectory(spec, genome)
    pheno = dev.phenotypes[0]
    render_phenotype(pheno, out_dir / "phenotype.png",
                     title=f"{preset} HNCA, seed {seed}, genome #{index}: t = {spec.steps}",
                     threshold=spec.threshold)
    render_filmstrip(hist, out_dir / "filmstrip.png", frames=8,
                     title=f"development of {preset} genome #{index} (seed {seed})",
                     threshold=spec.threshold)
    np.save(out_dir / "genome.npy", genome)
    summary = {
        "preset": preset, "spec": spec.to_dict(), "seed": seed, "genome_index": index,
        "phenotype_id": int(dev.ids[0]), "cells_on": int(pheno.sum()),
        "fraction_on": float(pheno.mean()), "steps_run": int(dev.steps_run[0]),
        "files": ["phenotype.png", "filmstrip.png", "genome.npy", "summary.json"],
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary
