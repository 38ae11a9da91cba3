"""Which process runs a trial, and failing trials whose local process has died.

Optuna's journal storage has no heartbeat, so a process killed mid-trial (SIGKILL, power loss)
leaves its trial RUNNING for ever. Each trial records its owner (host, pid, process start
time) the moment it starts; a trial whose owner on this host no longer exists is failed so
that it is run again. A RUNNING trial that never got an owner (its process died between taking
the trial and claiming it) is failed once it is older than ``UNCLAIMED_GRACE_S``.
"""

from __future__ import annotations

import datetime
import os
import socket
from pathlib import Path

import optuna
from optuna.trial import TrialState

OWNER_ATTR = "owner"
ORPHANED_ATTR = "orphaned"
UNCLAIMED_GRACE_S = 30.0  # a live process claims its trial within milliseconds


def _process_start(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (Linux), which tells a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def current_owner() -> dict[str, object]:
    """This process as a trial owner."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": _process_start(os.getpid())}


def _is_alive(owner: dict) -> bool:
    try:
        os.kill(int(owner["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return owner.get("start") is None or _process_start(int(owner["pid"])) == owner["start"]


def claim(trial: optuna.Trial) -> None:
    """Record this process as the owner of ``trial``."""
    trial.set_user_attr(OWNER_ATTR, current_owner())


def _is_orphan(trial: optuna.trial.FrozenTrial, host: str) -> bool:
    owner = trial.user_attrs.get(OWNER_ATTR)
    if owner is None:
        started = trial.datetime_start or datetime.datetime.now()
        return (datetime.datetime.now() - started).total_seconds() > UNCLAIMED_GRACE_S
    return owner.get("host") == host and not _is_alive(owner)


def fail_orphans(study: optuna.Study) -> int:
    """Fail abandoned RUNNING trials; return how many this process failed.

    On a database storage with heartbeats, Optuna fails trials silent for the grace period
    (workers on other machines); on any storage, trials whose owner process on this host is
    gone are failed at once.
    """
    storage = study._storage
    if (isinstance(storage, optuna.storages.RDBStorage)
            and storage.get_heartbeat_interval() is not None):
        optuna.storages.fail_stale_trials(study)
    host = socket.gethostname()
    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if not _is_orphan(trial, host):
            continue
        storage.set_trial_user_attr(trial._trial_id, ORPHANED_ATTR, True)
        storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
        failed += 1
    return failed
