"""What made a result: package versions, the source commit, device, threads, host."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch

from .threads import USER_SETTINGS

_PACKAGES = ("pruneshift", "torch", "optuna", "numpy", "scipy", "pandas", "scikit-learn")


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


@cache
def source_commit() -> str | None:
    """The git commit pruneshift runs from (``+dirty`` with uncommitted changes); None for an
    installed package or where git is missing."""
    source = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(source), *args], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def environment(device: torch.device | str) -> dict[str, Any]:
    """Versions, device and machine that a stored result was computed with."""
    device = torch.device(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    return {
        "python": platform.python_version(),
        "packages": {p: _version(p) for p in _PACKAGES},
        "commit": source_commit(),
        "device": str(device),
        "device_name": name or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "openmp_wait": {name: os.environ.get(name) for name in USER_SETTINGS},
        "platform": platform.platform(),
        "host": socket.gethostname(),
    }
