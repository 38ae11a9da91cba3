"""Speed-up of local workers: the quick study with 1 and with 2 workers, side by side.

    python benchmarks/workers.py [--config examples/quick.yaml] [--repeats 1] [--set k=v ...]

Each run starts from an empty folder (journal storage) and goes through every stage; the
printed ratio is wall time with 1 worker over wall time with 2. Time ratios, not seconds: the
machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed_run(config: Path, workers: int, overrides: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        sets = [arg for o in overrides for arg in ("--set", o)]
        subprocess.run([sys.executable, "-m", "pruneshift", "run", str(config), "--out", out,
                        "--workers", str(workers), *sets], check=True, capture_output=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "quick.yaml")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="config override, as for pruneshift run (repeatable)")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"study: {args.config.name} {' '.join(args.overrides)}")
    one, two = [], []
    for _ in range(args.repeats):  # interleaved, so drift on a shared machine hits both
        one.append(timed_run(args.config, 1, args.overrides))
        two.append(timed_run(args.config, 2, args.overrides))
    best_one, best_two = min(one), min(two)
    print(f"1 worker : {best_one:7.1f} s (best of {args.repeats})")
    print(f"2 workers: {best_two:7.1f} s (best of {args.repeats})")
    print(f"speed-up : {best_one / best_two:.2f}x")


if __name__ == "__main__":
    main()
