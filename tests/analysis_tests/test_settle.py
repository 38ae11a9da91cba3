"""The settle stage's statistics: the repeated confidence interval, the two-way paired error,
the stopping rule, and their coverage at the stopping time over many synthetic studies."""

import numpy as np
import pytest

from pruneshift import synthetic
from pruneshift.analysis import (
    PairedRuns,
    confirm,
    look_quantile,
    paired_error,
    pocock_boundary,
)
from pruneshift.analysis._settle import PairedExamples, planned_seeds
from pruneshift.config import load_config
from pruneshift.seeds import settle_seeds

from ..conftest import SYNTHETIC


@pytest.mark.parametrize(("looks", "published"), [(1, 1.960), (2, 2.178), (3, 2.289),
                                                  (4, 2.361), (5, 2.413)])
def test_pocock_boundaries_are_the_published_ones(looks, published):
    """Pocock (1977), two-sided 0.05: the constant boundary crossed with probability 0.05."""
    assert pocock_boundary(looks, 0.05) == pytest.approx(published, abs=2e-3)


def test_a_look_quantile_widens_with_the_looks_and_narrows_with_the_seeds():
    assert look_quantile(4, 0.05, 7) > look_quantile(4, 0.05, 31) > pocock_boundary(4, 0.05)
    assert look_quantile(4, 0.05, 31) > look_quantile(1, 0.05, 31)


def runs(kept, recipe, cells=None):
    examples = None
    if cells is not None:
        seeds, count = cells.shape
        examples = PairedExamples(np.repeat(np.arange(seeds), count),
                                  np.tile(np.arange(count), seeds), cells.ravel().astype(float))
    return PairedRuns(np.asarray(kept, float), np.asarray(recipe, float), examples)


def test_seed_pairing_cancels_a_seed_s_luck():
    """Each seed's luck moves both points alike: the error is that of the differences."""
    luck = np.array([0.03, -0.02, 0.01, -0.04, 0.02])
    kept, recipe = 0.9 + luck, 0.91 + luck + np.array([0.001, -0.001, 0.0, 0.002, -0.002])
    error = paired_error(runs(kept, recipe))
    assert error == pytest.approx(np.std(recipe - kept, ddof=1) / np.sqrt(5))
    assert error < 0.05 * np.std(kept, ddof=1)


def test_an_example_that_favours_one_point_on_every_seed_counts_once():
    """Two contested examples, each won by the recipe on every seed: more seeds do not make
    two examples into more evidence, so the error keeps the examples' share."""
    seeds, count = 40, 100
    cells = np.zeros((seeds, count))
    cells[:, :2] = 1  # the same two examples, every seed
    rng = np.random.default_rng(0)
    noise = rng.choice([-1, 0, 1], size=(seeds, 20), p=[0.1, 0.8, 0.1])
    cells[:, 2:22] = noise
    accuracy = cells.mean(axis=1)
    two_way = paired_error(runs(np.zeros(seeds), accuracy, cells))
    by_seed = paired_error(runs(np.zeros(seeds), accuracy))
    assert two_way > 2 * by_seed
    spread = np.sqrt(np.var(cells.mean(axis=0), ddof=1) / count)  # the examples' part
    assert two_way == pytest.approx(np.sqrt(by_seed ** 2 + spread ** 2), rel=0.15)


def test_without_example_effects_the_two_way_error_is_the_seeds():
    rng = np.random.default_rng(1)
    cells = rng.choice([-1, 0, 1], size=(30, 300), p=[0.02, 0.96, 0.02])
    accuracy = cells.mean(axis=1)
    two_way = paired_error(runs(np.zeros(30), accuracy, cells))
    assert two_way == pytest.approx(paired_error(runs(np.zeros(30), accuracy)), rel=0.25)


def test_a_ratio_stops_once_clear_of_epsilon_and_precise_enough():
    rng = np.random.default_rng(2)
    kept = 0.9 + 0.001 * rng.standard_normal(16)
    clear = confirm(runs(kept, kept + 0.02 + 0.001 * rng.standard_normal(16)), looks=2,
                    planned_looks=4, level=0.025, epsilon=0.005, precision=0.003)
    assert clear.decision == "re-tune" and clear.done and clear.ci_low > 0.005
    wide = confirm(runs(kept, kept + 0.02 + 0.01 * rng.standard_normal(16)), looks=2,
                   planned_looks=4, level=0.025, epsilon=0.005, precision=0.003)
    assert wide.ci_high - wide.gain > 0.003 and not wide.done
    spent = confirm(runs(kept, kept + 0.005 + 0.01 * rng.standard_normal(16)), looks=4,
                    planned_looks=4, level=0.025, epsilon=0.005, precision=0.003)
    assert spent.decision == "open" and spent.done


def test_an_estimate_on_epsilon_plans_no_seeds():
    assert planned_seeds(0.005, 0.001, 32, 0.005, 0.025) is None
    far = planned_seeds(0.0, 0.001, 32, 0.005, 0.025)
    near = planned_seeds(0.003, 0.001, 32, 0.005, 0.025)
    assert 32 <= far < near


def sequential_study(config, seed, kept, recipe, ratio, *, looks=4, per_round=8):
    """One settle stage on the synthetic task, round after round until it stops."""
    kept_acc, recipe_acc, seeds, examples, differences = [], [], [], [], []
    for look in range(looks):
        ids = synthetic.test_ids(config, look) if config.synthetic.examples else None
        for s in settle_seeds(seed, look, per_round):
            a, b = (synthetic.run(config, p, ratio, s, look) for p in (kept, recipe))
            kept_acc.append(a.test_accuracy)
            recipe_acc.append(b.test_accuracy)
            if ids is not None:
                seeds.append(np.full(len(ids), len(kept_acc) - 1))
                examples.append(ids)
                differences.append(b.test_correct.astype(float) - a.test_correct)
        cells = None if ids is None else PairedExamples(
            np.concatenate(seeds), np.concatenate(examples), np.concatenate(differences))
        found = confirm(PairedRuns(np.array(kept_acc), np.array(recipe_acc), cells),
                        looks=look + 1, planned_looks=looks, level=0.025, epsilon=0.005,
                        precision=0.003)
        if found.done:
            return found
    return found


@pytest.mark.parametrize("structure", [
    ["synthetic.noise=0.004"],
    ["synthetic.examples=400", "synthetic.seed_effect=0.004", "synthetic.training_noise=0.002",
     "synthetic.peak=0.985", "synthetic.peak_drop=0.0"],
])
def test_the_interval_covers_at_its_stopping_time_with_the_truth_on_epsilon(structure):
    """The recipe's true gain exactly epsilon, the hardest case: the interval read after every
    round covers it at its level at the round it stops, and claims "keep" or "re-tune" (both
    false here) at most at the claims' level."""
    kept = {"lr": 0.05, "weight_decay": 5e-4}
    recipe = {"lr": 0.05 * 10 ** 0.5, "weight_decay": 5e-4}  # shift 1: gain 0.02 * 0.5**2
    found = []
    for study in range(150):
        config = load_config(SYNTHETIC, [f"seed={study}", *structure])
        truth = (synthetic.truth(config, recipe, 0.5) - synthetic.truth(config, kept, 0.5))
        assert truth == pytest.approx(0.005)
        found.append(sequential_study(config, study, kept, recipe, 0.5))
    covered = np.mean([f.ci_low <= 0.005 <= f.ci_high for f in found])
    claimed = np.mean([f.decision != "open" for f in found])
    assert covered >= 0.94 and claimed <= 0.06, (covered, claimed)
