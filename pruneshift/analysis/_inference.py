"""One pruned landscape against the dense one: distances with their null, regrets, optimum shifts.

``analyse`` is the whole statistical analysis of a study from its landscapes alone (the
calibration benchmark runs it on synthetic landscapes): per ratio, the distances with noise
floors and p-values from the no-shift null, the cross-fitted regrets, the optimum shifts with
seed-bootstrap intervals; then Holm's adjustment over every shift claim of the study, the
threshold ratios and the verdict.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ..search import Grid
from ._compare import Comparison
from ._family import holm
from ._landscape import Landscape, seed_mean
from ._noise import NoShiftNull, SeedBootstrap, trained_runs
from ._regret import kept_point, kept_value, regret
from ._shift import best_index
from ._threshold import threshold
from ._verdict import verdict

if TYPE_CHECKING:
    from ..config import AnalysisConfig

DISTANCES = ("wasserstein", "js", "hellinger", "tv")  # every distance of the joint distributions
DETERMINED_STEPS = 2.0  # an optimum shift whose interval spans more grid steps is undetermined
FAMILY_SHARE = 0.5  # alpha is split evenly between the shift claims and the regret claims
P_HEADROOM = 4  # the null's smallest p-value is at most a quarter of Holm's first level


def family_keys(names: list[str]) -> list[str]:
    """The statistics behind a shift claim: the joint W1 and each hyperparameter's W1."""
    return ["wasserstein", *[f"per_hp.{n}.wasserstein" for n in names]]


def claim_level(alpha: float) -> float:
    """The family-wise level of each of the two claim families (shifts, regrets)."""
    return alpha * FAMILY_SHARE


def null_replicates(settings: AnalysisConfig, tests: int) -> int:
    """Enough null replicates that Holm's first level (level / tests) can be reached."""
    return max(settings.bootstrap,
               math.ceil(P_HEADROOM * max(1, tests) / claim_level(settings.alpha)))


def _null_tests(comparison: Comparison, dense: Landscape, pruned: Landscape,
                observed: dict[str, float], replicates: int, floor_level: float,
                rng: np.random.Generator) -> tuple[dict[str, float], dict[str, float], float]:
    """Noise floors and p-values of every distance under "pruning moved nothing"."""
    null = NoShiftNull(dense, pruned)
    if not null.available:
        return {}, {}, null.offset
    draws = [comparison.statistics(*null.replicate(rng)) for _ in range(replicates)]
    floors, p_values = {}, {}
    for key, value in observed.items():
        values = np.array([d[key] for d in draws])
        floors[key] = float(np.quantile(values, 1 - floor_level))
        p_values[key] = float((1 + np.sum(values >= value - 1e-12)) / (1 + values.size))
    return floors, p_values, null.offset


