"""What a (pruned) model costs: parameters, MACs, CPU latency at batch 1, serialized size."""

from __future__ import annotations

import copy
import io
import statistics
import time

import torch
from torch import nn

WARMUP_RUNS = 20


def serialized_bytes(model: nn.Module) -> int:
    """Size of the model's state dict as ``torch.save`` writes it."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def count_macs_and_params(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, int]:
    """Multiply-accumulates of one forward pass at batch 1, and the parameter count.

    Counted on the model itself, where it is, in eval mode (restored after): a cost target
    counts after every pruning step, so no copy is made.
    """
    import torch_pruning as tp

    example = torch.zeros(1, *input_shape, device=next(model.parameters()).device)
    was_training = model.training
    model.eval()
    try:
        macs, params = tp.utils.count_ops_and_params(model, example)
    finally:
        model.train(was_training)
    return int(macs), int(params)


@torch.inference_mode()
def cpu_latency_ms(model: nn.Module, input_shape: tuple[int, ...], *, runs: int,
                   threads: int = 1, batch: int = 1) -> float:
    """Median wall time of a forward pass of ``batch`` inputs on the CPU, after warm-up, in ms.

    Timed with ``threads`` torch threads (1 by default, like a microcontroller-class target);
    the caller's thread setting is restored.
    """
    probe = copy.deepcopy(model).cpu().eval()
    x = torch.randn(batch, *input_shape)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for _ in range(WARMUP_RUNS):
            probe(x)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            probe(x)
            times.append(time.perf_counter() - started)
    finally:
        torch.set_num_threads(previous)
    return statistics.median(times) * 1000


def efficiency(model: nn.Module, input_shape: tuple[int, ...], *, runs: int) -> dict[str, float]:
    """Parameters, MACs, median CPU latency (batch 1, 1 thread) and serialized bytes."""
    macs, params = count_macs_and_params(model, input_shape)
    return {"param_count": params, "macs": macs,
            "latency_ms": round(cpu_latency_ms(model, input_shape, runs=runs), 5),
            "size_bytes": serialized_bytes(model)}
