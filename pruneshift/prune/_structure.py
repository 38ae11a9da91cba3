"""Structured pruning with Torch-Pruning: dependency-aware, channels physically removed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ..catalog import CRITERIA
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import PruningConfig

GradientFn = Callable[[nn.Module], None]  # runs forward/backward so .grad is filled


def classifier_of(model: nn.Module, num_classes: int) -> nn.Module:
    """The last layer producing ``num_classes`` outputs: its outputs are never pruned."""
    for module in reversed(list(model.modules())):
        if isinstance(module, nn.Linear) and module.out_features == num_classes:
            return module
        if isinstance(module, nn.modules.conv._ConvNd) and module.out_channels == num_classes:
            return module
    raise ConfigError(f"model: no layer with {num_classes} outputs, one per class; pruning "
                      "keeps the classifier whole and must find it (the last Linear or conv "
                      "layer with as many outputs as the dataset has classes)")


def make_pruner(model: nn.Module, example_input: torch.Tensor, settings: PruningConfig, *,
                ratio: float, num_classes: int, steps: int = 1) -> Any:
    """A Torch-Pruning pruner reaching ``ratio`` of channels removed in ``steps`` equal steps."""
    import torch_pruning as tp

    return tp.pruner.MetaPruner(
        model, example_input, importance=CRITERIA.load(settings.criterion)(),
        global_pruning=settings.scope == "global", pruning_ratio=ratio, iterative_steps=steps,
        ignored_layers=[classifier_of(model, num_classes)], round_to=settings.round_to)


def pruning_step(pruner: Any, model: nn.Module, criterion: str, *, seed: int,
                 gradients: GradientFn | None) -> None:
    """One pruner step; gradients first for criteria that need them; randomness from ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if CRITERIA[criterion].needs_gradients:
            if gradients is None:
                raise ValueError(f"criterion '{criterion}' needs a batch to compute gradients")
            model.zero_grad(set_to_none=True)
            gradients(model)
        pruner.step()
    model.zero_grad(set_to_none=True)


def prune(model: nn.Module, example_input: torch.Tensor, settings: PruningConfig, *,
          ratio: float, num_classes: int, seed: int, gradients: GradientFn | None = None
          ) -> float:
    """Prune ``model`` in place to ``ratio`` of ``settings.target``.

    Returns the share of channels pruning removed (``ratio`` itself when the target is
    channels: one step); ratio 0 leaves the model untouched.
    """
    from ._target import prune_to_target

    if ratio == 0:
        return 0.0
    if settings.target != "channels":
        return prune_to_target(model, example_input, settings, ratio=ratio,
                                num_classes=num_classes, seed=seed, gradients=gradients)
    pruner = make_pruner(model, example_input, settings, ratio=ratio, num_classes=num_classes)
    pruning_step(pruner, model, settings.criterion, seed=seed, gradients=gradients)
    return ratio


def pruning_epochs(epochs: int, steps: int, until: float) -> list[int]:
    """The epochs after which each gradual pruning step happens (1-based, non-decreasing).

    Step i of k comes after epoch round(i * until * epochs / k), at least 1: with 10 epochs,
    3 steps and until = 0.5, pruning happens after epochs 2, 3 and 5.
    """
    return [max(1, round(i * until * epochs / steps)) for i in range(1, steps + 1)]


class GradualPruning:
    """Prune while training: ``steps`` steps to ``ratio``, after the epochs of ``pruning_epochs``.

    ``ratio`` is a share of channels (for a cost target: the share its reference pruning took).

    Called by the trainer after each epoch's training steps; returns True when it pruned, so
    that the trainer rebuilds its optimiser for the smaller parameters.
    """

    def __init__(self, model: nn.Module, example_input: torch.Tensor, settings: PruningConfig,
                 *, ratio: float, num_classes: int, epochs: int, seed: int,
                 gradients: GradientFn | None = None):
        self.model, self.criterion, self.seed, self.gradients = (
            model, settings.criterion, seed, gradients)
        self.schedule = pruning_epochs(epochs, settings.steps, settings.prune_until)
        self.pruner = make_pruner(model, example_input, settings, ratio=ratio,
                                  num_classes=num_classes, steps=settings.steps)

    def due(self, epoch: int) -> bool:
        """Whether pruning happens after ``epoch``."""
        return epoch in self.schedule

    def __call__(self, epoch: int) -> bool:
        due = self.schedule.count(epoch)
        for step in range(due):
            pruning_step(self.pruner, self.model, self.criterion,
                         seed=self.seed * 1000 + epoch * 10 + step, gradients=self.gradients)
        return due > 0
