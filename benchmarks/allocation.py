"""A stack trained with its freed memory kept for the next step, against glibc's default.

    python benchmarks/allocation.py [--ratios 0 0.5] [--epochs 2] [--members 64] [--repeats 3]
                                    [--set training.batch_size=32 ...]

Each run trains a stack of the default grid's first ``--members`` cells (each member pruned
once to the ratio) with ``train_batched``: as pruneshift does (``freed_memory_kept``: glibc's
mmap and trim thresholds raised while the stack trains) and with the allocator as glibc leaves
it (the same function unwrapped). The allocator's settings are the process's, so every run is a
fresh process, the two ways taking turns. Printed per ratio and way: the best wall time, the
kernel (system) CPU seconds and minor page faults of that run, and whether both ways ended with
the same validation accuracy for every member.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from _common import describe_machine, grid_cells, pruned_models

from pruneshift.config import load_config
from pruneshift.data import load_splits
from pruneshift.train import train_batched

WAYS = ("glibc default", "kept")


def one_run(way: str, ratio: float, members: int, overrides: list[str]) -> dict:
    """Train the stack once in this process; its time, kernel time, page faults and results."""
    config = load_config(overrides=overrides)
    splits = load_splits(config.data)
    recipes, seeds = grid_cells(config)
    recipes, seeds = recipes[:members], seeds[:members]
    models = pruned_models(config, splits, seeds, ratio)
    train = train_batched if way == "kept" else train_batched.__wrapped__
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    results = train(models, splits, recipes, seeds=seeds, evaluate_test=False)
    seconds, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": seconds, "system": after.ru_stime - before.ru_stime,
            "faults": after.ru_minflt - before.ru_minflt,
            "accuracies": [r.val_accuracy for r in results]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.0, 0.5])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--members", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE")
    parser.add_argument("--one", choices=WAYS, help=argparse.SUPPRESS)  # a child run
    parser.add_argument("--ratio", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    overrides = [*args.overrides, f"training.epochs={args.epochs}"]
    if args.one:
        print(json.dumps(one_run(args.one, args.ratio, args.members, overrides)))
        return
    describe_machine()
    for ratio in args.ratios:
        runs: dict[str, list[dict]] = {way: [] for way in WAYS}
        for _ in range(args.repeats):
            for way in WAYS:
                command = [sys.executable, str(Path(__file__)), "--one", way, "--ratio",
                           str(ratio), "--members", str(args.members), "--epochs",
                           str(args.epochs), *(f"--set={o}" for o in args.overrides)]
                output = subprocess.run(command, capture_output=True, text=True, check=True)
                runs[way].append(json.loads(output.stdout.strip().splitlines()[-1]))
        best = {way: min(r, key=lambda run: run["seconds"]) for way, r in runs.items()}
        same = all(run["accuracies"] == runs[WAYS[0]][0]["accuracies"]
                   for r in runs.values() for run in r)
        print(f"ratio {ratio:g}, {args.members} members, {args.epochs} epochs "
              f"(best of {args.repeats}, turn about):")
        for way, run in best.items():
            print(f"  {way:<14} {run['seconds']:6.2f} s, {run['system']:5.2f} s in the kernel, "
                  f"{run['faults']:>9,} page faults")
        ratio_kept = best["kept"]["seconds"] / best[WAYS[0]]["seconds"]
        print(f"  kept / default: {ratio_kept:.2f}x; every member's accuracy the same: {same}")


if __name__ == "__main__":
    main()
