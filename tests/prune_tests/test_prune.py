import pytest
import torch
import torch.nn.functional as F

from pruneshift.catalog import CRITERIA, MODELS
from pruneshift.config import PruningConfig, TrainingConfig
from pruneshift.errors import CheckpointError, ConfigError
from pruneshift.models import build_model
from pruneshift.prune import (
    GradualPruning,
    classifier_of,
    count_macs_and_params,
    efficiency,
    load_into,
    prune,
    pruning_epochs,
    reinitialise,
    save_checkpoint,
)
from pruneshift.train import train

SHAPES = {"mlp": (1, 8, 8), "cnn": (1, 8, 8), "resnet8": (3, 32, 32), "resnet20": (3, 32, 32),
          "resnet32": (3, 16, 16), "resnet56": (3, 16, 16), "mobilenetv2": (3, 32, 32),
          "mobilenetv1": (3, 32, 32), "dscnn": (1, 49, 10), "vgg": (3, 16, 16)}
# Every criterion in both scopes on one small model of each kind (linear, plain, residual,
# depthwise); every other model (the deeper residual ones, MobileNets with inverted residuals,
# VGG) by l1 in both scopes. Every pair would take minutes, mostly on MobileNetV2.
EVERY_CRITERION = ("mlp", "cnn", "resnet8", "dscnn")
CASES = [(name, criterion, scope) for name in MODELS for criterion in CRITERIA
         for scope in ("uniform", "global") if name in EVERY_CRITERION or criterion == "l1"]


def briefly_trained(name, shape, seed=0):
    """A model after a few SGD steps, so that channels differ in every criterion's eyes."""
    model = build_model(name, shape, 10, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    x, y = torch.randn(32, *shape, generator=generator), torch.arange(32) % 10
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model, x, y


def gradients_on(x, y):
    return lambda model: F.cross_entropy(model(x), y).backward()


@pytest.mark.parametrize(("name", "criterion", "scope"), CASES)
def test_every_model_pruned_by_every_criterion_is_smaller_and_runs(name, criterion, scope):
    shape = SHAPES[name]
    model, x, y = briefly_trained(name, shape)
    macs, params = count_macs_and_params(model, shape)
    settings = PruningConfig(criterion=criterion, scope=scope)
    prune(model, x[:1], settings, ratio=0.5, num_classes=10, seed=0, gradients=gradients_on(x, y))
    pruned_macs, pruned_params = count_macs_and_params(model, shape)
    assert pruned_params < params and pruned_macs < macs
    assert model(x).shape == (32, 10)
    assert classifier_of(model, 10).out_features == 10
    if scope == "uniform":  # half of every prunable layer's channels go: about a quarter remains
        assert pruned_params < 0.45 * params


def test_a_model_whose_classifier_cannot_be_found_is_a_one_line_error():
    """A user's model ending in something other than one output per class (here a 12-way
    layer for 10 classes) would have its outputs pruned; it is refused, naming the rule."""
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 12))
    with pytest.raises(ConfigError, match="no layer with 10 outputs, one per class") as info:
        prune(model, torch.zeros(1, 1, 8, 8), PruningConfig(), ratio=0.5, num_classes=10,
              seed=0)
    assert "\n" not in str(info.value)


def test_uniform_pruning_is_the_same_ratio_in_every_layer_and_respects_round_to():
    model, x, _ = briefly_trained("cnn", (1, 8, 8))
    prune(model, x[:1], PruningConfig(round_to=8), ratio=0.3, num_classes=10, seed=0)
    convs = [m.out_channels for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    # 70 % of 32/64/128 is 22.4/44.8/89.6; Torch-Pruning keeps a multiple of 8 at or below it
    assert convs == [16, 40, 88]
    assert all(kept % 8 == 0 and 0.7 * n - 8 < kept <= 0.7 * n
               for kept, n in zip(convs, (32, 64, 128), strict=True))


def test_ratio_zero_leaves_the_model_untouched():
    model, x, _ = briefly_trained("cnn", (1, 8, 8))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    prune(model, x[:1], PruningConfig(), ratio=0.0, num_classes=10, seed=0)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_macs_and_latency_fall_with_the_ratio():
    shape = (3, 32, 32)
    figures = []
    for ratio in (0.0, 0.5, 0.75):
        model, x, _ = briefly_trained("resnet8", shape)
        prune(model, x[:1], PruningConfig(), ratio=ratio, num_classes=10, seed=0)
        figures.append(efficiency(model, shape, runs=30))
    assert figures[0]["macs"] > figures[1]["macs"] > figures[2]["macs"]
    assert figures[0]["size_bytes"] > figures[1]["size_bytes"] > figures[2]["size_bytes"]
    assert figures[0]["latency_ms"] > figures[2]["latency_ms"]


def test_a_pruned_checkpoint_is_rebuilt_from_shapes_and_loaded_weights_only(tmp_path):
    model, x, _ = briefly_trained("resnet8", (3, 32, 32))
    prune(model, x[:1], PruningConfig(), ratio=0.5, num_classes=10, seed=0)
    path = save_checkpoint(model, tmp_path / "pruned.pt")
    rebuilt = load_into(build_model("resnet8", (3, 32, 32), 10, seed=99), path)
    model.eval()
    rebuilt.eval()
    assert torch.equal(model(x), rebuilt(x))
    size = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert size(rebuilt) == size(model)


def test_corrupt_or_foreign_checkpoints_are_clear_errors(tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_into(build_model("cnn", (1, 8, 8), 10), broken)
    other = save_checkpoint(build_model("mlp", (1, 8, 8), 10), tmp_path / "mlp.pt")
    with pytest.raises(CheckpointError, match="does not fit the configured model"):
        load_into(build_model("cnn", (1, 8, 8), 10), other)
    torch.save({"weights": [1, 2, 3]}, tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="not a state dict of tensors"):
        load_into(build_model("cnn", (1, 8, 8), 10), tmp_path / "list.pt")


def test_reinitialise_depends_on_the_seed_only():
    a = reinitialise(build_model("cnn", (1, 8, 8), 10, seed=1), seed=5)
    b = reinitialise(build_model("cnn", (1, 8, 8), 10, seed=2), seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_pruning_epochs_spread_the_steps_over_the_first_part_of_training():
    assert pruning_epochs(10, 3, 0.5) == [2, 3, 5]
    assert pruning_epochs(10, 1, 0.5) == [5]
    assert pruning_epochs(2, 3, 0.5) == [1, 1, 1]
    assert pruning_epochs(20, 4, 1.0) == [5, 10, 15, 20]


def test_gradual_pruning_during_training_shrinks_the_model_and_it_still_learns(digits):
    model = build_model("cnn", digits.input_shape, 10, seed=0)
    dense_params = sum(p.numel() for p in model.parameters())
    settings = PruningConfig(steps=2, prune_until=0.5)
    recipe = TrainingConfig(epochs=4)
    pruning = GradualPruning(model, digits.train_x[:1], settings, ratio=0.5, num_classes=10,
                             epochs=4, seed=0)
    result = train(model, digits, recipe, seed=0, structure_hook=pruning)
    assert sum(p.numel() for p in model.parameters()) < 0.45 * dense_params
    assert result.val_accuracy > 0.85 and not result.diverged
