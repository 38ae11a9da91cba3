"""A worker: takes whatever unit of work is ready, in the schedule's order (``_schedule``),
until the study is done.

With nothing free but work still running elsewhere, a worker waits. When every unit is done,
it writes the analysis and report (under a lock, so several finishing workers do not write at
once). One worker is ``pruneshift run``; any number on any machines is ``pruneshift worker``.
"""

from __future__ import annotations

import functools
import time
from enum import Enum
from pathlib import Path
from typing import Any

import optuna

from .. import queue
from ..analysis import Results
from ..catalog import PROTOCOLS
from ..config import GRID_SECTIONS, ExperimentConfig
from ..errors import PruneshiftError
from ..queue import queue_lock_for, retrying
from ..search import Grid
from ..storage import StudyKey, key_of, stages_study_name
from ..train import resolve_device
from ._analysis import analysis_stage
from ._context import Run
from ._deploy import deploy_ratio
from ._events import Events, Progress
from ._grids import CellTrainer, GridStage, define_grid
from ._growth import grown_grid
from ._hpo import HPOStage, hpo_units
from ._reference import task_runner
from ._schedule import Growth, Stage, Tasks, View, counts, schedule
from ._settle import SettleStage, plan_settles
from ._sources import source_for

PROGRESS_EVERY_S = 1.0  # a count reads every study: at most this often within one stage


class Step(Enum):
    """What one step of a worker came to."""

    RAN = "ran"  # it did a unit of work
    WAIT = "wait"  # others hold all that is left
    DONE = "done"  # every unit is done


