from pathlib import Path

import pytest

from pruneshift.config import load_config

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.yaml"))


def test_there_is_an_example_per_offline_dataset():
    names = {load_config(path).data.name for path in EXAMPLES}
    assert {"digits", "mnist5k", "mnist1d"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_validates(path):
    config = load_config(path)
    assert config.experiment and config.search_space
