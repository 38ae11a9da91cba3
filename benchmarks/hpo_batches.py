"""HPO trials trained together (``hpo.batch``) against one by one, side by side in one run.

    python benchmarks/hpo_batches.py [--config CONFIG] [--batches 1 6] [--seeds 0 1 2]

For each sampler seed and batch size: the default study's HPO stage (the embedded default
unless --config) run to its trial budget, timed, with the best validation accuracy it found
(every trial trains its full epochs: equal epochs spent). Prints per batch size the mean
wall time, its speed-up over the first batch size, and the mean best accuracy (the target: at least
2x faster per trial with an equal or better best accuracy).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import optuna
from _common import describe_machine
from optuna.trial import TrialState

from pruneshift.config import load_config
from pruneshift.pipeline import run_hpo
from pruneshift.storage import default_storage_url, hpo_study_name, open_storage


def run(config, seed: int, batch: int) -> tuple[float, float]:
    """(wall seconds, best validation accuracy) of the HPO stage."""
    config = config.model_copy(update={"hpo": config.hpo.model_copy(
        update={"seed": seed, "batch": batch})})
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        run_hpo(config, out=Path(out))
        seconds = time.perf_counter() - started
        study = optuna.load_study(study_name=hpo_study_name(config.experiment),
                                  storage=open_storage(default_storage_url(Path(out))))
        best = max(t.value for t in study.get_trials(states=(TrialState.COMPLETE,)))
    return seconds, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 6])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    describe_machine()
    config = load_config(args.config)
    print(f"{config.data.name}, {config.model.name}, {config.hpo.method}, "
          f"{config.hpo.n_trials} trials of {config.training.epochs} epochs, sampler seeds "
          f"{args.seeds}")
    found = {b: [] for b in args.batches}
    for seed in args.seeds:
        for batch in args.batches:  # interleaved, so a busy spell hits every batch size alike
            seconds, best = run(config, seed, batch)
            found[batch].append((seconds, best))
            print(f"seed {seed}, batch {batch:>2}: {seconds:6.1f} s, best accuracy {best:.4f}")
    base = statistics.mean(s for s, _ in found[args.batches[0]])
    for batch, runs in found.items():
        seconds = statistics.mean(s for s, _ in runs)
        print(f"batch {batch:>2}: {seconds:6.1f} s ({base / seconds:.2f}x), mean best accuracy "
              f"{statistics.mean(b for _, b in runs):.4f}")


if __name__ == "__main__":
    main()
