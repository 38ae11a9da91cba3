"""An experiment's configuration: pydantic models, YAML in, one-line errors out.

Every field has a default, so ``ExperimentConfig()`` is the built-in default experiment
(digits, ``cnn``). A YAML file and ``--set key=value`` overrides are applied on top.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import ConfigError, PruneshiftError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


MAX_GRID_RUNS = 1_000_000  # grid points x seeds of one ratio; beyond it the grid is a mistake


class DataConfig(_Section):
    """Which dataset and how it is split."""

    name: str = "digits"
    val_fraction: float = Field(0.2, gt=0, lt=1)  # share of the training pool held out
    test_fraction: float = Field(0.2, gt=0, lt=1)  # used only where there is no official test set
    split_seed: NonNegativeInt = 0
    subset: PositiveInt | None = None  # keep this many examples of the training pool
    root: Path | None = None  # folder with the files of mnist, fashion-mnist, cifar10/100; npz file
    download: bool = False  # fetch missing files into root (checksum-verified)
    augment: Literal["auto", "none", "crop-flip"] = "auto"  # auto: crop-flip for CIFAR, else none

    @field_validator("name")
    @classmethod
    def _known_dataset(cls, name: str) -> str:
        from .data import DATASETS, SYNTHETIC

        if name not in DATASETS and name != SYNTHETIC:
            raise ValueError(f"unknown dataset '{name}'; allowed: {', '.join(DATASETS)}, "
                             f"{SYNTHETIC}")
        return name


IMPORT_MODEL = "import_model"  # validation context: whether a model factory may be imported


def _imports_model(info: ValidationInfo) -> bool:
    return (info.context or {}).get(IMPORT_MODEL, True)


class ModelConfig(_Section):
    """A zoo model or a ``package.module:function`` factory, with its keyword arguments."""

    name: str = "cnn"
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known_model(cls, name: str, info: ValidationInfo) -> str:
        from .models import resolve_factory

        if not _imports_model(info):
            return name
        try:
            resolve_factory(name)
        except PruneshiftError as exc:
            raise ValueError(str(exc)) from None
        return name

    @model_validator(mode="after")
    def _known_kwargs(self, info: ValidationInfo) -> ModelConfig:
        from .models import check_model_kwargs

        if not _imports_model(info):
            return self
        try:
            check_model_kwargs(self.name, self.kwargs)
        except PruneshiftError as exc:
            raise ValueError(str(exc)) from None
        return self


class TrainingConfig(_Section):
    """One training run's recipe; all is tunable but epochs and how it runs (device, threads,
    batching)."""

    epochs: int = Field(10, ge=1, le=100_000)
    optimizer: Literal["sgd", "adamw"] = "sgd"
    lr: PositiveFloat = 0.05  # peak learning rate, reached after warm-up
    momentum: float = Field(0.9, ge=0, lt=1)  # SGD momentum; AdamW's beta1
    nesterov: bool = True  # SGD only, and only with momentum > 0
    weight_decay: NonNegativeFloat = 5e-4  # decoupled for AdamW, L2 for SGD
    batch_size: PositiveInt = 64  # examples per step
    schedule: Literal["cosine", "step", "constant"] = "cosine"
    warmup_epochs: NonNegativeFloat = 0.0  # linear warm-up from lr/100, in epochs
    milestones: list[PositiveInt] = Field(default_factory=list)  # step: epochs where lr *= gamma
    gamma: float = Field(0.1, gt=0, le=1)  # step schedule's factor
    label_smoothing: float = Field(0.0, ge=0, lt=1)
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    threads: int | None = Field(None, ge=1, le=1024)  # CPU threads for torch; None: torch's
    batched: Literal["auto", "off"] = "auto"  # grids: train a ratio's cells stacked together
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
        return self


UNTUNABLE = frozenset({"epochs", "device", "threads", "batched", "members"})
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

    method: Literal["bo", "tpe", "bohb", "random", "none"] = "tpe"  # none: training's values
    n_trials: PositiveInt = 30  # total over every run of the experiment
    timeout: PositiveFloat | None = None  # seconds for one invocation
    min_epochs: PositiveInt = 1  # BOHB: the smallest budget a trial gets before it can be stopped
    max_epochs: PositiveInt | None = None  # BOHB: full budget; None means training.epochs
    reduction_factor: int = Field(3, ge=2)  # BOHB: Hyperband's eta
    n_startup_trials: NonNegativeInt = 10  # random trials before bo/tpe/bohb model the space
    seed: NonNegativeInt = 0  # root of the sampler's per-ticket seeds (pruneshift.seeds)


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

    @field_validator("axes")
    @classmethod
    def _not_empty(cls, axes: dict[str, GridAxis]) -> dict[str, GridAxis]:
        if not axes:
            raise ValueError("the grid needs at least one axis")
        return axes


class PruningConfig(_Section):
    """Stage 3: structured pruning to each ratio, and how a pruned grid point is trained."""

    ratios: list[float] = Field(default_factory=lambda: [0.0, 0.25, 0.5, 0.75])
    target: Literal["channels", "macs", "params"] = "channels"  # what a ratio is a share of
    criterion: str = "l1"  # a name in pruneshift.prune.CRITERIA
    scope: Literal["uniform", "global"] = "uniform"  # same ratio per layer, or one overall ranking
    round_to: PositiveInt | None = None  # keep channel counts multiples of this
    protocol: Literal["during-training", "finetune", "scratch"] = "during-training"
    steps: PositiveInt = 3  # during-training: pruning steps
    prune_until: float = Field(0.5, gt=0, le=1)  # during-training: share of epochs to finish by
    finetune_epochs: PositiveInt | None = None  # finetune: epochs; None means training.epochs
    latency_runs: int = Field(200, ge=1, le=100_000)  # timed batch-1 passes (after warm-up)

    @field_validator("criterion")
    @classmethod
    def _known_criterion(cls, criterion: str) -> str:
        from .prune import CRITERIA

        if criterion not in CRITERIA:
            raise ValueError(f"unknown criterion '{criterion}'; allowed: {', '.join(CRITERIA)}")
        return criterion

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
    """Stage 5: how landscapes become distributions, and when a shift counts."""

    normalisation: Literal["softmax", "proportional", "top"] = "softmax"
    temperature: PositiveFloat | None = None  # softmax, accuracy units; None: the seed noise
    top_delta: PositiveFloat | None = None  # top: points within delta of the best; None: 2x noise
    epsilon: NonNegativeFloat = 0.005  # regret that makes re-tuning pay (0.5 accuracy points)
    alpha: float = Field(0.05, gt=0, lt=1)  # family-wise level: half shifts, half regrets
    threshold_rule: Literal["regret-or-shift", "regret"] = "regret-or-shift"
    bootstrap: int = Field(500, ge=100)  # null replicates (more for big families), seed resamples
    seed: NonNegativeInt = 0  # seed of the bootstraps


class SyntheticConfig(_Section):
    """The known-answer task (``data.name: synthetic``): accuracy is an analytic function.

    acc(h, r, s) = peak - peak_drop*r - sum_i curvature_i*(u_i - u*_i - shift_i*r)^2 + noise*eps_s,
    with u the hyperparameter in log10 units where the search space is log-scaled, and eps_s
    correlated ``seed_correlation`` between ratios (a seed fixes initialisation and data order).
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


