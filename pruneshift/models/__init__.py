"""Model zoo (mlp, cnn, resnet8, ...) and user factories loaded from ``package.module:function``."""

from ._factory import build_model, check_model, resolve_factory

__all__ = ["build_model", "check_model", "resolve_factory"]
