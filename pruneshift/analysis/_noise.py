"""Seed noise: its size, a residual bootstrap that replays it, and a seed-permutation null.

A grid point's accuracy varies with the seed, and not equally everywhere: near a divergence
edge one seed may train and another not. Residuals (each run's accuracy minus its point's mean
over seeds, scaled by sqrt(R/(R-1)) so their spread is the single-run standard deviation) are
therefore kept per point. The noise scale is their median absolute value (times 1.4826, the
normal-consistent MAD factor), so a few unstable points do not set it. This needs two seeds;
with one there is no residual and no noise estimate.

A bootstrap replicate of a landscape resamples, at every point, R of that point's own runs with
replacement, so it never leaves the range the seeds actually reached (a point where one seed
trained and one diverged stays between the two). With R seeds the replicates' variance is
(R - 1)/R of the true one: with two seeds, intervals are about 30 % too narrow; use three or
more seeds where intervals matter.

The null of "pruning did not change the landscape's shape" is a permutation: once the pruned
runs are moved by the grid-wide mean accuracy difference, a point's dense and pruned runs are
exchangeable, so shuffling them between the two groups (independently per point) gives
landscape pairs that differ by seed noise alone.
"""

from __future__ import annotations

import numpy as np

from ._landscape import Landscape

MAD_TO_STD = 1.4826


def point_residuals(landscape: Landscape) -> np.ndarray:
    """Variance-corrected residuals per point and seed; NaN where a point has < 2 runs."""
    accuracy = landscape.accuracy
    counts = np.sum(~np.isnan(accuracy), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = (accuracy - landscape.mean()[..., None]) * np.sqrt(counts / (counts - 1))
    return np.where(counts >= 2, centred, np.nan)


def residuals(landscape: Landscape) -> np.ndarray | None:
    """All finite residuals of the grid, pooled; None without a point of two runs."""
    pool = point_residuals(landscape)
    pool = pool[np.isfinite(pool)]
    return pool if pool.size else None


def seed_noise(landscape: Landscape) -> float | None:
    """Typical standard deviation of one run's accuracy across seeds (median-based)."""
    pool = residuals(landscape)
    return None if pool is None else float(MAD_TO_STD * np.median(np.abs(pool)))


class SeedBootstrap:
    """Landscape replicates: each point's runs resampled with replacement."""

    def __init__(self, landscape: Landscape):
        self.runs = landscape.accuracy
        self.available = residuals(landscape) is not None

    def replicate(self, rng: np.random.Generator) -> np.ndarray:
        """The mean landscape of one resample."""
        picks = rng.integers(0, self.runs.shape[-1], size=self.runs.shape)
        return _mean(np.take_along_axis(self.runs, picks, axis=-1))


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
