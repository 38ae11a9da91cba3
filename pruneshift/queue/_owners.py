"""Which process runs a trial, and failing trials whose process is gone.

Two mechanisms, because Optuna's journal storage has no heartbeat:
- On a database storage, every running trial records a heartbeat; Optuna's
  ``fail_stale_trials`` fails those silent for the grace period, wherever their worker ran
  (another machine lost for good, a worker cut off by a database outage).
- On any storage, each trial records its owner (``pruneshift.processes``) the moment it is
  taken; a trial whose owner is certainly gone (same host, process exited or machine restarted)
  is failed at once. An owner on another host or in another container is left to the heartbeats.
A RUNNING trial that never got an owner (its process died between taking the trial and
claiming it, or lost the database as it took it and never learnt which trial it got) is failed
once it is older than ``UNCLAIMED_GRACE_S``, or than the heartbeats' grace period where that is
shorter: nothing was trained for it, and silence since its start is what makes it stale.
"""

from __future__ import annotations

import datetime
import warnings

import optuna
from optuna.trial import TrialState

from ..optuna_private import grace_period_of, keeps_heartbeats, storage_of, trial_id
from ..processes import current_process, is_gone
from ..storage import TrialKey

UNCLAIMED_GRACE_S = 30.0  # a live process claims its trial within milliseconds


def claim(study: optuna.Study, trial: optuna.Trial) -> None:
    """Record the first heartbeat of ``trial``, then this process as its owner.

    In that order: a trial with an owner always has a heartbeat that can go stale, and one cut
    off before its owner was recorded is failed as unclaimed.
    """
    if keeps_heartbeats(study):
        storage_of(study).record_heartbeat(trial_id(trial))
    trial.set_user_attr(TrialKey.OWNER, current_process())


def _is_orphan(trial: optuna.trial.FrozenTrial, unclaimed_grace: float) -> bool:
    owner = trial.user_attrs.get(TrialKey.OWNER)
    if owner is None:
        started = trial.datetime_start or datetime.datetime.now()
        return (datetime.datetime.now() - started).total_seconds() > unclaimed_grace
    return is_gone(owner) is True


def fail_orphans(study: optuna.Study) -> int:
    """Fail abandoned RUNNING trials: silent past the grace period (database storages) or
    owned by a process that is certainly gone; return how many this process failed."""
    storage = storage_of(study)
    if keeps_heartbeats(study):
        with warnings.catch_warnings():  # fail_stale_trials is experimental in Optuna
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
    unclaimed_grace = min(UNCLAIMED_GRACE_S, grace_period_of(study) or UNCLAIMED_GRACE_S)
    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if not _is_orphan(trial, unclaimed_grace):
            continue
        try:
            storage.set_trial_user_attr(trial_id(trial), TrialKey.ORPHANED, True)
            storage.set_trial_state_values(trial_id(trial), TrialState.FAIL)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker failed it first
        failed += 1
    return failed
