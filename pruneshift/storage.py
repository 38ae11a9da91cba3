"""Storage URL -> Optuna storage, one per process, with passwords kept out of every message.

The local default is an Optuna journal file (``runs/<experiment>/journal.log``): Optuna
recommends JournalFileBackend for several processes on one machine (its file lock makes appends
safe), while SQLite serialises writers on one database lock and Optuna's FAQ advises against it
for parallel optimisation. Any Optuna RDB URL (``postgresql://``, ``mysql://``, ``sqlite:///``)
is taken as is; PostgreSQL is what many machines share.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import re
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import optuna
from optuna.storages.journal import JournalFileBackend, JournalStorage
from optuna.storages.journal._file import BaseJournalFileLock

from .errors import StorageError

T = TypeVar("T")
JOURNAL_NAME = "journal.log"
_JOURNAL_PREFIX = "journal:"
_CONNECT_TIMEOUT_S = 10


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``: in the user part (also without a user
    name) and in query parameters (``?password=``)."""
    url = re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
    return re.sub(r"([?&][^=&]*password=)[^&]*", r"\1***", url, flags=re.IGNORECASE)


def default_storage_url(run_dir: Path) -> str:
    """The journal file inside the run folder."""
    return f"{_JOURNAL_PREFIX}{Path(run_dir) / JOURNAL_NAME}"


def _journal_path(url: str) -> Path | None:
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
    journal = _journal_path(url)
    if journal is None:
        return _open_rdb(url, heartbeat_interval, grace_period)
    try:
        journal.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(_PatientJournalFile(str(journal)))
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot open journal storage {journal}: {exc}") from None


REREAD_DELAYS_S = (0.1, 0.5, 1)  # an append in flight finishes in milliseconds
LOCK_SUFFIX = ".flock"
TAIL_BLOCK = 1 << 20  # a journal line is far shorter


