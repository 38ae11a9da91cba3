"""A user's own data as one ``.npz`` file (read with ``allow_pickle=False``): see docs/data.md.

Arrays: ``x`` (n, channels, *spatial) and ``y`` (n,) integer labels 0..K-1; optional ``x_val``,
``y_val`` (a fixed validation split) and ``x_test``, ``y_test`` (a fixed test split). An ``x``
shaped (n, features) is read as one channel, (n, 1, features).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import DataError
from ._types import ArrayDataset

ARRAYS = ("x", "y", "x_val", "y_val", "x_test", "y_test")


def _inputs(x: np.ndarray, name: str, path: Path) -> np.ndarray:
    if x.ndim < 2 or not (np.issubdtype(x.dtype, np.floating)
                          or np.issubdtype(x.dtype, np.integer)):
        raise DataError(f"{path}: '{name}' must be numeric, shaped (n, channels, *spatial) or "
                        f"(n, features); got {x.dtype} {x.shape}")
    return (x[:, None] if x.ndim == 2 else x).astype(np.float32)


def _labels(y: np.ndarray, name: str, n: int, path: Path) -> np.ndarray:
    if y.ndim != 1 or len(y) != n or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise DataError(f"{path}: '{name}' must hold {n} non-negative integer labels, one per "
                        f"example; got {y.dtype} {y.shape}")
    return y.astype(np.int64)


def load_npz(root: Path | None = None, download: bool = False) -> ArrayDataset:
    """The arrays of the ``.npz`` file at ``data.root``."""
    if root is None:
        raise DataError("dataset 'npz' needs data.root: the path of an .npz file with arrays "
                        "x and y (see docs/data.md)")
    path = Path(root)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read {path} as .npz: {exc}".splitlines()[0]) from None
    unknown = sorted(set(arrays) - set(ARRAYS))
    if unknown or "x" not in arrays or "y" not in arrays:
        raise DataError(f"{path} holds arrays {sorted(arrays)}; expected x and y, optionally "
                        f"x_val, y_val, x_test, y_test")
    parts: dict[str, np.ndarray | None] = {}
    for suffix in ("", "_val", "_test"):
        x, y = arrays.get(f"x{suffix}"), arrays.get(f"y{suffix}")
        if (x is None) != (y is None):
            raise DataError(f"{path}: x{suffix} and y{suffix} come together; one is missing")
        parts[f"x{suffix}"] = None if x is None else _inputs(x, f"x{suffix}", path)
        parts[f"y{suffix}"] = None if y is None else _labels(y, f"y{suffix}", len(x), path)
    shapes = {v.shape[1:] for k, v in parts.items() if k.startswith("x") and v is not None}
    if len(shapes) > 1:
        raise DataError(f"{path}: x, x_val and x_test must share one example shape, got "
                        f"{sorted(shapes)}")
    classes = 1 + max(int(v.max()) for k, v in parts.items() if k.startswith("y") and v is not None)
    return ArrayDataset(x=parts["x"], y=parts["y"], num_classes=max(classes, 2),
                        x_val=parts["x_val"], y_val=parts["y_val"],
                        x_test=parts["x_test"], y_test=parts["y_test"])
