"""What an experiment stores, named once: its studies, the attributes of its studies and
trials, the keys of its units of work, and what a finished training run records.

The pipeline writes through this module and the analysis reads through it; a key changed here
changes both. docs/architecture.md ("Where the state lives") describes the same schema.
"""

from __future__ import annotations

import base64
import re
from dataclasses import MISSING, asdict, dataclass, fields
from typing import Any, Self

import numpy as np
import optuna
from optuna.trial import FrozenTrial

from ..errors import StorageError
from ._deployment import Deployment

Trial = optuna.Trial | FrozenTrial


def ratio_key(ratio: float) -> str:
    """A ratio as written in names and keys: 0, 0.25, 0.5, ..."""
    return f"{ratio:g}"


def hpo_study_name(experiment: str) -> str:
    """Stage 1's study: the HPO trials of the dense model."""
    return f"{experiment}/hpo"


def stages_study_name(experiment: str) -> str:
    """The study whose attributes hold stage results: grid, reference, pruned models."""
    return f"{experiment}/stages"


def grid_study_name(experiment: str, ratio: float) -> str:
    """The grid's study at one pruning ratio (0 is the dense model)."""
    return f"{experiment}/grid/r={ratio_key(ratio)}"


def settle_study_name(experiment: str, ratio: float) -> str:
    """The settle stage's study at one pruned ratio: the fresh-seed runs of its two points."""
    return f"{experiment}/settle/r={ratio_key(ratio)}"


_GRID_STUDY = re.compile(r"(?P<experiment>.+)/grid/r=(?P<ratio>[0-9.e-]+)")
_SETTLE_STUDY = re.compile(r"(?P<experiment>.+)/settle/r=(?P<ratio>[0-9.e-]+)")


def grid_ratios(study_names: set[str], experiment: str) -> list[float]:
    """The ratios of the experiment's grid studies among ``study_names``, ascending."""
    return _ratios(_GRID_STUDY, study_names, experiment)


def settle_ratios(study_names: set[str], experiment: str) -> list[float]:
    """The ratios of the experiment's settle studies among ``study_names``, ascending."""
    return _ratios(_SETTLE_STUDY, study_names, experiment)


def _ratios(pattern: re.Pattern[str], study_names: set[str], experiment: str) -> list[float]:
    return sorted(float(m["ratio"]) for name in study_names
                  if (m := pattern.fullmatch(name)) and m["experiment"] == experiment)


def experiments_in(study_names: set[str]) -> list[str]:
    """The experiments whose HPO study is among ``study_names``."""
    suffix = hpo_study_name("")
    return sorted(name.removesuffix(suffix) for name in study_names if name.endswith(suffix))


# The layout below. A study without a stamp predates stamps and is read as 1; version 2 named a
# model's parameter count `param_count` (trials, pruned records), where version 1 said `params`.
SCHEMA_VERSION = 2


class StudyKey:
    """User attributes of the studies: every study's config, fingerprint and schema version; the
    stages
    study's grid, the optimum it was built around, the reference, each pruned model, each
    ratio's settle plan and each ratio's deployed model."""

    CONFIG = "config"
    FINGERPRINT = "fingerprint"
    SCHEMA = "schema_version"
    GRID = "grid"
    OPTIMUM = "optimum"
    REFERENCE = "reference"
    _PRUNED = "pruned/"
    _SETTLE = "settle/"
    _DEPLOYED = "deployed/"

    @staticmethod
    def settle(ratio: float) -> str:
        return f"{StudyKey._SETTLE}{ratio_key(ratio)}"

    @staticmethod
    def settle_plans(attrs: dict[str, Any]) -> dict[float, dict[str, Any]]:
        """Each ratio's settle plan by its ratio."""
        return _by_ratio(attrs, StudyKey._SETTLE)

    _TEST_IDS = "test_ids/"  # a settle study's: the test examples each round was scored on

    @staticmethod
    def test_ids(round_: int) -> str:
        return f"{StudyKey._TEST_IDS}{round_}"

    @staticmethod
    def rounds_test_ids(attrs: dict[str, Any]) -> dict[int, list[int]]:
        """A settle study's test examples by round."""
        return {int(key.removeprefix(StudyKey._TEST_IDS)): value for key, value in attrs.items()
                if key.startswith(StudyKey._TEST_IDS)}

    @staticmethod
    def pruned(ratio: float) -> str:
        return f"{StudyKey._PRUNED}{ratio_key(ratio)}"

    @staticmethod
    def pruned_models(attrs: dict[str, Any]) -> dict[float, dict[str, Any]]:
        """Each pruned model's record by its ratio."""
        return _by_ratio(attrs, StudyKey._PRUNED)

    @staticmethod
    def deployed(ratio: float) -> str:
        return f"{StudyKey._DEPLOYED}{ratio_key(ratio)}"

    @staticmethod
    def deployed_models(attrs: dict[str, Any]) -> dict[float, dict[str, Any]]:
        """Each deployed model's record by its ratio."""
        return _by_ratio(attrs, StudyKey._DEPLOYED)


