"""Read everything the analysis needs from the storage, and nothing from anywhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from ..errors import StorageError
from ..search import Grid
from ..storage import (
    Deployment,
    HPOTrial,
    PrunedRecord,
    SettlePlan,
    StudyKey,
    check_schema,
    deployed_records,
    grid_ratios,
    grid_study_name,
    hpo_study_name,
    open_storage,
    pruned_records,
    settle_plans,
    settle_ratios,
    settle_study_name,
    stages_study_name,
)


@dataclass
class RunData:
    """An experiment as stored: config, grid, reference and pruned models, trials per ratio,
    and the settle stage's plans and runs per pruned ratio."""

    config: dict[str, Any]
    grid: Grid
    optimum: dict[str, Any]
    reference: dict[str, Any] | None
    pruned: dict[float, PrunedRecord]
    deployed: dict[float, Deployment]
    trials: dict[float, list[FrozenTrial]]
    hpo_trials: list[HPOTrial]
    settle_plans: dict[float, SettlePlan]
    settle_trials: dict[float, list[FrozenTrial]]
    settle_test_ids: dict[float, dict[int, list[int]]]


def load_run_data(url: str, experiment: str) -> RunData:
    """Load the experiment's studies from the storage at ``url``."""
    storage = open_storage(url)
    summaries = optuna.get_all_study_summaries(storage, include_best_trial=False)
    names = {s.study_name for s in summaries}
    if stages_study_name(experiment) not in names:
        raise StorageError(f"no grid of experiment '{experiment}' in this storage yet; "
                           "run the study first")
    stages = optuna.load_study(study_name=stages_study_name(experiment), storage=storage)
    attrs = stages.user_attrs
    check_schema(stages.study_name, attrs)
    ratios = grid_ratios(names, experiment)
    trials = {r: _complete(storage, grid_study_name(experiment, r)) for r in ratios}
    settle = {r: optuna.load_study(study_name=settle_study_name(experiment, r), storage=storage)
              for r in settle_ratios(names, experiment)}
    hpo = (optuna.load_study(study_name=hpo_study_name(experiment), storage=storage)
           .get_trials(deepcopy=False) if hpo_study_name(experiment) in names else [])
    hpo = [HPOTrial.of(trial) for trial in hpo]
    return RunData(config=attrs[StudyKey.CONFIG], grid=Grid.from_dict(attrs[StudyKey.GRID]),
                   optimum=attrs.get(StudyKey.OPTIMUM, {}), reference=attrs.get(StudyKey.REFERENCE),
                   pruned=pruned_records(attrs), deployed=deployed_records(attrs), trials=trials,
                   hpo_trials=hpo, settle_plans=settle_plans(attrs),
                   settle_trials={r: _done(s) for r, s in settle.items()},
                   settle_test_ids={r: StudyKey.rounds_test_ids(s.user_attrs)
                                    for r, s in settle.items()})


def _done(study: optuna.Study) -> list[FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def _complete(storage: optuna.storages.BaseStorage, name: str) -> list[FrozenTrial]:
    return _done(optuna.load_study(study_name=name, storage=storage))
