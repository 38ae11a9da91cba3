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
from ._answer import gate, grid_answer, settle_answer
from ._claims import (
    Answer,
    Confirmation,
    HyperparameterComparison,
    OptimumShift,
    RatioShift,
    Regret,
    Settlement,
    ShiftClaims,
    Statistic,
    StatisticTable,
    Threshold,
    ThresholdCriterion,
    Verdict,
)
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
from ._inference import Analysis, analyze_landscapes, claim_level, measure_shift
from ._landscape import Landscape, landscape_rows, to_landscape
from ._load import RunData, load_run_data
from ._metrics import Normalisation, ShiftMetrics
from ._noise import (
    NoShiftNull,
    SeedBootstrap,
    point_residuals,
    residuals,
    robust_offset,
    seed_noise,
)
from ._recipe import axis_value, position_of, recipe, recommended, refined_point, shipped
from ._record import DISTANCES
from ._regret import fold_differences, kept_point, kept_value, regret
from ._results import BudgetChoice, RatioResult, Results, read_results
from ._settle import (
    PairedRuns,
    complete_rounds,
    confirm,
    look_quantile,
    paired_error,
    paired_runs,
    pocock_boundary,
    settlement,
)
from ._shift import best_index, rank_agreement, subgrid_optimum
from ._summary import landscapes, normalisation_for, settlements, summarise
from ._threshold import threshold
from ._transfer import FORMS, Prediction, move, predict, recommend, transfer, width_at
from ._verdict import verdict

__all__ = ["Analysis", "Answer", "BudgetChoice", "Confirmation", "DISTANCES", "Deployment",
           "Export", "FORMS", "HyperparameterComparison", "HyperparameterRecipe", "Landscape",
           "NoShiftNull", "Normalisation", "OptimumShift", "PairedRuns", "Prediction",
           "RatioResult", "RatioShift", "Recipe", "Regret", "Results", "RunData", "SeedBootstrap",
           "Settlement", "ShiftClaims", "ShiftMetrics", "Statistic", "StatisticTable", "Threshold",
           "ThresholdCriterion", "Timing", "Transfer", "TransferFit", "TransferForm",
           "TransferRatio", "Verdict", "analyze_landscapes", "axis_value", "best_index",
           "claim_level", "complete_rounds", "confirm", "default_temperature", "default_top_delta",
           "distances", "fold_differences", "gate", "grid_answer", "grid_ground_metric", "holm",
           "importance", "kept_point", "kept_value", "landscape_rows", "landscapes",
           "load_run_data", "look_quantile", "marginal", "marginal_wasserstein", "measure_shift",
           "move", "normalisation_for", "paired_error", "paired_runs", "pocock_boundary",
           "point_residuals", "position_of", "predict", "rank_agreement", "read_results", "recipe",
           "recommend", "recommended", "refined_point", "regret", "residuals", "robust_offset",
           "seed_noise", "settle_answer", "settlement", "settlements", "shape_divergences",
           "shipped", "subgrid_optimum", "summarise", "threshold", "to_distribution",
           "to_landscape", "transfer", "verdict", "wasserstein_on_grid", "width_at"]
