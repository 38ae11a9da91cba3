"""Learning-rate schedules as plain functions of the optimisation step."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import TrainingConfig

WARMUP_START = 0.01  # warm-up starts at 1 % of the peak learning rate
ONE_CYCLE_RISE = 0.3  # one-cycle: share of the steps spent rising (torch's pct_start)
ONE_CYCLE_START = 1 / 25  # one-cycle: first rate / peak (torch's 1 / div_factor)
ONE_CYCLE_END = ONE_CYCLE_START / 1e4  # one-cycle: last rate / peak (torch's final_div_factor)


def default_milestones(epochs: int) -> list[int]:
    """Step schedule's default: divide the rate at 50 % and 75 % of training."""
    return sorted({max(1, round(0.5 * epochs)), max(1, round(0.75 * epochs))})


def _cosine(start: float, end: float, progress: float) -> float:
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def one_cycle(step: int, total_steps: int) -> float:
    """The one-cycle multiplier at ``step`` of ``total_steps``, step for step torch's
    ``OneCycleLR`` (cosine annealing, two phases)."""
    top = ONE_CYCLE_RISE * total_steps - 1
    if step <= top:
        return _cosine(ONE_CYCLE_START, 1.0, step / top)
    return _cosine(1.0, ONE_CYCLE_END, (step - top) / (total_steps - 1 - top))


def lr_factor(recipe: TrainingConfig, step: int, steps_per_epoch: int) -> float:
    """Multiplier of the peak learning rate at optimisation ``step`` (0-based).

    The schedule spans ``recipe.schedule_epochs`` when set (training then replays only its last
    ``recipe.epochs``: learning-rate rewinding), else the ``recipe.epochs`` trained.
    """
    span = recipe.schedule_epochs or recipe.epochs
    step += (span - recipe.epochs) * steps_per_epoch
    epoch = step / steps_per_epoch
    if recipe.schedule == "one-cycle":
        return one_cycle(step, span * steps_per_epoch)
    if epoch < recipe.warmup_epochs:
        return WARMUP_START + (1 - WARMUP_START) * epoch / recipe.warmup_epochs
    if recipe.schedule == "constant":
        return 1.0
    if recipe.schedule == "step":
        milestones = recipe.milestones or default_milestones(span)
        return recipe.gamma ** sum(epoch >= m for m in milestones)
    return _cosine(1.0, 0.0, (epoch - recipe.warmup_epochs) / (span - recipe.warmup_epochs))
