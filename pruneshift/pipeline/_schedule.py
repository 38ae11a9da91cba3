"""The study's stages, written down once, in order, as data.

Each stage says which units of work it has, when they are ready, how one runs and how it
counts. The worker takes the first stage that has a free unit (``Worker``); ``status``,
the progress count and the results' signature read the same list, so a new stage is one entry
here. The order:

1. ``hpo``: the HPO tickets (dense model);
2. ``reference``: the dense model trained at the HPO optimum (a model-building task);
3. ``pruning``: the reference pruned to each ratio;
4. ``grid r=<ratio>``: each ratio's grid cells, ready once its starting models exist (the dense
   grid needs the reference only under ``finetune`` and ``scratch``);
5. ``growth``: once every grid is complete, a log-scaled axis whose best point lies on an edge
   grows a step (its new cells belong to the grids, which then run again);
6. ``settle r=<ratio>``: once the grid is final, each pruned ratio's recipe and kept point
   trained on fresh seeds in rounds until its answer is settled (``settle.enabled``);
7. ``deploy``: once every ratio is settled, each ratio's model trained, exported and timed
   (``deploy.enabled``);

then the analysis and report. The synthetic task builds no models, so it has no reference,
pruning or deployment. Counting reads the storage only (through a ``View``) and imports no
torch; running a unit is the worker's (``step`` receives it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import optuna
from optuna.trial import TrialState

from .. import queue
from ..catalog import DATASETS
from ..config import ExperimentConfig
from ..search import Grid
from ..storage import (
    REFERENCE_TASK,
    StudyKey,
    TrialKey,
    deploy_task,
    grid_study_name,
    hpo_study_name,
    key_of,
    prune_task,
    ratio_key,
    settle_study_name,
    stages_study_name,
)

if TYPE_CHECKING:
    from ._worker import Worker


@dataclass
class View:
    """An experiment as its storage holds it now, read only: what stages are counted on."""

    config: ExperimentConfig
    storage: optuna.storages.BaseStorage
    _studies: dict[str, optuna.Study | None] = field(default_factory=dict, repr=False)

    def study(self, name: str) -> optuna.Study | None:
        """The study ``name``, or None while it does not exist."""
        if self._studies.get(name) is None:
            try:
                self._studies[name] = optuna.load_study(study_name=name, storage=self.storage)
            except KeyError:
                return None
        return self._studies[name]

    def attrs(self) -> dict[str, Any]:
        """The stages study's attributes (the grid, the models, the plans); empty before it."""
        stages = self.study(stages_study_name(self.config.experiment))
        return {} if stages is None else stages.user_attrs

    def grid(self) -> Grid | None:
        stored = self.attrs().get(StudyKey.GRID)
        return None if stored is None else Grid.from_dict(stored)


def _states(study: optuna.Study | None, keys: set[str] | None = None) -> dict[str, int]:
    """Running, failed and waiting trials of ``study`` (only those whose key is in ``keys``)."""
    trials = [] if study is None else [t for t in study.get_trials(deepcopy=False)
                                       if keys is None or key_of(t) in keys]
    states = [t.state for t in trials]
    return {"running": states.count(TrialState.RUNNING), "failed": states.count(TrialState.FAIL),
            "waiting": states.count(TrialState.WAITING)}


def _task_states(view: View, keys: set[str]) -> dict[str, int]:
    """Trial states of the stages study's tasks whose key is in ``keys``."""
    return _states(view.study(stages_study_name(view.config.experiment)), keys)


