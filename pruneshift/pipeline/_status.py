"""Where a run stands: per stage, trials done, running, failed, waiting and left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from ..catalog import DATASETS, METHODS
from ..queue import DONE, done_cells
from ..search import Grid
from ..storage import (
    StudyKey,
    grid_study_name,
    hpo_study_name,
    open_storage,
    stages_study_name,
)
from ._context import locate_run


def _counts(study: optuna.Study) -> dict[str, int]:
    states = [t.state for t in study.get_trials(deepcopy=False)]
    return {"running": states.count(TrialState.RUNNING), "failed": states.count(TrialState.FAIL),
            "waiting": states.count(TrialState.WAITING)}


def run_status(run_dir: Path, *, storage: str | None = None, experiment: str | None = None
               ) -> tuple[str, list[dict[str, Any]]]:
    """The experiment's name and one row per stage."""
    url, experiment, names = locate_run(run_dir, storage, experiment)
    store = open_storage(url)
    hpo = optuna.load_study(study_name=hpo_study_name(experiment), storage=store)
    config = hpo.user_attrs[StudyKey.CONFIG]
    done = len(hpo.get_trials(deepcopy=False, states=DONE))
    budget = config["hpo"]["n_trials"] if METHODS[config["hpo"]["method"]].searches else 0
    rows = [{"stage": "hpo", "done": done, **_counts(hpo), "left": max(0, budget - done)}]
    if stages_study_name(experiment) not in names:
        return experiment, rows
    stages = optuna.load_study(study_name=stages_study_name(experiment), storage=store)
    attrs = stages.user_attrs
    ratios = config["pruning"]["ratios"]
    if DATASETS[config["data"]["name"]].trains:
        reference = int(StudyKey.REFERENCE in attrs)
        pruned = sum(StudyKey.pruned(r) in attrs for r in ratios)
        rows += [{"stage": "reference", "done": reference, "left": 1 - reference},
                 {"stage": "pruning", "done": pruned, "left": len(ratios) - pruned}]
        if config.get("deploy", {}).get("enabled", True):
            deployed = sum(StudyKey.deployed(r) in attrs for r in ratios)
            rows.append({"stage": "deploy", "done": deployed, "left": len(ratios) - deployed})
    if StudyKey.GRID not in attrs:  # the stages study is open, its grid not yet stored
        return experiment, rows
    grid = Grid.from_dict(attrs[StudyKey.GRID])
    for ratio in ratios:
        name = grid_study_name(experiment, ratio)
        row: dict[str, Any] = {"stage": f"grid r={ratio:g}", "done": 0,
                               "left": len(grid.cells())}
        if name in names:
            study = optuna.load_study(study_name=name, storage=store)
            finished = done_cells(study, grid.cells())
            row |= {"done": finished, **_counts(study), "left": len(grid.cells()) - finished}
        rows.append(row)
    return experiment, rows
