"""Stage 6: each ratio's model as it will be shipped.

Once a ratio's grid is complete, its best grid point (best mean validation accuracy over the
seeds, as the analysis finds it) is trained once more, alone, with the grid's first seed: the
same cell the grid trained, so its accuracy can be checked against the grid's. Its weights are
kept as an artifact; it is exported to ONNX (``models/r=<ratio>.onnx``) and, with
``deploy.litert``, to LiteRT (``models/r=<ratio>.tflite``), checked against PyTorch on the
validation split and timed in each runtime and in PyTorch (one CPU thread, batch 1 and
``deploy.batch``). Without an export stack installed, the rest is still recorded, with a note
saying what to install.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import optuna
from torch import nn

from ..analysis import best_index
from ..data import Splits
from ..deploy import (
    ExportStackMissing,
    agreement,
    export_litert,
    export_onnx,
    litert_agreement,
    time_litert,
    time_onnx,
    time_torch,
)
from ..queue import Unit
from ..search import Grid
from ..storage import DeployedRecord, StudyKey, TrialKey, deploy_task, ratio_key
from ._context import Run
from ._events import Events
from ._grids import GridTrainer, stored_landscape
from ._models import example_input, store_model


def deploy_units(ratios: list[float]) -> list[Unit]:
    """The deployment tasks of ``ratios`` (those whose grid is complete)."""
    return [Unit(deploy_task(r), attrs={TrialKey.RATIO: r}) for r in ratios]


def best_cell(study: optuna.Study, grid: Grid, ratio: float
              ) -> tuple[dict[str, Any], float | None] | None:
    """The grid's best point and the accuracy its first seed reached there; None when every
    run of the grid diverged or none finished."""
    landscape = stored_landscape(study, grid, ratio)
    best = best_index(landscape.mean())
    if best is None:
        return None
    point = grid.point_at(best)
    first = landscape.accuracy[(*best, 0)]
    return point, None if np.isnan(first) else float(first)


def _onnx(model: nn.Module, splits: Splits, path: Path, batches: list[int],
          runs: int) -> dict[str, Any]:
    export_onnx(model, example_input(splits), path)
    largest, agree = agreement(path, model, splits.val_x)
    return {"max_abs_diff": largest, "agreement": agree,
            "timings": [time_onnx(path, splits.input_shape, b, runs).as_stored()
                        for b in batches]}


def _litert(model: nn.Module, splits: Splits, path: Path, batches: list[int],
            runs: int) -> dict[str, Any]:
    shape = splits.input_shape
    export_litert(model, shape, path)
    largest, agree = litert_agreement(path, model, splits.val_x)
    return {"max_abs_diff": largest, "agreement": agree,
            "timings": [time_litert(model, shape, b, runs, path if b == 1 else None)
                        .as_stored() for b in batches]}


EXPORTS = {"onnx": (".onnx", _onnx), "litert": (".tflite", _litert)}


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
    model = trainer.alone(point, seed)
    batches = sorted({1, settings.batch})
    record = DeployedRecord(
        artifact_id=store_model(run, stages, model.model, f"deployed-r{ratio_key(ratio)}"),
        params=point, seed=seed, val_accuracy=model.result.val_accuracy,
        grid_val_accuracy=grid_accuracy,
        torch=[time_torch(model.model, splits.input_shape, b, settings.runs).as_stored()
               for b in batches])
    notes = []
    for kind in ("onnx", "litert") if settings.litert else ("onnx",):
        suffix, export = EXPORTS[kind]
        path = run.run_dir / "models" / f"r={ratio_key(ratio)}{suffix}"
        try:
            measured = export(model.model, splits, path, batches, settings.runs)
        except ExportStackMissing as missing:
            notes.append(str(missing))
            events.warning(str(missing))
            continue
        setattr(record, kind, {"file": path.relative_to(run.run_dir).as_posix(),
                               "size_bytes": path.stat().st_size, **measured})
    record.note = "; ".join(notes) or None
    stages.set_user_attr(StudyKey.deployed(ratio), record.as_stored())
    timing = record.onnx["timings"][0] if record.onnx else record.torch[0]
    events.stage("deploy", f"ratio {ratio:g}: trained at its best grid point (validation "
                 f"accuracy {record.val_accuracy:.4f}), {timing['median_ms']:.3f} ms at batch 1"
                 + (" in ONNX Runtime" if record.onnx else " in PyTorch"))
