import itertools
import math

import pytest

from pruneshift.config import load_config
from pruneshift.search import Grid, Growth, build_grid, growth_steps
from pruneshift.seeds import stage_seed, stage_seeds

OPTIMUM = {"lr": 0.01, "weight_decay": 1e-4, "momentum": 0.9, "batch_size": 64}


def grid_for(overrides, optimum=OPTIMUM):
    return build_grid(load_config(None, overrides), optimum)


def test_log_axis_spans_the_total_factor_centred_on_the_optimum():
    grid, warnings = grid_for(["grid.axes.lr.points=5", "grid.axes.lr.span=100"])
    lr = grid.axes[0]
    assert lr.name == "lr" and lr.log
    root10 = math.sqrt(10)
    assert lr.values == pytest.approx((0.001, 0.01 / root10, 0.01, 0.01 * root10, 0.1))
    assert lr.values[2] == 0.01  # the optimum itself, exactly
    ratios = [b / a for a, b in zip(lr.values, lr.values[1:], strict=False)]
    assert ratios == pytest.approx([math.sqrt(10)] * 4)
    assert warnings == []


def test_linear_axis_is_the_optimum_plus_minus_span():
    grid, _ = grid_for(["grid.axes={momentum: {points: 5, span: 0.04}}"])
    assert grid.axes[0].values == pytest.approx((0.86, 0.88, 0.9, 0.92, 0.94))
    assert not grid.axes[0].log


def test_values_outside_the_search_space_are_dropped_with_a_warning():
    grid, warnings = grid_for(["grid.axes.lr.points=5", "grid.axes.lr.span=10000"],
                              {**OPTIMUM, "lr": 0.1})
    assert grid.axes[0].values == pytest.approx((0.001, 0.01, 0.1, 1.0))
    assert len(warnings) == 1 and "'lr'" in warnings[0] and "10" in warnings[0]


def test_one_point_axis_and_explicit_values():
    grid, _ = grid_for(["grid.axes={lr: {points: 1}, batch_size: {values: [128, 32]}}"])
    assert grid.axes[0].values == (0.01,)
    assert grid.axes[1].values == (128, 32) and grid.axes[1].kind == "categorical"


def test_int_axes_are_rounded_and_deduplicated():
    config = load_config(None, [
        "search_space.warmup_epochs={type: int, low: 0, high: 5}",
        "grid.axes={warmup_epochs: {points: 5, span: 1}}"])
    grid, _ = build_grid(config, {**OPTIMUM, "warmup_epochs": 2})
    assert grid.axes[0].values == (1, 2, 3) and grid.axes[0].kind == "int"


def test_grid_seeds_are_independent_of_the_hpo_seed_and_of_a_neighbouring_experiment():
    grid, _ = grid_for(["grid.seeds=3", "seed=10"])
    neighbour, _ = grid_for(["grid.seeds=3", "seed=11"])
    assert stage_seed(10, "hpo") not in grid.seeds
    assert not set(grid.seeds) & set(neighbour.seeds)


def test_non_grid_hyperparameters_stay_at_the_optimum_and_seeds_follow_the_config():
    grid, _ = grid_for(["grid.seeds=3", "seed=10"])
    assert grid.fixed == {"momentum": 0.9, "batch_size": 64}
    assert grid.seeds == stage_seeds(10, "grid", 3) and len(set(grid.seeds)) == 3
    assert grid.shape == (5, 5) and len(grid.points()) == 25 and len(grid.cells()) == 75
    assert grid.points()[6] == {"lr": grid.axes[0].values[1],
                                "weight_decay": grid.axes[1].values[1]}


def test_grid_survives_storage_as_a_dict():
    grid, _ = grid_for([])
    assert Grid.from_dict(grid.to_dict()) == grid


@pytest.mark.parametrize(("override", "message"), [
    ("grid.axes.lr.points=4", "points must be odd"),
    ("grid.axes.lr.span=1", "must exceed 1"),
    ("grid.axes={dropout: {points: 3, span: 2}}", "not in the search space"),
    ("grid.axes={batch_size: {points: 3, span: 2}}", "categorical hyperparameter takes"),
    ("grid.seeds=1", "grid.seeds"),
])
def test_grid_config_errors(override, message):
    from pruneshift.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        load_config(None, [override])


def test_a_grown_grid_keeps_its_points_numbers_and_places_each_by_its_values():
    grid, _ = grid_for(["grid.seeds=2"])
    lr = grid.axes[0].values
    grown = grid.grow(Growth("lr", lr[0] ** 2 / lr[1], "low", 0.5)).grow(
        Growth("weight_decay", 0.5, "high", 0.75))
    assert grown.shape == (6, 6) and len(grown.points()) == 36
    assert grown.points()[:25] == grid.points()
    assert grown.points()[25:30] == [{"lr": lr[0] ** 2 / lr[1], "weight_decay": wd}
                                     for wd in grid.axes[1].values]
    assert [grown.point_at(p) for p in grown.positions()] == grown.points()
    assert sorted(grown.positions()) == sorted(itertools.product(range(6), range(6)))
    assert Grid.from_dict(grown.to_dict()) == grown


def test_an_axis_grows_on_the_edge_a_best_point_lies_on_within_its_limits():
    config = load_config(None, ["search_space.weight_decay.high=0.02"])
    grid, _ = build_grid(config, {"lr": 0.05, "weight_decay": 5e-4})  # 0.005..0.5, 5e-5..5e-3
    space = config.search_space
    assert growth_steps(grid, {0.0: (2, 2), 0.5: (1, 3)}, space, max_extend=2) == []
    steps = growth_steps(grid, {0.0: (2, 2), 0.5: (4, 4), 0.75: (0, 4)}, space, max_extend=2)
    # lr's upper step (1.58) lies beyond its bound 1; weight decay's first edge was at 0.5
    assert [(s.axis, s.side, s.ratio) for s in steps] == [("lr", "low", 0.75),
                                                          ("weight_decay", "high", 0.5)]
    assert [s.value for s in steps] == pytest.approx([0.005 / 10 ** 0.5, 5e-3 * 10 ** 0.5])
    assert growth_steps(grid, {0.5: (0, 4)}, space, max_extend=0) == []
    lower = grid.grow(steps[0])
    assert [s.axis for s in growth_steps(lower, {0.5: (0, 4)}, space, max_extend=1)] == [
        "weight_decay"]  # lr has used its one step
    upper = lower.grow(steps[1])
    # both next values lie beyond the space: lr 5e-4 < 1e-3, weight decay 0.05 > 0.02
    assert growth_steps(upper, {0.5: (0, 5)}, space, max_extend=2) == []
