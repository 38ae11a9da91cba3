"""Counting trials by state."""

from __future__ import annotations

from collections import Counter

import optuna
from optuna.trial import TrialState

COUNTED = (TrialState.COMPLETE, TrialState.PRUNED)  # failed trials are redone, not counted


def state_counts(study: optuna.Study) -> dict[str, int]:
    """Number of trials per state, lower-case names, every state present."""
    counts = Counter(t.state.name.lower() for t in study.get_trials(deepcopy=False))
    return {state.name.lower(): counts.get(state.name.lower(), 0) for state in TrialState}


def counted(study: optuna.Study) -> int:
    """Trials that count toward a budget: complete or pruned."""
    return len(study.get_trials(deepcopy=False, states=COUNTED))
