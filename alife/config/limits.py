"""Size limits: the memory and the work a config may ask for before it runs.

Every config (evolution, neutral analysis, bridge) estimates, from its sizes
alone, the memory its run will hold at its peak and the work it will do, and
refuses to start when either is over a limit.  The estimate is a sum of
:class:`Term` s (e.g. "the populations' genomes", "developing the offspring")
computed by the config's own module; this module holds the limits, the check
and the messages.

The limits
----------
``memory``
    Bytes.  Default: half of this machine's physical memory (or of the
    memory limit of the control group the process runs in, when that is
    lower); 8 GiB where neither can be read.
``work``
    Operations, default :data:`DEFAULT_MAX_WORK` (1e16).  One operation is
    one multiply-add: an HNCA cell update costs as many operations as its
    level has genes (a weight applied to one cell at one step), an MLP
    costs one operation per weight and example forward (three with the
    backward pass), an RNA fold about ``100 L**3``, a table or toy map
    lookup ``L``.  At :data:`NOMINAL_RATE` (1e10 operations/s, about what
    one small machine does) 1e16 operations take about twelve days: the
    limit stops runs that would take weeks or never end (``steps =
    10**12``); a run meant to be that long says so with ``--max-work``.

Both can be raised (or lowered) with an environment variable or, on the
command line, a flag (``alife evolve|neutral|bridge|genonets ... --max-memory
64G --max-work 1e18``), which wins over the variable::

    ALIFE_MAX_MEMORY=64G      # bytes; suffixes K, M, G, T, P (powers of 1024),
                              # or KB/MB/GB/TB/PB (powers of 1000); "none" = no limit
    ALIFE_MAX_WORK=1e18       # operations; "none" = no limit

A refusal is one line that names the key whose value makes the estimate
largest (the one that, set back to its usual value, shrinks it most) and the
estimate, e.g.::

    evolve.toml: [algorithm] pop_size: 10000000 would make the run need about 65.3 GiB
    of memory (mostly developing and scoring 10000002 offspring: 5936 state values
    each, 64x64 phenotypes), over the limit of 11.8 GiB; use smaller sizes, or raise
    the limit with --max-memory or ALIFE_MAX_MEMORY

Estimates are rough (within a small factor) and meant to catch sizes that
are absurd, not to budget a run closely.
"""
from __future__ import annotations

import contextlib
import math
import os
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from .errors import Invalid
from .messages import show_value

__all__ = ["MEMORY_ENV", "WORK_ENV", "DEFAULT_MAX_WORK", "NOMINAL_RATE", "Term", "max_memory",
           "max_work", "default_max_memory", "physical_memory", "parse_size", "parse_count",
           "limits", "format_bytes", "format_duration", "check_estimate", "over_memory"]

#: The environment variable of the memory limit (bytes, e.g. ``64G``).
MEMORY_ENV = "ALIFE_MAX_MEMORY"
#: The environment variable of the work limit (operations, e.g. ``1e18``).
WORK_ENV = "ALIFE_MAX_WORK"
#: The default work limit, in operations (multiply-adds).
DEFAULT_MAX_WORK = 1e16
#: Operations per second quoted in messages to turn work into a duration.
NOMINAL_RATE = 1e10
#: The default memory limit where the machine's memory cannot be read.
FALLBACK_MEMORY = 8 << 30

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20,
          "g": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40, "p": 1 << 50,
          "pib": 1 << 50, "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9, "tb": 10 ** 12,
          "pb": 10 ** 15}
_NONE = ("none", "off", "inf", "unlimited")
_NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$")

#: Limits set by the command line (or :func:`limits`) for the current process.
_OVERRIDE: dict[str, float] = {}


