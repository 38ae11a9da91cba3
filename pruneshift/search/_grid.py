"""The vicinity grid: axes centred on the HPO optimum, the same for every pruning ratio.

A grid may grow (``Growth``): a value added at one end of an axis, for every ratio. Its points
keep their numbers as it grows: the first grid's points in C order, then each growth's new
points in C order of the axes it made.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import optuna

from ..seeds import stage_seeds

if TYPE_CHECKING:
    from ..config import ExperimentConfig, GridAxis, SearchParam


@dataclass(frozen=True)
class Axis:
    """One grid axis: its values in ascending order (given order for categorical ones)."""

    name: str
    values: tuple[Any, ...]
    log: bool = False
    kind: str = "float"  # float | int | categorical

    def distribution(self) -> optuna.distributions.BaseDistribution:
        """The Optuna distribution spanning this axis's values."""
        if self.kind == "categorical":
            return optuna.distributions.CategoricalDistribution(list(self.values))
        if self.kind == "int":
            return optuna.distributions.IntDistribution(min(self.values), max(self.values),
                                                        log=self.log)
        return optuna.distributions.FloatDistribution(min(self.values), max(self.values),
                                                      log=self.log)

    def record(self, trial: optuna.Trial) -> Any:
        """Register this axis on an enqueued trial, which returns the trial's fixed value."""
        if self.kind == "categorical":
            return trial.suggest_categorical(self.name, list(self.values))
        if self.kind == "int":
            return trial.suggest_int(self.name, min(self.values), max(self.values), log=self.log)
        return trial.suggest_float(self.name, min(self.values), max(self.values), log=self.log)

    def steps(self) -> list[float]:
        """Each value's position in grid-step units (its index)."""
        return [float(i) for i in range(len(self.values))]


@dataclass(frozen=True)
class Growth:
    """One step an axis grew by: ``value`` added on ``side`` (``low``/``high``) because the best
    point at ``ratio`` lay on that edge."""

    axis: str
    value: Any
    side: str
    ratio: float


@dataclass(frozen=True)
class Grid:
    """Axes, the hyperparameters held at the HPO optimum, the seeds of every point, and the
    steps the axes grew by since the grid was defined."""

    axes: tuple[Axis, ...]
    fixed: dict[str, Any]
    seeds: tuple[int, ...]
    grown: tuple[Growth, ...] = ()

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    def points(self) -> list[dict[str, Any]]:
        """Every grid point as {hyperparameter: value}, numbered as they were added."""
        added = {(g.axis, g.value) for g in self.grown}
        values = {a.name: [v for v in a.values if (a.name, v) not in added] for a in self.axes}
        points = _product(values)
        for growth in self.grown:
            values[growth.axis] = sorted([*values[growth.axis], growth.value])
            points += [p for p in _product(values) if p[growth.axis] == growth.value]
        return points

    def point_at(self, position: tuple[int, ...]) -> dict[str, Any]:
        """The point at ``position`` (an index along each axis)."""
        return dict(zip([a.name for a in self.axes],
                        [a.values[int(i)] for a, i in zip(self.axes, position, strict=True)],
                        strict=True))

    def positions(self) -> list[tuple[int, ...]]:
        """Each point's index along each axis, in the order of ``points``."""
        return [tuple(a.values.index(p[a.name]) for a in self.axes) for p in self.points()]

    def cells(self) -> list[tuple[int, int]]:
        """Every (point index, seed) to train."""
        return [(p, s) for p in range(math.prod(self.shape)) for s in self.seeds]

    def grow(self, growth: Growth) -> Grid:
        """This grid with ``growth.value`` added to its axis."""
        axes = tuple(replace(a, values=tuple(sorted([*a.values, growth.value])))
                     if a.name == growth.axis else a for a in self.axes)
        return replace(self, axes=axes, grown=(*self.grown, growth))

    def to_dict(self) -> dict[str, Any]:
        return {"axes": [{"name": a.name, "values": list(a.values), "log": a.log,
                          "kind": a.kind} for a in self.axes],
                "fixed": self.fixed, "seeds": list(self.seeds),
                "grown": [asdict(g) for g in self.grown]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Grid:
        axes = tuple(Axis(a["name"], tuple(a["values"]), a["log"], a["kind"])
                     for a in data["axes"])
        grown = tuple(Growth(**g) for g in data.get("grown", []))
        return cls(axes, dict(data["fixed"]), tuple(data["seeds"]), grown)


def _product(values: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of ``values``, in C order."""
    return [dict(zip(values, combo, strict=True)) for combo in itertools.product(*values.values())]


def axis_values(axis: GridAxis, param: SearchParam | None, centre: Any) -> list[Any]:
    """Unclipped values: ``points`` around ``centre`` over ``span``, or the explicit values."""
    if axis.values is not None:
        kind = param.type if param is not None else "float"
        return list(axis.values) if kind == "categorical" else sorted(axis.values)
    half = axis.points // 2
    if half == 0:
        return [centre]
    log = param is not None and param.log
    if log:
        values = [centre * axis.span ** (k / (2 * half)) for k in range(-half, half + 1)]
    else:
        values = [centre + axis.span * k / half for k in range(-half, half + 1)]
    if param is not None and param.type == "int":
        values = sorted({round(v) for v in values})
    return values


def _clip(name: str, values: list[Any], param: SearchParam | None,
          warnings: list[str]) -> list[Any]:
    """Drop values outside the search space, keeping the step and the centre."""
    if param is None or param.type == "categorical":
        return values
    tolerance = 1e-9 * max(abs(param.low), abs(param.high))
    kept = [v for v in values if param.low - tolerance <= v <= param.high + tolerance]
    if len(kept) < len(values):
        dropped = [f"{v:.4g}" for v in values if v not in kept]
        warnings.append(f"grid axis '{name}': values {', '.join(dropped)} lie outside the search "
                        f"space [{param.low:g}, {param.high:g}] and were dropped")
    return kept


def build_grid(config: ExperimentConfig, optimum: dict[str, Any]) -> tuple[Grid, list[str]]:
    """The grid around ``optimum`` (the HPO best params), and warnings about clipped axes."""
    warnings: list[str] = []
    axes = []
    for name, axis in config.grid.axes.items():
        param = config.search_space.get(name)
        values = _clip(name, axis_values(axis, param, optimum.get(name)), param, warnings)
        kind = param.type if param is not None else (
            "float" if all(isinstance(v, float | int) and not isinstance(v, bool)
                           for v in values) else "categorical")
        axes.append(Axis(name, tuple(values), bool(param and param.log), kind))
    fixed = {k: v for k, v in optimum.items() if k not in config.grid.axes}
    seeds = stage_seeds(config.seed, "grid", config.grid.seeds)
    return Grid(tuple(axes), fixed, seeds), warnings
