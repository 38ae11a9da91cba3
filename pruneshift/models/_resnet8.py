"""ResNet-8, the MLPerf Tiny image-classification reference network (stem 16, stages 16/32/64)."""

from __future__ import annotations

import torch
from torch import nn

from ._layers import ConvFamily, conv_family, scaled


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity or 1x1-conv shortcut, as in the MLPerf Tiny model."""

    def __init__(self, family: ConvFamily, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv1 = family.conv(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = family.batch_norm(out_channels)
        self.conv2 = family.conv(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = family.batch_norm(out_channels)
        self.relu = nn.ReLU()
        needs_projection = stride != 1 or in_channels != out_channels
        self.shortcut = (family.conv(in_channels, out_channels, 1, stride=stride)
                         if needs_projection else nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + self.shortcut(x))


class ResNet8(nn.Module):
    """Stem conv (16), three residual stages (16, 32, 64; strides 1, 2, 2), global pool, linear."""

    def __init__(self, input_shape: tuple[int, ...], num_classes: int, width: float = 1.0):
        super().__init__()
        family = conv_family(input_shape, "resnet8")
        stem, stages = scaled(16, width), [scaled(c, width) for c in (16, 32, 64)]
        self.stem = nn.Sequential(family.conv(input_shape[0], stem, 3, padding=1, bias=False),
                                  family.batch_norm(stem), nn.ReLU())
        blocks, in_channels = [], stem
        for out_channels, stride in zip(stages, (1, 2, 2), strict=True):
            blocks.append(BasicBlock(family, in_channels, out_channels, stride))
            in_channels = out_channels
        self.stages = nn.Sequential(*blocks)
        self.pool = nn.Sequential(family.global_pool(1), nn.Flatten())
        self.classifier = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.stages(self.stem(x))))


def resnet8(input_shape: tuple[int, ...], num_classes: int, *, width: float = 1.0) -> nn.Module:
    """ResNet-8 sized for ``input_shape`` and ``num_classes``; ``width`` scales every stage."""
    return ResNet8(input_shape, num_classes, width)
