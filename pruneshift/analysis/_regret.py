"""The regret of not re-tuning, free of the best-of-many selection bias, with a t interval.

Regret is the accuracy a pruned model loses by keeping hyperparameters fixed (the dense optimum,
or one hyperparameter at its dense value) instead of re-tuning on the grid. Its plug-in
estimate, the best of many noisy means minus one of them, reads high even where nothing is
lost. Cross-fitting removes that: for every seed k, the re-tuned point (and, where a whole set
of points is kept, the best kept point) is chosen on the other seeds' mean and both are scored
on seed k alone; the regret is the mean of these per-seed differences (each within one seed, so
a seed's shared luck cancels).

Each difference is two single runs, each a fresh draw of the seed noise at its point (the point
was chosen without that seed), so its variance is twice the single-run variance. That variance
is pooled over every trained run of the pruned grid (a mean square without outliers; degrees
of freedom: runs minus points), not taken from the two or three differences alone: Student's t
with 2 degrees of freedom would need a regret fifteen standard errors above epsilon before a
family-wise claim. The
interval is Student's t with the pooled degrees of freedom. ``p_above_epsilon`` is the
one-sided test of "the regret is at most epsilon"; the study adjusts it over all its regret
claims (``_inference.adjust``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.stats import t as student_t

from ._landscape import seed_mean

DETECTION_POWER = 0.8  # power at which the smallest detectable regret is stated
MAD_TO_STD = 1.4826  # the normal-consistent factor of a median absolute deviation
OUTLIER_SCALE = 4.0  # residuals beyond this many robust standard deviations are left out


def _best(mean: np.ndarray, allowed: np.ndarray) -> tuple[int, ...] | None:
    scores = np.where(allowed & np.isfinite(mean), mean, -np.inf)
    if not np.isfinite(scores).any():
        return None
    return tuple(int(i) for i in np.unravel_index(np.argmax(scores), mean.shape))


def fold_differences(runs: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Per seed k: the run at the point chosen on the other seeds minus the best kept run."""
    everywhere = np.ones(runs.shape[:-1], dtype=bool)
    differences = []
    for k in range(runs.shape[-1]):
        others = seed_mean(np.delete(runs, k, axis=-1))
        chosen, fixed = _best(others, everywhere), _best(others, kept)
        if chosen is None or fixed is None:
            continue
        gap = runs[(*chosen, k)] - runs[(*fixed, k)]
        if np.isfinite(gap):
            differences.append(float(gap))
    return np.array(differences)


def plugin_regret(mean: np.ndarray, kept: np.ndarray) -> float:
    """Best mean minus best kept mean, on the same data (biased upwards; for one seed only)."""
    kept_means = np.where(kept, mean, np.nan)
    if np.all(np.isnan(kept_means)):
        return math.nan
    return float(np.nanmax(mean) - np.nanmax(kept_means))


def pooled_variance(runs: np.ndarray) -> tuple[float, int]:
    """The single-run variance pooled over the grid's points, and its degrees of freedom.

    The mean square of the residuals (each scaled by sqrt(n/(n-1))), leaving out those beyond
    ``OUTLIER_SCALE`` robust standard deviations (1.4826 times the median absolute residual):
    a few unstable points, where one seed trained and another barely did, do not set the scale
    of every regret, and normal noise keeps the mean square's efficiency.
    """
    counts = np.sum(~np.isnan(runs), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = (runs - seed_mean(runs)[..., None]) * np.sqrt(counts / (counts - 1))
    pool = scaled[np.isfinite(scaled) & (counts >= 2)]
    df = int(np.sum(np.maximum(counts - 1, 0)))
    if not pool.size or df == 0:
        return math.nan, 0
    robust = MAD_TO_STD * np.median(np.abs(pool))
    kept = pool[np.abs(pool) <= OUTLIER_SCALE * robust] if robust > 0 else pool
    return float(np.mean(kept ** 2)), df


def regret(runs: np.ndarray, kept: np.ndarray, *, alpha: float, epsilon: float,
           trained: np.ndarray | None = None) -> dict[str, Any]:
    """The cross-fitted regret of keeping the points in ``kept``, its (1 - alpha) interval, the
    smallest regret this design tells from epsilon (``detectable``, at 80 % power), and the
    seeds that would settle it against epsilon. ``trained`` (default ``runs``) are the runs the
    noise is pooled from: diverged runs are outcomes, not noise."""
    differences = fold_differences(runs, kept) if runs.shape[-1] >= 2 else np.array([])
    n = differences.size
    variance, df = pooled_variance(runs if trained is None else trained)
    if n < 2 or df == 0:
        return {"mean": plugin_regret(seed_mean(runs), kept), "ci_low": None, "ci_high": None,
                "method": "plug-in", "folds": int(n), "p_above_epsilon": None,
                "detectable": None, "seeds_to_settle": None}
    mean, spread = float(differences.mean()), math.sqrt(2 * variance)
    error = spread / math.sqrt(n)
    half = student_t.ppf(1 - alpha / 2, df) * error
    if error > 0:
        p_above = float(student_t.sf((mean - epsilon) / error, df))
    else:
        p_above = 0.0 if mean > epsilon else 1.0
    detectable = epsilon + (student_t.ppf(1 - alpha / 2, df)
                            + student_t.ppf(DETECTION_POWER, df)) * error
    margin = abs(epsilon - mean)
    settle = None
    if margin > 0 and spread > 0:
        settle = max(n, math.ceil((1.96 * spread / margin) ** 2))
    return {"mean": mean, "ci_low": mean - half, "ci_high": mean + half,
            "method": "cross-fitted", "folds": int(n), "noise_df": df,
            "p_above_epsilon": p_above,
            "detectable": detectable, "seeds_to_settle": settle}


def kept_point(shape: tuple[int, ...], point: tuple[int, ...]) -> np.ndarray:
    """The mask of one kept grid point (the dense optimum)."""
    mask = np.zeros(shape, dtype=bool)
    mask[point] = True
    return mask


def kept_value(shape: tuple[int, ...], point: tuple[int, ...], axis: int) -> np.ndarray:
    """The mask of the points where ``axis`` keeps the dense optimum's value."""
    mask = np.zeros(shape, dtype=bool)
    index: list[slice | int] = [slice(None)] * len(shape)
    index[axis] = point[axis]
    mask[tuple(index)] = True
    return mask
