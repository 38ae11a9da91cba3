import copy

import pytest
import torch
from torch import nn

from pruneshift.config import TrainingConfig
from pruneshift.models import build_model
from pruneshift.train import NotStackable, members_that_fit, stack, train, train_batched, unstack
from pruneshift.train._stack import replicate, split_outputs


@pytest.fixture(autouse=True)
def two_threads():
    """The tolerances below hold on two threads (a stack and a single model reduce in another
    order, and how far apart that leaves them depends on the thread count: on one thread the
    weights differ by up to 1.9e-4 after 3 epochs at lr 0.05), whatever the test process uses."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


# Members differing in everything a grid point may set, at rates where training is not chaotic:
# at a high constant rate the single trainer itself ends elsewhere with another thread count.
MIXED = [
    {"lr": 0.05, "weight_decay": 1e-4, "momentum": 0.9},
    {"lr": 0.005, "weight_decay": 1e-3, "momentum": 0.5, "label_smoothing": 0.1,
     "schedule": "constant", "nesterov": False},
    {"lr": 1e-3, "weight_decay": 0.0, "momentum": 0.0, "schedule": "step", "warmup_epochs": 1},
]


def recipes_for(settings, **shared):
    return [TrainingConfig(**{"epochs": 3, "batch_size": 32, **shared, **s}) for s in settings]


def both_ways(splits, recipes, seeds, model="cnn"):
    """Train the same members stacked and one by one: (stacked models, results, single ...)."""
    models = [build_model(model, splits.input_shape, splits.num_classes, seed=s) for s in seeds]
    singles = [copy.deepcopy(m) for m in models]
    stacked = train_batched(models, splits, recipes, seeds=seeds)
    alone = [train(m, splits, r, seed=s) for m, r, s in zip(singles, recipes, seeds, strict=True)]
    return models, stacked, singles, alone


def largest_weight_difference(a: nn.Module, b: nn.Module) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a.state_dict().values(),
                                                          b.state_dict().values(), strict=True)
               if p.is_floating_point())


@pytest.mark.parametrize("model", ["cnn", "mlp"])
def test_each_member_ends_where_the_single_trainer_does(digits, model):
    models, stacked, singles, alone = both_ways(digits, recipes_for(MIXED), [0, 1, 2], model)
    for m, s, a, b in zip(models, singles, stacked, alone, strict=True):
        assert largest_weight_difference(m, s) < 1e-4
        assert a.val_accuracy == b.val_accuracy and a.test_accuracy == b.test_accuracy
        assert a.val_loss == pytest.approx(b.val_loss, abs=1e-5)
        assert len(a.history) == 1  # a stack scores its last epoch alone
        assert a.history[-1].train_loss == pytest.approx(b.history[-1].train_loss, abs=1e-5)
        assert a.epochs == b.epochs == 3 and not a.diverged


def test_adamw_members_match_the_single_trainer(digits):
    settings = [{"lr": 1e-4, "momentum": 0.9, "weight_decay": 1e-2},
                {"lr": 3e-4, "momentum": 0.8, "weight_decay": 0.0}]
    models, stacked, singles, alone = both_ways(
        digits, recipes_for(settings, optimizer="adamw", epochs=2), [3, 4])
    for m, s, a, b in zip(models, singles, stacked, alone, strict=True):
        assert largest_weight_difference(m, s) < 1e-3
        assert abs(a.val_accuracy - b.val_accuracy) <= 1 / len(digits.val_y)


def test_a_diverging_member_is_frozen_while_the_others_go_on(digits):
    settings = [MIXED[0], {"lr": 1e3, "momentum": 0.9}, MIXED[2]]
    models, stacked, singles, alone = both_ways(digits, recipes_for(settings), [0, 1, 2])
    assert alone[1].diverged and stacked[1].diverged
    assert stacked[1].val_accuracy == 0.0 and stacked[1].val_loss is None
    assert stacked[1].epochs == alone[1].epochs
    assert all(torch.isfinite(t).all() for t in models[1].state_dict().values())
    for i in (0, 2):
        assert not stacked[i].diverged
        assert stacked[i].val_accuracy == alone[i].val_accuracy
        assert largest_weight_difference(models[i], singles[i]) < 1e-4


@pytest.mark.parametrize("model", ["mlp", "cnn", "resnet8"])
def test_a_stack_computes_each_member_and_gives_its_weights_back(digits, model):
    members = [build_model(model, digits.input_shape, 10, seed=s) for s in range(3)]
    x = digits.val_x[:16]
    wide = stack(members, x)
    with torch.no_grad():
        for layer in wide.parameters():
            layer.mul_(0.5)
    wide.eval()
    together = split_outputs(wide(replicate(x, 3)), 3)
    unstack(wide, members)
    for k, member in enumerate(members):
        member.eval()
        torch.testing.assert_close(together[k], member(x), atol=1e-5, rtol=1e-4)


class ChannelConcat(nn.Module):
    """Concatenates two branches along channels: members' channels would mix."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(1, 4, 3, padding=1), nn.Conv2d(1, 4, 3, padding=1)
        self.head = nn.Linear(8 * 64, 10)

    def forward(self, x):
        return self.head(torch.cat([self.a(x), self.b(x)], dim=1).flatten(1))


def test_models_that_mix_channels_or_differ_in_shape_are_refused(digits):
    x = digits.val_x[:4]
    with pytest.raises(NotStackable, match="mixes channels"):
        stack([ChannelConcat() for _ in range(2)], x)
    small = build_model("cnn", digits.input_shape, 10, {"width": 0.5}, seed=0)
    with pytest.raises(NotStackable, match="shapes"):
        stack([build_model("cnn", digits.input_shape, 10, seed=0), small], x)
    with pytest.raises(NotStackable, match="LayerNorm"):
        stack([nn.Sequential(nn.Flatten(), nn.LayerNorm(64)) for _ in range(2)], x)


def test_members_that_fit_follow_memory_and_the_limit(digits):
    model = build_model("cnn", digits.input_shape, 10, seed=0)
    assert members_that_fit(model, digits.train_x[:32]) == 64  # a digits CNN is tiny
    assert members_that_fit(model, digits.train_x[:32], limit=5) == 5
    assert model.training  # measuring left the model as it was
