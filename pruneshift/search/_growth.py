"""When a grid grows: the best point of a ratio on the edge of a log-scaled axis asks for one
more step on that side, for every ratio, within the search space and ``grid.max_extend``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._grid import Grid, Growth

if TYPE_CHECKING:
    from ..config import SearchParam

SIDES = ("low", "high")


def _next_value(values: tuple[float, ...], side: str) -> float:
    """One more step of the axis's geometric spacing beyond its ``side`` end."""
    if side == "low":
        return values[0] * values[0] / values[1]
    return values[-1] * values[-1] / values[-2]


def _within(value: float, param: SearchParam) -> bool:
    tolerance = 1e-9 * max(abs(param.low), abs(param.high))
    return param.low - tolerance <= value <= param.high + tolerance


def growth_steps(grid: Grid, best: dict[float, tuple[int, ...]],
                 space: dict[str, SearchParam], max_extend: int) -> list[Growth]:
    """The steps the grid grows by now (at most one per axis side), given each ratio's best
    position; empty once every best point is interior or no axis may grow further.

    An axis grows only where it is log-scaled in the search space, has two values or more,
    the next value lies within the space's bounds and fewer than ``max_extend`` steps were
    added to it so far.
    """
    steps = []
    for index, axis in enumerate(grid.axes):
        param = space.get(axis.name)
        grown = sum(g.axis == axis.name for g in grid.grown)
        if (param is None or not param.log or axis.kind != "float" or len(axis.values) < 2
                or grown >= max_extend):
            continue
        for side in SIDES:
            edge = 0 if side == "low" else len(axis.values) - 1
            ratios = [r for r in sorted(best) if best[r][index] == edge]
            value = _next_value(axis.values, side)
            if ratios and _within(value, param) and grown < max_extend:
                steps.append(Growth(axis.name, value, side, ratios[0]))
                grown += 1
    return steps
