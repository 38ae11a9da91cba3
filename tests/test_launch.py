"""``pruneshift launch``: workers as a job array through submitit, run here as local processes,
and the Slurm submission up to sbatch (no cluster on this machine)."""

import os
import stat
import subprocess
import sys

import pytest

from pruneshift.config import load_config
from pruneshift.launch import Resources, launch

from .conftest import SYNTHETIC
from .fault_tests.scenarios import GIVEN_OPTIMUM, SMALL, audit

pytestmark = pytest.mark.slow  # whole studies in subprocesses

pytest.importorskip("submitit")


def test_local_array_tasks_finish_the_study_together(tmp_path, monkeypatch):
    monkeypatch.delenv("PRUNESHIFT_STORAGE", raising=False)
    config = load_config(SYNTHETIC, [*SMALL, *GIVEN_OPTIMUM])
    jobs = launch(config, tmp_path / "run", 2, Resources(cpus=1, mem_gb=1), cluster="local")
    results = [job.result() for job in jobs]
    assert results == [str(tmp_path / "run" / "results.json")] * 2
    assert audit(f"journal:{tmp_path / 'run' / 'journal.log'}") == (0, 0, 0)
    assert (tmp_path / "run" / "report.html").exists()


def test_slurm_submission_is_one_array_with_the_storage_only_in_the_environment(
        tmp_path, monkeypatch):
    """A stand-in sbatch records the script it is given and answers as Slurm does (srun only
    has to exist: submitit looks for it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("sbatch", f'cp "$1" {tmp_path}/submitted.sh\n'
                                  f'env > {tmp_path}/environment\n'
                                  'echo "Submitted batch job 4242"\n'),
                       ("srun", "exit 0\n")):
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\n{body}")
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    secret = "postgresql://user:s3cret@db-host/pruneshift"
    monkeypatch.setenv("PRUNESHIFT_STORAGE", secret)
    config = load_config(SYNTHETIC, SMALL)
    jobs = launch(config, tmp_path / "run", 4,
                  Resources(time_min=90, partition="gpu", gpus=1, cpus=8, mem_gb=32),
                  cluster="slurm")
    assert [job.job_id for job in jobs] == [f"4242_{i}" for i in range(4)]
    script = (tmp_path / "submitted.sh").read_text()
    for line in ("#SBATCH --array=0-3%4", "#SBATCH --partition=gpu", "#SBATCH --time=90",
                 "#SBATCH --cpus-per-task=8", "#SBATCH --mem=32GB", "#SBATCH --gpus-per-node=1"):
        assert line in script, line
    assert "s3cret" in (tmp_path / "environment").read_text()  # sbatch exports it to the tasks
    written = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert written and not [p for p in written if b"s3cret" in p.read_bytes()]


def test_without_slurm_launch_says_how_to_run_locally(tmp_path, monkeypatch):
    from pruneshift.errors import PruneshiftError

    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch anywhere
    with pytest.raises(PruneshiftError, match="--cluster local"):
        launch(load_config(SYNTHETIC, SMALL), tmp_path / "run", 2, Resources())


def test_with_local_helpers_the_answer_is_printed_once(tmp_path):
    """``run --workers 2``: the helper's own closing table stays off the user's terminal."""
    command = [sys.executable, "-m", "pruneshift", "run", str(SYNTHETIC), "--out", str(tmp_path),
               "--workers", "2"]
    for item in [*SMALL, *GIVEN_OPTIMUM]:
        command += ["--set", item]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("written: ") == 1 and done.stdout.count("pruneshift · ") == 1
