"""Train one configuration: in-memory batches, per-step schedule, divergence as an outcome.

The recipe reads top to bottom: seed the data order, build the optimiser, then for every
epoch slice batches from a seeded permutation (augmented, where the data say so, with draws
from the same seeded generator), step, and evaluate on the validation split.
A NaN or infinite loss ends the run at once; it is recorded as diverged, not raised.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..stops import raise_if_stopped
from ._schedule import lr_factor

if TYPE_CHECKING:
    from ..config import TrainingConfig
    from ..data import Splits

EVAL_BATCH = 2048  # examples per forward pass when evaluating


@dataclass(frozen=True)
class EpochMetrics:
    """What one epoch produced; ``epoch`` counts from 1."""

    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float


@dataclass
class TrainResult:
    """The outcome of one training run; a diverged run scores the worst accuracy, 0.

    ``val_correct`` and ``test_correct`` say, per example of the split, whether the final
    model classified it correctly (None for a diverged run, or where the split was not scored):
    two runs scored on the same examples can then be compared example by example.
    """

    val_accuracy: float
    val_loss: float | None
    test_accuracy: float | None
    epochs: int
    diverged: bool
    seconds: float
    history: list[EpochMetrics] = field(default_factory=list)
    val_correct: np.ndarray | None = None
    test_correct: np.ndarray | None = None


EpochCallback = Callable[[EpochMetrics], None]
StructureHook = Callable[[int], bool]  # after an epoch's steps; True if it changed the model


def build_optimizer(model: nn.Module, recipe: TrainingConfig) -> torch.optim.Optimizer:
    """SGD (momentum, optional Nesterov, L2 decay) or AdamW (beta1 = momentum)."""
    if recipe.optimizer == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay,
                                 betas=(recipe.momentum, 0.999))
    return torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                           nesterov=recipe.nesterov and recipe.momentum > 0,
                           weight_decay=recipe.weight_decay)


def channels_last(x: torch.Tensor) -> torch.Tensor:
    """An image batch in channels-last memory order (NHWC), which convolution, batch norm and
    pooling run about twice as fast on a CPU (``benchmarks/trainer_overhead.py``); a tensor of any
    other rank as it is. The values, and what the model computes, do not change."""
    return laid_out(x, torch.channels_last)


def untrainable_in_channels_last(module: nn.Module) -> bool:
    """Whether ``module`` is a 1x1 strided convolution over 2 to 7 channels: its channels-last
    backward pass corrupts the heap in oneDNN 3.12 on AVX2 CPUs (a crash on one thread, a hang
    on two; ``tests/train_tests/test_layout.py``). Such layers appear in narrow or heavily
    pruned ResNets' shortcuts."""
    return (isinstance(module, nn.Conv2d) and module.groups == 1
            and module.kernel_size == (1, 1) and module.stride != (1, 1)
            and 1 < module.in_channels < 8)


def training_layout(model: nn.Module) -> torch.memory_format:
    """Channels-last, unless a layer of ``model`` cannot be trained in it
    (``untrainable_in_channels_last``): then the usual contiguous order, for the whole model."""
    if any(untrainable_in_channels_last(m) for m in model.modules()):
        return torch.contiguous_format
    return torch.channels_last


def in_training_layout(model: nn.Module) -> torch.memory_format:
    """Lay ``model``'s 4-D weights out (in place) in its ``training_layout``, and return it:
    its training inputs go in the same order (``laid_out``)."""
    layout = training_layout(model)
    model.to(memory_format=layout)
    return layout


def laid_out(x: torch.Tensor, layout: torch.memory_format) -> torch.Tensor:
    """An image batch in memory order ``layout``; a tensor of any other rank as it is."""
    return x.contiguous(memory_format=layout) if x.dim() == 4 else x


