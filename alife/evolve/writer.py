"""Write one generation to disk while the next one develops.

Storing a generation (the flushed, fsync'ed append to the run file and the
atomic checkpoint) waits mostly on the disk, and the HNCA kernels release
the GIL, so the runner hands each generation's writes to one background
thread and develops the next generation meanwhile.  :class:`GenerationWriter`
keeps the crash guarantees of writing in line:

* one write at a time, in order: :meth:`~GenerationWriter.submit` first
  waits for the previous write, so generation ``g + 1`` is never written
  before generation ``g`` is durable (appended, flushed, fsync'ed and
  checkpointed);
* the files see exactly the calls, in exactly the order, of writing in line
  (only the thread differs), so a process killed at any moment leaves what
  writing in line could have left, and resumes from its last checkpoint to
  the same bytes;
* an error of a write is raised in the calling thread, by the next
  :meth:`~GenerationWriter.submit` or :meth:`~GenerationWriter.wait`, never
  lost; no later write starts after it.

With ``background=False`` every write runs in the calling thread at
:meth:`~GenerationWriter.submit` (the same files, bit for bit).
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

__all__ = ["GenerationWriter"]


class GenerationWriter:
    """Run write jobs one at a time, in order, on one background thread.

    Parameters
    ----------
    background : bool
        True: each job runs on the writer thread while the caller goes on;
        False: each job runs in the calling thread at :meth:`submit`.

    Notes
    -----
    A job must own its arguments: the caller must not change an array it
    handed to a job (pass copies of anything it will modify).
    """

    def __init__(self, background: bool = True):
        self.background = bool(background)
        self._pool: ThreadPoolExecutor | None = None
        self._job: Future | None = None

    def submit(self, fn: Callable, *args, **kwargs) -> None:
        """Wait for the previous job (raising its error), then start ``fn(*args, **kwargs)``."""
        self.wait()
        if not self.background:
            fn(*args, **kwargs)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alife-writer")
        self._job = self._pool.submit(fn, *args, **kwargs)

    def wait(self) -> None:
        """Block until the job in flight (if any) is done; raise its error here."""
        job = self._job
        if job is None:
            return
        try:
            job.result()
        finally:
            if job.done():     # not when the wait itself was interrupted (Ctrl-C)
                self._job = None

    def close(self) -> BaseException | None:
        """Wait for the job in flight and stop the thread; return (not raise)
        the job's error, if any, for a caller already handling another one."""
        try:
            self.wait()
        except BaseException as e:       # noqa: BLE001 - handed back to the caller
            return e
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
        return None
