"""The sections of an experiment's configuration, each a pydantic model with defaults.

Names a section may take (datasets, models, criteria, methods, protocols, ...) are checked
against ``pruneshift.catalog``, which imports nothing heavy: validating a config needs no torch.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from .. import catalog
from ..registry import Registry


def choice(registry: Registry) -> Any:
    """A string field that must name an entry of ``registry``."""
    return Annotated[str, AfterValidator(registry.check)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


def _accuracy_share(value: float | None) -> float | None:
    """An accuracy difference given as a fraction (0.005 is half a point), in (0, 0.5]; a value
    that reads as points or percent is refused with what was probably meant."""
    if value is None or 0 < value <= 0.5:
        return value
    if value >= 1:
        raise ValueError(f"must be a share of accuracy in (0, 0.5], got {value:g}; did you mean "
                         f"{value / 100:g} ({value:g} points)?")
    raise ValueError(f"must be a share of accuracy in (0, 0.5], got {value:g}")


AccuracyShare = Annotated[float, AfterValidator(_accuracy_share)]


MAX_GRID_RUNS = 1_000_000  # grid points x seeds of one ratio; beyond it the grid is a mistake


class DataConfig(_Section):
    """Which dataset and how it is split."""

    name: choice(catalog.DATASETS) = "digits"
    val_fraction: float = Field(0.2, gt=0, lt=1)  # share of the training pool held out
    test_fraction: float = Field(0.2, gt=0, lt=1)  # used only where there is no official test set
    split_seed: NonNegativeInt = 0
    subset: PositiveInt | None = None  # keep this many examples of the training pool
    root: Path | None = None  # folder with the files of mnist, fashion-mnist, cifar10/100; npz file
    download: bool = False  # fetch missing files into root (checksum-verified)
    augment: choice(catalog.AUGMENTATIONS) = "auto"  # auto: crop-flip for CIFAR, else none


class ModelConfig(_Section):
    """A zoo model or a ``package.module:function`` factory, with its keyword arguments.

    Only the name's form is checked here; ``pruneshift.models.check_model`` imports the factory
    and checks the arguments, before anything is trained.
    """

    name: str = "cnn"
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known_model(cls, name: str) -> str:
        if name not in catalog.MODELS and not USER_FACTORY.fullmatch(name):
            raise ValueError(catalog.MODELS.unknown(name, also=catalog.USER_MODEL))
        return name


USER_FACTORY = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


class TrainingConfig(_Section):
    """One training run's recipe; all is tunable but epochs and how it runs (device, threads,
    batching)."""

    epochs: int = Field(10, ge=1, le=100_000)
    optimizer: choice(catalog.OPTIMIZERS) = "sgd"
    lr: PositiveFloat = 0.05  # peak learning rate, reached after warm-up
    momentum: float = Field(0.9, ge=0, lt=1)  # SGD momentum; AdamW's beta1
    nesterov: bool = True  # SGD only, and only with momentum > 0
    weight_decay: NonNegativeFloat = 5e-4  # decoupled for AdamW, L2 for SGD
    batch_size: PositiveInt = 64  # examples per step
    schedule: choice(catalog.SCHEDULES) = "cosine"
    warmup_epochs: NonNegativeFloat = 0.0  # linear warm-up from lr/100, in epochs
    milestones: list[PositiveInt] = Field(default_factory=list)  # step: epochs where lr *= gamma
    gamma: float = Field(0.1, gt=0, le=1)  # step schedule's factor
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    schedule_epochs: PositiveInt | None = None  # the schedule's span when only its last
    # ``epochs`` are trained (learning-rate rewinding); None: epochs
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    threads: int | None = Field(None, ge=1, le=1024)  # CPU threads for torch; None: torch's
    batched: choice(catalog.BATCHING) = "auto"  # grids: train a ratio's cells stacked together
    members: PositiveInt | None = None  # most cells per stack; None: what fits in memory, <= 64

    @field_validator("batched", mode="before")
    @classmethod
    def _yaml_switch(cls, value: Any) -> Any:
        """YAML reads a bare off/on as a boolean."""
        return {False: "off", True: "auto"}.get(value, value) if isinstance(value, bool) else value

    @field_validator("device")
    @classmethod
    def _known_device(cls, device: str) -> str:
        if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device):
            raise ValueError(f"unknown device '{device}'; allowed: auto, cpu, cuda, cuda:N, mps")
        return device

    @model_validator(mode="after")
    def _warmup_fits(self) -> TrainingConfig:
        if self.warmup_epochs >= self.epochs:
            raise ValueError(f"training.warmup_epochs: {self.warmup_epochs} must be below "
                             f"epochs ({self.epochs})")
        if self.schedule_epochs is not None and self.schedule_epochs < self.epochs:
            raise ValueError(f"training.schedule_epochs: {self.schedule_epochs} must be at least "
                             f"epochs ({self.epochs})")
        return self


UNTUNABLE = frozenset({"epochs", "schedule_epochs", "device", "threads", "batched",
                       "members"})
TUNABLE = tuple(name for name in TrainingConfig.model_fields if name not in UNTUNABLE)


class SearchParam(_Section):
    """One hyperparameter's range: float or int between low and high, or categorical choices."""

    type: Literal["float", "int", "categorical"] = "float"
    low: float | None = None
    high: float | None = None
    log: bool = False  # sample (and later grid) in log space
    step: PositiveFloat | None = None
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SearchParam:
        if self.type == "categorical":
            if not self.choices:
                raise ValueError("a categorical parameter needs a non-empty 'choices' list")
            return self
        if self.choices is not None:
            raise ValueError(f"'choices' is only for categorical parameters, not {self.type}")
        if self.low is None or self.high is None:
            raise ValueError(f"a {self.type} parameter needs both 'low' and 'high'")
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-scaled parameter needs low > 0, got {self.low}")
        if self.log and self.step is not None:
            raise ValueError("'step' cannot be combined with log: true")
        if self.type == "int" and not (float(self.low).is_integer()
                                       and float(self.high).is_integer()):
            raise ValueError(f"an int parameter needs integer bounds, got {self.low}, {self.high}")
        return self

    def values_to_check(self) -> list[Any]:
        """The values that must all be valid settings of the training field."""
        if self.type == "categorical":
            return list(self.choices or [])
        cast = int if self.type == "int" else float
        return [cast(self.low), cast(self.high)]


