"""The lock that serialises enqueuing among the processes sharing a storage."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
from pathlib import Path

import optuna

from ..storage import LOCK_SUFFIX, KernelFileLock, journal_path


def queue_lock_for(url: str, storage: optuna.storages.BaseStorage,
                   name: str) -> contextlib.AbstractContextManager:
    """A lock that serialises enqueuing across the processes sharing ``storage``.

    A kernel file lock next to a journal or SQLite file (one machine, or NFS; released when
    its holder dies); a PostgreSQL advisory lock otherwise (released by the server when its
    holder's connection dies). Other databases get no lock: concurrent enqueuing may then
    duplicate a unit, which the analysis counts once and reports.
    """
    journal = journal_path(url)
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


