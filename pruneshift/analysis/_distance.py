"""Distances between two distributions on one grid: joint and marginal W1, shape divergences."""

from __future__ import annotations

import functools
import itertools
import os
from types import ModuleType

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance


def grid_ground_metric(shape: tuple[int, ...]) -> np.ndarray:
    """Euclidean distance between every pair of grid points, in grid-step units."""
    coords = np.array(list(itertools.product(*(range(n) for n in shape))), dtype=float)
    return np.sqrt(((coords[:, None, :] - coords[None, :, :]) ** 2).sum(axis=-1))


# POT's backends for other array libraries, which these NumPy arrays never need: importing POT
# with them imports JAX where it is installed (the LiteRT export stack brings it), over a second
# per process. POT reads these switches once, at its import; a user's own setting is kept.
POT_BACKENDS_OFF = ("POT_BACKEND_DISABLE_JAX", "POT_BACKEND_DISABLE_TENSORFLOW",
                    "POT_BACKEND_DISABLE_CUPY", "POT_BACKEND_DISABLE_PYTORCH")


@functools.cache
def _pot() -> ModuleType:
    """POT, imported with its NumPy backend alone (``POT_BACKENDS_OFF``); once per process, as
    every W1 of the null replicates asks for it."""
    for switch in POT_BACKENDS_OFF:
        os.environ.setdefault(switch, "1")
    import ot

    return ot


def wasserstein_on_grid(p: np.ndarray, q: np.ndarray, metric: np.ndarray | None = None) -> float:
    """W1 between two distributions on the same grid, by exact optimal transport (POT)."""
    ot = _pot()
    a = np.ascontiguousarray(p.ravel(), dtype=float)
    b = np.ascontiguousarray(q.ravel(), dtype=float)
    cost = grid_ground_metric(p.shape) if metric is None else metric
    return float(ot.emd2(a, b, cost))


def marginal(p: np.ndarray, axis: int) -> np.ndarray:
    """The distribution of one grid axis, summed over the others."""
    others = tuple(i for i in range(p.ndim) if i != axis)
    return p.sum(axis=others) if others else p


def marginal_wasserstein(p: np.ndarray, q: np.ndarray, axis: int,
                         positions: np.ndarray | None = None) -> float:
    """W1 between the 1-D marginals along ``axis`` (SciPy), at ``positions`` (default: steps)."""
    where = np.arange(p.shape[axis], dtype=float) if positions is None else positions
    return float(wasserstein_distance(where, where, marginal(p, axis), marginal(q, axis)))


def shape_divergences(p: np.ndarray, q: np.ndarray) -> dict[str, float]:
    """Jensen–Shannon distance (base 2, in [0, 1]), Hellinger distance, total variation."""
    a, b = p.ravel(), q.ravel()
    with np.errstate(invalid="ignore"):
        js = float(jensenshannon(a, b, base=2))
    return {
        "js": 0.0 if np.isnan(js) else js,  # SciPy's sqrt of a rounding-negative divergence
        "hellinger": float(np.sqrt(0.5 * np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))),
        "tv": float(0.5 * np.abs(a - b).sum()),
    }


def distances(p: np.ndarray, q: np.ndarray, metric: np.ndarray | None = None
              ) -> dict[str, float]:
    """Every joint distance: ``wasserstein`` (grid steps), ``js``, ``hellinger``, ``tv``."""
    return {"wasserstein": wasserstein_on_grid(p, q, metric), **shape_divergences(p, q)}
