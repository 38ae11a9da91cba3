"""A small convolutional network: conv-BN-ReLU blocks, each followed by 2x max-pooling."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from ._layers import conv_family, scaled


def cnn(input_shape: tuple[int, ...], num_classes: int, *,
        channels: Sequence[int] = (32, 64, 128), width: float = 1.0) -> nn.Module:
    """Conv-BN-ReLU blocks (``channels`` times ``width``), global average pool, linear head.

    Each block halves the spatial size while it is at least 2, so 8x8 digits and 28x28 MNIST
    both fit; 1-D inputs get the 1-D layers.
    """
    family = conv_family(input_shape, "cnn")
    layers: list[nn.Module] = []
    in_channels, size = input_shape[0], min(input_shape[1:])
    for out in channels:
        out = scaled(out, width)
        layers += [family.conv(in_channels, out, 3, padding=1, bias=False),
                   family.batch_norm(out), nn.ReLU()]
        if size >= 2:
            layers.append(family.max_pool(2))
            size //= 2
        in_channels = out
    layers += [family.global_pool(1), nn.Flatten(), nn.Linear(in_channels, num_classes)]
    return nn.Sequential(*layers)
