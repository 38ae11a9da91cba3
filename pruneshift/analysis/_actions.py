"""The records that say what to do: each ratio's recipe, the transfer rule for ratios never
trained, and (owned by the storage, reported as stored) each ratio's deployed model."""

from __future__ import annotations

from typing import Any, Literal

from ..storage import Deployment, Export, Timing
from ._claims import Regret
from ._record import Record

__all__ = ["Deployment", "Export", "HyperparameterRecipe", "Recipe", "Timing", "Transfer",
           "TransferFit", "TransferForm", "TransferRatio"]


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
    kept: bool = False  # the dense optimum's values: on fresh seeds the grid's recipe did worse


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
