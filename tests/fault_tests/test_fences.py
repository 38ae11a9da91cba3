"""A worker that lost its unit writes nothing: fenced records, dropped results, and outputs that
are checked against their records on every report."""

import json
import shutil
import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState
from typer.testing import CliRunner

from pruneshift import queue
from pruneshift.cli import app
from pruneshift.launch._local import Helpers
from pruneshift.pipeline._reference import publish
from pruneshift.storage import StudyKey, TrialKey, file_digest

from ..conftest import QUICK


def _taken(tmp_path):
    """A study with one taken task trial, as a worker holds it."""
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'db.sqlite'}")
    study.enqueue_trial({}, user_attrs={TrialKey.KEY: "reference"})
    return study, queue.take(study)


def test_a_worker_that_lost_its_task_publishes_nothing(tmp_path):
    study, trial = _taken(tmp_path)
    study.tell(trial, state=TrialState.FAIL)  # another worker declared it dead and took over
    with pytest.raises(optuna.exceptions.UpdateFinishedTrialError):
        publish(trial, study, StudyKey.REFERENCE, {"artifact_id": "stale"})
    assert StudyKey.REFERENCE not in study.user_attrs


def test_a_unit_taken_over_meanwhile_is_dropped_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(queue._units, "_held", {})
    study, trial = _taken(tmp_path)
    heard = []

    def work(taken):
        study.tell(taken, state=TrialState.FAIL)  # failed as stale while it trained
        publish(taken, study, StudyKey.REFERENCE, {"artifact_id": "stale"})
        return 0.0

    assert queue.execute(study, trial, work, queue.queue_lock_for(
        f"sqlite:///{tmp_path / 'db.sqlite'}", study._storage, "x"), heard.append) is None
    assert len(heard) == 1 and "taken over by another worker" in heard[0]
    assert StudyKey.REFERENCE not in study.user_attrs
    assert queue.held_units() == []  # not this worker's to give back any more


def test_a_stack_keeps_the_members_still_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(queue._units, "_held", {})
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'db.sqlite'}")
    for key in ("cell/0/0", "cell/1/0"):
        study.enqueue_trial({}, user_attrs={TrialKey.KEY: key})
    trials = [queue.take(study), queue.take(study)]
    heard = []

    def work(taken):
        study.tell(taken[0], state=TrialState.FAIL)  # one member taken over meanwhile
        return [None, 0.9]

    queue.execute_many(study, trials, work, queue.queue_lock_for(
        f"sqlite:///{tmp_path / 'db.sqlite'}", study._storage, "x"), heard.append)
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.FAIL, TrialState.COMPLETE] and len(heard) == 1
    assert queue.held_units() == []


def test_helpers_that_failed_are_a_warning_once_the_study_finished():
    helpers = Helpers([subprocess.Popen([sys.executable, "-c", "raise SystemExit(2)"]),
                       subprocess.Popen([sys.executable, "-c", "pass"])])
    line = helpers.wait()
    assert line == ("1 of 2 helper workers failed (exit codes [2]; see their output above); "
                    "the study finished without them")
    assert Helpers([]).wait() is None


def test_zero_workers_is_a_one_line_error():
    result = CliRunner().invoke(app, ["run", "--workers", "0"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --workers must be at least 1, got 0"


def test_a_deleted_or_altered_model_is_exported_again_and_named(quick_run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(quick_run[0], out)
    model = out / "models" / "r=0.5.onnx"
    recorded = json.loads((out / "results.json").read_text())["ratios"]["0.5"]["deployment"]
    assert recorded["onnx"]["sha256"] == file_digest(model)
    model.unlink()
    (out / "models" / "r=0.onnx").write_bytes(b"not a model")
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert "models/r=0.5.onnx was missing: exported again" in result.stderr
    assert "models/r=0.onnx was altered since it was recorded: exported again" in result.stderr
    rebuilt = json.loads((out / "results.json").read_text())["ratios"]
    for ratio in ("0", "0.5"):
        onnx = rebuilt[ratio]["deployment"]["onnx"]
        assert file_digest(out / onnx["file"]) == onnx["sha256"]
    again = CliRunner().invoke(app, ["report", str(out)])
    assert "exported again" not in again.stderr  # whole now: nothing to say
    model.unlink()  # and a rerun of the finished study, which reuses its results, checks too
    rerun = CliRunner().invoke(app, ["run", str(QUICK), "--out", str(out)])
    assert rerun.exit_code == 0, rerun.output
    assert "models/r=0.5.onnx was missing: exported again" in rerun.stderr
    assert file_digest(model) == json.loads((out / "results.json").read_text())[
        "ratios"]["0.5"]["deployment"]["onnx"]["sha256"]


def test_recipes_hold_training_hyperparameters_only(quick_run):
    import yaml

    for path in (quick_run[0] / "recipes").glob("r=*.yaml"):
        training = yaml.safe_load(path.read_text())["training"]
        assert not {"threads", "members", "batched", "device"} & set(training), path

