"""A run's results and landscapes.csv: per ratio, efficiency, distances, regret, noise floors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._claims import Settlement
from ._distribution import default_temperature, default_top_delta
from ._importance import importance
from ._inference import analyze_landscapes, claim_level
from ._landscape import Landscape, landscape_rows, seed_mean, to_landscape
from ._load import RunData
from ._metrics import Normalisation, ShiftMetrics
from ._noise import seed_noise
from ._recipe import recipe, shipped
from ._results import BestPoint, BudgetChoice, DistributionSettings, Noise, RatioResult, Results
from ._settle import settlement
from ._shift import best_index
from ._transfer import transfer

if TYPE_CHECKING:
    from ..config import AnalysisConfig, SettleConfig


def landscapes(data: RunData) -> tuple[pd.DataFrame, dict[float, Landscape], dict[float, int]]:
    """Every ratio's rows (the landscapes.csv table), accuracy arrays and duplicate counts."""
    frames, arrays, duplicates = [], {}, {}
    for ratio, trials in sorted(data.trials.items()):
        rows, duplicates[ratio] = landscape_rows(trials, data.grid, ratio)
        arrays[ratio] = to_landscape(rows, data.grid, ratio)
        frames.append(pd.DataFrame(rows))
    columns = ["ratio", *[a.name for a in data.grid.axes], "seed", "val_accuracy", "val_loss",
               "diverged", "epochs", "train_seconds", "members", "test_accuracy", "param_count",
               "point", "trial"]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.reindex(columns=columns), arrays, duplicates


def normalisation_for(noise: float | None, settings: AnalysisConfig) -> Normalisation:
    """The configured normalisation, its scales defaulting to the dense grid's seed noise."""
    return Normalisation(settings.normalisation,
                         settings.temperature or default_temperature(noise),
                         settings.top_delta or default_top_delta(noise))


def choose(ratios: dict[float, RatioResult], budget: dict[str, float]) -> BudgetChoice | None:
    """The most accurate re-tuned ratio whose costs all stay within ``budget``."""
    if not budget:
        return None
    fits = [e for e in ratios.values() if e.best is not None and e.best.value is not None
            and all((cost := e.cost(k)) is not None and cost <= v for k, v in budget.items())]
    best = max(fits, key=lambda e: e.best.value, default=None)
    if best is None:
        return BudgetChoice(budget=budget, ratio=None, accuracy=None, kept_accuracy=None,
                            costs={})
    return BudgetChoice(budget=budget, ratio=best.ratio, accuracy=best.best.value,
                        kept_accuracy=best.value_at_dense_optimum,
                        costs={k: best.cost(k) for k in budget})


def widths_kept(data: RunData, arrays: dict[float, Landscape]) -> dict[float, float]:
    """The share of channels kept at each ratio: as pruning measured it on the reference, or
    (the synthetic task prunes nothing) one minus the ratio."""
    widths = {}
    for ratio in arrays:
        record = data.pruned.get(ratio)
        removed = record.channel_ratio if record is not None else None
        widths[ratio] = 1.0 - (ratio if removed is None else removed)
    return widths


def settlements(data: RunData, settings: AnalysisConfig, settle: SettleConfig
                ) -> dict[float, Settlement]:
    """Each planned ratio's settle stage as stored, measured at the claims' level."""
    return {ratio: settlement(plan, data.settle_trials.get(ratio, []), settle,
                              level=claim_level(settings.alpha), epsilon=settings.epsilon,
                              test_ids=data.settle_test_ids.get(ratio))
            for ratio, plan in data.settle_plans.items()}


def summarise(data: RunData, settings: AnalysisConfig, settle: SettleConfig
              ) -> tuple[Results, pd.DataFrame, dict[float, Landscape]]:
    """The results per ratio, with the landscapes (table and arrays) they were computed from."""
    table, arrays, duplicates = landscapes(data)
    grid = data.grid
    dense = arrays.get(0.0)
    noise = seed_noise(dense) if dense is not None else None
    normalisation = normalisation_for(noise, settings)
    settled = settlements(data, settings, settle)
    comparisons, answers, found, answer = analyze_landscapes(
        grid, arrays, ShiftMetrics(grid, normalisation), settings, settled)
    dense_best = best_index(dense.mean()) if dense is not None else None
    unpruned = data.pruned.get(0.0)
    dense_macs = (unpruned.efficiency["macs"] if unpruned is not None and unpruned.efficiency
                  else None)

    dense_point = None if dense_best is None else grid.point_at(dense_best)
    recipes = {r: recipe(grid, a, dense_point) for r, a in arrays.items()} if dense_point else {}
    ratios: dict[float, RatioResult] = {}
    for ratio, landscape in sorted(arrays.items()):
        mean, test = landscape.mean(), seed_mean(landscape.test)
        best = best_index(mean)
        record = data.pruned.get(ratio)
        eff = record.efficiency if record is not None else None
        ratios[ratio] = RatioResult(
            ratio=ratio, efficiency=eff,
            channel_ratio=record.channel_ratio if record is not None else None,
            reductions=record.reductions if record is not None else None,
            macs_fraction=eff["macs"] / dense_macs if eff and dense_macs else None,
            cells={"complete": landscape.complete(), "expected": len(grid.cells()),
                   "duplicates": duplicates[ratio]},
            best=None if best is None else BestPoint(
                params=grid.point_at(best), value=mean[best], test_accuracy=test[best]),
            value_at_dense_optimum=mean[dense_best] if dense_best is not None else None,
            importance=importance(data.trials[ratio], grid, settings.seed),
            recipe=shipped(grid, recipes.get(ratio), dense_point, settled.get(ratio))
            if dense_point else None,
            deployment=data.deployed.get(ratio),
            settle=settled.get(ratio), answer=answers.get(ratio), comparison=comparisons[ratio])
    rule = None if found is None else transfer(
        grid, arrays, recipes, widths_kept(data, arrays), alpha=settings.alpha,
        epsilon=settings.epsilon, replicates=settings.bootstrap,
        rng=np.random.default_rng(settings.seed))
    results = Results(
        experiment=data.config["experiment"], grid=grid.to_dict(), hpo_optimum=data.optimum,
        dense_optimum=dense_point,
        reference=data.reference,
        noise=Noise(seed_std=noise, available=noise is not None),
        distribution=DistributionSettings(normalisation=normalisation.kind,
                                          temperature=normalisation.temperature,
                                          top_delta=normalisation.delta),
        analysis=settings, ratios=ratios, threshold=found,
        verdict=answer, transfer=rule, choice=choose(ratios, settings.budget),
        config=data.config)
    return results, table, arrays
