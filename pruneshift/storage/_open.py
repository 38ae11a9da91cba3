"""Storage URL -> Optuna storage (a journal file or a database), one per process, with
passwords kept out of every message."""

from __future__ import annotations

import importlib.util
import logging
import re
import time
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import optuna
from optuna.storages.journal import JournalStorage

from ..errors import StorageError
from ..optuna_private import RDB_LOGGER
from ._journal import PatientJournalFile

JOURNAL_NAME = "journal.log"
_JOURNAL_PREFIX = "journal:"
# Bounded waits on PostgreSQL (libpq settings): a connection attempt gives up after 10 s, and a
# connection whose data goes unacknowledged for 10 s (a silent partition: packets held, no
# reset) or whose idle keepalives go unanswered is dropped, so a worker retries within seconds
# instead of hanging until the network resets.
POSTGRES_TIMEOUTS = {"connect_timeout": 10, "tcp_user_timeout": 10_000, "keepalives": 1,
                     "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``: in the user part (also without a user
    name) and in query parameters (``?password=``)."""
    url = re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
    return re.sub(r"([?&][^=&]*password=)[^&]*", r"\1***", url, flags=re.IGNORECASE)


def database_reason(exc: BaseException) -> str:
    """What went wrong with a database, in one line: the cause behind Optuna's generic "invalid
    data in the commit" message, without the SQL statement and its values, passwords redacted."""
    while isinstance(exc, optuna.exceptions.StorageInternalError) and exc.__cause__ is not None:
        exc = exc.__cause__
    text = str(exc).strip()
    return redact(text.splitlines()[0] if text else type(exc).__name__)


class _WithoutSQL(logging.Filter):
    """Optuna's log lines that quote a database error, cut to their first line: no SQL
    statement, no bound values (a worker's stderr is no place for 74 of them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "\n[SQL:" in message or "\n[parameters:" in message:
            record.msg, record.args = f"{redact(message.splitlines()[0])} (SQL left out)", None
        return True


def default_storage_url(run_dir: Path) -> str:
    """The journal file inside the run folder."""
    return f"{_JOURNAL_PREFIX}{Path(run_dir) / JOURNAL_NAME}"


def journal_path(url: str) -> Path | None:
    """The file behind a journal URL or a bare path; None for an RDB URL."""
    if url.startswith(_JOURNAL_PREFIX):
        return Path(url[len(_JOURNAL_PREFIX):].removeprefix("//"))
    if "://" not in url:
        return Path(url)
    return None


def _rdb_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` when psycopg2 is not installed."""
    if url.startswith("postgresql://") and importlib.util.find_spec("psycopg2") is None:
        if importlib.util.find_spec("psycopg") is None:
            raise StorageError("a PostgreSQL storage needs a driver: "
                               "pip install 'pruneshift[postgres]'")
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def open_storage(url: str, heartbeat_interval: int | None = None,
                 grace_period: int | None = None) -> optuna.storages.BaseStorage:
    """The Optuna storage for ``url``: a journal file, or a database opened once per process.

    Database storages record trial heartbeats every ``heartbeat_interval`` seconds when it is
    given; a trial silent for ``grace_period`` seconds counts as abandoned.
    """
    journal = journal_path(url)
    if journal is None:
        return _open_rdb(url, heartbeat_interval, grace_period)
    try:
        journal.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(PatientJournalFile(str(journal)))
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot open journal storage {journal}: {exc}") from None


CREATION_RETRIES = 5


def _create_rdb(url: str, engine_kwargs: dict, heartbeat_interval: int | None,
                grace_period: int | None) -> optuna.storages.RDBStorage:
    """RDBStorage, retried when workers starting together race to create its tables."""
    import sqlalchemy.exc

    for attempt in range(CREATION_RETRIES):
        try:
            with warnings.catch_warnings():  # heartbeats are experimental in Optuna
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs,
                                                  heartbeat_interval=heartbeat_interval,
                                                  grace_period=grace_period)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
            if attempt == CREATION_RETRIES - 1:
                raise
            time.sleep(0.5 * (attempt + 1))  # another worker is creating the tables
    raise AssertionError("unreachable")


@cache
def _open_rdb(url: str, heartbeat_interval: int | None = None,
              grace_period: int | None = None) -> optuna.storages.RDBStorage:
    """One RDBStorage (and so one connection pool) per URL and process."""
    if not any(isinstance(f, _WithoutSQL) for f in logging.getLogger(RDB_LOGGER).filters):
        logging.getLogger(RDB_LOGGER).addFilter(_WithoutSQL())
    engine_kwargs: dict = {}
    if not url.startswith("sqlite"):
        engine_kwargs = {"pool_pre_ping": True}
        if url.startswith("postgresql"):
            engine_kwargs["connect_args"] = POSTGRES_TIMEOUTS
    try:
        return _create_rdb(_rdb_url(url), engine_kwargs, heartbeat_interval, grace_period)
    except StorageError:
        raise
    except Exception as exc:  # SQLAlchemy and driver errors have many types; all mean "unreachable"
        raise StorageError(f"cannot open storage {redact(url)}: {database_reason(exc)}") from None


def public_config(config: Any) -> dict[str, Any]:
    """The config as stored and reported: the storage URL with its password redacted."""
    dumped = config.model_dump(mode="json")
    if dumped.get("storage"):
        dumped["storage"] = redact(dumped["storage"])
    return dumped
