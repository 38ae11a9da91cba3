"""Retrying an action through a lost database connection, with back-off, then failing clearly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import optuna

from ..errors import StorageError
from ..stops import raise_if_stopped
from ..storage import database_reason, redact

T = TypeVar("T")


RETRY_DELAYS_S = (1, 2, 4, 8, 16, 32)  # about a minute in all (workers.retry_seconds)
_delays = RETRY_DELAYS_S
_warn: Callable[[str], None] | None = None


def retry_for(seconds: float, warn: Callable[[str], None] | None = None) -> None:
    """Retry a lost connection for about ``seconds`` in all (delays doubling from one second,
    the last one cut to fit), in every retry of this process from now on, each retry said to
    ``warn`` where a retry names no listener of its own."""
    global _delays, _warn
    _warn = warn
    delays, left = [], float(seconds)
    while left > 0:
        delay = min(2.0 ** len(delays), left)
        delays.append(delay)
        left -= delay
    _delays = tuple(delays) or (0.0,)


def retry_delays() -> tuple[float, ...]:
    """The back-off between retries of a lost connection, in seconds."""
    return _delays


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be reached (worth retrying)."""
    import sqlalchemy.exc

    return isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError |
                      optuna.exceptions.StorageInternalError)


def retrying(action: Callable[[], T], url: str, delays: tuple[float, ...] | None = None,
             on_retry: Callable[[str], None] | None = None, *, finishing: bool = False) -> T:
    """Run ``action``; on a lost database connection retry with back-off (``retry_delays``
    unless ``delays`` are given), then fail clearly. A stop this process was asked for is
    raised before each try, unless the action is ``finishing`` a held unit (recording its
    outcome or giving it back), which a stop waits for."""
    delays = retry_delays() if delays is None else delays
    on_retry = on_retry or _warn
    for delay in (*delays, None):
        if not finishing:
            raise_if_stopped()  # a stop lost in a finalizer is not retried past
        try:
            return action()
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            reason = database_reason(exc)
            if delay is None:
                raise StorageError(f"lost the connection to {redact(url)} and could not get it "
                                   f"back after {len(delays)} retries: {reason}") from None
            if on_retry is not None:
                on_retry(f"database connection lost ({reason}); retrying in {delay} s")
            time.sleep(delay)
    raise AssertionError("unreachable")


