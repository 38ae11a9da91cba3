import contextlib

import optuna
import pytest
from optuna.trial import TrialState

from pruneshift.queue import _units as _queue


def test_a_stop_while_taking_several_gives_the_taken_ones_back(monkeypatch):
    study = optuna.create_study()
    lock = contextlib.nullcontext()
    _queue.enqueue_missing(study, [_queue.Unit(f"cell/{i}") for i in range(3)], lock)
    real_take, calls = _queue.take, []

    def stopped_at_the_second(study):
        calls.append(study)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_take(study)

    monkeypatch.setattr(_queue, "take", stopped_at_the_second)
    with pytest.raises(KeyboardInterrupt):
        _queue.take_many(study, 3, lock)
    states = [t.state for t in study.trials]
    assert TrialState.RUNNING not in states
    assert states.count(TrialState.FAIL) == 1 and states.count(TrialState.WAITING) == 3
    assert _queue.keys_in(study, (TrialState.WAITING,)) == {"cell/0", "cell/1", "cell/2"}
