"""Workers on a cluster: ``pruneshift launch`` submits N workers as one Slurm job array.

submitit (``pip install 'pruneshift[slurm]'``) writes and submits the sbatch script; each array
task runs ``run_study`` on the shared storage, exactly as ``pruneshift worker`` does, so tasks
can start, die and be added in any order. The storage URL travels in the environment
(``PRUNESHIFT_STORAGE``, which sbatch exports to the tasks), never in a file or on a command
line. ``cluster="local"`` runs the same jobs as local processes (a dry run without Slurm).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import STORAGE_ENV
from ..config import ExperimentConfig
from ..errors import PruneshiftError

CLUSTERS = ("slurm", "local")


@dataclass(frozen=True)
class Resources:
    """What each array task asks the scheduler for."""

    time_min: int = 720
    partition: str | None = None
    gpus: int = 0
    cpus: int = 4
    mem_gb: float = 16


def join_study(config_path: str, out: str) -> str:
    """One array task: a worker on the study, until it is complete; returns results.json."""
    import optuna

    from ..config import load_config
    from ..pipeline import run_study

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    run_study(load_config(Path(config_path)), out=Path(out),
              storage=os.environ.get(STORAGE_ENV))
    return str(Path(out) / "results.json")


def launch(config: ExperimentConfig, out: Path, workers: int, resources: Resources,
           cluster: str = "slurm") -> list[Any]:
    """Submit ``workers`` array tasks joining the study in ``out``; return submitit's jobs.

    The effective config is written to ``out/config.yaml`` first: every task runs exactly it.
    """
    if importlib.util.find_spec("submitit") is None:
        raise PruneshiftError("pruneshift launch needs submitit: pip install 'pruneshift[slurm]'")
    if cluster not in CLUSTERS:
        raise PruneshiftError(f"unknown cluster '{cluster}'; allowed: {', '.join(CLUSTERS)}")
    if cluster == "slurm" and shutil.which("sbatch") is None:
        raise PruneshiftError("no Slurm here (sbatch not found); use --cluster local to run "
                              "the workers as local processes")
    import submitit

    from ._local import write_effective_config

    out = Path(out).resolve()
    path = write_effective_config(config, out)
    folder = Path(out) / "slurm" / "%j"
    executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
    parameters: dict[str, Any] = {"name": f"pruneshift-{config.slug}",
                                  "timeout_min": resources.time_min,
                                  "cpus_per_task": resources.cpus, "mem_gb": resources.mem_gb,
                                  "gpus_per_node": resources.gpus, "tasks_per_node": 1,
                                  "nodes": 1}
    if cluster == "slurm":
        parameters["slurm_array_parallelism"] = workers
        if resources.partition:
            parameters["slurm_partition"] = resources.partition
    executor.update_parameters(**parameters)
    return executor.map_array(join_study, [str(path)] * workers, [str(out)] * workers)
