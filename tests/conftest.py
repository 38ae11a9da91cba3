"""Shared fixtures: small real datasets and tiny experiment configs."""

from __future__ import annotations

import os

if "PYTEST_XDIST_WORKER" in os.environ:  # one test process per core (pytest-xdist's -n auto):
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # each trains on one thread, its studies too

import uuid
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


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: a test process per core, at most four (the fault scenarios start
    several workers each; more test processes than that only contend for the storage)."""
    return min(os.cpu_count() or 1, 4)


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


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres",
                                autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at 127.0.0.1:5432 ({exc})")
    name = f"pruneshift_test_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    from pruneshift.storage._open import _open_rdb

    _open_rdb.cache_clear()
    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    admin.close()
