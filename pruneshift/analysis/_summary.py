"""results.json and landscapes.csv: per ratio, efficiency, distances, regret, noise floors."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..storage import ratio_key
from ._compare import Comparison, Normalisation
from ._distribution import default_temperature, default_top_delta
from ._importance import importance
from ._landscape import Landscape, landscape_rows, to_landscape
from ._load import RunData
from ._noise import SeedBootstrap, SeedPermutation, seed_noise
from ._shift import best_index
from ._threshold import threshold

if TYPE_CHECKING:
    from ..config import AnalysisConfig

DISTANCE_KEYS = ("wasserstein", "js", "hellinger", "tv")


def clean(value: Any) -> Any:
    """JSON-safe: numpy numbers become Python ones, NaN and inf become None."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(value) else float(value)
    return value


def landscapes(data: RunData) -> tuple[pd.DataFrame, dict[float, Landscape], dict[float, int]]:
    """Every ratio's rows (the landscapes.csv table), accuracy arrays and duplicate counts."""
    frames, arrays, duplicates = [], {}, {}
    for ratio, trials in sorted(data.trials.items()):
        rows, duplicates[ratio] = landscape_rows(trials, data.grid, ratio)
        arrays[ratio] = to_landscape(rows, data.grid, ratio)
        frames.append(pd.DataFrame(rows))
    columns = ["ratio", *[a.name for a in data.grid.axes], "seed", "val_accuracy", "val_loss",
               "diverged", "epochs", "train_seconds", "members", "test_accuracy", "params",
               "point", "trial"]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.reindex(columns=columns), arrays, duplicates


def _bootstrap(comparison: Comparison, dense: Landscape, pruned: Landscape,
               settings: AnalysisConfig, level: float, rng: np.random.Generator
               ) -> tuple[dict[str, float], dict[str, float], dict[str, tuple[float, float]]]:
    """Noise floors and p-values of the distances, confidence intervals of the regrets.

    Null replicates shuffle each point's runs between the dense and the pruned grid
    (``SeedPermutation``); a floor is their (1 - level) quantile and a p-value the share of
    them at least as large as the observed value, the observed split counted as one of them.
    Confidence intervals come from seed-bootstrap replicates of both landscapes.
    """
    dense_boot, pruned_boot = SeedBootstrap(dense), SeedBootstrap(pruned)
    shuffles = SeedPermutation(dense, pruned)
    observed = comparison.statistics(dense.mean(), pruned.mean())
    null, boot = [], []
    for _ in range(settings.bootstrap):
        null.append(comparison.statistics(*shuffles.replicate(rng)))
        boot.append(comparison.statistics(dense_boot.replicate(rng), pruned_boot.replicate(rng)))
    floors, p_values, intervals = {}, {}, {}
    for key, value in observed.items():
        if key.endswith("regret"):
            draws = np.array([b[key] for b in boot])
            draws = draws[np.isfinite(draws)]
            if draws.size:
                low, high = np.quantile(draws, [settings.alpha / 2, 1 - settings.alpha / 2])
                intervals[key] = (float(low), float(high))
            continue
        draws = np.array([n[key] for n in null])
        floors[key] = float(np.quantile(draws, 1 - level))
        p_values[key] = float((1 + np.sum(draws >= value - 1e-12)) / (1 + draws.size))
    return floors, p_values, intervals


def _interval(mean: float, interval: tuple[float, float] | None) -> dict[str, float | None]:
    low, high = interval if interval is not None else (None, None)
    return {"mean": mean, "ci_low": low, "ci_high": high}


