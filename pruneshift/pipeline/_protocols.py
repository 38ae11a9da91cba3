"""How a grid point is trained at a pruning ratio: one strategy per name of
``pruneshift.catalog.PROTOCOLS`` (``pruning.protocol``).

- ``during-training``: train from scratch with the point's hyperparameters, pruning in
  ``pruning.steps`` equal steps after the epochs of ``prune.pruning_epochs`` (spread over the
  first ``pruning.prune_until`` of training); at r = 0 this is plain dense training.
- ``finetune``: the reference pruned to r, fine-tuned for ``pruning.finetune_epochs`` under
  ``pruning.retrain_schedule`` (``recipe``).
- ``scratch``: the reference's pruned architecture, re-initialised from the seed and trained.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import optuna
from torch import nn

from ..catalog import RETRAIN_SCHEDULES
from ..config import ExperimentConfig, TrainingConfig
from ..data import Splits
from ..prune import GradualPruning, reinitialise
from ._context import Run
from ._models import example_input, fresh_model, gradient_fn
from ._reference import channel_ratio_of, pruned_reference

Start = tuple[nn.Module, GradualPruning | None]


@runtime_checkable
class GridProtocol(Protocol):
    """What a grid asks of ``pruning.protocol``: how long and with what recipe a cell trains,
    whether a ratio's cells share shapes, the model a cell starts from, the largest it holds."""

    starts_from_reference: bool  # whether even the dense grid waits for the reference model

    def epochs(self, config: ExperimentConfig) -> int: ...

    def recipe(self, config: ExperimentConfig, recipe: TrainingConfig) -> TrainingConfig: ...

    def stackable(self, config: ExperimentConfig, ratio: float) -> bool: ...

    def start(self, run: Run, stages: optuna.Study, splits: Splits, ratio: float, seed: int,
              recipe: TrainingConfig) -> Start: ...

    def largest(self, run: Run, stages: optuna.Study, splits: Splits, ratio: float
                ) -> nn.Module: ...


class DuringTraining:
    """Each cell prunes its own model while it trains."""

    starts_from_reference = False  # the dense grid needs no reference model

    def epochs(self, config: ExperimentConfig) -> int:
        return config.training.epochs

    def recipe(self, config: ExperimentConfig, recipe: TrainingConfig) -> TrainingConfig:
        return recipe  # the training schedule, from the first epoch

    def stackable(self, config: ExperimentConfig, ratio: float) -> bool:
        """Cells share shapes unless each is pruned by one global ranking of its own."""
        return not (config.pruning.scope == "global" and ratio > 0)

    def start(self, run: Run, stages: optuna.Study, splits: Splits, ratio: float, seed: int,
              recipe: TrainingConfig) -> Start:
        model = fresh_model(run, splits, seed)
        if ratio == 0:
            return model, None
        return model, GradualPruning(model, example_input(splits), run.config.pruning,
                                     ratio=channel_ratio_of(stages, ratio),
                                     num_classes=splits.num_classes, epochs=recipe.epochs,
                                     seed=seed, gradients=gradient_fn(splits))

    def largest(self, run: Run, stages: optuna.Study, splits: Splits, ratio: float
                ) -> nn.Module:
        """The largest model a cell holds (what memory is sized for): the dense one."""
        return fresh_model(run, splits, 0)


class FromReference:
    """Each cell starts from the reference pruned to the ratio: fine-tuned as it is, or
    (``reinitialised``) trained anew from its seed."""

    starts_from_reference = True

    def __init__(self, reinitialised: bool):
        self.reinitialised = reinitialised

    def epochs(self, config: ExperimentConfig) -> int:
        if self.reinitialised:
            return config.training.epochs
        return config.pruning.finetune_epochs or config.training.epochs

    def recipe(self, config: ExperimentConfig, recipe: TrainingConfig) -> TrainingConfig:
        """A cell's recipe: fine-tuning follows ``pruning.retrain_schedule``, the grid point's
        rate its peak (``fixed``: its constant)."""
        if self.reinitialised:
            return recipe
        change = RETRAIN_SCHEDULES.load(config.pruning.retrain_schedule)
        return recipe.model_copy(update=change(recipe, config.training.epochs))

    def stackable(self, config: ExperimentConfig, ratio: float) -> bool:
        return True  # every cell of a ratio has the pruned reference's shapes

    def start(self, run: Run, stages: optuna.Study, splits: Splits, ratio: float, seed: int,
              recipe: TrainingConfig) -> Start:
        model = pruned_reference(run, stages, splits, ratio)
        return (reinitialise(model, seed) if self.reinitialised else model), None

    def largest(self, run: Run, stages: optuna.Study, splits: Splits, ratio: float
                ) -> nn.Module:
        return pruned_reference(run, stages, splits, ratio)


DURING_TRAINING = DuringTraining()
FINETUNE = FromReference(reinitialised=False)
SCRATCH = FromReference(reinitialised=True)
