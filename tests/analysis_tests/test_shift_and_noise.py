import numpy as np
import optuna
import pytest

from pruneshift.analysis import (
    DISTANCES,
    Answer,
    Landscape,
    RatioShift,
    RunData,
    SeedBootstrap,
    ShiftClaims,
    Statistic,
    best_index,
    rank_agreement,
    seed_noise,
    subgrid_optimum,
    summarise,
    threshold,
    to_landscape,
)
from pruneshift.config import AnalysisConfig, SettleConfig
from pruneshift.search import Axis, Grid


def grid_2x5(seeds=(0, 1)):
    return Grid((Axis("lr", (1e-3, 1e-2, 1e-1), log=True),
                 Axis("momentum", (0.8, 0.85, 0.9, 0.95, 0.99))), {}, seeds)


def test_subgrid_optimum_finds_the_vertex_of_a_quadratic():
    i = np.arange(5.0)
    mean = -(i - 2.3) ** 2
    assert best_index(mean) == (2,)
    assert subgrid_optimum(mean) == pytest.approx([2.3])
    surface = -((i[:, None] - 1.8) ** 2) - 2 * (i[None, :] - 3.25) ** 2
    assert subgrid_optimum(surface) == pytest.approx([1.8, 3.25])


def test_subgrid_optimum_stays_on_an_edge_best_point():
    assert subgrid_optimum(np.array([0.9, 0.8, 0.7])) == [0.0]


def test_rank_agreement_of_identical_and_reversed_landscapes():
    a = np.array([[0.1, 0.5], [0.3, np.nan]])
    assert rank_agreement(a, a) == pytest.approx({"spearman": 1.0, "kendall": 1.0})
    assert rank_agreement(a, -a) == pytest.approx({"spearman": -1.0, "kendall": -1.0})


def test_seed_noise_is_the_typical_single_run_std_and_ignores_unstable_points():
    grid = Grid((Axis("lr", (0.1, 0.2, 0.3, 0.4)),), {}, (0, 1))
    steady = np.array([[0.90, 0.92], [0.80, 0.78], [0.50, 0.52], [0.70, 0.72]])
    # each point's two runs differ by 0.02: the sample std of each point is 0.02 / sqrt(2),
    # and the median-based scale of residuals +-0.01*sqrt(2) is 1.4826 times that
    expected = 1.4826 * 0.01 * np.sqrt(2)
    assert seed_noise(Landscape(grid, 0.0, steady)) == pytest.approx(expected)
    unstable = steady.copy()
    unstable[3] = [0.70, 0.10]  # one seed diverged-ish at the edge of stability
    assert seed_noise(Landscape(grid, 0.0, unstable)) == pytest.approx(expected)


def test_the_bootstrap_resamples_each_points_own_runs():
    grid = Grid((Axis("lr", (0.1, 0.2)),), {}, (0, 1))
    landscape = Landscape(grid, 0.0, np.array([[0.90, 0.90], [0.2, 0.8]]))
    bootstrap = SeedBootstrap(landscape)
    rng = np.random.default_rng(0)
    draws = np.array([bootstrap.replicate(rng) for _ in range(400)])
    assert np.all(draws[:, 0] == 0.9)  # a point whose seeds agree has no noise to replay
    assert set(np.round(draws[:, 1], 6)) == {0.2, 0.5, 0.8}  # never outside what seeds reached


def test_with_a_single_seed_there_is_no_noise_estimate():
    grid = Grid((Axis("lr", (0.1, 0.2)),), {}, (0,))
    landscape = Landscape(grid, 0.0, np.array([[0.9], [0.8]]))
    assert seed_noise(landscape) is None and not SeedBootstrap(landscape).available


def trials_for(grid, accuracy_by_ratio, diverged=()):
    """Complete FrozenTrials for every cell of ``grid`` with the given accuracies."""
    from pruneshift.storage import TrialKey

    distributions = {a.name: optuna.distributions.FloatDistribution(min(a.values), max(a.values),
                                                                    log=a.log) for a in grid.axes}
    result = {}
    for ratio, accuracy in accuracy_by_ratio.items():
        trials = []
        for point_index, point in enumerate(grid.points()):
            index = np.unravel_index(point_index, grid.shape)
            for s, seed in enumerate(grid.seeds):
                trials.append(optuna.trial.create_trial(
                    params=point, distributions=distributions,
                    value=float(accuracy[(*index, s)]),
                    user_attrs={TrialKey.CELL: point_index, TrialKey.SEED: seed,
                                "diverged": (ratio, point_index, seed) in diverged}))
        result[ratio] = trials
    return result