class KernelFileLock(BaseJournalFileLock):
    """An exclusive ``flock`` on a file, which the kernel releases when its holder dies.

    A process killed while holding it (SIGKILL, power loss) leaves nothing behind that a rerun
    must wait out or break by hand; on NFS the server's lock lease does the same. Threads of one
    process take turns.
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._threads = threading.Lock()
        self._fd: int | None = None

    def acquire(self) -> bool:
        self._threads.acquire()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        finally:
            self._threads.release()


class _PatientJournalFile(JournalFileBackend):
    """Optuna's journal file, safe against a writer killed mid-line and a reader mid-append.

    Appends hold a kernel lock (``KernelFileLock``); under it, a last line without its newline
    can only be the torn write of a dead process, and is cut off before the next entry would
    glue onto it. Optuna reads the file without its lock, so now and then a reader sees a line
    in flight and fails (optuna/optuna#5138): the read stops there, waits, and goes on from
    that line; a line that stays unreadable is a StorageError naming the file.
    """

    def __init__(self, file_path: str):
        super().__init__(file_path, lock_obj=KernelFileLock(file_path + LOCK_SUFFIX))

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        lines = "".join(json.dumps(log, separators=(",", ":")) + "\n" for log in logs)
        self._lock.acquire()
        try:
            with open(self._file_path, "rb+") as journal:
                _cut_torn_tail(journal)
                journal.seek(0, os.SEEK_END)
                journal.write(lines.encode("utf-8"))
                journal.flush()
                os.fsync(journal.fileno())
        finally:
            self._lock.release()

    def read_logs(self, log_number_from: int) -> Iterator[dict[str, Any]]:
        for delay in (*REREAD_DELAYS_S, None):
            try:
                for log in super().read_logs(log_number_from):
                    yield log
                    log_number_from += 1
                return
            except ValueError as exc:  # JSON, encoding, or Optuna's "Invalid log format."
                if delay is None:
                    raise StorageError(
                        f"journal line unreadable in {self._file_path} (entry "
                        f"{log_number_from}), still after {len(REREAD_DELAYS_S)} re-reads: "
                        f"{exc}") from None
                time.sleep(delay)


def _cut_torn_tail(journal: Any) -> None:
    """Truncate ``journal`` after its last newline (a torn last line was never complete)."""
    size = journal.seek(0, os.SEEK_END)
    if size == 0:
        return
    journal.seek(size - 1)
    if journal.read(1) == b"\n":
        return
    start = max(0, size - TAIL_BLOCK)
    journal.seek(start)
    newline = journal.read(size - start).rfind(b"\n")
    journal.truncate(start + newline + 1 if newline >= 0 else start)


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
    engine_kwargs: dict = {}
    if not url.startswith("sqlite"):
        engine_kwargs = {"pool_pre_ping": True}
        if url.startswith("postgresql"):
            engine_kwargs["connect_args"] = {"connect_timeout": _CONNECT_TIMEOUT_S}
    try:
        return _create_rdb(_rdb_url(url), engine_kwargs, heartbeat_interval, grace_period)
    except StorageError:
        raise
    except Exception as exc:  # SQLAlchemy and driver errors have many types; all mean "unreachable"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StorageError(f"cannot open storage {redact(url)}: {redact(reason)}") from None


def hpo_study_name(experiment: str) -> str:
    """Stage 1's study: the HPO trials of the dense model."""
    return f"{experiment}/hpo"


def stages_study_name(experiment: str) -> str:
    """The study whose attributes hold stage results: grid, reference, pruned models."""
    return f"{experiment}/stages"


def ratio_key(ratio: float) -> str:
    """A ratio as written in names and keys: 0, 0.25, 0.5, ..."""
    return f"{ratio:g}"


def grid_study_name(experiment: str, ratio: float) -> str:
    """The grid's study at one pruning ratio (0 is the dense model)."""
    return f"{experiment}/grid/r={ratio_key(ratio)}"


def artifact_store(location: str | None, run_dir: Path) -> Any:
    """Where checkpoints live as Optuna artifacts.

    ``None``: ``<run_dir>/artifacts``; a path: that folder (shared by workers on several
    machines, e.g. over NFS); ``s3://bucket``: Optuna's S3 store (needs boto3).
    """
    from optuna.artifacts import Boto3ArtifactStore, FileSystemArtifactStore

    if location is not None and location.startswith("s3://"):  # bucket checked by the config
        bucket = location.removeprefix("s3://").strip("/")
        if importlib.util.find_spec("boto3") is None:
            raise StorageError("workers.artifacts on S3 needs boto3: pip install boto3")
        return Boto3ArtifactStore(bucket)
    folder = Path(location) if location is not None else Path(run_dir) / "artifacts"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot use artifact folder {folder}: {exc.strerror}") from None
    return FileSystemArtifactStore(str(folder))


def queue_lock_for(url: str, storage: optuna.storages.BaseStorage,
                   name: str) -> contextlib.AbstractContextManager:
    """A lock that serialises enqueuing across the processes sharing ``storage``.

    A kernel file lock next to a journal or SQLite file (one machine, or NFS; released when
    its holder dies); a PostgreSQL advisory lock otherwise (released by the server when its
    holder's connection dies). Other databases get no lock: concurrent enqueuing may then
    duplicate a unit, which the analysis counts once and reports.
    """
    journal = _journal_path(url)
    if journal is None and url.startswith("sqlite:///"):
        journal = Path(url.removeprefix("sqlite:///"))
    if journal is not None:
        tag = f"{zlib.crc32(name.encode()):08x}"
        return _file_lock(journal.with_name(f"{journal.name}.{tag}{LOCK_SUFFIX}"))
    if url.startswith("postgresql") and isinstance(storage, optuna.storages.RDBStorage):
        return _advisory_lock(storage, zlib.crc32(name.encode()))
    return contextlib.nullcontext()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    lock = KernelFileLock(path)
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _advisory_lock(storage: optuna.storages.RDBStorage, key: int) -> Iterator[None]:
    from sqlalchemy import text

    with storage.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


RETRY_DELAYS_S = (1, 2, 4, 8, 16, 32)  # about a minute in all


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be reached (worth retrying)."""
    import sqlalchemy.exc

    return isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError |
                      optuna.exceptions.StorageInternalError)


def retrying(action: Callable[[], T], url: str, delays: tuple[float, ...] = RETRY_DELAYS_S,
             on_retry: Callable[[str], None] | None = None) -> T:
    """Run ``action``; on a lost database connection retry with back-off, then fail clearly."""
    for delay in (*delays, None):
        try:
            return action()
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            reason = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else
                            type(exc).__name__)
            if delay is None:
                raise StorageError(f"lost the connection to {redact(url)} and could not get it "
                                   f"back after {len(delays)} retries: {reason}") from None
            if on_retry is not None:
                on_retry(f"database connection lost ({reason}); retrying in {delay} s")
            time.sleep(delay)
    raise AssertionError("unreachable")


def public_config(config: Any) -> dict[str, Any]:
    """The config as stored and reported: the storage URL with its password redacted."""
    dumped = config.model_dump(mode="json")
    if dumped.get("storage"):
        dumped["storage"] = redact(dumped["storage"])
    return dumped
