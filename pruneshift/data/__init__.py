"""Datasets: offline ones (digits, mnist5k, mnist1d) and IDX/CIFAR files from a local root."""

from ._registry import DATASETS, SYNTHETIC, SYNTHETIC_DESCRIPTION, DatasetInfo
from ._split import load_splits, split_arrays
from ._types import ArrayDataset, Splits

__all__ = ["DATASETS", "SYNTHETIC", "SYNTHETIC_DESCRIPTION", "ArrayDataset", "DatasetInfo",
           "Splits", "load_splits", "split_arrays"]
