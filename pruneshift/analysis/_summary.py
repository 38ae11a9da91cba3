"""results.json and landscapes.csv: per ratio, efficiency, best point, regret, distance."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..storage import ratio_key
from ._distance import DEFAULT_TEMPERATURE, softmax_distribution, wasserstein_on_grid
from ._landscape import Landscape, landscape_rows, to_landscape
from ._load import RunData


def _number(value: Any) -> float | None:
    """A JSON-safe float: NaN becomes None."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) \
        else float(value)


def landscapes(data: RunData) -> tuple[pd.DataFrame, dict[float, Landscape], dict[float, int]]:
    """Every ratio's rows (the landscapes.csv table), accuracy arrays and duplicate counts."""
    frames, arrays, duplicates = [], {}, {}
    for ratio, trials in sorted(data.trials.items()):
        rows, duplicates[ratio] = landscape_rows(trials, data.grid, ratio)
        arrays[ratio] = to_landscape(rows, data.grid, ratio)
        frames.append(pd.DataFrame(rows))
    columns = ["ratio", *[a.name for a in data.grid.axes], "seed", "val_accuracy", "val_loss",
               "diverged", "epochs", "train_seconds", "test_accuracy", "params", "point",
               "trial"]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.reindex(columns=columns), arrays, duplicates


def _best_index(mean: np.ndarray) -> int | None:
    return None if np.all(np.isnan(mean)) else int(np.nanargmax(mean))


def summarise(data: RunData, temperature: float = DEFAULT_TEMPERATURE
              ) -> tuple[dict[str, Any], pd.DataFrame, dict[float, Landscape]]:
    """The results per ratio, with the landscapes (table and arrays) they were computed from."""
    table, arrays, duplicates = landscapes(data)
    points = data.grid.points()
    dense = arrays.get(0.0)
    dense_mean = dense.mean().ravel() if dense is not None else None
    dense_best = _best_index(dense_mean) if dense_mean is not None else None
    dense_macs = data.pruned.get(0.0, {}).get("efficiency", {}).get("macs")
    per_ratio = {}
    for ratio, landscape in sorted(arrays.items()):
        mean = landscape.mean().ravel()
        best = _best_index(mean)
        at_dense = mean[dense_best] if dense_best is not None else np.nan
        best_value = mean[best] if best is not None else np.nan
        w1 = None
        if dense is not None and best is not None and dense_best is not None:
            w1 = wasserstein_on_grid(
                softmax_distribution(dense.mean(), temperature),
                softmax_distribution(landscape.mean(), temperature))
        eff = data.pruned.get(ratio, {}).get("efficiency")
        per_ratio[ratio_key(ratio)] = {
            "ratio": ratio,
            "efficiency": eff,
            "macs_fraction": (eff["macs"] / dense_macs) if eff and dense_macs else None,
            "cells": {"complete": landscape.complete(), "expected": len(data.grid.cells()),
                      "duplicates": duplicates[ratio]},
            "best": None if best is None else {"params": points[best],
                                               "value": _number(best_value)},
            "value_at_dense_optimum": _number(at_dense),
            "regret": _number(best_value - at_dense),
            "wasserstein": _number(w1),
        }
    results = {
        "experiment": data.config["experiment"],
        "grid": data.grid.to_dict(),
        "hpo_optimum": data.optimum,
        "dense_optimum": None if dense_best is None else points[dense_best],
        "reference": data.reference,
        "distribution": {"normalisation": "softmax", "temperature": temperature},
        "ratios": per_ratio,
        "config": data.config,
    }
    return results, table, arrays
