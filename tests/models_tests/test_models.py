import sys
import textwrap

import pytest
import torch
import torch.nn.functional as F

from pruneshift.catalog import MODELS
from pruneshift.errors import ConfigError
from pruneshift.models import build_model

SHAPES = {"digits": (1, 8, 8), "mnist": (1, 28, 28), "cifar": (3, 32, 32), "mnist1d": (1, 40)}


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
def test_every_zoo_model_trains_a_step_on_every_input_shape(name, shape):
    model = build_model(name, shape, 10, seed=0)
    x, y = torch.randn(8, *shape), torch.arange(8) % 10
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = [p.detach().clone() for p in model.parameters()]
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    assert model(x).shape == (8, 10)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_resnet8_is_the_mlperf_tiny_network():
    model = build_model("resnet8", (3, 32, 32), 10)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    widths = [c.out_channels for c in convs if c.kernel_size == (3, 3)]
    assert widths == [16, 16, 16, 32, 32, 64, 64]
    projections = [c for c in convs if c.kernel_size == (1, 1)]
    assert [(c.out_channels, c.stride) for c in projections] == [(32, (2, 2)), (64, (2, 2))]
    # by hand: stem 432+32, stage1 2*(2304+32), stage2 4608+64+9216+64+544,
    # stage3 18432+128+36864+128+2112, classifier 650
    assert sum(p.numel() for p in model.parameters()) == 77_946


def test_width_multiplier_scales_channels():
    narrow = build_model("cnn", (1, 8, 8), 10, {"width": 0.5})
    wide = build_model("cnn", (1, 8, 8), 10, {"width": 2.0})
    convs = [m for m in narrow.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [m.out_channels for m in convs] == [16, 32, 64]
    size = lambda model: sum(p.numel() for p in model.parameters())  # noqa: E731
    assert size(wide) > 3 * size(narrow)


def test_seeded_construction_is_reproducible_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = build_model("cnn", (1, 8, 8), 10, seed=5)
    assert torch.equal(torch.rand(1), expected_next)
    b = build_model("cnn", (1, 8, 8), 10, seed=5)
    c = build_model("cnn", (1, 8, 8), 10, seed=6)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters(), strict=True))


def test_a_user_factory_is_loaded_from_module_and_function(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text(textwrap.dedent("""
        from torch import nn
        def tiny(input_shape, num_classes, hidden=16):
            return nn.Sequential(nn.Flatten(), nn.LazyLinear(hidden), nn.ReLU(),
                                 nn.Linear(hidden, num_classes))
        not_a_model = 3
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    model = build_model("my_models:tiny", (1, 8, 8), 10, {"hidden": 4})
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)
    with pytest.raises(ConfigError, match="'depth' is not an argument of model 'my_models:tiny'"):
        build_model("my_models:tiny", (1, 8, 8), 10, {"depth": 2})
    with pytest.raises(ConfigError, match="not callable"):
        build_model("my_models:not_a_model", (1, 8, 8), 10)
    with pytest.raises(ConfigError, match="cannot load model factory"):
        build_model("no_such_module_here:f", (1, 8, 8), 10)
    sys.modules.pop("my_models", None)


def test_unknown_model_lists_the_zoo():
    with pytest.raises(ConfigError, match="unknown model 'alexnet'; allowed: mlp, cnn, resnet8, "
                                          "resnet20, .*, vgg"):
        build_model("alexnet", (1, 8, 8), 10)


@pytest.mark.parametrize(("name", "shape", "classes", "kwargs", "params", "macs_millions"), [
    ("resnet20", (3, 32, 32), 10, {}, 272_474, 41.4),  # He et al.: 0.27 M parameters
    ("resnet56", (3, 32, 32), 10, {}, 855_770, 127.4),  # 0.85 M, 125 M FLOPs in the paper
    ("mobilenetv2", (3, 32, 32), 10, {}, 2_236_682, 92.8),  # the usual CIFAR variant, 2.2 M
    ("mobilenetv1", (3, 96, 96), 2, {"width": 0.25}, 213_586, 8.2),  # MLPerf Tiny VWW, 0.2 M
    ("dscnn", (1, 49, 10), 12, {}, 23_180, 2.9),  # MLPerf Tiny KWS on 49x10 MFCCs
])
def test_reference_models_have_their_published_size(name, shape, classes, kwargs, params,
                                                     macs_millions):
    from pruneshift.prune import count_macs_and_params

    macs, counted = count_macs_and_params(build_model(name, shape, classes, kwargs), shape)
    assert counted == params
    assert macs / 1e6 == pytest.approx(macs_millions, abs=0.05)


def test_deep_cifar_resnets_have_6n_plus_2_layers():
    for name, layers in (("resnet20", 20), ("resnet32", 32), ("resnet56", 56)):
        model = build_model(name, (3, 32, 32), 10)
        weighted = [m for m in model.modules()
                    if isinstance(m, torch.nn.Linear)
                    or (isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3))]
        assert len(weighted) == layers


def test_vgg_rejects_an_unknown_depth():
    with pytest.raises(ConfigError, match="vgg depth 12 is not offered; allowed: 11, 13, 16"):
        build_model("vgg", (3, 32, 32), 10, {"depth": 12})
