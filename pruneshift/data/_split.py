"""Stratified, seeded train/validation/test splits, standardised and moved to the device."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from ..catalog import DATASETS
from ..errors import DataError
from ._augment import augmentation
from ._types import ArrayDataset, Splits

if TYPE_CHECKING:
    from ..config import DataConfig


def split_arrays(data: ArrayDataset, *, val_fraction: float, test_fraction: float,
                 seed: int, subset: int | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Stratified split into train/val/test; an official test set is kept as the test split.

    ``subset`` keeps that many examples of the training pool (train + validation), stratified.
    A dataset that comes with its own validation split keeps it.
    """
    x, y = data.x, data.y
    if data.x_test is None:
        x, x_test, y, y_test = train_test_split(x, y, test_size=test_fraction, stratify=y,
                                                random_state=seed)
    else:
        x_test, y_test = data.x_test, data.y_test
    if subset is not None and subset < len(y):
        classes = len(np.unique(y))
        if subset < 2 * classes:
            raise DataError(f"data.subset: {subset} examples cannot hold every one of the "
                            f"{classes} classes in both training and validation; use at least "
                            f"{2 * classes}")
        x, _, y, _ = train_test_split(x, y, train_size=subset, stratify=y, random_state=seed)
    if data.x_val is not None:
        return {"train": (x, y), "val": (data.x_val, data.y_val), "test": (x_test, y_test)}
    try:
        x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=val_fraction,
                                                          stratify=y, random_state=seed)
    except ValueError as exc:
        raise DataError(f"cannot split {len(y)} examples stratified into "
                        f"val_fraction={val_fraction}: {exc}") from exc
    return {"train": (x_train, y_train), "val": (x_val, y_val), "test": (x_test, y_test)}


def _standardise(parts: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Scale every split by the training split's per-channel mean and std, in place."""
    axes = (0, *range(2, parts["train"][0].ndim))
    mean = parts["train"][0].mean(axis=axes, keepdims=True)
    std = parts["train"][0].std(axis=axes, keepdims=True) + 1e-6
    for name, (x, y) in parts.items():
        parts[name] = ((x - mean) / std, y)


def load_splits(config: DataConfig, device: torch.device | str = "cpu") -> Splits:
    """Load the configured dataset and return its standardised splits on ``device``."""
    info = DATASETS[config.name]
    data = info.load()(config.root, config.download)
    parts = split_arrays(data, val_fraction=config.val_fraction,
                         test_fraction=config.test_fraction, seed=config.split_seed,
                         subset=config.subset)
    _standardise(parts)
    augment = augmentation(config.augment, info.augment, parts["train"][0].shape[1:])

    def tensors(name: str) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = parts[name]
        return (torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32), device=device),
                torch.as_tensor(y, dtype=torch.long, device=device))

    (train_x, train_y), (val_x, val_y), (test_x, test_y) = map(tensors, ("train", "val", "test"))
    return Splits(train_x, train_y, val_x, val_y, test_x, test_y, data.num_classes, augment)
