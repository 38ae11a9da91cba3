"""The stored schema: names and records written by the pipeline read back by the analysis."""

import optuna
import pytest

from pruneshift.analysis._load import load_run_data
from pruneshift.config import GRID_SECTIONS, load_config
from pruneshift.errors import StorageError
from pruneshift.pipeline._context import Run
from pruneshift.storage import (
    SCHEMA_VERSION,
    PrunedRecord,
    RunRecord,
    StudyKey,
    default_storage_url,
    deployed_records,
    experiments_in,
    grid_ratios,
    grid_study_name,
    hpo_study_name,
    pruned_records,
    stages_study_name,
    ticket_key,
)

from .conftest import SYNTHETIC


def test_study_names_parse_back_to_their_experiment_and_ratio():
    names = {hpo_study_name("a"), stages_study_name("a"), hpo_study_name("a/b"),
             *(grid_study_name("a", r) for r in (0.0, 0.25, 1e-05)), grid_study_name("a/b", 0.5)}
    assert experiments_in(names) == ["a", "a/b"]
    assert grid_ratios(names, "a") == [0.0, 1e-05, 0.25]
    assert grid_ratios(names, "a/b") == [0.5]


def test_a_pruned_record_round_trips_and_an_older_one_reads_with_gaps():
    record = PrunedRecord(artifact_id="x", efficiency={"macs": 10}, target="macs",
                          channel_ratio=0.4, reductions={"macs": 0.5}, channels={"conv": 8},
                          val_accuracy_before_training=0.3)
    attrs = {StudyKey.pruned(0.5): record.as_stored(), StudyKey.pruned(0): {"artifact_id": "y"},
             StudyKey.REFERENCE: {"artifact_id": "z"}, "grid": {}}
    read = pruned_records(attrs)
    assert read == {0.5: record, 0.0: PrunedRecord(artifact_id="y")}
    assert read[0.0].channel_ratio is None  # stored before channel ratios were recorded


class CountingStorage(optuna.storages.InMemoryStorage):
    def __init__(self):
        super().__init__()
        self.written: list[str] = []

    def set_trial_user_attr(self, trial_id, key, value):
        self.written.append(key)
        super().set_trial_user_attr(trial_id, key, value)


def test_a_run_record_writes_only_what_reading_it_back_would_not_give():
    """Each write is a round trip to a database: a field at its default (None, not diverged)
    or already on the trial (the seed its unit came with) is not written, and reads back."""
    storage = CountingStorage()
    study = optuna.create_study(storage=storage)
    study.enqueue_trial({}, user_attrs={"seed": 7})
    trial = study.ask()
    storage.written.clear()
    record = RunRecord(epochs=3, diverged=False, seconds=1.5, val_loss=None, test_accuracy=0.9,
                       seed=7, val_correct="2:wA==", test_correct=None)
    record.store(trial)
    assert sorted(storage.written) == ["epochs", "seconds", "test_accuracy", "val_correct"]
    assert RunRecord.read(study.trials[0]) == record
    RunRecord(epochs=4, diverged=True).store(trial, fields=("epochs", "diverged"))
    assert storage.written[-2:] == ["epochs", "diverged"]
    assert RunRecord.read(study.trials[0]).diverged


def test_unit_keys_are_distinct_across_kinds():
    assert ticket_key(3) == "hpo/3" and StudyKey.pruned(0.25) == "pruned/0.25"


def test_a_record_missing_a_required_field_is_a_one_line_error():
    with pytest.raises(StorageError, match="a stored PrunedRecord lacks artifact_id"):
        pruned_records({StudyKey.pruned(0.5): {"target": "macs"}})


@pytest.mark.parametrize("version", [SCHEMA_VERSION - 1, SCHEMA_VERSION + 1])
def test_a_study_in_another_schema_version_is_refused_by_the_run_and_the_analysis(tmp_path,
                                                                                   version):
    config = load_config(SYNTHETIC)
    name = stages_study_name(config.experiment)
    stages = Run.open(config, out=tmp_path).study(name, GRID_SECTIONS)
    assert stages.user_attrs[StudyKey.SCHEMA] == SCHEMA_VERSION
    stages.set_user_attr(StudyKey.SCHEMA, version)
    refusal = f"'{name}' is stored in schema version {version}; this pruneshift " \
              f"reads version {SCHEMA_VERSION}"
    with pytest.raises(StorageError, match=refusal):
        Run.open(config, out=tmp_path).study(name, GRID_SECTIONS)
    with pytest.raises(StorageError, match=refusal):
        load_run_data(default_storage_url(tmp_path), config.experiment)


def test_a_damaged_deployment_record_is_a_one_line_error():
    with pytest.raises(StorageError, match="a stored Deployment is damaged at onnx.size_bytes"):
        deployed_records({StudyKey.deployed(0.5): {
            "artifact_id": "a", "params": {}, "onnx": {
                "file": "m.onnx", "size_bytes": "big", "max_abs_diff": 0.0, "agreement": 1.0,
                "timings": []}}})
