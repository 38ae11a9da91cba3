"""The whole study in order, skipping what the storage shows as finished.

HPO → grid definition → reference model → dense grid → pruning → pruned grids → analysis →
report. The synthetic task has no model, so it skips the reference and pruning. Every stage
reads its progress from the storage, so a run killed at any moment (even with SIGKILL)
continues where it stopped when started again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import GRID_SECTIONS, ExperimentConfig
from ..data import SYNTHETIC, load_splits
from ..errors import PruneshiftError
from ..storage import stages_study_name
from ..train import resolve_device
from ._analysis import analysis_stage
from ._context import Run
from ._events import Events
from ._grids import OPTIMUM_ATTR, define_grid, grid_stage
from ._hpo import hpo_stage
from ._reference import pruning_stage, reference_stage


def run_study(config: ExperimentConfig, *, out: Path | None = None,
              storage: str | None = None, events: Events | None = None) -> dict[str, Any]:
    """Run (or continue) every stage; return the content of results.json."""
    events = events or Events()
    run = Run.open(config, out, storage)
    device = resolve_device(config.training.device)
    trains = config.data.name != SYNTHETIC
    splits = load_splits(config.data, device) if trains else None
    hpo = hpo_stage(run, events, splits)
    if hpo["best"] is None:
        raise PruneshiftError("HPO finished without a complete trial (all diverged, pruned or "
                              "failed); widen the search space or raise hpo.n_trials")
    stages = run.study(stages_study_name(config.experiment), GRID_SECTIONS)
    grid = define_grid(run, stages, hpo["best"]["params"], events)
    optimum = stages.user_attrs[OPTIMUM_ATTR]
    if trains:
        reference_stage(run, stages, splits, optimum, events)
    grid_stage(run, stages, splits, grid, 0.0, events)
    if trains:
        pruning_stage(run, stages, splits, config.pruning.ratios, events)
    for ratio in config.pruning.ratios:
        if ratio > 0:
            grid_stage(run, stages, splits, grid, ratio, events)
    return analysis_stage(run, events, str(device))
