"""The trainer: one configuration on in-memory tensors, with per-epoch validation."""

from ._device import resolve_device
from ._schedule import default_milestones, lr_factor
from ._trainer import (
    EpochCallback,
    EpochMetrics,
    StructureHook,
    TrainResult,
    build_optimizer,
    evaluate,
    train,
)

__all__ = ["EpochCallback", "EpochMetrics", "StructureHook", "TrainResult", "build_optimizer",
           "default_milestones", "evaluate", "lr_factor", "resolve_device", "train"]
