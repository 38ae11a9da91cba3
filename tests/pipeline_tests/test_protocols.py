"""The pruning protocols as strategies: each registered name loads one, and what differs
between them (epochs, stacking, whether the dense grid waits for the reference) is said there."""

import pytest

from pruneshift.catalog import PROTOCOLS
from pruneshift.config import load_config


def protocol(name):
    return PROTOCOLS.load(name)


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_every_registered_protocol_loads_a_strategy(name):
    strategy = protocol(name)
    for method in ("epochs", "stackable", "start", "largest"):
        assert callable(getattr(strategy, method))
    assert isinstance(strategy.starts_from_reference, bool)


def test_fine_tuning_takes_its_own_epochs_and_the_others_the_training_s():
    config = load_config(None, ["training.epochs=12", "pruning.finetune_epochs=3"])
    assert protocol("finetune").epochs(config) == 3
    assert protocol("scratch").epochs(config) == protocol("during-training").epochs(config) == 12
    assert protocol("finetune").epochs(load_config(None, ["training.epochs=12"])) == 12


def test_only_cells_pruned_globally_on_their_own_cannot_be_stacked():
    uniform, global_ = load_config(), load_config(None, ["pruning.scope=global"])
    during = protocol("during-training")
    assert during.stackable(uniform, 0.5) and during.stackable(global_, 0.0)
    assert not during.stackable(global_, 0.5)
    assert all(protocol(n).stackable(global_, 0.5) for n in ("finetune", "scratch"))


def test_only_training_from_scratch_with_pruning_needs_no_reference_for_the_dense_grid():
    assert {n: protocol(n).starts_from_reference for n in PROTOCOLS} == {
        "during-training": False, "finetune": True, "scratch": True}
