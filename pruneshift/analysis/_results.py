"""The analysis's results as typed records; results.json is their one serialisation.

Every record is a pydantic model: the analysis builds them, the report and the terminal read
their attributes, and ``Results.to_json`` / ``Results.from_json`` write and read results.json
(documented field by field in docs/results.md). A field that does not apply is None (null in
JSON), never left out, so a renamed field fails loudly instead of reading as missing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import model_serializer, model_validator

from ..config import AnalysisConfig
from ..errors import StorageError
from ..search import Axis, Grid
from ._actions import Deployment, Recipe, Transfer
from ._claims import Answer, RatioShift, Settlement, Threshold, Verdict
from ._record import Record


class Efficiency(Record):
    param_count: int
    macs: int
    latency_ms: float | None = None
    size_bytes: int | None = None


class Cells(Record):
    complete: int
    expected: int
    duplicates: int


class BestPoint(Record):
    params: dict[str, Any]
    value: float | None
    test_accuracy: float | None


class Importance(Record):
    fanova: float | None
    ped_anova: float | None


class RatioResult(Record):
    """Everything about one pruning ratio; ``comparison`` is None where the analysis could not
    compare it (no dense grid yet, or every run diverged). In JSON the comparison's fields sit
    in the ratio's entry itself."""

    ratio: float
    efficiency: Efficiency | None
    channel_ratio: float | None
    reductions: dict[str, float] | None
    macs_fraction: float | None
    cells: Cells
    best: BestPoint | None
    value_at_dense_optimum: float | None
    importance: dict[str, Importance]
    recipe: Recipe | None
    deployment: Deployment | None
    settle: Settlement | None = None  # the settle stage (None where it did not run)
    answer: Answer | None = None  # keep or re-tune, with the regret's interval (None at 0)
    comparison: RatioShift | None = None

    def cost(self, kind: str) -> float | None:
        """What this ratio's model costs, by a budget's name (``catalog.BUDGETS``): latency and
        size as deployed in ONNX Runtime, else as measured on the pruned reference."""
        eff, onnx = self.efficiency, self.deployment and self.deployment.onnx
        if kind == "latency_ms":
            deployed = self.deployment.latency_ms(1) if self.deployment else None
            return deployed if deployed is not None else eff and eff.latency_ms
        if kind == "size_bytes":
            return onnx.size_bytes if onnx else eff and eff.size_bytes
        return eff and getattr(eff, kind)

    @model_validator(mode="before")
    @classmethod
    def _gather_comparison(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "comparison" in data:
            return data
        own = {k: v for k, v in data.items() if k in cls.model_fields}
        compared = {k: v for k, v in data.items() if k not in cls.model_fields}
        return {**own, "comparison": compared if compared.get("distances") else None}

    @model_serializer(mode="wrap")
    def _spread_comparison(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        compared = data.pop("comparison")
        return {**data, **(compared or dict.fromkeys(RatioShift.model_fields))}


class BudgetChoice(Record):
    """The best ratio under the user's budget (``analysis.budget``): the most accurate
    re-tuned model whose every cost stays within it."""

    budget: dict[str, float]
    ratio: float | None  # None: no ratio fits the budget
    accuracy: float | None  # its re-tuned mean validation accuracy
    kept_accuracy: float | None  # its accuracy with the dense hyperparameters kept
    costs: dict[str, float | None]  # its costs, by the budget's names


class Noise(Record):
    seed_std: float | None
    available: bool


class DistributionSettings(Record):
    normalisation: str
    temperature: float
    top_delta: float


class Results(Record):
    """A run's results: what results.json holds."""

    experiment: str
    grid: dict[str, Any]
    hpo_optimum: dict[str, Any]
    dense_optimum: dict[str, Any] | None
    reference: dict[str, Any] | None
    noise: Noise
    distribution: DistributionSettings
    analysis: AnalysisConfig  # the settings the analysis ran with (analyze may change them)
    ratios: dict[float, RatioResult]
    threshold: Threshold | None
    verdict: Verdict | None
    transfer: Transfer | None
    choice: BudgetChoice | None  # None without a budget
    config: dict[str, Any]
    environment: dict[str, Any] | None = None
    signature: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _ratios_by_value(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("ratios"), dict):
            data = {**data, "ratios": {float(k): v for k, v in data["ratios"].items()}}
        return data

    @property
    def alpha(self) -> float:
        return self.analysis.alpha

    @property
    def epsilon(self) -> float:
        return self.analysis.epsilon

    def axes(self) -> tuple[Axis, ...]:
        """The grid's axes, in order."""
        return Grid.from_dict(self.grid).axes

    def compared(self) -> Iterator[tuple[RatioResult, RatioShift]]:
        """The pruned ratios the analysis compared with the dense one, with the comparison."""
        for entry in self.ratios.values():
            if entry.ratio > 0 and entry.comparison is not None:
                yield entry, entry.comparison

    def to_json(self) -> dict[str, Any]:
        """results.json's content: plain JSON, ratios keyed as "0.5", NaN and inf as null."""
        data = self.model_dump(mode="json")
        data["ratios"] = {f"{ratio:g}": entry for ratio, entry in
                          zip(self.ratios, data["ratios"].values(), strict=True)}
        return _finite(data)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Results:
        return cls.model_validate(data)


def read_results(run_dir: Path) -> Results:
    """A run folder's results.json, as this version's results; a clear error where it is
    missing or of another schema (``pruneshift report`` writes it again from the storage)."""
    path = Path(run_dir) / "results.json"
    if not path.exists():
        raise StorageError(f"{path} does not exist: finish the study with `pruneshift run`, or "
                           f"write it with `pruneshift report {run_dir}`")
    try:
        return Results.from_json(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        raise StorageError(f"{path} is not readable as results of this pruneshift ({reason}); "
                           f"`pruneshift report {run_dir}` writes it again") from None


def _finite(value: Any) -> Any:
    """JSON-safe: numpy numbers become Python ones, NaN and inf become None."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(value) else float(value)
    return value