class WorkersConfig(_Section):
    """How workers share an experiment; none of this changes what a trial means."""

    heartbeat_interval: PositiveInt = 20  # seconds between a running trial's heartbeats (RDB)
    grace_period: PositiveInt = 90  # seconds of silence after which a trial is redone (RDB)
    poll_interval: PositiveFloat = 0.5  # seconds a worker waits when others hold all the work
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


def _check_training_value(base: dict[str, Any], name: str, value: Any, where: str) -> None:
    """Refuse ``value`` (named at ``where``) unless it is a valid ``training.<name>``."""
    try:
        TrainingConfig.model_validate({**base, name: value})
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise ValueError(f"{where}: value {value!r} is not a valid training.{name} "
                         f"({reason})") from None


class ExperimentConfig(_Section):
    """A whole experiment; the defaults are the built-in example (digits, cnn)."""

    experiment: str = Field("default", min_length=1, max_length=200)
    seed: NonNegativeInt = 0  # root of every training seed (pruneshift.seeds)
    data: DataConfig = Field(default_factory=DataConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    search_space: dict[str, SearchParam] = Field(default_factory=default_search_space)
    hpo: HPOConfig = Field(default_factory=HPOConfig)
    grid: GridConfig = Field(default_factory=GridConfig)
    pruning: PruningConfig = Field(default_factory=PruningConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    synthetic: SyntheticConfig = Field(default_factory=SyntheticConfig)
    workers: WorkersConfig = Field(default_factory=WorkersConfig)
    storage: str | None = None  # Optuna storage URL; None: a journal file in the run folder

    @field_validator("search_space")
    @classmethod
    def _tunable(cls, space: dict[str, SearchParam]) -> dict[str, SearchParam]:
        if not space:
            raise ValueError("the search space is empty; give at least one hyperparameter")
        for name in space:
            if name not in TUNABLE:
                raise ValueError(f"'{name}' is not a tunable training field; "
                                 f"allowed: {', '.join(TUNABLE)}")
        return space

    @model_validator(mode="after")
    def _cross_checks(self) -> ExperimentConfig:
        base = self.training.model_dump()
        for name, param in self.search_space.items():
            for value in param.values_to_check():
                _check_training_value(base, name, value, f"search_space.{name}")
        for name, axis in self.grid.axes.items():
            if name not in self.search_space and axis.values is None:
                raise ValueError(f"grid.axes.{name}: not in the search space, so it has no HPO "
                                 f"optimum to centre on; add it to search_space or give 'values'")
            param = self.search_space.get(name)
            if axis.values is None and param is not None and param.type == "categorical":
                raise ValueError(f"grid.axes.{name}: a categorical hyperparameter takes "
                                 f"explicit 'values'")
            if param is not None and param.log and axis.span is not None and axis.span <= 1:
                raise ValueError(f"grid.axes.{name}: span is a factor for a log-scaled "
                                 f"hyperparameter and must exceed 1, got {axis.span}")
            for value in axis.values or []:
                _check_training_value(base, name, value, f"grid.axes.{name}")
        runs = self.grid.seeds
        for axis in self.grid.axes.values():
            runs *= len(axis.values) if axis.values else axis.points
        if runs > MAX_GRID_RUNS:
            raise ValueError(f"grid: {runs:,} runs per ratio (points x seeds) exceed "
                             f"{MAX_GRID_RUNS:,}; use fewer points or seeds")
        if self.data.name == "synthetic":
            for key in ("optimum", "shift", "curvature", "diverge_above"):
                unknown = set(getattr(self.synthetic, key)) - set(self.search_space)
                if unknown:
                    raise ValueError(f"synthetic.{key}: {sorted(unknown)} not in the search "
                                     f"space; allowed: {', '.join(self.search_space)}")
            for name, param in self.search_space.items():
                if param.type == "categorical" and name in self.synthetic.optimum:
                    raise ValueError(f"synthetic.optimum.{name}: the synthetic task takes "
                                     "numeric hyperparameters only")
        if self.hpo.min_epochs > self.max_epochs:
            raise ValueError(f"hpo.min_epochs: {self.hpo.min_epochs} exceeds the full budget "
                             f"of {self.max_epochs} epochs (hpo.max_epochs or training.epochs)")
        return self

    @property
    def max_epochs(self) -> int:
        """Epochs of a full HPO trial."""
        return self.hpo.max_epochs or self.training.epochs

    @property
    def slug(self) -> str:
        """The experiment name made safe for a folder name."""
        return re.sub(r"[^A-Za-z0-9._-]+", "-", self.experiment).strip("-.") or "experiment"


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into the key path and the YAML-typed value."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value with a dotted key, got '{text}'")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"--set {key}: value '{raw}' is not valid YAML ({problem}); quote "
                          "it to pass a string") from None
    return key.strip().split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Set each ``dotted.key=value`` in a nested dict.

    A section the mapping lacks is first filled from the defaults, so
    ``search_space.lr.high=0.5`` narrows the default space instead of replacing it.
    """
    defaults = ExperimentConfig().model_dump(mode="json")
    for text in overrides:
        path, value = parse_override(text)
        node, default = raw, defaults
        for depth, part in enumerate(path[:-1]):
            default = default.get(part) if isinstance(default, dict) else None
            if node.get(part) is None:
                node[part] = dict(default) if isinstance(default, dict) else {}
            if not isinstance(node[part], dict):
                where = ".".join(path[: depth + 1])
                raise ConfigError(f"--set {'.'.join(path)}: '{where}' is a value, not a section")
            node = node[part]
        node[path[-1]] = value
    return raw


def _section_at(location: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the field at ``location`` (dict keys are stepped over)."""
    model: Any = ExperimentConfig
    for part in location[:-1]:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(part))
            if field is None:
                return None
            model = field.annotation
        elif typing.get_origin(model) is dict:
            model = typing.get_args(model)[1]
        else:
            return None
        while typing.get_origin(model) in (typing.Union, types.UnionType):
            model = next(a for a in typing.get_args(model) if a is not type(None))
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def format_validation_error(exc: ValidationError) -> str:
    """One line naming each invalid field and what is allowed."""
    messages = []
    for error in exc.errors():
        location = tuple(p for p in error["loc"] if not str(p).startswith("function-"))
        field = ".".join(str(p) for p in location) or "config"
        if error["type"] == "extra_forbidden":
            section = _section_at(location)
            allowed = ", ".join(section.model_fields) if section else "see the documentation"
            messages.append(f"unknown field '{field}'; allowed: {allowed}")
            continue
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] not in ("value_error", "assertion_error"):
            message += f" (got {error['input']!r})"
        names_its_field = re.match(r"[\w.]+: ", message) is not None
        messages.append(message if names_its_field else f"{field}: {message}")
    return "invalid config: " + "; ".join(messages)


