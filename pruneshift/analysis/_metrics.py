"""The shift metrics between a pruned landscape and the dense one: every distance, jointly and per
hyperparameter."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..search import Grid
from ._claims import Distances, OptimumShift, RankCorrelation, Statistic
from ._distance import (
    distances_batch,
    grid_ground_metric,
    marginal_wasserstein,
    marginal_wasserstein_batch,
    wasserstein_on_grid,
)
from ._distribution import to_distribution
from ._shift import best_index, rank_agreement, subgrid_optimum


@dataclass(frozen=True)
class Normalisation:
    """How a mean landscape becomes a distribution."""

    kind: str
    temperature: float
    delta: float

    def __call__(self, mean: np.ndarray) -> np.ndarray:
        return to_distribution(mean, self.kind, temperature=self.temperature, delta=self.delta)


def unit_positions(grid: Grid) -> list[np.ndarray | None]:
    """Each axis's values in hyperparameter units: log10 for log axes; None for categorical."""
    positions = []
    for axis in grid.axes:
        if axis.kind == "categorical":
            positions.append(None)
        else:
            values = np.asarray(axis.values, dtype=float)
            positions.append(np.log10(values) if axis.log else values)
    return positions


class ShiftMetrics:
    """Metrics between the dense landscape and a pruned one on the same grid."""

    def __init__(self, grid: Grid, normalisation: Normalisation):
        self.grid, self.normalise = grid, normalisation
        self.names = [a.name for a in grid.axes]
        self.steps_metric = grid_ground_metric(grid.shape)
        self.units = unit_positions(grid)
        coords = [u if u is not None else np.arange(n, dtype=float)
                  for u, n in zip(self.units, grid.shape, strict=True)]
        points = np.array(list(itertools.product(*coords)))
        self.units_metric = np.sqrt(((points[:, None] - points[None]) ** 2).sum(axis=-1))
        self.all_log = all(a.log for a in grid.axes)

    def statistics(self, dense: np.ndarray, pruned: np.ndarray) -> dict[Statistic, float]:
        """The statistics the null replays: joint distances and per-axis W1 (steps)."""
        return {k: float(v[0]) for k, v in self.statistics_batch(dense[None], pruned[None]).items()}

    def statistics_batch(self, dense: np.ndarray, pruned: np.ndarray
                         ) -> dict[Statistic, np.ndarray]:
        """``statistics`` of each pair ``(dense[i], pruned[i])`` of two stacks of landscapes."""
        p = np.stack([self.normalise(mean) for mean in dense])
        q = np.stack([self.normalise(mean) for mean in pruned])
        stats = {Statistic(k): v for k, v in distances_batch(p, q, self.steps_metric).items()}
        for axis, name in enumerate(self.names):
            stats[Statistic("wasserstein", name)] = marginal_wasserstein_batch(p, q, axis)
        return stats

    def shift_statistics(self) -> list[Statistic]:
        """The statistics behind a shift claim: the joint W1 and each hyperparameter's W1."""
        return [Statistic("wasserstein"), *[Statistic("wasserstein", n) for n in self.names]]

    def shift_steps(self, dense: np.ndarray, pruned: np.ndarray) -> np.ndarray | None:
        """Per axis, how far the sub-grid optimum moved, in grid steps."""
        before, after = subgrid_optimum(dense), subgrid_optimum(pruned)
        if before is None or after is None:
            return None
        return np.asarray(after) - np.asarray(before)

    def details(self, dense: np.ndarray, pruned: np.ndarray) -> Details:
        """What only the observed landscapes need: units, optimum shifts, rank agreement."""
        p, q = self.normalise(dense), self.normalise(pruned)
        stats = self.statistics(dense, pruned)
        w_units = wasserstein_on_grid(p, q, self.units_metric)
        marginal_units: dict[str, float | None] = {}
        for axis, name in enumerate(self.names):
            units = self.units[axis]
            marginal_units[name] = (None if units is None
                                    else marginal_wasserstein(p, q, axis, units))
        return Details(
            distances=Distances(**{s.distance: v for s, v in stats.items()
                                   if s.hyperparameter is None},
                                wasserstein_units=w_units,
                                wasserstein_factor=10 ** w_units if self.all_log else None),
            marginal_units=marginal_units,
            optimum_shifts=self._optimum_shifts(dense, pruned),
            rank_correlation=RankCorrelation(**rank_agreement(dense, pruned)))

    def _optimum_shifts(self, dense: np.ndarray, pruned: np.ndarray
                        ) -> dict[str, OptimumShift | None]:
        """Per axis: argmax and sub-grid displacement, in steps and in units (factor if log)."""
        before, after = best_index(dense), best_index(pruned)
        if before is None or after is None:
            return dict.fromkeys(self.names)
        fine_before, fine_after = subgrid_optimum(dense), subgrid_optimum(pruned)
        shifts: dict[str, OptimumShift | None] = {}
        for axis, name in enumerate(self.names):
            units = self.units[axis]
            edge = after[axis] in (0, self.grid.shape[axis] - 1) and self.grid.shape[axis] > 1
            moved: dict[str, float] = {}
            if units is not None:
                index = np.arange(len(units), dtype=float)
                for kind, a, b in (("argmax", before[axis], after[axis]),
                                   ("subgrid", fine_before[axis], fine_after[axis])):
                    moved[f"{kind}_units"] = float(np.interp(b, index, units)
                                                   - np.interp(a, index, units))
                    if self.grid.axes[axis].log:
                        moved[f"{kind}_factor"] = 10 ** moved[f"{kind}_units"]
            shifts[name] = OptimumShift(argmax_steps=after[axis] - before[axis],
                                        subgrid_steps=fine_after[axis] - fine_before[axis],
                                        at_edge=bool(edge and units is not None), **moved)
        return shifts


@dataclass(frozen=True)
class Details:
    """What a comparison of the observed landscapes adds to the statistics the null replays."""

    distances: Distances
    marginal_units: dict[str, float | None]  # each marginal's W1 in units; None: categorical
    optimum_shifts: dict[str, OptimumShift | None]
    rank_correlation: RankCorrelation
