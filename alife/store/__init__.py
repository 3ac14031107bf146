"""Everything alife writes to disk, and reads back.

This is the only package of alife that imports :mod:`h5py`.  It imports
nothing from the rest of alife but the version string and
:func:`alife.provenance.recorded` (package versions, git commit, platform:
stamped into every run and result file it creates), so every other
package can use it.

Modules
-------
:mod:`.runfile`       :class:`RunFile`, the HDF5 file of one evolution run
                      (crash-safe appends, resume, :meth:`RunFile.verify`)
:mod:`.layout`        its layout: datasets, mutation-class codes, checksums
:mod:`.runh5`         its HDF5 structure made, opened and verified chunk by chunk
:mod:`.phenotypes`    the content-addressed phenotype store inside it
:mod:`.checkpoint`    ``RUN.h5.ckpt.npz``, the resume checkpoint
:mod:`.progress`      ``NET.h5.partial``, the progress of an analysis
:mod:`.results`       result files (``NET.h5``, ``BRIDGE.h5``, ...):
                      :func:`write_results`, :func:`read_results`, :func:`result_kind`
:mod:`.verify`        :func:`verify_file`, the check behind ``alife verify``
:mod:`.tables`        :func:`load` any file; its tables for pandas and xarray
                      (``run.to_pandas()``, ``result.to_pandas("networks")``)
:mod:`.atomic`        :func:`atomic_write`: exclusive temporary file, fsync,
                      rename; :func:`check_target`, :func:`refuse_same_file`
:mod:`.lock`          :func:`output_lock`, :func:`folder_lock`: one writer per output
:mod:`.plain`         plain data (JSON + arrays) for progress files: no pickle
:mod:`.errors`        :class:`RunFileError`

Guarantees
----------
* every file written in one piece (run-file creation, checkpoint, progress,
  result file) is replaced atomically: its path holds the previous complete
  file or the new complete file, never a part;
* a run file is flushed generation by generation and never claims a
  generation whose rows are not on disk; a resumed run's datasets are
  bit-identical to an uninterrupted run's (every write is a deterministic
  function of its inputs);
* every run-file dataset carries a Fletcher-32 checksum per chunk, the
  header a CRC-32, the status and generation count a CRC-32, every
  generation a CRC-32; every result-file dataset a CRC-32 and its attributes
  and dataset list one more; a damaged file raises :class:`RunFileError`
  (one line naming the file), never a bare HDF5 error, and is never resumed;
* nothing read back can run code: checkpoints and progress files are
  ``.npz`` read with ``allow_pickle=False`` plus JSON (:mod:`.plain`);
* one writer per output (:func:`output_lock`, :func:`folder_lock`), a
  checkpoint only resumes its own run (:func:`check_checkpoint`);
* temporary files get fresh names and are created exclusively; targets that
  are not regular files are never replaced (:func:`check_target`).

Example
-------
>>> from alife.store import RunFile                      # doctest: +SKIP
>>> with RunFile.open("RUN.h5") as rf:                   # doctest: +SKIP
...     loss = rf.read("loss")                           # (G, P) float64
"""
from .atomic import atomic_write, check_target, refuse_same_file
from .checkpoint import (CHECKPOINT_FIX, Checkpoint, check_checkpoint, checkpoint_path,
                         load_checkpoint, read_checkpoint, write_checkpoint)
from .errors import RunFileError
from .layout import (DATASETS, GENERATION_DATASETS, MUTATION_BENEFICIAL, MUTATION_CLASS_NAMES,
                     MUTATION_CRYPTIC, MUTATION_DELETERIOUS, MUTATION_NEUTRAL_CHANGED,
                     MUTATION_NONE, MUTATION_SILENT, PHENOTYPE_DATASETS, SCHEMA_VERSION,
                     TIMING_DATASETS)
from .lock import OutputLockedError, folder_lock, lock_path, output_lock
from .progress import progress_key, progress_path, read_progress, write_progress
from .results import (RESULTS_SCHEMA_VERSION, ResultFile, UnverifiedResultWarning, read_results,
                      result_kind, write_results)
from .runfile import IN_MEMORY, RunFile
from .tables import (GENERATION_COLUMNS, RUN_TABLES, generation_columns, load, result_table,
                     result_tables, run_dataset, run_table)
from .verify import verify_file

__all__ = [
    # run file
    "RunFile", "RunFileError", "IN_MEMORY", "SCHEMA_VERSION", "DATASETS", "GENERATION_DATASETS",
    "TIMING_DATASETS", "PHENOTYPE_DATASETS",
    "MUTATION_NONE", "MUTATION_BENEFICIAL", "MUTATION_SILENT", "MUTATION_CRYPTIC",
    "MUTATION_DELETERIOUS", "MUTATION_NEUTRAL_CHANGED", "MUTATION_CLASS_NAMES",
    # checkpoint
    "checkpoint_path", "write_checkpoint", "read_checkpoint", "load_checkpoint",
    "check_checkpoint", "Checkpoint", "CHECKPOINT_FIX",
    # progress of an analysis
    "progress_path", "write_progress", "read_progress", "progress_key",
    # result files
    "RESULTS_SCHEMA_VERSION", "write_results", "read_results", "result_kind", "ResultFile",
    "UnverifiedResultWarning",
    # integrity, safe writes, one writer per output
    "verify_file", "atomic_write", "check_target", "refuse_same_file",
    "output_lock", "folder_lock", "lock_path", "OutputLockedError",
    # tables (pandas, xarray) and opening any file
    "load", "GENERATION_COLUMNS", "RUN_TABLES", "generation_columns", "run_table",
    "run_dataset", "result_tables", "result_table",
]
