"""Hyperparameter search on Optuna: HPO methods, budgets, the vicinity grid and its cells."""

from ._budget import COUNTED, TrialCallback, counted, optimize_to_total, state_counts
from ._cells import CELL_ATTR, SEED_ATTR, cell_of, done_cells, enqueue_missing, run_cells
from ._grid import Axis, Grid, axis_values, build_grid
from ._methods import METHODS, Method
from ._owners import ORPHANED_ATTR, OWNER_ATTR, claim, fail_orphans
from ._space import suggest

__all__ = ["CELL_ATTR", "COUNTED", "METHODS", "ORPHANED_ATTR", "OWNER_ATTR", "SEED_ATTR", "Axis",
           "Grid", "Method", "TrialCallback", "axis_values", "build_grid", "cell_of", "claim",
           "counted", "done_cells", "enqueue_missing", "fail_orphans", "optimize_to_total",
           "run_cells", "state_counts", "suggest"]