@torch.inference_mode()
def outcomes(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``model`` on (x, y), in eval mode, and per example whether it was
    classified correctly."""
    model.eval()
    total_loss, correct = 0.0, []
    for start in range(0, len(y), EVAL_BATCH):
        logits = model(channels_last(x[start:start + EVAL_BATCH]))
        target = y[start:start + EVAL_BATCH]
        total_loss += F.cross_entropy(logits.float(), target, reduction="sum").item()
        correct.append((logits.argmax(dim=1) == target).cpu())
    return total_loss / len(y), torch.cat(correct).numpy()


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on (x, y), in eval mode."""
    loss, correct = outcomes(model, x, y)
    return loss, accuracy_of(correct)


def accuracy_of(correct: np.ndarray) -> float:
    """The share of examples classified correctly."""
    return int(correct.sum()) / len(correct)


def train(model: nn.Module, splits: Splits, recipe: TrainingConfig, *, seed: int,
          epochs: int | None = None, on_epoch: EpochCallback | None = None,
          structure_hook: StructureHook | None = None, evaluate_test: bool = True
          ) -> TrainResult:
    """Train ``model`` in place on ``splits`` with ``recipe``; the data order follows ``seed``.

    ``epochs`` (default ``recipe.epochs``) may stop early; the schedule always spans
    ``recipe.epochs``, so a run stopped at epoch k equals the first k epochs of the full run.
    ``structure_hook(epoch)`` runs after each epoch's steps, before validation; when it returns
    True (it pruned the model) the optimiser is rebuilt, its momentum starting afresh.
    ``on_epoch`` sees every epoch's metrics and may raise to stop the run (e.g. HPO pruning).
    """
    if recipe.threads:
        torch.set_num_threads(recipe.threads)
    started = time.perf_counter()
    device = splits.train_x.device
    n_train = len(splits.train_y)
    batch_size = min(recipe.batch_size, n_train)
    steps_per_epoch = n_train // batch_size  # the last partial batch is dropped
    order = torch.Generator().manual_seed(seed)
    layout = in_training_layout(model)
    optimizer = build_optimizer(model, recipe)
    history: list[EpochMetrics] = []
    val_correct: np.ndarray | None = None
    step = 0

    def finish(diverged: bool) -> TrainResult:
        last = history[-1] if history else None
        test_correct = None
        if evaluate_test and not diverged:
            test_correct = outcomes(model, splits.test_x, splits.test_y)[1]
        return TrainResult(
            val_accuracy=0.0 if diverged or last is None else last.val_accuracy,
            val_loss=None if diverged or last is None else last.val_loss,
            test_accuracy=None if test_correct is None else accuracy_of(test_correct),
            epochs=len(history) + int(diverged), diverged=diverged,
            seconds=time.perf_counter() - started, history=history,
            val_correct=None if diverged else val_correct, test_correct=test_correct)

    for epoch in range(1, (epochs or recipe.epochs) + 1):
        raise_if_stopped()
        model.train()
        permutation = torch.randperm(n_train, generator=order).to(device)
        loss_sum = 0.0
        for batch in range(steps_per_epoch):
            index = permutation[batch * batch_size:(batch + 1) * batch_size]
            for group in optimizer.param_groups:
                group["lr"] = recipe.lr * lr_factor(recipe, step, steps_per_epoch)
            inputs = splits.train_x[index]
            if splits.augment is not None:
                inputs = splits.augment(inputs, order)
            logits = model(laid_out(inputs, layout))
            loss = F.cross_entropy(logits, splits.train_y[index],
                                   label_smoothing=recipe.label_smoothing)
            value = loss.item()
            if not math.isfinite(value):
                return finish(diverged=True)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += value
            step += 1
        if structure_hook is not None and structure_hook(epoch):
            layout = in_training_layout(model)
            optimizer = build_optimizer(model, recipe)
        val_loss, val_correct = outcomes(model, splits.val_x, splits.val_y)
        if not math.isfinite(val_loss):
            return finish(diverged=True)
        metrics = EpochMetrics(epoch, loss_sum / steps_per_epoch, val_loss,
                               accuracy_of(val_correct))
        history.append(metrics)
        if on_epoch is not None:
            on_epoch(metrics)
    return finish(diverged=False)
