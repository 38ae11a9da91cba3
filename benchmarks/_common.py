"""What every benchmark prints first, and a timer that interleaves repeats of rivals."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

import torch


def describe_machine() -> None:
    gpu = f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores{gpu}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"Python {platform.python_version()}")


def best_times(rivals: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Each rival's best wall time over ``repeats``, run in turn so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in rivals}
    for _ in range(repeats):
        for name, rival in rivals.items():
            started = time.perf_counter()
            rival()
            times[name].append(time.perf_counter() - started)
    return {name: min(values) for name, values in times.items()}
