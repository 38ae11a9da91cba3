"""Train every (grid point, seed) exactly once, as enqueued Optuna trials.

Missing cells are enqueued; trials are then taken from the queue (Optuna switches a trial
from WAITING to RUNNING atomically) until it is empty. A cell counts as missing when no trial
for it is complete, waiting or running, so failed trials (a crash, a killed process) are
enqueued again, and a finished cell is never trained twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import optuna
from optuna.trial import TrialState

from ._budget import TrialCallback
from ._grid import Grid
from ._owners import claim, fail_orphans

CELL_ATTR = "cell"
SEED_ATTR = "seed"
_PENDING = (TrialState.COMPLETE, TrialState.WAITING, TrialState.RUNNING)

CellObjective = Callable[[optuna.Trial, dict[str, Any], int], float]


def cell_of(trial: optuna.trial.FrozenTrial) -> tuple[int, int] | None:
    """The (point index, seed) a trial trains, or None for a trial that is not a grid cell."""
    if CELL_ATTR not in trial.user_attrs:
        return None
    return int(trial.user_attrs[CELL_ATTR]), int(trial.user_attrs[SEED_ATTR])


def missing_cells(study: optuna.Study, grid: Grid) -> list[tuple[int, int]]:
    """Cells with no complete, waiting or running trial."""
    covered = {cell_of(t) for t in study.get_trials(deepcopy=False, states=_PENDING)}
    return [cell for cell in grid.cells() if cell not in covered]


def done_cells(study: optuna.Study, grid: Grid) -> int:
    """Distinct cells with a complete trial."""
    complete = {cell_of(t) for t in study.get_trials(deepcopy=False,
                                                     states=(TrialState.COMPLETE,))}
    return len(complete & set(grid.cells()))


def enqueue_missing(study: optuna.Study, grid: Grid) -> int:
    """Enqueue a trial for every missing cell; return how many."""
    points = grid.points()
    missing = missing_cells(study, grid)
    for point, seed in missing:
        study.enqueue_trial(points[point], user_attrs={CELL_ATTR: point, SEED_ATTR: seed})
    return len(missing)


def run_cells(study: optuna.Study, grid: Grid, objective: CellObjective,
              callbacks: Sequence[TrialCallback] = ()) -> None:
    """Train queued cells until none is left; the objective returns the trial's value."""
    fail_orphans(study)
    enqueue_missing(study, grid)
    points = grid.points()
    while study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        trial = study.ask()
        cell = cell_of(trial)
        if cell is None:  # the queue ran dry between the check and the ask
            study.tell(trial, state=TrialState.FAIL)
            break
        claim(trial)
        for axis in grid.axes:
            axis.record(trial)
        try:
            value = objective(trial, points[cell[0]], cell[1])
        except BaseException:
            study.tell(trial, state=TrialState.FAIL)
            raise
        frozen = study.tell(trial, value)
        for callback in callbacks:
            callback(study, frozen)
