"""What every benchmark prints first, a timer that interleaves repeats of rivals, the default
study's grid cells, and its models pruned to a ratio."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable

import torch

from pruneshift.config import ExperimentConfig, TrainingConfig
from pruneshift.data import Splits
from pruneshift.models import build_model
from pruneshift.pipeline._models import example_input, gradient_fn
from pruneshift.prune import prune
from pruneshift.search import build_grid


def describe_machine() -> None:
    gpu = f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores{gpu}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"Python {platform.python_version()}")


def best_times(rivals: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Each rival's best wall time over ``repeats``, run in turn so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in rivals}
    for _ in range(repeats):
        for name, rival in rivals.items():
            started = time.perf_counter()
            rival()
            times[name].append(time.perf_counter() - started)
    return {name: min(values) for name, values in times.items()}


def grid_cells(config: ExperimentConfig) -> tuple[list[TrainingConfig], list[int]]:
    """The recipe and seed of every cell of ``config``'s grid around its own recipe."""
    optimum = {"lr": config.training.lr, "weight_decay": config.training.weight_decay}
    grid, _ = build_grid(config, optimum)
    cells = [(grid.points()[p], s) for p, s in grid.cells()]
    recipes = [TrainingConfig.model_validate({**config.training.model_dump(), **point})
               for point, _ in cells]
    return recipes, [seed for _, seed in cells]


def pruned_models(config: ExperimentConfig, splits: Splits, seeds: list[int],
                  ratio: float) -> list[torch.nn.Module]:
    """``config``'s model built with each seed and pruned once to ``ratio``."""
    models = []
    for seed in seeds:
        model = build_model(config.model.name, splits.input_shape, splits.num_classes, seed=seed)
        prune(model, example_input(splits), config.pruning, ratio=ratio,
              num_classes=splits.num_classes, seed=seed, gradients=gradient_fn(splits))
        models.append(model)
    return models
