"""The two shapes a dataset takes: raw arrays from a loader, and device tensors for training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._augment import Augmentation


@dataclass(frozen=True)
class ArrayDataset:
    """What a loader returns: float32 inputs shaped (n, channels, *spatial), int64 labels.

    ``x_test``/``y_test`` hold an official test set where the dataset has one; otherwise the
    split carves a test set out of ``x``/``y``. ``x_val``/``y_val`` likewise fix the validation
    split (a user's own data may come with one).
    """

    x: np.ndarray
    y: np.ndarray
    num_classes: int
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None


@dataclass(frozen=True)
class Splits:
    """Standardised train/validation/test tensors, already on the training device."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    augment: Augmentation | None = None  # applied to each training batch
    test_ids: np.ndarray | None = None  # each test example's place in the dataset

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example: (channels, *spatial)."""
        return tuple(self.train_x.shape[1:])

    def sizes(self) -> dict[str, int]:
        """Number of examples per split."""
        return {"train": len(self.train_y), "val": len(self.val_y), "test": len(self.test_y)}
