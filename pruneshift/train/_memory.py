"""How many members of a stack fit in memory, from one member's measured forward pass, and
a stack's freed memory kept for its next step."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import platform
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

MAX_MEMBERS = 64  # beyond this a stack gains little and one worker would hold too many cells
MEMORY_SHARE = {"cpu": 0.25, "cuda": 0.5}  # of the free memory a stack may take
OPTIMIZER_COPIES = 4  # weights, gradients and up to two optimiser states per parameter
ACTIVATION_COPIES = 3  # outputs kept for backward, their gradients, and workspace
UNKNOWN_FREE_BYTES = 2 << 30  # assumed where the system does not report free memory
MMAP_THRESHOLD, TRIM_THRESHOLD = -3, -1  # glibc's mallopt M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
KEPT_BELOW = 1 << 30  # while a stack trains, freed blocks smaller than this stay in the process


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


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The process's C library where it is glibc (mallopt, malloc_trim); None elsewhere."""
    if platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL(None)


@contextlib.contextmanager
def freed_memory_kept() -> Iterator[None]:
    """Memory freed in the block is kept for reuse in it, and handed back to the system after.

    glibc returns every freed block above its mmap threshold (128 KiB, rising to at most 32 MiB)
    to the system at once, so each step of a stack maps its activations again and the kernel
    faults them in page by page, zeroing each: a 64-member stack of the default grid at full
    width took 1.5 million page faults and 2 of its 18 CPU seconds in the kernel
    (``benchmarks/allocation.py``). With both thresholds raised, a step reuses the blocks the
    last one freed; ``malloc_trim`` hands them back at the end, so the next stack is sized from
    true free memory. The thresholds stay raised for the rest of the process: glibc's first
    ones, set again, would fix its mmap threshold at 128 KiB (it rises only until set), and a
    model trained alone after that took 1.6 times as long. Where the C library is not glibc,
    nothing changes.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(MMAP_THRESHOLD, KEPT_BELOW)
    libc.mallopt(TRIM_THRESHOLD, KEPT_BELOW)
    try:
        yield
    finally:
        libc.malloc_trim(0)
