"""One writer per result: an exclusive OS lock held for the whole command.

``alife evolve``, ``neutral``, ``bridge``, ``compare``, ``genonets``,
``report`` and ``plot`` take the lock of their output before they look at
what is there (does it exist? is it a finished run? is there progress to
resume?) and keep it until they are done, so two processes can never write
one result, and ``--force`` never replaces a file another process is still
writing.

* A file output ``OUT`` is locked through ``OUT.lock`` beside it
  (:func:`lock_path`): the file is created if needed and locked with
  ``flock(LOCK_EX | LOCK_NB)``; the holder deletes it when it is done.  The
  kernel releases a flock when its process dies, so a lock file left behind
  by a killed process never blocks anyone: the next command takes it over
  (and deletes it when it is done).  After locking, the holder checks that
  the name still points to the file it locked; if the previous holder
  deleted it in between, it starts over, so two processes can never each
  hold a lock on a different file of the same name.
* A folder output (figures, genonets files) is locked by flocking the folder
  itself: no file is added to it.

A second writer is refused at once with :class:`OutputLockedError` (one
line: the file, and that another alife process is writing it).  Where
``fcntl`` does not exist (Windows) the lock is a no-op.
"""
from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from .atomic import check_target
from .errors import RunFileError

try:                     # POSIX only
    import fcntl
except ImportError:      # pragma: no cover - Windows
    fcntl = None

__all__ = ["OutputLockedError", "lock_path", "output_lock", "folder_lock", "LOCK_SUFFIX"]

#: ``OUT`` -> ``OUT`` + this suffix, the lock file of a file output.
LOCK_SUFFIX = ".lock"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class OutputLockedError(RunFileError):
    """Another process holds the lock of an output (one line, exit 2 in the CLI)."""


def lock_path(path) -> Path:
    """``OUT`` -> ``OUT.lock`` (same folder)."""
    path = Path(path)
    return path.with_name(path.name + LOCK_SUFFIX)


def _locked_message(path: Path) -> str:
    return (f"{path} is locked: another alife process is writing it; wait for it to finish "
            f"or choose another output (--force never takes over a live run)")


def _flock(fd: int, path: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputLockedError(_locked_message(path)) from None
    except OSError as e:
        raise RunFileError(f"{path}: cannot lock it ({e.strerror})") from None


def _open_lock_file(lock: Path, path: Path) -> int:
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _CLOEXEC | _NONBLOCK, 0o666)
    except OSError as e:
        why = "it is a symlink" if os.path.islink(lock) else e.strerror
        raise RunFileError(f"{path}: cannot use the lock file {lock} ({why}); remove it or "
                           f"choose another output") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RunFileError(f"{path}: the lock file {lock} is not a regular file; remove it or "
                           f"choose another output")
    return fd


@contextlib.contextmanager
def output_lock(path):
    """Hold the exclusive lock of the file output ``path`` for the block.

    Creates the output's folder (as the writers do) and ``OUT.lock``; deletes
    ``OUT.lock`` on the way out.

    Raises
    ------
    OutputLockedError
        Another process holds the lock.
    RunFileError
        ``path`` is there but not a regular file (a directory, device, FIFO:
        refused before a lock file is made), or the lock file cannot be
        created or is not a regular file.
    """
    path = Path(path)
    if fcntl is None:                            # pragma: no cover
        yield path
        return
    check_target(path, force=True)     # a device or FIFO output: refused before any lock file
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(1000):
        fd = _open_lock_file(lock, path)
        try:
            _flock(fd, path)
            mine = os.fstat(fd)
            try:
                now = os.stat(lock, follow_symlinks=False)
            except FileNotFoundError:
                now = None
        except BaseException:
            os.close(fd)
            raise
        if now is not None and (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
            break
        os.close(fd)      # the previous holder deleted the file between our open and lock
    else:                                         # pragma: no cover
        raise RunFileError(f"{path}: could not take the lock {lock}; try again")
    try:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)                       # still ours: deleted before it is released
        os.close(fd)


@contextlib.contextmanager
def folder_lock(path):
    """Hold the exclusive lock of the folder output ``path`` for the block
    (the folder is created if needed and flocked itself; nothing is added to
    it; the folders created here, the output and any missing parents, are
    removed at the end while they are still empty).

    Raises
    ------
    OutputLockedError
        Another process holds the lock.
    RunFileError
        ``path`` exists and is not a folder.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise RunFileError(f"{path} is not a folder; give a folder for the output")
    created = [p for p in (path, *path.parents) if not p.exists()]   # innermost first
    path.mkdir(parents=True, exist_ok=True)
    try:
        if fcntl is None:                         # pragma: no cover
            yield path
            return
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
        try:
            _flock(fd, path)
            yield path
        finally:
            os.close(fd)
    finally:
        for p in created:                         # made here and left empty: not kept
            try:
                os.rmdir(p)
            except OSError:
                break                             # not empty (or gone): its parents are kept too
