"""Faults for tests to inject: this process killed or frozen at a chosen unit of work, so that a
fault test hits exactly the stage it means instead of racing for it.

``PRUNESHIFT_KILL_AT=<kind>:<k>`` makes the process SIGKILL itself once it has done the work of
its k-th unit of that kind and is about to record it: the unit's trial stays RUNNING and its work
is lost, the hardest moment for a resume. ``PRUNESHIFT_STOP_AT=<kind>:<k>`` makes it SIGSTOP
itself as it starts its k-th unit of that kind, heartbeats and all, until the test sends
SIGCONT: a worker frozen long enough to be declared dead, that then wakes and finishes its work.
A unit's kind is the first part of its key (``hpo``, ``reference``, ``prune``, ``cell``,
``settle``, ``deploy``); ``report`` is the moment before results.json is written. Nothing else
reads the variables; unset, this costs a lookup.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "PRUNESHIFT_KILL_AT"
STOP_VARIABLE = "PRUNESHIFT_STOP_AT"
_counted: dict[tuple[str, str], int] = {}


def _due(variable: str, kind: str) -> bool:
    """Count one more unit of ``kind`` under ``variable``'s fault; whether it is the one asked
    for."""
    spec = os.environ.get(variable)
    if not spec:
        return False
    target, _, count = spec.rpartition(":")
    if target != kind:
        return False
    _counted[variable, kind] = _counted.get((variable, kind), 0) + 1
    return _counted[variable, kind] == int(count)


def reached(kind: str) -> None:
    """One more unit of ``kind`` done here and about to be recorded: die now if asked to."""
    if _due(VARIABLE, kind):
        os.kill(os.getpid(), signal.SIGKILL)


def starting(kind: str) -> None:
    """One more unit of ``kind`` about to start here: freeze now if asked to."""
    if _due(STOP_VARIABLE, kind):
        os.kill(os.getpid(), signal.SIGSTOP)


def kind_of(key: str | None) -> str:
    """A unit key's kind: ``cell/3/1`` -> ``cell``."""
    return (key or "").split("/", 1)[0]
