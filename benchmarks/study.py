"""The default study end to end, time per stage: as it runs now, and with stacking turned off.

    python benchmarks/study.py [--config CONFIG] [--set k=v ...] [--modes stacked off workers]

Modes, each from an empty folder in this one run:
  off      one process, every grid cell trained alone (training.batched=off): the baseline;
  stacked  one process, each ratio's cells trained as stacks (the default);
  workers  two local worker processes with stacking, one thread each (run --workers 2).
Per mode the script prints the wall time of every stage (HPO, pruning, each ratio's grid,
analysis and report) and the speed-up over the baseline.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import optuna
from _common import describe_machine

from pruneshift.config import load_config
from pruneshift.launch import start_local_workers
from pruneshift.pipeline import Events, run_study

MODES = {"off": (["training.batched=off"], 1), "stacked": ([], 1), "workers": ([], 2)}


class StageClock(Events):
    """Charges the time since the previous event to the stage of the unit just finished."""

    def __init__(self):
        self.last = time.perf_counter()
        self.seconds: dict[str, float] = defaultdict(float)

    def progress(self, progress):
        now = time.perf_counter()
        self.seconds[progress.label] += now - self.last
        self.last = now


def timed(config_path: Path | None, overrides: list[str], workers: int
          ) -> tuple[float, dict[str, float]]:
    config = load_config(config_path, overrides)
    clock = StageClock()
    with tempfile.TemporaryDirectory() as out:
        started = clock.last = time.perf_counter()
        config, helpers = start_local_workers(config, workers, out=Path(out), storage=None)
        try:
            run_study(config, out=Path(out), events=clock)
        finally:
            helpers.wait()
        total = time.perf_counter() - started
    clock.seconds["analysis + report"] = total - sum(clock.seconds.values())
    return total, dict(clock.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=None, help="default: the built-in study")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    describe_machine()
    print(f"study: {args.config or 'built-in default'} {' '.join(args.overrides)}")
    results = {}
    for mode in args.modes:
        extra, workers = MODES[mode]
        results[mode] = timed(args.config, [*args.overrides, *extra], workers)
        total, stages = results[mode]
        print(f"\n{mode}: {total:.1f} s" + (f" with {workers} workers (stage times are this "
                                              "process's)" if workers > 1 else ""))
        for stage, seconds in stages.items():
            print(f"  {stage:18s} {seconds:7.1f} s")
    if "off" in results:
        base = results["off"][0]
        for mode, (total, _) in results.items():
            if mode != "off":
                print(f"speed-up of {mode} over off: {base / total:.2f}x")


if __name__ == "__main__":
    main()
