"""Does pruning make the model faster as much as it makes it cheaper? MACs versus CPU latency.

    python benchmarks/pruned_speed.py [--runs 200]

For each model and ratio (uniform l1 pruning, physically removing channels with Torch-Pruning)
the script prints the MACs kept and the latency kept at batch 1 and batch 64 (median of timed
runs after warm-up, 1 thread), and at 50 % the share of the MAC reduction that shows up as a
latency reduction (target >= 0.8).
"""

from __future__ import annotations

import argparse

import torch
from _common import describe_machine

from pruneshift.config import PruningConfig
from pruneshift.models import build_model
from pruneshift.prune import count_macs_and_params, cpu_latency_ms, prune

CASES = [("cnn", (1, 8, 8), "digits"), ("cnn", (1, 28, 28), "MNIST"),
         ("resnet8", (3, 32, 32), "CIFAR-10")]
RATIOS = [0.0, 0.25, 0.5, 0.75]
BATCHES = [1, 64]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    describe_machine()
    settings = PruningConfig()
    for name, shape, data in CASES:
        print(f"\n{name} on {data}-shaped input {shape}")
        print("ratio   MACs kept   latency kept b=1   b=64   (dense: ms at b=1, b=64)")
        dense = None
        for ratio in RATIOS:
            model = build_model(name, shape, 10, seed=0)
            example = torch.zeros(1, *shape)
            prune(model, example, settings, ratio=ratio, num_classes=10, seed=0)
            macs, _ = count_macs_and_params(model, shape)
            latency = [cpu_latency_ms(model, shape, runs=max(20, args.runs // b), batch=b)
                       for b in BATCHES]
            if dense is None:
                dense = (macs, latency)
                print(f"{ratio:5.2f}   {1:9.2f}   {1:16.2f}   {1:4.2f}   "
                      f"({latency[0]:.3f} ms, {latency[1]:.3f} ms)")
                continue
            kept = [lat / d for lat, d in zip(latency, dense[1], strict=True)]
            print(f"{ratio:5.2f}   {macs / dense[0]:9.2f}   {kept[0]:16.2f}   {kept[1]:4.2f}")
            if ratio == 0.5:
                cut = 1 - macs / dense[0]
                shares = [(1 - k) / cut for k in kept]
                print(f"        at 50 %: latency falls {shares[0]:.2f} (b=1) and {shares[1]:.2f} "
                      "(b=64) as much as MACs (target >= 0.8)")


if __name__ == "__main__":
    main()
