"""Stages 2 and 4: the vicinity grid, trained at every ratio under the configured protocol
(``_protocols``): the grid defined once, its cells as units of work, their training recorded."""

from __future__ import annotations

import functools
from typing import Any, Protocol

import optuna
from optuna.trial import TrialState

from .. import queue
from ..analysis import Landscape, landscape_rows, to_landscape
from ..catalog import PROTOCOLS
from ..config import GRID_SECTIONS, TrainingConfig
from ..data import Splits
from ..search import Grid, build_grid
from ..storage import StudyKey, TrialKey, cell_key, grid_study_name
from ..train import Job, Trained, members_that_fit, train_many
from ._context import Run
from ._events import Events
from ._hpo import record_result
from ._models import store_model
from ._protocols import GridProtocol


def define_grid(run: Run, stages: optuna.Study, optimum: dict[str, Any],
                events: Events) -> Grid:
    """Build the grid around the HPO optimum once; later runs reuse the stored grid."""
    stored = stages.user_attrs.get(StudyKey.GRID)
    if stored is not None:
        grid = Grid.from_dict(stored)
        if stages.user_attrs.get(StudyKey.OPTIMUM) != optimum:
            events.warning("the HPO optimum changed since the grid was built; the stored grid is "
                           "kept so that every ratio is trained on the same grid")
        return grid
    grid, warnings = build_grid(run.config, optimum)
    for warning in warnings:
        events.warning(warning)
    stages.set_user_attr(StudyKey.GRID, grid.to_dict())
    stages.set_user_attr(StudyKey.OPTIMUM, optimum)
    return grid


