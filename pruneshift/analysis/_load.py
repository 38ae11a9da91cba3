"""Read everything the analysis needs from the storage, and nothing from anywhere else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from ..errors import StorageError
from ..search import Grid
from ..storage import grid_study_name, hpo_study_name, open_storage, stages_study_name

_RATIO = re.compile(r"/grid/r=([0-9.e-]+)$")


@dataclass
class RunData:
    """An experiment as stored: config, grid, reference and pruned models, trials per ratio."""

    config: dict[str, Any]
    grid: Grid
    optimum: dict[str, Any]
    reference: dict[str, Any] | None
    pruned: dict[float, dict[str, Any]]
    trials: dict[float, list[FrozenTrial]]
    hpo_trials: list[FrozenTrial]


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
    ratios = sorted(float(m.group(1)) for n in names
                    if n.startswith(f"{experiment}/grid/") and (m := _RATIO.search(n)))
    trials = {r: optuna.load_study(study_name=grid_study_name(experiment, r), storage=storage)
              .get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) for r in ratios}
    hpo = (optuna.load_study(study_name=hpo_study_name(experiment), storage=storage)
           .get_trials(deepcopy=False) if hpo_study_name(experiment) in names else [])
    pruned = {float(k.split("/", 1)[1]): v for k, v in attrs.items() if k.startswith("pruned/")}
    return RunData(config=attrs["config"], grid=Grid.from_dict(attrs["grid"]),
                   optimum=attrs.get("optimum", {}), reference=attrs.get("reference"),
                   pruned=pruned, trials=trials, hpo_trials=hpo)
