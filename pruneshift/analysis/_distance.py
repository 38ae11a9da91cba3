"""Distances between two distributions on one grid: joint and marginal W1, shape divergences."""

from __future__ import annotations

import functools
import itertools
import os
from types import ModuleType

import numpy as np
from scipy.spatial.distance import jensenshannon


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
    return float(wasserstein_on_grid_batch(p[None], q[None], metric)[0])


def wasserstein_on_grid_batch(p: np.ndarray, q: np.ndarray, metric: np.ndarray | None = None
                              ) -> np.ndarray:
    """W1 of each pair ``(p[i], q[i])`` of two stacks of distributions on one grid, by exact
    optimal transport (POT's network simplex, one problem at a time: a stack checks its masses
    once, and the duals, which a cost does not need, are not centred); ``metric`` defaults to
    the grid's in steps."""
    ot = _pot()
    metric = grid_ground_metric(p.shape[1:]) if metric is None else metric
    a = np.ascontiguousarray(p.reshape(len(p), -1), dtype=float)
    b = np.ascontiguousarray(q.reshape(len(q), -1), dtype=float)
    if not np.allclose(a.sum(axis=1), b.sum(axis=1), rtol=0, atol=1e-6):
        raise ValueError("W1 needs two distributions of equal mass")
    return np.array([ot.emd2(x, y, metric, center_dual=False, check_marginals=False)
                     for x, y in zip(a, b, strict=True)])


def marginal(p: np.ndarray, axis: int) -> np.ndarray:
    """The distribution of one grid axis, summed over the others."""
    others = tuple(i for i in range(p.ndim) if i != axis)
    return p.sum(axis=others) if others else p


def marginal_wasserstein(p: np.ndarray, q: np.ndarray, axis: int,
                         positions: np.ndarray | None = None) -> float:
    """W1 between the 1-D marginals along ``axis``, at ``positions`` (default: grid steps)."""
    return float(marginal_wasserstein_batch(p[None], q[None], axis, positions)[0])


def marginal_wasserstein_batch(p: np.ndarray, q: np.ndarray, axis: int,
                               positions: np.ndarray | None = None) -> np.ndarray:
    """W1 between the 1-D marginals along grid ``axis`` of each pair ``(p[i], q[i])`` of two
    stacks (POT's batched 1-D optimal transport)."""
    ot = _pot()
    others = tuple(1 + i for i in range(p.ndim - 1) if i != axis)
    u, v = (s.sum(axis=others).T if others else s.T for s in (p, q))  # (points, pairs)
    where = np.arange(len(u), dtype=float) if positions is None else np.asarray(positions, float)
    values = np.repeat(where[:, None], u.shape[1], axis=1)
    return np.asarray(ot.wasserstein_1d(values, values, u, v, p=1), dtype=float)


def shape_divergences(p: np.ndarray, q: np.ndarray) -> dict[str, float]:
    """Jensen–Shannon distance (base 2, in [0, 1]), Hellinger distance, total variation."""
    return {k: float(v[0]) for k, v in shape_divergences_batch(p[None], q[None]).items()}


def shape_divergences_batch(p: np.ndarray, q: np.ndarray) -> dict[str, np.ndarray]:
    """``shape_divergences`` of each pair ``(p[i], q[i])`` of two stacks."""
    a, b = p.reshape(len(p), -1), q.reshape(len(q), -1)
    with np.errstate(invalid="ignore"):
        js = jensenshannon(a, b, base=2, axis=1)
    return {
        "js": np.where(np.isnan(js), 0.0, js),  # SciPy's sqrt of a rounding-negative divergence
        "hellinger": np.sqrt(0.5 * np.sum((np.sqrt(a) - np.sqrt(b)) ** 2, axis=1)),
        "tv": 0.5 * np.abs(a - b).sum(axis=1),
    }


def distances(p: np.ndarray, q: np.ndarray, metric: np.ndarray | None = None
              ) -> dict[str, float]:
    """Every joint distance: ``wasserstein`` (grid steps), ``js``, ``hellinger``, ``tv``."""
    return {k: float(v[0]) for k, v in distances_batch(p[None], q[None], metric).items()}


def distances_batch(p: np.ndarray, q: np.ndarray, metric: np.ndarray | None = None
                    ) -> dict[str, np.ndarray]:
    """``distances`` of each pair ``(p[i], q[i])`` of two stacks of distributions on one grid."""
    return {"wasserstein": wasserstein_on_grid_batch(p, q, metric),
            **shape_divergences_batch(p, q)}
