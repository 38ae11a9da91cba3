"""MNIST and Fashion-MNIST: IDX files read with numpy from a local root.

No torchvision: IDX is a tiny typed header plus raw bytes. Files are fetched only when the
configuration says ``download: true``, and every fetched file is checksum-verified.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..errors import DataError
from ._download import fetch
from ._types import ArrayDataset

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

MNIST_SOURCE = {
    "url": "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "folder": "MNIST",
    "md5": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
            "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c"),
}
FASHION_SOURCE = {
    "url": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "folder": "FashionMNIST",
    "md5": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
            "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"),
}
def parse_idx(payload: bytes, source: str) -> np.ndarray:
    """Decode an IDX file's bytes (magic: two zero bytes, a dtype code, the number of dims)."""
    if len(payload) < 4 or payload[0] != 0 or payload[1] != 0 or payload[2] not in _IDX_DTYPES:
        raise DataError(f"{source} is not an IDX file (bad magic number)")
    ndim = payload[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(payload[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[payload[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(payload) - header != expected:
        raise DataError(f"{source} is truncated or corrupt: header promises {expected} bytes "
                        f"of data, file holds {len(payload) - header}")
    return np.frombuffer(payload, dtype=dtype, offset=header).reshape(shape)


def _read_idx(folder: Path, stem: str) -> np.ndarray:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.exists():
            opener = gzip.open if candidate.suffix == ".gz" else open
            try:
                with opener(candidate, "rb") as handle:
                    return parse_idx(handle.read(), str(candidate))
            except (OSError, EOFError) as exc:
                raise DataError(f"cannot read {candidate}: {exc}") from exc
    raise DataError(f"missing {stem}(.gz) in {folder}; put the IDX files there "
                    "or set data.download: true")


def _idx_folder(root: Path, source: dict, download: bool) -> Path:
    """The folder holding the IDX files: ``root`` itself or torchvision's ``root/<Name>/raw``."""
    nested = root / source["folder"] / "raw"
    for folder in (root, nested):
        if all((folder / s).exists() or (folder / f"{s}.gz").exists() for s in IDX_FILES):
            return folder
    if download:
        for stem, md5 in zip(IDX_FILES, source["md5"], strict=True):
            fetch(source["url"] + f"{stem}.gz", nested / f"{stem}.gz", md5)
    return nested


def _load_idx_dataset(root: Path | None, download: bool, source: dict, name: str) -> ArrayDataset:
    if root is None:
        raise DataError(f"dataset '{name}' needs data.root: a folder with its IDX files")
    folder = _idx_folder(Path(root), source, download)
    train_x, train_y, test_x, test_y = (_read_idx(folder, stem) for stem in IDX_FILES)
    if len(train_x) != len(train_y) or len(test_x) != len(test_y):
        raise DataError(f"{folder}: image and label counts differ")
    scale = np.float32(1.0 / 255.0)
    return ArrayDataset(
        x=train_x.astype(np.float32)[:, None] * scale,
        y=train_y.astype(np.int64),
        x_test=test_x.astype(np.float32)[:, None] * scale,
        y_test=test_y.astype(np.int64),
        num_classes=10,
    )


def load_mnist(root: Path | None = None, download: bool = False) -> ArrayDataset:
    """MNIST (60,000 + 10,000 digits, 28x28) from IDX files under ``root``."""
    return _load_idx_dataset(root, download, MNIST_SOURCE, "mnist")


def load_fashion_mnist(root: Path | None = None, download: bool = False) -> ArrayDataset:
    """Fashion-MNIST (60,000 + 10,000 clothing images, 28x28) from IDX files under ``root``."""
    return _load_idx_dataset(root, download, FASHION_SOURCE, "fashion-mnist")
