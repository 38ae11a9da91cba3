"""VGG with batch norm, CIFAR variant: conv-BN-ReLU stacks, max-pooling, one linear classifier."""

from __future__ import annotations

from torch import nn

from ..errors import ConfigError
from ._layers import conv_family, scaled

POOL = "M"
CONFIGS = {  # Simonyan & Zisserman's columns A, B and D
    11: [64, POOL, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    13: [64, 64, POOL, 128, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL],
    16: [64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL, 512, 512, 512, POOL,
         512, 512, 512, POOL],
}


def vgg(input_shape: tuple[int, ...], num_classes: int, *, depth: int = 11,
        width: float = 1.0) -> nn.Module:
    """VGG-``depth`` (11, 13 or 16) with BN and ``width``; pools only while the input is >= 2."""
    if depth not in CONFIGS:
        raise ConfigError(f"vgg depth {depth} is not offered; allowed: "
                          f"{', '.join(map(str, CONFIGS))}")
    family = conv_family(input_shape, "vgg")
    layers: list[nn.Module] = []
    channels, size = input_shape[0], min(input_shape[1:])
    for item in CONFIGS[depth]:
        if item == POOL:
            if size >= 2:
                layers.append(family.max_pool(2))
                size //= 2
            continue
        out = scaled(item, width)
        layers += [family.conv(channels, out, 3, padding=1, bias=False),
                   family.batch_norm(out), nn.ReLU()]
        channels = out
    return nn.Sequential(*layers, family.global_pool(1), nn.Flatten(),
                         nn.Linear(channels, num_classes))
