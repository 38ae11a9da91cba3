"""What to train each pruned model with: the re-tuned hyperparameters of every ratio.

A ratio's recipe is its best grid point, refined between grid points along every numeric axis
where the landscape bends around the best point (the vertex of the parabola through it and its
two neighbours, in log10 units on a log axis: ``subgrid_optimum``); an axis whose best point
sits on the grid's edge, or that does not bend, keeps the grid value. Hyperparameters the grid
holds fixed keep their value.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..search import Axis, Grid
from ._actions import HyperparameterRecipe, Recipe
from ._claims import Settlement
from ._landscape import Landscape
from ._shift import best_index, subgrid_optimum


def axis_value(axis: Axis, position: float) -> Any:
    """The value at a fractional grid position: interpolated (geometrically on a log axis,
    rounded on an int axis); a categorical axis takes the nearest value."""
    if axis.kind == "categorical":
        return axis.values[round(position)]
    index = np.arange(len(axis.values), dtype=float)
    value = float(np.interp(position, index, _coordinates(axis)))
    if axis.log:
        value = 10 ** value
    return round(value) if axis.kind == "int" else value


def position_of(axis: Axis, value: Any) -> float:
    """The fractional grid position of a value (the inverse of ``axis_value``)."""
    if axis.kind == "categorical":
        return float(axis.values.index(value))
    index = np.arange(len(axis.values), dtype=float)
    return float(np.interp(math.log10(value) if axis.log else value, _coordinates(axis), index))


def _coordinates(axis: Axis) -> np.ndarray:
    """A numeric axis's values where it is interpolated: log10 on a log axis, taken by the C
    library, which gives the same last bit on every CPU; numpy's vectorised log10 does not (it
    takes another path on AVX-512), and a recipe one bit off is another point to the synthetic
    task, whose runs it seeds."""
    return np.array([math.log10(v) if axis.log else float(v) for v in axis.values])


def refined_point(grid: Grid, mean: np.ndarray) -> dict[str, Any] | None:
    """The best point of a mean landscape, refined between grid points; None if empty."""
    positions = subgrid_optimum(mean)
    if positions is None:
        return None
    return {axis.name: axis_value(axis, p) for axis, p in zip(grid.axes, positions, strict=True)}


def recipe(grid: Grid, landscape: Landscape, dense: dict[str, Any]) -> Recipe | None:
    """The re-tuned hyperparameters of one ratio against the dense optimum ``dense``."""
    mean = landscape.mean()
    best, refined = best_index(mean), refined_point(grid, mean)
    if best is None or refined is None:
        return None
    per_hp = {}
    for axis, index in zip(grid.axes, best, strict=True):
        value, before = refined[axis.name], dense[axis.name]
        numeric = axis.kind != "categorical"
        per_hp[axis.name] = HyperparameterRecipe(
            dense=before, grid_best=axis.values[index], recipe=value,
            factor=value / before if numeric and axis.log and before else None,
            refined=numeric and value != axis.values[index])
    return Recipe(params={**grid.fixed, **refined}, per_hp=per_hp)


def recommended(settled: Settlement | None) -> str:
    """Which settle point a ratio's model should be trained at: ``recipe``, or ``kept`` where
    the settle stage measured the recipe doing worse than the dense optimum on fresh seeds."""
    if settled is None or settled.confirmation is None:
        return "recipe"
    return "kept" if settled.confirmation.gain < 0 else "recipe"


def shipped(grid: Grid, found: Recipe | None, dense: dict[str, Any],
            settled: Settlement | None) -> Recipe | None:
    """The recipe a ratio's model is trained and shipped with: the grid's (``found``) unless
    the settle stage measured another point better on fresh seeds (the dense optimum, where the
    grid's recipe did worse; the runner-up it confirmed instead, where the grid's recipe was the
    dense optimum itself)."""
    if found is None or settled is None or settled.recipe is None:
        return found
    kept = recommended(settled) == "kept"
    point = settled.kept if kept else settled.recipe
    if not kept and point == {a.name: found.params[a.name] for a in grid.axes}:
        return found
    per_hp = {}
    for axis in grid.axes:
        value, before = point[axis.name], dense[axis.name]
        numeric = axis.kind != "categorical"
        per_hp[axis.name] = HyperparameterRecipe(
            dense=before, grid_best=found.per_hp[axis.name].grid_best, recipe=value,
            factor=value / before if numeric and axis.log and before else None,
            refined=numeric and value not in axis.values)
    return Recipe(params={**found.params, **point}, per_hp=per_hp, kept=kept)
