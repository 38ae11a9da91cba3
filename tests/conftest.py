"""Shared fixtures: small real datasets and tiny experiment configs."""

from __future__ import annotations

import optuna
import pytest

from pruneshift.config import load_config
from pruneshift.data import load_splits

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="session")
def digits():
    """The digits splits on the CPU, loaded once."""
    return load_splits(load_config().data)


@pytest.fixture
def tiny_overrides():
    """Overrides that shrink the default experiment to seconds."""
    return ["training.epochs=3", "hpo.n_trials=4", "hpo.n_startup_trials=2"]
