"""The statistics behind every claim: the no-shift null, Holm, cross-fitted regret, verdict."""

import numpy as np
import pytest

from pruneshift import synthetic
from pruneshift.analysis import (
    Answer,
    Landscape,
    NoShiftNull,
    Regret,
    ShiftMetrics,
    Statistic,
    Threshold,
    analyze_landscapes,
    gate,
    grid_answer,
    holm,
    normalisation_for,
    regret,
    robust_offset,
    seed_noise,
    verdict,
)
from pruneshift.analysis._answer import fixed_sequence
from pruneshift.analysis._regret import fold_differences, kept_point, plugin_regret
from pruneshift.analysis._shift import best_index
from pruneshift.config import load_config
from pruneshift.search import Axis, Grid, build_grid

from ..conftest import SYNTHETIC

SMALL = ["grid.axes.lr.points=5", "grid.axes.lr.span=100", "grid.axes.weight_decay.points=5",
         "grid.axes.weight_decay.span=100"]
OPTIMUM = {"lr": 0.05, "weight_decay": 5e-4}


def study(seed, ratios=(0.0, 0.5), **task):
    """Landscapes of the synthetic task on a 5 x 5 grid, analysed as ``pruneshift run`` does."""
    sets = [f"synthetic.{k}={v}" for k, v in task.items()]
    config = load_config(SYNTHETIC, [*SMALL, f"seed={seed}", "synthetic.shift.lr=0", *sets,
                                     f"pruning.ratios=[{', '.join(map(str, ratios))}]"])
    grid, _ = build_grid(config, OPTIMUM)
    arrays = {r: Landscape(grid, r, *synthetic.grid_runs(config, grid, r)) for r in ratios}
    metrics = ShiftMetrics(grid, normalisation_for(seed_noise(arrays[0.0]), config.analysis))
    return config, grid, arrays, analyze_landscapes(grid, arrays, metrics, config.analysis)


def test_holm_by_hand():
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03})
    assert adjusted == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})
    assert holm({"a": 0.5, "b": 0.9}) == pytest.approx({"a": 1.0, "b": 1.0})


def test_shift_claims_are_holm_adjusted_over_ratios_and_hyperparameters():
    analysis = study(3, ratios=(0.0, 0.25, 0.5), **{"shift.lr": 1.0})[3]
    per_ratio, found = analysis.per_ratio, analysis.threshold

    def at(section, ratio, key):
        """A statistic of a results section: the joint W1, or a hyperparameter's."""
        claim = Statistic("wasserstein", None if key == "wasserstein" else key)
        return getattr(per_ratio[ratio], section)[claim]

    raw = {(r, k): at("p_value", r, k) for r in (0.25, 0.5)
           for k in ("wasserstein", "lr", "weight_decay")}
    expected = holm(raw)
    for (ratio, key), value in expected.items():
        assert at("p_adjusted", ratio, key) == pytest.approx(value)
        assert value >= raw[(ratio, key)]
    assert found.level == pytest.approx(0.025)  # half of alpha: shifts and regrets


def test_a_diverged_row_does_not_move_the_offset_and_stays_diverged_in_the_null():
    grid = Grid((Axis("lr", (0.01, 0.1, 1.0), log=True),), {}, (0, 1, 2))
    rng = np.random.default_rng(0)
    dense_runs = 0.9 + 0.002 * rng.standard_normal((3, 3))
    pruned_runs = dense_runs - 0.03 + 0.002 * rng.standard_normal((3, 3))
    diverged = np.zeros((3, 3), dtype=bool)
    diverged[2] = True
    pruned_runs[2] = 0.0
    dense = Landscape(grid, 0.0, dense_runs)
    pruned = Landscape(grid, 0.5, pruned_runs, diverged)
    assert robust_offset(dense, pruned) == pytest.approx(-0.03, abs=0.005)
    null = NoShiftNull(dense, pruned)
    for d, p in zip(*null.replicates(rng, 20), strict=True):
        assert p[2] == 0.0 and d[2] > 0.8
        assert abs(p[0] - d[0] + 0.03) < 0.02


def test_the_null_draws_a_seeds_dense_and_pruned_residuals_together():
    """Pruned runs that repeat their seed's dense luck exactly: every replicate pair differs by
    the offset alone, so the null distance is zero, as the observed one is."""
    grid = Grid((Axis("lr", (0.01, 0.1, 1.0), log=True),), {}, (0, 1, 2))
    dense_runs = 0.9 + 0.01 * np.random.default_rng(1).standard_normal((3, 3))
    null = NoShiftNull(Landscape(grid, 0.0, dense_runs), Landscape(grid, 0.5, dense_runs - 0.1))
    for d, p in zip(*null.replicates(np.random.default_rng(0), 20), strict=True):
        assert p - d == pytest.approx(np.full(3, -0.1))


