"""The trainers: one configuration, or K of one architecture stacked, on in-memory tensors."""

from ._batched import StackHook, train_batched
from ._device import resolve_device
from ._many import GradualChange, Job, StackedChange, Trained, train_many
from ._memory import members_that_fit
from ._schedule import default_milestones, lr_factor
from ._stack import NotStackable, stack, unstack
from ._trainer import (
    EpochCallback,
    EpochMetrics,
    StructureHook,
    TrainResult,
    build_optimizer,
    evaluate,
    train,
    training_layout,
)

__all__ = ["EpochCallback", "EpochMetrics", "GradualChange", "Job", "NotStackable", "StackHook",
           "StackedChange", "StructureHook", "TrainResult", "Trained", "build_optimizer",
           "default_milestones", "evaluate", "lr_factor", "members_that_fit", "resolve_device",
           "stack", "train", "train_batched", "train_many", "training_layout", "unstack"]
