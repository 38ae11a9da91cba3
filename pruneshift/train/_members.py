"""Per-member optimisation of a stacked model: every member its own hyperparameters.

The update rules are PyTorch's SGD (momentum, Nesterov, L2 weight decay) and AdamW (beta1 =
momentum, decoupled weight decay), applied to each member's block of every parameter with that
member's learning rate, weight decay and momentum. A frozen member (diverged) is not updated.

All of a stack's parameters live in one flat tensor and their gradients in another (each
parameter and its gradient a view into them), so one update is a handful of operations on two
long vectors, whatever the number of layers: per element, the member it belongs to picks its
hyperparameters (gathered once, the learning rate once per step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from ..config import TrainingConfig

ADAM_BETA2, ADAM_EPS = 0.999, 1e-8  # torch.optim.AdamW's defaults, as the single trainer uses


def _in_memory_order(flat: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A view of ``flat`` shaped and strided as ``like`` (channels-last weights stay so)."""
    if like.dim() == 4 and like.is_contiguous(memory_format=torch.channels_last):
        out, inputs, height, width = like.shape
        return flat.view(out, height, width, inputs).permute(0, 3, 1, 2)
    return flat.view_as(like)


def _flatten(params: list[nn.Parameter]) -> tuple[torch.Tensor, torch.Tensor]:
    """One flat tensor holding every parameter, one for their gradients; each parameter (and
    its gradient) becomes a view into them, in the parameter's own memory order, so autograd
    accumulates into the flat gradient without a copy. Member k's block of a parameter stays
    the k-th of its leading dimension, so each member's elements stay together."""
    values = torch.empty(sum(p.numel() for p in params), dtype=params[0].dtype,
                         device=params[0].device)
    grads = torch.zeros_like(values)
    offset = 0
    for param in params:
        size = param.numel()
        view = _in_memory_order(values[offset:offset + size], param)
        view.copy_(param.detach())
        param.data = view
        param.grad = _in_memory_order(grads[offset:offset + size], param)
        offset += size
    return values, grads


class MemberOptimizer:
    """One optimiser over a stacked model's parameters, vectorised over its K members."""

    def __init__(self, wide: nn.Module, recipes: list[TrainingConfig]):
        kinds = {r.optimizer for r in recipes}
        if len(kinds) != 1:
            raise ValueError(f"members of one stack share an optimizer, got {sorted(kinds)}")
        self.kind = kinds.pop()
        self.k = len(recipes)
        params = [p for p in wide.parameters() if p.requires_grad]
        self.values, self.grads = _flatten(params)
        device = self.values.device
        self.member = torch.cat([torch.arange(self.k, device=device).repeat_interleave(
            p.numel() // self.k) for p in params])  # the member each element belongs to

        def per_element(values: list[float]) -> torch.Tensor:
            return torch.tensor(values, dtype=torch.float32, device=device)[self.member]

        self.peak_lr = torch.tensor([r.lr for r in recipes], dtype=torch.float32,
                                    device=device)
        self.peak_lr_elements = self.peak_lr[self.member]
        self.weight_decay = per_element([r.weight_decay for r in recipes])
        self.momentum = per_element([r.momentum for r in recipes])
        nesterov = [bool(r.nesterov and r.momentum > 0) for r in recipes]
        self.nesterov: bool | torch.Tensor = all(nesterov)  # or, mixed, a mask per element
        if any(nesterov) and not all(nesterov):
            self.nesterov = per_element([float(n) for n in nesterov]).bool()
        self.state: tuple[torch.Tensor, ...] | None = None
        self.steps = 0

    def zero_grad(self) -> None:
        self.grads.zero_()

    def forget(self, member: int) -> None:
        """Reset a member's optimiser state (momentum, Adam moments) to zero."""
        mine = self.member == member
        for tensor in self.state or ():
            tensor[mine] = 0.0

    @torch.no_grad()
    def step(self, lr_factors: list[float], active: torch.Tensor) -> None:
        """One update; ``lr_factors`` scale each member's peak rate, ``active`` (K,) bool."""
        self.steps += 1
        if len(set(lr_factors)) == 1 and bool(active.all()):  # one schedule, nobody frozen
            lr, scale = self.peak_lr_elements, lr_factors[0]
        else:
            factors = torch.tensor(lr_factors, dtype=torch.float32, device=self.values.device)
            lr, scale = (self.peak_lr * factors * active)[self.member], 1.0
        if self.kind == "adamw":
            self._adamw(lr * scale)
        else:
            self._sgd(lr, scale)

    def _sgd(self, lr: torch.Tensor, scale: float) -> None:
        """SGD with each element's rate ``scale * lr``."""
        direction = torch.addcmul(self.grads, self.weight_decay, self.values)
        if self.state is None:
            self.state = (direction.clone(),)
        else:
            self.state[0].mul_(self.momentum).add_(direction)
        buffer = self.state[0]
        if isinstance(self.nesterov, torch.Tensor):
            direction = torch.where(self.nesterov, direction + self.momentum * buffer, buffer)
        elif self.nesterov:
            direction.addcmul_(self.momentum, buffer)
        else:
            direction = buffer
        self.values.addcmul_(lr, direction, value=-scale)

    def _adamw(self, lr: torch.Tensor) -> None:
        if self.state is None:
            self.state = (torch.zeros_like(self.values), torch.zeros_like(self.values))
        first, second = self.state
        beta1 = self.momentum
        self.values.mul_(1 - lr * self.weight_decay)
        first.mul_(beta1).add_((1 - beta1) * self.grads)
        second.mul_(ADAM_BETA2).addcmul_(self.grads, self.grads, value=1 - ADAM_BETA2)
        correction1 = 1 - beta1 ** self.steps
        correction2 = 1 - ADAM_BETA2 ** self.steps
        denominator = (second.sqrt() / correction2 ** 0.5).add_(ADAM_EPS)
        self.values.addcdiv_(lr / correction1 * first, denominator, value=-1.0)