def test_one_diverged_row_does_not_blind_the_shift_test():
    """A one-step move of the learning rate's optimum at ratio 0.5, with the grid's top
    learning rate diverging there: the move is still found, in every study."""
    for seed in range(3):
        _, _, arrays, analysis = study(
            seed, **{"shift.lr": 1.0, "diverge_above.lr": 0.2, "diverge_from": 0.5})
        per_ratio = analysis.per_ratio
        assert arrays[0.5].diverged[-1].all() and not arrays[0.5].diverged[:-1].any()
        assert per_ratio[0.5].p_adjusted.per_hp["lr"].wasserstein < 0.025
        assert per_ratio[0.5].diverged.runs == 15
        assert per_ratio[0.5].diverged.per_hp["lr"] == {"0.5": 15}


def test_power_holds_as_the_shift_grows():
    for seed in range(3):
        per_ratio = study(seed, ratios=(0.0, 0.75), **{"shift.lr": 2.0})[3].per_ratio
        assert per_ratio[0.75].p_adjusted.per_hp["lr"].wasserstein < 0.025
        assert per_ratio[0.75].p_adjusted.wasserstein < 0.025


def test_paired_seeds_do_not_pin_the_p_values_at_one():
    """Runs of one seed correlated 0.9 across ratios, nothing moved: a null that ignored the
    pairing would be far too wide (p near 1 throughout); this one spreads them out."""
    p_values = [study(seed, seed_correlation=0.9)[3].per_ratio[0.5].p_value.wasserstein
                for seed in range(12)]
    assert 0.2 < float(np.mean(p_values)) < 0.8


def cost(runs, kept, seed=0):
    return regret(runs, kept, alpha=0.05, epsilon=0.005, rng=np.random.default_rng(seed),
                  replicates=500, claim_level=0.025)


def test_an_unstable_point_does_not_set_the_regret_s_noise():
    runs = np.array([[0.90, 0.91, 0.92], [0.95, 0.96, 0.97], [0.93, 0.94, 0.95],
                     [0.92, 0.93, 0.94], [0.90, 0.30, 0.91]])  # one seed barely trained
    steady = cost(runs[:4], kept_point((4,), (0,)))
    unstable = cost(runs, kept_point((5,), (0,)))
    assert unstable.ci_high - unstable.ci_low < 1.5 * (steady.ci_high - steady.ci_low)


def test_regret_is_biased_neither_up_nor_down_where_nothing_is_lost():
    """No shift and noise 0.01: the plug-in regret (best of 25 noisy means minus one of them)
    reads almost half a point too high; choosing on two seeds of three (plain cross-fitting) reads a
    third of a point too low; the bias-corrected regret matches the analytic one."""
    plugin, plain, corrected = [], [], []
    for seed in range(30):
        config, grid, arrays, _ = study(seed, ratios=(0.0,), noise=0.01)
        kept = best_index(arrays[0.0].mean())
        truth = synthetic.true_mean(config, grid, 0.5)
        pruned = Landscape(grid, 0.5, *synthetic.grid_runs(config, grid, 0.5))
        analytic = truth.max() - truth[kept]
        mask = kept_point(grid.shape, kept)
        plugin.append(plugin_regret(pruned.mean(), mask) - analytic)
        plain.append(fold_differences(pruned.accuracy, mask).mean() - analytic)
        corrected.append(cost(pruned.accuracy, mask, seed).mean - analytic)
    assert np.mean(plugin) > 0.003
    assert np.mean(plain) < -0.002
    assert abs(np.mean(corrected)) < 0.0015


def test_a_certain_choice_gives_the_textbook_interval():
    """Point 1 is better by 0.05 in every seed, so every fold and replicate choose it: the
    bootstrap's error is the two-run difference's, sqrt(2 s^2 / n), and the bias it finds is
    its own Monte Carlo error (error / sqrt(500))."""
    runs = np.array([[0.90, 0.91, 0.92], [0.95, 0.96, 0.97]])
    result = cost(runs, kept_point((2,), (0,)))
    assert result.noise_df == 4  # 2 points x (3 seeds - 1)
    # residuals -0.01, 0, 0.01 scaled by sqrt(3/2): their mean square is 1e-4, none an outlier
    error = np.sqrt(2 * 1e-4 / 3)
    assert abs(result.selection_bias) < 3 * error / np.sqrt(500)
    assert result.mean == pytest.approx(0.05 - result.selection_bias)
    half = 2.776 * error  # t(0.975, 4) * sqrt(2 s^2 / n)
    assert result.ci_high - result.mean == pytest.approx(half, rel=0.1)
    assert result.p_above_epsilon < 0.01


