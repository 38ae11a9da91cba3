"""Landscapes as distributions over the grid, and the Wasserstein distance between them."""

from __future__ import annotations

import itertools

import numpy as np

DEFAULT_TEMPERATURE = 0.01  # softmax temperature in accuracy units: 1 point of accuracy


def softmax_distribution(mean: np.ndarray, temperature: float = DEFAULT_TEMPERATURE
                         ) -> np.ndarray:
    """P(h) proportional to exp((p(h) - max p) / temperature); missing points get no mass."""
    scores = np.where(np.isnan(mean), -np.inf, mean)
    weights = np.exp((scores - np.max(scores)) / temperature)
    return weights / weights.sum()


def grid_ground_metric(shape: tuple[int, ...]) -> np.ndarray:
    """Euclidean distance between every pair of grid points, in grid-step units."""
    coords = np.array(list(itertools.product(*(range(n) for n in shape))), dtype=float)
    return np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=-1))


def wasserstein_on_grid(p: np.ndarray, q: np.ndarray) -> float:
    """W1 between two distributions on the same grid, by exact optimal transport (POT)."""
    import ot

    a = np.ascontiguousarray(p.ravel(), dtype=float)
    b = np.ascontiguousarray(q.ravel(), dtype=float)
    return float(ot.emd2(a, b, grid_ground_metric(p.shape)))
