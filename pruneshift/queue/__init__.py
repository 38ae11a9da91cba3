"""Work as enqueued trials: every unit (an HPO ticket, a task, a grid cell) runs exactly once,
whoever takes it, through kills, lost hosts and database outages.

Units are enqueued under a lock (``queue_lock_for``) and taken atomically; a taken trial records
its owner and heartbeats (``claim``, ``heartbeat``); abandoned ones are failed and redone
(``fail_orphans``); outcomes are recorded through a lost connection (``retrying``).
"""

from ._locks import queue_lock_for
from ._owners import claim, fail_orphans
from ._retry import retry_for, retrying
from ._units import (
    DONE,
    PENDING,
    Unit,
    Warn,
    done_cells,
    enqueue_missing,
    execute,
    execute_many,
    heartbeat,
    held_units,
    keys_in,
    state_counts,
    take,
    take_many,
    unless_taken_over,
)

__all__ = ["DONE", "PENDING", "Unit", "Warn", "claim", "done_cells", "enqueue_missing", "execute",
           "execute_many", "fail_orphans", "heartbeat", "held_units", "keys_in", "queue_lock_for",
           "retry_for", "retrying", "state_counts", "take", "take_many", "unless_taken_over"]
