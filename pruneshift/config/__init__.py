"""An experiment's configuration: pydantic sections, YAML and ``--set`` in, one-line errors
out, and the per-stage fingerprints of the settings that define a trial.

Every field has a default, so ``ExperimentConfig()`` is the built-in default experiment
(digits, ``cnn``). Importing this package imports no torch.
"""

from ._experiment import ExperimentConfig
from ._fingerprint import (
    GRID_SECTIONS,
    HPO_SECTIONS,
    SETTLE_SECTIONS,
    fingerprint,
    fingerprint_differences,
    flatten,
)
from ._load import (
    apply_overrides,
    build_config,
    format_validation_error,
    load_config,
    parse_override,
    read_yaml,
)
from ._sections import (
    MAX_GRID_RUNS,
    TUNABLE,
    UNTUNABLE,
    AnalysisConfig,
    DataConfig,
    DeployConfig,
    GridAxis,
    GridConfig,
    HPOConfig,
    ModelConfig,
    PruningConfig,
    SearchParam,
    SettleConfig,
    SyntheticConfig,
    TrainingConfig,
    WorkersConfig,
)

__all__ = ["GRID_SECTIONS", "HPO_SECTIONS", "MAX_GRID_RUNS", "SETTLE_SECTIONS", "TUNABLE",
           "UNTUNABLE", "AnalysisConfig", "DataConfig", "DeployConfig", "ExperimentConfig",
           "GridAxis", "GridConfig", "HPOConfig", "ModelConfig", "PruningConfig", "SearchParam",
           "SettleConfig", "SyntheticConfig", "TrainingConfig", "WorkersConfig",
           "apply_overrides", "build_config", "fingerprint", "fingerprint_differences", "flatten",
           "format_validation_error", "load_config", "parse_override", "read_yaml"]
