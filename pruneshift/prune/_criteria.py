"""Importance criteria on Torch-Pruning, one builder per name in ``pruneshift.catalog.CRITERIA``."""

from __future__ import annotations

from typing import Any


def _tp_importance(name: str, **kwargs: Any) -> Any:
    import torch_pruning as tp

    return getattr(tp.importance, name)(**kwargs)


def l1() -> Any:
    return _tp_importance("GroupMagnitudeImportance", p=1)


def l2() -> Any:
    return _tp_importance("GroupMagnitudeImportance", p=2)


def bn_scale() -> Any:
    return _tp_importance("BNScaleImportance")


def taylor() -> Any:
    return _tp_importance("GroupTaylorImportance")


def random() -> Any:
    return _tp_importance("RandomImportance")


def fpgm() -> Any:
    return _tp_importance("FPGMImportance")


def lamp() -> Any:
    return _tp_importance("LAMPImportance")