def test_an_optimum_on_a_flat_axis_is_not_determined():
    per_ratio = study(0, ratios=(0.0, 0.5), **{"shift.lr": 1.0,
                                               "curvature.weight_decay": 0.0})[3].per_ratio
    lr = per_ratio[0.5].per_hp["lr"].optimum_shift
    wd = per_ratio[0.5].per_hp["weight_decay"].optimum_shift
    assert lr.determined and lr.interval_steps[0] <= 1 <= lr.interval_steps[1]
    assert wd.determined is False


def test_the_regret_reports_the_re_tuned_and_kept_points_test_accuracy():
    grid = Grid((Axis("lr", (0.01, 0.1, 1.0), log=True),), {}, (0, 1))
    accuracy = np.array([[0.9, 0.9], [0.8, 0.8], [0.7, 0.7]])
    test = accuracy - 0.01
    dense = Landscape(grid, 0.0, accuracy, test=test)
    pruned = Landscape(grid, 0.5, accuracy[::-1], test=test[::-1])
    config = load_config(SYNTHETIC)
    metrics = ShiftMetrics(grid, normalisation_for(0.01, config.analysis))
    per_ratio = analyze_landscapes(grid, {0.0: dense, 0.5: pruned}, metrics,
                                   config.analysis).per_ratio
    assert per_ratio[0.5].test_at_dense_optimum == pytest.approx(0.69)
    assert per_ratio[0.5].per_hp["lr"].optimum_shift.at_edge is True


def _answer(decision, regret=0.001, low=0.0, high=0.004, planned=9):
    return Answer(decision=decision, regret=regret, ci_low=low, ci_high=high, level=0.975,
                  source="settle", runs=16, detectable=0.01, planned_seeds=planned)


def _threshold(by_regret=None, by_shift=None):
    return Threshold(overall=None, per_hp={}, rule="regret", epsilon=0.005, level=0.025,
                     by_regret={"overall": by_regret, "per_hp": {}},
                     by_shift={"overall": by_shift, "per_hp": {"lr": None}})


RATIOS = {0.0: None, 0.25: None, 0.5: None}


def test_the_verdict_is_inconclusive_where_an_answer_is_open():
    answers = gate({0.25: _answer("keep"), 0.5: _answer("open", 0.004, 0.0, 0.028)})
    answer = verdict(RATIOS, answers, _threshold(), epsilon=0.005)
    assert answer.kind == "inconclusive" and answer.keep_up_to == 0.25
    assert answer.unsettled == [0.5] and answer.seeds_to_settle == 9


def test_the_verdict_keeps_or_re_tunes_by_the_answers_alone():
    keep = verdict(RATIOS, gate({0.25: _answer("keep"), 0.5: _answer("keep")}),
                   _threshold(by_shift=0.25), epsilon=0.005)
    assert keep.kind == "keep" and keep.shift_from == 0.25 and keep.keep_up_to == 0.5
    answers = gate({0.25: _answer("keep"), 0.5: _answer("re-tune", 0.02, 0.01, 0.03)})
    retune = verdict(RATIOS, answers, _threshold(), epsilon=0.005)
    assert retune.kind == "re-tune" and retune.retune_from == 0.5 and retune.keep_up_to == 0.25


def test_claims_are_tested_in_fixed_sequences():
    """"Re-tune" from the largest ratio down, "keep" from the smallest up: a ratio whose
    interval clears epsilon is claimed only while every ratio before it in its sequence was."""
    claimed = gate({0.25: _answer("open"), 0.5: _answer("keep"), 0.75: _answer("re-tune")})
    assert {r: a.decision for r, a in claimed.items()} == {0.25: "open", 0.5: "open",
                                                           0.75: "re-tune"}
    claimed = gate({0.25: _answer("keep"), 0.5: _answer("re-tune"), 0.75: _answer("open")})
    assert {r: a.decision for r, a in claimed.items()} == {0.25: "keep", 0.5: "open",
                                                           0.75: "open"}
    claimed = gate({0.25: _answer("keep"), 0.5: None, 0.75: _answer("re-tune")})
    assert claimed[0.25].decision == "keep" and claimed[0.75].decision == "re-tune"


def test_fixed_sequence_p_values_by_hand():
    assert fixed_sequence({0.25: 0.01, 0.5: 0.04, 0.75: 0.02}) == pytest.approx(
        {0.75: 0.02, 0.5: 0.04, 0.25: 0.04})


def test_a_grid_answer_is_cut_at_zero_and_tested_at_the_claim_level():
    regret_ = Regret(mean=-0.001, method="cross-fitted", standard_error=0.001, noise_df=50,
                     seeds_to_settle=None)
    answer = grid_answer(regret_, epsilon=0.005, level=0.025)
    assert answer.regret == 0.0 and answer.ci_low == 0.0
    assert answer.ci_high == pytest.approx(-0.001 + 2.31 * 0.001, abs=2e-5)
    assert answer.decision == "keep" and answer.level == 0.975