class Stage:
    """One stage of the study. ``count`` and ``row`` read the storage only; ``ready``,
    ``finished`` and ``step`` are the worker's."""

    name = ""
    kind = ""  # the progress count's group: HPO, models, grid or settle

    def count(self, view: View) -> tuple[int, int]:
        """Units done and units in all (as far as known now)."""
        raise NotImplementedError(f"{type(self).__name__} does not count its units")

    def row(self, view: View) -> dict[str, Any] | None:
        """Its line in ``pruneshift status``: done, running, failed, waiting, left."""
        done, total = self.count(view)
        return {"stage": self.name, "done": done, **self._states(view),
                "left": max(0, total - done)}

    def _states(self, view: View) -> dict[str, int]:
        return {}

    def ready(self, worker: Worker) -> bool:
        return True

    def finished(self, worker: Worker) -> bool:
        raise NotImplementedError(f"{type(self).__name__} cannot tell when it is finished")

    def step(self, worker: Worker) -> bool:
        """Run one of its units (or a stack of them) if one is free; False if none is."""
        raise NotImplementedError(f"{type(self).__name__} runs no units")


class HPO(Stage):
    name = kind = "HPO"

    def count(self, view: View) -> tuple[int, int]:
        study = view.study(hpo_study_name(view.config.experiment))
        done = 0 if study is None else len(queue.keys_in(study, queue.DONE))
        return done, view.config.hpo.n_trials if view.config.hpo.searches else 0

    def row(self, view: View) -> dict[str, Any]:
        return {**super().row(view), "stage": "hpo"}

    def _states(self, view: View) -> dict[str, int]:
        return _states(view.study(hpo_study_name(view.config.experiment)))

    def finished(self, worker: Worker) -> bool:
        return worker.hpo.done()

    def step(self, worker: Worker) -> bool:
        return worker.hpo.step()


class Tasks(Stage):
    """Model-building tasks of the stages study (the reference, a pruning, a deployment):
    done once their record is stored."""

    kind = "models"

    def keys(self, config: ExperimentConfig) -> dict[str, str]:
        """Each task's unit key and the stages study's attribute its record is stored under."""
        return {unit.key: record for unit, record in self.tasks(config)}

    def units(self, config: ExperimentConfig) -> list[queue.Unit]:
        return [unit for unit, _ in self.tasks(config)]

    def tasks(self, config: ExperimentConfig) -> list[tuple[queue.Unit, str]]:
        """Each task's unit and the attribute its record is stored under."""
        raise NotImplementedError(f"{type(self).__name__} names no tasks")

    def count(self, view: View) -> tuple[int, int]:
        keys, attrs = self.keys(view.config), view.attrs()
        return sum(record in attrs for record in keys.values()), len(keys)

    def _states(self, view: View) -> dict[str, int]:
        return _task_states(view, set(self.keys(view.config)))

    def finished(self, worker: Worker) -> bool:
        attrs = worker.stages.user_attrs
        return all(record in attrs for record in self.keys(worker.config).values())

    def step(self, worker: Worker) -> bool:
        return worker.run_task(self)


class Reference(Tasks):
    name = "reference"

    def tasks(self, config: ExperimentConfig) -> list[tuple[queue.Unit, str]]:
        return [(queue.Unit(REFERENCE_TASK), StudyKey.REFERENCE)]

    def ready(self, worker: Worker) -> bool:
        return worker.stages is not None


class Pruning(Tasks):
    name = "pruning"

    def tasks(self, config: ExperimentConfig) -> list[tuple[queue.Unit, str]]:
        return [(queue.Unit(prune_task(r), attrs={TrialKey.RATIO: r}), StudyKey.pruned(r))
                for r in config.pruning.ratios]

    def ready(self, worker: Worker) -> bool:
        return worker.stages is not None and StudyKey.REFERENCE in worker.stages.user_attrs


class Deploy(Tasks):
    name = "deploy"

    def tasks(self, config: ExperimentConfig) -> list[tuple[queue.Unit, str]]:
        return [(queue.Unit(deploy_task(r), attrs={TrialKey.RATIO: r}), StudyKey.deployed(r))
                for r in config.pruning.ratios]

    def ready(self, worker: Worker) -> bool:
        """Once every grid is final and every answer settled: each deploys its final recipe."""
        return worker.stages is not None and all(
            stage.finished(worker) for stage in worker.schedule
            if isinstance(stage, GridRatio | Growth | SettleRatio))


