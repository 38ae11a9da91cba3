"""Where a run stands: per stage of the schedule, units done, running, failed, waiting, left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from ..config import build_config
from ..storage import StudyKey, hpo_study_name, open_storage
from ._context import locate_run
from ._schedule import GridRatio, SettleRatio, View, schedule


def run_status(run_dir: Path, *, storage: str | None = None, experiment: str | None = None
               ) -> tuple[str, list[dict[str, Any]]]:
    """The experiment's name and one row per stage (a grid's and the settle stage's rows once
    the grid is stored)."""
    url, experiment, _ = locate_run(run_dir, storage, experiment)
    store = open_storage(url)
    hpo = optuna.load_study(study_name=hpo_study_name(experiment), storage=store)
    view = View(build_config(hpo.user_attrs[StudyKey.CONFIG]), store)
    stored = view.grid() is not None
    rows = [row for stage in schedule(view.config)
            if stored or not isinstance(stage, GridRatio | SettleRatio)
            if (row := stage.row(view)) is not None]
    return experiment, rows
