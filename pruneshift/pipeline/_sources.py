"""Where a trial's value comes from: real training on a dataset, or the known-answer formula.

The pipeline asks its source for the HPO objective and for the trainer of a ratio's grid cells;
nothing else in it needs to know which source runs. ``data.name: synthetic`` selects the formula
(``pruneshift.synthetic``), which trains nothing, so it makes no reference or pruned models.
"""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np
import optuna
import torch

from .. import queue, search, synthetic
from ..catalog import DATASETS
from ..config import ExperimentConfig
from ..data import Splits, load_splits
from ..models import check_model
from ..search import Grid
from ..seeds import stage_seed
from ..storage import TrialKey
from ..train import TrainResult
from ._context import Run
from ._events import Events
from ._grids import CellTrainer, GridTrainer
from ._hpo import (
    BatchObjective,
    EpochReporter,
    Objective,
    hpo_batch,
    hpo_objective,
    record_result,
)


class TrainedSource:
    """Models trained on the configured dataset; its model is checked before anything runs."""

    builds_models = True  # a reference model and one pruned model per ratio

    def __init__(self, config: ExperimentConfig, device: torch.device):
        check_model(config.model)
        self.config, self.device = config, device
        self.splits = load_splits(config.data, device)
        self._resplits: dict[int, Splits] = {}

    def hpo_objective(self) -> Objective:
        return hpo_objective(self.config, self.splits)

    def hpo_batch(self) -> BatchObjective:
        return hpo_batch(self.config, self.splits)

    def cell_trainer(self, run: Run, stages: optuna.Study, grid: Grid, ratio: float,
                     events: Events, resplit: int | None = None) -> CellTrainer:
        """The trainer of a ratio's cells; with ``resplit`` k, on the k-th fresh draw of
        training and test examples (``data.load_splits``)."""
        return GridTrainer(run, stages, self.splits_for(resplit), grid, ratio, events)

    def splits_for(self, resplit: int | None) -> Splits:
        """The usual splits, or the ``resplit``-th draw: one draw held at a time (rounds come
        in order), and the usual splits themselves where a dataset's official test set makes
        every draw the same."""
        if resplit is None:
            return self.splits
        if resplit not in self._resplits:
            drawn = load_splits(self.config.data, self.device, resplit)
            same = drawn.test_ids is not None and self.splits.test_ids is not None and bool(
                np.array_equal(drawn.test_ids, self.splits.test_ids))
            self._resplits = {resplit: self.splits if same else drawn}
        return self._resplits[resplit]

    def test_ids(self, resplit: int | None) -> list[int]:
        """Where the test examples of a draw lie in the dataset."""
        ids = self.splits_for(resplit).test_ids
        return [] if ids is None else [int(i) for i in ids]


class SyntheticSource:
    """The known-answer task: accuracy is a formula of the hyperparameters and the ratio."""

    builds_models = False
    splits = None

    def __init__(self, config: ExperimentConfig):
        self.config = config

    def hpo_objective(self) -> Objective:
        """Accuracy at ratio 0, reported along a learning curve (so BOHB can stop trials)."""
        config, seed = self.config, stage_seed(self.config.seed, "hpo")

        def objective(trial: optuna.Trial) -> float:
            params = search.suggest(trial, config.search_space)
            scored = synthetic.run(config, params, 0.0, seed)
            reporter = EpochReporter(trial, config.max_epochs)
            curve = synthetic.learning_curve(scored.val_accuracy, config.max_epochs)
            for epoch, value in enumerate(curve, 1):
                reporter(epoch, value)
            _record(trial, config.max_epochs, seed, reporter.started, scored)
            return scored.val_accuracy

        return objective

    def hpo_batch(self) -> BatchObjective:
        """The formula's values, one trial after another (there is nothing to stack); None for
        a trial taken over by another worker meanwhile."""
        objective = self.hpo_objective()

        def values(trials: list[optuna.Trial]) -> list[float | None]:
            return [queue.unless_taken_over(functools.partial(objective, t)) for t in trials]

        return values

    def cell_trainer(self, run: Run, stages: optuna.Study, grid: Grid, ratio: float,
                     events: Events, resplit: int | None = None) -> CellTrainer:
        return SyntheticCells(self.config, grid, ratio, resplit)

    def test_ids(self, resplit: int | None) -> list[int]:
        return [int(i) for i in synthetic.test_ids(self.config, resplit)]


SYNTHETIC_CELLS_PER_STEP = 8  # a formula costs nothing: a worker's step takes several cells


class SyntheticCells:
    """The formula's accuracy at each (point, seed) of one ratio, each cell on its own, up to
    ``SYNTHETIC_CELLS_PER_STEP`` taken at once (its test examples drawn afresh with
    ``resplit``)."""

    def __init__(self, config: ExperimentConfig, grid: Grid, ratio: float,
                 resplit: int | None = None):
        self.config, self.grid, self.ratio, self.resplit = config, grid, ratio, resplit

    def members(self) -> int:
        return SYNTHETIC_CELLS_PER_STEP

    def together(self, trials: list[optuna.Trial], points: list[dict[str, Any]],
                 seeds: list[int], keep: list[bool] | None = None) -> list[float | None]:
        """The formula's values (there are no weights to keep); None for a trial taken over by
        another worker meanwhile."""
        return [self._one(t, p, s) for t, p, s in zip(trials, points, seeds, strict=True)]

    def _one(self, trial: optuna.Trial, point: dict[str, Any], seed: int) -> float | None:
        started = time.perf_counter()
        params = {**self.grid.fixed, **point}
        scored = (None if synthetic.diverges(self.config, params, self.ratio)
                  else synthetic.run(self.config, params, self.ratio, seed, self.resplit))

        def record() -> float:
            _record(trial, self.config.training.epochs, seed, started, scored)
            trial.set_user_attr(TrialKey.RATIO, self.ratio)
            return 0.0 if scored is None else scored.val_accuracy

        return queue.unless_taken_over(record)


def _record(trial: optuna.Trial, epochs: int, seed: int, started: float,
            scored: synthetic.SyntheticRun | None) -> None:
    """The user attributes a synthetic trial stores, matching those of a trained one; a run
    that diverged is ``scored`` None."""
    seconds = time.perf_counter() - started
    if scored is None:
        result = TrainResult(val_accuracy=0.0, val_loss=None, test_accuracy=None, epochs=epochs,
                             diverged=True, seconds=seconds)
    else:
        result = TrainResult(val_accuracy=scored.val_accuracy, val_loss=None,
                             test_accuracy=scored.test_accuracy, epochs=epochs, diverged=False,
                             seconds=seconds, val_correct=scored.val_correct,
                             test_correct=scored.test_correct)
    record_result(trial, result, seed)


Source = TrainedSource | SyntheticSource


def source_for(config: ExperimentConfig, device: torch.device) -> Source:
    """The source the config's dataset names."""
    if DATASETS[config.data.name].trains:
        return TrainedSource(config, device)
    return SyntheticSource(config)
