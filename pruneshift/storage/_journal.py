"""The journal file: Optuna's JournalFileBackend under a kernel lock, safe against a writer
killed mid-line and a reader mid-append."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from optuna.storages.journal import JournalFileBackend

from ..errors import StorageError
from ..optuna_private import BaseJournalFileLock

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


class PatientJournalFile(JournalFileBackend):
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
