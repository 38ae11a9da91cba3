"""Stack K models of one architecture into one wide model whose members never mix.

Member k owns the k-th of K equal blocks along dimension 0 of every parameter and buffer and,
in every activation, the k-th block of channels (or features): a convolution becomes a grouped
convolution with K times the groups, batch norm gets K times the channels (statistics stay per
member), a linear layer becomes K batched matrix products. Layers without parameters (ReLU,
pooling, flatten, residual additions) work on the wide activations unchanged, so the model's
own ``forward`` runs as it is. A model that mixes channels another way (a concatenation or a
padding along channels) is caught by ``stack``'s check and refused.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

_CONVS = (nn.Conv1d, nn.Conv2d)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
_NUM_BATCHES = "num_batches_tracked"
CHECK_TOLERANCE = 1e-4  # largest relative difference between a member and the stack, eval mode


class NotStackable(ValueError):
    """The models cannot be trained as one stack (a layer type or shapes not supported)."""


class StackedLinear(nn.Module):
    """K linear layers, each on its member's block of features: (N, K*in) -> (N, K*out)."""

    def __init__(self, members: int, in_features: int, out_features: int, bias: bool):
        super().__init__()
        self.members, self.in_features, self.out_features = members, in_features, out_features
        self.weight = nn.Parameter(torch.empty(members * out_features, in_features))
        self.bias = nn.Parameter(torch.empty(members * out_features)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, n = self.members, x.shape[0]
        blocks = x.reshape(n, k, self.in_features).transpose(0, 1)
        weight = self.weight.view(k, self.out_features, self.in_features).transpose(1, 2)
        if self.bias is None:
            out = torch.bmm(blocks, weight)
        else:
            out = torch.baddbmm(self.bias.view(k, 1, self.out_features), blocks, weight)
        return out.transpose(0, 1).reshape(n, k * self.out_features)


def _wide(module: nn.Module, k: int) -> nn.Module:
    """An empty module holding ``k`` members of ``module``; NotStackable for other layers."""
    if isinstance(module, _CONVS):
        return type(module)(k * module.in_channels, k * module.out_channels, module.kernel_size,
                            stride=module.stride, padding=module.padding,
                            dilation=module.dilation, groups=k * module.groups,
                            bias=module.bias is not None, padding_mode=module.padding_mode)
    if isinstance(module, _NORMS):
        return type(module)(k * module.num_features, eps=module.eps, momentum=module.momentum,
                            affine=module.affine,
                            track_running_stats=module.track_running_stats)
    if isinstance(module, nn.Linear):
        return StackedLinear(k, module.in_features, module.out_features, module.bias is not None)
    raise NotStackable(f"layer {type(module).__name__} cannot be stacked (supported: Conv1d, "
                       "Conv2d, Linear, BatchNorm1d, BatchNorm2d and layers without weights)")


def _owns_tensors(module: nn.Module) -> bool:
    return any(True for _ in module.parameters(recurse=False)) or any(
        True for _ in module.buffers(recurse=False))


def stack(members: list[nn.Module], example: torch.Tensor) -> nn.Module:
    """One wide model holding ``members`` (same architecture and shapes), checked on ``example``.

    ``example`` is one member's input batch; each member's eval-mode output must match its
    block of the stack's output, else NotStackable.
    """
    shapes = [{n: t.shape for n, t in m.state_dict().items()} for m in members]
    if any(s != shapes[0] for s in shapes[1:]):
        raise NotStackable("the models differ in their layer shapes")
    k = len(members)
    wide = copy.deepcopy(members[0])
    for name, module in list(wide.named_modules()):
        if name and _owns_tensors(module):
            wide.set_submodule(name, _wide(module, k))
    if _owns_tensors(wide):
        raise NotStackable(f"{type(wide).__name__} holds weights outside its layers")
    states = [m.state_dict() for m in members]
    wide.load_state_dict({name: (tensor if name.endswith(_NUM_BATCHES)
                                 else torch.cat([s[name] for s in states]))
                          for name, tensor in states[0].items()})
    wide.to(example.device)
    _check(wide, members, example)
    return wide


def unstack(wide: nn.Module, members: list[nn.Module]) -> None:
    """Copy every member's weights and buffers out of ``wide`` into ``members`` (same shapes)."""
    k = len(members)
    states = [m.state_dict() for m in members]  # tensors sharing the members' storage
    with torch.no_grad():
        for name, tensor in wide.state_dict().items():
            blocks = [tensor] * k if name.endswith(_NUM_BATCHES) else tensor.chunk(k)
            for state, block in zip(states, blocks, strict=True):
                state[name].copy_(block)


def pack(inputs: torch.Tensor) -> torch.Tensor:
    """Inputs shaped (K, N, C, ...) as one wide batch (N, K*C, ...)."""
    k, n, c, *rest = inputs.shape
    return inputs.transpose(0, 1).reshape(n, k * c, *rest)


def replicate(x: torch.Tensor, k: int) -> torch.Tensor:
    """The same batch (N, C, ...) for all ``k`` members: (N, K*C, ...)."""
    n, c, *rest = x.shape
    return x.unsqueeze(1).expand(n, k, c, *rest).reshape(n, k * c, *rest)


def split_outputs(logits: torch.Tensor, k: int) -> torch.Tensor:
    """The wide output (N, K*classes) as (K, N, classes)."""
    return logits.view(logits.shape[0], k, -1).transpose(0, 1)


@contextmanager
def _full_fp32() -> Iterator[None]:
    """No TF32 on a GPU: its ~1e-3 rounding would hide a real mixing of members, or fake one."""
    backends = (torch.backends.cudnn, torch.backends.cuda.matmul)
    before = [backend.allow_tf32 for backend in backends]
    for backend in backends:
        backend.allow_tf32 = False
    try:
        yield
    finally:
        for backend, allowed in zip(backends, before, strict=True):
            backend.allow_tf32 = allowed


@torch.no_grad()
@_full_fp32()
def _check(wide: nn.Module, members: list[nn.Module], example: torch.Tensor) -> None:
    modes = [m.training for m in (wide, *members)]
    wide.eval()
    for member in members:
        member.eval()
    try:
        together = split_outputs(wide(replicate(example, len(members))), len(members))
        for k, member in enumerate(members):
            alone = member(example)
            scale = alone.abs().max().clamp_min(1.0)
            if together.shape[1:] != alone.shape or (
                    (together[k] - alone).abs().max() > CHECK_TOLERANCE * scale):
                raise NotStackable(f"{type(members[0]).__name__} mixes channels between "
                                   "members (e.g. concatenates or pads along channels)")
    finally:
        for module, mode in zip((wide, *members), modes, strict=True):
            module.train(mode)
