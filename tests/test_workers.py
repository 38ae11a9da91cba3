"""Many workers on one experiment, against a real PostgreSQL server."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from pruneshift.config import load_config
from pruneshift.launch import members_per_worker, start_local_workers, threads_per_worker
from pruneshift.optuna_private import enqueued_params
from pruneshift.storage import (
    cell_of,
    grid_study_name,
    hpo_study_name,
    key_of,
    open_storage,
    stages_study_name,
)

from .conftest import QUICK

pytestmark = pytest.mark.slow  # whole studies in subprocesses

FAST_HEARTBEAT = ["--set", "workers.heartbeat_interval=1", "--set", "workers.grace_period=4",
                  "--set", "workers.poll_interval=0.3"]
NO_DEPLOYMENT = ["--set", "deploy.enabled=false"]  # where the test is about other units


def start_worker(url, out, *extra, env=None):
    return subprocess.Popen(
        [sys.executable, "-m", "pruneshift", "worker", str(QUICK), "--storage", url,
         "--out", str(out), *FAST_HEARTBEAT, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=None if env is None else {**os.environ, **env})


def finish(workers, timeout=300):
    outputs = [w.communicate(timeout=timeout) for w in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    return outputs


def assert_exactly_once(url, deployments=2):
    """Every unit of the quick study finished exactly once."""
    config = load_config(QUICK)
    storage = open_storage(url)
    hpo = optuna.load_study(study_name=hpo_study_name(config.experiment), storage=storage)
    assert len(hpo.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))) == 4
    stages = optuna.load_study(study_name=stages_study_name(config.experiment), storage=storage)
    tasks = [key_of(t) for t in stages.get_trials(states=(TrialState.COMPLETE,))]
    assert len(tasks) == len(set(tasks)) == 3 + deployments  # the reference, 2 prunings
    for ratio in config.pruning.ratios:
        study = optuna.load_study(study_name=grid_study_name(config.experiment, ratio),
                                  storage=storage)
        cells = [cell_of(t) for t in study.get_trials(states=(TrialState.COMPLETE,))]
        assert len(cells) == len(set(cells)) == 18
        assert not study.get_trials(states=(TrialState.RUNNING, TrialState.WAITING))
    return storage


def test_three_workers_finish_the_study_with_each_unit_trained_once(tmp_path, postgres_url):
    workers = [start_worker(postgres_url, tmp_path) for _ in range(3)]
    finish(workers)
    assert_exactly_once(postgres_url)
    lines = (tmp_path / "landscapes.csv").read_text().strip().splitlines()
    assert len(lines) == 1 + 36
    assert (tmp_path / "report.html").exists()


def running_trials_of(study, pid):
    return [t for t in study.get_trials(states=(TrialState.RUNNING,))
            if t.user_attrs.get("owner", {}).get("pid") == pid]


def test_a_killed_worker_s_trial_is_redone_by_another(tmp_path, postgres_url):
    """A worker killed (injected) with its first stack of cells trained but not recorded:
    another worker fails those trials (their heartbeats stopped, or their pid is gone) and
    trains each of their cells exactly once more."""
    config = load_config(QUICK)
    victim = start_worker(postgres_url, tmp_path, *NO_DEPLOYMENT,
                          env={"PRUNESHIFT_KILL_AT": "cell:1"})
    try:
        _, err = victim.communicate(timeout=300)
    finally:
        victim.kill()
    assert victim.returncode == -signal.SIGKILL, err
    storage = open_storage(postgres_url)
    grids = [optuna.load_study(study_name=grid_study_name(config.experiment, ratio),
                               storage=storage) for ratio in config.pruning.ratios
             if grid_study_name(config.experiment, ratio) in optuna.get_all_study_names(storage)]
    lost = {(g.study_name, t.number) for g in grids
            for t in g.get_trials(states=(TrialState.RUNNING,))}
    assert lost, "the worker was killed holding no cell"
    finish([start_worker(postgres_url, tmp_path, *NO_DEPLOYMENT)])
    storage = assert_exactly_once(postgres_url, deployments=0)
    for name, number in lost:
        study = optuna.load_study(study_name=name, storage=storage)
        trial = study.trials[number]
        assert trial.state == TrialState.FAIL
        redone = [t for t in study.get_trials(states=(TrialState.COMPLETE,))
                  if cell_of(t) == cell_of(trial)]
        assert len(redone) == 1 and redone[0].number > number


def test_sigterm_gives_the_running_trial_back(tmp_path, postgres_url):
    worker = start_worker(postgres_url, tmp_path, "--set", "training.epochs=30",
                          "--set", "hpo.batch=4")
    deadline = time.monotonic() + 120
    name = hpo_study_name("quick")
    while time.monotonic() < deadline:
        time.sleep(0.2)
        names = {s.study_name for s in optuna.get_all_study_summaries(open_storage(postgres_url))}
        if name in names and optuna.load_study(study_name=name, storage=open_storage(
                postgres_url)).get_trials(states=(TrialState.RUNNING,)):
            break
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 130 and "given back" in err
    study = optuna.load_study(study_name=name, storage=open_storage(postgres_url))
    states = [t.state for t in study.trials]
    assert TrialState.RUNNING not in states
    assert states.count(TrialState.FAIL) >= 1  # the trials of the batch taken so far
    assert states.count(TrialState.WAITING) == 4  # every ticket of quick's HPO again
    waiting = {key_of(t): enqueued_params(t)
               for t in study.get_trials(states=(TrialState.WAITING,))}
    assert all(waiting[key_of(t)] == t.params for t in study.get_trials(states=(TrialState.FAIL,)))


def test_sigterm_on_local_workers_stops_them_all_with_one_line(tmp_path):
    """``run --workers 2`` stopped in its grid: one stop line (the helper's clean stop is the
    run's to report), no traceback, nothing left RUNNING, and the same command finishes."""
    args = [sys.executable, "-m", "pruneshift", "run", str(QUICK), "--workers", "2",
            "--out", str(tmp_path), "--set", "training.epochs=6", "--set", "pruning.ratios=[0]",
            *NO_DEPLOYMENT]
    run = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"journal:{tmp_path / 'journal.log'}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
        if (tmp_path / "journal.log").exists() and any(
                s.study_name.endswith("/grid/r=0") and s.n_trials
                for s in optuna.get_all_study_summaries(open_storage(url))):
            break
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130, err
    assert err.count("stopped:") == 1 and "given back" in err, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    storage = open_storage(url)
    assert not [t for name in optuna.get_all_study_names(storage)
                for t in optuna.load_study(study_name=name, storage=storage).trials
                if t.state == TrialState.RUNNING]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def test_a_worker_with_a_changed_grid_is_refused(tmp_path, postgres_url):
    small = ["--set", "hpo.n_trials=1", "--set", "pruning.ratios=[0]",
             "--set", "grid.axes.weight_decay.points=1", *NO_DEPLOYMENT]
    finish([start_worker(postgres_url, tmp_path, *small, "--set", "grid.axes.lr.points=1")])
    refused = start_worker(postgres_url, tmp_path, *small, "--set", "grid.axes.lr.points=3")
    _, err = refused.communicate(timeout=120)
    assert refused.returncode == 2
    assert "grid.axes.lr.points: 1 -> 3" in err and len(err.strip().splitlines()) == 1


def run_cli(*args, timeout=60):
    """The command's outcome; one that hangs past ``timeout`` (a connect without its
    time-out) fails the test."""
    return subprocess.run([sys.executable, "-m", "pruneshift", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_an_unreachable_host_is_a_one_line_error(tmp_path):
    done = run_cli("worker", str(QUICK), "--out", str(tmp_path),
                            "--storage", "postgresql://ann:hunter2@127.0.0.1:9/db")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "hunter2" not in done.stderr
    assert "cannot open storage postgresql://ann:***@127.0.0.1:9/db" in done.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def password_server():
    """A private PostgreSQL server that checks passwords (scram-sha-256): (port, password).

    Started as the ``postgres`` user in a folder it can reach (pytest's own temporary
    folders are private to root).
    """
    bin_dir = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
    if bin_dir is None or shutil.which("runuser") is None or os.geteuid() != 0:
        pytest.skip("needs Debian's PostgreSQL binaries and root to start a private server")
    folder = Path(tempfile.mkdtemp(prefix="pruneshift-pg-"))
    os.chmod(folder, 0o777)
    (folder / "password").write_text("right-password\n")
    os.chmod(folder / "password", 0o644)
    data, port = folder / "data", free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                    "--auth=scram-sha-256", f"--pwfile={folder / 'password'}"],
                   check=True, capture_output=True)
    subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(folder / "log"), "-o", f"-p {port} -k {folder} -c listen_addresses="
                    "127.0.0.1", "start"], check=True, capture_output=True)
    yield port, "right-password"
    subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                    "stop"], capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


def test_a_wrong_password_is_a_quick_one_line_error(tmp_path, password_server):
    port, password = password_server
    done = run_cli("hpo", "--out", str(tmp_path), "--storage",
                            f"postgresql://postgres:wrong-password@127.0.0.1:{port}/postgres")
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "wrong-password" not in done.stderr
    assert "password authentication failed" in done.stderr
    right = run_cli("hpo", "--out", str(tmp_path), "--set", "hpo.n_trials=1", "--set",
                       "training.epochs=1", "--storage",
                       f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres")
    assert right.returncode == 0, right.stderr


def test_local_workers_share_threads_and_each_grid_s_cells(tmp_path):
    config = load_config(None, ["grid.axes.lr.points=3", "grid.axes.weight_decay.values=[0.1]"])
    shared, helpers = start_local_workers(config, 1, out=tmp_path, storage=None)
    assert shared is config and not helpers.processes
    assert members_per_worker(config, 2) == 5  # 3 points x 3 seeds, half each (rounded up)
    assert members_per_worker(load_config(), 4) == 19  # 5 x 5 x 3 = 75 cells
    assert threads_per_worker(64 * (os.cpu_count() or 1)) == 1
