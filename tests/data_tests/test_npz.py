"""A user's own data as an .npz file: shapes, a given validation split, and clear errors."""

import numpy as np
import pytest

from pruneshift.config import load_config
from pruneshift.data import load_splits
from pruneshift.data._npz import load_npz
from pruneshift.errors import DataError


def mfcc_like(rng, n, classes=12):
    """Speech-Commands-shaped features: 49 frames x 10 MFCCs, one channel missing."""
    return rng.normal(size=(n, 49, 10)).astype(np.float32)[:, None], np.arange(n) % classes


def test_npz_with_its_own_validation_split_is_kept_as_given(tmp_path):
    rng = np.random.default_rng(0)
    (x, y), (x_val, y_val) = mfcc_like(rng, 240), mfcc_like(rng, 36)
    path = tmp_path / "kws.npz"
    np.savez(path, x=x, y=y, x_val=x_val, y_val=y_val)
    splits = load_splits(load_config(None, ["data.name=npz", f"data.root={path}",
                                            "model.name=dscnn"]).data)
    assert splits.input_shape == (1, 49, 10) and splits.num_classes == 12
    assert splits.sizes() == {"val": 36, "test": 48, "train": 192}
    assert sorted(splits.val_y.tolist()) == sorted(y_val.tolist())


def test_two_dimensional_features_are_one_channel_and_a_test_split_is_kept(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "tabular.npz"
    np.savez(path, x=rng.normal(size=(100, 7)), y=np.arange(100) % 2,
             x_test=rng.normal(size=(10, 7)), y_test=np.arange(10) % 2)
    data = load_npz(path)
    assert data.x.shape == (100, 1, 7) and data.x.dtype == np.float32
    assert data.x_test.shape == (10, 1, 7) and data.num_classes == 2


@pytest.mark.parametrize(("arrays", "message"), [
    ({"x": np.zeros((4, 3))}, r"holds arrays \['x'\]; expected x and y"),
    ({"x": np.zeros((4, 3)), "y": np.zeros(4, dtype=int), "extra": np.zeros(1)},
     r"holds arrays .*extra"),
    ({"x": np.zeros((4, 3)), "y": np.array([0.5, 1, 2, 3])}, "non-negative integer labels"),
    ({"x": np.zeros((4, 3)), "y": np.arange(3)}, "must hold 4 non-negative integer labels"),
    ({"x": np.zeros(4), "y": np.arange(4)}, r"'x' must be numeric, shaped"),
    ({"x": np.zeros((4, 3)), "y": np.arange(4), "x_val": np.zeros((2, 3))},
     "x_val and y_val come together"),
    ({"x": np.zeros((4, 3)), "y": np.arange(4), "x_val": np.zeros((2, 5)),
      "y_val": np.arange(2)}, "must share one example shape"),
])
def test_malformed_arrays_are_one_line_errors(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load_npz(path)


def test_object_arrays_are_never_unpickled_and_missing_files_are_named(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, x=np.array([{"a": 1}] * 4, dtype=object), y=np.arange(4))
    with pytest.raises(DataError, match="cannot read .*pickled.npz as .npz"):
        load_npz(path)
    with pytest.raises(DataError, match="cannot read .*missing.npz"):
        load_npz(tmp_path / "missing.npz")
    with pytest.raises(DataError, match="dataset 'npz' needs data.root"):
        load_npz(None)
