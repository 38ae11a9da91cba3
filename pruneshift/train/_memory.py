"""How many members of a stack fit in memory, from one member's measured forward pass."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

MAX_MEMBERS = 64  # beyond this a stack gains little and one worker would hold too many cells
MEMORY_SHARE = {"cpu": 0.25, "cuda": 0.5}  # of the free memory a stack may take
OPTIMIZER_COPIES = 4  # weights, gradients and up to two optimiser states per parameter
ACTIVATION_COPIES = 3  # outputs kept for backward, their gradients, and workspace
UNKNOWN_FREE_BYTES = 2 << 30  # assumed where the system does not report free memory


def member_bytes(model: nn.Module, batch: torch.Tensor) -> int:
    """Bytes one member needs to train on ``batch``: its parameters and layer outputs, scaled."""
    activations = 0

    def count(_module: nn.Module, _inputs: object, output: object) -> None:
        nonlocal activations
        if isinstance(output, torch.Tensor):
            activations += output.numel() * output.element_size()

    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    training = model.training
    model.eval()  # leaves batch-norm statistics untouched
    try:
        with torch.no_grad():
            model(batch)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(training)
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    return OPTIMIZER_COPIES * weights + ACTIVATION_COPIES * activations


def free_bytes(device: torch.device) -> int:
    """Memory free for training on ``device`` (GPU: free device memory; CPU: MemAvailable)."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):  # a system that does not say
        return UNKNOWN_FREE_BYTES


def members_that_fit(model: nn.Module, batch: torch.Tensor, limit: int | None = None) -> int:
    """Members of ``model`` training on ``batch`` that fit in a share of free memory (>= 1)."""
    device = batch.device
    budget = MEMORY_SHARE.get(device.type, MEMORY_SHARE["cpu"]) * free_bytes(device)
    fit = int(budget // max(1, member_bytes(model, batch)))
    return max(1, min(fit, limit or MAX_MEMBERS))