def _shift_intervals(comparison: Comparison, dense: Landscape, pruned: Landscape,
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
        moved = comparison.shift_steps(dense_boot.replicate(rng, picks),
                                       pruned_boot.replicate(rng, picks))
        if moved is not None:
            draws.append(moved)
    if not draws:
        return None
    low, high = np.quantile(np.array(draws), [alpha / 2, 1 - alpha / 2], axis=0)
    return [(float(a), float(b)) for a, b in zip(low, high, strict=True)]


def _with_interval(shift: dict[str, Any] | None, interval: tuple[float, float] | None,
                   step_units: float | None, log: bool) -> dict[str, Any] | None:
    if shift is None:
        return None
    entry = dict(shift)
    entry["interval_steps"] = None if interval is None else list(interval)
    entry["determined"] = None if interval is None else (
        interval[1] - interval[0] <= DETERMINED_STEPS)
    if interval is not None and step_units is not None:
        entry["interval_units"] = [step_units * v for v in interval]
        if log:
            entry["interval_factor"] = [10 ** (step_units * v) for v in interval]
    return entry


def divergence(landscape: Landscape) -> dict[str, Any]:
    """How many runs diverged, in all and per value of each hyperparameter."""
    per_hp = {}
    for axis, grid_axis in enumerate(landscape.grid.axes):
        others = tuple(i for i in range(landscape.diverged.ndim) if i != axis)
        counts = landscape.diverged.sum(axis=others)
        per_hp[grid_axis.name] = {f"{v:g}" if isinstance(v, float) else str(v): int(c)
                                  for v, c in zip(grid_axis.values, counts, strict=True) if c}
    return {"runs": int(landscape.diverged.sum()), "per_hp": per_hp}


def compare(comparison: Comparison, dense: Landscape, pruned: Landscape,
            settings: AnalysisConfig, tests: int, rng: np.random.Generator) -> dict[str, Any]:
    """Every metric of ``pruned`` against ``dense``, ``tests`` being the number of shift claims
    in the study (no family-wise adjustment yet: see ``adjust``)."""
    grid, names = comparison.grid, comparison.names
    dense_mean, pruned_mean = dense.mean(), pruned.mean()
    best = best_index(dense_mean)
    stats = comparison.statistics(dense_mean, pruned_mean)
    details = comparison.details(dense_mean, pruned_mean)
    reference = pruned.ratio == dense.ratio
    floor_level = claim_level(settings.alpha) / max(1, tests)
    floors, p_values, offset = ({}, {}, 0.0) if reference else _null_tests(
        comparison, dense, pruned, stats, null_replicates(settings, tests), floor_level, rng)
    intervals = None if reference else _shift_intervals(
        comparison, dense, pruned, settings.bootstrap, settings.alpha, rng)

    def cost(kept: np.ndarray) -> dict[str, Any]:
        if reference:
            return {"mean": 0.0, "ci_low": None, "ci_high": None, "method": "reference"}
        return regret(pruned.accuracy, kept, alpha=settings.alpha, epsilon=settings.epsilon,
                      rng=rng, replicates=settings.bootstrap, trained=trained_runs(pruned))

    per_hp = {}
    for axis, name in enumerate(names):
        units = comparison.units[axis]
        step = None if units is None or len(units) < 2 else float(
            (units[-1] - units[0]) / (len(units) - 1))
        per_hp[name] = {
            "wasserstein": stats[f"per_hp.{name}.wasserstein"],
            **details["per_hp"][name],
            "optimum_shift": _with_interval(details["per_hp"][name]["optimum_shift"],
                                            None if intervals is None else intervals[axis],
                                            step, grid.axes[axis].log),
            "regret": cost(kept_value(grid.shape, best, axis)),
        }
    return {
        "distances": {**{k: stats[k] for k in DISTANCES},
                      "wasserstein_units": details["wasserstein_units"],
                      "wasserstein_factor": details["wasserstein_factor"]},
        "regret": cost(kept_point(grid.shape, best)),
        "per_hp": per_hp,
        "rank_correlation": details["rank_correlation"],
        "noise_floor": floors or {k: None for k in stats},
        "p_value": p_values or {k: None for k in stats},
        "offset": offset,
        "diverged": divergence(pruned),
        "test_at_dense_optimum": _at(seed_mean(pruned.test), best),
    }


def _at(values: np.ndarray, index: tuple[int, ...] | None) -> float | None:
    if index is None or not np.isfinite(values[index]):
        return None
    return float(values[index])


def _regrets(entry: dict[str, Any], names: list[str]) -> dict[str, dict[str, Any]]:
    """An entry's regret claims: keeping the dense optimum, keeping each hyperparameter."""
    return {"overall": entry["regret"], **{n: entry["per_hp"][n]["regret"] for n in names}}


def adjust(per_ratio: dict[float, dict[str, Any]], names: list[str]) -> None:
    """Holm over every (pruned ratio, claim), shifts and regrets as two families; writes each
    entry's ``p_adjusted`` and each regret's ``p_adjusted``."""
    pruned = {r: e for r, e in per_ratio.items() if r > 0 and "p_value" in e}
    shifts = holm({(r, key): e["p_value"][key] for r, e in pruned.items()
                   for key in family_keys(names) if e["p_value"].get(key) is not None})
    regrets = holm({(r, key): claim["p_above_epsilon"] for r, e in pruned.items()
                    for key, claim in _regrets(e, names).items()
                    if claim.get("p_above_epsilon") is not None})
    for ratio, entry in per_ratio.items():
        if "p_value" not in entry:
            continue
        entry["p_adjusted"] = {key: shifts.get((ratio, key)) for key in family_keys(names)}
        for key, claim in _regrets(entry, names).items():
            claim["p_adjusted"] = regrets.get((ratio, key))


def _nest_statistics(per_ratio: dict[float, dict[str, Any]]) -> None:
    """Noise floors, p-values and adjusted p-values as the results hold them: a marginal
    statistic (named ``per_hp.<name>.wasserstein`` while computed) under ``per_hp``, by name."""
    for entry in per_ratio.values():
        for section in ("noise_floor", "p_value", "p_adjusted"):
            if section not in entry:
                continue
            nested: dict[str, Any] = {}
            for key, value in entry[section].items():
                if key.startswith("per_hp."):
                    _, name, statistic = key.split(".")
                    nested.setdefault("per_hp", {}).setdefault(name, {})[statistic] = value
                else:
                    nested[key] = value
            entry[section] = nested


def analyse(grid: Grid, arrays: dict[float, Landscape], comparison: Comparison,
            settings: AnalysisConfig) -> tuple[dict[float, dict[str, Any]], dict[str, Any] | None,
                                               dict[str, Any] | None]:
    """Per ratio the statistics, then the threshold and the verdict (None while incomplete)."""
    names = [a.name for a in grid.axes]
    dense = arrays.get(0.0)
    tests = len([r for r in arrays if r > 0]) * len(family_keys(names))
    rng = np.random.default_rng(settings.seed)
    per_ratio: dict[float, dict[str, Any]] = {}
    for ratio, landscape in sorted(arrays.items()):
        if dense is None or best_index(dense.mean()) is None or best_index(
                landscape.mean()) is None:
            per_ratio[ratio] = {}
            continue
        per_ratio[ratio] = compare(comparison, dense, landscape, settings, tests, rng)
    adjust(per_ratio, names)
    complete = dense is not None and all("regret" in e for e in per_ratio.values())
    if not complete:
        _nest_statistics(per_ratio)
        return per_ratio, None, None
    found = threshold(per_ratio, names, epsilon=settings.epsilon,
                      level=claim_level(settings.alpha), rule=settings.threshold_rule)
    decided = verdict(per_ratio, found, epsilon=settings.epsilon)
    _nest_statistics(per_ratio)
    return per_ratio, found, decided
