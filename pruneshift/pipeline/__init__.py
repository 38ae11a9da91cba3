"""The study's stages in order, each resumable from the storage; what a worker runs.

Names load their module on first use, so a command that only reads the storage (``status``,
``analyze``) does not pay for torch, which the training stages import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_HOMES = {"analysis_stage": "_analysis", "analyze_run": "_analysis", "Run": "_context",
          "run_dir_for": "_context", "storage_url_for": "_context", "usable_run_dir": "_context",
          "write_json": "_context",
          "Events": "_events", "Progress": "_events", "GridStage": "_grids",
          "define_grid": "_grids", "HPOStage": "_hpo", "run_status": "_status",
          "Worker": "_worker", "run_hpo": "_worker", "run_study": "_worker"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_HOMES[name]}", __name__), name)


if TYPE_CHECKING:
    from ._analysis import analysis_stage, analyze_run
    from ._context import Run, run_dir_for, storage_url_for, usable_run_dir, write_json
    from ._events import Events, Progress
    from ._grids import GridStage, define_grid
    from ._hpo import HPOStage
    from ._status import run_status
    from ._worker import Worker, run_hpo, run_study

__all__ = ["Events", "GridStage", "HPOStage", "Progress", "Run", "Worker", "analysis_stage",
           "analyze_run", "define_grid", "run_dir_for", "run_hpo", "run_status", "run_study",
           "storage_url_for", "usable_run_dir", "write_json"]
