"""Stage 1: hyperparameter optimisation of the dense model."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import optuna
import torch
from optuna.trial import FrozenTrial, TrialState

from .. import queue, search
from ..catalog import METHODS
from ..config import HPO_SECTIONS, ExperimentConfig, TrainingConfig
from ..data import Splits
from ..models import build_model
from ..provenance import environment
from ..seeds import sampler_seed, stage_seed
from ..storage import (
    RunRecord,
    TrialKey,
    hpo_study_name,
    pack_outcomes,
    public_config,
    redact,
    ticket_key,
    ticket_of,
)
from ..train import EpochMetrics, Job, Trained, TrainResult, train, train_many
from ._context import Run, write_json

Objective = Callable[[optuna.Trial], float]
BatchObjective = Callable[[list[optuna.Trial]], list[float | None]]  # None: taken over meanwhile


class HPOSource(Protocol):
    """Where HPO values come from: one trial at a time, or a batch trained together."""

    def hpo_objective(self) -> Objective: ...

    def hpo_batch(self) -> BatchObjective: ...


def record_result(trial: optuna.Trial, result: TrainResult, seed: int) -> None:
    """Store a training run's outcome as the trial's user attributes."""
    RunRecord(epochs=result.epochs, diverged=result.diverged, seconds=round(result.seconds, 4),
              val_loss=result.val_loss, test_accuracy=result.test_accuracy, seed=seed,
              val_correct=_packed(result.val_correct), test_correct=_packed(result.test_correct)
              ).store(trial)


def _packed(correct: np.ndarray | None) -> str | None:
    return None if correct is None else pack_outcomes(correct)


class EpochReporter:
    """Reports each epoch's value to a trial and stops it when the pruner says so.

    A trial that reached its full budget is never pruned. When it is stopped, the epochs it
    trained and its time are recorded before TrialPruned propagates.
    """

    def __init__(self, trial: optuna.Trial, epochs: int):
        self.trial, self.epochs, self.done = trial, epochs, 0
        self.started = time.perf_counter()

    def __call__(self, epoch: int, value: float) -> None:
        self.done = epoch
        self.trial.report(value, epoch)
        if epoch < self.epochs and self.trial.should_prune():
            RunRecord(epochs=epoch, seconds=round(time.perf_counter() - self.started, 4)
                      ).store(self.trial, fields=("epochs", "seconds"))
            raise optuna.TrialPruned(f"stopped after epoch {epoch}")


def hpo_objective(config: ExperimentConfig, splits: Splits):
    """Train the dense model with the trial's hyperparameters; value: validation accuracy.

    Every HPO trial uses the same training seed (the HPO stream of ``config.seed``), so trials
    differ only in their hyperparameters. Each epoch's accuracy is reported, which lets BOHB
    stop weak trials.
    """
    device = splits.train_x.device
    seed = stage_seed(config.seed, "hpo")

    def objective(trial: optuna.Trial) -> float:
        params = search.suggest(trial, config.search_space)
        recipe = TrainingConfig.model_validate(
            {**config.training.model_dump(), **params, "epochs": config.max_epochs})
        model = build_model(config.model.name, splits.input_shape, splits.num_classes,
                            config.model.kwargs, seed=seed).to(device)
        reporter = EpochReporter(trial, recipe.epochs)

        def report(metrics: EpochMetrics) -> None:
            reporter(metrics.epoch, metrics.val_accuracy)

        result = train(model, splits, recipe, seed=seed, on_epoch=report)
        record_result(trial, result, seed)
        return result.val_accuracy

    return objective


def hpo_batch(config: ExperimentConfig, splits: Splits) -> BatchObjective:
    """Train the dense model with each trial's hyperparameters, the trials stacked where they
    share batch size and optimizer (``train.train_many``); values: validation accuracies.

    As ``hpo_objective``, every trial trains from the same seed; nothing is reported per epoch
    (no method that stops trials trains them together).
    """
    device = splits.train_x.device
    seed = stage_seed(config.seed, "hpo")

    def start() -> tuple[torch.nn.Module, None]:
        return build_model(config.model.name, splits.input_shape, splits.num_classes,
                           config.model.kwargs, seed=seed).to(device), None

    def objective(trials: list[optuna.Trial]) -> list[float | None]:
        jobs = [Job(TrainingConfig.model_validate(
            {**config.training.model_dump(), **search.suggest(trial, config.search_space),
             "epochs": config.max_epochs}), seed, start) for trial in trials]
        trained = train_many(jobs, splits, stacked=config.training.batched == "auto")

        def record(trial: optuna.Trial, outcome: Trained) -> float:
            record_result(trial, outcome.result, seed)
            trial.set_user_attr(TrialKey.MEMBERS, outcome.members)
            return outcome.result.val_accuracy

        return [queue.unless_taken_over(functools.partial(record, trial, outcome))
                for trial, outcome in zip(trials, trained, strict=True)]

    return objective


def hpo_units(config: ExperimentConfig, study: optuna.Study | None = None) -> list[queue.Unit]:
    """One ticket per HPO trial of the budget: workers take tickets, the sampler fills them. A
    ticket whose trial died or was stopped after its hyperparameters were sampled (``study``'s
    failed trials) is redone with them, so a batch redone after a kill is the batch it was."""
    if not config.hpo.searches:
        return []
    begun = {} if study is None else _begun(study, config)
    return [queue.Unit(ticket_key(i), begun.get(i, {})) for i in range(config.hpo.n_trials)]


def _begun(study: optuna.Study, config: ExperimentConfig) -> dict[int, dict[str, Any]]:
    """The hyperparameters each failed ticket was sampled with, where all were."""
    begun = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
        ticket = ticket_of(trial)
        if ticket is not None and set(trial.params) == set(config.search_space):
            begun[ticket] = trial.params
    return begun


def given_optimum(config: ExperimentConfig) -> dict[str, Any]:
    """Without HPO (``hpo.method: none``) the optimum is the training section's values."""
    return {name: getattr(config.training, name) for name in config.search_space}


