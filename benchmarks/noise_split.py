"""Where a finished run's noise is: training, or which examples a split happened to hold.

    python benchmarks/noise_split.py runs/default

From the grid (landscapes.csv): per ratio, one run's spread around its point's mean on the
validation and on the test split, and how much of it the two splits share. A run's training
luck (its initialisation and data order) moves both splits alike; which examples it happened
to get right moves each on its own. So the covariance of a run's validation and test residuals
is the training part, and the rest of each split's variance is that split's sampling part. Also
the share of a seed's residual shared by every point of the grid (its intraclass correlation:
a seed's luck is common to the points it trains).

From the settle stage (the storage): per pruned ratio, the paired difference's standard error
with seeds alone and two-way (seeds and test examples), and what the examples add: the part no
number of seeds removes on one fixed test split.
"""

from __future__ import annotations

import argparse

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from pruneshift.analysis import complete_rounds, paired_error, paired_runs, read_results
from pruneshift.config import build_config
from pruneshift.storage import (
    StudyKey,
    default_storage_url,
    open_storage,
    settle_study_name,
)


def grid_split(table: pd.DataFrame) -> None:
    print("grid: one run's standard deviation (points) around its point's mean, and its parts")
    print(f"{'ratio':>6} {'val sd':>7} {'test sd':>8} {'training':>9} {'val sampl.':>11} "
          f"{'seed ICC':>9}")
    for ratio, rows in table[~table.diverged].groupby("ratio"):
        counts = rows.groupby("point").seed.transform("count")
        scale = np.sqrt(counts / (counts - 1))
        val = (rows.val_accuracy - rows.groupby("point").val_accuracy.transform("mean")) * scale
        test = (rows.test_accuracy - rows.groupby("point").test_accuracy.transform("mean")) * scale
        shared = float(np.mean(val * test))
        val_var, test_var = float(np.mean(val ** 2)), float(np.mean(test ** 2))
        by_seed = val.groupby(rows.seed).mean()
        per_point = rows.groupby("seed").size().mean()
        icc = ((by_seed.var() - val_var / per_point) / val_var) if val_var > 0 else np.nan
        print(f"{ratio:6g} {100 * np.sqrt(val_var):7.2f} {100 * np.sqrt(test_var):8.2f} "
              f"{max(shared, 0) / val_var:9.0%} {1 - max(shared, 0) / val_var:11.0%} "
              f"{icc:9.2f}")


def settle_split(run_dir, results) -> None:
    config = build_config(results.config)
    storage = open_storage(default_storage_url(run_dir))
    print("\nsettle stage: standard error of the paired gain (points)")
    print(f"{'ratio':>6} {'seeds':>6} {'seeds only':>11} {'two-way':>8} {'examples add':>13}")
    for ratio, entry in results.ratios.items():
        if ratio == 0 or entry.settle is None:
            continue
        study = optuna.load_study(study_name=settle_study_name(results.experiment, ratio),
                                  storage=storage)
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        rounds = complete_rounds(trials, config.settle.seeds_per_round)
        runs = paired_runs(trials, rounds, config.settle.seeds_per_round,
                           StudyKey.rounds_test_ids(study.user_attrs))
        seeds_only = paired_error(runs.__class__(runs.kept, runs.recipe))
        two_way = paired_error(runs)
        added = np.sqrt(max(two_way ** 2 - seeds_only ** 2, 0.0))
        print(f"{ratio:6g} {runs.seeds:6d} {100 * seeds_only:11.3f} {100 * two_way:8.3f} "
              f"{100 * added:13.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a finished run folder")
    args = parser.parse_args()
    results = read_results(args.run)
    grid_split(pd.read_csv(f"{args.run}/landscapes.csv"))
    settle_split(args.run, results)


if __name__ == "__main__":
    main()
