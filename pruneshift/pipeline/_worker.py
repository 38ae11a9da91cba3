"""A worker: takes whatever unit of work is ready, in stage order, until the study is done.

Order: HPO tickets → the reference model → dense-grid cells → pruning tasks → pruned-grid
cells → the grid's growth (``_growth``) and its new cells → deployments. A ratio's grid starts
only once its pruned reference exists (and, for ``finetune`` and ``scratch``, the dense grid
only once the reference exists). With nothing free but work still
running elsewhere, a worker waits. When every unit is done, it writes the analysis and report
(under a lock, so several finishing workers do not write at once). One worker is
``pruneshift run``; any number on any machines is ``pruneshift worker``.
"""

from __future__ import annotations

import math
import time
from enum import Enum
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from .. import queue
from ..analysis import Results
from ..catalog import PROTOCOLS
from ..config import GRID_SECTIONS, ExperimentConfig
from ..errors import PruneshiftError
from ..queue import queue_lock_for, retrying
from ..search import Grid
from ..storage import StudyKey, TrialKey, deploy_task, key_of, stages_study_name
from ..train import resolve_device
from ._analysis import analysis_stage
from ._context import Run
from ._deploy import deploy_ratio, deploy_units
from ._events import Events, Progress
from ._grids import GridStage, define_grid
from ._growth import grown_grid
from ._hpo import HPOStage, hpo_units
from ._reference import task_runner, task_units
from ._tasks import task_for


class Step(Enum):
    """What one step of a worker came to."""

    RAN = "ran"  # it did a unit of work
    WAIT = "wait"  # others hold all that is left
    DONE = "done"  # every unit is done


