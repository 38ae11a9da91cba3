"""The CIFAR ResNets of He et al. (2016): 6n+2 layers, stages 16/32/64, n blocks per stage.

ResNet-20, -32 and -56 are n = 3, 5 and 9. Where a block changes width or stride the shortcut is
a 1x1 convolution with batch norm (the paper's option B) rather than zero-padding (option A):
padding along channels is neither prunable as a dependency nor trainable as a stack.
"""

from __future__ import annotations

import torch
from torch import nn

from ._layers import ConvFamily, conv_family, scaled


class CifarBlock(nn.Module):
    """Two 3x3 conv-BN layers; identity shortcut, or a 1x1 conv where the shape changes (with
    batch norm, or with a bias instead: ResNet-8's)."""

    def __init__(self, family: ConvFamily, in_channels: int, out_channels: int, stride: int,
                 batch_norm_shortcut: bool = True):
        super().__init__()
        self.conv1 = family.conv(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = family.batch_norm(out_channels)
        self.conv2 = family.conv(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = family.batch_norm(out_channels)
        self.relu = nn.ReLU()
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            projection = family.conv(in_channels, out_channels, 1, stride=stride,
                                     bias=not batch_norm_shortcut)
            self.shortcut = (nn.Sequential(projection, family.batch_norm(out_channels))
                             if batch_norm_shortcut else projection)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """Stem conv 16, three stages of ``blocks`` blocks (16/32/64; strides 1/2/2), pool, linear."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, blocks: int,
                 width: float = 1.0, name: str = "resnet", batch_norm_shortcut: bool = True):
        super().__init__()
        family = conv_family(input_shape, name)
        stem, stages = scaled(16, width), [scaled(c, width) for c in (16, 32, 64)]
        self.stem = nn.Sequential(family.conv(input_shape[0], stem, 3, padding=1, bias=False),
                                  family.batch_norm(stem), nn.ReLU())
        layers, in_channels = [], stem
        for out_channels, first_stride in zip(stages, (1, 2, 2), strict=True):
            for i in range(blocks):
                layers.append(CifarBlock(family, in_channels, out_channels,
                                         first_stride if i == 0 else 1, batch_norm_shortcut))
                in_channels = out_channels
        self.stages = nn.Sequential(*layers)
        self.pool = nn.Sequential(family.global_pool(1), nn.Flatten())
        self.classifier = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.stages(self.stem(x))))


def resnet20(input_shape: tuple[int, ...], num_classes: int, *, width: float = 1.0) -> nn.Module:
    """ResNet-20 (3 blocks per stage, 0.27 M parameters at width 1 on CIFAR-10)."""
    return CifarResNet(input_shape, num_classes, 3, width, "resnet20")


def resnet32(input_shape: tuple[int, ...], num_classes: int, *, width: float = 1.0) -> nn.Module:
    """ResNet-32 (5 blocks per stage)."""
    return CifarResNet(input_shape, num_classes, 5, width, "resnet32")


def resnet56(input_shape: tuple[int, ...], num_classes: int, *, width: float = 1.0) -> nn.Module:
    """ResNet-56 (9 blocks per stage, 0.85 M parameters at width 1 on CIFAR-10)."""
    return CifarResNet(input_shape, num_classes, 9, width, "resnet56")
