"""Run a study until it holds a total number of finished trials, across restarts and processes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import optuna
from optuna.trial import FrozenTrial, TrialState

COUNTED = (TrialState.COMPLETE, TrialState.PRUNED)  # failed trials are retried, not counted
TrialCallback = Callable[[optuna.Study, FrozenTrial], None]


def state_counts(study: optuna.Study) -> dict[str, int]:
    """Number of trials per state, lower-case names, every state present."""
    counts = Counter(t.state.name.lower() for t in study.get_trials(deepcopy=False))
    return {state.name.lower(): counts.get(state.name.lower(), 0) for state in TrialState}


def counted(study: optuna.Study) -> int:
    """Trials that count toward the budget: complete or pruned."""
    return len(study.get_trials(deepcopy=False, states=COUNTED))


def optimize_to_total(study: optuna.Study, objective: Callable[[optuna.Trial], float], *,
                      n_trials: int, timeout: float | None = None,
                      callbacks: Sequence[TrialCallback] = ()) -> None:
    """Run ``objective`` until the study holds ``n_trials`` complete or pruned trials.

    Trials that other processes are running count as on their way, so concurrent processes
    share one budget; failed trials (a crash, an interrupt, a dead process) are run again.
    """
    running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
    remaining = n_trials - counted(study) - running
    if remaining <= 0:
        return

    def stop_at_total(study: optuna.Study, trial: FrozenTrial) -> None:
        if counted(study) >= n_trials:
            study.stop()

    study.optimize(objective, n_trials=remaining, timeout=timeout,
                   callbacks=[*callbacks, stop_at_total], gc_after_trial=False)
