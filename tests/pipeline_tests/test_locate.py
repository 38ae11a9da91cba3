"""Finding the experiment of a run folder: one rule for `analyze`, `report` and `status`."""

import subprocess
import sys

import pytest

from pruneshift.config import load_config
from pruneshift.errors import StorageError
from pruneshift.pipeline import analyze_run, run_hpo, run_status, run_study

from ..conftest import SYNTHETIC

SMALL = ["hpo.n_trials=2", "hpo.n_startup_trials=1"]


def test_several_experiments_in_one_folder_must_be_named(tmp_path):
    for name in ("first", "second"):
        run_hpo(load_config(SYNTHETIC, [*SMALL, f"experiment={name}"]), out=tmp_path)
    for look in (run_status, analyze_run):
        with pytest.raises(StorageError, match=r"several experiments \(first, second\); name "):
            look(tmp_path)
        with pytest.raises(StorageError, match="no experiment 'third' .* it holds: first, second"):
            look(tmp_path, experiment="third")
    assert run_status(tmp_path, experiment="second")[0] == "second"
    with pytest.raises(StorageError, match="no grid of experiment 'first'"):
        analyze_run(tmp_path, experiment="first")  # found, but not run that far


def test_a_folder_without_a_run_is_a_one_line_error(tmp_path):
    with pytest.raises(StorageError, match="holds no journal.log; pass --storage URL"):
        run_status(tmp_path)


@pytest.mark.slow
def test_analyze_and_report_write_the_signature_run_writes(tmp_path):
    """results.json says what it was computed from, whichever command wrote it."""
    config = load_config(SYNTHETIC, [*SMALL, "pruning.ratios=[0, 0.5]",
                                     "grid.axes.lr.points=3", "grid.axes.weight_decay.points=3"])
    results = run_study(config, out=tmp_path)
    written = results.signature
    assert written["trials"]["grid r=0.5"] == results.ratios[0.5].cells.complete > 0
    assert written["trials"]["settle r=0.5"] == results.ratios[0.5].settle.runs > 0
    assert analyze_run(tmp_path).signature == written
    changed = analyze_run(tmp_path, overrides=["analysis.epsilon=0.01"]).signature
    assert changed["trials"] == written["trials"] and changed["analysis"]["epsilon"] == 0.01


def test_status_loads_no_torch():
    """Watching a run reads the storage only: the training stack stays unloaded."""
    probe = ("import sys; from pruneshift.pipeline import run_status; "
             "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", probe], check=True)
