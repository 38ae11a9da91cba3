"""A landscape (mean accuracy per grid point) as a probability distribution over the grid."""

from __future__ import annotations

import numpy as np

FALLBACK_NOISE = 0.01  # accuracy units, used as the noise scale when a grid has a single seed
MIN_TEMPERATURE = 1e-3  # a tenth of an accuracy point: below it, softmax is an argmax


def default_temperature(noise: float | None) -> float:
    """Softmax temperature: the typical seed noise of one run's accuracy, at least 0.001.

    Points whose accuracies differ by less than the seed noise get comparable mass; a point
    several noise widths below the best gets almost none.
    """
    return max(noise if noise is not None else FALLBACK_NOISE, MIN_TEMPERATURE)


def default_top_delta(noise: float | None) -> float:
    """``top`` normalisation's band: points within twice the seed noise of the best."""
    return 2 * (noise if noise is not None else FALLBACK_NOISE)


def to_distribution(mean: np.ndarray, normalisation: str, *, temperature: float,
                    delta: float) -> np.ndarray:
    """P over the grid (same shape as ``mean``); missing points (NaN) get no mass.

    ``softmax``: P ∝ exp((p − max p) / temperature); ``proportional``: P ∝ p (clipped at 0);
    ``top``: uniform over the points within ``delta`` of the best.
    """
    scores = np.where(np.isnan(mean), -np.inf, mean)
    best = np.max(scores)
    if normalisation == "softmax":
        weights = np.exp((scores - best) / temperature)
    elif normalisation == "proportional":
        weights = np.where(np.isfinite(scores), np.clip(scores, 0, None), 0.0)
        if weights.sum() == 0:
            weights = np.isfinite(scores).astype(float)
    elif normalisation == "top":
        weights = (scores >= best - delta).astype(float)
    else:
        raise ValueError(f"unknown normalisation '{normalisation}'; "
                         "allowed: softmax, proportional, top")
    return weights / weights.sum()