MAX_CONFIG_VALUES = 100_000  # values in a config once YAML aliases are expanded


def _expanded_size(value: Any, sizes: dict[int, int]) -> int:
    """How many values ``value`` holds with every shared (aliased) part counted each time it
    is used; linear in the loaded document, however far aliases would expand."""
    if not isinstance(value, dict | list):
        return 1
    if id(value) not in sizes:
        children = value.values() if isinstance(value, dict) else value
        sizes[id(value)] = 1 + len(value) * isinstance(value, dict) + sum(
            _expanded_size(child, sizes) for child in children)
    return sizes[id(value)]


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping with the safe loader, refusing one whose aliases expand past
    ``MAX_CONFIG_VALUES`` values (the "billion laughs", which would hang validation)."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"config {path} is not valid YAML{where}: {problem}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path} must be a YAML mapping, got {type(raw).__name__}")
    if _expanded_size(raw, {}) > MAX_CONFIG_VALUES:
        raise ConfigError(f"config {path}: its aliases (*name) expand to more than "
                          f"{MAX_CONFIG_VALUES:,} values; write the values out")
    return raw


def build_config(raw: dict[str, Any], *, import_model: bool = True) -> ExperimentConfig:
    """Validate a raw mapping into an ExperimentConfig, raising ConfigError on one line.

    ``import_model=False`` leaves a ``package.module:function`` model unimported and unchecked:
    for a config read back from a storage to analyse, where nothing is built.
    """
    try:
        return ExperimentConfig.model_validate(raw, context={IMPORT_MODEL: import_model})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None


