"""Where the optimum is: argmax per axis, a sub-grid estimate, and rank agreement."""

from __future__ import annotations

import numpy as np
from scipy.stats import kendalltau, spearmanr


def best_index(mean: np.ndarray) -> tuple[int, ...] | None:
    """Grid index of the best mean accuracy, or None if nothing finished."""
    if np.all(np.isnan(mean)):
        return None
    return tuple(int(i) for i in np.unravel_index(np.nanargmax(mean), mean.shape))


def subgrid_optimum(mean: np.ndarray) -> list[float] | None:
    """Per axis, the vertex of a parabola through the best point and its two neighbours.

    Positions are in grid steps; at an edge, or where the three points do not bend down,
    the best point itself is used.
    """
    best = best_index(mean)
    if best is None:
        return None
    positions = []
    for axis, i in enumerate(best):
        position = float(i)
        if 0 < i < mean.shape[axis] - 1:
            line = [mean[best[:axis] + (j,) + best[axis + 1:]] for j in (i - 1, i, i + 1)]
            bend = line[0] - 2 * line[1] + line[2]
            if np.all(np.isfinite(line)) and bend < 0:
                position += float(np.clip(0.5 * (line[0] - line[2]) / bend, -0.5, 0.5))
        positions.append(position)
    return positions


def rank_agreement(dense: np.ndarray, pruned: np.ndarray) -> dict[str, float | None]:
    """Spearman's rho and Kendall's tau between two landscapes over the points both have."""
    a, b = dense.ravel(), pruned.ravel()
    both = ~np.isnan(a) & ~np.isnan(b)
    if both.sum() < 3 or np.ptp(a[both]) == 0 or np.ptp(b[both]) == 0:
        return {"spearman": None, "kendall": None}
    return {"spearman": float(spearmanr(a[both], b[both]).statistic),
            "kendall": float(kendalltau(a[both], b[both]).statistic)}