def stored_landscape(study: optuna.Study, grid: Grid, ratio: float) -> Landscape:
    """A ratio's landscape from its grid study's complete trials, as the analysis reads it."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return to_landscape(landscape_rows(trials, grid, ratio)[0], grid, ratio)


def grid_units(grid: Grid) -> list[queue.Unit]:
    """Every (point, seed) of the grid as a unit whose trial carries the point as params."""
    points = grid.points()
    return [queue.Unit(cell_key(point, seed), points[point],
                       {TrialKey.CELL: point, TrialKey.SEED: seed})
            for point, seed in grid.cells()]


class GridTrainer:
    """Trains a ratio's grid cells: the recipe and starting model of each, trained by
    ``train_many``, recorded on its trial."""

    def __init__(self, run: Run, stages: optuna.Study, splits: Splits, grid: Grid,
                 ratio: float, events: Events):
        self.run, self.stages, self.splits, self.grid, self.ratio = (
            run, stages, splits, grid, ratio)
        self.events = events
        config = run.config
        self.protocol: GridProtocol = PROTOCOLS.load(config.pruning.protocol)
        self.epochs = self.protocol.epochs(config)
        self.batched = (config.training.batched == "auto"
                        and self.protocol.stackable(config, ratio))
        self._members: int | None = None

    def recipe(self, point: dict[str, Any]) -> TrainingConfig:
        recipe = TrainingConfig.model_validate({**self.run.config.training.model_dump(),
                                                **self.grid.fixed, **point, "epochs": self.epochs})
        return self.protocol.recipe(self.run.config, recipe)

    def members(self) -> int:
        """Cells per stack: the configured count, else what fits in memory; 1 unbatched."""
        if not self.batched:
            return 1
        if self._members is None:
            largest = max(self.recipe(p).batch_size for p in self.grid.points())
            model = self.protocol.largest(self.run, self.stages, self.splits, self.ratio)
            batch = self.splits.train_x[:largest]
            self._members = members_that_fit(model, batch, self.run.config.training.members)
        return self._members

    def together(self, trials: list[optuna.Trial], points: list[dict[str, Any]],
                 seeds: list[int], keep: list[bool] | None = None) -> list[float | None]:
        """Train the taken cells (stacked where they can be); their values in order (None for a
        cell taken over by another worker meanwhile, whose result is dropped). The trained
        weights of those flagged in ``keep`` are stored as artifacts, their ids in the trials'
        ``artifact_id``."""
        recipes = [self.recipe(point) for point in points]
        jobs = [Job(recipe, seed, self._start(seed, recipe))
                for recipe, seed in zip(recipes, seeds, strict=True)]
        outcomes = train_many(jobs, self.splits, stacked=self.batched,
                              on_unstackable=self._unstackable)
        kept = keep or [False] * len(trials)

        def record(trial: optuna.Trial, seed: int, trained: Trained, stored: bool) -> float:
            record_result(trial, trained.result, seed)
            trial.set_user_attr(TrialKey.RATIO, self.ratio)
            trial.set_user_attr(TrialKey.PARAM_COUNT,
                                sum(p.numel() for p in trained.model.parameters()))
            trial.set_user_attr(TrialKey.MEMBERS, trained.members)
            if stored and not trained.result.diverged:
                trial.set_user_attr(TrialKey.ARTIFACT, store_model(
                    self.run, self.stages, trained.model, f"r{self.ratio:g}-trial{trial.number}"))
            return trained.result.val_accuracy

        return [queue.unless_taken_over(functools.partial(record, *cell))
                for cell in zip(trials, seeds, outcomes, kept, strict=True)]

    def alone(self, point: dict[str, Any], seed: int) -> Trained:
        """Train one cell by itself (not stacked), as the grid trains it."""
        recipe = self.recipe(point)
        return train_many([Job(recipe, seed, self._start(seed, recipe))], self.splits,
                          stacked=False)[0]

    def _start(self, seed: int, recipe: TrainingConfig):
        return lambda: self.protocol.start(self.run, self.stages, self.splits, self.ratio, seed,
                                           recipe)

    def _unstackable(self, reason: str) -> None:
        self.batched = False
        self.events.warning(f"grid r={self.ratio:g}: training cells one at a time: {reason}")


class CellTrainer(Protocol):
    """Trains taken grid cells, up to ``members()`` at a time; one value per cell."""

    def members(self) -> int: ...

    def together(self, trials: list[optuna.Trial], points: list[dict[str, Any]],
                 seeds: list[int], keep: list[bool] | None = None) -> list[float | None]: ...


class GridStage:
    """One ratio's grid: its study, and its free cells trained a stack at a time."""

    def __init__(self, run: Run, grid: Grid, ratio: float, trainer: CellTrainer):
        self.run, self.grid, self.ratio, self.trainer = run, grid, ratio, trainer
        self.study = run.study(grid_study_name(run.config.experiment, ratio), GRID_SECTIONS)
        self.units = grid_units(grid)
        self._finished = False

    def done(self) -> int:
        return queue.done_cells(self.study, self.grid.cells())

    def finished(self) -> bool:
        """Every cell done and no trial still open (a duplicate may still be running); once
        true, true for good (a grown grid is another stage), so no longer read."""
        open_work = (TrialState.RUNNING, TrialState.WAITING)
        self._finished = self._finished or (
            self.done() == len(self.grid.cells())
            and not self.study.get_trials(deepcopy=False, states=open_work))
        return self._finished

    def step(self, on_lost: queue.Warn | None = None) -> bool:
        """Train free cells (up to a stack's worth); False when none is free.

        Missing cells (never enqueued, or failed) are enqueued whenever the queue runs empty.
        A cell taken over by another worker meanwhile is left out (``on_lost`` hears of it).
        """
        if not self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            queue.enqueue_missing(self.study, self.units, self.run.lock)
        trials = queue.take_many(self.study, self.trainer.members(), self.run.lock)
        if not trials:
            return False
        axes = self.grid.axes

        def cell(trial: optuna.Trial) -> tuple[dict[str, Any], int] | None:
            return queue.unless_taken_over(lambda: (
                {axis.name: axis.record(trial) for axis in axes},
                int(trial.user_attrs[TrialKey.SEED])))

        def work(taken: list[optuna.Trial]) -> list[float | None]:
            cells = {t.number: found for t in taken if (found := cell(t)) is not None}
            live = [t for t in taken if t.number in cells]
            values = dict(zip((t.number for t in live), self.trainer.together(
                live, [cells[t.number][0] for t in live], [cells[t.number][1] for t in live]),
                strict=True)) if live else {}
            return [values.get(t.number) for t in taken]

        queue.execute_many(self.study, trials, work, self.run.lock, on_lost)
        return True