def parse_size(text: str, what: str = MEMORY_ENV) -> float:
    """Bytes of a size such as ``64G``, ``512MiB``, ``1.5T``, ``2e9`` or ``none`` (inf).

    Raises
    ------
    ValueError
        One line naming ``what`` and the accepted forms.
    """
    s = str(text).strip()
    if s.lower() in _NONE:
        return math.inf
    m = _NUMBER.match(s)
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS:
        raise ValueError(f"{what} = {s!r} is not a size; write bytes with an optional unit, "
                         f"e.g. 64G, 512M, 2TB, or none for no limit")
    value = float(m.group(1)) * _UNITS[unit]
    if not value > 0:
        raise ValueError(f"{what} = {s!r} must be more than 0 (or none for no limit)")
    return value


def parse_count(text: str, what: str = WORK_ENV) -> float:
    """A number of operations such as ``1e18`` or ``none`` (inf).

    Raises
    ------
    ValueError
        One line naming ``what``.
    """
    s = str(text).strip()
    if s.lower() in _NONE:
        return math.inf
    try:
        value = float(s)
    except ValueError:
        value = math.nan
    if not value > 0:
        raise ValueError(f"{what} = {s!r} is not a positive number of operations; write e.g. "
                         f"1e18, or none for no limit")
    return value


def _cgroup_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as f:
                text = f.read(64).strip()
        except (OSError, ValueError):
            continue
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    return None


