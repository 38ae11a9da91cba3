"""A multilayer perceptron: Linear-BN-ReLU blocks on the flattened input."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import nn

from ._layers import scaled


def mlp(input_shape: tuple[int, ...], num_classes: int, *,
        hidden: Sequence[int] = (256, 128), width: float = 1.0) -> nn.Module:
    """MLP with ``hidden`` units per layer (times ``width``) and a linear classifier."""
    layers: list[nn.Module] = [nn.Flatten()]
    features = math.prod(input_shape)
    for units in hidden:
        units = scaled(units, width)
        layers += [nn.Linear(features, units, bias=False), nn.BatchNorm1d(units), nn.ReLU()]
        features = units
    layers.append(nn.Linear(features, num_classes))
    return nn.Sequential(*layers)
