import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import optuna
import pytest
from optuna.trial import TrialState

from pruneshift import faults
from pruneshift.catalog import METHODS
from pruneshift.config import load_config
from pruneshift.errors import ConfigError
from pruneshift.pipeline import Events, run_hpo, storage_url_for
from pruneshift.pipeline._context import Run
from pruneshift.pipeline._hpo import HPOStage
from pruneshift.pipeline._sources import source_for
from pruneshift.queue import _owners
from pruneshift.seeds import sampler_seed
from pruneshift.storage import TrialKey, hpo_study_name, open_storage, ticket_of

from ..conftest import SYNTHETIC


def study_of(config, out):
    return optuna.load_study(study_name=hpo_study_name(config.experiment),
                             storage=open_storage(storage_url_for(config, out)))


@pytest.mark.slow
@pytest.mark.parametrize("method", list(METHODS))
def test_each_method_finishes_a_twelve_trial_study(tmp_path, method):
    """Every registered method, on the synthetic task (the plumbing is the same as with
    training, which would add only time); ``none`` runs no trial and takes the training
    section's values."""
    config = load_config(SYNTHETIC, [f"hpo.method={method}", "hpo.n_trials=12",
                                     "hpo.n_startup_trials=4", "training.epochs=3"])
    summary = run_hpo(config, out=tmp_path)
    trials = summary["trials"]
    written = json.loads((tmp_path / "hpo.json").read_text())
    assert written["method"] == method and written["trials"] == trials
    assert written["environment"]["packages"]["optuna"] == optuna.__version__
    checkout = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    if checkout.returncode == 0:  # run from a git checkout: the commit is stamped
        assert written["environment"]["commit"].split("+")[0] == checkout.stdout.strip()
    if not METHODS[method].searches:
        assert sum(trials.values()) == 0 and summary["n_trials"] == 0
        assert summary["best"]["params"] == {"lr": 0.05, "weight_decay": 5e-4}
        return
    assert trials["complete"] + trials["pruned"] == 12 and trials["fail"] == 0
    assert summary["best"]["value"] > 0.8
    assert set(summary["best"]["params"]) == {"lr", "weight_decay"}
    study = study_of(config, tmp_path)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert all(len(t.intermediate_values) == t.user_attrs["epochs"] for t in complete)
    assert all(t.user_attrs["epochs"] <= 3 for t in study.trials)


@pytest.mark.slow
def test_bohb_stops_weak_trials_before_their_full_budget(tmp_path):
    config = load_config(SYNTHETIC, ["hpo.method=bohb", "hpo.n_trials=8", "training.epochs=3",
                                     "hpo.n_startup_trials=3", "hpo.batch=4"])
    assert config.hpo.trials_together == 1  # its rungs stop trials between epochs
    summary = run_hpo(config, out=tmp_path)
    pruned = study_of(config, tmp_path).get_trials(states=(TrialState.PRUNED,))
    assert summary["trials"]["pruned"] == len(pruned) > 0
    assert all(t.user_attrs["epochs"] < 3 for t in pruned)
    assert summary["epochs_spent"] < 8 * 3


def test_rerunning_a_finished_study_trains_nothing(tmp_path, tiny_overrides):
    config = load_config(None, [*tiny_overrides, "hpo.method=random"])
    first = run_hpo(config, out=tmp_path)
    class Watch(Events):
        done: list = []

        def progress(self, progress):
            self.done.append(progress.done)

    watch = Watch()
    second = run_hpo(config, out=tmp_path, events=watch)
    assert watch.done == [4]  # the starting count, and no trial after it
    assert second["trials"] == first["trials"] and second["best"] == first["best"]
    assert len(study_of(config, tmp_path).trials) == 4


