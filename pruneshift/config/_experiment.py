"""The whole experiment: its sections and the checks that span several of them."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, NonNegativeInt, ValidationError, field_validator, model_validator

from .. import catalog
from ._sections import (
    MAX_GRID_RUNS,
    TUNABLE,
    AnalysisConfig,
    DataConfig,
    DeployConfig,
    GridConfig,
    HPOConfig,
    ModelConfig,
    PruningConfig,
    SearchParam,
    SettleConfig,
    SyntheticConfig,
    TrainingConfig,
    WorkersConfig,
    _Section,
    default_search_space,
)


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
    settle: SettleConfig = Field(default_factory=SettleConfig)
    deploy: DeployConfig = Field(default_factory=DeployConfig)
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
        if not catalog.DATASETS[self.data.name].trains:  # the synthetic task
            for key in ("optimum", "shift", "curvature", "diverge_above", "noise_growth"):
                unknown = set(getattr(self.synthetic, key)) - set(self.search_space)
                if unknown:
                    raise ValueError(f"synthetic.{key}: {sorted(unknown)} not in the search "
                                     f"space; allowed: {', '.join(self.search_space)}")
            unanchored = set(self.synthetic.noise_growth) - set(self.synthetic.optimum)
            if unanchored:
                raise ValueError(f"synthetic.noise_growth: {sorted(unanchored)} has no "
                                 f"synthetic.optimum to grow from; allowed: "
                                 f"{', '.join(self.synthetic.optimum)}")
            for name, param in self.search_space.items():
                if param.type == "categorical" and name in self.synthetic.optimum:
                    raise ValueError(f"synthetic.optimum.{name}: the synthetic task takes "
                                     "numeric hyperparameters only")
        pruning = self.pruning
        if pruning.retrain_schedule != "restart" and pruning.protocol != "finetune":
            raise ValueError(f"pruning.retrain_schedule: '{pruning.retrain_schedule}' applies to "
                             f"the finetune protocol only, not '{pruning.protocol}'; "
                             "allowed here: restart")
        if (pruning.retrain_schedule == "rewind"
                and (pruning.finetune_epochs or 0) > self.training.epochs):
            raise ValueError(f"pruning.finetune_epochs: rewinding replays the last "
                             f"{pruning.finetune_epochs} epochs of a {self.training.epochs}-epoch "
                             "schedule; give at most training.epochs")
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