def check_schema(name: str, attrs: dict[str, Any]) -> None:
    """Refuse, in one line, a study (``name``, its user attributes as read) stored in a layout
    this pruneshift does not read."""
    version = attrs.get(StudyKey.SCHEMA, 1)
    if version != SCHEMA_VERSION:
        raise StorageError(f"study '{name}' is stored in schema version {version}; "
                           f"this pruneshift reads version {SCHEMA_VERSION}: open it with the "
                           "pruneshift that wrote it, or start another experiment name")


def _by_ratio(attrs: dict[str, Any], prefix: str) -> dict[float, dict[str, Any]]:
    return {float(key.removeprefix(prefix)): value for key, value in attrs.items()
            if key.startswith(prefix)}


class TrialKey:
    """User attributes of the trials: the unit of work (``KEY``, and the names of the
    attributes it was enqueued with), who runs it, which grid cell it is, and its outcome."""

    KEY = "key"
    UNIT_ATTRS = "unit_attrs"
    OWNER = "owner"
    ORPHANED = "orphaned"
    CELL = "cell"  # index of the grid point
    SEED = "seed"
    RATIO = "ratio"
    ROUND = "round"  # the settle stage's round
    POINT = "point"  # the settle point: "kept" or "recipe"
    ARTIFACT = "artifact_id"  # the trained weights, where a run keeps them (the deployed ones)
    RECORD = "record"  # a task's record, written on its trial first (fenced; then published)
    PARAM_COUNT = "param_count"  # parameters of the trained model
    MEMBERS = "members"  # models trained stacked together with it


def key_of(trial: Trial) -> str | None:
    """The key of the unit of work a trial was enqueued for; None for any other trial."""
    return trial.user_attrs.get(TrialKey.KEY)


_TICKET = "hpo/"


def ticket_key(index: int) -> str:
    """The unit key of the ``index``-th HPO trial."""
    return f"{_TICKET}{index}"


def ticket_of(trial: Trial) -> int | None:
    """The HPO ticket a trial was enqueued for; None for any other trial."""
    key = trial.user_attrs.get(TrialKey.KEY)
    if not isinstance(key, str) or not key.startswith(_TICKET):
        return None
    return int(key.removeprefix(_TICKET))


REFERENCE_TASK = "reference"


def prune_task(ratio: float) -> str:
    """The unit key of pruning the reference to ``ratio``."""
    return f"prune/{ratio_key(ratio)}"


def deploy_task(ratio: float) -> str:
    """The unit key of training, exporting and timing ``ratio``'s re-tuned model."""
    return f"deploy/{ratio_key(ratio)}"


def cell_key(point: int, seed: int) -> str:
    """The unit key of one grid cell."""
    return f"cell/{point}/{seed}"


SETTLE_POINTS = ("kept", "recipe")  # the two points the settle stage trains


def settle_key(round_: int, point: str, index: int) -> str:
    """The unit key of one settle run: its round, its point and its seed's place in the
    round."""
    return f"settle/{round_}/{point}/{index}"


def cell_of(trial: Trial) -> tuple[int, int] | None:
    """The (point index, seed) a trial trains, or None for a trial that is not a grid cell."""
    if TrialKey.CELL not in trial.user_attrs:
        return None
    return int(trial.user_attrs[TrialKey.CELL]), int(trial.user_attrs[TrialKey.SEED])


