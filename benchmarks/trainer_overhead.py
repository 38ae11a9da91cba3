"""The single trainer versus a bare PyTorch loop: same model, data, epochs, seed and recipe.

    python benchmarks/trainer_overhead.py [--model cnn] [--epochs 20] [--repeats 3]

All train on the digits splits with SGD (momentum, Nesterov, weight decay), a cosine schedule
set per step and per-epoch validation. The trainer runs its images in channels-last memory
order; the bare loop runs once that way (the trainer's overhead: the ratio of the two, target
<= 1.05, and the largest weight difference) and once in PyTorch's default channels-first order
(what the memory order buys: the ratio of the bare loops).
"""

from __future__ import annotations

import argparse
import math

import torch
import torch.nn.functional as F
from _common import best_times, describe_machine

from pruneshift.config import DataConfig, TrainingConfig
from pruneshift.data import load_splits
from pruneshift.models import build_model
from pruneshift.train import train


def bare_loop(model, splits, recipe, seed, memory_format=torch.contiguous_format):
    """What one would write by hand: seeded order, SGD, cosine per step, validation per epoch."""
    model.to(memory_format=memory_format)
    opt = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                          nesterov=True, weight_decay=recipe.weight_decay)
    order, n = torch.Generator().manual_seed(seed), len(splits.train_y)
    steps, total = n // recipe.batch_size, n // recipe.batch_size * recipe.epochs
    for epoch in range(recipe.epochs):
        model.train()
        perm = torch.randperm(n, generator=order)
        for b in range(steps):
            idx = perm[b * recipe.batch_size:(b + 1) * recipe.batch_size]
            for g in opt.param_groups:
                g["lr"] = recipe.lr * 0.5 * (1 + math.cos(math.pi * (epoch * steps + b) / total))
            inputs = splits.train_x[idx].contiguous(memory_format=memory_format)
            loss = F.cross_entropy(model(inputs), splits.train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val = splits.val_x.contiguous(memory_format=memory_format)
            (model(val).argmax(1) == splits.val_y).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    describe_machine()
    splits = load_splits(DataConfig(name="digits"), torch.device("cpu"))
    recipe = TrainingConfig(epochs=args.epochs, lr=0.05, batch_size=64)
    fresh = {}

    def ours():
        fresh["ours"] = build_model(args.model, splits.input_shape, 10, seed=0)
        train(fresh["ours"], splits, recipe, seed=0, evaluate_test=False)

    def bare(name, memory_format):
        def loop():
            fresh[name] = build_model(args.model, splits.input_shape, 10, seed=0)
            bare_loop(fresh[name], splits, recipe, 0, memory_format)
        return loop

    times = best_times({"trainer": ours,
                        "bare, channels-last": bare("last", torch.channels_last),
                        "bare, channels-first": bare("first", torch.contiguous_format)},
                       args.repeats)
    same = max((p - q).abs().max().item() for p, q in zip(
        fresh["ours"].parameters(), fresh["last"].parameters(), strict=True))
    print(f"{args.model} on digits, {args.epochs} epochs, batch 64, best of {args.repeats}")
    for name, seconds in times.items():
        print(f"{name:21s}: {seconds:6.2f} s")
    print(f"largest weight difference, trainer and bare channels-last loop: {same:.1e}")
    print(f"trainer / bare channels-last loop: "
          f"{times['trainer'] / times['bare, channels-last']:.3f}x (target <= 1.05)")
    print(f"bare channels-first / channels-last: "
          f"{times['bare, channels-first'] / times['bare, channels-last']:.2f}x "
          "(what the memory order buys)")


if __name__ == "__main__":
    main()