class GridRatio(Stage):
    kind = "grid"

    def __init__(self, ratio: float):
        self.ratio, self.name = ratio, f"grid r={ratio_key(ratio)}"

    def count(self, view: View) -> tuple[int, int]:
        grid = view.grid()
        if grid is None:
            return 0, expected_cells(view.config)
        study = view.study(grid_study_name(view.config.experiment, self.ratio))
        done = 0 if study is None else queue.done_cells(study, grid.cells())
        return done, len(grid.cells())

    def _states(self, view: View) -> dict[str, int]:
        return _states(view.study(grid_study_name(view.config.experiment, self.ratio)))

    def ready(self, worker: Worker) -> bool:
        return worker.stages is not None and worker.grid_ready(self.ratio)

    def finished(self, worker: Worker) -> bool:
        return self.ready(worker) and worker.grid_stage(self.ratio).finished()

    def step(self, worker: Worker) -> bool:
        return worker.grid_stage(self.ratio).step(worker.events.warning)


class Growth(Stage):
    """The grid grown past an edge optimum; its units are the grids' new cells."""

    name, kind = "growth", "grid"

    def count(self, view: View) -> tuple[int, int]:
        return 0, 0

    def row(self, view: View) -> None:
        return None

    def ready(self, worker: Worker) -> bool:
        return worker.stages is not None and all(
            stage.finished(worker) for stage in worker.schedule if isinstance(stage, GridRatio))

    def finished(self, worker: Worker) -> bool:
        return worker.stages is not None and worker.grid_settled()

    def step(self, worker: Worker) -> bool:
        return worker.grow()


class SettleRatio(Stage):
    kind = "settle"

    def __init__(self, ratio: float):
        self.ratio, self.name = ratio, f"settle r={ratio_key(ratio)}"

    def count(self, view: View) -> tuple[int, int]:
        """Runs done, and the runs of every round begun (at least the first round's)."""
        study = view.study(settle_study_name(view.config.experiment, self.ratio))
        per_round = 2 * view.config.settle.seeds_per_round
        if study is None:
            return 0, per_round
        done = len(queue.keys_in(study, (TrialState.COMPLETE,)))
        begun = len(queue.keys_in(study, queue.PENDING))
        return done, max(per_round, per_round * math.ceil(begun / per_round))

    def _states(self, view: View) -> dict[str, int]:
        return _states(view.study(settle_study_name(view.config.experiment, self.ratio)))

    def ready(self, worker: Worker) -> bool:
        return worker.stages is not None and worker.grid_final() and worker.ensure_settle_plans()

    def finished(self, worker: Worker) -> bool:
        return self.ready(worker) and worker.settle_stage(self.ratio).finished()

    def step(self, worker: Worker) -> bool:
        return worker.settle_stage(self.ratio).step()


def schedule(config: ExperimentConfig) -> list[Stage]:
    """The study's stages in the order a worker takes their units."""
    builds_models = DATASETS[config.data.name].trains
    ratios = config.pruning.ratios
    stages: list[Stage] = [HPO()]
    if builds_models:
        stages += [Reference(), Pruning()]
    stages += [GridRatio(r) for r in ratios] + [Growth()]
    if config.settle.enabled:
        stages += [SettleRatio(r) for r in ratios if r > 0]
    if builds_models and config.deploy.enabled:
        stages.append(Deploy())
    return stages


def counts(stages: list[Stage], view: View) -> Iterator[tuple[Stage, tuple[int, int]]]:
    """Each stage with its units done and in all."""
    for stage in stages:
        yield stage, stage.count(view)


def expected_cells(config: ExperimentConfig) -> int:
    """Grid cells the config asks for (axes clipped to the search space may drop a few)."""
    points = math.prod(len(a.values) if a.values is not None else a.points
                       for a in config.grid.axes.values())
    return points * config.grid.seeds
