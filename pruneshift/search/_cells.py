"""Grid cells as units of work: one per (grid point, seed)."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from ..queue import Unit
from ..storage import TrialKey, cell_key, cell_of
from ._grid import Grid


def grid_units(grid: Grid) -> list[Unit]:
    """Every (point, seed) of the grid as a unit whose trial carries the point as params."""
    points = grid.points()
    return [Unit(cell_key(point, seed), points[point], {TrialKey.CELL: point,
                                                         TrialKey.SEED: seed})
            for point, seed in grid.cells()]


def done_cells(study: optuna.Study, grid: Grid) -> int:
    """Distinct cells with a complete trial."""
    complete = {cell_of(t) for t in study.get_trials(deepcopy=False,
                                                     states=(TrialState.COMPLETE,))}
    return len(complete & set(grid.cells()))
