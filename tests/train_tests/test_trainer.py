import math

import pytest
import torch

from pruneshift import stops
from pruneshift.config import TrainingConfig
from pruneshift.models import build_model
from pruneshift.train import lr_factor, train, train_batched


def run(splits, seed=0, **recipe):
    model = build_model("cnn", splits.input_shape, splits.num_classes, seed=seed)
    result = train(model, splits, TrainingConfig(**{"epochs": 3, **recipe}), seed=seed)
    return model, result


def test_training_learns_digits(digits):
    _, result = run(digits, epochs=4)
    assert result.val_accuracy > 0.9 and result.test_accuracy > 0.9
    assert not result.diverged and result.epochs == 4 and len(result.history) == 4
    assert result.history[-1].train_loss < result.history[0].train_loss


def test_same_seed_same_result_on_cpu(digits):
    model_a, a = run(digits, seed=7)
    model_b, b = run(digits, seed=7)
    _, c = run(digits, seed=8)
    assert a.val_accuracy == b.val_accuracy and a.val_loss == b.val_loss
    assert all(torch.equal(p, q) for p, q in zip(model_a.state_dict().values(),
                                                 model_b.state_dict().values(), strict=True))
    assert [h.train_loss for h in a.history] != [h.train_loss for h in c.history]


def test_huge_learning_rate_is_recorded_as_diverged_not_raised(digits):
    _, result = run(digits, lr=1e3, momentum=0.9)
    assert result.diverged
    assert result.val_accuracy == 0.0 and result.val_loss is None
    assert result.epochs <= 3


def test_on_epoch_sees_every_epoch_and_can_stop_the_run(digits):
    seen = []

    class Stop(Exception):
        pass

    def on_epoch(metrics):
        seen.append(metrics.epoch)
        if metrics.epoch == 2:
            raise Stop

    model = build_model("cnn", digits.input_shape, 10, seed=0)
    with pytest.raises(Stop):
        train(model, digits, TrainingConfig(epochs=5), seed=0, on_epoch=on_epoch)
    assert seen == [1, 2]


def test_a_shortened_run_equals_the_start_of_the_full_run(digits):
    recipe = TrainingConfig(epochs=4)
    short = train(build_model("cnn", (1, 8, 8), 10, seed=1), digits, recipe, seed=1, epochs=2)
    full = train(build_model("cnn", (1, 8, 8), 10, seed=1), digits, recipe, seed=1)
    assert short.history == full.history[:2]


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_both_optimizers_train(digits, optimizer):
    lr = 0.05 if optimizer == "sgd" else 3e-3
    _, result = run(digits, optimizer=optimizer, lr=lr, momentum=0.9, label_smoothing=0.1)
    assert result.val_accuracy > 0.85


def test_schedules_follow_their_definitions():
    cosine = TrainingConfig(epochs=10, schedule="cosine", warmup_epochs=2)
    assert lr_factor(cosine, 0, 100) == pytest.approx(0.01)
    assert lr_factor(cosine, 100, 100) == pytest.approx(0.505)
    assert lr_factor(cosine, 200, 100) == pytest.approx(1.0)
    assert lr_factor(cosine, 600, 100) == pytest.approx(0.5)
    assert lr_factor(cosine, 999, 100) == pytest.approx(0.0, abs=1e-4)
    step = TrainingConfig(epochs=200, schedule="step", milestones=[100, 150], gamma=0.1)
    assert [lr_factor(step, e * 10, 10) for e in (99, 100, 149, 150)] == \
        pytest.approx([1.0, 0.1, 0.1, 0.01])
    default_step = TrainingConfig(epochs=8, schedule="step")
    assert [lr_factor(default_step, e, 1) for e in (3, 4, 6)] == pytest.approx([1, 0.1, 0.01])
    constant = TrainingConfig(epochs=5, schedule="constant")
    assert {lr_factor(constant, s, 7) for s in range(35)} == {1.0}


def test_one_cycle_is_torch_s_one_cycle_step_for_step():
    recipe = TrainingConfig(epochs=3, schedule="one-cycle", lr=0.1)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    torch_schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=21)
    expected = []
    for _ in range(21):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        torch_schedule.step()
    assert [0.1 * lr_factor(recipe, s, 7) for s in range(21)] == pytest.approx(expected)


@pytest.mark.parametrize("schedule", ["cosine", "step", "one-cycle"])
def test_a_rewound_schedule_replays_the_last_epochs_of_the_full_one(schedule):
    full = TrainingConfig(epochs=10, schedule=schedule, warmup_epochs=1)
    rewound = full.model_copy(update={"epochs": 4, "schedule_epochs": 10})
    assert [lr_factor(rewound, s, 5) for s in range(20)] == \
        [lr_factor(full, s + 30, 5) for s in range(20)]


def test_threads_setting_is_applied(digits):
    before = torch.get_num_threads()
    try:
        run(digits, epochs=1, threads=1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_divergence_keeps_the_loss_out_of_the_result(digits):
    _, result = run(digits, lr=1e4)
    assert result.diverged and not (result.val_loss is not None and math.isnan(result.val_loss))


@pytest.mark.parametrize("stacked", [False, True])
def test_a_stop_that_was_lost_ends_training_at_the_next_epoch(digits, monkeypatch, stacked):
    """A stop Python dropped (raised in a finalizer) is still remembered: training ends at the
    next epoch instead of running to its last."""
    recipe = TrainingConfig(epochs=3, batch_size=256)
    model = build_model("cnn", digits.input_shape, digits.num_classes, seed=0)
    monkeypatch.setattr(stops, "_requested", True)
    with pytest.raises(KeyboardInterrupt):
        if stacked:
            train_batched([model], digits, [recipe], seeds=[0])
        else:
            train(model, digits, recipe, seed=0)
