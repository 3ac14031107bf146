"""Tables of runs and results for pandas and xarray (both optional).

Every file alife writes reads back as tables, one call away::

    from alife.store import load
    run = load("run.h5")                      # a RunFile (or a ResultFile)
    df = run.to_pandas()                      # one row per generation
    ind = run.to_pandas("individuals")        # one row per individual and generation
    ds = run.to_xarray()                      # every array, labelled (needs xarray)

    net = load("net.h5")                      # NET.h5 of alife neutral
    net.tables()                              # e.g. ['networks', 'networks/*', ...]
    net.to_pandas("networks")                 # one row per neutral network

Run files (:class:`~alife.store.RunFile`, also in memory) have two tables:

``generations`` (one row per complete generation)
    :data:`GENERATION_COLUMNS`: ``generation``, ``best_loss``,
    ``mean_loss``, ``worst_loss`` (of the population after selection),
    ``n_phenotypes`` (distinct non-degenerate phenotypes in it),
    ``n_degenerate`` (individuals with an all-off or all-on pattern),
    ``evals_per_s`` and ``offspring_<class>``, the mutation classes of the
    generation's offspring (:data:`~alife.store.MUTATION_CLASS_NAMES`).
    The same numbers, by the same function (:func:`generation_columns`),
    that the callbacks of :func:`alife.evolve.run` receive.
``individuals`` (one row per individual of each generation)
    ``generation``, ``individual`` (row in the population), ``uid``,
    ``parent_uid``, ``age``, ``loss``, ``phenotype_id`` and
    ``mutation_class`` (categorical, by name).

Result files (:class:`~alife.store.ResultFile`) give

* one table per list of records in their summary (``networks`` of a
  sampled ``alife neutral`` run, ``pairs`` of ``alife bridge``), nested
  fields flattened with dots (``ensembles.mean``);
* one table per folder of one-dimensional datasets (and text lists) of one
  length, named by the folder with every numbered part written ``*``:
  ``phenotypes``, ``networks/*``, ``pair*/paths/line``.  Folders that
  differ only in those numbers are stacked, with one column per number
  (``pair`` for ``pair3``; ``network`` for ``networks/3``).  Datasets of
  another length in a folder, and arrays of two or more dimensions, are not
  in a table: read them with :meth:`~alife.store.ResultFile.read`.

pandas and xarray are imported only when a table is asked for; without
them the call raises an ImportError naming the extra to install.
"""
from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np

from .layout import MUTATION_CLASS_NAMES
from .results import ResultFile, result_kind

__all__ = ["GENERATION_COLUMNS", "RUN_TABLES", "generation_columns", "run_table",
           "run_dataset", "result_tables", "result_table", "load"]

_CLASSES = [MUTATION_CLASS_NAMES[c] for c in sorted(MUTATION_CLASS_NAMES)]
#: Columns of a run's ``generations`` table, in order.
GENERATION_COLUMNS = ("generation", "best_loss", "mean_loss", "worst_loss", "n_phenotypes",
                      "n_degenerate", "evals_per_s") + tuple(f"offspring_{c}" for c in _CLASSES)
#: The tables of a run file, the first the default.
RUN_TABLES = ("generations", "individuals")
_EXTRA = "pip install 'alife-neutral[notebook]'"
_NUMBERED = re.compile(r"^([A-Za-z_]*?)(\d+)$")


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError(f"tables need pandas, which is not installed; {_EXTRA}") from None
    return pandas


def _xarray():
    try:
        import xarray
    except ImportError:
        raise ImportError(f"to_xarray needs xarray, which is not installed; {_EXTRA}") from None
    return xarray


