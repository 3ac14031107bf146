"""The HDF5 run file of one evolution run (layout: :mod:`alife.store.layout`).

Crash safety and resume
-----------------------
A generation's rows are written, the file is flushed (and fsync'ed), and only
then is ``last_complete_generation`` advanced and flushed again.  A file
killed at any moment is therefore readable up to its last flush and
``last_complete_generation`` never names a generation whose rows are not on
disk.  Rows (and phenotypes) of a generation that was being written when the
process died are discarded by :meth:`RunFile.truncate_to_last_complete` (or
:meth:`RunFile.truncate_to`).  A file that was never flushed is not
readable at all (HDF5 writes its superblock on flush/close), which is why
:meth:`RunFile.create` builds the file under a temporary name and moves it
into place only once it is complete (:func:`alife.store.atomic_write`).

A chunk whose checksum fails raises :class:`RunFileError` naming the file
and the dataset, never a bare ``OSError``; :meth:`RunFile.verify` reads every
chunk once and recomputes every generation's CRC, and opening a file to
append (``mode="a"``, i.e. to resume) verifies it first, so a damaged run is
never continued.  Files written before these checks (no filter, no
``header_crc32``, no ``generation_crc32``) are read as before.

Every write is a deterministic function of its inputs (no timestamps in
object headers, phenotypes in a fixed order), so a resumed run produces the
same datasets, bit for bit, as an uninterrupted one.

The reading methods (:meth:`RunFile.read`, :meth:`RunFile.summary`, the
tables) live in :mod:`alife.store.runreads`.

Example
-------
>>> rf = RunFile.create(path, config_toml, seed_entropy=1234)   # doctest: +SKIP
>>> rf.add_phenotypes(ids, patterns)                            # doctest: +SKIP
>>> rf.append_generation(0, genomes=..., loss=..., age=..., uid=...,
...                      parent_uid=..., phenotype_id=..., mutation_class=...,
...                      evals_per_s=812.5)                     # doctest: +SKIP
>>> rf.mark_done(); rf.close()                                  # doctest: +SKIP
"""
from __future__ import annotations

import json
import os
import secrets
import zlib
from pathlib import Path

import h5py
import numpy as np

from . import phenotypes as _pheno
from .atomic import atomic_write, check_regular_input, check_target, remove_stale_temps
from .checkpoint import checkpoint_path
from .errors import RunFileError, is_integer
from .h5rows import DatasetIDs, Handles, append_rows, modify_int
from .layout import (CORRUPT_FIX, CRC, FITNESS, FITNESS_CRC, PHENO_GROUP, PROVENANCE,
                     PROVENANCE_CRC, RUN_GROUP, RUN_ID, RUN_ID_CRC, STATE_CRC,
                     check_generation_rows, generation_crc, reading, series, state_crc,
                     validate_layout)
from .runreads import RunReads
from .runh5 import (check_header_args, create_datasets, delete_datasets, open_h5, verify_chunks,
                   write_header)

__all__ = ["RunFile"]

#: Write every dataset with the Fletcher-32 checksum filter, and the
#: per-generation CRC-32 dataset ``generation_crc32`` (tests turn it off to
#: write files like those of older versions).
_CHECKSUM = True


#: The :attr:`RunFile.path` of a run held in memory (:meth:`RunFile.in_memory`).
IN_MEMORY = "<in memory>"


