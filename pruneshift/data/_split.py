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

RESPLIT_STREAM = 7  # seeds the training and test examples drawn afresh (``resplit``)


def split_arrays(data: ArrayDataset, *, val_fraction: float, test_fraction: float,
                 seed: int, subset: int | None = None, resplit: int | None = None
                 ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Stratified split into train/val/test; an official test set is kept as the test split.

    ``subset`` keeps that many examples of the training pool (train + validation), stratified.
    A dataset that comes with its own validation split keeps it. ``resplit`` k draws the
    training and test examples afresh (stratified, seeded by ``seed`` and k, the same sizes)
    from those the validation split does not hold, so that runs scored on another draw meet
    other test examples; the validation split stays as it is. An official test set is never
    drawn again. ``parts["test_ids"]`` holds the test examples' places in the dataset (their
    index into ``data.x``, or into ``data.x_test`` for an official test set).
    """
    x, y, ids = data.x, data.y, np.arange(len(data.y))
    if data.x_test is None:
        x, x_test, y, y_test, ids, test_ids = train_test_split(
            x, y, ids, test_size=test_fraction, stratify=y, random_state=seed)
    else:
        x_test, y_test, test_ids = data.x_test, data.y_test, np.arange(len(data.y_test))
    if subset is not None and subset < len(y):
        classes = len(np.unique(y))
        if subset < 2 * classes:
            raise DataError(f"data.subset: {subset} examples cannot hold every one of the "
                            f"{classes} classes in both training and validation; use at least "
                            f"{2 * classes}")
        x, _, y, _, ids, _ = train_test_split(x, y, ids, train_size=subset, stratify=y,
                                              random_state=seed)
    if data.x_val is not None:
        parts = {"train": (x, y), "val": (data.x_val, data.y_val), "test": (x_test, y_test)}
    else:
        try:
            x_train, x_val, y_train, y_val, ids, _ = train_test_split(
                x, y, ids, test_size=val_fraction, stratify=y, random_state=seed)
        except ValueError as exc:
            raise DataError(f"cannot split {len(y)} examples stratified into "
                            f"val_fraction={val_fraction}: {exc}") from exc
        parts = {"train": (x_train, y_train), "val": (x_val, y_val), "test": (x_test, y_test)}
    if resplit is not None and data.x_test is None:
        (x_train, y_train), tests = parts["train"], len(y_test)
        pool_x, pool_y = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
        pool_ids = np.concatenate([ids, test_ids])
        drawn = int(np.random.SeedSequence([seed, RESPLIT_STREAM, resplit]).generate_state(1)[0])
        x_train, x_test, y_train, y_test, _, test_ids = train_test_split(
            pool_x, pool_y, pool_ids, test_size=tests, stratify=pool_y, random_state=drawn)
        parts |= {"train": (x_train, y_train), "test": (x_test, y_test)}
    return {**parts, "test_ids": (test_ids, test_ids)}


def _standardise(parts: dict[str, tuple[np.ndarray, np.ndarray]],
                 reference: np.ndarray) -> None:
    """Scale every split by the per-channel mean and std of ``reference`` (the training
    split's inputs), in place."""
    axes = (0, *range(2, reference.ndim))
    mean = reference.mean(axis=axes, keepdims=True)
    std = reference.std(axis=axes, keepdims=True) + 1e-6
    for name, (x, y) in parts.items():
        parts[name] = ((x - mean) / std, y)


def load_splits(config: DataConfig, device: torch.device | str = "cpu",
                resplit: int | None = None) -> Splits:
    """Load the configured dataset and return its standardised splits on ``device``; with
    ``resplit``, training and test examples drawn afresh (``split_arrays``), standardised as
    the usual split is (so an input means the same to every model)."""
    info = DATASETS[config.name]
    data = info.load()(config.root, config.download)
    settings = {"val_fraction": config.val_fraction, "test_fraction": config.test_fraction,
                "seed": config.split_seed, "subset": config.subset}
    parts = split_arrays(data, **settings, resplit=resplit)
    test_ids = parts.pop("test_ids")[0]
    usual = parts if resplit is None else split_arrays(data, **settings)
    _standardise(parts, usual["train"][0])
    augment = augmentation(config.augment, info.augment, parts["train"][0].shape[1:])

    def tensors(name: str) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = parts[name]
        return (torch.as_tensor(np.ascontiguousarray(x, dtype=np.float32), device=device),
                torch.as_tensor(y, dtype=torch.long, device=device))

    (train_x, train_y), (val_x, val_y), (test_x, test_y) = map(tensors, ("train", "val", "test"))
    return Splits(train_x, train_y, val_x, val_y, test_x, test_y, data.num_classes, augment,
                  test_ids=test_ids)