# --------------------------------------------------------------------------- runs
def generation_columns(generation, loss, phenotype_id, evals_per_s, class_counts) -> dict:
    """The ``generations`` table's columns, for G generations.

    Parameters
    ----------
    generation : (G,) int
    loss : (G, P) float64, the population after selection
    phenotype_id : (G, P) int64, -1 for a degenerate pattern
    evals_per_s : (G,) float64
    class_counts : (G, 6) int64, offspring per mutation class (codes -1..4)

    Returns
    -------
    dict
        :data:`GENERATION_COLUMNS` -> (G,) arrays (int64 or float64).
    """
    loss = np.asarray(loss, np.float64)
    ids = np.sort(np.asarray(phenotype_id, np.int64), axis=1)
    new = np.ones(ids.shape, bool)
    new[:, 1:] = ids[:, 1:] != ids[:, :-1]
    counts = np.asarray(class_counts, np.int64).reshape(-1, len(_CLASSES))
    out = {"generation": np.asarray(generation, np.int64),
           "best_loss": loss.min(axis=1), "mean_loss": loss.mean(axis=1),
           "worst_loss": loss.max(axis=1),
           "n_phenotypes": (new & (ids >= 0)).sum(axis=1).astype(np.int64),
           "n_degenerate": (ids < 0).sum(axis=1).astype(np.int64),
           "evals_per_s": np.asarray(evals_per_s, np.float64)}
    out.update({f"offspring_{c}": counts[:, i] for i, c in enumerate(_CLASSES)})
    return out


def _run_columns(run) -> dict:
    G = run.generations_done
    if G == 0:
        return {k: np.zeros(0, np.float64 if "loss" in k or k == "evals_per_s" else np.int64)
                for k in GENERATION_COLUMNS}
    return generation_columns(np.arange(G), run.read("loss"), run.read("phenotype_id"),
                              run.read("evals_per_s"), run.class_counts())


def run_table(run, table: str = "generations"):
    """A table of a run file as a pandas DataFrame (see the module docstring).

    Parameters
    ----------
    run : alife.store.RunFile (open)
    table : ``"generations"`` or ``"individuals"``
    """
    pd = _pandas()
    if table == "generations":
        return pd.DataFrame(_run_columns(run))
    if table != "individuals":
        raise ValueError(f"a run file has the tables {', '.join(RUN_TABLES)}; got {table!r}")
    G, P = run.generations_done, run.pop_size or 0
    cols = {"generation": np.repeat(np.arange(G, dtype=np.int64), P),
            "individual": np.tile(np.arange(P, dtype=np.int64), G)}
    for name in ("uid", "parent_uid", "age", "loss", "phenotype_id"):
        cols[name] = run.read(name).reshape(-1) if G else np.zeros(0)
    codes = run.read("mutation_class").reshape(-1).astype(np.int64) if G else np.zeros(0, int)
    cols["mutation_class"] = pd.Categorical.from_codes(codes + 1, categories=_CLASSES)
    return pd.DataFrame(cols)


def run_dataset(run):
    """Every array of a run as a labelled xarray Dataset.

    Dimensions ``generation`` (G), ``individual`` (P), ``gene`` (D) and
    ``offspring_class`` (the six mutation-class names).  Variables:
    ``genomes`` (G, P, D), ``loss``, ``age``, ``uid``, ``parent_uid``,
    ``phenotype_id``, ``mutation_class`` (G, P; the codes),
    ``class_counts`` (G, 6) and the ``generations`` table's columns (G).
    Attributes: ``config_toml``, ``seed_entropy``, ``status``,
    ``alife_version`` and ``fitness`` (empty when the config's loss was used).
    """
    xr = _xarray()
    G = run.generations_done
    gen = ("generation", "individual")
    data = {}
    if G:
        data["genomes"] = (gen + ("gene",), run.read("genomes"))
        for name in ("loss", "age", "uid", "parent_uid", "phenotype_id", "mutation_class"):
            data[name] = (gen, run.read(name))
        data["class_counts"] = (("generation", "offspring_class"), run.class_counts())
    for name, col in _run_columns(run).items():
        if name != "generation":
            data[name] = (("generation",), col)
    ds = xr.Dataset(data, coords={"generation": np.arange(G, dtype=np.int64),
                                  "offspring_class": list(_CLASSES)})
    ds["mutation_class"].attrs["codes"] = json.dumps(
        {str(k): v for k, v in sorted(MUTATION_CLASS_NAMES.items())}) if G else ""
    ds.attrs.update(config_toml=run.config_toml, seed_entropy=str(run.seed_entropy),
                    status=run.status, alife_version=run.alife_version,
                    fitness=run.fitness or "")
    return ds


