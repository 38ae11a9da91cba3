"""Train K models of one architecture together: one forward and backward per step for all.

Each member keeps what the single trainer gives it: its own initialisation (the model passed
in), its own data order (a generator seeded like ``train``'s), its own learning rate, weight
decay, momentum, schedule and label smoothing. Members share the batch size, the optimizer kind
and the number of epochs. A member whose loss turns NaN or infinite is frozen (its weights set
to zero, never updated again) and recorded as diverged while the others go on. For the same seed
a member ends where ``train`` would, up to floating-point reduction order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..stops import raise_if_stopped
from ._members import MemberOptimizer
from ._memory import freed_memory_kept
from ._schedule import lr_factor
from ._stack import pack, replicate, split_outputs, stack, unstack
from ._trainer import (
    EVAL_BATCH,
    EpochMetrics,
    TrainResult,
    accuracy_of,
    channels_last,
    in_training_layout,
    laid_out,
)

if TYPE_CHECKING:
    from ..config import TrainingConfig
    from ..data import Splits

EXAMPLE_BATCH = 8  # examples on which a new stack is checked against its members
StackHook = Callable[[int, nn.Module], "nn.Module | None"]  # after an epoch: a new stack, if pruned


def shared_settings(recipes: list[TrainingConfig]) -> tuple[int, str, int]:
    """The batch size, optimizer and epochs every member must share; ValueError otherwise."""
    keys = {(r.batch_size, r.optimizer, r.epochs) for r in recipes}
    if len(keys) != 1:
        raise ValueError(f"members of one stack share batch size, optimizer and epochs, got "
                         f"{sorted(keys)}")
    return keys.pop()


def member_losses(logits: torch.Tensor, targets: torch.Tensor,
                  smoothing: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per member; logits (K, N, C), targets (K, N), smoothing (K,)."""
    log_probs = F.log_softmax(logits.float(), dim=-1)
    nll = -log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    uniform = -log_probs.mean(dim=-1)
    weight = smoothing.view(-1, 1)
    return ((1 - weight) * nll + weight * uniform).mean(dim=1)


