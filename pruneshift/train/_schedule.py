"""Learning-rate schedules as plain functions of the recipe and the point of training, each
named in ``pruneshift.catalog.SCHEDULES``; and the re-training schedules of fine-tuning, each a
change to a grid point's recipe named in ``pruneshift.catalog.RETRAIN_SCHEDULES``.

A new schedule is one function here (``(recipe, at) -> multiplier of the peak rate``) and one
catalog line pointing at it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..catalog import SCHEDULES

if TYPE_CHECKING:
    from ..config import TrainingConfig

WARMUP_START = 0.01  # warm-up starts at 1 % of the peak learning rate
ONE_CYCLE_RISE = 0.3  # one-cycle: share of the steps spent rising (torch's pct_start)
ONE_CYCLE_START = 1 / 25  # one-cycle: first rate / peak (torch's 1 / div_factor)
ONE_CYCLE_END = ONE_CYCLE_START / 1e4  # one-cycle: last rate / peak (torch's final_div_factor)


@dataclass(frozen=True)
class Progress:
    """Where training is: ``step`` (0-based) of a schedule spanning ``span`` epochs of
    ``steps_per_epoch`` steps."""

    step: int
    steps_per_epoch: int
    span: int

    @property
    def epoch(self) -> float:
        return self.step / self.steps_per_epoch

    @property
    def total_steps(self) -> int:
        return self.span * self.steps_per_epoch


def default_milestones(epochs: int) -> list[int]:
    """Step schedule's default: divide the rate at 50 % and 75 % of training."""
    return sorted({max(1, round(0.5 * epochs)), max(1, round(0.75 * epochs))})


def _cosine(start: float, end: float, progress: float) -> float:
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def cosine_decay(recipe: TrainingConfig, at: Progress) -> float:
    """Cosine from the peak down to zero over the epochs after the warm-up."""
    return _cosine(1.0, 0.0, (at.epoch - recipe.warmup_epochs)
                   / (at.span - recipe.warmup_epochs))


def step_decay(recipe: TrainingConfig, at: Progress) -> float:
    """The peak times ``gamma`` for each milestone passed (default: 50 % and 75 %)."""
    milestones = recipe.milestones or default_milestones(at.span)
    return recipe.gamma ** sum(at.epoch >= m for m in milestones)


def constant_rate(recipe: TrainingConfig, at: Progress) -> float:
    """The peak rate throughout."""
    return 1.0


def one_cycle(recipe: TrainingConfig, at: Progress) -> float:
    """Step for step torch's ``OneCycleLR`` (cosine annealing, two phases, its defaults)."""
    top = ONE_CYCLE_RISE * at.total_steps - 1
    if at.step <= top:
        return _cosine(ONE_CYCLE_START, 1.0, at.step / top)
    return _cosine(1.0, ONE_CYCLE_END, (at.step - top) / (at.total_steps - 1 - top))


def lr_factor(recipe: TrainingConfig, step: int, steps_per_epoch: int) -> float:
    """Multiplier of the peak learning rate at optimisation ``step`` (0-based).

    The schedule spans ``recipe.schedule_epochs`` when set (training then replays only its last
    ``recipe.epochs``: learning-rate rewinding), else the ``recipe.epochs`` trained; a schedule
    that ``warms_up`` rises linearly over ``recipe.warmup_epochs`` first.
    """
    span = recipe.schedule_epochs or recipe.epochs
    at = Progress(step + (span - recipe.epochs) * steps_per_epoch, steps_per_epoch, span)
    entry = SCHEDULES[recipe.schedule]
    if entry.warms_up and at.epoch < recipe.warmup_epochs:
        return WARMUP_START + (1 - WARMUP_START) * at.epoch / recipe.warmup_epochs
    return entry.load()(recipe, at)


def restart(recipe: TrainingConfig, trained_epochs: int) -> dict[str, Any]:
    """Fine-tuning runs the training schedule anew over its own epochs."""
    return {}


def fixed(recipe: TrainingConfig, trained_epochs: int) -> dict[str, Any]:
    """Fine-tuning holds the grid point's rate constant."""
    return {"schedule": "constant", "warmup_epochs": 0.0}


def rewind(recipe: TrainingConfig, trained_epochs: int) -> dict[str, Any]:
    """Fine-tuning replays the last epochs of the ``trained_epochs``-long schedule."""
    return {"schedule_epochs": trained_epochs}


def one_cycle_retrain(recipe: TrainingConfig, trained_epochs: int) -> dict[str, Any]:
    """Fine-tuning runs one cycle up to the grid point's rate and down."""
    return {"schedule": "one-cycle", "warmup_epochs": 0.0}
