"""How close does a study come to the machine? Each stage's arithmetic against the CPU's peak.

The peak is measured here: the best of repeated float32 matrix products (2048 x 2048) on the
threads pruneshift trains with. Each stage of a finished run (read from its folder: hpo.json,
landscapes.csv, results.json and the storage) is then costed in floating-point operations,
counted from the models' MACs: a training image costs 6 MACs' worth per MAC of a forward pass
(2 forward, 4 backward), a scored image 2. Under ``during-training`` a cell trains dense until
its first pruning step and at each step's width after it; the MACs in between are the dense
ones scaled by the width kept squared (convolutions dominate). Stage seconds are the runs' own
(a stack's time shared among its members), so the share of peak is what training reached,
not what waiting, storage and the report cost; those are the run's wall time minus the stages.

    python benchmarks/roofline.py runs/default        # a finished run folder
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import optuna
import pandas as pd
import torch

from pruneshift.analysis import read_results
from pruneshift.config import build_config
from pruneshift.data import load_splits
from pruneshift.prune._structure import pruning_epochs
from pruneshift.storage import RunRecord, default_storage_url, open_storage, settle_study_name

sys.path.insert(0, str(Path(__file__).parent))
from _common import describe_machine  # noqa: E402

SIZE = 2048


def peak_gflops(repeats: int = 10) -> float:
    """The best float32 GEMM rate on this process's threads, GFLOP/s."""
    a, b = torch.randn(SIZE, SIZE), torch.randn(SIZE, SIZE)
    for _ in range(3):
        a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * SIZE ** 3 / best / 1e9


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def epoch_macs(config, dense: float, channel_ratio: float, ratio: float) -> list[float]:
    """Forward MACs per image in each epoch of a grid cell at ``ratio``."""
    epochs = config.training.epochs
    if ratio == 0:
        return [dense] * epochs
    if config.pruning.protocol != "during-training":
        return [dense * (1 - channel_ratio) ** 2] * epochs
    steps = pruning_epochs(epochs, config.pruning.steps, config.pruning.prune_until)
    widths = []
    for epoch in range(1, epochs + 1):
        done = sum(epoch > s for s in steps)
        widths.append(1 - channel_ratio * done / len(steps))
    return [dense * w ** 2 for w in widths]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a finished run folder")
    args = parser.parse_args()
    describe_machine()
    peak = peak_gflops()
    print(f"measured peak: {peak:.0f} GFLOP/s (float32 GEMM {SIZE}^2, "
          f"{torch.get_num_threads()} threads)\n")
    results = read_results(args.run)
    config = build_config(results.config)
    hpo = json.loads((args.run / "hpo.json").read_text())
    table = pd.read_csv(args.run / "landscapes.csv")
    splits = load_splits(config.data)
    sizes = {"train": len(splits.train_y), "val": len(splits.val_y), "test": len(splits.test_y)}
    dense = results.ratios[0.0].efficiency.macs
    rows = []
    per_run_dense = 6 * dense * sizes["train"] * config.max_epochs + 2 * dense * (
        sizes["val"] * config.max_epochs + sizes["test"])
    hpo_epochs = hpo["epochs_spent"]
    rows.append(("HPO", hpo["trial_seconds"],
                 hpo_epochs * (6 * dense * sizes["train"] + 2 * dense * sizes["val"])))
    storage = open_storage(default_storage_url(args.run))
    for ratio, entry in results.ratios.items():
        cells = table[table.ratio == ratio]
        macs = epoch_macs(config, dense, entry.channel_ratio or 0.0, ratio)
        run_flops = 6 * sizes["train"] * sum(macs) + 2 * macs[-1] * (sizes["val"]
                                                                      + sizes["test"])
        rows.append((f"grid r={ratio:g}", float(cells.train_seconds.sum()),
                     run_flops * len(cells)))
        if ratio > 0 and entry.settle is not None:
            trials = optuna.load_study(study_name=settle_study_name(results.experiment, ratio),
                                       storage=storage).get_trials(deepcopy=False)
            seconds = sum(RunRecord.read(t).seconds or 0.0 for t in trials)
            rows.append((f"settle r={ratio:g}", seconds, run_flops * entry.settle.runs))
    print(f"{'stage':<14} {'seconds':>8} {'TFLOP':>7} {'GFLOP/s':>8} {'of peak':>8}")
    for name, seconds, flops in rows:
        rate = flops / seconds / 1e9 if seconds else float("nan")
        print(f"{name:<14} {seconds:8.1f} {flops / 1e12:7.2f} {rate:8.1f} {rate / peak:8.1%}")
    total = sum(r[1] for r in rows)
    print(f"{'all training':<14} {total:8.1f} {sum(r[2] for r in rows) / 1e12:7.2f}")
    print(f"(a dense run: {per_run_dense / 1e9:.0f} GFLOP; the rest of the run's wall time is "
          "the reference, pruning, deployment, storage and the report)")


if __name__ == "__main__":
    main()