def load_config(path: Path | None = None, overrides: list[str] | None = None) -> ExperimentConfig:
    """The experiment in ``path`` (or the built-in default) with ``overrides`` applied."""
    raw = read_yaml(path) if path is not None else {}
    return build_config(apply_overrides(raw, overrides or []))


_NOT_FINGERPRINTED = ("hpo.n_trials", "hpo.timeout", "training.device", "training.threads",
                      "training.batched", "training.members", "data.root", "data.download",
                      "pruning.ratios", "pruning.latency_runs")
HPO_SECTIONS = ("seed", "data", "model", "training", "search_space", "hpo", "synthetic")
GRID_SECTIONS = ("seed", "data", "model", "training", "search_space", "grid", "pruning",
                 "synthetic")


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, child in value.items():
            flat.update(_flatten(child, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): value}


def fingerprint(config: ExperimentConfig, sections: tuple[str, ...] = HPO_SECTIONS
                ) -> dict[str, Any]:
    """The settings of ``sections`` that decide what a trial means, flattened to dotted keys.

    Budgets, timeouts, device and file locations may change between runs of one experiment
    (and ratios may be added, each with a study of its own); anything else changes the trials.
    """
    flat = _flatten(config.model_dump(mode="json", include=set(sections)))
    return {key: value for key, value in flat.items()
            if not any(key == p or key.startswith(p + ".") for p in _NOT_FINGERPRINTED)}


def fingerprint_differences(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """``key: stored -> current`` for every setting that differs.

    A setting that pruneshift gained after the experiment began, left at its default, is no
    difference: the experiment ran as that default.
    """
    defaults = _flatten(ExperimentConfig().model_dump(mode="json"))
    keys = sorted(set(stored) | set(current))
    return [f"{k}: {stored.get(k, '<unset>')!r} -> {current.get(k, '<unset>')!r}"
            for k in keys if stored.get(k, "<unset>") != current.get(k, "<unset>")
            and not (k not in stored and k in defaults and current[k] == defaults[k])]
