"""Outputs that a kill, a full disk or an altered storage left behind are redone, not trusted."""

import json
import os
import subprocess
import sys

import pytest

from pruneshift.config import load_config
from pruneshift.errors import StorageError
from pruneshift.pipeline import run_study
from pruneshift.pipeline._context import Run
from pruneshift.pipeline._models import stored_model

from ..conftest import QUICK
from . import scenarios
from .scenarios import EXAMPLE, GIVEN_OPTIMUM, SMALL

pytestmark = pytest.mark.slow  # whole studies


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished study; each test damages it and its rerun repairs it."""
    out = tmp_path_factory.mktemp("finished")
    config = load_config(EXAMPLE, [*SMALL, *GIVEN_OPTIMUM])
    run_study(config, out=out)
    return config, out


def test_a_missing_report_is_written_again_by_the_rerun(finished):
    config, out = finished
    (out / "report.html").unlink()
    run_study(config, out=out)
    assert (out / "report.html").stat().st_size > 0


@pytest.mark.parametrize("content", ["", "{\"ratios\": ", "[]"])
def test_a_corrupt_results_file_is_written_again_by_the_rerun(finished, content):
    config, out = finished
    (out / "results.json").write_text(content)
    results = run_study(config, out=out)
    assert json.loads((out / "results.json").read_text()) == results.to_json()


def test_results_of_another_schema_are_written_again_not_reused(finished):
    """The same signature, but a field renamed (as a results.json of an older pruneshift has):
    the rerun does not hand the stale file back as this version's results."""
    config, out = finished
    stale = json.loads((out / "results.json").read_text())
    stale["ratios"]["0.5"]["regret"]["average"] = stale["ratios"]["0.5"]["regret"].pop("mean")
    (out / "results.json").write_text(json.dumps(stale))
    results = run_study(config, out=out)
    rewritten = json.loads((out / "results.json").read_text())
    assert rewritten == results.to_json() and "average" not in rewritten["ratios"]["0.5"]["regret"]


def test_a_checkpoint_id_that_leaves_the_run_folder_is_refused_before_any_file_is_touched(
        tmp_path):
    outside = tmp_path / "outside.part"
    outside.write_text("keep me")
    run = Run.open(load_config(), tmp_path / "run")
    with pytest.raises(StorageError, match="not an artifact id"):
        stored_model(run, None, "../../outside")
    assert outside.read_text() == "keep me"


def test_a_missing_checkpoint_is_a_one_line_error_naming_it(tmp_path):
    run = Run.open(load_config(), tmp_path / "run")
    with pytest.raises(StorageError, match="checkpoint 0123-abcd is missing"):
        stored_model(run, None, "0123-abcd")


def test_a_ratio_that_prunes_nothing_is_an_error_not_a_pruned_model(tmp_path):
    """With two workers: the error shown is the main process's own, not "a helper failed"."""
    done = subprocess.run([sys.executable, "-m", "pruneshift", "run", str(QUICK), "--out",
                           str(tmp_path), "--workers", "2", "--set", "pruning.round_to=4096"],
                          capture_output=True, text=True)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert "removed no channel" in last and "Traceback" not in done.stderr


@pytest.mark.skipif(not scenarios.can_mount(), reason="needs root to mount a read-only tmpfs")
def test_a_read_only_run_folder_is_a_one_line_error(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
                   check=True)
    try:
        done = subprocess.run([sys.executable, "-m", "pruneshift", "run", str(EXAMPLE), "--out",
                               str(folder / "run"), *[a for s in SMALL for a in ("--set", s)]],
                              capture_output=True, text=True)
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Read-only file system" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_truncated_checkpoint_under_finetune_is_one_line_and_loses_nothing(tmp_path):
    """Fine-tuning reads the stored models: one cut in half stops the run with one line naming
    it, every finished trial kept; restored, the same command finishes."""
    import optuna
    from optuna.trial import TrialState

    from pruneshift.storage import default_storage_url, open_storage

    args = [sys.executable, "-m", "pruneshift", "run", str(QUICK), "--out", str(tmp_path),
            "--set", "pruning.protocol=finetune", "--set", "pruning.finetune_epochs=1"]
    killed = subprocess.run(args, capture_output=True, text=True,
                            env={**os.environ, "PRUNESHIFT_KILL_AT": "cell:1"})
    assert killed.returncode == -9, killed.stderr[-2000:]
    stored = sorted((tmp_path / "artifacts").iterdir()) + sorted(
        (tmp_path / "checkpoints" / "downloaded").glob("*.pt"))
    backups = {path: path.read_bytes() for path in stored}
    for path, content in backups.items():
        path.write_bytes(content[:len(content) // 2])

    def finished():
        storage = open_storage(default_storage_url(tmp_path))
        return {(name, t.number) for name in optuna.get_all_study_names(storage)
                for t in optuna.load_study(study_name=name, storage=storage).trials
                if t.state == TrialState.COMPLETE}

    before = finished()
    damaged = subprocess.run(args, capture_output=True, text=True)
    assert damaged.returncode == 2 and "Traceback" not in damaged.stderr, damaged.stderr[-2000:]
    line = damaged.stderr.strip().splitlines()[-1]
    assert "is damaged" in line and str(tmp_path / "artifacts") in line, line
    assert before <= finished()
    for path, content in backups.items():
        path.write_bytes(content)
    restored = subprocess.run(args, capture_output=True, text=True)
    assert restored.returncode == 0, restored.stderr[-2000:]