class Worker:
    """One process's share of an experiment."""

    def __init__(self, config: ExperimentConfig, *, out: Path | None = None,
                 storage: str | None = None, events: Events | None = None):
        self.run = Run.open(config, out, storage)
        self.config, self.events = config, events or Events()
        self.device = resolve_device(config.training.device)
        self.task = task_for(config, self.device)
        self.trains = self.task.builds_models
        self.protocol = PROTOCOLS.load(config.pruning.protocol)
        self.hpo = HPOStage(self.run, self.task.hpo_objective, str(self.device))
        # refuse at once, naming the difference, if the experiment was made with other settings
        self.run.study(stages_study_name(config.experiment), GRID_SECTIONS)
        self.stages: optuna.Study | None = None
        self.grids: dict[float, GridStage] = {}

    def work(self) -> Results:
        """Work until every unit is done; then write the analysis; return its results."""
        queue.fail_orphans(self.hpo.study)
        try:
            while (outcome := retrying(self.step, self.run.url,
                                       on_retry=self.events.warning)) is not Step.DONE:
                if outcome is Step.WAIT:
                    time.sleep(self.config.workers.poll_interval)
        finally:
            self.events.finished()
        self.hpo.summary()
        lock = queue_lock_for(self.run.url, self.run.storage, f"{self.config.experiment}/analysis")
        with lock:  # another worker may just have written them: then they are reused
            return analysis_stage(self.run, self.events, str(self.device), reuse=True)

    def studies(self) -> list[optuna.Study]:
        return [self.hpo.study, *([self.stages] if self.stages else []),
                *(g.study for g in self.grids.values())]

    def step(self) -> Step:
        """Do one unit of work, if one is free.

        Abandoned trials are looked for only when no work is free, so a busy worker does not
        rescan every study between units.
        """
        outcome = self._work()
        if outcome is Step.WAIT:
            for study in self.studies():
                queue.fail_orphans(study)
        return outcome

    def _work(self) -> Step:
        if not self.hpo.done():
            if not self.hpo.step():
                return Step.WAIT
            self._report_progress("HPO")
            return Step.RAN
        if self.stages is None:
            self._open_stages()
        self._follow_stored_grid()
        if self.trains and self._ran_task():
            return Step.RAN
        for ratio in self.config.pruning.ratios:
            if self._ready(ratio) and self._grid(ratio).step():
                self._report_progress(f"grid r={ratio:g}")
                return Step.RAN
        grew = self._grew()
        if grew:
            return Step.RAN
        if (grew is False and self.trains and self.config.deploy.enabled
                and self._ran_task(deployments=True)):
            return Step.RAN
        return Step.DONE if self._complete() else Step.WAIT

    def _open_stages(self) -> None:
        summary = self.hpo.summary()
        if summary["best"] is None:
            raise PruneshiftError("HPO finished without a complete trial (all diverged, "
                                  "pruned or failed); widen the search space or raise "
                                  "hpo.n_trials")
        self.stages = self.run.study(stages_study_name(self.config.experiment), GRID_SECTIONS)
        self.grid = define_grid(self.run, self.stages, summary["best"]["params"], self.events)
        self.optimum = self.stages.user_attrs[StudyKey.OPTIMUM]

    def _ran_task(self, deployments: bool = False) -> bool:
        """Take a task of the stages study: the reference, a pruning, or a ratio's deployment.

        Deployments are enqueued (``deployments``) once every grid is complete and settled, so
        each deploys its ratio's final best point.
        """
        units = task_units(self.stages, self.config.pruning.ratios)
        if deployments:
            units += deploy_units(self.config.pruning.ratios)
        queue.enqueue_missing(self.stages, units, self.run.lock)
        trial = queue.take(self.stages)
        if trial is None:
            return False
        ratio = trial.user_attrs.get(TrialKey.RATIO)
        deploying = ratio is not None and key_of(trial) == deploy_task(ratio)
        queue.execute(self.stages, trial, task_runner(self.run, self.stages, self.task.splits,
                                                       self.optimum, self.events, self._deploy),
                       self.run.lock)
        self._report_progress("deploy" if deploying else "pruning")
        return True

    def _deploy(self, ratio: float) -> None:
        grid = self._grid(ratio)
        deploy_ratio(self.run, self.stages, self.task.splits, grid.trainer, grid.study,
                     self.events)

    def _grid(self, ratio: float) -> GridStage:
        if ratio not in self.grids:
            trainer = self.task.cell_trainer(self.run, self.stages, self.grid, ratio, self.events)
            self.grids[ratio] = GridStage(self.run, self.grid, ratio, trainer)
        return self.grids[ratio]

    def _follow_stored_grid(self) -> None:
        """Take up the grid another worker grew, before taking any of its new cells."""
        stored = self.stages.user_attrs[StudyKey.GRID]
        if len(stored.get("grown", [])) != len(self.grid.grown):
            self.grid, self.grids = Grid.from_dict(stored), {}

    def _grew(self) -> bool | None:
        """Once every ratio's grid is complete: whether the grid grew (here or by another
        worker; its new cells are then free) or is settled (False); None before."""
        ratios = self.config.pruning.ratios
        if not all(self._ready(r) and self._grid(r).finished() for r in ratios):
            return None
        grid = grown_grid(self.run, self.stages, self.grid,
                          {r: self._grid(r).study for r in ratios}, self.events)
        if grid is None:
            return False
        self.grid, self.grids = grid, {}
        return True

    def _ready(self, ratio: float) -> bool:
        """Whether the models a ratio's grid starts from exist."""
        if not self.trains:
            return True
        attrs = self.stages.user_attrs
        if ratio == 0:
            return (not self.protocol.starts_from_reference
                    or StudyKey.REFERENCE in attrs)
        return StudyKey.pruned(ratio) in attrs

    def _complete(self) -> bool:
        ratios = self.config.pruning.ratios
        attrs = self.stages.user_attrs
        if self.trains and not all(StudyKey.pruned(r) in attrs for r in ratios):
            return False
        if self.trains and self.config.deploy.enabled and not all(
                StudyKey.deployed(r) in attrs for r in ratios):
            return False
        if not all(r in self.grids or self._ready(r) for r in ratios):
            return False
        return all(self._grid(r).finished() for r in ratios)

    def _report_progress(self, label: str) -> None:
        hpo = (len(queue.keys_in(self.hpo.study, queue.DONE)), len(hpo_units(self.config)))
        parts = {"HPO": hpo}
        ratios = self.config.pruning.ratios
        if self.trains:
            deployments = len(ratios) if self.config.deploy.enabled else 0
            done = (0 if self.stages is None
                    else len(queue.keys_in(self.stages, (TrialState.COMPLETE,))))
            parts["models"] = (done, 1 + len(ratios) + deployments)
        cells = (len(self.grid.cells()) if self.stages is not None
                 else expected_cells(self.config))
        parts["grid"] = (sum(self._grid(r).done() for r in ratios if r in self.grids),
                         len(ratios) * cells)
        kind = "grid" if label.startswith("grid") else "HPO" if label == "HPO" else "models"
        study = self.grids[max(self.grids)].study if kind == "grid" else self.hpo.study
        self.events.progress(Progress(label, kind, parts, best_value(study)))


def expected_cells(config: ExperimentConfig) -> int:
    """Grid cells the config asks for (axes clipped to the search space may drop a few)."""
    points = math.prod(len(a.values) if a.values is not None else a.points
                       for a in config.grid.axes.values())
    return points * config.grid.seeds


def best_value(study: optuna.Study) -> float | None:
    try:
        return study.best_value
    except ValueError:
        return None


def run_study(config: ExperimentConfig, *, out: Path | None = None,
              storage: str | None = None, events: Events | None = None) -> Results:
    """Run or join the study as one worker, until it is complete; return its results."""
    return Worker(config, out=out, storage=storage, events=events).work()


def run_hpo(config: ExperimentConfig, *, out: Path | None = None, storage: str | None = None,
            events: Events | None = None) -> dict[str, Any]:
    """Stage 1 on its own (``pruneshift hpo``): tune the dense model; returns hpo.json's content.

    Re-running continues the study; a timeout ends this invocation early (trials in flight
    finish first).
    """
    events = events or Events()
    device = resolve_device(config.training.device)
    stage = HPOStage(Run.open(config, out, storage), task_for(config, device).hpo_objective,
                     str(device))
    queue.fail_orphans(stage.study)
    total = len(hpo_units(config))

    def report() -> None:
        parts = {"HPO": (len(queue.keys_in(stage.study, queue.DONE)), total)}
        events.progress(Progress("HPO", "HPO", parts, best_value(stage.study)))

    report()
    try:
        while not stage.timed_out() and stage.step():
            report()
    finally:
        events.finished()
    return stage.summary()
