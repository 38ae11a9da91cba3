"""Grid cells as units of work: one per (grid point, seed)."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from ._grid import Grid
from ._queue import Unit

CELL_ATTR = "cell"
SEED_ATTR = "seed"


def cell_of(trial: optuna.trial.FrozenTrial) -> tuple[int, int] | None:
    """The (point index, seed) a trial trains, or None for a trial that is not a grid cell."""
    if CELL_ATTR not in trial.user_attrs:
        return None
    return int(trial.user_attrs[CELL_ATTR]), int(trial.user_attrs[SEED_ATTR])


def grid_units(grid: Grid) -> list[Unit]:
    """Every (point, seed) of the grid as a unit whose trial carries the point as params."""
    points = grid.points()
    return [Unit(f"cell/{point}/{seed}", points[point], {CELL_ATTR: point, SEED_ATTR: seed})
            for point, seed in grid.cells()]


def done_cells(study: optuna.Study, grid: Grid) -> int:
    """Distinct cells with a complete trial."""
    complete = {cell_of(t) for t in study.get_trials(deepcopy=False,
                                                     states=(TrialState.COMPLETE,))}
    return len(complete & set(grid.cells()))
