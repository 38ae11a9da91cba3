"""MobileNets: V1 (depthwise-separable convolutions) and V2 (inverted residuals), CIFAR-sized.

Both take a width multiplier (channels rounded to multiples of 8, as in the papers' code). The
CIFAR variant of V2 keeps the first convolution and the first two stages at stride 1, so a
32x32 image ends at 4x4; V1 follows the MLPerf Tiny visual-wake-words model (stride-2 stem).
"""

from __future__ import annotations

import torch
from torch import nn

from ._layers import ConvFamily, conv_family

MOBILENETV1_STAGES = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
                      (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
# (expansion, channels, blocks, first stride): the CIFAR variant of MobileNetV2
MOBILENETV2_STAGES = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                      (6, 160, 3, 2), (6, 320, 1, 1)]


def divisible(channels: float, divisor: int = 8) -> int:
    """Round to the nearest multiple of ``divisor``, never below 90 % of ``channels``."""
    rounded = max(divisor, int(channels + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * channels else rounded


def conv_bn(family: ConvFamily, in_channels: int, out_channels: int, kernel: int = 1,
            stride: int = 1, groups: int = 1, activation: bool = True) -> nn.Sequential:
    layers = [family.conv(in_channels, out_channels, kernel, stride=stride,
                          padding=kernel // 2, groups=groups, bias=False),
              family.batch_norm(out_channels)]
    return nn.Sequential(*layers, nn.ReLU6()) if activation else nn.Sequential(*layers)


def depthwise_separable(family: ConvFamily, in_channels: int, out_channels: int,
                        stride: int) -> nn.Sequential:
    """3x3 depthwise conv-BN-ReLU6, then 1x1 pointwise conv-BN-ReLU6."""
    return nn.Sequential(conv_bn(family, in_channels, in_channels, 3, stride, in_channels),
                         conv_bn(family, in_channels, out_channels))


class InvertedResidual(nn.Module):
    """1x1 expansion, 3x3 depthwise, 1x1 linear projection; identity shortcut where shapes match."""

    def __init__(self, family: ConvFamily, in_channels: int, out_channels: int, stride: int,
                 expansion: int):
        super().__init__()
        hidden = in_channels * expansion
        layers = [conv_bn(family, in_channels, hidden)] if expansion != 1 else []
        layers += [conv_bn(family, hidden, hidden, 3, stride, hidden),
                   conv_bn(family, hidden, out_channels, activation=False)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.residual else self.body(x)


def _head(family: ConvFamily, channels: int, num_classes: int) -> list[nn.Module]:
    return [family.global_pool(1), nn.Flatten(), nn.Linear(channels, num_classes)]


def mobilenetv1(input_shape: tuple[int, ...], num_classes: int, *,
                width: float = 1.0) -> nn.Module:
    """MobileNetV1 with width multiplier ``width`` (0.25: the MLPerf Tiny VWW model)."""
    family = conv_family(input_shape, "mobilenetv1")
    channels = divisible(32 * width)
    layers: list[nn.Module] = [conv_bn(family, input_shape[0], channels, 3, 2)]
    for out, stride in MOBILENETV1_STAGES:
        layers.append(depthwise_separable(family, channels, divisible(out * width), stride))
        channels = divisible(out * width)
    return nn.Sequential(*layers, *_head(family, channels, num_classes))


def mobilenetv2(input_shape: tuple[int, ...], num_classes: int, *,
                width: float = 1.0) -> nn.Module:
    """MobileNetV2, CIFAR variant (stride-1 stem and first stages), width multiplier ``width``."""
    family = conv_family(input_shape, "mobilenetv2")
    channels = divisible(32 * width)
    layers: list[nn.Module] = [conv_bn(family, input_shape[0], channels, 3, 1)]
    for expansion, out, blocks, first_stride in MOBILENETV2_STAGES:
        for i in range(blocks):
            out_channels = divisible(out * width)
            layers.append(InvertedResidual(family, channels, out_channels,
                                           first_stride if i == 0 else 1, expansion))
            channels = out_channels
    last = divisible(1280 * max(1.0, width))
    layers.append(conv_bn(family, channels, last))
    return nn.Sequential(*layers, *_head(family, last, num_classes))
