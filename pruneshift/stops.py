"""A stop (Ctrl-C, or SIGTERM for a worker) that is never lost.

Python runs a signal handler between two bytecodes of the main thread, and the
``KeyboardInterrupt`` it raises can land in a finalizer (a database connection's ``__del__``, a
weakref callback), where Python prints it and drops it: the worker would train on, and its next
storage call would fail on the connection the stop left mid-transaction, looking like a lost
connection to retry. So a stop is also remembered, and raised again where the work goes on:
before every storage call that is retried, except those that record a finished unit or give
units back (``retrying(finishing=True)``), and at every training epoch.
"""

from __future__ import annotations

import signal
from types import FrameType

_requested = False


def stop(signum: int, frame: FrameType | None) -> None:
    """The signal handler: remember the stop, then raise it."""
    global _requested
    _requested = True
    raise KeyboardInterrupt


def stop_on(*signals: signal.Signals) -> None:
    """Make each of ``signals`` a stop of this process, none requested yet."""
    global _requested
    _requested = False
    for number in signals:
        signal.signal(number, stop)


def release_sigterm() -> None:
    """Once the work is over: SIGTERM, if it was a stop, ends the process again, so a stop that
    lands while the process reports its outcome or exits leaves no traceback."""
    if signal.getsignal(signal.SIGTERM) is stop:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def raise_if_stopped() -> None:
    """Raise the stop this process was asked for, if any (once more, if it was lost)."""
    if _requested:
        raise KeyboardInterrupt
