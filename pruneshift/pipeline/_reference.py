"""Stage 3: the reference model (dense, trained at the HPO optimum) and its pruned versions.

Each pruned reference is stored as a checkpoint artifact with its efficiency figures, measured
on the physically pruned model. ``finetune`` starts from these weights; ``scratch`` takes their
architecture and re-initialises it.
"""

from __future__ import annotations

from typing import Any

import optuna
from torch import nn

from ..config import TrainingConfig
from ..data import Splits
from ..prune import efficiency, prune
from ..storage import ratio_key
from ..train import evaluate, train
from ._context import Run
from ._events import Events
from ._models import example_input, fresh_model, gradient_fn, store_model, stored_model

REFERENCE_ATTR = "reference"


def pruned_attr(ratio: float) -> str:
    return f"pruned/{ratio_key(ratio)}"


def reference_stage(run: Run, stages: optuna.Study, splits: Splits, optimum: dict[str, Any],
                    events: Events) -> dict[str, Any]:
    """Train the dense model at the HPO optimum once and store it."""
    done = stages.user_attrs.get(REFERENCE_ATTR)
    if done is not None:
        events.stage("reference", "finished earlier")
        return done
    config = run.config
    recipe = TrainingConfig.model_validate({**config.training.model_dump(), **optimum})
    model = fresh_model(run, splits, config.seed)
    result = train(model, splits, recipe, seed=config.seed)
    record = {"artifact_id": store_model(run, stages, model, "reference"),
              "val_accuracy": result.val_accuracy, "test_accuracy": result.test_accuracy,
              "diverged": result.diverged, "epochs": result.epochs,
              "seconds": round(result.seconds, 3)}
    stages.set_user_attr(REFERENCE_ATTR, record)
    events.stage("reference", f"trained at the HPO optimum: validation accuracy "
                 f"{result.val_accuracy:.4f}")
    return record


def pruning_stage(run: Run, stages: optuna.Study, splits: Splits, ratios: list[float],
                  events: Events) -> dict[float, dict[str, Any]]:
    """Prune the reference to every ratio once; store each model and its efficiency."""
    settings = run.config.pruning
    records = {}
    for ratio in ratios:
        records[ratio] = stages.user_attrs.get(pruned_attr(ratio))
        if records[ratio] is not None:
            continue
        model = stored_model(run, splits, stages.user_attrs[REFERENCE_ATTR]["artifact_id"])
        prune(model, example_input(splits), settings, ratio=ratio,
              num_classes=splits.num_classes, seed=run.config.seed,
              gradients=gradient_fn(splits))
        record = {"artifact_id": store_model(run, stages, model, f"pruned-r{ratio_key(ratio)}"),
                  "efficiency": efficiency(model, splits.input_shape,
                                           runs=settings.latency_runs),
                  "channels": channel_counts(model),
                  "val_accuracy_before_training": evaluate(model, splits.val_x, splits.val_y)[1]}
        stages.set_user_attr(pruned_attr(ratio), record)
        records[ratio] = record
        eff = record["efficiency"]
        events.stage("pruning", f"ratio {ratio:g}: {eff['params']:,} params, "
                     f"{eff['macs']:,} MACs, {eff['latency_ms']:.3f} ms at batch 1")
    return records


def channel_counts(model: nn.Module) -> dict[str, int]:
    """Output channels (or features) of every conv and linear layer."""
    counts = {}
    for name, module in model.named_modules():
        if isinstance(module, nn.modules.conv._ConvNd):
            counts[name] = module.out_channels
        elif isinstance(module, nn.Linear):
            counts[name] = module.out_features
    return counts


def pruned_reference(run: Run, stages: optuna.Study, splits: Splits, ratio: float) -> nn.Module:
    """A fresh copy of the reference pruned to ``ratio`` (the reference itself at 0)."""
    record = stages.user_attrs.get(pruned_attr(ratio))
    if record is None:
        record = stages.user_attrs[REFERENCE_ATTR]
    return stored_model(run, splits, record["artifact_id"])
