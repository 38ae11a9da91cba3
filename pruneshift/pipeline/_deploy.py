"""Stage 7: each ratio's model as it will be shipped, trained with the ratio's recipe.

The recipe is the one results.json and recipes/r=<ratio>.yaml name (``analysis.shipped``):
where the settle stage ran, whichever of its two points it measured better on fresh seeds,
and the model is that point's run on the settle stage's first seed, reused (its weights were
kept when it was trained); elsewhere (the dense ratio, or the settle stage off) the grid's
recipe, trained once, alone, with the grid's first seed. Its accuracy is reported next to what
the recipe reaches on average over the settle stage's seeds, with one run's spread around it.
The model is kept as an artifact, exported to ONNX (``models/r=<ratio>.onnx``) and, with
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
from optuna.trial import TrialState
from torch import nn

from ..analysis import Settlement, claim_level, recommended, refined_point, settlement
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
from ..storage import (
    Deployment,
    Export,
    RunRecord,
    SettlePlan,
    StudyKey,
    Timing,
    TrialKey,
    file_digest,
    key_of,
    ratio_key,
    settle_key,
    settle_study_name,
)
from ..train import evaluate
from ._context import Run
from ._events import Events
from ._grids import GridTrainer, stored_landscape
from ._models import example_input, store_model, stored_model
from ._reference import publish


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


def _settled(run: Run, stages: optuna.Study, ratio: float
             ) -> tuple[Settlement, list[optuna.trial.FrozenTrial]] | None:
    """The ratio's settle stage as measured, with its complete runs; None where it has none."""
    stored = stages.user_attrs.get(StudyKey.settle(ratio))
    if ratio == 0 or stored is None or SettlePlan.read(stored).recipe is None:
        return None
    study = optuna.load_study(study_name=settle_study_name(run.config.experiment, ratio),
                              storage=run.storage)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    analysis = run.config.analysis
    measured = settlement(SettlePlan.read(stored), trials, run.config.settle,
                          level=claim_level(analysis.alpha), epsilon=analysis.epsilon,
                          test_ids=StudyKey.rounds_test_ids(study.user_attrs))
    return (measured, trials) if measured.confirmation is not None else None


def _expected(trials: list[optuna.trial.FrozenTrial], point: str) -> tuple[float, float]:
    """Mean test accuracy of a settle point over its fresh seeds, and one run's spread."""
    values = [0.0 if r.diverged else (r.test_accuracy or 0.0) for r in
              (RunRecord.read(t) for t in trials if t.user_attrs.get(TrialKey.POINT) == point)]
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def deploy_ratio(run: Run, stages: optuna.Study, splits: Splits, trainer: GridTrainer,
                 study: optuna.Study, events: Events, trial: optuna.Trial) -> None:
    """Train (or take from the settle stage), keep, export, check and time one ratio's model
    with its recipe; record it, fenced by ``trial`` (``_reference.publish``): its files are
    written under names of their own and moved into ``models/`` only once the record is."""
    ratio, settings = trainer.ratio, run.config.deploy
    found = _settled(run, stages, ratio)
    record = (_from_settle(run, stages, splits, ratio, *found) if found is not None
              else _alone(run, stages, splits, trainer, study))
    if record.artifact_id is None:
        publish(trial, stages, StudyKey.deployed(ratio), record.as_stored())
        return
    model = stored_model(run, splits, record.artifact_id)
    if record.trained != "settle":  # a settle run was scored on its own round's draw
        record.val_accuracy = evaluate(model, splits.val_x, splits.val_y)[1]
        record.test_accuracy = evaluate(model, splits.test_x, splits.test_y)[1]
    if record.expected_test is not None:
        record.note = _consistency(record.test_accuracy, record.expected_test,
                                   record.expected_spread or 0.0)
    batches = sorted({1, settings.batch})
    record.torch = [Timing.model_validate(time_torch(model, splits.input_shape, b,
                                                     settings.runs).as_stored())
                    for b in batches]
    notes = [] if record.note is None else [record.note]
    written: dict[Path, Path] = {}  # each export's own file -> its place in models/
    own: Path | None = None
    try:
        for kind in ("onnx", "litert") if settings.litert else ("onnx",):
            suffix, export = EXPORTS[kind]
            path = run.run_dir / "models" / f"r={ratio_key(ratio)}{suffix}"
            own = path.with_name(f".{path.name}.{trial.number}")
            try:
                measured = export(model, splits, own, batches, settings.runs)
            except ExportStackMissing as missing:
                notes.append(str(missing))
                events.warning(str(missing))
                continue
            written[own] = path
            setattr(record, kind, Export.model_validate(
                {"file": path.relative_to(run.run_dir).as_posix(),
                 "size_bytes": own.stat().st_size, "sha256": file_digest(own), **measured}))
        record.note = "; ".join(notes) or None
        trial.set_user_attr(TrialKey.RECORD, record.as_stored())  # the fence: still ours?
        for mine, path in written.items():
            mine.replace(path)
    finally:  # whatever failed, no export of ours is left behind in models/
        for leftover in [*written, own]:
            if leftover is not None:
                leftover.unlink(missing_ok=True)
    stages.set_user_attr(StudyKey.deployed(ratio), record.as_stored())
    timing = record.onnx.timings[0] if record.onnx else record.torch[0]
    runtime = "ONNX Runtime" if record.onnx else "PyTorch"
    origin = "its settle run reused" if record.trained == "settle" else "trained alone"
    events.stage("deploy", f"ratio {ratio:g}: the recipe's model ({origin}; test accuracy "
                 f"{100 * (record.test_accuracy or 0):.1f} %), {timing.median_ms:.3f} ms at "
                 f"batch 1 in {runtime}, one thread")


