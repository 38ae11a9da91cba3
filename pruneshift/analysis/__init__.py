"""From stored grids to answers: landscapes, distributions, distances, regret, noise floors."""

from ._actions import (
    Deployment,
    Export,
    HyperparameterRecipe,
    Recipe,
    Timing,
    Transfer,
    TransferFit,
    TransferForm,
    TransferRatio,
)
from ._claims import (
    HyperparameterComparison,
    OptimumShift,
    RatioComparison,
    Regret,
    ShiftClaims,
    Statistic,
    StatisticTable,
    Threshold,
    ThresholdCriterion,
    Verdict,
)
from ._compare import Comparison, Normalisation
from ._distance import (
    distances,
    grid_ground_metric,
    marginal,
    marginal_wasserstein,
    shape_divergences,
    wasserstein_on_grid,
)
from ._distribution import default_temperature, default_top_delta, to_distribution
from ._family import holm
from ._importance import importance
from ._inference import analyse, compare
from ._landscape import Landscape, landscape_rows, to_landscape
from ._load import RunData, load_run_data
from ._noise import (
    NoShiftNull,
    SeedBootstrap,
    point_residuals,
    residuals,
    robust_offset,
    seed_noise,
)
from ._recipe import axis_value, position_of, recipe, refined_point
from ._record import DISTANCES
from ._regret import fold_differences, kept_point, kept_value, regret
from ._results import BudgetChoice, RatioResult, Results, read_results
from ._shift import best_index, rank_agreement, subgrid_optimum
from ._summary import landscapes, normalisation_for, summarise
from ._threshold import threshold
from ._transfer import FORMS, Prediction, move, predict, recommend, transfer, width_at
from ._verdict import verdict

__all__ = ["BudgetChoice", "Comparison", "DISTANCES", "Deployment", "Export", "FORMS",
           "HyperparameterComparison", "HyperparameterRecipe", "Landscape", "NoShiftNull",
           "Normalisation", "OptimumShift", "Prediction", "RatioComparison", "RatioResult",
           "Recipe", "Regret", "Results", "RunData", "SeedBootstrap", "ShiftClaims", "Statistic",
           "StatisticTable", "Threshold", "ThresholdCriterion", "Timing", "Transfer",
           "TransferFit", "TransferForm", "TransferRatio", "Verdict", "analyse", "axis_value",
           "best_index", "compare", "default_temperature", "default_top_delta", "distances",
           "fold_differences", "grid_ground_metric", "holm", "importance", "kept_point",
           "kept_value", "landscape_rows", "landscapes", "load_run_data", "marginal",
           "marginal_wasserstein", "move", "normalisation_for", "point_residuals", "position_of",
           "predict", "rank_agreement", "read_results", "recipe", "recommend", "refined_point",
           "regret", "residuals", "robust_offset", "seed_noise", "shape_divergences",
           "subgrid_optimum", "summarise", "threshold", "to_distribution", "to_landscape",
           "transfer", "verdict", "wasserstein_on_grid", "width_at"]
