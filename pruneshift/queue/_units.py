"""Work as enqueued trials: every unit (an HPO trial, a task, a grid cell) runs exactly once.

Each unit has a key. Missing units (no complete, pruned, waiting or running trial with that key)
are enqueued under a lock, so two workers cannot enqueue the same unit twice; taking a queued
trial is an atomic WAITING -> RUNNING switch in Optuna. A trial whose worker dies is failed
(``fail_orphans``), which makes its unit missing again. A worker stopped by SIGINT or SIGTERM
gives its unit back at once. An outcome is recorded through a lost database connection by
retrying, so a short outage does not lose finished work.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from .. import faults
from ..errors import StorageError
from ..optuna_private import enqueued_params, keeps_heartbeats, storage_of, trial_id
from ..storage import TrialKey, cell_of, key_of
from ._owners import claim
from ._retry import T, is_connection_error, retrying

PENDING = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.WAITING, TrialState.RUNNING)
DONE = (TrialState.COMPLETE, TrialState.PRUNED)
GIVE_BACK_DELAYS_S = (1.0, 2.0)  # a stopping worker's retries to give its trials back

_held: dict[int, str] = {}  # trial id -> unit key: taken by this process, not yet told


_STOPS = (signal.SIGINT, signal.SIGTERM)


def held_units() -> list[str]:
    """The keys of the units this process took and has neither recorded nor given back (what
    stays RUNNING, should it stop now, until another worker fails it)."""
    return sorted(_held.values())


@dataclass(frozen=True)
class Unit:
    """One unit of work: its key, the fixed params of its trial, its user attributes."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)


def keys_in(study: optuna.Study, states: tuple[TrialState, ...]) -> set[str]:
    return {k for t in study.get_trials(deepcopy=False, states=states)
            if (k := key_of(t)) is not None}


def enqueue_missing(study: optuna.Study, units: list[Unit],
                    lock: contextlib.AbstractContextManager, limit: int | None = None) -> int:
    """Enqueue units without a pending trial (at most ``limit``) under ``lock``; count them."""
    with lock:
        pending = keys_in(study, PENDING)
        missing = [u for u in units if u.key not in pending][:limit]
        for unit in missing:
            study.enqueue_trial(unit.params, user_attrs={
                TrialKey.KEY: unit.key, TrialKey.UNIT_ATTRS: sorted(unit.attrs), **unit.attrs})
    return len(missing)


@contextlib.contextmanager
def heartbeat(study: optuna.Study, trial: optuna.Trial) -> Iterator[None]:
    """Record the trial's heartbeat in the background where the storage keeps heartbeats."""
    if not keeps_heartbeats(study):
        yield
        return
    storage = storage_of(study)
    interval = storage.get_heartbeat_interval()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            with contextlib.suppress(Exception):  # a missed beat only risks an early retry
                storage.record_heartbeat(trial_id(trial))

    thread = threading.Thread(target=beat, daemon=True, name=f"heartbeat-{trial.number}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def take(study: optuna.Study, holding: list[optuna.Trial] | None = None
         ) -> optuna.Trial | None:
    """The next queued trial, now RUNNING and owned by this process; None if the queue is empty.

    A stop (SIGINT, SIGTERM) waits until the trial is held: in ``holding`` where given (whose
    owner gives it back), and among ``held_units`` in any case.
    """
    if not study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        return None
    with _stop_deferred(), warnings.catch_warnings():  # heartbeats: ``heartbeat`` below
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed")
        trial = study.ask()
        if key_of(trial) is None:  # the queue ran dry between the check and the ask
            study.tell(trial, state=TrialState.FAIL)
            return None
        _held[trial_id(trial)] = str(key_of(trial))
        if holding is not None:
            holding.append(trial)
    try:
        retrying(lambda: claim(study, trial), "the study's storage")
    except optuna.exceptions.UpdateFinishedTrialError:
        _held.pop(trial_id(trial), None)
        if holding is not None:
            holding.remove(trial)
        return None  # cut off so long that another worker failed it as unclaimed
    return trial


