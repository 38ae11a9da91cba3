"""Hyperparameter search on Optuna: methods, search space, budgets and trial ownership."""

from ._budget import COUNTED, TrialCallback, counted, optimize_to_total, state_counts
from ._methods import METHODS, Method
from ._owners import ORPHANED_ATTR, OWNER_ATTR, claim, fail_orphans
from ._space import suggest

__all__ = ["COUNTED", "METHODS", "ORPHANED_ATTR", "OWNER_ATTR", "Method", "TrialCallback", "claim",
           "counted", "fail_orphans", "optimize_to_total", "state_counts", "suggest"]
