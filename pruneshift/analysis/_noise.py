"""Seed noise: its size, a residual bootstrap that replays it, and a seed-permutation null.

A grid point's accuracy varies with the seed. Residuals (each run's accuracy minus its point's
mean over seeds, scaled by sqrt(R/(R-1)) so their spread is the single-run standard
deviation) are pooled over the grid. A bootstrap replicate of a landscape adds, at every point,
the mean of R residuals drawn from that pool: the noise a mean over R seeds carries. This
works from two seeds on; with a single seed there is no residual and no noise estimate.

The null of "pruning did not change the landscape's shape" is a permutation: once the pruned
runs are moved by the grid-wide mean accuracy difference, a point's dense and pruned runs are
exchangeable, so shuffling them between the two groups (independently per point) gives
landscape pairs that differ by seed noise alone.
"""

from __future__ import annotations

import numpy as np

from ._landscape import Landscape


def residuals(landscape: Landscape) -> np.ndarray | None:
    """Pooled, variance-corrected seed residuals of the points with at least two seeds."""
    accuracy = landscape.accuracy.reshape(-1, landscape.accuracy.shape[-1])
    counts = np.sum(~np.isnan(accuracy), axis=1)
    usable = accuracy[counts >= 2]
    if usable.size == 0:
        return None
    n = counts[counts >= 2][:, None]
    centred = (usable - np.nanmean(usable, axis=1, keepdims=True)) * np.sqrt(n / (n - 1))
    return centred[~np.isnan(centred)]


def seed_noise(landscape: Landscape) -> float | None:
    """Standard deviation of one run's accuracy across seeds, pooled over the grid."""
    pool = residuals(landscape)
    return None if pool is None else float(np.sqrt(np.mean(pool ** 2)))


class NoiseModel:
    """Draws the seed noise of a mean over ``seeds`` runs, from one landscape's residuals."""

    def __init__(self, landscape: Landscape):
        self.pool = residuals(landscape)
        self.seeds = landscape.accuracy.shape[-1]

    @property
    def available(self) -> bool:
        return self.pool is not None

    def replicate(self, mean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``mean`` plus the noise of a fresh mean over ``seeds`` runs at every point."""
        draws = rng.choice(self.pool, size=(*mean.shape, self.seeds))
        return mean + draws.mean(axis=-1)


def _mean(runs: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        counts = np.sum(~np.isnan(runs), axis=-1)
        return np.where(counts > 0, np.nansum(runs, axis=-1) / np.maximum(counts, 1), np.nan)


class SeedPermutation:
    """Pairs of (dense, pruned) mean landscapes with the runs shuffled between the two grids."""

    def __init__(self, dense: Landscape, pruned: Landscape):
        with np.errstate(invalid="ignore"):
            self.offset = float(np.nanmean(pruned.mean() - dense.mean()))
        self.runs = np.concatenate([dense.accuracy, pruned.accuracy - self.offset], axis=-1)
        self.n_dense = dense.accuracy.shape[-1]

    def replicate(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One shuffle: the dense group's mean and the pruned group's (offset restored)."""
        shuffled = rng.permuted(self.runs, axis=-1)
        return (_mean(shuffled[..., :self.n_dense]),
                _mean(shuffled[..., self.n_dense:]) + self.offset)
