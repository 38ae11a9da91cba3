"""Importance criteria: a name maps to a Torch-Pruning importance and whether it needs gradients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _magnitude(p: int) -> Callable[[], Any]:
    def build() -> Any:
        import torch_pruning as tp

        return tp.importance.GroupMagnitudeImportance(p=p)

    return build


def _importance(name: str) -> Callable[[], Any]:
    def build() -> Any:
        import torch_pruning as tp

        return getattr(tp.importance, name)()

    return build


@dataclass(frozen=True)
class Criterion:
    """How channels are ranked; ``needs_gradients`` criteria see one backward pass first."""

    build: Callable[[], Any]
    needs_gradients: bool
    description: str


CRITERIA: dict[str, Criterion] = {
    "l1": Criterion(_magnitude(1), False, "L1 norm of each channel's weights (group-wise)"),
    "l2": Criterion(_magnitude(2), False, "L2 norm of each channel's weights (group-wise)"),
    "bn-scale": Criterion(_importance("BNScaleImportance"), False,
                          "absolute BatchNorm scale (network slimming)"),
    "taylor": Criterion(_importance("GroupTaylorImportance"), True,
                        "first-order Taylor estimate |weight x gradient|"),
    "random": Criterion(_importance("RandomImportance"), False, "random ranking, the baseline"),
    "fpgm": Criterion(_importance("FPGMImportance"), False,
                      "filter pruning via geometric median"),
    "lamp": Criterion(_importance("LAMPImportance"), False,
                      "layer-adaptive magnitude pruning (LAMP) scores"),
}
