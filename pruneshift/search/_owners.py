"""Which process runs a trial, and failing trials whose process is gone.

Two mechanisms, because Optuna's journal storage has no heartbeat:
- On a database storage, every running trial records a heartbeat; Optuna's
  ``fail_stale_trials`` fails those silent for the grace period, wherever their worker ran
  (another machine lost for good, a worker cut off by a database outage).
- On any storage, each trial records its owner (``pruneshift.processes``) the moment it is
  taken; a trial whose owner is certainly gone (same host, process exited or machine restarted)
  is failed at once. An owner on another host or in another container is left to the heartbeats.
A RUNNING trial that never got an owner (its process died between taking the trial and
claiming it) is failed once it is older than ``UNCLAIMED_GRACE_S``.
"""

from __future__ import annotations

import datetime
import warnings

import optuna
from optuna.storages._heartbeat import is_heartbeat_enabled
from optuna.trial import TrialState

from ..processes import current_process, is_gone

OWNER_ATTR = "owner"
ORPHANED_ATTR = "orphaned"
UNCLAIMED_GRACE_S = 30.0  # a live process claims its trial within milliseconds


def heartbeats(study: optuna.Study) -> bool:
    """Whether the study's storage keeps trial heartbeats (a database opened with them)."""
    return is_heartbeat_enabled(study._storage)


def claim(study: optuna.Study, trial: optuna.Trial) -> None:
    """Record the first heartbeat of ``trial``, then this process as its owner.

    In that order: a trial with an owner always has a heartbeat that can go stale, and one cut
    off before its owner was recorded is failed as unclaimed.
    """
    if heartbeats(study):
        study._storage.record_heartbeat(trial._trial_id)
    trial.set_user_attr(OWNER_ATTR, current_process())


def _is_orphan(trial: optuna.trial.FrozenTrial) -> bool:
    owner = trial.user_attrs.get(OWNER_ATTR)
    if owner is None:
        started = trial.datetime_start or datetime.datetime.now()
        return (datetime.datetime.now() - started).total_seconds() > UNCLAIMED_GRACE_S
    return is_gone(owner) is True


def fail_orphans(study: optuna.Study) -> int:
    """Fail abandoned RUNNING trials: silent past the grace period (database storages) or
    owned by a process that is certainly gone; return how many this process failed."""
    storage = study._storage
    if heartbeats(study):
        with warnings.catch_warnings():  # fail_stale_trials is experimental in Optuna
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if not _is_orphan(trial):
            continue
        try:
            storage.set_trial_user_attr(trial._trial_id, ORPHANED_ATTR, True)
            storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker failed it first
        failed += 1
    return failed