@contextlib.contextmanager
def _stop_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM held back for the block, then acted on: a trial switched to RUNNING but
    not yet held by anyone could be given back by no one."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread handles signals
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda number, _: caught.append(number)) for s in _STOPS}
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)  # restored together, none lost between
        try:
            for number, handler in previous.items():
                signal.signal(number, signal.SIG_DFL if handler is None else handler)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
        if caught:
            signal.raise_signal(caught[0])  # to the handler in place: a stop, or the default


def take_many(study: optuna.Study, limit: int, lock: contextlib.AbstractContextManager,
              prepare: Callable[[FrozenTrial], None] | None = None,
              taken: Callable[[optuna.Trial], None] | None = None) -> list[optuna.Trial]:
    """Up to ``limit`` queued trials, each now RUNNING and owned by this process.

    ``prepare`` sees the trial about to be taken (the oldest waiting one) before it is taken,
    ``taken`` each trial once it is. A stop while taking gives the trials already taken back
    (under ``lock``), as ``execute`` does once they run.
    """
    trials: list[optuna.Trial] = []
    try:
        while len(trials) < limit:
            if prepare is not None:
                waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
                if not waiting:
                    break
                prepare(waiting[0])
            if (trial := take(study, trials)) is None:
                break
            if taken is not None:
                taken(trial)
    except (KeyboardInterrupt, SystemExit):
        _give_back(study, trials, lock)
        raise
    return trials


Warn = Callable[[str], None]


def unless_taken_over(record: Callable[[], T]) -> T | None:
    """What ``record`` (writes to a taken trial) returns, or None where the trial was failed
    meanwhile as stale: another worker redoes its unit, and what this one did is dropped."""
    try:
        return record()
    except optuna.exceptions.UpdateFinishedTrialError:
        return None


def _lost(trials: list[optuna.Trial], on_lost: Warn | None) -> None:
    """Say, in one line, that another worker redoes these units: this one was silent so long
    that its trials were failed (or it was frozen), so what it did is dropped."""
    for trial in trials:
        _held.pop(trial_id(trial), None)  # another worker's now
    if on_lost is not None:
        keys = ", ".join(str(key_of(t)) for t in trials[:3]) + (", …" if len(trials) > 3 else "")
        on_lost(f"{len(trials)} unit(s) ({keys}) were taken over by another worker while this "
                "one was silent; what it did for them is dropped")


def execute(study: optuna.Study, trial: optuna.Trial, work: Callable[[optuna.Trial], float],
            lock: contextlib.AbstractContextManager,
            on_lost: Warn | None = None) -> FrozenTrial | None:
    """Run ``work`` on a taken trial and record its outcome.

    TrialPruned records PRUNED; an exception records FAIL and propagates; a stop
    (KeyboardInterrupt, SystemExit) also enqueues the unit again, under ``lock``, for another
    worker. None is returned when the trial was failed meanwhile as stale (its unit is redone
    elsewhere): then ``work``'s writes to it fail, and ``on_lost`` hears of it in one line.
    """
    try:
        with heartbeat(study, trial):
            faults.starting(faults.kind_of(key_of(trial)))
            value = work(trial)
    except optuna.TrialPruned:
        return _tell(study, trial, state=TrialState.PRUNED)
    except optuna.exceptions.UpdateFinishedTrialError:
        _lost([trial], on_lost)
        return None
    except (KeyboardInterrupt, SystemExit):
        _give_back(study, [trial], lock)
        raise
    except BaseException:
        _tell(study, trial, state=TrialState.FAIL)
        raise
    faults.reached(faults.kind_of(key_of(trial)))
    told = _tell(study, trial, values=value)
    if told is None:
        _lost([trial], on_lost)
    return told


