"""Seed noise: its size, a bootstrap over seeds, and the null of "pruning moved nothing".

A grid point's accuracy varies with the seed, and not equally everywhere: near a divergence
edge one seed may train and another not. Residuals (each run's accuracy minus its point's mean
over the runs that trained, scaled by sqrt(n/(n-1)) for the degree of freedom the mean took, so
their spread is the single-run standard deviation) are therefore kept per point. The noise scale
is their median absolute value (times 1.4826, the normal-consistent MAD factor), so a few
unstable points do not set it. Diverged runs are outcomes, not noise: they never enter a
residual. This needs two seeds; with one there is no residual and no noise estimate.

The null of "pruning did not change the landscape's shape" (``NoShiftNull``) fits one common
landscape to the dense and pruned runs, the pruned ones moved by a robust offset (the median,
over points, of the pruned-minus-dense mean difference, from runs that did not diverge), and
replays the seed noise around it: every run of a replicate is the common landscape plus a
(dense, pruned) residual pair drawn with replacement from all the grid's pairs. A dense and a
pruned run of the same seed and point share initialisation and data order, so their residuals
are drawn as a pair, which keeps their correlation. Residuals are pooled over the grid because
a point's own two or three give a variance of one or two degrees of freedom: replaying those
as if they were the noise makes the null too narrow (as a normal quantile is against Student's
t with 2 degrees of freedom), and the test then fires too often. A run that diverged stays
diverged in every replicate, at its place, so divergence neither blurs the null nor passes for
a shift of the rest.
"""

from __future__ import annotations

import numpy as np

from ._landscape import Landscape, seed_mean

MAD_TO_STD = 1.4826


def trained_runs(landscape: Landscape) -> np.ndarray:
    """The accuracies with diverged runs as missing (NaN)."""
    return np.where(landscape.diverged, np.nan, landscape.accuracy)


def point_residuals(landscape: Landscape) -> np.ndarray:
    """Variance-corrected residuals per point and seed; NaN where a point has < 2 trained runs."""
    runs = trained_runs(landscape)
    counts = np.sum(~np.isnan(runs), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = (runs - seed_mean(runs)[..., None]) * np.sqrt(counts / (counts - 1))
    return np.where(counts >= 2, centred, np.nan)


def residuals(landscape: Landscape) -> np.ndarray | None:
    """All finite residuals of the grid, pooled; None without a point of two trained runs."""
    pool = point_residuals(landscape)
    pool = pool[np.isfinite(pool)]
    return pool if pool.size else None


def seed_noise(landscape: Landscape) -> float | None:
    """Typical standard deviation of one run's accuracy across seeds (median-based)."""
    pool = residuals(landscape)
    return None if pool is None else float(MAD_TO_STD * np.median(np.abs(pool)))


class SeedBootstrap:
    """Landscape replicates that resample whole seeds (every point of a seed together)."""

    def __init__(self, landscape: Landscape):
        self.runs = landscape.accuracy
        self.available = residuals(landscape) is not None

    def picks(self, rng: np.random.Generator) -> np.ndarray:
        """Seed indices of one resample."""
        return rng.integers(0, self.runs.shape[-1], size=self.runs.shape[-1])

    def replicate(self, rng: np.random.Generator, picks: np.ndarray | None = None) -> np.ndarray:
        """The mean landscape of one resample (of ``picks`` where given)."""
        return seed_mean(self.runs[..., self.picks(rng) if picks is None else picks])


def robust_offset(dense: Landscape, pruned: Landscape) -> float:
    """Median over points of the pruned-minus-dense mean accuracy, from trained runs only."""
    with np.errstate(invalid="ignore"):
        gaps = seed_mean(trained_runs(pruned)) - seed_mean(trained_runs(dense))
    gaps = gaps[np.isfinite(gaps)]
    return float(np.median(gaps)) if gaps.size else 0.0


class NoShiftNull:
    """Pairs of (dense, pruned) mean landscapes drawn under "pruning moved nothing"."""

    def __init__(self, dense: Landscape, pruned: Landscape):
        self.offset = robust_offset(dense, pruned)
        both = np.concatenate([trained_runs(dense), trained_runs(pruned) - self.offset], axis=-1)
        self.common = seed_mean(both)
        self.common = np.where(np.isnan(self.common), np.nanmean(both), self.common)
        self.pairs = _residual_pairs(point_residuals(dense), point_residuals(pruned))
        self.diverged = [dense.diverged, pruned.diverged]
        self.missing = [np.isnan(dense.accuracy), np.isnan(pruned.accuracy)]
        self.shape = dense.accuracy.shape
        self.available = residuals(dense) is not None and residuals(pruned) is not None

    def replicates(self, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``count`` draws at once: a stack of dense and one of pruned mean landscapes (the
        pruned ones offset back)."""
        picks = rng.integers(0, self.pairs.shape[0], size=(count, *self.shape))
        means = []
        for side, shift in ((0, 0.0), (1, self.offset)):
            runs = self.common[..., None] + shift + self.pairs[picks, side]
            runs = np.where(self.diverged[side], 0.0, runs)
            means.append(seed_mean(np.where(self.missing[side], np.nan, runs)))
        return means[0], means[1]


def _residual_pairs(dense: np.ndarray, pruned: np.ndarray) -> np.ndarray:
    """(dense, pruned) residuals of the runs that share a point and seed, shape (pairs, 2).

    Where no run has both (every pruned run diverged, say), the two sides' residuals are paired
    in turn, which replays each side's spread without a correlation.
    """
    both = np.isfinite(dense) & np.isfinite(pruned)
    if both.any():
        return np.stack([dense[both], pruned[both]], axis=-1)
    d, p = dense[np.isfinite(dense)], pruned[np.isfinite(pruned)]
    if not (d.size and p.size):
        return np.zeros((1, 2))
    size = max(d.size, p.size)
    return np.stack([np.resize(d, size), np.resize(p, size)], axis=-1)
