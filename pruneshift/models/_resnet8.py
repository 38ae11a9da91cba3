"""ResNet-8, the MLPerf Tiny image-classification reference network (stem 16, stages 16/32/64).

It is the CIFAR ResNet with one block per stage, except for its shortcut where the shape
changes: a 1x1 convolution with bias and no batch norm, as in the MLPerf Tiny model.
"""

from __future__ import annotations

from torch import nn

from ._resnet_cifar import CifarResNet


def resnet8(input_shape: tuple[int, ...], num_classes: int, *, width: float = 1.0) -> nn.Module:
    """ResNet-8 sized for ``input_shape`` and ``num_classes``; ``width`` scales every stage."""
    return CifarResNet(input_shape, num_classes, 1, width, "resnet8", batch_norm_shortcut=False)
