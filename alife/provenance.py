"""What software and machine are running now: package versions and host facts.

Used by :mod:`alife.report` to say what generated a report (next to what
the run or result file itself records).  Versions are read from the
installed distributions' metadata, so nothing heavy (torch) is imported.
"""
from __future__ import annotations

import os
import platform
import socket
import sys
from datetime import datetime, timezone
from importlib import metadata

from . import __version__

#: Distributions whose versions are reported (absent ones are "not installed").
PACKAGES = ("numpy", "numba", "h5py", "scipy", "networkx", "matplotlib", "torch")


def package_versions(packages=PACKAGES) -> dict[str, str]:
    """``{"python": ..., "alife": ..., name: version or "not installed"}``."""
    out = {"python": platform.python_version(), "alife": __version__}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def machine() -> dict[str, object]:
    """Platform string, CPU count, hostname, Python implementation and executable."""
    return {"platform": platform.platform(), "machine": platform.machine(),
            "cpu_count": os.cpu_count(), "hostname": socket.gethostname(),
            "python_implementation": platform.python_implementation(),
            "python_executable": sys.executable}


def current() -> dict[str, object]:
    """Everything above plus the time (UTC, ISO 8601): a JSON-able dict."""
    return {"time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": package_versions(), "machine": machine()}
