"""The read side of a run file: :class:`RunReads`, which
:class:`~alife.store.RunFile` inherits.

Every method reads complete generations only (rows of a generation that
never completed are invisible) and names the file in a one-line
:class:`~alife.store.RunFileError` when something is damaged.  They need
of the run file only its open HDF5 file (``_h5``), its ``path``,
``generations_done`` and the phenotype index it keeps while open.
"""
from __future__ import annotations

import numpy as np

from . import phenotypes as _pheno
from .errors import RunFileError, is_integer
from .layout import (COUNTS, DATASETS, GENERATION_DATASETS, PHENO_GROUP, TIMING_DATASETS,
                     TIMING_GROUP, TIMING_PATH, reading, series)
from .sizes import check_read

__all__ = ["RunReads"]


class RunReads:
    """Reading the arrays, phenotypes and tables of a run (mixed into
    :class:`~alife.store.RunFile`; not used on its own)."""

    def read(self, name: str, gen: int | None = None) -> np.ndarray:
        """A dataset's complete generations, or one generation's row.

        Parameters
        ----------
        name : one of :data:`~alife.store.DATASETS`, ``class_counts`` or ``evals_per_s``
        gen : int or None; negative counts from the last complete generation

        Returns
        -------
        ndarray: ``(G, ...)`` for ``gen=None`` (``G = generations_done``; an
        empty ``(0,)`` array before the first generation), else ``(...)``.
        """
        f = self._h5
        known = list(DATASETS) + list(GENERATION_DATASETS) + list(TIMING_DATASETS)
        if name not in known:
            raise RunFileError(f"{self.path}: unknown dataset {name!r}; known: {known}")
        G = self.generations_done
        if G == 0:
            if gen is None:
                dtype = series(0, 0)[TIMING_PATH if name in TIMING_DATASETS else name][0]
                return np.zeros((0,), dtype=dtype)
            raise RunFileError(f"{self.path}: no complete generation yet")
        ds = f[f"{TIMING_GROUP}/{name}" if name in TIMING_DATASETS else name]
        check_read(ds, self.path, (G if gen is None else 1) * int(np.prod(ds.shape[1:])))
        if gen is None:
            with reading(self.path, f"dataset {ds.name.lstrip('/')}"):
                return ds[:G]
        if not is_integer(gen) or not -G <= gen < G:
            raise RunFileError(f"{self.path}: generation {gen!r} is not complete "
                               f"({G} generation(s) done)")
        with reading(self.path, f"dataset {ds.name.lstrip('/')}, generation {int(gen) % G}"):
            return ds[int(gen) % G]

    def class_counts(self) -> np.ndarray:
        """(G, 6) int64 mutation-class counts over all offspring of each complete
        generation, columns for codes -1 (none), 0 .. 4 (:data:`~alife.store.MUTATION_CLASS_NAMES`)."""
        G = self.generations_done
        return self.read(COUNTS) if G else np.zeros((0, 6), np.int64)

    def phenotype_ids(self) -> np.ndarray:
        """Sorted int64 ids of the stored phenotypes."""
        return np.sort(_pheno.stored_ids(self._h5[PHENO_GROUP], self.path))

    def phenotype(self, pid: int) -> np.ndarray:
        """The stored pattern with id ``pid``: bool array of shape (H, W).

        Raises
        ------
        KeyError
            If no pattern with that id is stored.
        """
        grp = self._pheno()
        return _pheno.pattern(grp, self.path, pid, self._known.row(grp, self.path, pid))

    def tables(self) -> list[str]:
        """The names :meth:`to_pandas` takes: ``generations``, ``individuals``."""
        from .tables import RUN_TABLES
        return list(RUN_TABLES)

    def to_pandas(self, table: str = "generations"):
        """A pandas DataFrame: one row per generation (``"generations"``) or
        per individual and generation (``"individuals"``); the columns are
        listed in :mod:`alife.store.tables`.  Needs pandas."""
        from .tables import run_table
        return run_table(self, table)

    def to_xarray(self):
        """Every array of the run as a labelled xarray Dataset
        (:func:`alife.store.tables.run_dataset`).  Needs xarray."""
        from .tables import run_dataset
        return run_dataset(self)

    def summary(self) -> dict:
        """A small dict describing the run.

        Keys: ``path``, ``config_toml``, ``seed_entropy``, ``status``,
        ``schema_version``, ``alife_version``, ``generations_done``,
        ``pop_size``, ``genome_size``, ``best_loss`` ((G,) float64, the
        lowest loss of each complete generation), ``mean_evals_per_s`` (float,
        NaN before the first generation), ``n_phenotypes``, ``fitness``
        (:attr:`fitness`).
        """
        loss = self.read("loss")
        eps = self.read("evals_per_s")
        return {
            "path": str(self.path),
            "config_toml": self.config_toml,
            "seed_entropy": self.seed_entropy,
            "status": self.status,
            "schema_version": self.schema_version,
            "alife_version": self.alife_version,
            "generations_done": self.generations_done,
            "pop_size": self.pop_size,
            "genome_size": self.genome_size,
            "best_loss": loss.min(axis=1) if loss.ndim == 2 and loss.shape[0] else
            np.zeros(0, dtype=np.float64),
            "mean_evals_per_s": float(eps.mean()) if eps.size else float("nan"),
            "n_phenotypes": int(self._h5[PHENO_GROUP]["id"].shape[0]),
            "fitness": self.fitness,
        }
