"""Stage 3: the reference model (dense, trained at the HPO optimum) and its pruned versions.

Both are tasks: queued trials of the stages study, so that one worker does each. Each pruned
reference is stored as a checkpoint artifact with its efficiency figures, measured on the
physically pruned model. ``finetune`` starts from these weights; ``scratch`` takes their
architecture and re-initialises it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna
from torch import nn

from ..config import TrainingConfig
from ..data import Splits
from ..errors import ConfigError
from ..prune import costs, efficiency, prune, reductions
from ..seeds import stage_seed
from ..storage import (
    REFERENCE_TASK,
    PrunedRecord,
    ReferenceRecord,
    StudyKey,
    TrialKey,
    deploy_task,
    key_of,
    ratio_key,
)
from ..train import evaluate, train
from ._context import Run
from ._events import Events
from ._models import example_input, fresh_model, gradient_fn, store_model, stored_model


def publish(trial: optuna.Trial, stages: optuna.Study, key: str, record: dict[str, Any]) -> None:
    """A task's record, fenced: first on the task's own trial, which fails
    (``UpdateFinishedTrialError``) where the trial is no longer this worker's because it was
    silent so long that another took the task over; only then in the stages study, where every
    stage reads it. So a worker that lost its task never overwrites what the new holder wrote."""
    trial.set_user_attr(TrialKey.RECORD, record)
    stages.set_user_attr(key, record)


def train_reference(run: Run, stages: optuna.Study, splits: Splits, optimum: dict[str, Any],
                    events: Events, trial: optuna.Trial) -> None:
    """Train the dense model at the HPO optimum and store it."""
    config = run.config
    recipe = TrainingConfig.model_validate({**config.training.model_dump(), **optimum})
    seed = stage_seed(config.seed, "reference")
    model = fresh_model(run, splits, seed)
    result = train(model, splits, recipe, seed=seed)
    publish(trial, stages, StudyKey.REFERENCE, ReferenceRecord(
        artifact_id=store_model(run, stages, model, "reference"),
        val_accuracy=result.val_accuracy, test_accuracy=result.test_accuracy,
        diverged=result.diverged, epochs=result.epochs,
        seconds=round(result.seconds, 3)).as_stored())
    events.stage("reference", f"trained at the HPO optimum: validation accuracy "
                 f"{result.val_accuracy:.4f}")


def prune_reference(run: Run, stages: optuna.Study, splits: Splits, ratio: float,
                    events: Events, trial: optuna.Trial) -> None:
    """Prune the reference to ``ratio``; store the model, its costs and what pruning removed."""
    settings = run.config.pruning
    model = stored_model(run, splits, stages.user_attrs[StudyKey.REFERENCE]["artifact_id"])
    example, classes = example_input(splits), splits.num_classes
    dense = costs(model, example, classes)
    channels = prune(model, example, settings, ratio=ratio, num_classes=classes,
                     seed=stage_seed(run.config.seed, "reference"), gradients=gradient_fn(splits))
    pruned = costs(model, example, classes)
    if ratio > 0 and pruned["channels"] >= dense["channels"]:
        raise ConfigError(f"pruning.ratios: {ratio:g} removed no channel (round_to "
                          f"{settings.round_to}, scope '{settings.scope}'); use a smaller "
                          "ratio or round_to")
    record = PrunedRecord(
        artifact_id=store_model(run, stages, model, f"pruned-r{ratio_key(ratio)}"),
        efficiency=efficiency(model, splits.input_shape, runs=settings.latency_runs),
        target=settings.target, channel_ratio=channels, reductions=reductions(dense, pruned),
        channels=channel_counts(model),
        val_accuracy_before_training=evaluate(model, splits.val_x, splits.val_y)[1])
    publish(trial, stages, StudyKey.pruned(ratio), record.as_stored())
    eff, removed = record.efficiency, record.reductions
    events.stage("pruning", f"ratio {ratio:g}: {eff['param_count']:,} parameters, "
                 f"{eff['macs']:,} MACs ({removed['macs']:.1%} removed), "
                 f"{eff['latency_ms']:.3f} ms at batch 1")


def task_runner(run: Run, stages: optuna.Study, splits: Splits, optimum: dict[str, Any],
                events: Events, deploy: Callable[[float, optuna.Trial], None]):
    """The objective of a task trial: do the task (train the reference, prune it to a ratio,
    or ``deploy`` a ratio's model), value 0; each publishes its record fenced (``publish``)."""

    def work(trial: optuna.Trial) -> float:
        task = key_of(trial)
        if task == REFERENCE_TASK:
            train_reference(run, stages, splits, optimum, events, trial)
            return 0.0
        ratio = float(trial.user_attrs[TrialKey.RATIO])
        if task == deploy_task(ratio):
            deploy(ratio, trial)
        else:
            prune_reference(run, stages, splits, ratio, events, trial)
        return 0.0

    return work


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
    record = stages.user_attrs.get(StudyKey.pruned(ratio)) or stages.user_attrs[StudyKey.REFERENCE]
    return stored_model(run, splits, record["artifact_id"])


def channel_ratio_of(stages: optuna.Study, ratio: float) -> float:
    """The share of channels pruning removed from the reference at ``ratio`` of the target.

    ``during-training`` prunes each grid cell gradually to this share, so a cost target is met
    by every cell as it was by the reference.
    """
    stored = PrunedRecord.read(stages.user_attrs[StudyKey.pruned(ratio)])
    return ratio if stored.channel_ratio is None else float(stored.channel_ratio)
