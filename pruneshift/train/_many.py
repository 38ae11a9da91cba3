"""Many training runs at once: runs that share batch size and optimizer are stacked into one
model (``train_batched``), the rest, or all when stacking is off or fails, train one by one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from ..config import TrainingConfig
from ..data import Splits
from ._batched import train_batched
from ._stack import NotStackable, stack, unstack
from ._trainer import TrainResult, train


class GradualChange(Protocol):
    """A change of a model's structure between epochs (gradual pruning): ``due`` says whether
    it acts after an epoch, calling it does so in place."""

    def due(self, epoch: int) -> bool: ...

    def __call__(self, epoch: int) -> bool: ...


Start = Callable[[], tuple[nn.Module, GradualChange | None]]


@dataclass(frozen=True)
class Job:
    """One training run: its recipe, its seed, and how to make its starting model (and the
    structural change it undergoes); made again if a stacked attempt has to be redone."""

    recipe: TrainingConfig
    seed: int
    start: Start


@dataclass(frozen=True)
class Trained:
    """A job's outcome, its trained model, and how many runs were stacked with it (itself
    included)."""

    result: TrainResult
    model: nn.Module
    members: int


def train_many(jobs: list[Job], splits: Splits, *, stacked: bool = True,
               on_unstackable: Callable[[str], None] | None = None) -> list[Trained]:
    """Train every job; outcomes in the order of ``jobs``.

    With ``stacked``, jobs sharing batch size and optimizer train as one stack; should their
    models not stack (``NotStackable``), ``on_unstackable`` hears why and every job left trains
    one by one.
    """
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for index, job in enumerate(jobs):
        groups[job.recipe.batch_size, job.recipe.optimizer].append(index)
    outcomes: dict[int, Trained] = {}
    for indices in groups.values():
        group = [jobs[i] for i in indices]
        trained = None
        if stacked and len(group) > 1:
            try:
                trained = _stacked(group, splits)
            except NotStackable as reason:
                stacked = False  # the models are alike: the next group would not stack either
                if on_unstackable is not None:
                    on_unstackable(str(reason))
        outcomes.update(zip(indices, trained or [_alone(job, splits) for job in group],
                            strict=True))
    return [outcomes[i] for i in range(len(jobs))]


def _alone(job: Job, splits: Splits) -> Trained:
    model, change = job.start()
    result = train(model, splits, job.recipe, seed=job.seed, structure_hook=change)
    return Trained(result, model, 1)


def _stacked(jobs: list[Job], splits: Splits) -> list[Trained]:
    starts = [job.start() for job in jobs]
    models = [model for model, _ in starts]
    changes = [change for _, change in starts if change is not None]
    hook = StackedChange(models, changes, splits.train_x[:1]) if changes else None
    results = train_batched(models, splits, [job.recipe for job in jobs],
                            seeds=[job.seed for job in jobs], structure_hook=hook)
    return [Trained(result, model, len(models))
            for result, model in zip(results, models, strict=True)]


class StackedChange:
    """Gradual changes of stacked members: the stack is taken apart, each member changed by its
    own, and stacked again.

    Uniform pruning removes the same number of channels from every member's layers, so the
    members keep sharing shapes; each still chooses its own channels by its own weights.
    """

    def __init__(self, models: list[nn.Module], changes: list[GradualChange],
                 example: torch.Tensor):
        self.models, self.changes, self.example = models, changes, example

    def __call__(self, epoch: int, wide: nn.Module) -> nn.Module | None:
        if not any(change.due(epoch) for change in self.changes):
            return None
        unstack(wide, self.models)
        for change in self.changes:
            change(epoch)
        return stack(self.models, self.example)
