"""Storage URL -> Optuna storage, one per process, with passwords kept out of every message.

The local default is an Optuna journal file (``runs/<experiment>/journal.log``): Optuna
recommends JournalFileBackend for several processes on one machine (its file lock makes appends
safe), while SQLite serialises writers on one database lock and Optuna's FAQ advises against it
for parallel optimisation. Any Optuna RDB URL (``postgresql://``, ``mysql://``, ``sqlite:///``)
is taken as is; PostgreSQL is what many machines share.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

import optuna

from .errors import StorageError

JOURNAL_NAME = "journal.log"
_JOURNAL_PREFIX = "journal:"
_CONNECT_TIMEOUT_S = 10


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


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


def open_storage(url: str) -> optuna.storages.BaseStorage:
    """The Optuna storage for ``url``: a journal file, or a database opened once per process."""
    journal = _journal_path(url)
    if journal is None:
        return _open_rdb(url)
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    try:
        journal.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(journal)))
    except (OSError, ValueError) as exc:
        raise StorageError(f"cannot open journal storage {journal}: {exc}") from None


@cache
def _open_rdb(url: str) -> optuna.storages.RDBStorage:
    """One RDBStorage (and so one connection pool) per URL and process."""
    engine_kwargs: dict = {}
    if not url.startswith("sqlite"):
        engine_kwargs = {"pool_pre_ping": True}
        if url.startswith("postgresql"):
            engine_kwargs["connect_args"] = {"connect_timeout": _CONNECT_TIMEOUT_S}
    try:
        return optuna.storages.RDBStorage(_rdb_url(url), engine_kwargs=engine_kwargs)
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


def artifact_store(run_dir: Path) -> optuna.artifacts.FileSystemArtifactStore:
    """Checkpoints live as Optuna artifacts in ``<run_dir>/artifacts``."""
    from optuna.artifacts import FileSystemArtifactStore

    folder = Path(run_dir) / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return FileSystemArtifactStore(str(folder))
