"""Training on a shared machine: how thread count and OpenMP's wait policy fare under load.

    python benchmarks/shared_machine.py [--epochs 15] [--hogs 2]

One training run (cnn on the digits, the default recipe) in a fresh process, first on an idle
machine, then with ``--hogs`` busy processes beside it (another user's jobs). Each mode is timed
in the same run: torch's default threads (one per core) with OpenMP's default wait policy, the
same with ``OMP_WAIT_POLICY=PASSIVE`` (threads sleep instead of spinning while they wait), with
``GOMP_SPINCOUNT=10000`` (they spin briefly, then sleep; what the ``pruneshift`` command sets
unless the user chose a wait policy, ``pruneshift.threads``), and one thread. Printed: wall and
CPU seconds, and each mode's ratio to OpenMP's default.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import subprocess
import sys
import time

from _common import describe_machine

RUN = """
import torch
from pruneshift.config import DataConfig, TrainingConfig
from pruneshift.data import load_splits
from pruneshift.models import build_model
from pruneshift.train import train
splits = load_splits(DataConfig(name="digits"))
model = build_model("cnn", splits.input_shape, splits.num_classes, {{}}, seed=0)
train(model, splits, TrainingConfig(epochs={epochs}, threads={threads}), seed=0)
"""

MODES = {"default": ({}, None), "passive": ({"OMP_WAIT_POLICY": "PASSIVE"}, None),
         "short spin": ({"GOMP_SPINCOUNT": "10000"}, None), "one thread": ({}, 1)}


def hog() -> None:
    while True:
        pass


def timed(env: dict[str, str], threads: int | None, epochs: int) -> tuple[float, float]:
    """Wall and CPU seconds of one training run in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN.format(epochs=epochs, threads=threads)],
                   env={**os.environ, **env}, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    describe_machine()
    for load in ("idle", f"{args.hogs} busy processes beside it"):
        hogs = []
        if load != "idle":
            hogs = [multiprocessing.Process(target=hog, daemon=True) for _ in range(args.hogs)]
            for process in hogs:
                process.start()
        try:
            results = {name: timed(env, threads, args.epochs)
                       for name, (env, threads) in MODES.items()}
        finally:
            for process in hogs:
                process.terminate()
        base_wall, base_cpu = results["default"]
        print(f"\n{load}: {args.epochs} epochs of cnn on digits")
        for name, (wall, cpu) in results.items():
            print(f"  {name:<11} wall {wall:6.1f} s ({wall / base_wall:4.2f}x)   "
                  f"cpu {cpu:6.1f} s ({cpu / base_cpu:4.2f}x)")


if __name__ == "__main__":
    main()
