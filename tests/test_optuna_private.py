"""Every use of Optuna's private API, checked against the installed Optuna: an upgrade that moves
one fails here, by name, instead of in a running study."""

import inspect
import re
from pathlib import Path

import optuna

from pruneshift import optuna_private
from pruneshift.search._methods import TicketHyperbandPruner
from pruneshift.storage import open_storage

SOURCE = Path(optuna_private.__file__).parent


def test_a_study_s_storage_and_a_trial_s_id_are_reachable(tmp_path):
    study = optuna.create_study(storage=open_storage(str(tmp_path / "journal.log")))
    trial = study.ask()
    storage = optuna_private.storage_of(study)
    assert isinstance(storage, optuna.storages.BaseStorage)
    assert storage.get_trial(optuna_private.trial_id(trial)).number == trial.number


def test_an_enqueued_trial_s_parameters_are_read_back(tmp_path):
    study = optuna.create_study(storage=open_storage(str(tmp_path / "journal.log")))
    study.enqueue_trial({"lr": 0.1, "depth": 3})
    def stored(trial):
        return optuna_private.storage_of(study).get_trial(optuna_private.trial_id(trial))

    assert optuna_private.enqueued_params(stored(study.ask())) == {"lr": 0.1, "depth": 3}
    assert optuna_private.enqueued_params(stored(study.ask())) == {}


def test_the_database_storage_logs_through_the_named_logger():
    from optuna.storages._rdb import storage

    assert storage._logger.name == optuna_private.RDB_LOGGER


def test_whether_a_storage_keeps_heartbeats_is_answered(tmp_path):
    url = f"sqlite:///{tmp_path / 'beats.db'}"
    beating = optuna.create_study(storage=open_storage(url, heartbeat_interval=5,
                                                       grace_period=10))
    silent = optuna.create_study(storage=open_storage(str(tmp_path / "journal.log")))
    assert optuna_private.keeps_heartbeats(beating)
    assert not optuna_private.keeps_heartbeats(silent)


def test_a_database_storage_s_grace_period_is_read(tmp_path):
    def study(url, **heartbeats):
        return optuna.create_study(storage=open_storage(url, **heartbeats))

    database = f"sqlite:///{tmp_path / 'beats.db'}"
    assert optuna_private.grace_period_of(study(database, heartbeat_interval=5,
                                                grace_period=12)) == 12.0
    assert optuna_private.grace_period_of(study(database, heartbeat_interval=5)) == 10.0
    assert optuna_private.grace_period_of(study(str(tmp_path / "journal.log"))) is None


def test_the_journal_lock_interface_is_acquire_and_release():
    lock = optuna_private.BaseJournalFileLock
    assert {"acquire", "release"} <= set(lock.__abstractmethods__)


def test_hyperband_still_asks_the_overridden_bracket_method():
    method = optuna.pruners.HyperbandPruner._get_bracket_id
    assert list(inspect.signature(method).parameters) == ["self", "study", "trial"]
    assert "_get_bracket_id" in vars(TicketHyperbandPruner)
    assert "_get_bracket_id(" in inspect.getsource(optuna.pruners.HyperbandPruner.prune)


def test_no_other_module_reaches_past_optuna_s_public_api():
    private = re.compile(r"\._storage\b|\._trial_id\b|from optuna\S*\._\w+ import|"
                         r"import optuna\S*\._\w+|system_attrs")
    offenders = [str(path.relative_to(SOURCE)) for path in SOURCE.rglob("*.py")
                 if path.name != "optuna_private.py" and private.search(path.read_text())]
    assert offenders == []
