"""Where checkpoints live: Optuna artifact stores on a folder or S3."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from ..errors import StorageError


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
