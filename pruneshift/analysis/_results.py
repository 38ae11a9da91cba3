"""The analysis's results as typed records; results.json is their one serialisation.

Every record is a pydantic model: the analysis builds them, the report and the terminal read
their attributes, and ``Results.to_json`` / ``Results.from_json`` write and read results.json
(documented field by field in docs/results.md). A field that does not apply is None (null in
JSON), never left out, so a renamed field fails loudly instead of reading as missing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, model_serializer, model_validator

from ..errors import StorageError
from ..search import Axis, Grid

DISTANCES = ("wasserstein", "js", "hellinger", "tv")  # every distance of the joint distributions


class Record(BaseModel):
    """A results record: unknown fields are refused, so reading stale results fails loudly."""

    model_config = ConfigDict(extra="forbid")


class Statistic(NamedTuple):
    """A statistic the no-shift null replays: a distance between the joint distributions, or,
    with ``hyperparameter``, the W1 between that hyperparameter's marginals."""

    distance: str
    hyperparameter: str | None = None


class Marginal(Record):
    wasserstein: float | None = None


class ShiftClaims(Record):
    """One value per shift claim (adjusted p-values): the joint W1, and each hyperparameter's
    marginal W1 under ``per_hp``."""

    wasserstein: float | None = None
    per_hp: dict[str, Marginal] = {}

    @classmethod
    def of(cls, values: Mapping[Statistic, float | None]) -> Self:
        joint = {s.distance: v for s, v in values.items() if s.hyperparameter is None}
        per_hp = {s.hyperparameter: Marginal(**{s.distance: v})
                  for s, v in values.items() if s.hyperparameter is not None}
        return cls(**joint, per_hp=per_hp)

    def __getitem__(self, statistic: Statistic) -> float | None:
        if statistic.hyperparameter is None:
            return getattr(self, statistic.distance)
        return getattr(self.per_hp[statistic.hyperparameter], statistic.distance)


class StatisticTable(ShiftClaims):
    """One value per statistic (noise floors, p-values): every joint distance, and each
    hyperparameter's marginal W1 under ``per_hp``."""

    js: float | None = None
    hellinger: float | None = None
    tv: float | None = None


class Regret(Record):
    """The accuracy lost by keeping hyperparameters fixed instead of re-tuning on the grid."""

    mean: float | None
    method: Literal["cross-fitted", "plug-in", "reference"]
    ci_low: float | None = None
    ci_high: float | None = None
    folds: int | None = None
    selection_bias: float | None = None
    noise_df: int | None = None
    p_above_epsilon: float | None = None
    p_adjusted: float | None = None
    detectable: float | None = None
    seeds_to_settle: int | None = None


class OptimumShift(Record):
    """How far one hyperparameter's optimum moved: at the best point and by a sub-grid fit,
    in grid steps, units (log10 decades for a log axis) and as a factor (log axes)."""

    argmax_steps: int
    subgrid_steps: float
    at_edge: bool
    argmax_units: float | None = None
    argmax_factor: float | None = None
    subgrid_units: float | None = None
    subgrid_factor: float | None = None
    interval_steps: tuple[float, float] | None = None
    interval_units: tuple[float, float] | None = None
    interval_factor: tuple[float, float] | None = None
    determined: bool | None = None


class Distances(Record):
    wasserstein: float
    js: float
    hellinger: float
    tv: float
    wasserstein_units: float
    wasserstein_factor: float | None = None


class HyperparameterComparison(Record):
    """One hyperparameter at one ratio: its marginal's W1, its optimum's move, the regret of
    keeping only it at its dense value."""

    wasserstein: float
    wasserstein_units: float | None = None
    wasserstein_factor: float | None = None
    optimum_shift: OptimumShift | None
    regret: Regret


class RankCorrelation(Record):
    spearman: float | None
    kendall: float | None


class Divergence(Record):
    """Diverged runs: in all, and per value of each hyperparameter (values with none left out)."""

    runs: int
    per_hp: dict[str, dict[str, int]]


class RatioComparison(Record):
    """A pruned landscape against the dense one."""

    distances: Distances
    regret: Regret
    per_hp: dict[str, HyperparameterComparison]
    rank_correlation: RankCorrelation
    noise_floor: StatisticTable
    p_value: StatisticTable
    p_adjusted: ShiftClaims
    offset: float
    diverged: Divergence
    test_at_dense_optimum: float | None

    def regrets(self) -> dict[str | None, Regret]:
        """The regret claims: keeping the dense optimum (None), keeping each hyperparameter."""
        return {None: self.regret, **{n: hp.regret for n, hp in self.per_hp.items()}}


