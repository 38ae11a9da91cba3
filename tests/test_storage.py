
import logging

import optuna
import pytest

import pruneshift.storage._journal as journal_module
from pruneshift.config import load_config
from pruneshift.errors import StorageError
from pruneshift.optuna_private import RDB_LOGGER
from pruneshift.pipeline import run_hpo
from pruneshift.storage import database_reason, default_storage_url, open_storage, redact


def test_redact_hides_passwords_only():
    assert redact("postgresql://ann:s3cr:et@db:5432/x") == "postgresql://ann:***@db:5432/x"
    assert redact("postgresql://ann@db/x") == "postgresql://ann@db/x"
    assert redact("journal:runs/a/journal.log") == "journal:runs/a/journal.log"
    assert redact("postgresql://:pw@db/x") == "postgresql://:***@db/x"
    assert redact("postgresql://db/x?user=ann&password=pw&sslmode=require") == \
        "postgresql://db/x?user=ann&password=***&sslmode=require"
    assert redact("postgresql://db/x?PASSWORD=pw") == "postgresql://db/x?PASSWORD=***"


def test_default_storage_is_a_journal_file_in_the_run_folder(tmp_path, tiny_overrides):
    run_hpo(load_config(None, [*tiny_overrides, "hpo.n_trials=1"]), out=tmp_path)
    assert (tmp_path / "journal.log").stat().st_size > 0
    storage = open_storage(default_storage_url(tmp_path))
    assert [s.study_name for s in optuna.get_all_study_summaries(storage)] == ["default/hpo"]


def test_a_plain_path_and_a_sqlite_url_are_storages_too(tmp_path, tiny_overrides):
    config = load_config(None, [*tiny_overrides, "hpo.n_trials=1"])
    for url in (str(tmp_path / "elsewhere.log"), f"sqlite:///{tmp_path / 'db.sqlite3'}"):
        summary = run_hpo(config, out=tmp_path / "out", storage=url)
        assert summary["trials"]["complete"] == 1 and summary["storage"] == url


def test_an_unreachable_database_is_a_one_line_error_without_the_password():
    with pytest.raises(StorageError) as info:
        open_storage("postgresql://ann:hunter2@127.0.0.1:9/nothing")
    message = str(info.value)
    assert "hunter2" not in message and "postgresql://ann:***@127.0.0.1:9/nothing" in message
    assert "\n" not in message


def _dropped_connection():
    import sqlalchemy.exc

    return sqlalchemy.exc.OperationalError(
        "SELECT trials.trial_id FROM trials WHERE trials.trial_id IN (%(p_1)s, %(p_2)s)",
        {"p_1": 1, "p_2": 2}, Exception("server closed the connection unexpectedly"))


def test_a_lost_connection_is_named_by_its_cause_without_the_sql():
    try:
        try:
            raise _dropped_connection()
        except Exception as cause:
            raise optuna.exceptions.StorageInternalError(
                "An exception is raised during the commit.") from cause
    except optuna.exceptions.StorageInternalError as exc:
        reason = database_reason(exc)
    assert reason == "(builtins.Exception) server closed the connection unexpectedly"


def test_optuna_s_database_warnings_leave_the_sql_out(tmp_path, caplog):
    open_storage(f"sqlite:///{tmp_path / 'x.db'}")
    with caplog.at_level("WARNING", logger=RDB_LOGGER):
        logging.getLogger(RDB_LOGGER).warning(
            f"Caught an error from sqlalchemy: {_dropped_connection()!s}. Falling back.")
    [line] = caplog.messages
    assert "SELECT" not in line and "p_1" not in line and line.endswith("(SQL left out)")
    assert "server closed the connection unexpectedly" in line


def test_hpo_runs_and_resumes_on_postgresql(tmp_path, tiny_overrides, postgres_url):
    config = load_config(None, [*tiny_overrides, "hpo.n_trials=2"])
    first = run_hpo(config, out=tmp_path, storage=postgres_url)
    second = run_hpo(config, out=tmp_path, storage=postgres_url)
    assert first["trials"]["complete"] == 2 and second["trials"] == first["trials"]
    assert not (tmp_path / "journal.log").exists()


def _journal_with_a_study(tmp_path):
    url = default_storage_url(tmp_path)
    study = optuna.create_study(study_name="s", storage=open_storage(url))
    for value in (1.0, 2.0):
        study.enqueue_trial({"x": value})
    return url, tmp_path / "journal.log"


def test_a_journal_line_read_mid_write_is_read_again(tmp_path, monkeypatch):
    url, journal = _journal_with_a_study(tmp_path)
    reader = optuna.load_study(study_name="s", storage=open_storage(url))
    assert len(reader.trials) == 2
    seen = journal.stat().st_size
    optuna.load_study(study_name="s", storage=open_storage(url)).enqueue_trial({"x": 3.0})
    whole = journal.read_bytes()
    torn = b'"state":1}\n'  # the tail of a line, as a read racing its append saw it
    journal.write_bytes(whole[:seen] + torn + whole[seen:])
    pauses = []

    def writer_finishes(seconds):
        pauses.append(seconds)
        journal.write_bytes(whole)

    monkeypatch.setattr(journal_module.time, "sleep", writer_finishes)
    assert len(reader.get_trials()) == 3  # the same storage goes on from the torn line
    assert len(pauses) == 1


def test_a_journal_that_stays_unreadable_is_a_one_line_error_naming_it(tmp_path, monkeypatch):
    url, journal = _journal_with_a_study(tmp_path)
    first, rest = journal.read_bytes().split(b"\n", 1)
    journal.write_bytes(first + b"\nnot json\n" + rest)
    monkeypatch.setattr(journal_module.time, "sleep", lambda _seconds: None)
    with pytest.raises(StorageError) as info:
        open_storage(url)
    message = str(info.value)
    assert "journal line unreadable" in message and str(journal) in message
    assert "\n" not in message