def test_a_larger_budget_continues_the_same_study(tmp_path, tiny_overrides):
    config = load_config(None, [*tiny_overrides, "hpo.method=tpe", "hpo.n_trials=2"])
    run_hpo(config, out=tmp_path)
    summary = run_hpo(config.model_copy(update={"hpo": config.hpo.model_copy(
        update={"n_trials": 4})}), out=tmp_path)
    study = study_of(config, tmp_path)
    assert summary["trials"]["complete"] == 4 and len(study.trials) == 4
    params = [tuple(t.params.values()) for t in study.trials]
    assert len(set(params)) == 4, "a resumed run must not replay the first run's draws"


def test_changed_settings_are_refused_naming_the_difference(tmp_path, tiny_overrides):
    run_hpo(load_config(None, [*tiny_overrides, "hpo.n_trials=1"]), out=tmp_path)
    changed = load_config(None, [*tiny_overrides, "hpo.n_trials=1", "training.label_smoothing=0.1"])
    with pytest.raises(ConfigError, match=r"training.label_smoothing: 0.0 -> 0.1"):
        run_hpo(changed, out=tmp_path)


@pytest.mark.slow
def test_a_trial_of_a_killed_process_is_failed_and_run_again(tmp_path):
    overrides = ["hpo.method=random", "hpo.n_trials=3", "training.epochs=40", "hpo.batch=3"]
    command = [sys.executable, "-m", "pruneshift", "hpo", "--out", str(tmp_path)]
    for override in overrides:
        command += ["--set", override]
    worker = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = load_config(None, overrides)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if not (tmp_path / "journal.log").exists():
                continue
            running = study_of(config, tmp_path).get_trials(states=(TrialState.RUNNING,))
            if sum("owner" in t.user_attrs for t in running) == 3:
                break
        else:
            pytest.fail("the worker never started a trial")
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    killed = study_of(config, tmp_path).get_trials(states=(TrialState.RUNNING,))
    assert len(killed) == 3  # the three trials train together (hpo.batch)

    summary = run_hpo(config.model_copy(update={"training": config.training.model_copy(
        update={"epochs": 40})}), out=tmp_path)
    study = study_of(config, tmp_path)
    failed = study.get_trials(states=(TrialState.FAIL,))
    assert [t.number for t in failed] == [t.number for t in killed]
    assert all(t.user_attrs[TrialKey.ORPHANED] is True for t in failed)
    assert summary["trials"]["complete"] == 3 and summary["trials"]["running"] == 0
    redone = {ticket_of(t): t for t in study.get_trials(states=(TrialState.COMPLETE,))}
    assert {ticket_of(t): t.params for t in failed} == {k: t.params for k, t in redone.items()}
    sizes = Counter(t.params["batch_size"] for t in redone.values())  # one stack per size
    assert all(t.user_attrs[TrialKey.MEMBERS] == sizes[t.params["batch_size"]]
               for t in redone.values())


def test_a_timeout_ends_the_study_before_its_trial_budget(tmp_path):
    config = load_config(None, ["hpo.method=random", "hpo.n_trials=10000", "hpo.timeout=2",
                                "training.epochs=2"])
    summary = run_hpo(config, out=tmp_path)
    assert 0 < summary["trials"]["complete"] < 10000


def test_an_unclaimed_running_trial_is_failed_only_after_the_grace_period(tmp_path, monkeypatch):
    study = optuna.create_study(storage=open_storage(str(tmp_path / "j.log")), study_name="s")
    study.ask()  # taken, never claimed: its process died in between
    assert _owners.fail_orphans(study) == 0
    monkeypatch.setattr(_owners, "UNCLAIMED_GRACE_S", -1.0)
    assert _owners.fail_orphans(study) == 1
    assert study.trials[0].state == TrialState.FAIL


class Killed(BaseException):
    """A process death in the middle of a trial, after some epochs were reported."""


def _dies_after(objective, epochs):
    def dying(trial):
        reported = []
        report = trial.report

        def report_until_death(value, step):
            if len(reported) == epochs:
                raise Killed
            reported.append(step)
            report(value, step)

        trial.report = report_until_death
        return objective(trial)

    return dying


