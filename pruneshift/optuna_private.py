"""Every place pruneshift reaches past Optuna's public API, in one module.

Optuna keeps a study's storage and a trial's id private; whether a storage records heartbeats
is answered only by a private helper, and its grace period sits on the database storage inside
Optuna's private cache; the parameters a trial was enqueued with live in its
system attributes under a private key; its database storage logs through a private module's
logger; the journal file's lock interface and Hyperband's choice
of bracket (``_get_bracket_id``, which ``search.TicketHyperbandPruner`` overrides) are private too.
tests/test_optuna_private.py checks each against the installed Optuna, so an upgrade that moves
one fails there, by name, instead of somewhere in a running study.
"""

from __future__ import annotations

import optuna
from optuna.storages._heartbeat import is_heartbeat_enabled
from optuna.storages.journal._file import BaseJournalFileLock

__all__ = ["RDB_LOGGER", "BaseJournalFileLock", "enqueued_params", "grace_period_of",
           "keeps_heartbeats", "storage_of", "trial_id"]

RDB_LOGGER = "optuna.storages._rdb.storage"  # the logger of Optuna's database storage


def storage_of(study: optuna.Study) -> optuna.storages.BaseStorage:
    """The storage a study reads and writes (Optuna wraps an RDB in a cache)."""
    return study._storage


def trial_id(trial: optuna.Trial | optuna.trial.FrozenTrial) -> int:
    """The storage's id of a trial (numbers count within a study; ids across the storage)."""
    return trial._trial_id


def keeps_heartbeats(study: optuna.Study) -> bool:
    """Whether the study's storage records trial heartbeats (a database opened with them)."""
    return is_heartbeat_enabled(storage_of(study))


def grace_period_of(study: optuna.Study) -> float | None:
    """Seconds of silence after which the study's storage counts a running trial as stale
    (Optuna's default where none was set: two heartbeat intervals); None without heartbeats."""
    if not keeps_heartbeats(study):
        return None
    storage = storage_of(study)
    database = getattr(storage, "_backend", storage)  # Optuna caches a database storage
    return float(database.grace_period or 2 * database.heartbeat_interval)


def enqueued_params(stored: optuna.trial.FrozenTrial) -> dict[str, object]:
    """The parameters a stored trial was enqueued with (``Study.enqueue_trial``)."""
    return dict(stored.system_attrs.get("fixed_params", {}))
