"""The regret of not re-tuning, free of selection bias, with an interval that covers it.

Regret is the accuracy a pruned model loses by keeping hyperparameters fixed (the dense optimum,
or one hyperparameter at its dense value) instead of re-tuning on the grid. Its plug-in
estimate, the best of many noisy means minus one of them, reads high even where nothing is
lost. Cross-fitting removes that: for every seed k, the re-tuned point (and, where a whole set
of points is kept, the best kept point) is chosen on the other seeds' mean and both are scored
on seed k alone; the mean of these per-seed differences is the cross-fitted regret (each
difference within one seed, so a seed's shared luck cancels).

Cross-fitting errs the other way: a point chosen on fewer seeds is a worse point, so it reads
low (a third of a point under a point of seed noise, with three seeds), and which point is
chosen varies from seed to seed. A parametric bootstrap measures both: it re-runs the
cross-fitting on copies of the grid whose truth is the observed means and whose noise is the
single-run noise pooled over the pruned grid (a mean square without outliers, so one unstable
point does not set the scale). The bias it finds is subtracted; the spread of its estimates is
the standard error, with Student's t on the pooled degrees of freedom (runs minus points).
``p_above_epsilon`` is the one-sided test of "the regret is at most epsilon"; the study adjusts
it over all its regret claims (``_inference.adjust``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import t as student_t

from ._claims import Regret
from ._landscape import seed_mean
from ._settle import planned_seeds

DETECTION_POWER = 0.8  # power at which the smallest detectable regret is stated
MAD_TO_STD = 1.4826  # the normal-consistent factor of a median absolute deviation
OUTLIER_SCALE = 4.0  # residuals beyond this many robust standard deviations are left out


def _best_flat(mean: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Per leading index, the flat index of the best allowed finite mean; -1 where none."""
    flat = mean.reshape(mean.shape[0], -1)
    scores = np.where(allowed.reshape(-1) & np.isfinite(flat), flat, -np.inf)
    return np.where(np.isfinite(scores).any(axis=1), np.argmax(scores, axis=1), -1)


def _fold_table(runs: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """``fold_differences`` for a stack of grids (leading axis): a (stack, seeds) array, NaN
    where a fold could not be scored."""
    stack, seeds = runs.shape[0], runs.shape[-1]
    flat = runs.reshape(stack, -1, seeds)
    everywhere = np.ones(kept.shape, dtype=bool)
    rows = np.arange(stack)
    table = np.full((stack, seeds), np.nan)
    for k in range(seeds):
        others = seed_mean(np.delete(runs, k, axis=-1))
        chosen, fixed = _best_flat(others, everywhere), _best_flat(others, kept)
        scored = (chosen >= 0) & (fixed >= 0)
        gap = flat[rows, chosen, k] - flat[rows, fixed, k]
        table[:, k] = np.where(scored, gap, np.nan)
    return table


def fold_differences(runs: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Per seed k: the run at the point chosen on the other seeds minus the best kept run."""
    table = _fold_table(runs[None], kept)[0]
    return table[np.isfinite(table)]


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


def selection_error(runs: np.ndarray, trained: np.ndarray, kept: np.ndarray, variance: float,
                    rng: np.random.Generator, replicates: int) -> tuple[float, float]:
    """The cross-fitted regret's bias and standard error, by parametric bootstrap.

    Each replicate draws every trained run afresh around its point's mean with the pooled
    variance (diverged and missing runs stay as they are) and cross-fits it; the bias is the
    replicates' mean minus the regret of their truth, the error their standard deviation.
    """
    trainable = np.isfinite(trained)
    truth_runs = np.where(trainable, seed_mean(trained)[..., None], runs)
    target = plugin_regret(seed_mean(truth_runs), kept)
    noise = rng.normal(0.0, math.sqrt(variance), size=(replicates, *runs.shape))
    with np.errstate(invalid="ignore"):
        estimates = np.nanmean(_fold_table(np.where(trainable, truth_runs + noise, runs), kept),
                               axis=1)
    estimates = estimates[np.isfinite(estimates)]
    if estimates.size < 2:
        return 0.0, math.nan
    return float(estimates.mean() - target), float(estimates.std(ddof=1))


def regret(runs: np.ndarray, kept: np.ndarray, *, alpha: float, epsilon: float,
           rng: np.random.Generator, replicates: int, claim_level: float,
           trained: np.ndarray | None = None) -> Regret:
    """The bias-corrected cross-fitted regret of keeping the points in ``kept``, its
    (1 - alpha) interval, the smallest regret this design tells from epsilon at the level its
    claim is tested at (``detectable``: two-sided ``claim_level``, 80 % power), and the seeds
    that would settle it against epsilon. ``trained`` (default ``runs``) are the runs the noise
    is pooled from: diverged runs are outcomes, not noise."""
    trained = runs if trained is None else trained
    differences = fold_differences(runs, kept) if runs.shape[-1] >= 2 else np.array([])
    n = differences.size
    variance, df = pooled_variance(trained)
    bias, error = (selection_error(runs, trained, kept, variance, rng, replicates)
                   if n >= 2 and df > 0 else (0.0, math.nan))
    if not np.isfinite(error):
        return Regret(mean=plugin_regret(seed_mean(runs), kept), method="plug-in", folds=n)
    mean = float(differences.mean()) - bias
    quantile = student_t.ppf(1 - alpha / 2, df)
    if error > 0:
        p_above = float(student_t.sf((mean - epsilon) / error, df))
    else:
        p_above = 0.0 if mean > epsilon else 1.0
    claim_quantile = student_t.isf(claim_level / 2, df)
    detectable = epsilon + (claim_quantile + student_t.ppf(DETECTION_POWER, df)) * error
    return Regret(mean=mean, method="cross-fitted", ci_low=mean - quantile * error,
                  ci_high=mean + quantile * error, standard_error=error, folds=n,
                  selection_bias=bias, noise_df=df, p_above_epsilon=p_above,
                  detectable=detectable,
                  seeds_to_settle=planned_seeds(mean, error, n, epsilon, claim_level))


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