def default_search_space() -> dict[str, SearchParam]:
    """Learning rate and weight decay (log), momentum, batch size."""
    return {
        "lr": SearchParam(type="float", low=1e-3, high=1.0, log=True),
        "weight_decay": SearchParam(type="float", low=1e-6, high=1e-2, log=True),
        "momentum": SearchParam(type="float", low=0.5, high=0.99),
        "batch_size": SearchParam(type="categorical", choices=[32, 64, 128]),
    }


class HPOConfig(_Section):
    """Stage 1: hyperparameter optimisation of the dense model."""

    method: choice(catalog.METHODS) = "tpe"  # none: training's values
    n_trials: PositiveInt = 30  # total over every run of the experiment
    timeout: PositiveFloat | None = None  # seconds for one invocation
    min_epochs: PositiveInt = 1  # BOHB: the smallest budget a trial gets before it can be stopped
    max_epochs: PositiveInt | None = None  # BOHB: full budget; None means training.epochs
    reduction_factor: int = Field(3, ge=2)  # BOHB: Hyperband's eta
    n_startup_trials: NonNegativeInt = 10  # random trials before bo/tpe/bohb model the space
    seed: NonNegativeInt = 0  # root of the sampler's per-ticket seeds (pruneshift.seeds)
    batch: PositiveInt = 1  # trials proposed together and trained as one stack (not under bohb)

    @property
    def searches(self) -> bool:
        """Whether the method searches (every method but ``none``)."""
        return catalog.METHODS[self.method].searches

    @property
    def trials_together(self) -> int:
        """How many trials a worker proposes and trains at once: ``batch``, or one where the
        method stops trials between epochs (BOHB)."""
        return 1 if catalog.METHODS[self.method].stops else self.batch


