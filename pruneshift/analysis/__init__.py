"""From stored grids to answers: landscapes, distributions, distances and regret per ratio."""

from ._distance import (
    DEFAULT_TEMPERATURE,
    grid_ground_metric,
    softmax_distribution,
    wasserstein_on_grid,
)
from ._landscape import Landscape, landscape_rows, to_landscape
from ._load import RunData, load_run_data
from ._summary import landscapes, summarise

__all__ = ["DEFAULT_TEMPERATURE", "Landscape", "RunData", "grid_ground_metric", "landscape_rows",
           "landscapes", "load_run_data", "softmax_distribution", "summarise", "to_landscape",
           "wasserstein_on_grid"]
