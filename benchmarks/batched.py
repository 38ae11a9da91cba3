"""Stacked versus one-at-a-time training of the default study's grid, dense and pruned.

    python benchmarks/batched.py [--model cnn] [--ratios 0 0.5] [--epochs 10] [--device cpu]

The grid is the default study's (5 x 5 learning rate x weight decay, 2 seeds: 50 cells) around
the default recipe, trained per ratio under the default protocol (pruning during training,
uniform l1). Each ratio is trained both ways in one run; the script prints both times, the
speed-up and the largest difference in validation accuracy between the two ways.
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from _common import describe_machine

from pruneshift.config import TrainingConfig, load_config
from pruneshift.data import load_splits
from pruneshift.models import build_model
from pruneshift.pipeline._grids import StackedPruning
from pruneshift.pipeline._models import example_input, gradient_fn
from pruneshift.prune import GradualPruning
from pruneshift.search import build_grid
from pruneshift.train import train, train_batched


def pruning_during_training(model, splits, config, ratio, seed, recipe):
    return GradualPruning(model, example_input(splits), config.pruning, ratio=ratio,
                          num_classes=splits.num_classes, epochs=recipe.epochs, seed=seed,
                          gradients=gradient_fn(splits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--data", default="digits")
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.0, 0.5])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    describe_machine()
    config = load_config(overrides=[f"model.name={args.model}", f"data.name={args.data}",
                                    f"training.epochs={args.epochs}"])
    device = torch.device(args.device)
    splits = load_splits(config.data, device)
    optimum = {"lr": config.training.lr, "weight_decay": config.training.weight_decay}
    grid, _ = build_grid(config, optimum)
    cells = [(grid.points()[p], s) for p, s in grid.cells()]
    recipes = [TrainingConfig.model_validate({**config.training.model_dump(), **point})
               for point, _ in cells]
    seeds = [seed for _, seed in cells]
    print(f"{args.model} on {args.data} ({device}), {len(cells)} cells per ratio, "
          f"{args.epochs} epochs, batch {config.training.batch_size}")
    for ratio in args.ratios:
        models = [build_model(args.model, splits.input_shape, splits.num_classes,
                              seed=s).to(device) for s in seeds]
        singles = [copy.deepcopy(m) for m in models]

        def pruning(model, seed, recipe, ratio=ratio):
            return None if ratio == 0 else pruning_during_training(
                model, splits, config, ratio, seed, recipe)

        started = time.perf_counter()
        prunings = [pruning(m, s, r) for m, s, r in zip(models, seeds, recipes, strict=True)]
        hook = (StackedPruning(models, prunings, example_input(splits)) if ratio > 0 else None)
        stacked = train_batched(models, splits, recipes, seeds=seeds, structure_hook=hook)
        stacked_s = time.perf_counter() - started
        started = time.perf_counter()
        alone = [train(m, splits, r, seed=s, structure_hook=pruning(m, s, r))
                 for m, r, s in zip(singles, recipes, seeds, strict=True)]
        alone_s = time.perf_counter() - started
        gap = max(abs(a.val_accuracy - b.val_accuracy)
                  for a, b in zip(stacked, alone, strict=True))
        params = sum(p.numel() for p in models[0].parameters())
        print(f"ratio {ratio:g} ({params:,} params): stacked {stacked_s:6.1f} s, one at a time "
              f"{alone_s:6.1f} s, speed-up {alone_s / stacked_s:.2f}x, largest accuracy "
              f"difference {gap:.4f}")


if __name__ == "__main__":
    main()
