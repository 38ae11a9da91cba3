"""Local workers for ``pruneshift run --workers N``: N processes on one machine, one study."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import STORAGE_ENV
from ..config import ExperimentConfig
from ..pipeline import run_dir_for
from ..storage import public_config


def threads_per_worker(workers: int) -> int:
    """Each worker's share of this machine's cores."""
    return max(1, (os.cpu_count() or 1) // workers)


def members_per_worker(config: ExperimentConfig, workers: int) -> int:
    """Each worker's share of a ratio's grid cells, so no worker stacks them all."""
    axes = config.grid.axes.values()
    cells = math.prod(len(a.values) if a.values else a.points for a in axes) * config.grid.seeds
    return max(1, math.ceil(cells / workers))


@dataclass
class Helpers:
    """The helper processes of a local multi-worker run."""

    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        """Stop every helper (SIGTERM: each gives its trial back) and wait for it."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait()

    def wait(self) -> str | None:
        """Wait for every helper; a line naming those that failed (None if none did). Whether
        the study succeeded is the study's to say: it finished, so the results stand."""
        codes = [p.wait() for p in self.processes]
        failed = [c for c in codes if c not in (0, 130)]
        if not failed:
            return None
        return (f"{len(failed)} of {len(codes)} helper workers failed (exit codes {failed}; "
                "see their output above); the study finished without them")


def write_effective_config(config: ExperimentConfig, run_dir: Path) -> Path:
    """The config every other worker runs, as ``run_dir/config.yaml`` (password redacted)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "config.yaml"
    path.write_text(yaml.safe_dump(public_config(config), sort_keys=False))
    return path


def start_local_workers(config: ExperimentConfig, workers: int, *, out: Path | None,
                        storage: str | None) -> tuple[ExperimentConfig, Helpers]:
    """Start ``workers - 1`` helpers on the same study; return this process's config.

    The effective config is written to the run folder so every helper runs exactly it, each
    with its share of the CPU threads and of each grid's cells per stack. Only this process
    prints the results; a helper's standard error (progress, warnings, errors) is shown.
    """
    if workers <= 1:
        return config, Helpers()
    share = {"threads": threads_per_worker(workers),
             "members": config.training.members or members_per_worker(config, workers)}
    config = config.model_copy(update={"training": config.training.model_copy(update=share)})
    run_dir = run_dir_for(config, out)
    path = write_effective_config(config, run_dir)
    command = [sys.executable, "-m", "pruneshift", "worker", str(path), "--out", str(run_dir),
               "--helper"]
    environment = dict(os.environ)
    if storage or config.storage:  # the written config has the password redacted
        environment[STORAGE_ENV] = storage or config.storage  # not on any command line
    helpers = Helpers([subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
                       for _ in range(1, workers)])  # their warnings and errors still show
    return config, helpers
