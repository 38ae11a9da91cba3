"""DS-CNN, the MLPerf Tiny keyword-spotting reference model (Zhang et al. 2017, "DS-CNN-S").

Input: MFCC features shaped (1, 49, 10) for Speech Commands (any (C, H, W) or (C, L) works).
A 10x4 stride-2 convolution with 64 channels, four depthwise-separable blocks of 64 channels,
global average pooling, dropout 0.4 and a linear classifier (12 classes in the benchmark).
"""

from __future__ import annotations

from torch import nn

from ._layers import conv_family, scaled

STEM_KERNEL = (10, 4)
STEM_PADDING = (5, 1)  # TensorFlow's 'same' at stride 2 for the 49x10 input
BLOCKS = 4
DROPOUT = 0.4


def dscnn(input_shape: tuple[int, ...], num_classes: int, *, channels: int = 64,
          width: float = 1.0) -> nn.Module:
    """DS-CNN with ``channels`` (times ``width``) in the stem and every block."""
    family = conv_family(input_shape, "dscnn")
    spatial = len(input_shape) - 1
    c = scaled(channels, width)
    layers: list[nn.Module] = [
        family.conv(input_shape[0], c, STEM_KERNEL[:spatial], stride=2,
                    padding=STEM_PADDING[:spatial], bias=False),
        family.batch_norm(c), nn.ReLU()]
    for _ in range(BLOCKS):
        layers += [family.conv(c, c, 3, padding=1, groups=c, bias=False), family.batch_norm(c),
                   nn.ReLU(), family.conv(c, c, 1, bias=False), family.batch_norm(c), nn.ReLU()]
    layers += [family.global_pool(1), nn.Flatten(), nn.Dropout(DROPOUT), nn.Linear(c, num_classes)]
    return nn.Sequential(*layers)
