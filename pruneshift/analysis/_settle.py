"""Settling a ratio's answer on fresh seeds: how much the re-tuned recipe gains over the kept
dense optimum, measured in rounds, with an interval that stays valid however often it is read.

The grid chose the recipe on its own seeds; the settle stage trains the recipe and the kept
point again on fresh seeds (so choosing and measuring are independent) and scores both on the
test split, which no choice was made on. Two runs of one seed share initialisation and data
order, and two runs scored on one split share its examples, so the gain is measured pair by
pair: per seed the recipe's accuracy minus the kept point's. Its standard error is two-way
(seeds and examples): a seed's luck cancels within the pair, and where the per-example outcomes
are kept, the examples' own share (some examples favour one recipe on every seed) is counted,
so the interval is about the data the model will meet, not this split alone.

Rounds are looks at the data: after each, the interval of the gain is computed and the ratio
stops once it lies wholly above epsilon (re-tune), wholly below (keep), and no wider than the
precision asked for, or once the rounds planned are spent. Reading an ordinary interval after
every round would cover less than its level; a repeated confidence interval (Jennison &
Turnbull) with Pocock's constant boundary covers at its level at every look at once, so the
round it stops at does not bias it. Its per-look level is turned into Student's t quantiles on
the seeds' degrees of freedom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from optuna.trial import FrozenTrial
from scipy.optimize import brentq
from scipy.signal import fftconvolve
from scipy.stats import norm
from scipy.stats import t as student_t

from ..storage import SETTLE_POINTS, RunRecord, SettlePlan, key_of, settle_key, unpack_outcomes
from ._claims import Confirmation, Settlement

if TYPE_CHECKING:
    from ..config import SettleConfig

GRID_STEP = 0.005  # integration step of the random walk's density (in standard deviations)
KERNEL_REACH = 8.0  # the normal kernel is cut this many standard deviations out
DETECTION_POWER = 0.8  # power at which the planned number of seeds is stated


def _stays_within(boundary: float, looks: int) -> float:
    """P(|W(k)| <= boundary * sqrt(k) for k = 1..looks), W a standard random walk: its density
    carried look to look by convolution and cut at the boundary."""
    half = int(math.ceil(boundary * math.sqrt(looks) / GRID_STEP))
    x = np.arange(-half, half + 1) * GRID_STEP
    reach = int(KERNEL_REACH / GRID_STEP)
    kernel = norm.pdf(np.arange(-reach, reach + 1) * GRID_STEP) * GRID_STEP
    density = np.where(np.abs(x) <= boundary, norm.pdf(x), 0.0)
    for look in range(2, looks + 1):
        density = fftconvolve(density, kernel, mode="same")
        density = np.where(np.abs(x) <= boundary * math.sqrt(look), density, 0.0)
    return float(density.sum() * GRID_STEP)


@lru_cache(maxsize=64)
def pocock_boundary(looks: int, level: float) -> float:
    """The constant z boundary whose crossing at any of ``looks`` equally spaced looks has
    probability ``level`` under the null (Pocock 1977; two-sided)."""
    single = float(norm.isf(level / 2))
    if looks <= 1:
        return single
    return float(brentq(lambda z: 1 - _stays_within(z, looks) - level, single,
                        float(norm.isf(level / 2 / looks)) + 0.01, xtol=1e-6))


def look_quantile(looks: int, level: float, df: int) -> float:
    """The t quantile of a repeated confidence interval at one look: Pocock's per-look level
    on ``df`` degrees of freedom."""
    nominal = 2 * float(norm.sf(pocock_boundary(looks, level)))
    return float(student_t.isf(nominal / 2, df))


@dataclass(frozen=True)
class PairedExamples:
    """Per-example differences of the paired runs, one entry per (seed, test example) scored:
    the seed's place, the example's identity (its place in the dataset, so that an example met
    by several seeds on several draws is one example) and recipe minus kept outcome."""

    seed: np.ndarray
    example: np.ndarray
    difference: np.ndarray


@dataclass(frozen=True)
class PairedRuns:
    """Fresh-seed runs of the recipe and the kept point at one ratio, paired by seed: test
    accuracy per seed (0 where a run diverged) and, where every run kept them, the per-example
    differences."""

    kept: np.ndarray
    recipe: np.ndarray
    examples: PairedExamples | None = None

    @property
    def seeds(self) -> int:
        return len(self.kept)

    def differences(self) -> np.ndarray:
        return self.recipe - self.kept


def _clustered(groups: np.ndarray, residuals: np.ndarray) -> float:
    """The variance of a mean of ``residuals`` clustered by ``groups`` (sandwich form, with
    the G / (G - 1) small-sample factor)."""
    _, index = np.unique(groups, return_inverse=True)
    count = int(index.max()) + 1
    sums = np.bincount(index, weights=residuals, minlength=count)
    return float(np.sum(sums ** 2)) / residuals.size ** 2 * count / max(count - 1, 1)


def paired_error(runs: PairedRuns) -> float:
    """The standard error of the mean paired difference, two-way over seeds and examples.

    Seeds alone: the spread of the per-seed differences. With per-example differences, the
    variance clustered by seed plus that clustered by example minus the cells' own (counted in
    both), as two-way clustering does (Cameron, Gelbach & Miller 2011): an example that favours
    one point on every seed is one piece of evidence, not one per seed. Never below the seeds'
    part.
    """
    differences = runs.differences()
    by_seed = float(np.var(differences, ddof=1)) / len(differences)
    if runs.examples is None:
        return math.sqrt(by_seed)
    cells = runs.examples
    residuals = cells.difference - cells.difference.mean()
    by_example = _clustered(cells.example, residuals)
    by_cell = float(np.sum(residuals ** 2)) / residuals.size ** 2
    return math.sqrt(max(by_seed, _clustered(cells.seed, residuals) + by_example - by_cell))


def confirm(runs: PairedRuns, *, looks: int, planned_looks: int, level: float,
            epsilon: float, precision: float | None) -> Confirmation:
    """The gain of the recipe over the kept point after ``looks`` of ``planned_looks`` rounds,
    its repeated confidence interval (``level`` = the chance it misses the truth at any look),
    and whether the ratio is settled: the interval clear of epsilon and no wider than
    ``precision`` on each side, or the rounds spent."""
    seeds = runs.seeds
    gain = float(np.mean(runs.differences()))
    error = paired_error(runs) if seeds >= 2 else math.nan
    quantile = look_quantile(planned_looks, level, seeds - 1) if seeds >= 2 else math.nan
    half = quantile * error if np.isfinite(error) else math.nan
    low, high = gain - half, gain + half
    decision = ("re-tune" if low > epsilon else "keep" if high < epsilon else "open")
    precise = precision is None or half <= precision
    done = looks >= planned_looks or (decision != "open" and precise)
    final_seeds = seeds * planned_looks // max(looks, 1)
    detectable = (epsilon + (look_quantile(planned_looks, level, final_seeds - 1)
                             + float(student_t.isf(1 - DETECTION_POWER, final_seeds - 1)))
                  * error * math.sqrt(seeds / final_seeds)) if np.isfinite(error) else None
    return Confirmation(
        gain=gain, ci_low=low, ci_high=high, level=1 - level, standard_error=error,
        seeds=seeds, looks=looks, planned_looks=planned_looks,
        kept_accuracy=float(np.mean(runs.kept)), recipe_accuracy=float(np.mean(runs.recipe)),
        decision=decision, done=bool(done), detectable=detectable,
        planned_seeds=None if decision != "open" or not done else planned_seeds(
            gain, error, seeds, epsilon, level))


def planned_seeds(gain: float, error: float, seeds: int, epsilon: float,
                  level: float) -> int | None:
    """Seeds per point a fixed-size confirmation would need to tell ``gain`` from epsilon with
    80 % power, from the per-seed spread the ``seeds`` so far measured (``error`` is their
    standard error); None where the estimate sits on epsilon (within one standard error: no
    number of seeds worth training tells them apart)."""
    margin = abs(epsilon - gain)
    if not np.isfinite(error) or margin <= error:
        return None
    z = float(norm.isf(level / 2) + norm.isf(1 - DETECTION_POWER))
    return max(seeds, math.ceil((z * error * math.sqrt(seeds) / margin) ** 2))


def _first_by_key(trials: list[FrozenTrial]) -> dict[str, FrozenTrial]:
    """Each settle run's first complete trial by its unit key (a duplicate counts once)."""
    found: dict[str, FrozenTrial] = {}
    for trial in sorted(trials, key=lambda t: t.number):
        key = key_of(trial)
        if key is not None and key not in found:
            found[key] = trial
    return found


