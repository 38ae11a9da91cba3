"""The records that say what to do: each ratio's recipe, the transfer rule for ratios never
trained, and each ratio's deployed model."""

from __future__ import annotations

from typing import Any, Literal

from ._claims import Regret
from ._record import Record


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


class TransferForm(Record):
    """One form of the transfer rule, fitted to every pruned ratio."""

    slope: float  # k of the power law; b (decades per unit ratio) of log-linear; 0 for none
    slope_interval: tuple[float, float] | None  # seed bootstrap, level 1 - alpha
    loro_error: float | None  # leave-one-ratio-out root mean square error, decades
    covariance: tuple[float, float, float] | None = None  # bootstrap (var anchor, var slope,
    # their covariance), the anchor in log10 decades: what a prediction's interval is made of


class TransferFit(Record):
    """How one log-scaled hyperparameter's optimum moves with the channels kept."""

    dense: float  # the rule's anchor: the dense optimum, refined between grid points
    chosen: Literal["none", "log-linear", "power"]  # "none" unless the data show a move
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
