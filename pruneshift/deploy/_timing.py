"""Latency of one forward pass, in ONNX Runtime and in PyTorch, on one CPU thread.

Both are timed the same way: warm-up runs first, then ``runs`` timed runs on one fixed random
input of the given batch size; the median and the 90th percentile are kept (a shared machine's
interruptions fall into the tail, not the median).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ._onnx import INPUT, OUTPUT, session

WARMUP = 10


@dataclass(frozen=True)
class Timing:
    """Milliseconds per forward pass of ``batch`` inputs."""

    batch: int
    median_ms: float
    p90_ms: float

    def as_stored(self) -> dict[str, float]:
        return asdict(self)


def measure(forward: Callable[[], object], runs: int, batch: int) -> Timing:
    """Warm-up runs, then the median and 90th percentile of ``runs`` timed calls."""
    for _ in range(WARMUP):
        forward()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        forward()
        times.append((time.perf_counter() - started) * 1000)
    median, p90 = np.percentile(times, [50, 90])
    return Timing(batch, round(float(median), 5), round(float(p90), 5))


def time_onnx(path: Path, input_shape: tuple[int, ...], batch: int, runs: int) -> Timing:
    """ONNX Runtime on the CPU with one intra-op thread."""
    runner = session(path, threads=1)
    x = np.random.default_rng(0).standard_normal((batch, *input_shape)).astype(np.float32)
    return measure(lambda: runner.run([OUTPUT], {INPUT: x}), runs, batch)


def time_torch(model: nn.Module, input_shape: tuple[int, ...], batch: int, runs: int) -> Timing:
    """PyTorch eager on the CPU with one thread, under ``inference_mode``; the caller's
    thread count and the model's mode are restored."""
    x = torch.randn(batch, *input_shape, generator=torch.Generator().manual_seed(0))
    previous, was_training = torch.get_num_threads(), model.training
    model.cpu().eval()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            return measure(lambda: model(x), runs, batch)
    finally:
        torch.set_num_threads(previous)
        model.train(was_training)
