"""The files a report names are the ones recorded: checked on every run and report.

Each deployed model's file carries its digest in its record. One missing or altered (deleted by
hand, overwritten by a worker that had lost its unit) is exported again from its stored weights
and its new digest stored and reported; where it cannot be (no export stack, no weights), it is
named in one line and left out of the results, so results.json never lists a file that is not
there. Reading digests needs no torch; only a rebuild loads it.
"""

from __future__ import annotations

import optuna

from ..analysis import Results
from ..errors import PruneshiftError
from ..storage import StudyKey, file_digest, stages_study_name
from ._context import Run
from ._events import Events

KINDS = ("onnx", "litert")


def check_outputs(run: Run, results: Results, events: Events) -> bool:
    """Rebuild or drop every model file that is not the one its record names; whether any
    was."""
    splits, changed = None, False
    for ratio, entry in results.ratios.items():
        deployed = entry.deployment
        for kind in KINDS:
            export = getattr(deployed, kind, None) if deployed is not None else None
            if export is None:
                continue
            path = run.run_dir / export.file
            if path.exists() and export.sha256 in (None, file_digest(path)):
                continue
            why = "missing" if not path.exists() else "altered since it was recorded"
            changed = True
            try:
                splits = splits or _splits(run)
                _rebuild(run, splits, deployed.artifact_id, kind, path)
            except (PruneshiftError, OSError, ImportError) as failed:  # ImportError: no exporter
                events.warning(f"{export.file} is {why} and cannot be exported again "
                               f"({failed}); results.json leaves it out")
                setattr(deployed, kind, None)
                continue
            export.size_bytes, export.sha256 = path.stat().st_size, file_digest(path)
            _store(run, ratio, deployed)
            events.warning(f"{export.file} was {why}: exported again from ratio {ratio:g}'s "
                           "stored weights")
    return changed


def _store(run: Run, ratio: float, deployed) -> None:
    """The rebuilt file's digest into the stored record, so the next run trusts it."""
    stages = optuna.load_study(study_name=stages_study_name(run.config.experiment),
                               storage=run.storage)
    stages.set_user_attr(StudyKey.deployed(ratio), deployed.as_stored())


def _splits(run: Run):
    from ..data import load_splits

    return load_splits(run.config.data, "cpu")


def _rebuild(run: Run, splits, artifact_id: str | None, kind: str, path) -> None:
    from ..deploy import export_litert, export_onnx
    from ._models import example_input, stored_model

    if artifact_id is None:
        raise PruneshiftError("no stored weights")
    model = stored_model(run, splits, artifact_id).cpu()
    if kind == "onnx":
        export_onnx(model, example_input(splits), path)
    else:
        export_litert(model, splits.input_shape, path)
