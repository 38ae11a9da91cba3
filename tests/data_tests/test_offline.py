import numpy as np
import pytest

from pruneshift.catalog import DATASETS
from pruneshift.config import load_config
from pruneshift.data import load_splits, split_arrays
from pruneshift.errors import DataError


@pytest.mark.parametrize(("name", "shape", "sizes"), [
    ("digits", (1, 8, 8), {"train": 1149, "val": 288, "test": 360}),
    ("mnist5k", (1, 28, 28), {"train": 3200, "val": 800, "test": 1000}),
    ("mnist1d", (1, 40), {"train": 3200, "val": 800, "test": 1000}),
])
def test_offline_dataset_shapes_and_split_sizes(name, shape, sizes):
    splits = load_splits(load_config(None, [f"data.name={name}"]).data)
    assert splits.input_shape == shape
    assert splits.sizes() == sizes
    assert splits.num_classes == 10
    assert splits.train_x.dtype.is_floating_point and splits.train_y.dtype.is_signed
    # standardised by the training split's statistics
    assert abs(float(splits.train_x.mean())) < 1e-3
    assert float(splits.train_x.std()) == pytest.approx(1.0, abs=0.02)


def test_split_is_stratified_seeded_and_disjoint():
    data = DATASETS.load("digits")(None, False)
    a = split_arrays(data, val_fraction=0.2, test_fraction=0.2, seed=3)
    b = split_arrays(data, val_fraction=0.2, test_fraction=0.2, seed=3)
    c = split_arrays(data, val_fraction=0.2, test_fraction=0.2, seed=4)
    assert np.array_equal(a["val"][1], b["val"][1])
    assert not np.array_equal(a["val"][0], c["val"][0])
    overall = np.bincount(data.y) / len(data.y)
    for part in ("train", "val", "test"):
        share = np.bincount(a[part][1], minlength=10) / len(a[part][1])
        assert np.abs(share - overall).max() < 0.02
    rows = {part: {x.tobytes() for x in a[part][0]} for part in a}
    assert not rows["train"] & rows["val"] and not rows["train"] & rows["test"]


def test_subset_keeps_that_many_training_examples_and_the_test_set():
    splits = load_splits(load_config(None, ["data.name=digits", "data.subset=500"]).data)
    assert splits.sizes()["train"] + splits.sizes()["val"] == 500
    assert splits.sizes()["test"] == 360


def test_a_subset_smaller_than_the_classes_is_a_one_line_error():
    with pytest.raises(DataError, match="data.subset: 5 examples cannot hold every one of the 10"):
        load_splits(load_config(None, ["data.name=digits", "data.subset=5"]).data)
