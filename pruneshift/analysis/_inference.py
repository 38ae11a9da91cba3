"""One pruned landscape against the dense one: distances with their null, regrets, optimum shifts.

``analyze_landscapes`` is the whole statistical analysis of a study from its landscapes and
settlements alone (the calibration benchmark runs it on synthetic ones): per ratio, the
distances with noise floors and p-values from the no-shift null, the cross-fitted regrets, the
optimum shifts with seed-bootstrap intervals; then Holm's adjustment over every shift claim of
the study, each ratio's answer (``_answer``), the threshold ratios and the verdict.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..search import Grid
from ._answer import fixed_sequence, gate, grid_answer, settle_answer
from ._claims import (
    Answer,
    Divergence,
    HyperparameterComparison,
    OptimumShift,
    RatioShift,
    Regret,
    Settlement,
    ShiftClaims,
    Statistic,
    StatisticTable,
    Threshold,
    Verdict,
)
from ._family import holm
from ._landscape import Landscape, seed_mean
from ._metrics import ShiftMetrics
from ._noise import NoShiftNull, SeedBootstrap, trained_runs
from ._regret import kept_point, kept_value, regret
from ._shift import best_index
from ._threshold import threshold
from ._verdict import verdict

if TYPE_CHECKING:
    from ..config import AnalysisConfig

DETERMINED_STEPS = 2.0  # an optimum shift whose interval spans more grid steps is undetermined
FAMILY_SHARE = 0.5  # alpha is split evenly between the shift claims and the regret claims
P_HEADROOM = 4  # the null's smallest p-value is at most a quarter of Holm's first level


def claim_level(alpha: float) -> float:
    """The family-wise level of each of the two claim families (shifts, regrets)."""
    return alpha * FAMILY_SHARE


def null_replicates(settings: AnalysisConfig, tests: int) -> int:
    """Enough null replicates that Holm's first level (level / tests) can be reached."""
    return max(settings.bootstrap,
               math.ceil(P_HEADROOM * max(1, tests) / claim_level(settings.alpha)))


def _null_tests(metrics: ShiftMetrics, dense: Landscape, pruned: Landscape,
                observed: dict[Statistic, float], replicates: int, floor_level: float,
                rng: np.random.Generator
                ) -> tuple[dict[Statistic, float], dict[Statistic, float], float]:
    """Noise floors and p-values of every distance under "pruning moved nothing"."""
    null = NoShiftNull(dense, pruned)
    if not null.available:
        return {}, {}, null.offset
    draws = metrics.statistics_batch(*null.replicates(rng, replicates))
    floors, p_values = {}, {}
    for key, value in observed.items():
        values = draws[key]
        floors[key] = float(np.quantile(values, 1 - floor_level))
        p_values[key] = float((1 + np.sum(values >= value - 1e-12)) / (1 + values.size))
    return floors, p_values, null.offset


def _shift_intervals(metrics: ShiftMetrics, dense: Landscape, pruned: Landscape,
                     replicates: int, alpha: float, rng: np.random.Generator
                     ) -> list[tuple[float, float]] | None:
    """Per axis, the (1 - alpha) interval of the optimum's move in steps, seeds resampled
    together for both landscapes (a dense and a pruned run of one seed are paired)."""
    dense_boot, pruned_boot = SeedBootstrap(dense), SeedBootstrap(pruned)
    if not (dense_boot.available and pruned_boot.available):
        return None
    draws = []
    for _ in range(replicates):
        picks = dense_boot.picks(rng)
        moved = metrics.shift_steps(dense_boot.replicate(rng, picks),
                                       pruned_boot.replicate(rng, picks))
        if moved is not None:
            draws.append(moved)
    if not draws:
        return None
    low, high = np.quantile(np.array(draws), [alpha / 2, 1 - alpha / 2], axis=0)
    return [(float(a), float(b)) for a, b in zip(low, high, strict=True)]


def _with_interval(shift: OptimumShift | None, interval: tuple[float, float] | None,
                   step_units: float | None, log: bool) -> OptimumShift | None:
    """The shift with its seed-bootstrap interval, in steps, units and (log axes) factors."""
    if shift is None or interval is None:
        return shift
    low, high = interval
    update: dict[str, object] = {"interval_steps": interval,
                                 "determined": high - low <= DETERMINED_STEPS}
    if step_units is not None:
        update["interval_units"] = (step_units * low, step_units * high)
        if log:
            update["interval_factor"] = (10 ** (step_units * low), 10 ** (step_units * high))
    return shift.model_copy(update=update)


def divergence(landscape: Landscape) -> Divergence:
    """How many runs diverged, in all and per value of each hyperparameter."""
    per_hp = {}
    for axis, grid_axis in enumerate(landscape.grid.axes):
        others = tuple(i for i in range(landscape.diverged.ndim) if i != axis)
        counts = landscape.diverged.sum(axis=others)
        per_hp[grid_axis.name] = {f"{v:g}" if isinstance(v, float) else str(v): int(c)
                                  for v, c in zip(grid_axis.values, counts, strict=True) if c}
    return Divergence(runs=int(landscape.diverged.sum()), per_hp=per_hp)


def _step_units(units: np.ndarray | None) -> float | None:
    """One grid step of an axis in its units (None for a categorical or one-value axis)."""
    if units is None or len(units) < 2:
        return None
    return float((units[-1] - units[0]) / (len(units) - 1))


