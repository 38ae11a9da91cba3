"""CIFAR-10 and CIFAR-100, binary versions, read with numpy from a local root.

No torchvision and no unpickling (the "python version" is a pickle): the binary version is
fixed-size records, label byte(s) then 3072 pixel bytes. CIFAR-100 records carry the coarse
and then the fine label; the fine one (100 classes) is used. Files are read from the extracted
folder or straight out of the archive; with ``download: true`` a missing archive is fetched and
kept only if its MD5 matches.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from ._download import fetch
from ._types import ArrayDataset

PIXELS = 3 * 32 * 32


@dataclass(frozen=True)
class CifarSource:
    """Where one CIFAR variant's binary files live and how its records are laid out."""

    name: str
    url: str
    md5: str
    folder: str  # the folder inside the archive
    train: tuple[str, ...]
    test: tuple[str, ...]
    label_bytes: int  # bytes before the pixels; the last of them is the label used
    classes: int

    @property
    def archive(self) -> str:
        return self.url.rsplit("/", 1)[1]

    @property
    def record(self) -> int:
        return self.label_bytes + PIXELS


CIFAR10 = CifarSource("cifar10", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                      "c32a1d4ab5d03f1284b67883e8d87530", "cifar-10-batches-bin",
                      tuple(f"data_batch_{i}.bin" for i in range(1, 6)), ("test_batch.bin",),
                      label_bytes=1, classes=10)
CIFAR100 = CifarSource("cifar100", "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
                       "03b5dce01913d631647c71ecec9e9cb8", "cifar-100-binary",
                       ("train.bin",), ("test.bin",), label_bytes=2, classes=100)


def parse_cifar_records(payload: bytes, source: str, layout: CifarSource = CIFAR10
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Split binary records into (n, 3, 32, 32) uint8 images and int64 labels."""
    if len(payload) == 0 or len(payload) % layout.record:
        raise DataError(f"{source} is not {layout.name} binary: {len(payload)} bytes is not a "
                        f"whole number of {layout.record}-byte records")
    records = np.frombuffer(payload, dtype=np.uint8).reshape(-1, layout.record)
    labels = records[:, layout.label_bytes - 1].astype(np.int64)
    if labels.max() >= layout.classes:
        raise DataError(f"{source} holds label {labels.max()}; {layout.name} labels are "
                        f"0..{layout.classes - 1}")
    return records[:, layout.label_bytes:].reshape(-1, 3, 32, 32), labels


def _payloads(root: Path, layout: CifarSource, names: tuple[str, ...]
              ) -> list[tuple[str, bytes]]:
    """Files from the extracted folder, or straight out of the archive without extracting."""
    for folder in (root / layout.folder, root):
        if all((folder / n).exists() for n in names):
            return [(str(folder / n), (folder / n).read_bytes()) for n in names]
    archive = root / layout.archive
    if not archive.exists():
        raise DataError(f"no {layout.name} binary files in {root} (expected {layout.folder}/ or "
                        f"{layout.archive}); put them there or set data.download: true")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            payloads = []
            for name in names:
                member = tar.getmember(f"{layout.folder}/{name}")
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is None:
                    raise DataError(f"{archive}: {member.name} is not a regular file")
                payloads.append((f"{archive}:{member.name}", handle.read()))
            return payloads
    except (tarfile.TarError, KeyError, OSError, EOFError) as exc:
        raise DataError(f"cannot read {archive}: {exc}") from exc


def _load(layout: CifarSource, root: Path | None, download: bool) -> ArrayDataset:
    if root is None:
        raise DataError(f"dataset '{layout.name}' needs data.root: a folder with the binary "
                        "version")
    root = Path(root)
    has_files = any((folder / layout.test[0]).exists()
                    for folder in (root / layout.folder, root))
    if download and not has_files:
        fetch(layout.url, root / layout.archive, layout.md5)
    parts = {}
    for split, names in (("train", layout.train), ("test", layout.test)):
        decoded = [parse_cifar_records(payload, source, layout)
                   for source, payload in _payloads(root, layout, names)]
        parts[split] = (np.concatenate([x for x, _ in decoded]),
                        np.concatenate([y for _, y in decoded]))
    scale = np.float32(1.0 / 255.0)
    return ArrayDataset(x=parts["train"][0].astype(np.float32) * scale, y=parts["train"][1],
                        x_test=parts["test"][0].astype(np.float32) * scale,
                        y_test=parts["test"][1], num_classes=layout.classes)


def load_cifar10(root: Path | None = None, download: bool = False) -> ArrayDataset:
    """CIFAR-10 (50,000 + 10,000 colour images, 32x32, 10 classes) under ``root``."""
    return _load(CIFAR10, root, download)


def load_cifar100(root: Path | None = None, download: bool = False) -> ArrayDataset:
    """CIFAR-100 (50,000 + 10,000 colour images, 32x32, 100 fine classes) under ``root``."""
    return _load(CIFAR100, root, download)
