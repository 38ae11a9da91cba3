"""The known-answer task: accuracy is an analytic function of the hyperparameters and the ratio.

    acc(h, r, s) = peak - peak_drop*r - sum_i curvature_i * (u_i - u*_i - shift_i*r)^2 + noise*eps

u is a hyperparameter in log10 units where its search space is log-scaled (raw units
otherwise), u* the dense optimum, and eps a standard normal drawn from generators seeded by
the seed, the ratio and the grid point, so every (point, seed) has its own reproducible noise.
With ``seed_correlation`` c, eps = sqrt(c) * eps(seed, point) + sqrt(1 - c) * eps(seed, ratio,
point): a seed's runs at different ratios are correlated by c, as real runs that share
initialisation and data order are.
Selected with ``data.name: synthetic``; the whole study runs on it in seconds, and every
metric can be checked against the shift it was given. Runs can be made to diverge in a region
of the grid (``diverge_above``, from a ratio ``diverge_from`` on), as heavy pruning at a large
learning rate does.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import ExperimentConfig

if TYPE_CHECKING:
    from .search import Grid

DEFAULT_CURVATURE = 0.02  # accuracy lost one unit (a decade for log axes) away from the optimum
LEARNING_CURVE_START = 0.1  # epoch 1 of E scores this much below the final value, decreasing


def coordinate(config: ExperimentConfig, name: str, value: float) -> float:
    """A hyperparameter in the task's units: log10 for log-scaled ones, raw otherwise."""
    return math.log10(value) if config.search_space[name].log else float(value)


def _normal(*key: Any) -> float:
    digest = hashlib.sha256(json.dumps(key, default=str).encode()).digest()
    return float(np.random.default_rng(int.from_bytes(digest[:8], "little")).standard_normal())


def _noise(seed: int, ratio: float, params: dict[str, Any], shared: float) -> float:
    point = sorted(params.items())
    own = _normal(seed, ratio, point)
    if shared == 0:
        return own
    return math.sqrt(shared) * _normal(seed, "shared", point) + math.sqrt(1 - shared) * own


def accuracy(config: ExperimentConfig, params: dict[str, Any], ratio: float, seed: int) -> float:
    """The task's accuracy at hyperparameters ``params``, pruning ``ratio`` and ``seed``."""
    task = config.synthetic
    value = task.peak - task.peak_drop * ratio
    for name, optimum in task.optimum.items():
        offset = (coordinate(config, name, params[name]) - coordinate(config, name, optimum)
                  - task.shift.get(name, 0.0) * ratio)
        value -= task.curvature.get(name, DEFAULT_CURVATURE) * offset ** 2
    return value + task.noise * _noise(seed, ratio, params, task.seed_correlation)


def diverges(config: ExperimentConfig, params: dict[str, Any], ratio: float) -> bool:
    """Whether a run diverges: some hyperparameter above its ``diverge_above`` value, at a
    ratio of at least ``diverge_from``."""
    task = config.synthetic
    return ratio >= task.diverge_from and any(
        params[name] > limit for name, limit in task.diverge_above.items())


def optimum_at(config: ExperimentConfig, ratio: float) -> dict[str, float]:
    """Where the task's optimum lies at ``ratio``, in hyperparameter units."""
    task = config.synthetic
    moved = {}
    for name, optimum in task.optimum.items():
        u = coordinate(config, name, optimum) + task.shift.get(name, 0.0) * ratio
        moved[name] = 10 ** u if config.search_space[name].log else u
    return moved


def learning_curve(final: float, epochs: int) -> list[float]:
    """Per-epoch values rising linearly to ``final``, so Hyperband has something to compare."""
    return [final - LEARNING_CURVE_START * (1 - e / epochs) for e in range(1, epochs + 1)]


def grid_runs(config: ExperimentConfig, grid: Grid, ratio: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """Every (point, seed) of ``grid`` at ``ratio``: accuracies (0 where diverged) and the
    divergence flags, shaped (*grid.shape, seeds) like a landscape."""
    shape = (*grid.shape, len(grid.seeds))
    values, diverged = np.zeros(shape), np.zeros(shape, dtype=bool)
    for point, index in zip(grid.points(), grid.positions(), strict=True):
        params = {**grid.fixed, **point}
        for s, seed in enumerate(grid.seeds):
            diverged[(*index, s)] = diverges(config, params, ratio)
            if not diverged[(*index, s)]:
                values[(*index, s)] = accuracy(config, params, ratio, seed)
    return values, diverged


def true_mean(config: ExperimentConfig, grid: Grid, ratio: float) -> np.ndarray:
    """The noise-free accuracy at every grid point (0 where runs diverge)."""
    quiet = config.model_copy(update={"synthetic": config.synthetic.model_copy(
        update={"noise": 0.0})})
    return grid_runs(quiet, replace(grid, seeds=grid.seeds[:1]), ratio)[0][..., 0]
