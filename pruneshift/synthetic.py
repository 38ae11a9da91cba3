"""The known-answer task: accuracy is an analytic function of the hyperparameters and the ratio.

    acc(h, r, s) = peak - peak_drop*r - sum_i curvature_i * (u_i - u*_i - shift_i*r)^2 + noise*eps

u is a hyperparameter in log10 units where its search space is log-scaled (raw units
otherwise), u* the dense optimum, and eps a standard normal drawn from a generator seeded by
the seed, the ratio and the grid point, so every (point, seed) has its own reproducible noise.
Selected with ``data.name: synthetic``; the whole study runs on it in seconds, and every
metric can be checked against the shift it was given.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np

from .config import ExperimentConfig

DEFAULT_CURVATURE = 0.02  # accuracy lost one unit (a decade for log axes) away from the optimum
LEARNING_CURVE_START = 0.1  # epoch 1 of E scores this much below the final value, decreasing


def coordinate(config: ExperimentConfig, name: str, value: float) -> float:
    """A hyperparameter in the task's units: log10 for log-scaled ones, raw otherwise."""
    return math.log10(value) if config.search_space[name].log else float(value)


def _noise(seed: int, ratio: float, params: dict[str, Any]) -> float:
    key = json.dumps([seed, ratio, sorted(params.items())], default=str).encode()
    entropy = int.from_bytes(hashlib.sha256(key).digest()[:8], "little")
    return float(np.random.default_rng(entropy).standard_normal())


def accuracy(config: ExperimentConfig, params: dict[str, Any], ratio: float, seed: int) -> float:
    """The task's accuracy at hyperparameters ``params``, pruning ``ratio`` and ``seed``."""
    task = config.synthetic
    value = task.peak - task.peak_drop * ratio
    for name, optimum in task.optimum.items():
        offset = (coordinate(config, name, params[name]) - coordinate(config, name, optimum)
                  - task.shift.get(name, 0.0) * ratio)
        value -= task.curvature.get(name, DEFAULT_CURVATURE) * offset ** 2
    return value + task.noise * _noise(seed, ratio, params)


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
