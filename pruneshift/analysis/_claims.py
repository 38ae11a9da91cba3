"""The records of a pruned landscape against the dense one: statistics, regrets, optimum
shifts, and the threshold and verdict built on them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple, Self

from ._record import Record


class Statistic(NamedTuple):
    """A statistic the no-shift null replays: a distance between the joint distributions, or,
    with ``hyperparameter``, the W1 between that hyperparameter's marginals."""

    distance: str
    hyperparameter: str | None = None


class Marginal(Record):
    wasserstein: float | None = None


class ShiftClaims(Record):
    """One value per shift claim (adjusted p-values): the joint W1, and each hyperparameter's
    marginal W1 under ``per_hp``."""

    wasserstein: float | None = None
    per_hp: dict[str, Marginal] = {}

    @classmethod
    def of(cls, values: Mapping[Statistic, float | None]) -> Self:
        joint = {s.distance: v for s, v in values.items() if s.hyperparameter is None}
        per_hp = {s.hyperparameter: Marginal(**{s.distance: v})
                  for s, v in values.items() if s.hyperparameter is not None}
        return cls(**joint, per_hp=per_hp)

    def __getitem__(self, statistic: Statistic) -> float | None:
        if statistic.hyperparameter is None:
            return getattr(self, statistic.distance)
        return getattr(self.per_hp[statistic.hyperparameter], statistic.distance)


class StatisticTable(ShiftClaims):
    """One value per statistic (noise floors, p-values): every joint distance, and each
    hyperparameter's marginal W1 under ``per_hp``."""

    js: float | None = None
    hellinger: float | None = None
    tv: float | None = None


class Regret(Record):
    """The accuracy lost by keeping hyperparameters fixed instead of re-tuning on the grid."""

    mean: float | None
    method: Literal["cross-fitted", "plug-in", "reference"]
    ci_low: float | None = None
    ci_high: float | None = None
    standard_error: float | None = None
    folds: int | None = None
    selection_bias: float | None = None
    noise_df: int | None = None
    p_above_epsilon: float | None = None
    p_adjusted: float | None = None
    detectable: float | None = None
    seeds_to_settle: int | None = None


class OptimumShift(Record):
    """How far one hyperparameter's optimum moved: at the best point and by a sub-grid fit,
    in grid steps, units (log10 decades for a log axis) and as a factor (log axes)."""

    argmax_steps: int
    subgrid_steps: float
    at_edge: bool
    argmax_units: float | None = None
    argmax_factor: float | None = None
    subgrid_units: float | None = None
    subgrid_factor: float | None = None
    interval_steps: tuple[float, float] | None = None
    interval_units: tuple[float, float] | None = None
    interval_factor: tuple[float, float] | None = None
    determined: bool | None = None


class Distances(Record):
    wasserstein: float
    js: float
    hellinger: float
    tv: float
    wasserstein_units: float
    wasserstein_factor: float | None = None


class HyperparameterComparison(Record):
    """One hyperparameter at one ratio: its marginal's W1, its optimum's move, the regret of
    keeping only it at its dense value."""

    wasserstein: float
    wasserstein_units: float | None = None
    wasserstein_factor: float | None = None
    optimum_shift: OptimumShift | None
    regret: Regret


class RankCorrelation(Record):
    spearman: float | None
    kendall: float | None


class Divergence(Record):
    """Diverged runs: in all, and per value of each hyperparameter (values with none left out)."""

    runs: int
    per_hp: dict[str, dict[str, int]]


class RatioShift(Record):
    """A pruned landscape against the dense one."""

    distances: Distances
    regret: Regret
    per_hp: dict[str, HyperparameterComparison]
    rank_correlation: RankCorrelation
    noise_floor: StatisticTable
    p_value: StatisticTable
    p_adjusted: ShiftClaims
    offset: float
    diverged: Divergence
    test_at_dense_optimum: float | None

    def regrets(self) -> dict[str | None, Regret]:
        """The regret claims: keeping the dense optimum (None), keeping each hyperparameter."""
        return {None: self.regret, **{n: hp.regret for n, hp in self.per_hp.items()}}


class ThresholdCriterion(Record):
    overall: float | None
    per_hp: dict[str, float | None]


class Threshold(Record):
    """From which ratio on re-tuning pays: overall, per hyperparameter, by each criterion."""

    overall: float | None
    per_hp: dict[str, float | None]
    by_regret: ThresholdCriterion
    by_shift: ThresholdCriterion
    rule: str
    epsilon: float
    level: float


class Confirmation(Record):
    """The settle stage's measurement at one ratio after some rounds: what the re-tuned recipe
    gains over the kept dense optimum on fresh seeds, scored on the test split."""

    gain: float  # mean over seeds of recipe minus kept accuracy (may be negative)
    ci_low: float | None  # repeated confidence interval of the gain, valid at every look
    ci_high: float | None
    level: float  # its confidence level
    standard_error: float | None  # two-way (seeds and examples)
    seeds: int  # fresh seeds per point so far
    looks: int  # rounds measured
    planned_looks: int  # rounds the budget allows
    kept_accuracy: float  # mean test accuracy at the kept point over these seeds
    recipe_accuracy: float  # ... and at the recipe
    decision: Literal["re-tune", "keep", "open"]  # where the interval lies against epsilon
    done: bool  # settled (clear of epsilon and precise enough) or the rounds spent
    detectable: float | None  # the smallest gain the whole budget tells from ε (80 % power)
    planned_seeds: int | None  # where it ended open: seeds per point that would settle it


class Settlement(Record):
    """A ratio's settle stage: the two points trained on fresh seeds, and what they showed."""

    kept: dict[str, Any] | None  # the kept point: the dense optimum's hyperparameters
    recipe: dict[str, Any] | None  # the re-tuned recipe (None: nothing to confirm)
    runs: int  # fresh runs trained so far (both points)
    confirmation: Confirmation | None  # None before a round is complete


class Answer(Record):
    """One pruned ratio's answer: keep the dense optimum or re-tune, with what keeping costs
    (the regret, never below 0) and its interval, from the settle stage where it ran (else from
    the grid)."""

    decision: Literal["re-tune", "keep", "open"]  # after the fixed-sequence gate
    regret: float  # what keeping the dense optimum costs, estimate
    ci_low: float  # its interval, at ``level``
    ci_high: float
    level: float
    source: Literal["settle", "grid"]
    runs: int | None  # fresh runs the settle stage trained at this ratio
    detectable: float | None  # the smallest regret this design tells from ε (80 % power)
    planned_seeds: int | None  # open: seeds per point that would settle it (None: sits on ε)


class Verdict(Record):
    """The study's one answer."""

    kind: Literal["re-tune", "keep", "inconclusive"]
    retune_from: float | None
    keep_up_to: float | None
    shift_from: float | None
    unsettled: list[float]
    detectable: float | None
    seeds_to_settle: int | None
    epsilon: float