class Worker:
    """One process's share of an experiment."""

    def __init__(self, config: ExperimentConfig, *, out: Path | None = None,
                 storage: str | None = None, events: Events | None = None):
        self.config, self.events = config, events or Events()
        queue.retry_for(config.workers.retry_seconds, self.events.warning)
        self.device = resolve_device(config.training.device)
        self.source = source_for(config, self.device)  # data and model checked before any folder
        self.trains = self.source.builds_models
        self.protocol = PROTOCOLS.load(config.pruning.protocol)
        self.run = Run.open(config, out, storage)
        with self.run.discarded_if_left_empty():  # a storage that cannot open leaves no folder
            self.hpo = HPOStage(self.run, self.source, str(self.device))
            # refuse at once, naming the difference, if the experiment was made otherwise
            self.run.study(stages_study_name(config.experiment), GRID_SECTIONS)
        self.schedule: list[Stage] = schedule(config)
        self.stages: optuna.Study | None = None
        self.grids: dict[float, GridStage] = {}
        self.settles: dict[float, SettleStage] = {}
        self._settled_grid: Grid | None = None
        self._reported: tuple[str, float] = ("", 0.0)  # the last stage counted, and when
        self._unreported: Stage | None = None  # a stage whose latest units were not counted

    def work(self) -> Results:
        """Work until every unit is done; then write the analysis; return its results."""
        queue.fail_orphans(self.hpo.study)
        try:
            while (outcome := retrying(self.step, self.run.url,
                                       on_retry=self.events.warning)) is not Step.DONE:
                if outcome is Step.WAIT:
                    self._report_unreported()  # the count while others work
                    time.sleep(self.config.workers.poll_interval)
            self._report_unreported()  # the final count
        finally:
            self.events.finished()
        self.hpo.summary()
        lock = queue_lock_for(self.run.url, self.run.storage, f"{self.config.experiment}/analysis")
        with lock:  # another worker may just have written them: then they are reused
            return analysis_stage(self.run, self.events, str(self.device), reuse=True,
                                  announce=False)

    def studies(self) -> list[optuna.Study]:
        return [self.hpo.study, *([self.stages] if self.stages else []),
                *(g.study for g in self.grids.values()),
                *(s.study for s in self.settles.values())]

    def step(self) -> Step:
        """Do one unit of work, if one is free.

        Abandoned trials are looked for only when no work is free, so a busy worker does not
        rescan every study between units; also once all is done, so a unit whose record was
        written before its worker died (a deployment, say) leaves no trial RUNNING.
        """
        outcome = self._work()
        if outcome is not Step.RAN:
            for study in self.studies():
                queue.fail_orphans(study)
        return outcome

    def _work(self) -> Step:
        if self.stages is None and self.hpo.done():
            self._open_stages()
        if self.stages is not None:
            self._follow_stored_grid()
        unfinished = False
        for stage in self.schedule:
            if stage.ready(self) and stage.finished(self):
                continue
            unfinished = True
            if stage.ready(self) and stage.step(self):
                self._report_progress(stage)
                return Step.RAN
        return Step.WAIT if unfinished else Step.DONE

    def _open_stages(self) -> None:
        summary = self.hpo.summary()
        if summary["best"] is None:
            raise PruneshiftError("HPO finished without a complete trial (all diverged, "
                                  "pruned or failed); widen the search space or raise "
                                  "hpo.n_trials")
        self.stages = self.run.study(stages_study_name(self.config.experiment), GRID_SECTIONS)
        self.grid = define_grid(self.run, self.stages, summary["best"]["params"], self.events)
        self.optimum = self.stages.user_attrs[StudyKey.OPTIMUM]

    def run_task(self, stage: Tasks) -> bool:
        """Take a task of the stages study (the reference, a pruning, a ratio's deployment),
        its stage's unrecorded units enqueued first; False when none is free. A task whose
        record is stored already (its worker died before closing its trial) is not redone."""
        recorded = self.stages.user_attrs
        queue.enqueue_missing(self.stages, [unit for unit, record in stage.tasks(self.config)
                                            if record not in recorded], self.run.lock)
        runner = task_runner(self.run, self.stages, self.source.splits, self.optimum,
                             self.events, self._deploy)
        taken = queue.take_many(self.stages, 1, self.run.lock)  # a stop while taking gives back
        if not taken:
            return False

        def work(trial: optuna.Trial) -> float:
            if self.task_records.get(key_of(trial)) in self.stages.user_attrs:
                return 0.0
            return runner(trial)

        queue.execute(self.stages, taken[0], work, self.run.lock, self.events.warning)
        return True

    @functools.cached_property
    def task_records(self) -> dict[str, str]:
        """Each task's unit key and the stages study's attribute its record is stored under."""
        return {key: record for stage in self.schedule if isinstance(stage, Tasks)
                for key, record in stage.keys(self.config).items()}

    def _deploy(self, ratio: float, trial: optuna.Trial) -> None:
        grid = self.grid_stage(ratio)
        deploy_ratio(self.run, self.stages, self.source.splits, grid.trainer, grid.study,
                     self.events, trial)

    def grid_stage(self, ratio: float) -> GridStage:
        if ratio not in self.grids:
            trainer = self.source.cell_trainer(self.run, self.stages, self.grid, ratio, self.events)
            self.grids[ratio] = GridStage(self.run, self.grid, ratio, trainer)
        return self.grids[ratio]

    def grid_ready(self, ratio: float) -> bool:
        """Whether the models a ratio's grid starts from exist."""
        if not self.trains:
            return True
        attrs = self.stages.user_attrs
        if ratio == 0:
            return (not self.protocol.starts_from_reference
                    or StudyKey.REFERENCE in attrs)
        return StudyKey.pruned(ratio) in attrs

    def _follow_stored_grid(self) -> None:
        """Take up the grid another worker grew, before taking any of its new cells."""
        stored = self.stages.user_attrs[StudyKey.GRID]
        if len(stored.get("grown", [])) != len(self.grid.grown):
            self.grid, self.grids, self.settles = Grid.from_dict(stored), {}, {}

    def grow(self) -> bool:
        """Grow the grid where a best point lies on an edge (here or by another worker: its
        new cells are then free); False once it is settled."""
        ratios = self.config.pruning.ratios
        grid = grown_grid(self.run, self.stages, self.grid,
                          {r: self.grid_stage(r).study for r in ratios}, self.events)
        if grid is None:
            self._settled_grid = self.grid
            return False
        self.grid, self.grids, self.settles = grid, {}, {}
        return True

    def grid_settled(self) -> bool:
        """Whether the complete grid was found to grow no further."""
        return self._settled_grid == self.grid

    def grid_final(self) -> bool:
        return next(s for s in self.schedule if isinstance(s, Growth)).finished(self)

    def ensure_settle_plans(self) -> bool:
        """Make the settle plans from the final grid where they are missing (once, by whoever
        gets here first); True once they are stored."""
        pruned = [r for r in self.config.pruning.ratios if r > 0]
        attrs = self.stages.user_attrs
        if not all(StudyKey.settle(r) in attrs for r in pruned):
            plan_settles(self.run, self.stages, self.grid,
                         {r: self.grid_stage(r).study for r in self.config.pruning.ratios})
        return True

    def settle_stage(self, ratio: float) -> SettleStage:
        if ratio not in self.settles:
            self.settles[ratio] = SettleStage(self.run, self.stages, ratio,
                                              RoundDraws(self, ratio), self.events)
        return self.settles[ratio]

    def _report_unreported(self) -> None:
        if self._unreported is not None:
            self._report_progress(self._unreported, due=True)

    def _report_progress(self, stage: Stage, *, due: bool = False) -> None:
        """Count the whole job's units for the progress display: when a new stage runs, and
        otherwise at most every ``PROGRESS_EVERY_S`` (a count reads every study, which costs
        more than a unit of the synthetic task)."""
        label, at = self._reported
        if not due and stage.name == label and time.monotonic() - at < PROGRESS_EVERY_S:
            self._unreported = stage
            return
        self._reported, self._unreported = (stage.name, time.monotonic()), None
        view = View(self.config, self.run.storage)
        parts: dict[str, tuple[int, int]] = {}
        for each, (done, total) in counts(self.schedule, view):
            previous = parts.get(each.kind, (0, 0))
            parts[each.kind] = (previous[0] + done, previous[1] + total)
        parts = {kind: part for kind, part in parts.items() if part[1] > 0}
        grid = self.grids.get(getattr(stage, "ratio", None)) if stage.kind == "grid" else None
        study = (grid.study if grid is not None  # None: grown meanwhile, by another worker too
                 else self.hpo.study if stage.kind == "HPO" else None)
        self.events.progress(Progress(stage.name, stage.kind, parts,
                                      None if study is None else best_value(study)))


class RoundDraws:
    """The settle stage's rounds at one ratio: each trained on its own draw of training and
    test examples (the same draw at every ratio), its trainer made once."""

    def __init__(self, worker: Worker, ratio: float):
        self.worker, self.ratio = worker, ratio
        self.trainers: dict[int, CellTrainer] = {}

    def trainer(self, round_: int) -> CellTrainer:
        """The round's trainer; only the latest round's is held (rounds come in order)."""
        if round_ not in self.trainers:
            worker = self.worker
            self.trainers = {}
            self.trainers[round_] = worker.source.cell_trainer(
                worker.run, worker.stages, worker.grid, self.ratio, worker.events,
                resplit=round_)
        return self.trainers[round_]

    def test_ids(self, round_: int) -> list[int]:
        return self.worker.source.test_ids(round_)


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
    queue.retry_for(config.workers.retry_seconds, events.warning)
    device = resolve_device(config.training.device)
    stage = HPOStage(Run.open(config, out, storage), source_for(config, device), str(device))
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

