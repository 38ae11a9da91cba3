"""A grid that follows the optimum: once every ratio's grid is complete, an axis whose best
point lies on its edge grows by a step on that side for every ratio (``search.growth_steps``).

The grown grid is stored in one write under the run's lock, so a worker killed before it
decides again and one killed after finds the new cells waiting; another worker that still holds
the smaller grid adopts the stored one.
"""

from __future__ import annotations

import optuna

from ..analysis import best_index
from ..search import Grid, growth_steps
from ..storage import StudyKey
from ._context import Run
from ._events import Events
from ._grids import stored_landscape


def grown_grid(run: Run, stages: optuna.Study, grid: Grid, studies: dict[float, optuna.Study],
               events: Events) -> Grid | None:
    """The grid to train next: the stored one where another worker grew it, or this one grown
    where a best point lies on an edge; None when the grid is settled."""
    with run.lock:
        stored = Grid.from_dict(stages.user_attrs[StudyKey.GRID])
        if stored != grid:
            return stored
        best = {}
        for ratio, study in studies.items():
            position = best_index(stored_landscape(study, grid, ratio).mean())
            if position is not None:
                best[ratio] = position
        steps = growth_steps(grid, best, run.config.search_space, run.config.grid.max_extend)
        if not steps:
            return None
        for step in steps:
            grid = grid.grow(step)
        stages.set_user_attr(StudyKey.GRID, grid.to_dict())
    for step in steps:
        events.stage("grid", f"axis '{step.axis}' grows on its {step.side} side to "
                             f"{step.value:.3g}: the best point at r={step.ratio:g} lies on its "
                             "edge")
    return grid
