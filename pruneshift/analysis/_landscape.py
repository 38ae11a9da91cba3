"""A grid's results at one ratio: one row per (point, seed), and the array of accuracies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from optuna.trial import FrozenTrial

from ..search import Grid
from ..storage import RunRecord, TrialKey, cell_of


@dataclass
class Landscape:
    """Validation accuracy per grid point and seed: shape (*grid.shape, seeds); NaN = missing.

    A diverged run counts as accuracy 0, the worst value, and is flagged in ``diverged``;
    ``test`` holds the runs' test accuracy where it was measured (NaN elsewhere).
    """

    grid: Grid
    ratio: float
    accuracy: np.ndarray
    diverged: np.ndarray = field(default=None)  # type: ignore[assignment]
    test: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.diverged is None:
            self.diverged = np.zeros(self.accuracy.shape, dtype=bool)
        if self.test is None:
            self.test = np.full(self.accuracy.shape, np.nan)

    def mean(self) -> np.ndarray:
        """Mean over seeds per grid point (NaN where no seed finished)."""
        return seed_mean(self.accuracy)

    def complete(self) -> int:
        """Number of (point, seed) cells with a result."""
        return int(np.sum(~np.isnan(self.accuracy)))


def seed_mean(runs: np.ndarray) -> np.ndarray:
    """Mean over the last axis (seeds), ignoring missing runs; NaN where none finished."""
    with np.errstate(invalid="ignore"):
        counts = np.sum(~np.isnan(runs), axis=-1)
        sums = np.nansum(runs, axis=-1)
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def landscape_rows(trials: list[FrozenTrial], grid: Grid, ratio: float
                   ) -> tuple[list[dict[str, Any]], int]:
    """One row per (point, seed) from the complete trials, and the number of duplicates dropped.

    Should two workers ever finish the same cell, the first trial counts and the rest are
    reported as duplicates instead of being counted twice.
    """
    points = grid.points()
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    duplicates = 0
    for trial in sorted(trials, key=lambda t: t.number):
        cell = cell_of(trial)
        if cell is None or cell[0] >= len(points):
            continue
        if cell in rows:
            duplicates += 1
            continue
        attrs, run = trial.user_attrs, RunRecord.read(trial)
        rows[cell] = {"ratio": ratio, **points[cell[0]], "seed": cell[1],
                      "val_accuracy": trial.value, "val_loss": run.val_loss,
                      "diverged": bool(run.diverged), "epochs": run.epochs,
                      "train_seconds": run.seconds,
                      "members": attrs.get(TrialKey.MEMBERS, 1),
                      "test_accuracy": run.test_accuracy,
                      "param_count": attrs.get(TrialKey.PARAM_COUNT),
                      "point": cell[0], "trial": trial.number}
    return [rows[c] for c in sorted(rows)], duplicates


def to_landscape(rows: list[dict[str, Any]], grid: Grid, ratio: float) -> Landscape:
    """The accuracy array of ``rows`` (all from one ratio)."""
    shape = (*grid.shape, len(grid.seeds))
    accuracy, test = np.full(shape, np.nan), np.full(shape, np.nan)
    diverged = np.zeros(shape, dtype=bool)
    seed_index = {s: i for i, s in enumerate(grid.seeds)}
    positions = grid.positions()
    for row in rows:
        cell = (*positions[row["point"]], seed_index[row["seed"]])
        diverged[cell] = row["diverged"]
        accuracy[cell] = 0.0 if row["diverged"] else row["val_accuracy"]
        if row.get("test_accuracy") is not None:
            test[cell] = 0.0 if row["diverged"] else row["test_accuracy"]
    return Landscape(grid, ratio, accuracy, diverged, test)
