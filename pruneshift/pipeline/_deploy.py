"""Stage 6: each ratio's model as it will be shipped.

Once a ratio's grid is complete, its best grid point (best mean validation accuracy over the
seeds, as the analysis finds it) is trained once more, alone, with the grid's first seed: the
same cell the grid trained, so its accuracy can be checked against the grid's. Its weights are
kept as an artifact; it is exported to ONNX (``models/r=<ratio>.onnx``), checked against PyTorch
on the validation split and timed in ONNX Runtime and PyTorch (one CPU thread, batch 1 and
``deploy.batch``). Without the export stack installed, the weights and PyTorch timings are
still recorded, with a note saying what to install.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from ..analysis import best_index, landscape_rows, to_landscape
from ..data import Splits
from ..deploy import OnnxMissing, agreement, export_onnx, time_onnx, time_torch
from ..queue import Unit
from ..search import Grid
from ..storage import DeployedRecord, StudyKey, TrialKey, deploy_task, ratio_key
from ._context import Run
from ._events import Events
from ._grids import GridTrainer
from ._models import example_input, store_model


def deploy_units(ratios: list[float]) -> list[Unit]:
    """The deployment tasks of ``ratios`` (those whose grid is complete)."""
    return [Unit(deploy_task(r), attrs={TrialKey.RATIO: r}) for r in ratios]


def best_cell(study: optuna.Study, grid: Grid, ratio: float
              ) -> tuple[dict[str, Any], float | None] | None:
    """The grid's best point and the accuracy its first seed reached there; None when every
    run of the grid diverged or none finished."""
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    landscape = to_landscape(landscape_rows(trials, grid, ratio)[0], grid, ratio)
    best = best_index(landscape.mean())
    if best is None:
        return None
    point = grid.points()[int(np.ravel_multi_index(best, grid.shape))]
    first = landscape.accuracy[(*best, 0)]
    return point, None if np.isnan(first) else float(first)


def deploy_ratio(run: Run, stages: optuna.Study, splits: Splits, trainer: GridTrainer,
                 study: optuna.Study, events: Events) -> None:
    """Train, keep, export, check and time one ratio's re-tuned model; record it."""
    grid, ratio, settings = trainer.grid, trainer.ratio, run.config.deploy
    found = best_cell(study, grid, ratio)
    if found is None:
        stages.set_user_attr(StudyKey.deployed(ratio), DeployedRecord(
            artifact_id=None, params=None,
            note="every run of this ratio's grid diverged: nothing to deploy").as_stored())
        return
    point, grid_accuracy = found
    seed = grid.seeds[0]
    trained = trainer.alone(point, seed)
    model, shape = trained.model, splits.input_shape
    batches = sorted({1, settings.batch})
    record = DeployedRecord(
        artifact_id=store_model(run, stages, model, f"deployed-r{ratio_key(ratio)}"),
        params=point, seed=seed, val_accuracy=trained.result.val_accuracy,
        grid_val_accuracy=grid_accuracy,
        torch=[time_torch(model, shape, b, settings.runs).as_stored() for b in batches])
    path = run.run_dir / "models" / f"r={ratio_key(ratio)}.onnx"
    try:
        export_onnx(model, example_input(splits), path)
        largest, agree = agreement(path, model, splits.val_x)
        record.onnx = {"file": path.relative_to(run.run_dir).as_posix(),
                       "size_bytes": path.stat().st_size, "max_abs_diff": largest,
                       "agreement": agree,
                       "timings": [time_onnx(path, shape, b, settings.runs).as_stored()
                                   for b in batches]}
    except OnnxMissing as missing:
        record.note = str(missing)
        events.warning(str(missing))
    stages.set_user_attr(StudyKey.deployed(ratio), record.as_stored())
    timing = record.onnx["timings"][0] if record.onnx else record.torch[0]
    events.stage("deploy", f"ratio {ratio:g}: trained at its best grid point (validation "
                 f"accuracy {record.val_accuracy:.4f}), {timing['median_ms']:.3f} ms at batch 1"
                 + (" in ONNX Runtime" if record.onnx else " in PyTorch"))
