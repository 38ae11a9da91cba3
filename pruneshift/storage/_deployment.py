"""A ratio's deployed model, as stored and as results.json reports it: one record, one owner.

Stored as the stages study's attribute ``deployed/<ratio>`` (``as_stored``) and read back
(``read``) by the analysis, which reports it unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import StorageError


def file_digest(path: Path) -> str:
    """A file's SHA-256, hex."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Timing(_Part):
    """Milliseconds per forward pass of ``batch`` inputs on one CPU thread."""

    batch: int
    median_ms: float
    p90_ms: float


class Export(_Part):
    """A deployed model in one runtime's format (ONNX, LiteRT): its file, how closely the
    runtime follows PyTorch on the validation split, and its latency there."""

    file: str  # relative to the run folder
    size_bytes: int
    sha256: str | None = None  # the file's digest, so a report can tell it is the one recorded
    max_abs_diff: float  # largest |logit difference| to PyTorch
    agreement: float  # share of validation examples with the same predicted class
    timings: list[Timing]


class Deployment(_Part):
    """A ratio's model trained with the ratio's recipe, kept, exported and timed. Where
    something is missing (no ONNX stack installed, no point that trained), ``note`` says why."""

    artifact_id: str | None  # the trained weights (an Optuna artifact of the stages study)
    params: dict[str, Any] | None  # the hyperparameters it was trained with: the recipe's
    seed: int | None = None
    trained: str | None = None  # "settle": the settle stage's run on its first seed, reused;
    # "alone": trained for deployment
    val_accuracy: float | None = None
    test_accuracy: float | None = None
    expected_test: float | None = None  # the recipe's mean test accuracy over fresh seeds
    expected_spread: float | None = None  # one run's standard deviation around it
    grid_val_accuracy: float | None = None  # the same cell in the grid, where it is one
    torch: list[Timing] | None = None  # PyTorch eager
    onnx: Export | None = None
    litert: Export | None = None
    note: str | None = None

    def latency_ms(self, batch: int = 1) -> float | None:
        """Median ONNX Runtime latency at ``batch`` (None without an export)."""
        timings = self.onnx.timings if self.onnx is not None else []
        return next((t.median_ms for t in timings if t.batch == batch), None)

    def as_stored(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def read(cls, stored: dict[str, Any]) -> Deployment:
        """The stored record; a damaged one is a one-line StorageError naming the field."""
        try:
            return cls.model_validate(stored)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the record"
            raise StorageError(f"a stored Deployment is damaged at {where}: {first['msg']}; "
                               "the storage was altered or written by another program") from None
