"""Reading whole HDF5 result files in tests (import as ``from h5files import datasets``)."""
import h5py


def datasets(path, skip=("timing/",), attrs: bool = False) -> dict:
    """Every dataset of an HDF5 file by name, as arrays, but those whose name
    starts with a ``skip`` prefix (wall-clock timing, which no rerun can
    reproduce); with ``attrs``, the root attributes too, under ``"@attrs"``."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) and not name.startswith(skip) else None)
        if attrs:
            out["@attrs"] = dict(f.attrs.items())
    return out
