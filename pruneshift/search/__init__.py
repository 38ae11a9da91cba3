"""Hyperparameter search on Optuna: HPO methods, the vicinity grid, and work as queued trials."""

from ._budget import COUNTED, counted, state_counts
from ._cells import CELL_ATTR, SEED_ATTR, cell_of, done_cells, grid_units
from ._grid import Axis, Grid, axis_values, build_grid
from ._methods import ticket_key, ticket_of
from ._owners import ORPHANED_ATTR, OWNER_ATTR, claim, fail_orphans
from ._queue import (
    DONE,
    KEY_ATTR,
    Unit,
    enqueue_missing,
    execute,
    execute_many,
    key_of,
    keys_in,
    take,
    take_many,
)
from ._space import suggest

__all__ = ["CELL_ATTR", "COUNTED", "DONE", "KEY_ATTR", "ORPHANED_ATTR", "OWNER_ATTR",
           "SEED_ATTR", "Axis", "Grid", "Unit", "axis_values", "build_grid", "cell_of",
           "claim", "counted", "done_cells", "enqueue_missing", "execute", "execute_many",
           "fail_orphans", "grid_units", "key_of", "keys_in", "state_counts", "suggest", "take",
           "take_many", "ticket_key", "ticket_of"]
