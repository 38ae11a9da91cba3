"""Models the stages share: fresh ones, stored ones, and the gradient batch of Taylor pruning."""

from __future__ import annotations

import re
from pathlib import Path

import optuna
import torch
import torch.nn.functional as F
from optuna.artifacts.exceptions import ArtifactNotFound
from torch import nn

from ..data import Splits
from ..errors import CheckpointError, StorageError
from ..models import build_model
from ..prune import load_into, save_checkpoint
from ._context import Run

ARTIFACT_ID = re.compile(r"[A-Za-z0-9-]+")  # Optuna's artifact ids are UUIDs
GRADIENT_BATCH = 256  # training examples whose loss gradients rank channels for Taylor pruning


def fresh_model(run: Run, splits: Splits, seed: int) -> nn.Module:
    """The configured dense model, initialised from ``seed``, on the data's device."""
    config = run.config
    return build_model(config.model.name, splits.input_shape, splits.num_classes,
                        config.model.kwargs, seed=seed).to(splits.train_x.device)


def gradient_fn(splits: Splits):
    """Forward and backward on a fixed training batch, so Taylor importance has gradients."""
    x, y = splits.train_x[:GRADIENT_BATCH], splits.train_y[:GRADIENT_BATCH]

    def gradients(model: nn.Module) -> None:
        model.train()
        F.cross_entropy(model(x), y).backward()

    return gradients


def example_input(splits: Splits) -> torch.Tensor:
    """One training example, for tracing the model's dependency graph."""
    return splits.train_x[:1]


def store_model(run: Run, study: optuna.Study, model: nn.Module, name: str) -> str:
    """Save ``model``'s weights as an artifact of ``study``; return the artifact id."""
    folder = run.run_dir / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    path = save_checkpoint(model, folder / f"{name}.pt")
    return optuna.artifacts.upload_artifact(artifact_store=run.artifacts, file_path=str(path),
                                            study_or_trial=study)


def stored_model(run: Run, splits: Splits, artifact_id: str) -> nn.Module:
    """Rebuild a stored model: the dense architecture resized to the checkpoint's shapes."""
    if not ARTIFACT_ID.fullmatch(str(artifact_id)):
        raise StorageError(f"stored checkpoint id {artifact_id!r} is not an artifact id "
                           "(letters, digits and dashes); the storage was altered")
    cache = run.run_dir / "checkpoints" / "downloaded" / f"{artifact_id}.pt"
    store = run.config.workers.artifacts or run.run_dir / "artifacts"
    if not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".part")
        partial.unlink(missing_ok=True)
        try:
            optuna.artifacts.download_artifact(artifact_store=run.artifacts,
                                               file_path=str(partial), artifact_id=artifact_id)
        except ArtifactNotFound:
            raise StorageError(f"checkpoint {artifact_id} is missing from the artifact store "
                               f"({store}); was the folder moved or cleaned?") from None
        Path(partial).replace(cache)
    model = fresh_model(run, splits, seed=0)
    try:
        return load_into(model.cpu(), cache).to(splits.train_x.device)
    except CheckpointError as exc:
        cache.unlink(missing_ok=True)  # a repaired store is read afresh next time
        raise CheckpointError(
            f"stored checkpoint {artifact_id} in {store} is damaged "
            f"({str(exc).split(': ', 1)[-1]}); finished trials are kept: restore the file and "
            "run the same command to continue") from None