def hpo_summary(run: Run, study: optuna.Study, wall_seconds: float, device: str
                ) -> dict[str, Any]:
    """What hpo.json holds: method, best trial, counts by state, epochs and time spent."""
    config = run.config
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = max(complete, key=lambda t: t.value) if complete else None
    if not config.hpo.searches:
        chosen = {"trial": None, "value": None, "params": given_optimum(config),
                  "test_accuracy": None}
    else:
        chosen = None if best is None else {
            "trial": best.number, "value": best.value, "params": best.params,
            "test_accuracy": RunRecord.read(best).test_accuracy}
    return {
        "experiment": config.experiment,
        "method": config.hpo.method,
        "n_trials": len(hpo_units(config)),
        "best": chosen,
        "trials": queue.state_counts(study),
        "epochs_spent": sum(RunRecord.read(t).epochs or 0 for t in trials),
        "trial_seconds": round(sum(RunRecord.read(t).seconds or 0.0 for t in trials), 3),
        "wall_seconds": round(wall_seconds, 3),
        "study": study.study_name,
        "storage": redact(run.url),
        "config": public_config(config),
        "environment": environment(device),
    }


class HPOStage:
    """Stage 1 for one worker: take HPO tickets until none is left; then write hpo.json."""

    def __init__(self, run: Run, source: HPOSource, device: str):
        self.run, self.config, self.device = run, run.config, device
        self.study = run.study(hpo_study_name(self.config.experiment), HPO_SECTIONS)
        self.started = time.perf_counter()
        self._build_objective, self._objective = source.hpo_objective, None
        self._build_batch, self._batch = source.hpo_batch, None

    def done(self) -> bool:
        """Every ticket finished (complete or pruned), none still running."""
        finished = queue.keys_in(self.study, queue.DONE)
        return all(u.key in finished for u in hpo_units(self.config))

    def step(self) -> bool:
        """Run one batch of HPO trials (``hpo.trials_together``) if a ticket is free; False when
        there is none.

        Tickets are enqueued a batch at a time, when the queue is empty, so a large budget does
        not fill the storage with waiting trials. The sampler is seeded for each ticket as it is
        taken and samples at once, seeing the batch taken so far as running (TPE's constant
        liar), so sampling depends only on the ticket and the trials the storage holds, not on
        how often the study was interrupted; a ticket redone keeps what it was sampled with.
        (With one worker; a stop or kill in the milliseconds while a block's trials are being
        taken can reorder its remaining tickets, which are then sampled in that order.)
        """
        size = self.config.hpo.trials_together
        if not self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            queue.enqueue_missing(self.study, self._next_batch(size), self.run.lock)
        # built before the take, so a stop during set-up (loading data) holds no trial
        self._objective = self._objective or self._build_objective()
        self._batch = self._batch or self._build_batch()
        trials = queue.take_many(self.study, size, self.run.lock, prepare=self._seed_sampler,
                                 taken=self._sample)
        if not trials:
            return False
        if size == 1:
            queue.execute(self.study, trials[0], self._objective, self.run.lock)
        else:
            queue.execute_many(self.study, trials, self._batch, self.run.lock)
        return True

    def _next_batch(self, size: int) -> list[queue.Unit]:
        """The tickets of the first batch (tickets ``b*size`` to ``(b+1)*size - 1``) with one
        not yet begun: batches keep their tickets however often the study is interrupted."""
        begun = queue.keys_in(self.study, queue.PENDING)
        free = [(i, u) for i, u in enumerate(hpo_units(self.config, self.study))
                if u.key not in begun]
        return [u for i, u in free if i // size == free[0][0] // size] if free else []

    def _seed_sampler(self, ticket_trial: FrozenTrial) -> None:
        self.study.sampler, self.study.pruner = METHODS.load(self.config.hpo.method)(
            self.config, sampler_seed(self.config.hpo.seed, ticket_of(ticket_trial) or 0))

    def _sample(self, trial: optuna.Trial) -> None:
        if self.config.hpo.trials_together > 1:  # one at a time: the objective samples
            search.suggest(trial, self.config.search_space)

    def timed_out(self) -> bool:
        timeout = self.config.hpo.timeout
        return timeout is not None and time.perf_counter() - self.started > timeout

    def summary(self) -> dict[str, Any]:
        """Write and return hpo.json."""
        summary = hpo_summary(self.run, self.study, time.perf_counter() - self.started,
                              self.device)
        write_json(self.run.run_dir / "hpo.json", summary)
        return summary
