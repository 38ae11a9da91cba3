"""Datasets: offline ones (digits, mnist5k, mnist1d) and IDX/CIFAR files from a local root."""

from ._split import load_splits, split_arrays
from ._types import ArrayDataset, Splits

__all__ = ["ArrayDataset", "Splits", "load_splits", "split_arrays"]
