"""Reads whose size a file declares but does not hold are refused before they start.

An HDF5 dataset declares its shape in a few bytes of metadata; its data
need not be there (chunks never written read back as the fill value), and
compressed chunks can unpack to far more than they occupy.  So a 60 KB file
can declare a 10**9-element dataset, and reading it would allocate 8 GB
before anything could be checked.  :func:`check_read` compares the bytes a
read would return with the bytes the dataset really stores on disk: gzip
(deflate, the only compression alife writes) unpacks at most about 1032
bytes per stored byte, so a read of more than :data:`MAX_RATIO` times the
stored size (plus :data:`SLACK` for small datasets and metadata) cannot
hold real data, and is refused with one line naming the file and the
dataset.  Data alife wrote always pass: every dataset of a result file is
written whole, and the rows of a run file that are read are complete.
"""
from __future__ import annotations

from pathlib import Path

import h5py

from .errors import RunFileError

__all__ = ["MAX_RATIO", "SLACK", "check_read"]

#: The most bytes a read may return per byte the dataset stores (deflate's
#: limit is about 1032:1).
MAX_RATIO = 1100
#: Bytes a read may return beyond :data:`MAX_RATIO` x the stored size.
SLACK = 1 << 16


def check_read(ds: h5py.Dataset, path, n_elements: int | None = None) -> None:
    """Refuse to read ``n_elements`` of ``ds`` (default: all of it) when the
    dataset cannot hold that much data.

    Raises
    ------
    RunFileError
        One line naming ``path``, the dataset, the bytes the read would
        return and the bytes stored.
    """
    n = ds.size if n_elements is None else int(n_elements)
    wanted = int(n) * ds.dtype.itemsize
    if wanted <= SLACK:
        return
    stored = ds.id.get_storage_size()
    if wanted > MAX_RATIO * stored + SLACK:
        raise RunFileError(f"{Path(path)}: dataset {ds.name.lstrip('/')} declares "
                           f"{tuple(ds.shape)} {ds.dtype} ({wanted:,} bytes) but stores only "
                           f"{stored:,} bytes; the file is damaged or was not written by "
                           f"alife, and is not read")
