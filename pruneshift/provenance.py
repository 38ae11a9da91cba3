"""What made a result: package versions, device, threads, host."""

from __future__ import annotations

import platform
import socket
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import torch

_PACKAGES = ("pruneshift", "torch", "optuna", "numpy", "scipy", "pandas", "scikit-learn")


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def environment(device: torch.device | str) -> dict[str, Any]:
    """Versions, device and machine that a stored result was computed with."""
    device = torch.device(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    return {
        "python": platform.python_version(),
        "packages": {p: _version(p) for p in _PACKAGES},
        "device": str(device),
        "device_name": name or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "host": socket.gethostname(),
    }
