"""Hyperparameter search on Optuna: HPO methods, the search space, and the vicinity grid."""

from ._grid import Axis, Grid, axis_values, build_grid
from ._space import suggest

__all__ = ["Axis", "Grid", "axis_values", "build_grid", "suggest"]
