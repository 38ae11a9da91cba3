"""The study's stages in order, each resumable from the storage; what a worker runs."""

from ._analysis import analysis_stage, analyze_run
from ._context import Run, run_dir_for, storage_url_for, write_json
from ._events import Events
from ._grids import define_grid, grid_stage
from ._hpo import hpo_stage, run_hpo
from ._reference import pruning_stage, reference_stage
from ._status import run_status
from ._study import run_study

__all__ = ["Events", "Run", "analysis_stage", "analyze_run", "define_grid", "grid_stage",
           "hpo_stage", "pruning_stage", "reference_stage", "run_dir_for", "run_hpo",
           "run_status", "run_study", "storage_url_for", "write_json"]
