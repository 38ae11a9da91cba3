"""crop-flip on tensors: shapes, what a crop is, reproducibility, and where it applies."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pruneshift.config import TrainingConfig, load_config
from pruneshift.data import Splits, load_splits
from pruneshift.data._augment import CROP_PADDING, augmentation, crop_flip
from pruneshift.errors import DataError
from pruneshift.models import build_model
from pruneshift.train import train, train_batched


def test_every_output_is_a_window_of_the_padded_image_possibly_flipped():
    x = torch.randn(64, 3, 12, 12)
    out = crop_flip(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    padded = F.pad(x, (CROP_PADDING,) * 4)
    side = 2 * CROP_PADDING + 1
    flipped = 0
    for image, source in zip(out, padded, strict=True):
        windows = [source[:, i:i + 12, j:j + 12] for i in range(side) for j in range(side)]
        straight = any(torch.equal(image, w) for w in windows)
        mirrored = any(torch.equal(image.flip(-1), w) for w in windows)
        assert straight or mirrored
        flipped += mirrored and not straight
    assert 16 < flipped < 48  # about half are flipped


def test_the_same_generator_seed_gives_the_same_batch_and_another_seed_does_not():
    x = torch.randn(32, 3, 32, 32)
    a = crop_flip(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, crop_flip(x, torch.Generator().manual_seed(5)))
    assert not torch.equal(a, crop_flip(x, torch.Generator().manual_seed(6)))


def test_auto_follows_the_dataset_and_one_dimensional_inputs_are_refused():
    assert augmentation("auto", "crop-flip", (3, 32, 32)) is crop_flip
    assert augmentation("auto", "none", (3, 32, 32)) is None
    assert augmentation("none", "crop-flip", (3, 32, 32)) is None
    assert load_splits(load_config().data).augment is None  # digits: none by default
    with pytest.raises(DataError, match="data.augment: crop-flip needs images"):
        load_splits(load_config(None, ["data.name=mnist1d", "data.augment=crop-flip"]).data)


def test_augmented_members_match_the_single_trainer_and_augmentation_changes_training(digits):
    splits = Splits(**{**digits.__dict__, "augment": crop_flip})
    recipes = [TrainingConfig(epochs=2, batch_size=32, lr=lr) for lr in (0.01, 0.005)]
    models = [build_model("cnn", splits.input_shape, 10, seed=s) for s in (0, 1)]
    singles = [build_model("cnn", splits.input_shape, 10, seed=s) for s in (0, 1)]
    stacked = train_batched(models, splits, recipes, seeds=[0, 1])
    alone = [train(m, splits, r, seed=s) for m, r, s in zip(singles, recipes, (0, 1),
                                                             strict=True)]
    for a, b in zip(stacked, alone, strict=True):
        assert a.history[-1].train_loss == pytest.approx(b.history[-1].train_loss, abs=1e-5)
    plain = train(build_model("cnn", splits.input_shape, 10, seed=0), digits, recipes[0], seed=0)
    assert not np.isclose(plain.history[0].train_loss, alone[0].history[0].train_loss)
