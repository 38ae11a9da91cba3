"""Per-member optimisation of a stacked model: every member its own hyperparameters.

The update rules are PyTorch's SGD (momentum, Nesterov, L2 weight decay) and AdamW (beta1 =
momentum, decoupled weight decay), applied to each member's block of every parameter with that
member's learning rate, weight decay and momentum. A frozen member (diverged) is not updated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from ..config import TrainingConfig

ADAM_BETA2, ADAM_EPS = 0.999, 1e-8  # torch.optim.AdamW's defaults, as the single trainer uses


class MemberOptimizer:
    """One optimiser over a stacked model's parameters, vectorised over its K members."""

    def __init__(self, wide: nn.Module, recipes: list[TrainingConfig]):
        kinds = {r.optimizer for r in recipes}
        if len(kinds) != 1:
            raise ValueError(f"members of one stack share an optimizer, got {sorted(kinds)}")
        self.kind = kinds.pop()
        self.params = list(wide.parameters())
        self.k = len(recipes)
        device = self.params[0].device

        def column(values: list[float]) -> torch.Tensor:
            return torch.tensor(values, dtype=torch.float32, device=device).view(self.k, 1)

        self.peak_lr = [r.lr for r in recipes]
        self.weight_decay = column([r.weight_decay for r in recipes])
        self.momentum = column([r.momentum for r in recipes])
        self.nesterov = column([float(r.nesterov and r.momentum > 0) for r in recipes]).bool()
        self.state: list[tuple[torch.Tensor, ...] | None] = [None] * len(self.params)
        self.steps = 0
        self.device = device

    def zero_grad(self) -> None:
        for param in self.params:
            param.grad = None

    def forget(self, member: int) -> None:
        """Reset a member's optimiser state (momentum, Adam moments) to zero."""
        for state in self.state:
            for tensor in state or ():
                tensor.view(self.k, -1)[member].zero_()

    @torch.no_grad()
    def step(self, lr_factors: list[float], active: torch.Tensor) -> None:
        """One update; ``lr_factors`` scale each member's peak rate, ``active`` (K,) bool."""
        self.steps += 1
        lr = torch.tensor([p * f for p, f in zip(self.peak_lr, lr_factors, strict=True)],
                          dtype=torch.float32, device=self.device).view(self.k, 1)
        lr = lr * active.view(self.k, 1)
        for i, param in enumerate(self.params):
            if param.grad is None:
                continue
            weights, grad = param.view(self.k, -1), param.grad.view(self.k, -1)
            if self.kind == "adamw":
                self._adamw(i, weights, grad, lr)
            else:
                self._sgd(i, weights, grad, lr)

    def _sgd(self, i: int, weights: torch.Tensor, grad: torch.Tensor, lr: torch.Tensor) -> None:
        direction = grad + self.weight_decay * weights
        if self.state[i] is None:
            self.state[i] = (direction.clone(),)
        else:
            self.state[i][0].mul_(self.momentum).add_(direction)
        buffer = self.state[i][0]
        direction = torch.where(self.nesterov, direction + self.momentum * buffer, buffer)
        weights.sub_(lr * direction)

    def _adamw(self, i: int, weights: torch.Tensor, grad: torch.Tensor,
               lr: torch.Tensor) -> None:
        if self.state[i] is None:
            self.state[i] = (torch.zeros_like(weights), torch.zeros_like(weights))
        first, second = self.state[i]
        beta1 = self.momentum
        weights.mul_(1 - lr * self.weight_decay)
        first.mul_(beta1).add_((1 - beta1) * grad)
        second.mul_(ADAM_BETA2).addcmul_(grad, grad, value=1 - ADAM_BETA2)
        correction1 = 1 - beta1 ** self.steps
        correction2 = 1 - ADAM_BETA2 ** self.steps
        denominator = (second.sqrt() / correction2 ** 0.5).add_(ADAM_EPS)
        weights.sub_(lr / correction1 * first / denominator)
