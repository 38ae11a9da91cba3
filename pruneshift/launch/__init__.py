"""Starting workers: helper processes on this machine (``run --workers N``) and a Slurm job
array (``pruneshift launch``). What one worker does is ``pruneshift.pipeline.Worker``."""

from ._local import members_per_worker, start_local_workers, threads_per_worker
from ._slurm import Resources, launch

__all__ = ["Resources", "launch", "members_per_worker", "start_local_workers",
           "threads_per_worker"]
