from pathlib import Path

import pytest

from pruneshift.config import load_config
from pruneshift.pipeline import run_study

QUICK = Path(__file__).parents[2] / "examples" / "quick.yaml"


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory):
    """The quick example run once, uninterrupted: (run folder, results)."""
    out = tmp_path_factory.mktemp("quick")
    return out, run_study(load_config(QUICK), out=out)
