"""Safe writes: atomic replacement, exclusive temporary files, guarded targets.

Every file the store writes in one piece (a new run file, a checkpoint, a
progress file, a result file, a report, a table) goes through
:func:`atomic_write`, so its path always holds either the previous complete
file or the new complete file, whatever moment the process is killed at.

The temporary file is ``.NAME.TAG-PID-RANDOM`` in the same folder
(:func:`temp_path`): a name nobody can guess in advance, created with
``O_CREAT | O_EXCL`` (:func:`open_exclusive`, or h5py's mode ``"x"``), so a
symlink or file planted under a temporary name is never followed or
overwritten: the write fails instead.  A killed process leaves its
temporary file behind; :func:`remove_stale_temps` deletes those whose
process no longer exists.

Targets are guarded (:func:`check_target`): a path that is not a regular file
(a directory, a character or block device, a FIFO, a socket, or a symlink to
one of these) is never replaced, not even with ``--force``; a symlink to a
regular file is replaced by the new file (the file it pointed to is left
alone).  :func:`refuse_same_file` keeps an output from being one of the
command's inputs.
"""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path

from .errors import RunFileError

__all__ = ["atomic_write", "temp_path", "remove_stale_temps", "fsync_path", "TEMP_TAGS",
           "open_exclusive", "check_target", "refuse_same_file", "read_regular_bytes",
           "check_regular_input"]

#: The tags of temporary names: ``writing`` (replacing a file), ``creating``
#: (a new run file).
TEMP_TAGS = ("writing", "creating")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def fsync_path(path: Path, directory: bool = False) -> None:
    """fsync a file (or a directory entry, where the OS allows it).

    A file is opened with ``O_NOFOLLOW``: a temporary name swapped for a
    symlink is refused, not followed."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else _NOFOLLOW | _NONBLOCK)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # e.g. Windows: directories cannot be opened
            return
        raise
    try:
        if not directory and not stat.S_ISREG(os.fstat(fd).st_mode):
            raise RunFileError(f"{path} is not a regular file; refusing to use it")
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def temp_path(path: Path, tag: str) -> Path:
    """A fresh temporary name for ``path``: ``.NAME.TAG-PID-RANDOM`` (64 random bits)."""
    return Path(path).with_name(f".{Path(path).name}.{tag}-{os.getpid()}-{secrets.token_hex(8)}")


def open_exclusive(path, mode: str = "wb"):
    """Create ``path`` and open it for writing, failing if anything (a file, a
    symlink) is already there: ``O_CREAT | O_EXCL | O_NOFOLLOW``.

    Parameters
    ----------
    path : the file to create
    mode : ``"wb"`` or ``"w"`` (text, UTF-8)
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o666)
    if mode == "wb":
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, mode, encoding="utf-8")


def remove_stale_temps(path: Path) -> None:
    """Delete the temporary files (:func:`temp_path`) of ``path`` that a
    killed process left behind: those whose process no longer exists."""
    path = Path(path)
    tags = "|".join(TEMP_TAGS)
    pattern = re.compile(re.escape(f".{path.name}.") + rf"(?:{tags})-([0-9]{{1,10}})(?:-[0-9a-f]{{16}})?\Z")
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for e in entries:
        m = pattern.match(e.name)
        if m is None or int(m.group(1)) in (os.getpid(), 0):
            continue
        pid = m.group(1)
        try:
            os.kill(int(pid), 0)
            continue                   # still running (or not ours to signal)
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, OSError):
            continue
        with contextlib.suppress(OSError):
            os.unlink(e.path)          # a planted symlink: the link goes, never its target


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_target(path, *, force: bool = False, what: str = "--out") -> bool:
    """Check that ``path`` may be written (replaced atomically); return
    whether something is there now.

    Refused, even with ``force``: a directory, device, FIFO or socket, or a
    symlink to one of these.  Refused without ``force``: an existing file (or
    symlink, dangling or not).

    Raises
    ------
    RunFileError
        One line naming ``path`` and what is wrong.
    """
    path = Path(path)
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise RunFileError(f"{path} cannot be examined ({e.strerror}); choose another {what}") from None
    mode = lst.st_mode
    if stat.S_ISLNK(mode):
        try:
            mode = os.stat(path).st_mode
        except OSError:
            mode = stat.S_IFREG        # a dangling symlink: replacing the link harms nothing
    if not stat.S_ISREG(mode):
        raise RunFileError(f"{path} is {_kind_of(mode)}, not a regular file; alife never "
                           f"replaces it, not even with --force; choose another {what}")
    if not force:
        raise RunFileError(f"{path} already exists; use --force to overwrite it or a new {what}")
    return True


def refuse_same_file(out, inputs, *, what: str = "--out") -> None:
    """Refuse an output that is one of the inputs (the same file by
    :func:`os.path.samefile`, or the same real path).

    Parameters
    ----------
    out : the output path
    inputs : iterable of input paths (None entries are skipped)
    """
    out = Path(out)
    real = os.path.realpath(out)
    for src in inputs:
        if src is None:
            continue
        same = os.path.realpath(src) == real
        if not same:
            with contextlib.suppress(OSError):
                same = os.path.samefile(src, out)
        if same:
            raise RunFileError(f"{what} {out} is also an input ({src}); alife never writes over "
                               f"its input, not even with --force; choose another {what}")


def check_regular_input(path) -> os.stat_result:
    """``os.stat`` of an input that must be a regular file (reading a FIFO or
    a device could block forever or never end).

    Raises
    ------
    RunFileError
        One line: missing, or not a regular file.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise RunFileError(f"{path} does not exist") from None
    except OSError as e:
        raise RunFileError(f"{path} cannot be read ({e.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise RunFileError(f"{path} is {_kind_of(st.st_mode)}, not a regular file")
    return st


def read_regular_bytes(path) -> bytes:
    """The bytes of a regular file (a FIFO or device is refused before any read).

    Raises
    ------
    RunFileError
        One line: missing, or not a regular file; OSError for a read error.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _CLOEXEC)
    except FileNotFoundError:
        raise RunFileError(f"{path} does not exist") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RunFileError(f"{path} is {_kind_of(st.st_mode)}, not a regular file")
        return fh.read()


@contextlib.contextmanager
def atomic_write(path: Path, tag: str = "writing"):
    """Yield a fresh temporary path next to ``path`` to create and write.

    The caller creates the temporary file exclusively (:func:`open_exclusive`,
    or ``h5py.File(tmp, "x")``).  When the block ends without error, the
    temporary file is fsync'ed, moved over ``path`` (:func:`os.replace`) and
    the folder fsync'ed; on an error it is removed.  ``path`` always holds
    either its previous content or the new, complete file.

    Parameters
    ----------
    path : Path
        The destination; refused when it is not a regular file
        (:func:`check_target`; existence is the caller's business).
    tag : str
        One of :data:`TEMP_TAGS`, part of the temporary name.
    """
    path = Path(path)
    check_target(path, force=True)
    tmp = temp_path(path, tag)
    try:
        yield tmp
        fsync_path(tmp)
        check_target(path, force=True)   # nothing swapped in meanwhile
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            if not stat.S_ISLNK(os.lstat(tmp).st_mode):   # never ours: left as found
                os.unlink(tmp)
        raise
    fsync_path(path.parent, directory=True)
