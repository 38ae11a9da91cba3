"""Model zoo (mlp, cnn, resnet8) and user factories loaded from ``package.module:function``."""

from ._registry import MODELS, ModelInfo, build_model, check_model_kwargs, resolve_factory

__all__ = ["MODELS", "ModelInfo", "build_model", "check_model_kwargs", "resolve_factory"]
