"""Stacked versus one-at-a-time training of the default study's grid, dense and pruned.

    python benchmarks/batched.py [--model cnn] [--ratios 0 0.5] [--epochs 10] [--device cpu]
                                 [--members 50 16]

The grid is the default study's (5 x 5 learning rate x weight decay, 3 seeds: 75 cells) around
the default recipe, trained per ratio under the default protocol (pruning during training,
uniform l1). Each ratio is trained both ways in one run; the script prints both times, the
speed-up and the largest difference in validation accuracy between the two ways. ``--members``
splits the grid into stacks of at most that many cells, once per value given (default: all
cells in one stack), so stack sizes are compared in the same run.
"""

from __future__ import annotations

import argparse
import time

import torch
from _common import describe_machine, grid_cells

from pruneshift.config import load_config
from pruneshift.data import load_splits
from pruneshift.models import build_model
from pruneshift.pipeline._models import example_input, gradient_fn
from pruneshift.prune import GradualPruning
from pruneshift.train import StackedChange, train, train_batched


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
    parser.add_argument("--members", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    describe_machine()
    config = load_config(overrides=[f"model.name={args.model}", f"data.name={args.data}",
                                    f"training.epochs={args.epochs}"])
    device = torch.device(args.device)
    splits = load_splits(config.data, device)
    recipes, seeds = grid_cells(config)
    sizes = [size or len(seeds) for size in args.members]
    print(f"{args.model} on {args.data} ({device}), {len(seeds)} cells per ratio, "
          f"{args.epochs} epochs, batch {config.training.batch_size}")
    for ratio in args.ratios:
        def fresh_models():
            return [build_model(args.model, splits.input_shape, splits.num_classes,
                                seed=s).to(device) for s in seeds]

        def pruning(model, seed, recipe, ratio=ratio):
            return None if ratio == 0 else pruning_during_training(
                model, splits, config, ratio, seed, recipe)

        stacked_runs = {}
        for size in sizes:
            models = fresh_models()
            started = time.perf_counter()
            stacked = []
            for first in range(0, len(seeds), size):
                chunk = slice(first, first + size)
                group, group_seeds, group_recipes = models[chunk], seeds[chunk], recipes[chunk]
                prunings = [pruning(m, s, r)
                            for m, s, r in zip(group, group_seeds, group_recipes, strict=True)]
                hook = (StackedChange(group, prunings, example_input(splits))
                        if ratio > 0 else None)
                stacked += train_batched(group, splits, group_recipes, seeds=group_seeds,
                                         structure_hook=hook)
            stacked_runs[size] = (time.perf_counter() - started, stacked)
        singles = fresh_models()
        started = time.perf_counter()
        alone = [train(m, splits, r, seed=s, structure_hook=pruning(m, s, r))
                 for m, r, s in zip(singles, recipes, seeds, strict=True)]
        alone_s = time.perf_counter() - started
        param_count = sum(p.numel() for p in singles[0].parameters())
        print(f"ratio {ratio:g} ({param_count:,} parameters dense): one at a time "
              f"{alone_s:6.1f} s")
        for size, (stacked_s, stacked) in stacked_runs.items():
            gap = max(abs(a.val_accuracy - b.val_accuracy)
                      for a, b in zip(stacked, alone, strict=True))
            print(f"  stacks of {size:2d}: {stacked_s:6.1f} s, "
                  f"speed-up {alone_s / stacked_s:.2f}x, largest accuracy difference {gap:.4f}")


if __name__ == "__main__":
    main()
