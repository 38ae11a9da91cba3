"""The study's stages in order, each resumable from the storage; what a worker runs."""

from ._analysis import analysis_stage, analyze_run
from ._context import Run, run_dir_for, storage_url_for, write_json
from ._events import Events, Progress
from ._grids import GridStage, define_grid
from ._hpo import HPOStage
from ._status import run_status
from ._worker import Worker, run_hpo, run_study

__all__ = ["Events", "GridStage", "HPOStage", "Progress", "Run", "Worker", "analysis_stage",
           "analyze_run", "define_grid", "run_dir_for", "run_hpo", "run_status", "run_study",
           "storage_url_for", "write_json"]
