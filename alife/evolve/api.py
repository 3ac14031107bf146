"""Evolve HNCAs from Python in one call: :func:`run`.

::

    import alife.evolve as ev

    run = ev.run("smoke", generations=10)                 # in memory, no file
    run.to_pandas().plot(x="generation", y="best_loss")

    def more_on(phenotypes):                              # (n, H, W) bool
        return -phenotypes.sum(axis=(1, 2))               # (n,) loss, lower is better

    run = ev.run("smoke", fitness=more_on, callbacks=[ev.CSVLogger("log.csv")],
                 out="run.h5")                            # the file alife evolve writes

A run with ``out`` is exactly what ``alife evolve CONFIG --out FILE`` writes
(the same file, lock, checkpoints and resume); one without is the same run
held in memory, bit for bit, and nothing is written to disk.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..config import ConfigError
from ..examples import example, is_name
from ..store import RunFile, RunFileError
from .callbacks import Hooks
from .config import EvolveConfig, from_dict, load_config, loads
from .runner import RunError, evolve, evolve_in_memory

__all__ = ["run", "as_config"]


def as_config(config, *, seed: int | None = None, generations: int | None = None) -> EvolveConfig:
    """An :class:`~alife.evolve.config.EvolveConfig` from any way of giving one.

    Parameters
    ----------
    config : EvolveConfig, dict, str or path
        * an ``EvolveConfig`` (used as it is);
        * a dict shaped like the TOML file (``{"seed": 0, "generations": 30,
          "task": {"target": "square"}, ...}``);
        * a str holding TOML text (it has a ``=`` or a line break);
        * the name of an example (a bare word such as ``"smoke"``; see
          :mod:`alife.examples`);
        * else a path to a TOML file (str or ``pathlib.Path``).
    seed, generations : int, optional
        Replace the config's values (checked like the file's).

    Raises
    ------
    alife.config.ConfigError
        One line naming the key and the fix (a ValueError).
    alife.examples.ExampleError
        An unknown example name (a ValueError).
    """
    if isinstance(config, EvolveConfig):
        cfg, name = config, "<config>"
    elif isinstance(config, dict):
        cfg, name = from_dict(config, name="<dict>"), "<dict>"
    elif isinstance(config, str) and ("=" in config or "\n" in config):
        cfg, name = loads(config, name="<string>"), "<string>"
    elif isinstance(config, str) and is_name(config):
        cfg, name = load_config(example("evolve", config)), config
    elif isinstance(config, (str, os.PathLike)):
        cfg, name = load_config(Path(config)), str(config)
    else:
        raise ConfigError("<config>", None, f"a config must be an EvolveConfig, a dict, TOML "
                                             f"text, an example name or a file path, got "
                                             f"{type(config).__name__}")
    if seed is None and generations is None:
        return cfg
    data = cfg.to_dict()
    data.update({k: v for k, v in (("seed", seed), ("generations", generations)) if v is not None})
    return from_dict(data, name=f"{name} with seed={seed}, generations={generations}")


def _python_words(e: Exception) -> str:
    """A runner's message in the words of this function's arguments."""
    return str(e).replace("--force", "force=True").replace("--out", "out")


def run(config, fitness=None, callbacks=(), out=None, *, seed: int | None = None,
        generations: int | None = None, executor=None, progress: bool = False,
        force: bool = False) -> RunFile:
    """Evolve HNCAs as ``config`` says; return the run.

    Parameters
    ----------
    config : EvolveConfig, dict, TOML text, example name or path
        See :func:`as_config`.
    fitness : callable, optional
        Your own loss, in place of the config's task loss:
        ``fitness(phenotypes) -> losses`` gets the phenotypes of a batch
        (one generation's offspring; the first population) as a read-only
        ``(n, H, W)`` bool array and returns ``n`` finite real numbers,
        lower is better (see :mod:`alife.tasks.fitness`).  The config's
        ``[task]`` still sets the development (its mode, e.g. the damage)
        and the size of the patterns.  The stored ``loss`` is what it
        returns.
    callbacks : callable or list of callables, optional
        Each is called with a :class:`~alife.evolve.callbacks.Generation`
        after every generation (0 included): e.g.
        :class:`~alife.evolve.callbacks.CSVLogger`,
        :class:`~alife.evolve.callbacks.TensorBoardLogger`, or a function.
    out : str or Path, optional
        None: the run is held in memory and nothing is written to disk.
        Else the HDF5 run file that ``alife evolve CONFIG --out OUT`` writes
        (same file, lock and checkpoints): an existing run of the same
        config is resumed, a finished one or another config's is refused
        (unless ``force``).
    seed, generations : int, optional
        Replace the config's values (recorded in the stored config).
    executor : alife.parallel.Executor, optional
        Where the batches are developed (default: threads in this process);
        results do not depend on it.
    progress : bool
        Show a progress line on stderr.
    force : bool
        With ``out``: start afresh even over a finished run or another
        config's run.

    Returns
    -------
    alife.store.RunFile
        Open for reading (a file) or in memory (``path`` is ``<in
        memory>``): ``read(...)``, ``summary()``, ``to_pandas()``,
        ``to_xarray()``, ``phenotype(id)``.  Close it, or use ``with``,
        when done.

    Notes
    -----
    A run with a ``fitness`` records the function's name
    (:attr:`alife.store.RunFile.fitness`, and a note at the top of its
    stored config), since its config alone does not reproduce it.  Such a
    run file resumes only from Python, with a fitness of the same name
    (``module.function``; the name is compared, not the code, so keep the
    function unchanged); ``alife evolve`` refuses to resume it, and a run of
    the config's own loss refuses a fitness.

    Raises
    ------
    ValueError
        One line naming the problem and the fix: an invalid config (an
        unknown key, a bad value), a fitness that is not callable or returns
        anything but ``n`` finite numbers, a callback that is not callable,
        an ``out`` that holds another run.
    """
    cfg = as_config(config, seed=seed, generations=generations)
    hooks = Hooks(fitness, callbacks)
    if out is None:
        return evolve_in_memory(cfg, progress=progress, executor=executor, hooks=hooks)
    try:
        evolve(cfg, out, force=force, progress=progress, executor=executor, hooks=hooks)
    except (RunError, RunFileError) as e:
        raise type(e)(_python_words(e)) from None
    return RunFile.open(out, "r")
