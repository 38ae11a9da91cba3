"""Hyperparameter search on Optuna: HPO methods, the search space, and the vicinity grid."""

from ._cells import done_cells, grid_units
from ._grid import Axis, Grid, axis_values, build_grid
from ._space import suggest

__all__ = ["Axis", "Grid", "axis_values", "build_grid", "done_cells", "grid_units", "suggest"]