# ------------------------------------------------------------------------ results
def _summary_records(rf: ResultFile) -> dict:
    """Lists of records in a result file's summary attribute: name -> rows."""
    out = {}
    for attr in ("summary_json", "summary"):
        text = rf.attrs.get(attr)
        if not isinstance(text, str):
            continue
        try:
            summary = json.loads(text)
        except ValueError:
            continue
        if isinstance(summary, dict):
            for key, value in summary.items():
                if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                    out[key] = value
    return out


def _template(folder: str) -> tuple[str, tuple, tuple]:
    """``pair0/paths/line`` -> (``pair*/paths/line``, ("pair",), (0,))."""
    parts, names, numbers = [], [], []
    for i, part in enumerate(folder.split("/") if folder else []):
        m = _NUMBERED.match(part)
        if m is None:
            parts.append(part)
            continue
        prefix = m.group(1)
        if not prefix:
            prev = parts[-1] if parts else "index"
            prefix = prev[:-1] if prev.endswith("s") and len(prev) > 1 else prev
        parts.append(f"{m.group(1)}*")
        names.append(prefix)
        numbers.append(int(m.group(2)))
    return "/".join(parts), tuple(names), tuple(numbers)


def _folder_columns(rf: ResultFile) -> dict:
    """template -> [(index names, numbers, [dataset names])] for 1-d datasets."""
    folders: dict[str, dict[str, int]] = {}
    for name, entry in rf.entries.items():
        shape = entry[2]
        if len(shape) == 1:
            folder, _, leaf = name.rpartition("/")
            folders.setdefault(folder, {})[leaf] = int(shape[0])
    out: dict[str, list] = {}
    for folder, lengths in sorted(folders.items()):
        common = Counter(lengths.values()).most_common()
        best = max(common, key=lambda kv: (kv[1], kv[0]))[0]
        leaves = sorted(k for k, n in lengths.items() if n == best)
        template, names, numbers = _template(folder)
        out.setdefault(template or ".", []).append((names, numbers, folder, leaves))
    return out


def result_tables(rf: ResultFile) -> list[str]:
    """The names of a result file's tables: its summary's lists of records
    first, then its folders of 1-d datasets (see the module docstring)."""
    return list(_summary_records(rf)) + sorted(_folder_columns(rf))


def result_table(rf: ResultFile, table: str | None = None):
    """One table of a result file as a pandas DataFrame.

    Parameters
    ----------
    rf : alife.store.ResultFile (open)
    table : str or None
        A name of :func:`result_tables`; None: the first.

    Raises
    ------
    ValueError
        An unknown table name (the message lists the names).
    """
    pd = _pandas()
    names = result_tables(rf)
    if table is None:
        if not names:
            raise ValueError(f"{rf.path} holds no table; read its datasets with read()")
        table = names[0]
    records = _summary_records(rf)
    if table in records:
        return pd.json_normalize(records[table])
    groups = _folder_columns(rf)
    if table not in groups:
        raise ValueError(f"{rf.path} has no table {table!r}; its tables: {', '.join(names)}")
    frames = []
    for index_names, numbers, folder, leaves in groups[table]:
        cols = {}
        for leaf in leaves:
            value = rf.read(f"{folder}/{leaf}" if folder else leaf)
            cols[leaf] = value
        n = len(next(iter(cols.values())))
        index = {k: np.full(n, v, np.int64) for k, v in zip(index_names, numbers)}
        frames.append(pd.DataFrame({**index, **cols}))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def load(path):
    """Open any file alife writes, for reading: a :class:`~alife.store.RunFile`
    for a run file (``alife evolve``), a :class:`~alife.store.ResultFile`
    for a result file (``alife neutral``, ``alife bridge``, ...).  Both have
    ``to_pandas()`` and ``to_xarray()``; close them (or use ``with``) when
    done.

    Raises
    ------
    alife.store.RunFileError
        One line, for a missing, unreadable or damaged file.
    """
    from .runfile import RunFile
    if result_kind(path) is None:
        return RunFile.open(path, "r")
    return ResultFile(path)
