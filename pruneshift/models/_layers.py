"""Layer classes for 1-D signals or 2-D images, chosen from the input's number of spatial dims."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ..errors import ConfigError


@dataclass(frozen=True)
class ConvFamily:
    """Convolution, batch norm, max-pool and global-average-pool classes of one dimensionality."""

    conv: type[nn.Module]
    batch_norm: type[nn.Module]
    max_pool: type[nn.Module]
    global_pool: type[nn.Module]


_FAMILIES = {
    1: ConvFamily(nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.AdaptiveAvgPool1d),
    2: ConvFamily(nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d),
}


def conv_family(input_shape: tuple[int, ...], model: str) -> ConvFamily:
    """Layers for inputs shaped (channels, length) or (channels, height, width)."""
    spatial = len(input_shape) - 1
    if spatial not in _FAMILIES:
        raise ConfigError(f"model '{model}' takes inputs shaped (C, L) or (C, H, W), "
                          f"got {tuple(input_shape)}")
    return _FAMILIES[spatial]


def scaled(channels: int, width: float) -> int:
    """A channel count times a width multiplier, at least 1."""
    return max(1, round(channels * width))
