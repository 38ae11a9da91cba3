"""Hyperparameter search on Optuna: HPO methods, the search space, and the vicinity grid."""

from ._grid import Axis, Grid, Growth, axis_values, build_grid
from ._growth import growth_steps
from ._space import suggest

__all__ = ["Axis", "Grid", "Growth", "axis_values", "build_grid", "growth_steps", "suggest"]
