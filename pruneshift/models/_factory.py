"""Model factories: a zoo name (``pruneshift.catalog.MODELS``) or a user's
``package.module:function``, checked against its arguments and built sized for the data."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ..catalog import MODELS, USER_MODEL
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import ModelConfig

ModelFactory = Callable[..., nn.Module]

_SIZING_ARGUMENTS = ("input_shape", "num_classes")


def resolve_factory(name: str) -> ModelFactory:
    """The factory for a zoo name or a ``package.module:function`` path."""
    if name in MODELS:
        return MODELS.load(name)
    if ":" not in name:
        raise ConfigError(MODELS.unknown(name, also=USER_MODEL))
    module_name, _, attribute = name.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load model factory '{name}': {exc}") from exc
    if not callable(factory):
        raise ConfigError(f"model factory '{name}' is not callable")
    return factory


def _check_kwargs(name: str, kwargs: dict[str, Any]) -> None:
    """Raise ConfigError if ``kwargs`` names an argument the factory does not take."""
    parameters = inspect.signature(resolve_factory(name)).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    allowed = [p for p in parameters if p not in _SIZING_ARGUMENTS]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ConfigError(f"model.kwargs: '{unknown[0]}' is not an argument of model '{name}'; "
                          f"allowed: {', '.join(allowed) or 'none'}")


def check_model(config: ModelConfig) -> None:
    """Import the configured model's factory and check its arguments; ConfigError if wrong."""
    _check_kwargs(config.name, config.kwargs)


def build_model(name: str, input_shape: tuple[int, ...], num_classes: int,
                kwargs: dict[str, Any] | None = None, *, seed: int | None = None) -> nn.Module:
    """Build a model sized for the dataset's ``input_shape`` and ``num_classes``.

    With ``seed`` the initial weights depend on it alone; torch's global RNG is left untouched.
    """
    kwargs = kwargs or {}
    _check_kwargs(name, kwargs)
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