@torch.inference_mode()
def evaluate_members(wide: nn.Module, k: int, x: torch.Tensor, y: torch.Tensor
                     ) -> tuple[list[float], np.ndarray]:
    """Each member's mean cross-entropy on (x, y), in eval mode, and per member and example
    whether it was classified correctly: (K, examples)."""
    wide.eval()
    chunk = max(64, EVAL_BATCH // k)
    loss = torch.zeros(k, dtype=torch.float64, device=x.device)
    correct = []
    for start in range(0, len(y), chunk):
        logits = split_outputs(wide(channels_last(replicate(x[start:start + chunk], k))),
                               k).float()
        target = y[start:start + chunk]
        loss += F.cross_entropy(logits.transpose(1, 2), target.expand(k, -1),
                                reduction="none").sum(dim=1).double()
        correct.append((logits.argmax(dim=-1) == target).cpu())
    return (loss / len(y)).tolist(), torch.cat(correct, dim=1).numpy()


class _Freezer:
    """Which members still train; a stopped member is cleared and never updated again."""

    def __init__(self, k: int, device: torch.device):
        self.active = torch.ones(k, dtype=torch.bool, device=device)
        self.alive = [True] * k

    def stop(self, member: int) -> None:
        """Exclude a member from the loss and the updates from now on."""
        self.alive[member] = False
        self.active[member] = False

    @torch.no_grad()
    def clear(self, member: int, wide: nn.Module, optimizer: MemberOptimizer) -> None:
        """Zero a stopped member's weights and optimiser state, so no NaN lingers in the stack."""
        k = len(self.alive)
        for name, tensor in wide.state_dict().items():
            if not name.endswith("num_batches_tracked"):
                tensor.unflatten(0, (k, -1))[member].zero_()
        optimizer.forget(member)


@freed_memory_kept()
def train_batched(models: list[nn.Module], splits: Splits, recipes: list[TrainingConfig], *,
                  seeds: list[int], structure_hook: StackHook | None = None,
                  evaluate_test: bool = True) -> list[TrainResult]:
    """Train ``models`` (one architecture) together; each ends trained, as with ``train``.

    ``structure_hook(epoch, wide)`` runs after each epoch's steps; when it returns a new stack
    (it pruned the members), training goes on with it and a fresh optimiser, as in ``train``.
    The validation split is scored once, after the last epoch (nothing reads a stack's earlier
    epochs), so a result's ``history`` holds that epoch alone. Raises NotStackable when the
    models cannot be stacked.
    """
    k = len(models)
    batch_size, _, epochs = shared_settings(recipes)
    if recipes[0].threads:
        torch.set_num_threads(recipes[0].threads)
    started = time.perf_counter()
    device = splits.train_x.device
    n_train = len(splits.train_y)
    batch_size = min(batch_size, n_train)
    steps_per_epoch = n_train // batch_size
    wide = stack(models, splits.train_x[:EXAMPLE_BATCH])
    layout = in_training_layout(wide)
    orders = [torch.Generator().manual_seed(seed) for seed in seeds]
    smoothing = torch.tensor([r.label_smoothing for r in recipes], device=device)
    optimizer = MemberOptimizer(wide, recipes)
    members = _Freezer(k, device)
    stopped = [epochs] * k  # the epoch a member diverged in (its epochs trained)
    step = 0
    for epoch in range(1, epochs + 1):
        raise_if_stopped()
        wide.train()
        permutations = torch.stack([torch.randperm(n_train, generator=g) for g in orders])
        permutations = permutations.to(device)
        loss_sums = [0.0] * k
        for batch in range(steps_per_epoch):
            index = permutations[:, batch * batch_size:(batch + 1) * batch_size]
            inputs = splits.train_x[index]
            if splits.augment is not None:
                inputs = torch.stack([splits.augment(inputs[m], orders[m]) for m in range(k)])
            logits = split_outputs(wide(laid_out(pack(inputs), layout)), k)
            losses = member_losses(logits, splits.train_y[index], smoothing)
            values = losses.tolist()
            diverged = [m for m, v in enumerate(values)
                        if members.alive[m] and not math.isfinite(v)]
            for member in diverged:
                members.stop(member)
                stopped[member] = epoch
            optimizer.zero_grad()
            torch.where(members.active, losses, 0.0).sum().backward()
            optimizer.step([lr_factor(r, step, steps_per_epoch) for r in recipes],
                           members.active)
            for member in diverged:  # after the step: the backward pass needs the old weights
                members.clear(member, wide, optimizer)
            loss_sums = [s + v for s, v in zip(loss_sums, values, strict=True)]
            step += 1
        if structure_hook is not None and (pruned := structure_hook(epoch, wide)) is not None:
            wide, layout = pruned, in_training_layout(pruned)
            optimizer = MemberOptimizer(wide, recipes)
    val_losses, val_correct = evaluate_members(wide, k, splits.val_x, splits.val_y)
    for member in range(k):
        if members.alive[member] and not math.isfinite(val_losses[member]):
            members.stop(member)
    final = [None if not alive else EpochMetrics(epochs, loss_sums[m] / steps_per_epoch,
                                                 val_losses[m], accuracy_of(val_correct[m]))
             for m, alive in enumerate(members.alive)]
    test_correct = (evaluate_members(wide, k, splits.test_x, splits.test_y)[1]
                    if evaluate_test else [None] * k)
    unstack(wide, models)
    seconds = (time.perf_counter() - started) / k
    return [_result(last, epochs_trained, val, test, seconds)
            for last, epochs_trained, val, test in zip(final, stopped, val_correct,
                                                       test_correct, strict=True)]


def _result(last: EpochMetrics | None, epochs: int, val_correct: np.ndarray,
            test_correct: np.ndarray | None, seconds: float) -> TrainResult:
    """A member's result: ``last`` its final epoch's metrics (None where it diverged)."""
    scored = last is not None and test_correct is not None
    return TrainResult(
        val_accuracy=0.0 if last is None else last.val_accuracy,
        val_loss=None if last is None else last.val_loss,
        test_accuracy=accuracy_of(test_correct) if scored else None,
        epochs=epochs, diverged=last is None, seconds=seconds,
        history=[] if last is None else [last],
        val_correct=None if last is None else val_correct,
        test_correct=test_correct if scored else None)
