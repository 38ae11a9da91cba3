"""The study's stages in order, each resumable from the storage. Stage 1: HPO of the dense model."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import optuna

from . import search
from .config import ExperimentConfig, TrainingConfig, fingerprint, fingerprint_differences
from .data import Splits, load_splits
from .errors import ConfigError
from .models import build_model
from .provenance import environment
from .storage import default_storage_url, open_storage, redact
from .train import EpochMetrics, TrainResult, resolve_device, train

RUNS_ROOT = Path("runs")
FINGERPRINT_ATTR = "fingerprint"
CONFIG_ATTR = "config"


def run_dir_for(config: ExperimentConfig, out: Path | None = None) -> Path:
    """The run folder: ``out`` if given, else ``runs/<experiment>``."""
    return Path(out) if out is not None else RUNS_ROOT / config.slug


def storage_url_for(config: ExperimentConfig, run_dir: Path, override: str | None = None) -> str:
    """``--storage`` beats the config's ``storage``, which beats the run folder's journal file."""
    return override or config.storage or default_storage_url(run_dir)


def hpo_study_name(config: ExperimentConfig) -> str:
    """The HPO study's name inside the experiment's storage."""
    return f"{config.experiment}/hpo"


def open_study(config: ExperimentConfig, url: str, name: str) -> optuna.Study:
    """Create or load a study, refusing one whose trial-defining settings differ from ``config``."""
    study = optuna.create_study(storage=open_storage(url), study_name=name,
                                direction="maximize", load_if_exists=True)
    current = fingerprint(config)
    stored = study.user_attrs.get(FINGERPRINT_ATTR)
    if stored is None:
        study.set_user_attr(FINGERPRINT_ATTR, current)
        study.set_user_attr(CONFIG_ATTR, config.model_dump(mode="json"))
    elif stored != current:
        changes = fingerprint_differences(stored, current)
        raise ConfigError(f"study '{name}' in {redact(url)} was made with other settings "
                          f"({'; '.join(changes)}); restore them or choose another experiment name")
    return study


def _record(trial: optuna.Trial, result: TrainResult, seed: int) -> None:
    for key, value in {"epochs": result.epochs, "diverged": result.diverged,
                       "seconds": round(result.seconds, 4), "val_loss": result.val_loss,
                       "test_accuracy": result.test_accuracy, "seed": seed}.items():
        trial.set_user_attr(key, value)


def hpo_objective(config: ExperimentConfig, splits: Splits):
    """Train the dense model with the trial's hyperparameters; value: validation accuracy.

    Every HPO trial uses the same training seed (``config.seed``), so trials differ only in
    their hyperparameters. Each epoch's accuracy is reported, which lets BOHB stop weak trials;
    a trial that reached its full budget is never pruned.
    """
    device = splits.train_x.device

    def objective(trial: optuna.Trial) -> float:
        search.claim(trial)
        params = search.suggest(trial, config.search_space)
        recipe = TrainingConfig.model_validate(
            {**config.training.model_dump(), **params, "epochs": config.max_epochs})
        model = build_model(config.model.name, splits.input_shape, splits.num_classes,
                            config.model.kwargs, seed=config.seed).to(device)
        epochs_done = 0

        def report(metrics: EpochMetrics) -> None:
            nonlocal epochs_done
            epochs_done = metrics.epoch
            trial.report(metrics.val_accuracy, metrics.epoch)
            if metrics.epoch < recipe.epochs and trial.should_prune():
                raise optuna.TrialPruned(f"stopped after epoch {metrics.epoch}")

        started = time.perf_counter()
        try:
            result = train(model, splits, recipe, seed=config.seed, on_epoch=report)
        except optuna.TrialPruned:
            trial.set_user_attr("epochs", epochs_done)
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 4))
            raise
        _record(trial, result, config.seed)
        return result.val_accuracy

    return objective


def _sampler_seed(config: ExperimentConfig, study: optuna.Study) -> int:
    """The configured seed, moved on by the trials already stored.

    A fresh run is reproducible; a resumed run does not replay the first run's random draws.
    """
    return config.hpo.seed + 7919 * len(study.get_trials(deepcopy=False))


def hpo_summary(config: ExperimentConfig, study: optuna.Study, url: str,
                wall_seconds: float, device: str) -> dict[str, Any]:
    """What hpo.json holds: method, best trial, counts by state, epochs and time spent."""
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = max(complete, key=lambda t: t.value) if complete else None
    return {
        "experiment": config.experiment,
        "method": config.hpo.method,
        "n_trials": config.hpo.n_trials,
        "best": None if best is None else {
            "trial": best.number, "value": best.value, "params": best.params,
            "test_accuracy": best.user_attrs.get("test_accuracy"),
        },
        "trials": search.state_counts(study),
        "epochs_spent": sum(int(t.user_attrs.get("epochs", 0)) for t in trials),
        "trial_seconds": round(sum(float(t.user_attrs.get("seconds", 0.0)) for t in trials), 3),
        "wall_seconds": round(wall_seconds, 3),
        "study": study.study_name,
        "storage": redact(url),
        "config": config.model_dump(mode="json"),
        "environment": environment(device),
    }


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON atomically: a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    partial.replace(path)


def run_hpo(config: ExperimentConfig, *, out: Path | None = None, storage: str | None = None,
            callbacks: Sequence[search.TrialCallback] = (),
            on_start: Callable[[optuna.Study], None] | None = None) -> dict[str, Any]:
    """Stage 1: tune the dense model until the study holds ``hpo.n_trials`` finished trials.

    Re-running continues the study: finished trials are kept, trials of dead local processes
    are failed and replaced. ``on_start`` sees the opened study before training begins and
    ``callbacks`` every finished trial. Writes and returns the run folder's ``hpo.json``.
    """
    started = time.perf_counter()
    run_dir = run_dir_for(config, out)
    url = storage_url_for(config, run_dir, storage)
    study = open_study(config, url, hpo_study_name(config))
    search.fail_orphans(study)
    device = resolve_device(config.training.device)
    if search.counted(study) < config.hpo.n_trials:
        study.sampler, study.pruner = search.METHODS[config.hpo.method].build(
            config, _sampler_seed(config, study))
        splits = load_splits(config.data, device)
        if on_start is not None:
            on_start(study)
        search.optimize_to_total(study, hpo_objective(config, splits),
                                 n_trials=config.hpo.n_trials, timeout=config.hpo.timeout,
                                 callbacks=callbacks)
    summary = hpo_summary(config, study, url, time.perf_counter() - started, str(device))
    write_json(run_dir / "hpo.json", summary)
    return summary