class RunFile(RunReads):
    """One evolution run's HDF5 file; use :meth:`create` or :meth:`open`
    (or :meth:`in_memory`).

    A context manager (closes on exit).  Readers return only complete
    generations (``0 .. last_complete_generation``).
    """

    def __init__(self, h5: h5py.File, path: Path, mode: str, fsync: bool):
        # private: use RunFile.create / RunFile.open
        self._f = h5
        # the phenotypes/ datasets, each looked up once for the life of the open file
        self._pheno_grp: Handles | None = None
        self.path = path
        self.mode = mode
        self._fsync = fsync
        self._known = _pheno.Known()          # stored ids and their rows
        self._pheno_done: int | None = None   # phenotype rows of complete generations
        # Writer-side copies of what this object wrote last, so a generation
        # does not read back its own writes (mode "a" only: the file is
        # locked for this object, and every write of these goes through it).
        self._state: tuple[str, int] | None = None     # (status, last_complete_generation)
        self._last_crc: tuple[int, int] | None = None  # (generation, its generation_crc32)
        self._new_pheno: list[dict] = []               # phenotype rows added for the pending generation
        self._int_attrs: dict[str, tuple] = {}         # int64 scalar attributes (modify_int)

    # ------------------------------------------------------------------ open
    @classmethod
    def create(cls, path, config_toml: str, seed_entropy, *, force: bool = False,
               fsync: bool = True, fitness: str | None = None) -> "RunFile":
        """Create a new run file and return it open in mode ``"a"``.

        The file is built under a temporary name in the same directory and
        moved into place with :func:`os.replace`, so a half-created file never
        exists under ``path``.

        Parameters
        ----------
        path : str or Path
        config_toml : str, the canonical config text of the run
        seed_entropy : int (or its decimal string), the root seed entropy
        force : bool, replace an existing file (and delete its stale checkpoint
            first, so no checkpoint of the old run ever sits beside the new file)
        fsync : bool, fsync the file after every generation (durability
            against power loss, not only against a killed process)
        fitness : str or None, the name of a user-supplied fitness function
            that replaced the config's loss (:attr:`fitness`); None for a run
            the config alone reproduces

        Raises
        ------
        RunFileError
            If ``path`` exists and ``force`` is False, is not a regular file
            (even with ``force``), or the arguments are invalid.
        """
        path = Path(path)
        seed_entropy = check_header_args(path, config_toml, seed_entropy, fitness)
        check_target(path, force=force)
        if force:
            checkpoint_path(path).unlink(missing_ok=True)
        with atomic_write(path, "creating") as tmp, h5py.File(tmp, "x", track_order=False) as f:
            write_header(f, config_toml, seed_entropy, fitness, _CHECKSUM)
        return cls.open(path, "a", fsync=fsync)

    @classmethod
    def in_memory(cls, config_toml: str, seed_entropy, *,
                  fitness: str | None = None) -> "RunFile":
        """A new run file held in memory only, open in mode ``"a"``.

        The same layout, checksums and methods as a file on disk (HDF5's
        ``core`` driver without a backing store), so a run written into it
        is bit for bit the run :meth:`create` would hold; nothing is ever
        written to disk, and the contents are gone once it is closed.  Its
        :attr:`path` is ``<in memory>``.  Parameters as in :meth:`create`.
        """
        path = Path(IN_MEMORY)
        seed_entropy = check_header_args(path, config_toml, seed_entropy, fitness)
        name = f"alife-run-{secrets.token_hex(8)}.h5"    # HDF5 wants a name; no file is made
        h5 = h5py.File(name, "w", driver="core", backing_store=False, track_order=False)
        try:
            write_header(h5, config_toml, seed_entropy, fitness, _CHECKSUM)
            validate_layout(h5, path, False)
        except BaseException:
            h5.close()
            raise
        return cls(h5, path, "a", fsync=False)


    @classmethod
    def open(cls, path, mode: str = "r", *, fsync: bool = True,
             verify: bool | None = None) -> "RunFile":
        """Open and validate an existing run file.

        Parameters
        ----------
        path : str or Path
        mode : ``"r"`` (read only) or ``"a"`` (append generations)
        fsync : bool, see :meth:`create`
        verify : bool or None, read every chunk and check its checksum
            (:meth:`verify`) before returning; None (default): only for
            ``mode="a"``, so a damaged run is never resumed

        Raises
        ------
        RunFileError
            With one line naming ``path`` and the problem: missing, not a
            readable HDF5 file (truncated, corrupt, empty, another format),
            not an alife run file (attributes missing or invalid), a schema
            version this package does not read, datasets shorter than
            ``last_complete_generation`` claims, or (with ``verify``) a chunk
            whose checksum fails.
        """
        path = Path(path)
        if mode not in ("r", "a"):
            raise RunFileError(f"{path}: mode must be 'r' or 'a', got {mode!r}")
        if not path.exists():
            raise RunFileError(f"{path} does not exist")
        if path.is_dir():
            raise RunFileError(f"{path} is a directory, not a run file")
        if check_regular_input(path).st_size == 0:
            # checked here because HDF5 2.0 opens an empty file in r+ mode
            # as a new file (and writes a superblock into it)
            raise RunFileError(f"{path} is not a readable alife run file (truncated or "
                               "corrupt): the file is empty")
        # validate read-only first: a damaged file is never opened for writing
        h5 = open_h5(path, "r", lenient=mode == "a")
        if mode == "a" if verify is None else verify:
            try:
                cls(h5, path, "r", fsync).verify()
            except RunFileError:
                h5.close()
                raise
        if mode == "a":
            h5.close()
            h5 = open_h5(path, "r+", lenient=True)
            # a resume: clear what a killed writer left half-written
            remove_stale_temps(path)
            remove_stale_temps(checkpoint_path(path))
        return cls(h5, path, mode, fsync)

    @classmethod
    def is_finished(cls, path, config_toml: str) -> bool:
        """Whether ``path`` is a readable run file marked done and evolved
        from exactly ``config_toml`` (a finished run to reuse, not evolve
        again); False when it is missing, unreadable or anything else."""
        try:
            with cls.open(path) as rf:
                return rf.status == "done" and rf.config_toml == config_toml
        except (RunFileError, OSError):
            return False

    # ------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._f is not None:
            self._pheno_grp = None
            self._forget()
            self._f.close()
            self._f = None

    def __enter__(self) -> "RunFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._f is None:
            return f"<RunFile {self.path} (closed)>"
        return (f"<RunFile {self.path} mode={self.mode!r} status={self.status!r} "
                f"generations_done={self.generations_done}>")

    @property
    def _h5(self) -> h5py.File:
        if self._f is None:
            raise RunFileError(f"{self.path}: run file is closed")
        return self._f

    def _pheno(self) -> Handles:
        """The ``phenotypes/`` datasets (never deleted, only resized)."""
        if self._pheno_grp is None:
            self._pheno_grp = Handles(self._h5[PHENO_GROUP])
        return self._pheno_grp

    def _forget(self) -> None:
        """Drop the writer-side copies (on close: a reopened file is read afresh)."""
        self._state = None
        self._last_crc = None
        self._new_pheno = []

    def _writable(self) -> h5py.File:
        f = self._h5
        if self.mode != "a":
            raise RunFileError(f"{self.path} is open read-only (mode 'r'); open it with mode 'a' to write")
        return f

    def flush(self) -> None:
        """Flush HDF5's buffers to the OS (and fsync when enabled)."""
        f = self._writable()
        f.flush()
        if self._fsync:
            os.fsync(f.id.get_vfd_handle())

    # ------------------------------------------------------------- integrity
    def verify(self) -> None:
        """Read every chunk that holds complete generations (and their
        phenotypes) once, so HDF5 checks each chunk's Fletcher-32 checksum,
        and recompute each generation's CRC-32 (``generation_crc32``).

        Rows of a generation that never completed are not read: they are
        discarded on resume.  Files written without checksums are only
        checked for readability.

        Raises
        ------
        RunFileError
            Naming the file and the dataset (or generation) that is damaged.
        """
        verify_chunks(self._h5, self.path, self.generations_done)

    # ------------------------------------------------------------ properties
    @property
    def config_toml(self) -> str:
        return self._h5.attrs["config_toml"]

    @property
    def seed_entropy(self) -> int:
        return int(self._h5.attrs["seed_entropy"])

    @property
    def alife_version(self) -> str:
        return self._h5.attrs["alife_version"]

    @property
    def schema_version(self) -> int:
        return int(self._h5.attrs["schema_version"])

    @property
    def status(self) -> str:
        if self._state is not None:
            return self._state[0]
        return self._cache_state()[0] if self.mode == "a" else self._h5.attrs["status"]

    def _cache_state(self) -> tuple[str, int]:
        """``(status, last_complete_generation)`` read from the file and kept
        (mode ``"a"``: only this object writes them, via :meth:`_write_state`)."""
        a = self._h5.attrs
        self._state = (a["status"], int(a["last_complete_generation"]))
        return self._state

    def _run_attr(self, name: str, crc_name: str, what: str, always: bool) -> str | None:
        """A text attribute of the run group checked against its CRC-32; None
        when absent (``always``: absent is corruption once the group exists)."""
        grp = self._h5.get(RUN_GROUP)
        if grp is None or (not always and name not in grp.attrs):
            return None
        with reading(self.path, f"{RUN_GROUP}/ attributes"):
            text, crc = grp.attrs.get(name), grp.attrs.get(crc_name)
        if not isinstance(text, str) or not is_integer(crc) or \
                int(crc) != zlib.crc32(text.encode("utf-8", "surrogatepass")):
            raise RunFileError(f"{self.path} is corrupt: its {what} does not match its "
                               f"checksum ({RUN_GROUP}/{crc_name}); {CORRUPT_FIX}")
        return text

    @property
    def run_id(self) -> str | None:
        """The run's random id (32 hex digits), None for files written before
        run ids.  Raises :class:`RunFileError` if it fails its checksum."""
        return self._run_attr(RUN_ID, RUN_ID_CRC, "run id", True)

    @property
    def provenance(self) -> dict | None:
        """What wrote the file (:func:`alife.provenance.recorded`: package
        versions, git commit, platform), None for files written before it.
        Raises :class:`RunFileError` if it fails its checksum."""
        text = self._run_attr(PROVENANCE, PROVENANCE_CRC, "provenance", False)
        return None if text is None else json.loads(text)

    @property
    def fitness(self) -> str | None:
        """The name of the user-supplied fitness function that replaced the
        config's loss in this run (``module.function``, see
        :func:`alife.tasks.fitness_name`), or None when the run used the
        config's own task loss (the config alone then reproduces it).
        Raises :class:`RunFileError` if it fails its checksum."""
        return self._run_attr(FITNESS, FITNESS_CRC, "fitness name", False)

    def generation_checksum(self, g: int) -> int | None:
        """The stored CRC-32 of complete generation ``g`` (``generation_crc32``),
        None for files written without it."""
        f = self._h5
        last = self._last_crc
        if last is not None and is_integer(g) and last[0] == g and g <= self.last_complete_generation:
            return last[1]    # the generation this object just appended
        if CRC not in f:
            return None
        if not is_integer(g) or not 0 <= g < self.generations_done:
            raise RunFileError(f"{self.path}: generation {g!r} is not complete")
        with reading(self.path, f"dataset {CRC}"):
            return int(f[CRC][int(g)])

    @property
    def last_complete_generation(self) -> int:
        if self._state is not None:
            return self._state[1]
        if self.mode == "a":
            return self._cache_state()[1]
        return int(self._h5.attrs["last_complete_generation"])

    @property
    def generations_done(self) -> int:
        """Number of complete generations, ``last_complete_generation + 1``."""
        return self.last_complete_generation + 1

    @property
    def pop_size(self) -> int | None:
        """P, or None before the first complete generation."""
        return int(self._h5["loss"].shape[1]) if self.generations_done else None

    @property
    def genome_size(self) -> int | None:
        """D, or None before the first complete generation."""
        return int(self._h5["genomes"].shape[2]) if self.generations_done else None

    # ---------------------------------------------------------------- writes
    def _set_state(self, status: str, g: int) -> None:
        # the integers are rewritten in place (same shape and dtype, as
        # AttributeManager.modify does); the caller's one flush writes both
        # with their checksum
        f = self._f
        if self.status != status:
            f.attrs["status"] = status
        modify_int(f, "last_complete_generation", np.int64(g), self._int_attrs)
        if _CHECKSUM or STATE_CRC in f.attrs:
            modify_int(f, STATE_CRC, np.int64(state_crc(status, g)), self._int_attrs)

    def _write_state(self, status: str, g: int) -> None:
        """:meth:`_set_state`, and keep the state written (re-read from the
        file after a failure)."""
        try:
            self._set_state(status, g)
        except BaseException:
            self._state = None
            raise
        self._state = (status, g)

    def _set_last_complete(self, g: int) -> None:
        self._write_state(self.status, g)

    def append_generation(self, g: int, *, genomes, loss, age, uid, parent_uid,
                          phenotype_id, mutation_class, evals_per_s, class_counts=None) -> None:
        """Write generation ``g`` and mark it complete.

        Rows are written and flushed, then ``last_complete_generation = g`` is
        set and flushed: the attribute never runs ahead of the data.

        Parameters
        ----------
        g : int, must equal ``last_complete_generation + 1``
        genomes : (P, D) float32
        loss : (P,) float64 (float32 or integers accepted: cast exactly)
        age, uid : (P,) int64
        parent_uid : (P,) int64, -1 for none
        phenotype_id : (P,) int64, -1 for degenerate
        mutation_class : (P,) int8 codes (:data:`~alife.store.MUTATION_CLASS_NAMES`)
        evals_per_s : float
        class_counts : (6,) int, mutation-class counts over all offspring
            (codes -1..4); None for zeros

        Notes
        -----
        ``P`` and ``D`` are fixed by the first generation; integer arrays of
        another integer dtype are accepted when their values fit, floats are
        never narrowed (a float64 genome is an error, not a silent cast).

        Raises
        ------
        RunFileError
            Wrong generation number, shape or dtype, invalid values, rows of
            an incomplete generation still present (call
            :meth:`truncate_to_last_complete` first), a read-only or finished run.
        """
        f = self._writable()
        status = self.status
        if status != "running":
            raise RunFileError(f"{self.path}: run is marked {status!r}; "
                               "call mark_running() to append more generations")
        last = self.last_complete_generation
        if not is_integer(g) or g != last + 1:
            raise RunFileError(f"{self.path}: expected generation {last + 1} "
                               f"(last complete is {last}), got {g!r}")
        # each dataset opened once, closed on return (open across generations,
        # they change the byte layout: a resumed run would differ in bytes)
        dsets = DatasetIDs(f)
        given = dict(genomes=genomes, loss=loss, age=age, uid=uid, parent_uid=parent_uid,
                     phenotype_id=phenotype_id, mutation_class=mutation_class)
        P, D = ((dsets["loss"].shape[1], dsets["genomes"].shape[2]) if last >= 0 else (None, None))
        rows = check_generation_rows(self.path, given, evals_per_s, class_counts, P, D)
        P, D = rows["genomes"].shape
        if g == 0:
            # fresh datasets shaped by this generation; any left by a first
            # generation that never completed hold nothing worth keeping
            delete_datasets(f)
            create_datasets(f, P, D, _CHECKSUM)
        has_crc = CRC in dsets
        for name in list(series(P, D)) + ([CRC] if has_crc else []):
            n = dsets[name].shape[0]
            if n != g:
                raise RunFileError(f"{self.path}: {name} holds {n} generation(s) but "
                                   f"{g} are complete; call truncate_to_last_complete() first")
        grp = self._pheno()
        n_pheno = grp["id"].shape[0]
        if has_crc:
            if self._pheno_done is None:
                self._pheno_done = _pheno.complete_rows(grp, self.path, g - 1)
            # the phenotype rows add_phenotypes just wrote, else read back
            pending = _pheno.joined(self._new_pheno, self._pheno_done, n_pheno, g)
            if pending is None:
                pending = _pheno.pending_rows(grp, self.path, self._pheno_done, n_pheno, g)
            rows[CRC] = np.uint32(generation_crc(rows, pending))
        for name, row in rows.items():
            append_rows(dsets[name], g, row, one=True)
        self.flush()
        self._set_last_complete(g)
        self.flush()
        self._pheno_done = n_pheno
        self._new_pheno = []
        self._last_crc = (g, int(rows[CRC])) if has_crc else None

    def add_phenotypes(self, ids, patterns) -> int:
        """Store the patterns whose ids are not stored yet; return how many were new.

        Call it for a generation's phenotypes *before* that generation's
        :meth:`append_generation`: each new pattern is tagged with the pending
        generation (``last_complete_generation + 1``), so patterns of a
        generation that never completed are removed by :meth:`truncate_to`.

        Parameters
        ----------
        ids : (K,) int array, phenotype ids (>= 0; -1, degenerate, is skipped)
        patterns : (K, H, W) bool (or 0/1 integer) array, ``patterns[k]`` has
            id ``ids[k]``; repeated ids are stored once (first occurrence)
        """
        self._writable()
        return _pheno.append(self._pheno(), self.path, ids, patterns,
                             self.last_complete_generation + 1,
                             self._known.ids(self._pheno(), self.path), self._new_pheno)

    def truncate_to(self, generation: int) -> None:
        """Keep generations ``0 .. generation`` only (``-1``: none).

        Shrinks every dataset to ``generation + 1`` rows (``-1`` deletes the
        datasets; the next first generation creates them), deletes phenotypes
        first stored for a later generation, sets ``last_complete_generation``
        and flushes.  Used on resume with the checkpoint's generation, which
        may be behind the file's ``last_complete_generation`` when the process
        died between appending a generation and checkpointing it.
        """
        f = self._writable()
        last = self.last_complete_generation
        if not is_integer(generation) or not -1 <= generation <= last:
            raise RunFileError(f"{self.path}: can truncate to a generation in -1..{last} "
                               f"(last complete), got {generation!r}")
        n = generation + 1
        if n == 0:
            delete_datasets(f)  # the first append creates them anew
        for name in list(series(0, 0)) + [CRC]:
            if name in f and f[name].shape[0] > n:
                f[name].resize(n, axis=0)
        self._last_crc = None
        self._new_pheno = []
        n_keep = _pheno.truncate(f[PHENO_GROUP], self.path, generation)
        self._known.reset()
        self._pheno_done = n_keep
        self._set_last_complete(generation)
        self.flush()

    def truncate_to_last_complete(self) -> None:
        """Discard rows and phenotypes of a generation written but never marked
        complete (the process died mid-generation): ``truncate_to(last_complete_generation)``."""
        self.truncate_to(self.last_complete_generation)

    def mark_done(self) -> None:
        """Set ``status = "done"`` and flush."""
        self._writable()
        self._write_state("done", self.last_complete_generation)
        self.flush()

    def mark_running(self) -> None:
        """Set ``status = "running"`` (to extend a finished run) and flush."""
        self._writable()
        self._write_state("running", self.last_complete_generation)
        self.flush()