def run_data(grid, accuracy_by_ratio, diverged=()):
    return RunData(config={"experiment": "unit"}, grid=grid, optimum={}, reference=None,
                   pruned={}, deployed={}, trials=trials_for(grid, accuracy_by_ratio, diverged),
                   hpo_trials=[], settle_plans={}, settle_trials={}, settle_test_ids={})


def test_single_seed_results_report_the_floor_as_unavailable():
    grid = grid_2x5(seeds=(0,))
    rng = np.random.default_rng(0)
    data = run_data(grid, {0.0: rng.random((3, 5, 1)), 0.5: rng.random((3, 5, 1))})
    results, table, _ = summarise(data, AnalysisConfig(bootstrap=100), SettleConfig())
    pruned = results.ratios[0.5].comparison
    assert results.noise.seed_std is None and results.noise.available is False
    for section in ("noise_floor", "p_value"):
        values = getattr(pruned, section)
        assert {values[Statistic(m)] for m in DISTANCES} == {None}
        assert {v.wasserstein for v in values.per_hp.values()} == {None}
    assert pruned.regret.ci_low is None and pruned.regret.mean >= 0
    assert results.threshold.by_regret.overall is None
    assert results.threshold.by_shift.overall is None
    assert len(table) == 2 * 15


def test_a_diverged_run_counts_as_the_worst_value():
    grid = grid_2x5()
    accuracy = np.full((3, 5, 2), 0.9)
    accuracy[1, 2] = [0.99, 0.99]
    data = run_data(grid, {0.0: accuracy}, diverged={(0.0, 7, 0)})
    landscape = to_landscape(
        [{"point": p, "seed": s, "diverged": (0.0, p, s) == (0.0, 7, 0), "val_accuracy": 0.99}
         for p in (7,) for s in (0, 1)], grid, 0.0)
    assert landscape.accuracy[1, 2].tolist() == [0.0, 0.99]
    results, _, _ = summarise(data, AnalysisConfig(bootstrap=100), SettleConfig())
    assert results.ratios[0.0].best.value == pytest.approx(0.9)


def test_identical_landscapes_have_zero_distances_and_regret():
    grid = grid_2x5()
    accuracy = np.random.default_rng(1).random((3, 5, 2))
    results, _, _ = summarise(run_data(grid, {0.0: accuracy, 0.5: accuracy}),
                              AnalysisConfig(bootstrap=100), SettleConfig())
    pruned = results.ratios[0.5].comparison
    assert all(getattr(pruned.distances, m) == pytest.approx(0.0, abs=1e-9) for m in DISTANCES)
    regret = pruned.regret  # cross-fitted: noisy around zero, never pinned above it
    assert regret.ci_low <= 0.0 <= regret.ci_high
    assert pruned.rank_correlation.spearman == pytest.approx(1.0)


def test_threshold_rules_by_hand():
    def entry(p, hp_p=None):
        """A comparison holding only the adjusted shift p-values the threshold reads."""
        return RatioShift.model_construct(p_adjusted=ShiftClaims.of(
            {Statistic("wasserstein"): p, Statistic("wasserstein", "lr"): hp_p}))

    def answer(decision):
        return Answer(decision=decision, regret=0.0, ci_low=0.0, ci_high=0.01, level=0.975,
                      source="grid", runs=None, detectable=None, planned_seeds=None)

    per_ratio = {0.0: entry(None), 0.25: entry(0.5, 0.001), 0.5: entry(0.2, 0.5),
                 0.75: entry(0.001, 0.001)}
    answers = {0.25: answer("open"), 0.5: answer("re-tune"), 0.75: answer("re-tune")}
    both = threshold(per_ratio, answers, ["lr"], epsilon=0.005, level=0.025,
                     rule="regret-or-shift")
    assert both.by_regret.model_dump() == {"overall": 0.5, "per_hp": {"lr": None}}
    assert both.by_shift.model_dump() == {"overall": 0.75, "per_hp": {"lr": 0.25}}
    assert both.overall == 0.5 and both.per_hp == {"lr": 0.25}
    assert both.level == 0.025
    regret_only = threshold(per_ratio, answers, ["lr"], epsilon=0.005, level=0.025,
                            rule="regret")
    assert regret_only.overall == 0.5 and regret_only.per_hp == {"lr": None}
    nothing = threshold(per_ratio, dict.fromkeys(answers), ["lr"], epsilon=0.5, level=1e-6,
                        rule="regret-or-shift")
    assert nothing.overall is None and nothing.per_hp == {"lr": None}