def complete_rounds(trials: list[FrozenTrial], seeds_per_round: int) -> int:
    """How many rounds, counted from the first, have every run of both points complete."""
    done = _first_by_key(trials)
    rounds = 0
    while all(settle_key(rounds, point, i) in done
              for point in SETTLE_POINTS for i in range(seeds_per_round)):
        rounds += 1
    return rounds


def paired_runs(trials: list[FrozenTrial], rounds: int, seeds_per_round: int,
                test_ids: dict[int, list[int]] | None = None) -> PairedRuns:
    """The runs of the first ``rounds`` complete rounds, paired by seed: test accuracy (0 where
    a run diverged) and, where every run that trained kept them, per-example differences (a
    diverged run got none right). ``test_ids`` names each round's test examples; without them
    every round's examples count as its own."""
    done = _first_by_key(trials)
    records = {(r, i, point): RunRecord.read(done[settle_key(r, point, i)])
               for r in range(rounds) for i in range(seeds_per_round) for point in SETTLE_POINTS}
    pairs = [(r, i) for r in range(rounds) for i in range(seeds_per_round)]

    def accuracy(run: RunRecord) -> float:
        return 0.0 if run.diverged else (run.test_accuracy or 0.0)

    kept = np.array([accuracy(records[r, i, "kept"]) for r, i in pairs])
    recipe = np.array([accuracy(records[r, i, "recipe"]) for r, i in pairs])
    if any(run.test_correct is None and not run.diverged for run in records.values()):
        return PairedRuns(kept, recipe)
    sizes = {len(unpack_outcomes(run.test_correct)) for run in records.values()
             if run.test_correct is not None}
    if len(sizes) != 1:
        return PairedRuns(kept, recipe)
    size = sizes.pop()
    named = test_ids is not None and all(len(test_ids.get(r, ())) == size for r in range(rounds))

    def outcomes(run: RunRecord) -> np.ndarray:
        return (np.zeros(size) if run.test_correct is None
                else unpack_outcomes(run.test_correct).astype(float))

    seed, example, difference = [], [], []
    for place, (r, i) in enumerate(pairs):
        seed.append(np.full(size, place))
        example.append(np.asarray(test_ids[r]) if named else r * size + np.arange(size))
        difference.append(outcomes(records[r, i, "recipe"]) - outcomes(records[r, i, "kept"]))
    return PairedRuns(kept, recipe, PairedExamples(np.concatenate(seed), np.concatenate(example),
                                                  np.concatenate(difference)))


def settlement(plan: SettlePlan, trials: list[FrozenTrial], settings: SettleConfig, *,
               level: float, epsilon: float,
               test_ids: dict[int, list[int]] | None = None) -> Settlement:
    """A ratio's settle stage as stored: its plan, the runs trained, and the confirmation after
    its last complete round (None before one)."""
    rounds = complete_rounds(trials, settings.seeds_per_round)
    confirmation = None if rounds == 0 else confirm(
        paired_runs(trials, rounds, settings.seeds_per_round, test_ids), looks=rounds,
        planned_looks=settings.rounds, level=level, epsilon=epsilon,
        precision=settings.precision)
    return Settlement(kept=plan.kept, recipe=plan.recipe, runs=len(_first_by_key(trials)),
                      confirmation=confirmation)