def _finished_by_ticket(study):
    return {ticket_of(t): (t.state, t.params, t.value)
            for t in study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))}


@pytest.mark.slow
@pytest.mark.parametrize("method", [name for name, m in METHODS.items() if m.searches])
def test_trials_killed_during_hpo_leave_the_study_as_if_uninterrupted(tmp_path, method):
    """Three trials die after reporting some epochs and are redone (new trial numbers, the
    dead ones failed with their reports): every ticket gets the same parameters, the same
    pruning decision and the same value as in the uninterrupted study."""
    config = load_config(SYNTHETIC, [f"hpo.method={method}", "hpo.n_trials=12",
                                     "hpo.n_startup_trials=4"])
    run_hpo(config, out=tmp_path / "whole")
    stage = HPOStage(Run.open(config, tmp_path / "cut"), source_for(config, "cpu"), "cpu")
    steps, deaths = 0, {2: 3, 5: 1, 9: 6}
    while not stage.done():
        stage._objective = stage._build_objective()
        if steps in deaths:
            stage._objective = _dies_after(stage._objective, deaths[steps])
        with contextlib.suppress(Killed):
            stage.step()
        steps += 1
    cut = stage.study
    assert len(cut.get_trials(states=(TrialState.FAIL,))) == len(deaths)
    assert _finished_by_ticket(cut) == _finished_by_ticket(study_of(config, tmp_path / "whole"))


def _dies_while_telling(monkeypatch, tells):
    """A process death after ``tells`` outcomes of a batch were recorded, the rest RUNNING."""
    reached = []

    def reached_until_death(kind):
        if len(reached) == tells:
            raise Killed
        reached.append(kind)

    monkeypatch.setattr(faults, "reached", reached_until_death)


@pytest.mark.slow
@pytest.mark.parametrize("method", [name for name, m in METHODS.items()
                                    if m.searches and not m.stops])
def test_batches_killed_while_training_or_telling_are_redone_as_they_were(tmp_path,
                                                                        monkeypatch, method):
    """Trials proposed and trained three at a time (``hpo.batch``): a batch that dies while
    training, and one that dies after recording one of its three outcomes (the others failed,
    as the orphan sweep fails a dead process's trials), are redone with the hyperparameters
    they were sampled with: every ticket ends as in the uninterrupted study."""
    config = load_config(SYNTHETIC, [f"hpo.method={method}", "hpo.n_trials=12",
                                     "hpo.n_startup_trials=3", "hpo.batch=3"])
    run_hpo(config, out=tmp_path / "whole")
    stage = HPOStage(Run.open(config, tmp_path / "cut"), source_for(config, "cpu"), "cpu")
    steps = 0
    while not stage.done():
        with monkeypatch.context() as patch:
            if steps == 1:
                stage._batch = _dies_after_batch(stage._build_batch())
            if steps == 3:
                _dies_while_telling(patch, tells=1)
            with contextlib.suppress(Killed):
                stage.step()
        for trial in stage.study.get_trials(states=(TrialState.RUNNING,)):
            stage.study.tell(trial.number, state=TrialState.FAIL)
        stage._batch = stage._build_batch()
        steps += 1
    cut = stage.study
    assert len(cut.get_trials(states=(TrialState.FAIL,))) == 3 + 2
    assert _finished_by_ticket(cut) == _finished_by_ticket(study_of(config, tmp_path / "whole"))


def _dies_after_batch(batch):
    def dying(trials):
        batch(trials)
        raise Killed

    return dying


def test_the_sampler_seed_is_32_bits_for_any_ticket_and_seed():
    assert all(0 <= sampler_seed(seed, ticket) < 2 ** 32
               for seed in (0, 7, 2 ** 40) for ticket in (0, 1, 10 ** 6))
    assert sampler_seed(0, 1) != sampler_seed(0, 2) != sampler_seed(1, 1)
    with pytest.raises(ConfigError, match="hpo.seed"):
        load_config(None, ["hpo.seed=-1"])