def _from_settle(run: Run, stages: optuna.Study, splits: Splits, ratio: float,
                 measured: Settlement, trials: list[optuna.trial.FrozenTrial]) -> Deployment:
    """The settle run of the recommended point on the stage's first seed."""
    point = recommended(measured)
    mean, spread = _expected(trials, point)
    first = next((t for t in trials if key_of(t) == settle_key(0, point, 0)), None)
    run_record = None if first is None else RunRecord.read(first)
    params = measured.kept if point == "kept" else measured.recipe
    if first is None or TrialKey.ARTIFACT not in first.user_attrs:
        return Deployment(artifact_id=None, params=params, note=(
            "the settle run to ship diverged: no model to deploy" if run_record is not None
            and run_record.diverged else "the settle run to ship kept no weights"))
    return Deployment(
        artifact_id=first.user_attrs[TrialKey.ARTIFACT], params=params, seed=run_record.seed,
        trained="settle", val_accuracy=first.value, test_accuracy=run_record.test_accuracy,
        expected_test=mean, expected_spread=spread)


def _alone(run: Run, stages: optuna.Study, splits: Splits, trainer: GridTrainer,
           study: optuna.Study) -> Deployment:
    """The grid's recipe trained once, alone, with the grid's first seed."""
    grid, ratio = trainer.grid, trainer.ratio
    landscape = stored_landscape(study, grid, ratio)
    point = refined_point(grid, landscape.mean())
    if point is None:
        return Deployment(artifact_id=None, params=None,
                          note="every run of this ratio's grid diverged: nothing to deploy")
    seed = grid.seeds[0]
    model = trainer.alone(point, seed)
    on_grid = point in grid.points()
    in_grid = (float(landscape.accuracy[(*_position(grid, point), 0)]) if on_grid else None)
    return Deployment(
        artifact_id=store_model(run, stages, model.model, f"deployed-r{ratio_key(ratio)}"),
        params=point, seed=seed, trained="alone",
        grid_val_accuracy=None if in_grid is None or np.isnan(in_grid) else in_grid)


def _position(grid: Any, point: dict[str, Any]) -> tuple[int, ...]:
    return tuple(axis.values.index(point[axis.name]) for axis in grid.axes)


CONSISTENT_SPREADS = 3.0  # a deployed run further than this many runs' spreads is flagged


def _consistency(test: float | None, mean: float, spread: float) -> str | None:
    """A note where the shipped run's test accuracy lies unusually far from the recipe's mean
    over the settle stage's seeds (more than three runs' spreads)."""
    if test is None or spread <= 0 or abs(test - mean) <= CONSISTENT_SPREADS * spread:
        return None
    return (f"this run's test accuracy ({100 * test:.1f} %) lies more than "
            f"{CONSISTENT_SPREADS:g} runs' spreads from the recipe's mean over fresh seeds "
            f"({100 * mean:.1f} % ± {100 * spread:.1f}): an unlucky seed; retrain it with "
            "another")

