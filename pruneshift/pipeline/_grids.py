"""Stages 2 and 4: the vicinity grid, trained at every ratio under the configured protocol.

Protocols for a grid point at ratio r (``pruning.protocol``):
- ``during-training``: train from scratch with the point's hyperparameters, pruning in
  ``pruning.steps`` equal steps after the epochs of ``prune.pruning_epochs`` (spread over the
  first ``pruning.prune_until`` of training); at r = 0 this is plain dense training.
- ``finetune``: the reference pruned to r, fine-tuned for ``pruning.finetune_epochs``.
- ``scratch``: the reference's pruned architecture, re-initialised from the seed and trained.
"""

from __future__ import annotations

import time
from typing import Any

import optuna
from optuna.trial import TrialState
from torch import nn

from .. import search, synthetic
from ..config import GRID_SECTIONS, TrainingConfig
from ..data import Splits
from ..prune import GradualPruning, reinitialise
from ..search import Grid, build_grid
from ..storage import grid_study_name
from ..train import train
from ._context import Run
from ._events import Events
from ._hpo import record_result, record_synthetic
from ._models import example_input, fresh_model, gradient_fn
from ._reference import pruned_reference

GRID_ATTR = "grid"
OPTIMUM_ATTR = "optimum"


def define_grid(run: Run, stages: optuna.Study, optimum: dict[str, Any],
                events: Events) -> Grid:
    """Build the grid around the HPO optimum once; later runs reuse the stored grid."""
    stored = stages.user_attrs.get(GRID_ATTR)
    if stored is not None:
        grid = Grid.from_dict(stored)
        if stages.user_attrs.get(OPTIMUM_ATTR) != optimum:
            events.warning("the HPO optimum changed since the grid was built; the stored grid is "
                           "kept so that every ratio is trained on the same grid")
        return grid
    grid, warnings = build_grid(run.config, optimum)
    for warning in warnings:
        events.warning(warning)
    stages.set_user_attr(GRID_ATTR, grid.to_dict())
    stages.set_user_attr(OPTIMUM_ATTR, optimum)
    return grid


def _model_for(run: Run, stages: optuna.Study, splits: Splits, ratio: float, seed: int,
               recipe: TrainingConfig) -> tuple[nn.Module, GradualPruning | None]:
    """The model a grid trial starts from, and the pruning it undergoes while training."""
    settings = run.config.pruning
    if settings.protocol == "finetune":
        return pruned_reference(run, stages, splits, ratio), None
    if settings.protocol == "scratch":
        return reinitialise(pruned_reference(run, stages, splits, ratio), seed), None
    model = fresh_model(run, splits, seed)
    if ratio == 0:
        return model, None
    return model, GradualPruning(model, example_input(splits), settings, ratio=ratio,
                                 num_classes=splits.num_classes, epochs=recipe.epochs,
                                 seed=seed, gradients=gradient_fn(splits))


def synthetic_grid_objective(run: Run, grid: Grid, ratio: float):
    """The known-answer task's accuracy at one (point, seed) and ``ratio``."""
    config = run.config

    def objective(trial: optuna.Trial, point: dict[str, Any], seed: int) -> float:
        started = time.perf_counter()
        value = synthetic.accuracy(config, {**grid.fixed, **point}, ratio, seed)
        record_synthetic(trial, config.training.epochs, seed, started)
        trial.set_user_attr("ratio", ratio)
        return value

    return objective


def grid_objective(run: Run, stages: optuna.Study, splits: Splits, grid: Grid, ratio: float):
    """Train one (point, seed) at ``ratio``; the trial's value is the validation accuracy."""
    config = run.config
    epochs = (config.pruning.finetune_epochs or config.training.epochs
              if config.pruning.protocol == "finetune" else config.training.epochs)

    def objective(trial: optuna.Trial, point: dict[str, Any], seed: int) -> float:
        recipe = TrainingConfig.model_validate(
            {**config.training.model_dump(), **grid.fixed, **point, "epochs": epochs})
        model, pruning = _model_for(run, stages, splits, ratio, seed, recipe)
        result = train(model, splits, recipe, seed=seed, structure_hook=pruning)
        record_result(trial, result, seed)
        trial.set_user_attr("ratio", ratio)
        trial.set_user_attr("params", sum(p.numel() for p in model.parameters()))
        return result.val_accuracy

    return objective


class GridStage:
    """One ratio's grid: its study, and one (point, seed) trained per step."""

    def __init__(self, run: Run, stages: optuna.Study, splits: Splits | None, grid: Grid,
                 ratio: float):
        self.run, self.grid, self.ratio = run, grid, ratio
        self.study = run.study(grid_study_name(run.config.experiment, ratio), GRID_SECTIONS)
        self.units = search.grid_units(grid)
        self.objective = (synthetic_grid_objective(run, grid, ratio) if splits is None
                          else grid_objective(run, stages, splits, grid, ratio))

    def done(self) -> int:
        return search.done_cells(self.study, self.grid)

    def step(self) -> bool:
        """Train one missing cell if one is free; False when there is none.

        Missing cells (never enqueued, or failed) are enqueued whenever the queue runs empty.
        """
        if not self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            search.enqueue_missing(self.study, self.units, self.run.lock)
        trial = search.take(self.study)
        if trial is None:
            return False
        axes = self.grid.axes

        def work(trial: optuna.Trial) -> float:
            point = {axis.name: axis.record(trial) for axis in axes}
            return self.objective(trial, point, int(trial.user_attrs[search.SEED_ATTR]))

        search.execute(self.study, trial, work, self.run.lock)
        return True