class _Stored:
    """A record kept as a study attribute: stored as a plain dict, read back with its optional
    fields that an older pruneshift did not store at their defaults; a required field missing is
    a one-line StorageError naming it."""

    def as_stored(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def read(cls, stored: dict[str, Any]) -> Self:
        missing = [f.name for f in fields(cls) if f.name not in stored
                   and f.default is MISSING and f.default_factory is MISSING]
        if missing:
            raise StorageError(f"a stored {cls.__name__} lacks {', '.join(missing)}; the storage "
                               "is damaged or was written by another program")
        return cls(**{f.name: stored[f.name] for f in fields(cls) if f.name in stored})


@dataclass(frozen=True)
class ReferenceRecord(_Stored):
    """The dense model trained at the HPO optimum (``StudyKey.REFERENCE``)."""

    artifact_id: str
    val_accuracy: float
    test_accuracy: float | None
    diverged: bool
    epochs: int
    seconds: float


@dataclass(frozen=True)
class PrunedRecord(_Stored):
    """The reference pruned to one ratio (``StudyKey.pruned(ratio)``): its checkpoint, what it
    costs, and what pruning removed. Fields a run of an older pruneshift did not store are None
    when read back."""

    artifact_id: str
    efficiency: dict[str, Any] | None = None  # param_count, macs, latency_ms, size_bytes
    target: str | None = None  # what the ratio is a share of
    channel_ratio: float | None = None  # the share of channels removed
    reductions: dict[str, float] | None = None  # share of channels, MACs, parameters removed
    channels: dict[str, int] | None = None  # output channels per layer
    val_accuracy_before_training: float | None = None


@dataclass(frozen=True)
class SettlePlan(_Stored):
    """The two points a ratio's settle stage trains on fresh seeds
    (``StudyKey.settle(ratio)``): the kept dense optimum and the re-tuned recipe, each every
    grid axis's value."""

    kept: dict[str, Any] | None  # None: nothing to confirm (a grid had no point that trained)
    recipe: dict[str, Any] | None

    def point(self, name: str) -> dict[str, Any]:
        """The hyperparameters of ``kept`` or ``recipe``."""
        return self.kept if name == "kept" else self.recipe


def settle_plans(attrs: dict[str, Any]) -> dict[float, SettlePlan]:
    """Every ratio's settle plan in the stages study's attributes, by ratio."""
    return {ratio: SettlePlan.read(stored)
            for ratio, stored in StudyKey.settle_plans(attrs).items()}


def deployed_records(attrs: dict[str, Any]) -> dict[float, Deployment]:
    """Every deployed model's record in the stages study's attributes, by ratio."""
    return {ratio: Deployment.read(stored)
            for ratio, stored in StudyKey.deployed_models(attrs).items()}


def pruned_records(attrs: dict[str, Any]) -> dict[float, PrunedRecord]:
    """Every pruned model's record in the stages study's attributes, by ratio."""
    return {ratio: PrunedRecord.read(stored)
            for ratio, stored in StudyKey.pruned_models(attrs).items()}


@dataclass(frozen=True)
class HPOTrial:
    """One HPO trial as the report reads it: no Optuna object past the analysis."""

    number: int
    state: str  # COMPLETE, PRUNED, FAIL, RUNNING or WAITING
    value: float | None
    params: dict[str, Any]
    epochs: int

    @classmethod
    def of(cls, trial: FrozenTrial) -> HPOTrial:
        return cls(trial.number, trial.state.name, trial.value, dict(trial.params),
                   RunRecord.read(trial).epochs or 0)


def pack_outcomes(correct: np.ndarray) -> str:
    """Per-example outcomes (a boolean per example) as compact text: '<count>:<base64 bits>'."""
    bits = np.packbits(np.asarray(correct, dtype=bool))
    return f"{len(correct)}:{base64.b64encode(bits.tobytes()).decode('ascii')}"


def unpack_outcomes(text: str) -> np.ndarray:
    """The booleans ``pack_outcomes`` wrote."""
    count, _, encoded = text.partition(":")
    bits = np.frombuffer(base64.b64decode(encoded), dtype=np.uint8)
    return np.unpackbits(bits, count=int(count)).astype(bool)


@dataclass(frozen=True)
class RunRecord:
    """What a training run stores on its trial (a synthetic one stores the same). A trial
    stopped early by the HPO pruner stores only ``epochs`` and ``seconds``, a trial still
    running nothing: read back, what is missing is None (``diverged`` False). ``val_correct``
    and ``test_correct`` are the per-example outcomes (``pack_outcomes``; None for runs made
    before they were kept, and for diverged runs)."""

    epochs: int | None = None
    diverged: bool = False
    seconds: float | None = None
    val_loss: float | None = None
    test_accuracy: float | None = None
    seed: int | None = None
    val_correct: str | None = None
    test_correct: str | None = None

    def store(self, trial: optuna.Trial, fields: tuple[str, ...] | None = None) -> None:
        """Store every field (or only ``fields``) on the trial, but for those ``read`` would
        give already (a missing field reads as its default; the seed came with the unit): each
        write is a round trip to the storage."""
        held, default = trial.user_attrs, RunRecord()
        for key, value in asdict(self).items():
            if (fields is None or key in fields) and held.get(key, getattr(default, key)) != value:
                trial.set_user_attr(key, value)

    @classmethod
    def read(cls, trial: Trial) -> RunRecord:
        attrs = trial.user_attrs
        return cls(**{name: attrs[name] for name in cls.__dataclass_fields__ if name in attrs})
