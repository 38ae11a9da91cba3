"""Cost targets: read a pruning ratio as a share of channels, MACs or parameters removed.

With ``pruning.target: macs`` a ratio of 0.6 removes 60 % of the dense model's MACs. Torch-Pruning
prunes by channels, so a copy of the model is pruned in many small Torch-Pruning steps (the
configured criterion and scope), counting the cost after each, and the model takes the shapes and
weights of the step nearest the target. Stepping matters: pruning one-shot to the same channel
share can leave a small layer whole where stepping has already thinned it (Torch-Pruning skips a
layer it would empty).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import torch
from torch import nn

from ..catalog import TARGETS
from ..errors import ConfigError
from ._checkpoint import load_state_into
from ._efficiency import count_macs_and_params
from ._structure import GradientFn, classifier_of, make_pruner, pruning_step

if TYPE_CHECKING:
    from ..config import PruningConfig

MAX_CHANNEL_RATIO = 0.9  # the most a probe removes (Torch-Pruning skips a layer it would empty)
PROBE_STEPS = 90  # steps to MAX_CHANNEL_RATIO: 0.01 of the channels each


def prunable_channels(model: nn.Module, num_classes: int) -> int:
    """Output channels of every conv and linear layer but the classifier."""
    classifier = classifier_of(model, num_classes)
    return sum(m.out_channels if isinstance(m, nn.modules.conv._ConvNd) else m.out_features
               for m in model.modules()
               if isinstance(m, (nn.modules.conv._ConvNd, nn.Linear)) and m is not classifier)


def costs(model: nn.Module, example_input: torch.Tensor, num_classes: int) -> dict[str, int]:
    """Prunable channels, MACs at batch 1 and parameters of ``model``."""
    macs, params = count_macs_and_params(model, tuple(example_input.shape[1:]))
    return {"channels": prunable_channels(model, num_classes), "macs": int(macs),
            "param_count": int(params)}


def reductions(dense: dict[str, int], pruned: dict[str, int]) -> dict[str, float]:
    """The share of each cost removed, e.g. ``{"channels": 0.37, "macs": 0.6,
    "param_count": 0.61}``."""
    return {key: round(1 - pruned[key] / dense[key], 6) for key in TARGETS}


def prune_to_target(model: nn.Module, example_input: torch.Tensor, settings: PruningConfig, *,
                    ratio: float, num_classes: int, seed: int,
                    gradients: GradientFn | None = None) -> float:
    """Prune ``model`` in place until ``ratio`` of ``settings.target`` is removed, as near as
    Torch-Pruning's small steps allow; returns the share of channels those steps remove."""
    target = settings.target
    probe = copy.deepcopy(model)
    pruner = make_pruner(probe, example_input, settings, ratio=MAX_CHANNEL_RATIO,
                         num_classes=num_classes, steps=PROBE_STEPS)
    dense = costs(probe, example_input, num_classes)[target]
    removed_before, state_before = 0.0, _state(probe)
    for step in range(1, PROBE_STEPS + 1):
        pruning_step(pruner, probe, settings.criterion, seed=seed + step, gradients=gradients)
        removed = 1 - costs(probe, example_input, num_classes)[target] / dense
        if removed >= ratio:
            nearer_after = removed - ratio <= ratio - removed_before
            load_state_into(model, _state(probe) if nearer_after else state_before)
            return round(MAX_CHANNEL_RATIO * (step if nearer_after else step - 1) / PROBE_STEPS,
                         6)
        if removed > removed_before:
            removed_before, state_before = removed, _state(probe)
    raise ConfigError(f"pruning.ratios: a share {ratio:g} of the {target} (pruning.target) cannot "
                      "be removed; at most "
                      f"{removed_before:.3f} is reachable with scope '{settings.scope}'")


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
