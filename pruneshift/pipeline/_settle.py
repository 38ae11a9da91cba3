"""Stage 6: each pruned ratio's answer confirmed on fresh seeds (``analysis._settle``).

Once the grid is final, every pruned ratio gets a plan, stored once: the kept point (the dense
grid's best, the hyperparameters a user would keep) and the recipe (the ratio's best grid
point, refined between grid points, what re-tuning would train; where that is the kept point
itself, the ratio's next best grid point, so that keeping is still compared with something).
Both are then trained on the settle stage's own seeds, in rounds of ``settle.seeds_per_round``
seeds each, stacked like grid cells. After every complete round the answer's interval is
measured from the storage; the next round is enqueued only while the ratio is not settled and
the rounds planned are not spent. The decision reads nothing but stored trials, so any worker,
or a rerun after a kill, takes the same one.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import optuna
from optuna.trial import TrialState

from .. import queue
from ..analysis import (
    Landscape,
    best_index,
    claim_level,
    refined_point,
    settlement,
    subgrid_optimum,
)
from ..analysis import Settlement as Measured
from ..config import SETTLE_SECTIONS
from ..search import Grid
from ..seeds import settle_seeds
from ..storage import (
    SETTLE_POINTS,
    SettlePlan,
    StudyKey,
    TrialKey,
    key_of,
    settle_key,
    settle_study_name,
)
from ._context import Run
from ._events import Events
from ._grids import CellTrainer, stored_landscape


def settle_plan(grid: Grid, dense: Landscape, pruned: Landscape) -> SettlePlan:
    """The kept point and the recipe to confirm at one ratio; both None where the dense or the
    pruned grid has no point that trained."""
    kept_at, pruned_mean = best_index(dense.mean()), pruned.mean()
    refined = subgrid_optimum(pruned_mean)
    if kept_at is None or refined is None:
        return SettlePlan(kept=None, recipe=None)
    kept = grid.point_at(kept_at)
    if np.allclose(refined, kept_at):  # the ratio's own best is the kept point, unrefined
        return SettlePlan(kept=kept, recipe=_runner_up(grid, pruned_mean, kept))
    return SettlePlan(kept=kept, recipe=refined_point(grid, pruned_mean))


def _runner_up(grid: Grid, mean: np.ndarray, kept: dict[str, Any]) -> dict[str, Any] | None:
    """The best grid point other than ``kept``; None where no other point trained."""
    scores = np.where(np.isfinite(mean), mean, -np.inf)
    for flat in np.argsort(-scores, axis=None, kind="stable"):
        if not np.isfinite(scores.flat[flat]):
            return None
        point = grid.point_at(tuple(int(i) for i in np.unravel_index(flat, grid.shape)))
        if point != kept:
            return point
    return None


def plan_settles(run: Run, stages: optuna.Study, grid: Grid,
                 studies: dict[float, optuna.Study]) -> None:
    """Store each pruned ratio's settle plan, once, under the run's lock."""
    with run.lock:
        attrs = stages.user_attrs
        dense = stored_landscape(studies[0.0], grid, 0.0)
        for ratio, study in studies.items():
            if ratio > 0 and StudyKey.settle(ratio) not in attrs:
                plan = settle_plan(grid, dense, stored_landscape(study, grid, ratio))
                stages.set_user_attr(StudyKey.settle(ratio), plan.as_stored())


def deployable(trial: optuna.Trial | optuna.trial.FrozenTrial) -> bool:
    """Whether a settle run is the one whose weights a deployment ships: each point's run on
    the first seed of the first round."""
    return key_of(trial) in {settle_key(0, point, 0) for point in SETTLE_POINTS}


class Draws(Protocol):
    """A round's trainer (on that round's draw of training and test examples) and where its
    test examples lie in the dataset."""

    def trainer(self, round_: int) -> CellTrainer: ...

    def test_ids(self, round_: int) -> list[int]: ...


class SettleStage:
    """One pruned ratio's settle stage: its study, its rounds (each on its own draw of
    training and test examples), and its runs trained a stack at a time."""

    def __init__(self, run: Run, stages: optuna.Study, ratio: float, draws: Draws,
                 events: Events):
        self.run, self.ratio, self.draws, self.events = run, ratio, draws, events
        self.config = run.config
        self.plan = SettlePlan.read(stages.user_attrs[StudyKey.settle(ratio)])
        self.study = run.study(settle_study_name(self.config.experiment, ratio),
                               SETTLE_SECTIONS)
        self._finished = False

    def measured(self) -> Measured:
        """What the complete rounds show now."""
        trials = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        analysis = self.config.analysis
        return settlement(self.plan, trials, self.config.settle,
                          level=claim_level(analysis.alpha), epsilon=analysis.epsilon,
                          test_ids=StudyKey.rounds_test_ids(self.study.user_attrs))

    def finished(self) -> bool:
        """Settled, or its rounds spent (or nothing to confirm), with no run still open; once
        true, true for good (no round follows), so no longer read."""
        if self.plan.kept is None or self.plan.recipe is None:
            return True
        if not self._finished:
            confirmed = self.measured().confirmation
            open_work = (TrialState.RUNNING, TrialState.WAITING)
            self._finished = (confirmed is not None and confirmed.done
                              and not self.study.get_trials(deepcopy=False, states=open_work))
        return self._finished

    def units(self, round_: int) -> list[queue.Unit]:
        """Every run of round ``round_``: both points at each of its fresh seeds."""
        per_round = self.config.settle.seeds_per_round
        seeds = settle_seeds(self.config.seed, round_, per_round)
        return [queue.Unit(settle_key(round_, point, i), attrs={
            TrialKey.RATIO: self.ratio, TrialKey.ROUND: round_, TrialKey.POINT: point,
            TrialKey.SEED: seed}) for point in SETTLE_POINTS for i, seed in enumerate(seeds)]

    def step(self) -> bool:
        """Train free runs of the current round (up to a stack's worth), the round enqueued
        first where the last one left the ratio open; False when none is free."""
        if self.finished():
            return False
        measured = self.measured()
        confirmed = measured.confirmation
        if confirmed is None or not confirmed.done:
            current = 0 if confirmed is None else confirmed.looks
            if not self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
                queue.enqueue_missing(self.study, self.units(current), self.run.lock)
        waiting = self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
        if not waiting:
            return False
        round_ = min(int(t.user_attrs[TrialKey.ROUND]) for t in waiting)
        trainer = self.draws.trainer(round_)
        if StudyKey.test_ids(round_) not in self.study.user_attrs:
            self.study.set_user_attr(StudyKey.test_ids(round_), self.draws.test_ids(round_))
        trials = queue.take_many(self.study, trainer.members(), self.run.lock)
        if not trials:
            return False

        def work(taken: list[optuna.Trial]) -> list[float | None]:
            values: dict[int, float | None] = {}
            for same in ([t for t in taken if t.user_attrs[TrialKey.ROUND] == r]
                         for r in sorted({t.user_attrs[TrialKey.ROUND] for t in taken})):
                points = [self.plan.point(t.user_attrs[TrialKey.POINT]) for t in same]
                seeds = [int(t.user_attrs[TrialKey.SEED]) for t in same]
                found = self.draws.trainer(same[0].user_attrs[TrialKey.ROUND]).together(
                    same, points, seeds, keep=[deployable(t) for t in same])
                values.update(zip((t.number for t in same), found, strict=True))
            return [values[t.number] for t in taken]

        queue.execute_many(self.study, trials, work, self.run.lock, self.events.warning)
        self._report()
        return True

    def _report(self) -> None:
        """One line when a round completes: the interval, and whether another round follows."""
        latest = self.measured().confirmation
        if latest is None:
            return
        trials = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if len(trials) != 2 * self.config.settle.seeds_per_round * latest.looks:
            return
        state = ("settled" if latest.decision != "open" and latest.done else
                 "rounds spent" if latest.done else "another round follows")
        self.events.stage("settle", f"r={self.ratio:g}, round {latest.looks}: the recipe gains "
                          f"{100 * latest.gain:+.2f} points over the kept point "
                          f"({100 * latest.level:.1f} % interval {100 * latest.ci_low:+.2f} to "
                          f"{100 * latest.ci_high:+.2f}, {latest.seeds} fresh seeds): {state}")
