"""Learning-rate schedules as plain functions of the optimisation step."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import TrainingConfig

WARMUP_START = 0.01  # warm-up starts at 1 % of the peak learning rate


def default_milestones(epochs: int) -> list[int]:
    """Step schedule's default: divide the rate at 50 % and 75 % of training."""
    return sorted({max(1, round(0.5 * epochs)), max(1, round(0.75 * epochs))})


def lr_factor(recipe: TrainingConfig, step: int, steps_per_epoch: int) -> float:
    """Multiplier of the peak learning rate at optimisation ``step`` (0-based)."""
    epoch = step / steps_per_epoch
    if epoch < recipe.warmup_epochs:
        return WARMUP_START + (1 - WARMUP_START) * epoch / recipe.warmup_epochs
    if recipe.schedule == "constant":
        return 1.0
    if recipe.schedule == "step":
        milestones = recipe.milestones or default_milestones(recipe.epochs)
        return recipe.gamma ** sum(epoch >= m for m in milestones)
    progress = (epoch - recipe.warmup_epochs) / (recipe.epochs - recipe.warmup_epochs)
    return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