class GridAxis(_Section):
    """One axis of the vicinity grid: ``points`` spaced over ``span`` around the HPO optimum.

    For a log-scaled hyperparameter ``span`` is the total factor covered (100: from optimum/10
    to optimum*10); for a linear one it is the offset on each side (optimum +- span).
    ``values`` lists the points explicitly instead.
    """

    points: PositiveInt = 5
    span: PositiveFloat | None = None
    values: list[Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> GridAxis:
        if self.values is not None:
            if not self.values:
                raise ValueError("'values' must list at least one value")
            if len(set(map(repr, self.values))) != len(self.values):
                raise ValueError(f"'values' holds duplicates: {self.values}")
            return self
        if self.points % 2 == 0:
            raise ValueError(f"points must be odd so that the optimum is the centre, "
                             f"got {self.points}")
        if self.points > 1 and self.span is None:
            raise ValueError("give 'span' (or explicit 'values') for an axis with several points")
        return self


def default_grid_axes() -> dict[str, GridAxis]:
    """Learning rate and weight decay, 5 points each over two decades."""
    return {"lr": GridAxis(points=5, span=100.0), "weight_decay": GridAxis(points=5, span=100.0)}


class GridConfig(_Section):
    """Stages 2 and 4: the grid trained for every ratio, each point with several seeds."""

    axes: dict[str, GridAxis] = Field(default_factory=default_grid_axes)
    seeds: int = Field(3, ge=2)  # repetitions per point: 3 give a regret interval worth the name
    max_extend: NonNegativeInt = 2  # steps a log axis may grow by where a best point is on its edge

    @field_validator("axes")
    @classmethod
    def _not_empty(cls, axes: dict[str, GridAxis]) -> dict[str, GridAxis]:
        if not axes:
            raise ValueError("the grid needs at least one axis")
        return axes


class PruningConfig(_Section):
    """Stage 3: structured pruning to each ratio, and how a pruned grid point is trained."""

    ratios: list[float] = Field(default_factory=lambda: [0.0, 0.25, 0.5, 0.75])
    target: choice(catalog.TARGETS) = "channels"  # what a ratio is a share of
    criterion: choice(catalog.CRITERIA) = "l1"
    scope: choice(catalog.SCOPES) = "uniform"  # same ratio per layer, or one overall ranking
    round_to: PositiveInt | None = None  # keep channel counts multiples of this
    protocol: choice(catalog.PROTOCOLS) = "during-training"
    steps: PositiveInt = 3  # during-training: pruning steps
    prune_until: float = Field(0.5, gt=0, le=1)  # during-training: share of epochs to finish by
    finetune_epochs: PositiveInt | None = None  # finetune: epochs; None means training.epochs
    retrain_schedule: choice(catalog.RETRAIN_SCHEDULES) = "restart"  # finetune: learning rate
    latency_runs: int = Field(200, ge=1, le=100_000)  # timed batch-1 passes (after warm-up)

    @field_validator("ratios")
    @classmethod
    def _valid_ratios(cls, ratios: list[float]) -> list[float]:
        for ratio in ratios:
            if not 0 <= ratio < 1:
                raise ValueError(f"every ratio must be in [0, 1), got {ratio}")
        if 0 not in ratios:
            raise ValueError(f"ratios must include 0, the dense baseline; got {ratios}")
        if len(set(ratios)) != len(ratios):
            raise ValueError(f"ratios holds duplicates: {ratios}")
        return sorted(ratios)


class AnalysisConfig(_Section):
    """Stage 8: how landscapes become distributions, and when a shift counts."""

    normalisation: choice(catalog.NORMALISATIONS) = "softmax"
    temperature: AccuracyShare | None = None  # softmax, accuracy units; None: the seed noise
    top_delta: AccuracyShare | None = None  # top: points within delta of the best; None: 2x noise
    epsilon: AccuracyShare = 0.005  # regret that makes re-tuning pay (0.5 accuracy points)
    alpha: float = Field(0.05, gt=0, lt=1)  # family-wise level: half shifts, half regrets
    threshold_rule: choice(catalog.THRESHOLD_RULES) = "regret-or-shift"
    bootstrap: int = Field(500, ge=100)  # null replicates (more for big families), seed resamples
    seed: NonNegativeInt = 0  # seed of the bootstraps
    budget: dict[choice(catalog.BUDGETS), PositiveFloat] = Field(default_factory=dict)


class SettleConfig(_Section):
    """Stage 6: each pruned ratio's answer confirmed on fresh seeds, in rounds: the re-tuned
    recipe against the kept dense optimum, scored on the test split, until the interval of
    what keeping costs lies clear of epsilon (and is as narrow as ``precision``) or the runs
    are spent."""

    enabled: bool = True  # false: every answer comes from the grid alone
    seeds_per_round: int = Field(8, ge=2, le=10_000)  # fresh seeds per point in each round
    max_runs: PositiveInt = 128  # per ratio, both points; rounds = max_runs // (2 x seeds)
    precision: AccuracyShare | None = None  # also go on until the interval is at most +- this
    # wide (accuracy: 0.003 = 0.3 points); None: stop as soon as it is clear of epsilon

    @model_validator(mode="after")
    def _one_round_fits(self) -> SettleConfig:
        if self.max_runs < 2 * self.seeds_per_round:
            raise ValueError(f"settle.max_runs: {self.max_runs} runs cannot hold one round of "
                             f"{self.seeds_per_round} seeds at both points; give at least "
                             f"{2 * self.seeds_per_round}")
        return self

    @property
    def rounds(self) -> int:
        """The rounds the budget allows (the looks the interval is planned for)."""
        return self.max_runs // (2 * self.seeds_per_round)


class DeployConfig(_Section):
    """Stage 7: each ratio's model with the recipe it ships (the settle stage's run, reused),
    exported to ONNX, checked against PyTorch and timed (ONNX Runtime and PyTorch, one CPU
    thread)."""

    enabled: bool = True  # false: no deployment stage
    litert: bool = False  # also export to LiteRT and time it (needs the litert extra)
    batch: PositiveInt = 64  # the larger batch timed besides batch 1
    runs: PositiveInt = 100  # timed forward passes per measurement, after 10 warm-up ones


class SyntheticConfig(_Section):
    """The known-answer task (``data.name: synthetic``): accuracy is an analytic function.

    acc(h, r, s) = peak - peak_drop*r - sum_i curvature_i*(u_i - u*_i - shift_i*r)^2 + noise*eps_s,
    with u the hyperparameter in log10 units where the search space is log-scaled, and eps_s
    correlated ``seed_correlation`` between ratios (a seed fixes initialisation and data order).
    The noise may be structured as real runs' is (``pruneshift.synthetic``): a seed's luck
    shared by every point, training noise shared by a run's splits, per-example outcomes, noise
    that varies over the grid.
    """

    optimum: dict[str, float] = Field(default_factory=lambda: {"lr": 0.05,
                                                               "weight_decay": 5e-4})
    shift: dict[str, float] = Field(default_factory=dict)  # optimum moves by this per unit ratio
    curvature: dict[str, float] = Field(default_factory=dict)  # default 0.02 per hyperparameter
    peak: float = 0.95
    peak_drop: float = 0.05  # accuracy lost per unit ratio at the moving optimum
    noise: NonNegativeFloat = 0.002  # standard deviation of the seed noise
    seed_correlation: float = Field(0.0, ge=0, le=1)  # a seed's noise shared across ratios
    diverge_above: dict[str, float] = Field(default_factory=dict)  # runs above this value diverge
    diverge_from: float = Field(0.0, ge=0, lt=1)  # ... at this pruning ratio and beyond
    seed_effect: NonNegativeFloat = 0.0  # std of a seed's luck, shared by every grid point
    training_noise: NonNegativeFloat = 0.0  # std of a run's own noise, shared by its splits
    examples: NonNegativeInt = Field(0, le=1_000_000)  # > 0: per-example outcomes, this many
    # examples per split (the sampling noise is then theirs, and ``noise`` is not used)
    example_spread: NonNegativeFloat = 1.5  # how consistently an example is hard across runs
    example_interaction: NonNegativeFloat = 0.3  # how much an example's difficulty depends on h
    noise_growth: dict[str, float] = Field(default_factory=dict)  # noise x 10**(g*(u - u*))
    noise_near_optimum: PositiveFloat = 1.0  # noise multiplied near the (moving) optimum ...
    near_optimum_width: PositiveFloat = 0.6  # ... within this distance on every axis (units of u)


class WorkersConfig(_Section):
    """How workers share an experiment; none of this changes what a trial means."""

    heartbeat_interval: PositiveInt = 20  # seconds between a running trial's heartbeats (RDB)
    grace_period: PositiveInt = 90  # seconds of silence after which a trial is redone (RDB)
    poll_interval: PositiveFloat = 0.5  # seconds a worker waits when others hold all the work
    retry_seconds: PositiveFloat = 63.0  # how long a lost database connection is retried
    artifacts: str | None = None  # checkpoint store: a shared folder or s3://bucket

    @field_validator("artifacts")
    @classmethod
    def _artifact_store(cls, location: str | None) -> str | None:
        if location is not None and location.startswith("s3://"):
            bucket = location.removeprefix("s3://").strip("/")
            if not bucket or "/" in bucket:
                raise ValueError(f"expected s3://bucket, got '{location}'")
        return location

    @model_validator(mode="after")
    def _grace_exceeds_heartbeat(self) -> WorkersConfig:
        if self.grace_period <= self.heartbeat_interval:
            raise ValueError(f"workers.grace_period: {self.grace_period} s must exceed "
                             f"heartbeat_interval ({self.heartbeat_interval} s)")
        return self