class Efficiency(Record):
    params: int
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


class HyperparameterRecipe(Record):
    """One hyperparameter of a ratio's recipe."""

    dense: Any  # the dense optimum's value: what keeping the dense hyperparameters means
    grid_best: Any  # this ratio's best grid point's value
    recipe: Any  # the re-tuned value: the grid's best, refined between grid points
    factor: float | None  # recipe / dense, on a log axis
    refined: bool  # the recipe lies between grid points (the landscape bends around its best)


class Recipe(Record):
    """The hyperparameters to train a ratio's pruned model with."""

    params: dict[str, Any]  # every hyperparameter the grid ran with, grid axes re-tuned
    per_hp: dict[str, HyperparameterRecipe]  # the grid axes


class Timing(Record):
    """Milliseconds per forward pass of ``batch`` inputs on one CPU thread."""

    batch: int
    median_ms: float
    p90_ms: float


class Export(Record):
    """A deployed model in one runtime's format (ONNX, LiteRT): its file, how closely the
    runtime follows PyTorch on the validation split, and its latency there."""

    file: str  # relative to the run folder
    size_bytes: int
    max_abs_diff: float  # largest |logit difference| to PyTorch
    agreement: float  # share of validation examples with the same predicted class
    timings: list[Timing]


class Deployment(Record):
    """A ratio's model trained at its best grid point, kept, exported and timed."""

    artifact_id: str | None  # the trained weights (an Optuna artifact of the stages study)
    params: dict[str, Any] | None  # the grid point it was trained at
    seed: int | None
    val_accuracy: float | None
    grid_val_accuracy: float | None  # the same cell as the grid trained it
    torch: list[Timing] | None  # PyTorch eager
    onnx: Export | None
    litert: Export | None
    note: str | None  # why something is missing

    def latency_ms(self, batch: int = 1) -> float | None:
        """Median ONNX Runtime latency at ``batch`` (None without an export)."""
        timings = self.onnx.timings if self.onnx is not None else []
        return next((t.median_ms for t in timings if t.batch == batch), None)


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
    comparison: RatioComparison | None = None

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
        return {**data, **(compared or dict.fromkeys(RatioComparison.model_fields))}


class TransferForm(Record):
    """One form of the transfer rule, fitted to every pruned ratio."""

    slope: float  # k of the power law; b (decades per unit ratio) of log-linear; 0 for none
    slope_interval: tuple[float, float] | None  # seed bootstrap, level 1 - alpha
    loro_error: float | None  # leave-one-ratio-out root mean square error, decades


class TransferFit(Record):
    """How one log-scaled hyperparameter's optimum moves with the channels kept."""

    dense: float  # the dense optimum, refined between grid points: the rule's anchor
    chosen: Literal["none", "log-linear", "power"]
    forms: dict[str, TransferForm]


class TransferRatio(Record):
    """One trained ratio as the transfer rule sees it."""

    ratio: float
    width: float  # the share of channels kept
    moves: dict[str, float]  # each fitted optimum's move from the dense one, decades
    predicted_regret: Regret | None = None  # the held-out prediction's regret on this grid


class Transfer(Record):
    """The transfer rule of every log-scaled axis, with its leave-one-ratio-out check."""

    fits: dict[str, TransferFit]
    ratios: list[TransferRatio]

    def trained(self) -> dict[float, TransferRatio]:
        return {r.ratio: r for r in self.ratios}


class ThresholdCriterion(Record):
    overall: float | None
    per_hp: dict[str, float | None]


class Threshold(Record):
    """From which ratio on re-tuning pays: overall, per hyperparameter, by each criterion."""

    overall: float | None
    per_hp: dict[str, float | None]
    by_regret: ThresholdCriterion
    by_shift: ThresholdCriterion
    rule: str
    epsilon: float
    level: float


class Verdict(Record):
    """The study's one answer."""

    kind: Literal["re-tune", "keep", "inconclusive"]
    retune_from: float | None
    keep_up_to: float | None
    shift_from: float | None
    unsettled: list[float]
    detectable: float | None
    seeds_to_settle: int | None
    epsilon: float


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
    analysis: dict[str, Any]
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
        return self.analysis["alpha"]

    @property
    def epsilon(self) -> float:
        return self.analysis["epsilon"]

    def axes(self) -> tuple[Axis, ...]:
        """The grid's axes, in order."""
        return Grid.from_dict(self.grid).axes

    def compared(self) -> Iterator[tuple[RatioResult, RatioComparison]]:
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
