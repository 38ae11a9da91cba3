from pathlib import Path

import pytest

from pruneshift.config import load_config
from pruneshift.models import check_model

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.yaml"))


def test_there_is_an_example_per_offline_dataset():
    names = {load_config(path).data.name for path in EXAMPLES}
    assert {"digits", "mnist5k", "mnist1d"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_names_a_model_it_can_build(path):
    """Beyond the schema: the model's factory is imported and its arguments checked, as
    before anything is trained (the data of CIFAR examples is not at hand here)."""
    check_model(load_config(path).model)
