"""A fault for tests to inject: this process killed at a chosen unit of work, so that a fault
test hits exactly the stage it means instead of racing for it.

``PRUNESHIFT_KILL_AT=<kind>:<k>`` makes the process SIGKILL itself once it has done the work of
its k-th unit of that kind and is about to record it: the unit's trial stays RUNNING and its work
is lost, the hardest moment for a resume. A unit's kind is the first part of its key (``hpo``,
``reference``, ``prune``, ``cell``, ``settle``, ``deploy``); ``report`` is the moment before
results.json is written. Nothing else reads the variable; unset, this costs one lookup.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "PRUNESHIFT_KILL_AT"
_reached: dict[str, int] = {}


def reached(kind: str) -> None:
    """Count one more unit of ``kind`` done here; die now if it is the one asked for."""
    spec = os.environ.get(VARIABLE)
    if not spec:
        return
    target, _, count = spec.rpartition(":")
    if target != kind:
        return
    _reached[kind] = _reached.get(kind, 0) + 1
    if _reached[kind] >= int(count):
        os.kill(os.getpid(), signal.SIGKILL)


def kind_of(key: str | None) -> str:
    """A unit key's kind: ``cell/3/1`` -> ``cell``."""
    return (key or "").split("/", 1)[0]
