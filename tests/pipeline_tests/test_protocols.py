"""The pruning protocols as strategies: each registered name loads one, and what differs
between them (epochs, stacking, whether the dense grid waits for the reference) is said there."""

import math

import pytest

from pruneshift.catalog import PROTOCOLS, RETRAIN_SCHEDULES
from pruneshift.config import TrainingConfig, load_config
from pruneshift.errors import ConfigError
from pruneshift.train import lr_factor


def protocol(name):
    return PROTOCOLS.load(name)


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_every_registered_protocol_loads_a_strategy(name):
    strategy = protocol(name)
    for method in ("epochs", "recipe", "stackable", "start", "largest"):
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


def fine_tuning_curve(schedule, steps_per_epoch=10):
    """The learning-rate multipliers of a fine-tuning cell under ``schedule``: 4 epochs after
    a 10-epoch cosine training with 1 warm-up epoch."""
    config = load_config(None, ["pruning.protocol=finetune", "training.epochs=10",
                                "training.warmup_epochs=1", "pruning.finetune_epochs=4",
                                f"pruning.retrain_schedule={schedule}"])
    cell = TrainingConfig.model_validate({**config.training.model_dump(), "epochs": 4})
    recipe = protocol("finetune").recipe(config, cell)
    return [lr_factor(recipe, s, steps_per_epoch) for s in range(4 * steps_per_epoch)]


def test_each_re_training_schedule_has_its_shape():
    curves = {name: fine_tuning_curve(name) for name in RETRAIN_SCHEDULES}
    restart, fixed, rewind, one_cycle = (curves[n] for n in ("restart", "fixed", "rewind",
                                                              "one-cycle"))
    assert restart[0] == pytest.approx(0.01) and max(restart) == pytest.approx(1, abs=0.02)
    assert set(fixed) == {1.0}
    assert rewind[0] == pytest.approx(0.5 * (1 + math.cos(math.pi * 5 / 9)))  # epoch 6 of 10
    assert rewind == sorted(rewind, reverse=True) and rewind[-1] < 0.01
    peak = one_cycle.index(max(one_cycle))
    assert one_cycle[0] == pytest.approx(1 / 25) and peak == 11 and one_cycle[-1] < 1e-4


@pytest.mark.parametrize("name", ["scratch", "during-training"])
def test_training_anew_keeps_the_training_schedule(name):
    config = load_config(None, [f"pruning.protocol={name}"])
    assert protocol(name).recipe(config, config.training) == config.training


@pytest.mark.parametrize(("overrides", "message"), [
    (["pruning.retrain_schedule=rewind"], "applies to the finetune protocol only"),
    (["pruning.protocol=finetune", "pruning.retrain_schedule=rewind", "training.epochs=4",
      "pruning.finetune_epochs=6"], "replays the last 6 epochs of a 4-epoch schedule"),
])
def test_a_re_training_schedule_that_cannot_apply_is_refused(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, overrides)
