"""Cost targets: read a pruning ratio as a share of channels, MACs or parameters removed.

With ``pruning.target: macs`` a ratio of 0.6 removes 60 % of the dense model's MACs. Torch-Pruning
prunes by channels, so the channel ratio that meets the target is found on a copy pruned in many
small Torch-Pruning steps (the configured criterion and scope), counting the cost after each. The
model itself is then pruned to the channel ratio found.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..errors import ConfigError
from ._structure import GradientFn, classifier_of, make_pruner, pruning_step

if TYPE_CHECKING:
    from ..config import PruningConfig

TARGETS = ("channels", "macs", "params")
MAX_CHANNEL_RATIO = 0.9  # the most a probe removes (Torch-Pruning skips a layer it would empty)
PROBE_STEPS = 60  # steps of the probe: 0.015 of the channels each


def prunable_channels(model: nn.Module, num_classes: int) -> int:
    """Output channels of every conv and linear layer but the classifier."""
    classifier = classifier_of(model, num_classes)
    return sum(m.out_channels if isinstance(m, nn.modules.conv._ConvNd) else m.out_features
               for m in model.modules()
               if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear)) and m is not classifier)


def costs(model: nn.Module, example_input: torch.Tensor, num_classes: int) -> dict[str, int]:
    """Prunable channels, MACs at batch 1 and parameters of ``model``."""
    import torch_pruning as tp

    was_training = model.training
    model.eval()
    macs, params = tp.utils.count_ops_and_params(model, example_input[:1])
    model.train(was_training)
    return {"channels": prunable_channels(model, num_classes), "macs": int(macs),
            "params": int(params)}


def reductions(dense: dict[str, int], pruned: dict[str, int]) -> dict[str, float]:
    """The share of each cost removed, e.g. ``{"channels": 0.37, "macs": 0.6, "params": 0.61}``."""
    return {key: round(1 - pruned[key] / dense[key], 6) for key in TARGETS}


def channel_ratio(model: nn.Module, example_input: torch.Tensor, settings: PruningConfig, *,
                  ratio: float, num_classes: int, seed: int,
                  gradients: GradientFn | None = None) -> float:
    """The channel ratio whose pruning removes ``ratio`` of ``settings.target`` from ``model``.

    A copy is pruned in ``PROBE_STEPS`` small Torch-Pruning steps, counting the cost after each;
    the answer interpolates between the two steps that bracket the target.
    """
    if settings.target == "channels" or ratio == 0:
        return ratio
    target = settings.target
    probe = copy.deepcopy(model)
    pruner = make_pruner(probe, example_input, settings, ratio=MAX_CHANNEL_RATIO,
                         num_classes=num_classes, steps=PROBE_STEPS)
    dense = costs(probe, example_input, num_classes)[target]
    before, removed_before = 0.0, 0.0
    for step in range(1, PROBE_STEPS + 1):
        pruning_step(pruner, probe, settings.criterion, seed=seed + step, gradients=gradients)
        channels = MAX_CHANNEL_RATIO * step / PROBE_STEPS
        removed = 1 - costs(probe, example_input, num_classes)[target] / dense
        if removed >= ratio:
            share = (ratio - removed_before) / (removed - removed_before)
            return round(before + share * (channels - before), 6)
        if removed > removed_before:
            before, removed_before = channels, removed
    raise ConfigError(f"pruning.ratios: {ratio:g} of the {target} cannot be removed; at most "
                      f"{removed_before:.3f} is reachable with scope '{settings.scope}'")
