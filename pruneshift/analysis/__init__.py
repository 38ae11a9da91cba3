"""From stored grids to answers: landscapes, distributions, distances, regret, noise floors."""

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
from ._importance import importance
from ._landscape import Landscape, landscape_rows, to_landscape
from ._load import RunData, load_run_data
from ._noise import SeedBootstrap, SeedPermutation, point_residuals, residuals, seed_noise
from ._shift import best_index, rank_agreement, subgrid_optimum
from ._summary import landscapes, summarise
from ._threshold import threshold

__all__ = ["Comparison", "Landscape", "Normalisation", "RunData", "SeedBootstrap",
           "SeedPermutation", "best_index", "default_temperature", "default_top_delta",
           "distances", "grid_ground_metric", "importance", "landscape_rows", "landscapes",
           "load_run_data", "marginal", "marginal_wasserstein", "point_residuals",
           "rank_agreement", "residuals", "seed_noise", "shape_divergences", "subgrid_optimum",
           "summarise", "threshold", "to_distribution", "to_landscape", "wasserstein_on_grid"]