def execute_many(study: optuna.Study, trials: list[optuna.Trial],
                 work: Callable[[list[optuna.Trial]], list[float]],
                 lock: contextlib.AbstractContextManager, on_lost: Warn | None = None) -> None:
    """Run ``work`` on taken trials together (one value each) and record every outcome.

    As ``execute``: an exception fails them all and propagates; a stop gives them all back; a
    trial failed meanwhile as stale is dropped (``on_lost`` hears of it) and the rest recorded.
    """
    try:
        with contextlib.ExitStack() as beats:
            for trial in trials:
                beats.enter_context(heartbeat(study, trial))
                faults.starting(faults.kind_of(key_of(trial)))
            values = work(trials)
    except (KeyboardInterrupt, SystemExit):
        _give_back(study, trials, lock)
        raise
    except BaseException:
        for trial in trials:
            _tell(study, trial, state=TrialState.FAIL)
        raise
    lost = []
    for trial, value in zip(trials, values, strict=True):
        faults.reached(faults.kind_of(key_of(trial)))
        if value is None or _tell(study, trial, values=value) is None:
            lost.append(trial)
    if lost:
        _lost(lost, on_lost)


def _give_back(study: optuna.Study, trials: list[optuna.Trial],
               lock: contextlib.AbstractContextManager) -> None:
    """Fail stopped trials and enqueue their units again, under ``lock``, for another worker.

    Tried briefly (``GIVE_BACK_DELAYS_S``): a worker stopped while the database is away leaves
    what it could not give back RUNNING, named by ``held_units``, rather than outstaying its stop.
    """
    try:
        with lock:
            for trial in trials:
                retrying(lambda t=trial: _give_back_one(study, t), "the study's storage",
                         delays=GIVE_BACK_DELAYS_S, finishing=True)
    except StorageError:
        return  # the storage is away: the rest would wait out their retries for nothing
    except Exception as exc:
        if not is_connection_error(exc):  # the lock's own connection, when the storage is away
            raise


def _give_back_one(study: optuna.Study, trial: optuna.Trial) -> None:
    frozen = storage_of(study).get_trial(trial_id(trial))
    if frozen.state == TrialState.RUNNING:  # redone with the parameters it had (sampled ones too)
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        study.enqueue_trial({**enqueued_params(frozen), **frozen.params},
                            user_attrs={TrialKey.KEY: key_of(frozen), **_unit_attrs(frozen)})
    _held.pop(trial_id(trial), None)


def _unit_attrs(trial: FrozenTrial) -> dict[str, Any]:
    names = trial.user_attrs.get(TrialKey.UNIT_ATTRS, [])
    return {TrialKey.UNIT_ATTRS: names, **{n: trial.user_attrs[n] for n in names}}


def _tell(study: optuna.Study, trial: optuna.Trial, **outcome: Any) -> FrozenTrial | None:
    """Record ``outcome``; None if the trial was failed meanwhile as stale (another worker
    redoes its unit)."""
    def tell() -> FrozenTrial | None:
        try:
            frozen = study.tell(trial, skip_if_finished=True, **outcome)
        except optuna.exceptions.UpdateFinishedTrialError:
            frozen = None
        _held.pop(trial_id(trial), None)  # told, or another worker's now
        told = outcome.get("state", TrialState.COMPLETE)
        return frozen if frozen is not None and frozen.state == told else None

    return retrying(tell, "the study's storage", finishing=True)


def state_counts(study: optuna.Study) -> dict[str, int]:
    """Number of trials per state, lower-case names, every state present."""
    counts = Counter(t.state.name.lower() for t in study.get_trials(deepcopy=False))
    return {state.name.lower(): counts.get(state.name.lower(), 0) for state in TrialState}


def done_cells(study: optuna.Study, cells: list[tuple[int, int]]) -> int:
    """How many of a grid's ``cells`` have a complete trial (a cell finished twice counts once)."""
    complete = {cell_of(t) for t in study.get_trials(deepcopy=False,
                                                     states=(TrialState.COMPLETE,))}
    return len(complete & set(cells))
