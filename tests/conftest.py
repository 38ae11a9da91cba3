"""Shared fixtures: small real datasets and tiny experiment configs."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from pruneshift.config import load_config
from pruneshift.data import load_splits
from pruneshift.pipeline import run_study

optuna.logging.set_verbosity(optuna.logging.WARNING)

EXAMPLES = Path(__file__).parents[1] / "examples"
QUICK = EXAMPLES / "quick.yaml"
SYNTHETIC = EXAMPLES / "synthetic.yaml"


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """The quick example run once, uninterrupted: (run folder, results)."""
    out = tmp_path_factory.mktemp("quick")
    return out, run_study(load_config(QUICK), out=out)


@pytest.fixture(scope="session")
def digits():
    """The digits splits on the CPU, loaded once."""
    return load_splits(load_config().data)


@pytest.fixture
def tiny_overrides():
    """Overrides that shrink the default experiment to seconds."""
    return ["training.epochs=3", "hpo.n_trials=4", "hpo.n_startup_trials=2"]
