"""Checkpoints as plain state dicts: saved with torch.save, loaded weights-only.

A pruned model is never unpickled: the dense architecture is rebuilt from the config and
each layer is resized to the shapes its saved tensors have (channel counts, groups).
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch
from torch import nn

from ..errors import CheckpointError

_RESIZABLE = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.batchnorm._BatchNorm)


def save_checkpoint(model: nn.Module, path: Path) -> Path:
    """Write the model's state dict (tensors only) to ``path``."""
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, path)
    return path


def read_state(path: Path) -> dict[str, torch.Tensor]:
    """A state dict read with ``weights_only=True``; a corrupt file is a CheckpointError."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}".splitlines()[0]) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"checkpoint {path} is not a state dict of tensors")
    return state


def _resize(module: nn.Module, name: str, state: dict[str, torch.Tensor]) -> None:
    """Give ``module``'s parameters and buffers the shapes saved under ``name``."""
    prefix = f"{name}." if name else ""
    for tensors in (module._parameters, module._buffers):
        for key, tensor in tensors.items():
            saved = state.get(prefix + key)
            if tensor is not None and saved is not None and saved.shape != tensor.shape:
                tensor.data = torch.empty(saved.shape, dtype=tensor.dtype, device=tensor.device)
    weight = state.get(prefix + "weight")
    if weight is None:
        return
    if isinstance(module, nn.modules.conv._ConvNd):
        depthwise = module.groups > 1 and module.groups == module.in_channels
        module.out_channels = weight.shape[0]
        module.in_channels = weight.shape[1] * (weight.shape[0] if depthwise else module.groups)
        if depthwise:
            module.groups = module.in_channels
    elif isinstance(module, nn.Linear):
        module.out_features, module.in_features = weight.shape
    elif isinstance(module, nn.modules.batchnorm._BatchNorm):
        module.num_features = weight.shape[0]


def load_into(model: nn.Module, path: Path) -> nn.Module:
    """Resize ``model`` (built dense from the config) to the checkpoint and load its weights."""
    return load_state_into(model, read_state(path), f"checkpoint {path}")


def load_state_into(model: nn.Module, state: dict[str, torch.Tensor],
                    source: str = "state") -> nn.Module:
    """Resize ``model``'s layers to the shapes in ``state`` and load it, in place."""
    expected = set(model.state_dict())
    if set(state) != expected:
        missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
        raise CheckpointError(f"{source} does not fit the configured model "
                              f"(missing {missing[:3]}, unexpected {extra[:3]})")
    for name, module in model.named_modules():
        own = {k for k in list(module._parameters) + list(module._buffers)}
        mismatched = any(
            state[f"{name}.{k}" if name else k].shape != getattr(module, k).shape
            for k in own if getattr(module, k, None) is not None)
        if mismatched and not isinstance(module, _RESIZABLE):
            raise CheckpointError(f"{source}: layer '{name}' "
                                  f"({type(module).__name__}) has other shapes and cannot be "
                                  "resized; only conv, linear and batch-norm layers can")
        if mismatched:
            _resize(module, name, state)
    model.load_state_dict(state)
    return model


def reinitialise(model: nn.Module, seed: int) -> nn.Module:
    """Fresh weights for every layer, from ``seed`` alone (the pruned-from-scratch protocol)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in model.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return model
