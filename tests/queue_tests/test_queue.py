import contextlib
import os
import signal
import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState

from pruneshift.queue import _units as _queue
from pruneshift.queue._retry import retrying


def test_a_stop_while_taking_several_gives_the_taken_ones_back(monkeypatch):
    study = optuna.create_study()
    lock = contextlib.nullcontext()
    _queue.enqueue_missing(study, [_queue.Unit(f"cell/{i}") for i in range(3)], lock)
    real_take, calls = _queue.take, []

    def stopped_at_the_second(study, holding=None):
        calls.append(study)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_take(study, holding)

    monkeypatch.setattr(_queue, "take", stopped_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        _queue.take_many(study, 3, lock)
    states = [t.state for t in study.trials]
    assert TrialState.RUNNING not in states
    assert states.count(TrialState.FAIL) == 1 and states.count(TrialState.WAITING) == 3
    assert _queue.keys_in(study, (TrialState.WAITING,)) == {"cell/0", "cell/1", "cell/2"}


def test_a_stop_that_cannot_give_back_names_what_stays_running(monkeypatch):
    """The storage gone as the worker stops: the trial stays RUNNING, the stop says which unit,
    and the worker does not outstay its stop retrying."""
    import sqlalchemy.exc

    from pruneshift.cli._terminal import stop_line

    monkeypatch.setattr(_queue, "_held", {})
    monkeypatch.setattr(_queue, "GIVE_BACK_DELAYS_S", (0.0,))
    study, lock = optuna.create_study(), contextlib.nullcontext()
    _queue.enqueue_missing(study, [_queue.Unit("cell/4/1")], lock)
    trial = _queue.take(study)
    assert _queue.held_units() == ["cell/4/1"]

    def storage_gone(study, trial):
        raise sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    def stopped(trial):
        raise KeyboardInterrupt

    monkeypatch.setattr(_queue, "_give_back_one", storage_gone)
    with pytest.raises(KeyboardInterrupt):
        _queue.execute(study, trial, stopped, lock)
    assert [t.state for t in study.trials] == [TrialState.RUNNING]
    assert "1 unit(s) (cell/4/1) could not be given back" in stop_line()


def test_a_stop_that_gives_everything_back_says_so(monkeypatch):
    """By the worker's own handler: the stop it remembers does not stop the giving back."""
    from pruneshift import stops
    from pruneshift.cli._terminal import stop_line

    monkeypatch.setattr(_queue, "_held", {})
    monkeypatch.setattr(stops, "_requested", False)  # restored after the stop below
    study, lock = optuna.create_study(), contextlib.nullcontext()
    _queue.enqueue_missing(study, [_queue.Unit("cell/0/0")], lock)
    trial = _queue.take(study)

    def stopped(trial):
        stops.stop(signal.SIGTERM, None)

    with pytest.raises(KeyboardInterrupt):
        _queue.execute(study, trial, stopped, lock)
    assert _queue.held_units() == [] and "running ones were given back" in stop_line()
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.WAITING]


def test_a_stop_while_a_trial_is_taken_waits_until_it_is_held(monkeypatch):
    """SIGTERM arriving inside ``ask`` (the trial RUNNING, held by no one yet) is acted on once
    the trial is held, so ``take_many`` gives it back rather than leaving it RUNNING."""
    study = optuna.create_study()
    _queue.enqueue_missing(study, [_queue.Unit("a"), _queue.Unit("b")], contextlib.nullcontext())
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    ask = study.ask

    def ask_then_stopped():
        trial = ask()
        os.kill(os.getpid(), signal.SIGTERM)  # the stop lands before ``take`` holds the trial
        return trial

    monkeypatch.setattr(study, "ask", ask_then_stopped)
    try:
        with pytest.raises(KeyboardInterrupt):
            _queue.take_many(study, 2, contextlib.nullcontext())
    finally:
        signal.signal(signal.SIGTERM, previous)
    states = [t.state for t in study.trials]
    assert TrialState.RUNNING not in states
    assert states.count(TrialState.FAIL) == 1 and states.count(TrialState.WAITING) == 2


def test_a_stop_held_back_reaches_the_default_handler_after_the_block():
    """Where SIGTERM has its default action (``pruneshift hpo``, a library caller), a stop held
    back while a trial is taken still ends the process once the trial is held."""
    script = ("import os, signal\n"
              "from pruneshift.queue._units import _stop_deferred\n"
              "with _stop_deferred():\n"
              "    os.kill(os.getpid(), signal.SIGTERM)\n"
              "    print('held back', flush=True)\n"
              "print('not stopped', flush=True)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == -signal.SIGTERM
    assert done.stdout == "held back\n"


A_STOP_LOST_IN_A_FINALIZER = """
import os, signal, time
from pruneshift.queue._retry import retrying
from pruneshift.stops import stop_on

stop_on(signal.SIGTERM)

class Connection:
    def __del__(self):  # as psycopg's connection is finalized
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)  # the stop is raised here: Python prints it and drops it

Connection()
calls = []
try:
    retrying(lambda: calls.append("call"), "the study's storage")
except KeyboardInterrupt:
    print("stopped, calls:", len(calls))
else:
    print("went on, calls:", len(calls))
"""


def test_a_stop_lost_in_a_finalizer_is_raised_again_before_the_next_storage_call():
    """Seen under load: SIGTERM landed in a database connection's finalizer, the worker trained
    on, and its next storage call failed on the connection left mid-transaction and was
    retried as a lost connection; the test waiting for the stop timed out."""
    shown = subprocess.run([sys.executable, "-c", A_STOP_LOST_IN_A_FINALIZER],
                           capture_output=True, text=True, timeout=60)
    assert "Exception ignored in" in shown.stderr  # the stop was dropped there
    assert shown.stdout.strip() == "stopped, calls: 0", shown.stdout + shown.stderr


def test_a_unit_finished_as_its_stop_was_lost_is_still_recorded(monkeypatch):
    """The stop is raised again before the next unit, not before recording this one's value."""
    from pruneshift import stops

    monkeypatch.setattr(_queue, "_held", {})
    monkeypatch.setattr(stops, "_requested", False)
    study, lock = optuna.create_study(), contextlib.nullcontext()
    _queue.enqueue_missing(study, [_queue.Unit("cell/0/0")], lock)
    trial = _queue.take(study)

    def finished_as_the_stop_was_lost(trial):
        with contextlib.suppress(KeyboardInterrupt):  # as Python does in a finalizer
            stops.stop(signal.SIGTERM, None)
        return 0.9

    try:
        recorded = _queue.execute(study, trial, finished_as_the_stop_was_lost, lock)
    except KeyboardInterrupt:
        pytest.fail("the stop was raised before the finished unit's value was recorded")
    assert recorded.value == 0.9
    with pytest.raises(KeyboardInterrupt):
        retrying(lambda: None, "the study's storage")
