import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from pruneshift.catalog import CHOICES
from pruneshift.cli import app

from .conftest import SYNTHETIC

runner = CliRunner()


def test_list_shows_every_registered_name():
    result = runner.invoke(app, ["list"], terminal_width=200)
    assert result.exit_code == 0
    for title, registry in CHOICES.items():
        assert title in result.stdout
        assert all(name in result.stdout for name in registry)
    assert "[needs data.root]" in result.stdout  # printed literally


@pytest.mark.parametrize("command", ["run", "hpo", "worker", "launch"])
def test_a_config_error_is_reported_before_the_heavy_stack_loads(command):
    code = ("import sys\nfrom pruneshift.cli import app\n"
            f"try:\n    app([{command!r}, '--set', 'training.optimiser=adam'])\n"
            "except SystemExit as exit:\n    print(exit.code, 'torch' in sys.modules, "
            "'optuna' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert shown.stdout.split() == ["2", "False", "False"], shown.stderr
    assert "did you mean 'optimizer'?" in shown.stderr


@pytest.mark.parametrize("command", [[], ["hpo"], ["list"]])
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_hpo_command_writes_hpo_json(tmp_path):
    config = tmp_path / "e.yaml"
    config.write_text("experiment: cli\nhpo: {method: random, n_trials: 2}\n")
    result = runner.invoke(app, ["hpo", str(config), "--out", str(tmp_path / "run"),
                                 "--set", "training.epochs=2"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "hpo.json").read_text())
    assert summary["experiment"] == "cli" and summary["trials"]["complete"] == 2
    assert summary["config"]["training"]["epochs"] == 2
    assert "best validation accuracy" in result.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["--set", "training.optimizer=adam"],
     "training.optimizer: unknown optimizer 'adam' (did you mean 'adamw'?)"),
    (["--set", "hpo.methd=bo"],
     "unknown field 'hpo.methd' (did you mean 'method'?); allowed: method, n_trials"),
    (["--storage", "postgresql://u:pw@127.0.0.1:9/x"], "cannot open storage postgresql://u:***@"),
    (["--set", "data.name='[red]x'"], "unknown dataset '[red]x'"),  # printed literally
    (["--set", "data.name=[red]x"], "is not valid YAML (expected '<document start>', but found"),
])
def test_bad_input_is_one_line_on_stderr_and_exit_code_2(tmp_path, args, expected):
    result = runner.invoke(app, ["hpo", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in result.output
    assert not (tmp_path / "hpo.json").exists()


def test_debug_shows_the_traceback(tmp_path):
    result = runner.invoke(app, ["hpo", "--debug", "--set", "training.optimizer=adam"])
    assert result.exit_code != 0 and result.exception is not None


def test_launch_without_slurm_says_how_to_run_locally(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch
    result = runner.invoke(app, ["launch", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "--cluster local" in result.stderr


@pytest.mark.parametrize(("out", "expected"), [
    ("a-file", "run folder {out} is a file, not a folder; choose another --out"),
    ("a-file/run", "cannot create run folder {out}: Not a directory; choose another --out"),
])
def test_an_unusable_run_folder_is_named_with_what_is_wrong(tmp_path, out, expected):
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / out
    result = runner.invoke(app, ["hpo", str(SYNTHETIC), "--out", str(target)])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: " + expected.format(out=target)


def test_off_a_terminal_progress_is_plain_unwrapped_lines(tmp_path):
    """A log file, CI or a batch job gets a line now and then, not one bar at the end, and no
    line broken at 80 columns (the test runner's stderr is not a terminal)."""
    result = runner.invoke(app, ["run", str(SYNTHETIC), "--out", str(tmp_path / "run"), "--set",
                                 "hpo.n_trials=10", "--set", "pruning.ratios=[0, 0.5]",
                                 "--set", "grid.max_extend=0",
                                 "--set", "settle.enabled=false"])  # a job of known size
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert all(re.match(r"(HPO \(job\)|grid r=[\d.]+ \(job\)|report|pruning|reference|"
                        r"warning): ", line) for line in lines), lines
    hpo = [line for line in lines if line.startswith("HPO (job): ")]
    grid = [line for line in lines if line.startswith("grid r=")]
    # one count over the whole job from its start: 10 HPO trials + 2 ratios x 49 points x 3 seeds
    assert all(line.split(" · ")[0].endswith("/304") for line in hpo + grid)
    assert hpo[0].startswith("HPO (job): 1/304 · best HPO accuracy ") and len(hpo) <= 11
    assert grid[-1].split(" · ")[0].endswith(": 304/304")
    assert all(re.search(r"job left ≈ (\?|\d\d:\d\d:\d\d)$", line) for line in hpo + grid)
    assert f"written: {tmp_path / 'run' / 'report.html'}" in result.stdout.replace("\n", " ")
    # the run ends with where the grid was centred and the report's answer
    assert re.search(r"grid centred on the HPO optimum \(\w+\): lr = ", result.stdout)
    assert re.search(r"(Re-tune from|Keep your|not settled)", result.stdout)


@pytest.mark.parametrize("content", [None, "{", '{"experiment": "x"}'])
def test_recommend_on_a_missing_or_unreadable_results_file_is_one_line(tmp_path, content):
    if content is not None:
        (tmp_path / "results.json").write_text(content)
    result = runner.invoke(app, ["recommend", str(tmp_path), "--ratio", "0.5"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "results.json" in lines[0], lines
    assert f"pruneshift report {tmp_path}" in lines[0]
    if content is not None:
        assert (tmp_path / "results.json").read_text() == content  # nothing is overwritten


A_HELPER_STOPPED = """
import os, signal, sys, weakref
import typer
from pruneshift.cli._terminal import guarded
from pruneshift.errors import ConfigError
from pruneshift.stops import stop_on

def stop():
    os.kill(os.getpid(), signal.SIGTERM)  # as run --workers stops its helpers

class Error(ConfigError):
    def __str__(self):
        if sys.argv[1] == "reports":
            stop()
        return "the error"

class Anchor: pass
anchor = Anchor()
if sys.argv[1] == "exits":
    weakref.finalize(anchor, stop)  # called as the interpreter exits

def action():
    stop_on(signal.SIGTERM)  # as a worker's command does
    raise Error()

try:
    guarded(False, action, helper=True)
except typer.Exit as exit:
    sys.exit(exit.exit_code)
"""


@pytest.mark.parametrize("when", ["reports", "exits"])
def test_a_stop_that_lands_while_a_worker_reports_or_exits_leaves_no_traceback(when):
    """``run --workers`` stops its helpers with SIGTERM when it fails; a helper already
    reporting the same error, or exiting on it (its exit-time finalizers running), ends
    quietly."""
    shown = subprocess.run([sys.executable, "-c", A_HELPER_STOPPED, when], capture_output=True,
                           text=True)
    assert "Traceback" not in shown.stderr, shown.stderr
    assert shown.returncode == -15, shown.stderr  # SIGTERM's default: the process ends
    if when == "exits":
        assert "the error" in shown.stderr
