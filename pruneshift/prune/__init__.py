"""Structured pruning on Torch-Pruning: criteria, pruning, efficiency figures, checkpoints."""

from ._checkpoint import load_into, read_state, reinitialise, save_checkpoint
from ._efficiency import count_macs_and_params, cpu_latency_ms, efficiency, serialized_bytes
from ._structure import GradualPruning, classifier_of, make_pruner, prune, pruning_epochs
from ._target import costs, prune_to_target, reductions

__all__ = ["GradualPruning", "classifier_of", "costs",
           "count_macs_and_params", "cpu_latency_ms", "efficiency", "load_into", "make_pruner",
           "prune", "prune_to_target", "pruning_epochs", "read_state", "reductions",
           "reinitialise", "save_checkpoint", "serialized_bytes"]
