import pytest
import torch

from pruneshift.catalog import MODELS
from pruneshift.config import PruningConfig
from pruneshift.errors import ConfigError
from pruneshift.models import build_model
from pruneshift.prune import costs, prune, reductions

from .test_prune import SHAPES, briefly_trained, gradients_on

TARGET_SHAPES = {**SHAPES, "mobilenetv2": (3, 16, 16)}  # MACs scale alike; counting is cheaper


@pytest.mark.parametrize(("name", "ratios"), [(n, (0.6,)) for n in MODELS]
                         + [("cnn", (0.2, 0.4)), ("resnet8", (0.2, 0.4))])
def test_a_macs_target_is_met_within_three_points_for_every_zoo_model(name, ratios):
    shape = TARGET_SHAPES[name]
    for ratio in ratios:
        model, x, _ = briefly_trained(name, shape)
        dense = costs(model, x[:1], 10)
        channels = prune(model, x[:1], PruningConfig(target="macs"), ratio=ratio,
                         num_classes=10, seed=0)
        removed = reductions(dense, costs(model, x[:1], 10))
        assert removed["macs"] == pytest.approx(ratio, abs=0.03), (name, ratio, removed)
        assert 0 < channels < ratio  # removing channels removes MACs faster than channels
        assert model(x).shape == (32, 10)


@pytest.mark.parametrize("name", ["resnet56", "mobilenetv2"])
def test_narrow_models_whose_small_layers_empty_early_still_meet_the_target(name):
    model = build_model(name, (3, 16, 16), 10, {"width": 0.25}, seed=0)
    x = torch.randn(2, 3, 16, 16)
    dense = costs(model, x[:1], 10)
    prune(model, x[:1], PruningConfig(target="macs"), ratio=0.6, num_classes=10, seed=0)
    assert reductions(dense, costs(model, x[:1], 10))["macs"] == pytest.approx(0.6, abs=0.03)
    assert model(x).shape == (2, 10)


@pytest.mark.parametrize("criterion", ["taylor", "lamp"])
def test_params_and_global_targets_are_met(criterion):
    model, x, y = briefly_trained("resnet20", SHAPES["resnet20"])
    dense = costs(model, x[:1], 10)
    settings = PruningConfig(target="param_count", scope="global", criterion=criterion)
    prune(model, x[:1], settings, ratio=0.5, num_classes=10, seed=0,
          gradients=gradients_on(x, y))
    assert reductions(dense, costs(model, x[:1], 10))["param_count"] == pytest.approx(0.5, abs=0.03)


def test_the_channels_target_is_the_ratio_itself():
    model, x, _ = briefly_trained("cnn", SHAPES["cnn"])
    dense = costs(model, x[:1], 10)
    assert prune(model, x[:1], PruningConfig(), ratio=0.5, num_classes=10, seed=0) == 0.5
    convs = [m.out_channels for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs == [16, 32, 64]
    assert reductions(dense, costs(model, x[:1], 10))["channels"] == pytest.approx(0.5)


def test_an_unreachable_target_names_the_most_that_can_be_removed():
    model = build_model("mlp", SHAPES["mlp"], 10)
    with pytest.raises(ConfigError, match=r"pruning.ratios: a share 0.999 of the param_count "
                                          r"\(pruning.target\) cannot be removed; "
                                          r"at most 0\.\d+ is reachable"):
        prune(model, torch.randn(1, *SHAPES["mlp"]), PruningConfig(target="param_count"),
              ratio=0.999, num_classes=10, seed=0)