def physical_memory() -> int | None:
    """Bytes of memory this process can use: the physical memory, or the
    control group's limit when lower; None where neither can be read."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        total = None
    if total is not None and total <= 0:
        total = None
    cg = _cgroup_limit()
    if cg is not None and (total is None or cg < total):
        total = cg
    return total


def default_max_memory() -> float:
    """Half of :func:`physical_memory`, or 8 GiB where it cannot be read."""
    total = physical_memory()
    return FALLBACK_MEMORY if total is None else total / 2


def max_memory() -> float:
    """The memory limit in bytes (inf for none): the command line's, else
    ``ALIFE_MAX_MEMORY``, else :func:`default_max_memory`."""
    if "memory" in _OVERRIDE:
        return _OVERRIDE["memory"]
    env = os.environ.get(MEMORY_ENV)
    return parse_size(env) if env else default_max_memory()


def max_work() -> float:
    """The work limit in operations (inf for none): the command line's, else
    ``ALIFE_MAX_WORK``, else :data:`DEFAULT_MAX_WORK`."""
    if "work" in _OVERRIDE:
        return _OVERRIDE["work"]
    env = os.environ.get(WORK_ENV)
    return parse_count(env) if env else DEFAULT_MAX_WORK


@contextlib.contextmanager
def limits(memory: str | float | None = None, work: str | float | None = None) -> Iterator[None]:
    """Set the limits for the block (what ``--max-memory`` / ``--max-work`` do).

    ``memory`` is a size (``"64G"`` or bytes), ``work`` a number of
    operations; None leaves a limit as it is.  Raises ValueError (one line)
    for a malformed value, before the block runs.
    """
    new = {}
    if memory is not None:
        new["memory"] = (parse_size(memory, "--max-memory") if isinstance(memory, str)
                         else float(memory))
    if work is not None:
        new["work"] = parse_count(work, "--max-work") if isinstance(work, str) else float(work)
    old = dict(_OVERRIDE)
    _OVERRIDE.update(new)
    try:
        yield
    finally:
        _OVERRIDE.clear()
        _OVERRIDE.update(old)


def format_bytes(n: float) -> str:
    """``1.9 TiB``, ``512 MiB``, ``300 bytes``."""
    if not math.isfinite(n):
        return "unlimited"
    for unit, size in (("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20),
                       ("KiB", 1 << 10)):
        if n >= size:
            v = n / size
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.3e} {unit}"
    return f"{int(n)} bytes"


def format_duration(seconds: float) -> str:
    """``40 seconds``, ``3.2 hours``, ``12 days``, ``4.1e+05 years``."""
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600),
                       ("minutes", 60)):
        if seconds >= size:
            v = seconds / size
            return f"{v:.3g} {unit}" if v < 1e4 else f"{v:.1e} {unit}"
    return f"{seconds:.2g} seconds"


@dataclass(frozen=True)
class Term:
    """One part of an estimate: ``amount`` bytes (or operations) for ``what``.

    ``key`` is the config key most responsible for it, blamed when no key
    the user set stands out (see :func:`check_estimate`).
    """

    key: str | None
    amount: float
    what: str


def _total(terms) -> float:
    return float(sum(t.amount for t in terms))


def _ratio(value, ref) -> float:
    """How much larger ``value`` is than its usual value ``ref`` (sums for arrays)."""
    if isinstance(value, (list, tuple)) and isinstance(ref, (list, tuple)):
        value, ref = sum(value), sum(ref)
    try:
        return value / ref if ref > 0 else (math.inf if value > 0 else 1.0)
    except TypeError:
        return 1.0


def _blame(estimate: Callable[[dict], list], inputs: dict, references: dict, total: float,
           terms: list) -> str | None:
    """The input key to blame for an estimate over its limit.

    Every key whose value differs from its usual value is set back to it in
    turn; among those that shrink the total at least by half, the one with
    the largest ``min(shrink factor, value / usual value)`` is blamed (so a
    budget set a million times too high is named before a genotype length
    merely above the usual one).  If none shrinks it, the key of the largest
    term.
    """
    best, best_score = None, 0.0
    for key, value in inputs.items():
        ref = references.get(key)
        if ref is None or ref == value:
            continue
        try:
            smaller = _total(estimate({**inputs, key: ref}))
        except (ValueError, KeyError, TypeError, ArithmeticError):
            continue
        shrink = total / max(smaller, 1.0)
        score = min(shrink, _ratio(value, ref))
        if shrink >= 2.0 and score > best_score:
            best, best_score = key, score
    if best is not None:
        return best
    return max(terms, key=lambda t: t.amount).key


def _largest(terms) -> Term:
    return max(terms, key=lambda t: t.amount)


def over_memory(key: str | None, value, total: float, largest: Term | None, limit: float,
                subject: str = "the run") -> Invalid:
    """The :class:`Invalid` of an estimate of ``total`` bytes over ``limit``."""
    head = f"{show_value(value)} would make {subject}" if value is not None else subject
    need = "need" if value is not None else "would need"
    mostly = f" (mostly {largest.what})" if largest is not None else ""
    return Invalid(key, f"{head} {need} about {format_bytes(total)} of memory{mostly}, over the "
                        f"limit of {format_bytes(limit)}; use smaller sizes, or raise the limit "
                        f"with --max-memory or {MEMORY_ENV}")


def _over_work(key, value, total: float, largest: Term, limit: float, subject: str) -> Invalid:
    head = f"{show_value(value)} would make {subject}" if value is not None else subject
    verb = "take" if value is not None else "would take"
    return Invalid(key, f"{head} {verb} about {total:.2g} operations (mostly {largest.what}; about "
                        f"{format_duration(total / NOMINAL_RATE)} at {NOMINAL_RATE:.0e} "
                        f"operations/s), over the limit of {limit:.2g}; use smaller sizes, or "
                        f"raise the limit with --max-work or {WORK_ENV}")


def check_estimate(memory: Callable[[dict], list], work: Callable[[dict], list], inputs: dict,
                   references: dict, subject: str = "the run") -> None:
    """Refuse a config whose estimated memory or work is over its limit.

    Parameters
    ----------
    memory, work : callable
        ``inputs -> list of Term``: the estimate in bytes / operations of a
        config with these input values.
    inputs : dict
        Key path (``"[algorithm] pop_size"``) -> value, every size the
        estimates read.
    references : dict
        Key path -> its usual value (the default or the preset's), what a
        key is set back to when finding the one to blame.
    subject : str
        What the message says would need the memory (``"the run"``).

    Raises
    ------
    alife.config.Invalid
        Naming the key to blame, the estimate, its largest term and the
        limit, and how to raise it.
    """
    for fn, limit, over in ((memory, max_memory(), over_memory), (work, max_work(), _over_work)):
        terms = fn(inputs)
        total = _total(terms)
        if total > limit:
            key = _blame(fn, inputs, references, total, terms)
            raise over(key, inputs.get(key), total, _largest(terms), limit, subject)