def summarise(data: RunData, settings: AnalysisConfig
              ) -> tuple[dict[str, Any], pd.DataFrame, dict[float, Landscape]]:
    """The results per ratio, with the landscapes (table and arrays) they were computed from."""
    table, arrays, duplicates = landscapes(data)
    grid, points = data.grid, data.grid.points()
    dense = arrays.get(0.0)
    noise = seed_noise(dense) if dense is not None else None
    normalisation = Normalisation(
        settings.normalisation, settings.temperature or default_temperature(noise),
        settings.top_delta or default_top_delta(noise))
    comparison = Comparison(grid, normalisation)
    names = [a.name for a in grid.axes]
    pruned_ratios = [r for r in arrays if r > 0]
    level = settings.alpha / max(1, len(pruned_ratios))
    rng = np.random.default_rng(settings.seed)
    dense_best = best_index(dense.mean()) if dense is not None else None
    dense_macs = (data.pruned.get(0.0) or {}).get("efficiency", {}).get("macs")
    per_ratio: dict[float, dict[str, Any]] = {}
    for ratio, landscape in sorted(arrays.items()):
        mean = landscape.mean()
        best = best_index(mean)
        record = data.pruned.get(ratio) or {}
        eff = record.get("efficiency")
        entry: dict[str, Any] = {
            "ratio": ratio, "efficiency": eff,
            "channel_ratio": record.get("channel_ratio"),
            "reductions": record.get("reductions"),
            "macs_fraction": eff["macs"] / dense_macs if eff and dense_macs else None,
            "cells": {"complete": landscape.complete(), "expected": len(grid.cells()),
                      "duplicates": duplicates[ratio]},
            "best": None if best is None else {
                "params": points[int(np.ravel_multi_index(best, grid.shape))],
                "value": mean[best]},
            "value_at_dense_optimum": mean[dense_best] if dense_best is not None else None,
            "importance": importance(data.trials[ratio], grid, settings.seed),
        }
        if dense is not None and best is not None and dense_best is not None:
            stats = comparison.statistics(dense.mean(), mean)
            details = comparison.details(dense.mean(), mean)
            floors, p_values, intervals = {}, {}, {}
            if (ratio > 0 and SeedBootstrap(dense).available
                    and SeedBootstrap(landscape).available):
                floors, p_values, intervals = _bootstrap(comparison, dense, landscape,
                                                         settings, level, rng)
            entry["distances"] = {**{k: stats[k] for k in DISTANCE_KEYS},
                                  "wasserstein_units": details["wasserstein_units"],
                                  "wasserstein_factor": details["wasserstein_factor"]}
            entry["regret"] = _interval(stats["regret"], intervals.get("regret"))
            entry["per_hp"] = {name: {
                "wasserstein": stats[f"per_hp.{name}.wasserstein"],
                **{k: v for k, v in details["per_hp"][name].items()},
                "regret": _interval(stats[f"per_hp.{name}.regret"],
                                    intervals.get(f"per_hp.{name}.regret")),
            } for name in names}
            entry["rank_correlation"] = details["rank_correlation"]
            entry["noise_floor"] = floors or {k: None for k in stats if not k.endswith("regret")}
            entry["p_value"] = p_values or {k: None for k in stats if not k.endswith("regret")}
        per_ratio[ratio] = entry
    complete = all("regret" in e for e in per_ratio.values()) and dense is not None
    results = {
        "experiment": data.config["experiment"],
        "grid": grid.to_dict(),
        "hpo_optimum": data.optimum,
        "dense_optimum": None if dense_best is None else points[
            int(np.ravel_multi_index(dense_best, grid.shape))],
        "reference": data.reference,
        "noise": {"seed_std": noise, "available": noise is not None},
        "distribution": {"normalisation": normalisation.kind,
                         "temperature": normalisation.temperature,
                         "top_delta": normalisation.delta},
        "analysis": settings.model_dump(mode="json"),
        "ratios": {ratio_key(r): e for r, e in per_ratio.items()},
        "threshold": threshold(per_ratio, names, epsilon=settings.epsilon,
                               alpha=settings.alpha, rule=settings.threshold_rule)
        if complete else None,
        "config": data.config,
    }
    return clean(results), table, arrays
