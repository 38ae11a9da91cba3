"""Model registry: zoo names and ``package.module:function`` user factories."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..errors import ConfigError
from ._cnn import cnn
from ._dscnn import dscnn
from ._mlp import mlp
from ._mobilenet import mobilenetv1, mobilenetv2
from ._resnet8 import resnet8
from ._resnet_cifar import resnet20, resnet32, resnet56
from ._vgg import vgg

ModelFactory = Callable[..., nn.Module]


@dataclass(frozen=True)
class ModelInfo:
    """A registered model: its factory ``(input_shape, num_classes, **kwargs)`` and description."""

    factory: ModelFactory
    description: str


MODELS: dict[str, ModelInfo] = {
    "mlp": ModelInfo(mlp, "multilayer perceptron, Linear-BN-ReLU (hidden, width)"),
    "cnn": ModelInfo(cnn, "small conv-BN-ReLU net with max-pooling (channels, width)"),
    "resnet8": ModelInfo(resnet8, "MLPerf Tiny ResNet-8: stem 16, stages 16/32/64 (width)"),
    "resnet20": ModelInfo(resnet20, "CIFAR ResNet-20 of He et al. 2016 (width)"),
    "resnet32": ModelInfo(resnet32, "CIFAR ResNet-32 of He et al. 2016 (width)"),
    "resnet56": ModelInfo(resnet56, "CIFAR ResNet-56 of He et al. 2016 (width)"),
    "mobilenetv2": ModelInfo(mobilenetv2, "MobileNetV2, CIFAR variant (width)"),
    "mobilenetv1": ModelInfo(mobilenetv1, "MobileNetV1; width 0.25 is MLPerf Tiny VWW (width)"),
    "dscnn": ModelInfo(dscnn, "MLPerf Tiny keyword-spotting DS-CNN (channels, width)"),
    "vgg": ModelInfo(vgg, "VGG with batch norm, CIFAR variant (depth 11/13/16, width)"),
}

_SIZING_ARGUMENTS = ("input_shape", "num_classes")


def resolve_factory(name: str) -> ModelFactory:
    """The factory for a zoo name or a ``package.module:function`` path."""
    if name in MODELS:
        return MODELS[name].factory
    if ":" not in name:
        raise ConfigError(f"unknown model '{name}'; allowed: {', '.join(MODELS)} "
                          "or 'package.module:function'")
    module_name, _, attribute = name.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load model factory '{name}': {exc}") from exc
    if not callable(factory):
        raise ConfigError(f"model factory '{name}' is not callable")
    return factory


def check_model_kwargs(name: str, kwargs: dict[str, Any]) -> None:
    """Raise ConfigError if ``kwargs`` names an argument the factory does not take."""
    parameters = inspect.signature(resolve_factory(name)).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    allowed = [p for p in parameters if p not in _SIZING_ARGUMENTS]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ConfigError(f"model.kwargs: '{unknown[0]}' is not an argument of model '{name}'; "
                          f"allowed: {', '.join(allowed) or 'none'}")


def build_model(name: str, input_shape: tuple[int, ...], num_classes: int,
                kwargs: dict[str, Any] | None = None, *, seed: int | None = None) -> nn.Module:
    """Build a model sized for the dataset's ``input_shape`` and ``num_classes``.

    With ``seed`` the initial weights depend on it alone; torch's global RNG is left untouched.
    """
    kwargs = kwargs or {}
    check_model_kwargs(name, kwargs)
    try:
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            model = resolve_factory(name)(input_shape=tuple(input_shape),
                                          num_classes=num_classes, **kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"model '{name}' cannot be built with {kwargs}: {exc}") from exc
    if not isinstance(model, nn.Module):
        raise ConfigError(f"model factory '{name}' returned {type(model).__name__}, "
                          "not a torch.nn.Module")
    return model
