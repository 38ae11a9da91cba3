"""The stored schema: names and records written by the pipeline read back by the analysis."""

from pruneshift.storage import (
    PrunedRecord,
    StudyKey,
    experiments_in,
    grid_ratios,
    grid_study_name,
    hpo_study_name,
    pruned_records,
    stages_study_name,
    ticket_key,
)


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


def test_unit_keys_are_distinct_across_kinds():
    assert ticket_key(3) == "hpo/3" and StudyKey.pruned(0.25) == "pruned/0.25"
