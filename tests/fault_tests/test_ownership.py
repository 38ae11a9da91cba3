"""Who owns a running trial, and when it is failed: heartbeats on PostgreSQL, owners on a host."""

import contextlib
import os
import subprocess
import sys
import threading
import time

import optuna
import pytest
from optuna.trial import TrialState

from pruneshift import queue
from pruneshift.processes import current_process, is_gone
from pruneshift.queue import fail_orphans, heartbeat
from pruneshift.storage import TrialKey, open_storage

from . import scenarios


def _study(url, interval=1, grace=2):
    return optuna.create_study(storage=open_storage(url, interval, grace), study_name="s")


def _heartbeat_rows(study):
    from sqlalchemy import text

    with study._storage._backend.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM trial_heartbeats")).scalar()


@pytest.mark.slow
def test_a_taken_trial_sends_heartbeats_on_postgresql(postgres_url):
    study = _study(postgres_url)
    study.enqueue_trial({}, user_attrs={TrialKey.KEY: "u"})
    trial = queue.take(study)
    assert _heartbeat_rows(study) == 1
    with heartbeat(study, trial):
        time.sleep(3.5)  # past the grace period, beating all along
        fail_orphans(study)
    assert study.trials[0].state == TrialState.RUNNING


@pytest.mark.slow
def test_a_trial_of_a_host_lost_for_good_is_failed_after_the_grace_period(postgres_url):
    """The owner is on another host, so no pid can be checked here: only the heartbeat that
    stopped tells that it is gone."""
    study = _study(postgres_url)
    study.enqueue_trial({}, user_attrs={TrialKey.KEY: "u"})
    trial = queue.take(study)
    elsewhere = {**current_process(), "host": "another-host", "pid": 1}
    study._storage.set_trial_user_attr(trial._trial_id, TrialKey.OWNER, elsewhere)
    fail_orphans(study)
    assert study.trials[0].state == TrialState.RUNNING  # within the grace period
    time.sleep(3.5)
    fail_orphans(study)
    assert study.trials[0].state == TrialState.FAIL


@pytest.mark.slow
def test_a_trial_taken_as_the_database_goes_away_is_claimed_once_it_is_back(
        postgres_url, monkeypatch):
    """The outage falls between taking the trial and recording its owner and first heartbeat
    (the scenario test met this by chance: the trial then stayed RUNNING with a live owner
    and no heartbeat, and the study never finished)."""
    proxy = scenarios.Proxy(("127.0.0.1", 5432))
    proxy.start()
    study = _study(postgres_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
    study.enqueue_trial({}, user_attrs={TrialKey.KEY: "u"})
    real_claim = queue._units.claim

    def claim_in_an_outage(study, trial):
        proxy.cut()
        threading.Timer(3, proxy.start).start()
        monkeypatch.setattr(queue._units, "claim", real_claim)
        real_claim(study, trial)

    monkeypatch.setattr(queue._units, "claim", claim_in_an_outage)
    trial = queue.take(study)
    assert trial is not None
    frozen = study.trials[0]
    assert frozen.state == TrialState.RUNNING and frozen.user_attrs[TrialKey.OWNER]
    assert _heartbeat_rows(study) == 1
    time.sleep(3.5)  # silent past the grace period: the heartbeat makes it stale
    fail_orphans(study)
    assert study.trials[0].state == TrialState.FAIL
    proxy.cut()


def test_an_unclaimed_trial_is_failed_after_the_heartbeats_grace_period_where_shorter(tmp_path):
    """A worker that lost the database as it took a trial never learns which one it got; the
    trial has no owner and no heartbeat. With a grace period shorter than the unclaimed one
    (30 s), the shorter bounds the wait: a study cut off for seconds does not stall for 30."""
    study = _study(f"sqlite:///{tmp_path / 'beats.db'}")  # a grace period of 2 s
    study.ask()  # taken, never claimed
    assert fail_orphans(study) == 0
    time.sleep(2.5)
    assert fail_orphans(study) == 1
    assert study.trials[0].state == TrialState.FAIL


def test_an_outcome_for_a_trial_failed_elsewhere_is_dropped_not_a_crash(postgres_url):
    study = _study(postgres_url)
    study.enqueue_trial({}, user_attrs={TrialKey.KEY: "u"})
    trial = queue.take(study)

    def work(_):
        study._storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)  # stale elsewhere
        return 1.0

    assert queue.execute(study, trial, work, contextlib.nullcontext()) is None
    assert study.trials[0].state == TrialState.FAIL


def test_who_can_be_declared_gone_from_this_host():
    here = current_process()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = {**here, "pid": int(finished.stdout), "start": "0"}
    assert is_gone(here) is False
    assert is_gone(dead) is True
    assert is_gone({**dead, "boot": "another-boot"}) is True  # this machine restarted since
    assert is_gone({**dead, "host": "another-host"}) is None
    assert is_gone({**dead, "pidns": "pid:[1]"}) is None  # another container on this machine
    legacy = {k: here[k] for k in ("host", "pid", "start")}
    assert is_gone(legacy) is False and is_gone({**legacy, "pid": dead["pid"]}) is True


def test_a_live_trial_of_another_container_on_this_host_is_not_failed(tmp_path):
    study = optuna.create_study(storage=open_storage(str(tmp_path / "j.log")), study_name="s")
    study.enqueue_trial({}, user_attrs={TrialKey.KEY: "u"})
    trial = queue.take(study)
    container = {**current_process(), "pidns": "pid:[4026532000]", "pid": os.getpid() + 10 ** 6}
    study._storage.set_trial_user_attr(trial._trial_id, TrialKey.OWNER, container)
    assert fail_orphans(study) == 0
    assert study.trials[0].state == TrialState.RUNNING
