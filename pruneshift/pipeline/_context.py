"""One run of an experiment: its config, folder, storage, and the studies inside it."""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import optuna

from ..config import ExperimentConfig, fingerprint, fingerprint_differences
from ..errors import ConfigError, StorageError
from ..queue import queue_lock_for
from ..storage import (
    JOURNAL_NAME,
    SCHEMA_VERSION,
    StudyKey,
    artifact_store,
    check_schema,
    default_storage_url,
    experiments_in,
    open_storage,
    public_config,
    redact,
)

RUNS_ROOT = Path("runs")


def run_dir_for(config: ExperimentConfig, out: Path | None = None) -> Path:
    """The run folder: ``out`` if given, else ``runs/<experiment>``."""
    return Path(out) if out is not None else RUNS_ROOT / config.slug


def usable_run_dir(run_dir: Path) -> Path:
    """``run_dir``, created if missing; a ConfigError naming it if it cannot hold a run."""
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"run folder {run_dir} is a file, not a folder; choose another --out")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create run folder {run_dir}: {exc.strerror or exc}; choose "
                          "another --out") from None
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise ConfigError(f"run folder {run_dir} is not writable; choose another --out")
    return run_dir


def storage_url_for(config: ExperimentConfig, run_dir: Path, override: str | None = None) -> str:
    """``--storage`` beats the config's ``storage``, which beats the run folder's journal file."""
    return override or config.storage or default_storage_url(run_dir)


@dataclass
class Run:
    """Where an experiment's state lives, and access to its studies and artifacts."""

    config: ExperimentConfig
    run_dir: Path
    url: str
    _studies: dict[str, optuna.Study] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, config: ExperimentConfig, out: Path | None = None,
             storage: str | None = None) -> Run:
        run_dir = usable_run_dir(run_dir_for(config, out))
        return cls(config, run_dir, storage_url_for(config, run_dir, storage))

    @contextlib.contextmanager
    def discarded_if_left_empty(self):
        """On an error, remove the run folder if nothing was written into it (what fails
        before the first trial leaves no empty folder behind)."""
        try:
            yield
        except BaseException:
            with contextlib.suppress(OSError):
                if not any(self.run_dir.iterdir()):
                    self.run_dir.rmdir()
            raise

    @cached_property
    def storage(self) -> optuna.storages.BaseStorage:
        workers = self.config.workers
        return open_storage(self.url, workers.heartbeat_interval, workers.grace_period)

    @cached_property
    def artifacts(self) -> Any:
        return artifact_store(self.config.workers.artifacts, self.run_dir)

    @property
    def lock(self) -> contextlib.AbstractContextManager:
        """Serialises enqueuing among the workers sharing this experiment."""
        return queue_lock_for(self.url, self.storage, self.config.experiment)

    def study(self, name: str, sections: tuple[str, ...]) -> optuna.Study:
        """Create or load a study, refusing one whose settings in ``sections`` have changed."""
        if name in self._studies:
            return self._studies[name]
        study = optuna.create_study(storage=self.storage, study_name=name,
                                    direction="maximize", load_if_exists=True)
        current = fingerprint(self.config, sections)
        attrs = study.user_attrs
        stored = attrs.get(StudyKey.FINGERPRINT)
        if stored is None:
            study.set_user_attr(StudyKey.SCHEMA, SCHEMA_VERSION)
            study.set_user_attr(StudyKey.FINGERPRINT, current)
            study.set_user_attr(StudyKey.CONFIG, public_config(self.config))
            self._studies[name] = study
            return study
        check_schema(name, attrs)
        if stored != current:
            changes = fingerprint_differences(stored, current)
            raise ConfigError(f"study '{name}' in {redact(self.url)} was made with other "
                              f"settings ({'; '.join(changes)}); restore them or choose another "
                              "experiment name")
        self._studies[name] = study
        return study


def locate_run(run_dir: Path, storage: str | None = None, experiment: str | None = None
               ) -> tuple[str, str, set[str]]:
    """The storage of a run folder (or ``storage``), the experiment in it (the only one, or
    ``experiment`` among several) and the names of the storage's studies."""
    url = storage or default_storage_url(run_dir)
    if storage is None and not (Path(run_dir) / JOURNAL_NAME).exists():
        raise StorageError(f"{run_dir} holds no {JOURNAL_NAME}; pass --storage URL for a run "
                           "stored elsewhere")
    summaries = optuna.get_all_study_summaries(open_storage(url), include_best_trial=False)
    names = {s.study_name for s in summaries}
    experiments = experiments_in(names)
    if experiment in experiments or (experiment is None and len(experiments) == 1):
        return url, experiment or experiments[0], names
    if not experiments:
        raise StorageError(f"no experiment in {redact(url)} yet: run `pruneshift run` first")
    if experiment is None:
        raise StorageError(f"{redact(url)} holds several experiments ({', '.join(experiments)});"
                           " name one with --experiment")
    raise StorageError(f"no experiment '{experiment}' in {redact(url)}; it holds: "
                       f"{', '.join(experiments)}")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write JSON atomically: a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