def measure_shift(metrics: ShiftMetrics, dense: Landscape, pruned: Landscape,
            settings: AnalysisConfig, tests: int, rng: np.random.Generator) -> RatioShift:
    """Every metric of ``pruned`` against ``dense``, ``tests`` being the number of shift claims
    in the study (no family-wise adjustment yet: see ``adjust``)."""
    grid, names = metrics.grid, metrics.names
    dense_mean, pruned_mean = dense.mean(), pruned.mean()
    best = best_index(dense_mean)
    stats = metrics.statistics(dense_mean, pruned_mean)
    details = metrics.details(dense_mean, pruned_mean)
    reference = pruned.ratio == dense.ratio
    floor_level = claim_level(settings.alpha) / max(1, tests)
    floors, p_values, offset = ({}, {}, 0.0) if reference else _null_tests(
        metrics, dense, pruned, stats, null_replicates(settings, tests), floor_level, rng)
    intervals = None if reference else _shift_intervals(
        metrics, dense, pruned, settings.bootstrap, settings.alpha, rng)

    def cost(kept: np.ndarray) -> Regret:
        if reference:
            return Regret(mean=0.0, method="reference")
        return regret(pruned.accuracy, kept, alpha=settings.alpha, epsilon=settings.epsilon,
                      rng=rng, replicates=settings.bootstrap,
                      claim_level=claim_level(settings.alpha), trained=trained_runs(pruned))

    per_hp = {}
    for axis, name in enumerate(names):
        units = details.marginal_units[name]
        log = grid.axes[axis].log
        per_hp[name] = HyperparameterComparison(
            wasserstein=stats[Statistic("wasserstein", name)],
            wasserstein_units=units,
            wasserstein_factor=10 ** units if units is not None and log else None,
            optimum_shift=_with_interval(details.optimum_shifts[name],
                                         None if intervals is None else intervals[axis],
                                         _step_units(metrics.units[axis]), log),
            regret=cost(kept_value(grid.shape, best, axis)))
    return RatioShift(
        distances=details.distances, regret=cost(kept_point(grid.shape, best)), per_hp=per_hp,
        rank_correlation=details.rank_correlation,
        noise_floor=StatisticTable.of({k: floors.get(k) for k in stats}),
        p_value=StatisticTable.of({k: p_values.get(k) for k in stats}),
        p_adjusted=ShiftClaims.of(dict.fromkeys(metrics.shift_statistics())),
        offset=offset, diverged=divergence(pruned),
        test_at_dense_optimum=_at(seed_mean(pruned.test), best))


def _at(values: np.ndarray, index: tuple[int, ...] | None) -> float | None:
    if index is None or not np.isfinite(values[index]):
        return None
    return float(values[index])


def adjust(per_ratio: dict[float, RatioShift], claims: list[Statistic]) -> None:
    """Holm over every (pruned ratio, shift claim), which sets each comparison's
    ``p_adjusted``; the grid's regret of keeping the dense optimum gets its fixed-sequence
    adjusted p-value (``_answer``), a per-hyperparameter regret none (it is no claim)."""
    pruned = {r: c for r, c in per_ratio.items() if r > 0}
    shifts = holm({(r, claim): c.p_value[claim] for r, c in pruned.items() for claim in claims
                   if c.p_value[claim] is not None})
    regrets = fixed_sequence({r: c.regret.p_above_epsilon for r, c in pruned.items()
                              if c.regret.p_above_epsilon is not None})
    for ratio, compared in per_ratio.items():
        compared.p_adjusted = ShiftClaims.of({claim: shifts.get((ratio, claim))
                                              for claim in claims})
        compared.regret.p_adjusted = regrets.get(ratio)


class Analysis(NamedTuple):
    """A study's analysis: per ratio the comparison with the dense landscape (None where there
    is nothing to compare) and the answer (None where there is none yet); the threshold and
    the verdict (None while incomplete)."""

    per_ratio: dict[float, RatioShift | None]
    answers: dict[float, Answer | None]
    threshold: Threshold | None
    verdict: Verdict | None


def answers_of(per_ratio: dict[float, RatioShift], settlements: dict[float, Settlement],
               settings: AnalysisConfig) -> dict[float, Answer | None]:
    """Each pruned ratio's answer, from its settle stage where one measured it, else from its
    grid, as the fixed sequences claim them."""
    level = claim_level(settings.alpha)
    found: dict[float, Answer | None] = {}
    for ratio, compared in per_ratio.items():
        if ratio == 0:
            continue
        settled = settlements.get(ratio)
        found[ratio] = ((settle_answer(settled) if settled is not None else None)
                        or grid_answer(compared.regret, epsilon=settings.epsilon, level=level))
    return gate(found)


def analyze_landscapes(grid: Grid, arrays: dict[float, Landscape], metrics: ShiftMetrics,
            settings: AnalysisConfig, settlements: dict[float, Settlement] | None = None
            ) -> Analysis:
    """The whole statistical analysis of a study from its landscapes and, where the settle
    stage ran, its settlements."""
    dense = arrays.get(0.0)
    claims = metrics.shift_statistics()
    tests = len([r for r in arrays if r > 0]) * len(claims)
    rng = np.random.default_rng(settings.seed)
    per_ratio: dict[float, RatioShift | None] = {}
    for ratio, landscape in sorted(arrays.items()):
        comparable = dense is not None and best_index(dense.mean()) is not None and best_index(
            landscape.mean()) is not None
        per_ratio[ratio] = (measure_shift(metrics, dense, landscape, settings, tests, rng)
                            if comparable else None)
    compared = {r: c for r, c in per_ratio.items() if c is not None}
    adjust(compared, claims)
    answers = answers_of(compared, settlements or {}, settings)
    if dense is None or len(compared) < len(per_ratio):
        return Analysis(per_ratio, answers, None, None)
    found = threshold(compared, answers, metrics.names, epsilon=settings.epsilon,
                      level=claim_level(settings.alpha), rule=settings.threshold_rule)
    return Analysis(per_ratio, answers, found,
                    verdict(compared, answers, found, epsilon=settings.epsilon))
