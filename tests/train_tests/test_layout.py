"""The layout a model trains in: channels-last, except where oneDNN cannot train a layer in it.

oneDNN 3.12 (torch 2.13's CPU build) corrupts the heap in the channels-last backward pass of a
1x1 strided convolution over 2 to 7 input channels on AVX2 CPUs: a segmentation fault on one
thread, a hang on two. Narrow or heavily pruned ResNets have such shortcuts.
"""

import os
import subprocess
import sys

import pytest
import torch
from torch import nn

from pruneshift.models import build_model
from pruneshift.train import training_layout


@pytest.mark.parametrize(("conv", "trainable"), [
    (nn.Conv2d(4, 8, 1, stride=2), False),
    (nn.Conv2d(2, 4, 1, stride=2), False),
    (nn.Conv2d(8, 16, 1, stride=2), True),  # 8 channels and more: unaffected
    (nn.Conv2d(1, 2, 1, stride=2), True),
    (nn.Conv2d(4, 8, 1, stride=1), True),  # not strided
    (nn.Conv2d(4, 8, 3, stride=2), True),  # not 1x1
    (nn.Conv2d(16, 32, 1, stride=2, groups=4), True),  # a stack's grouped convolution
])
def test_only_small_strided_one_by_one_convolutions_leave_channels_last(conv, trainable):
    expected = torch.channels_last if trainable else torch.contiguous_format
    assert training_layout(nn.Sequential(nn.ReLU(), conv)) == expected


TRAIN_NARROW_RESNET = """
import torch
from pruneshift.config import TrainingConfig
from pruneshift.data import Splits
from pruneshift.models import build_model
from pruneshift.train import train

torch.manual_seed(0)
x, y = torch.randn(96, 3, 16, 16), torch.arange(96) % 10
splits = Splits(x[:64], y[:64], x[64:80], y[64:80], x[80:], y[80:], num_classes=10)
model = build_model("resnet20", splits.input_shape, 10, {"width": 0.25}, seed=0)
result = train(model, splits, TrainingConfig(epochs=1, batch_size=16), seed=0)
print("trained", result.epochs)
"""


@pytest.mark.parametrize("threads", ["1", "2"])
def test_a_narrow_resnet_trains_on_any_number_of_threads(threads):
    """ResNet-20 at a quarter width: its shortcuts read 4 and 8 channels (in a subprocess: the
    failure it guards against is a crash or a hang, not an exception)."""
    assert training_layout(build_model("resnet20", (3, 16, 16), 10, {"width": 0.25})) \
        == torch.contiguous_format
    done = subprocess.run([sys.executable, "-c", TRAIN_NARROW_RESNET], capture_output=True,
                          text=True, timeout=60,
                          env={**os.environ, "OMP_NUM_THREADS": threads})
    assert done.returncode == 0 and "trained 1" in done.stdout, done.stderr[-1000:]
