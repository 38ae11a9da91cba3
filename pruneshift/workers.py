"""Local workers for ``pruneshift run --workers N``: N processes on one machine, one study."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .config import ExperimentConfig
from .errors import PruneshiftError
from .pipeline import run_dir_for
from .storage import public_config


def threads_per_worker(workers: int) -> int:
    """Each worker's share of this machine's cores."""
    return max(1, (os.cpu_count() or 1) // workers)


@dataclass
class Helpers:
    """The helper processes of a local multi-worker run."""

    processes: list[subprocess.Popen] = field(default_factory=list)

    def wait(self) -> None:
        """Wait for every helper; a helper that failed is an error."""
        codes = [p.wait() for p in self.processes]
        failed = [c for c in codes if c not in (0, 130)]
        if failed:
            raise PruneshiftError(f"{len(failed)} of {len(codes)} helper workers failed "
                                  f"(exit codes {failed}); see their output above")


def start_local_workers(config: ExperimentConfig, workers: int, *, out: Path | None,
                        storage: str | None) -> tuple[ExperimentConfig, Helpers]:
    """Start ``workers - 1`` helpers on the same study; return this process's config.

    The effective config is written to the run folder so every helper runs exactly it, each
    with its share of the CPU threads.
    """
    if workers <= 1:
        return config, Helpers()
    threads = threads_per_worker(workers)
    config = config.model_copy(update={"training": config.training.model_copy(
        update={"threads": threads})})
    run_dir = run_dir_for(config, out)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "config.yaml"
    path.write_text(yaml.safe_dump(public_config(config), sort_keys=False))
    command = [sys.executable, "-m", "pruneshift", "worker", str(path), "--out", str(run_dir)]
    if storage or config.storage:  # the written config has the password redacted
        command += ["--storage", storage or config.storage]
    helpers = Helpers([subprocess.Popen([*command, "--index", str(i)])
                       for i in range(1, workers)])
    return config, helpers
