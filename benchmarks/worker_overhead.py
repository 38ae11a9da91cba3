"""What a worker spends besides its units: a small synthetic study (whose units cost nothing),
as the worker runs it now and as a plain worker loop would.

    python benchmarks/worker_overhead.py [--storage postgresql://...] [--repeats 3]

Rivals, each from an empty folder (and, given a PostgreSQL URL, a database of its own), run in
turn so drift hits both alike:
  plain  the whole job counted for the progress display after every unit, one cell per step;
  now    counted when a stage starts and at most every PROGRESS_EVERY_S, several cells a step.
Without --storage both use the run folder's journal file. Prints each rival's best wall time.
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from _common import best_times, describe_machine

from pruneshift.config import load_config
from pruneshift.pipeline import _sources, _worker, run_study

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "synthetic.yaml"
SMALL = ["hpo.method=none", "training.lr=0.05", "training.weight_decay=0.0005",
         "grid.axes.lr.points=3", "grid.axes.lr.span=100", "grid.axes.weight_decay.points=3",
         "grid.axes.weight_decay.span=100", "pruning.ratios=[0, 0.5, 0.75]",
         "settle.seeds_per_round=4", "settle.max_runs=16"]  # the fault scenarios' study
RIVALS = {"plain": (0.0, 1),
          "now": (_worker.PROGRESS_EVERY_S, _sources.SYNTHETIC_CELLS_PER_STEP)}


CREATED: list[str] = []  # databases made here, dropped at the end


def _execute(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"),
                         autocommit=True) as connection:
        connection.execute(statement)


def fresh_database(url: str) -> str:
    """A new empty database on the server of ``url``; its URL."""
    base, _, _ = url.rpartition("/")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    _execute(url, f"CREATE DATABASE {name}")
    CREATED.append(name)  # only what exists is dropped: an unreachable server's error shows
    return f"{base}/{name}"


def rival(progress_every_s: float, cells_per_step: int, storage: str | None,
          folder: Path) -> Callable[[], object]:
    config = load_config(EXAMPLE, SMALL)

    def run() -> object:
        _worker.PROGRESS_EVERY_S = progress_every_s
        _sources.SYNTHETIC_CELLS_PER_STEP = cells_per_step
        out = Path(tempfile.mkdtemp(dir=folder))
        return run_study(config, out=out, storage=storage and fresh_database(storage))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", help="a PostgreSQL URL (default: a journal file)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    describe_machine()
    try:
        with tempfile.TemporaryDirectory() as folder:
            times = best_times({name: rival(*toggles, args.storage, Path(folder))
                                for name, toggles in RIVALS.items()}, args.repeats)
    finally:
        for name in CREATED:
            _execute(args.storage, f"DROP DATABASE {name} WITH (FORCE)")
    where = "PostgreSQL" if args.storage else "a journal file"
    print(f"small synthetic study on {where}, best of {args.repeats}:")
    for name, seconds in times.items():
        print(f"  {name:<6} {seconds:6.2f} s")
    print(f"now / plain: {times['now'] / times['plain']:.2f}x")


if __name__ == "__main__":
    main()
