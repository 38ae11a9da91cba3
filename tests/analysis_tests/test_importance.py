import numpy as np
import optuna
from optuna.distributions import FloatDistribution

from pruneshift.analysis._importance import importance
from pruneshift.search import Grid
from pruneshift.search._grid import Axis
from pruneshift.storage import TrialKey

GRID = Grid((Axis("lr", (0.01, 0.1, 1.0), log=True), Axis("weight_decay", (1e-4, 1e-3))), {},
            (0, 1))
SPACE = {"lr": FloatDistribution(0.01, 1.0, log=True),
         "weight_decay": FloatDistribution(1e-4, 1e-3)}


def trials(value_of):
    return [optuna.trial.create_trial(params={"lr": lr, "weight_decay": wd}, distributions=SPACE,
                                      value=value_of(lr, wd))
            for lr in GRID.axes[0].values for wd in GRID.axes[1].values for _ in range(2)]


def test_the_hyperparameter_that_moves_accuracy_is_the_important_one():
    scores = importance(trials(lambda lr, wd: 0.9 - abs(lr - 0.1)), GRID, seed=0)
    assert scores["lr"]["fanova"] > 0.9 > scores["weight_decay"]["fanova"]


def test_a_flat_grid_has_no_importance_rather_than_an_error():
    scores = importance(trials(lambda lr, wd: 0.1), GRID, seed=0)
    assert scores == {n: {"fanova": None, "ped_anova": None} for n in ("lr", "weight_decay")}


def test_importance_does_not_depend_on_the_order_trials_were_stored_in():
    """A resumed study stores its trials in another order (redone cells come last)."""
    rng = np.random.default_rng(0)
    stored = [optuna.trial.create_trial(params=t.params, distributions=SPACE,
                                        value=t.value + rng.normal(0, 0.01),
                                        user_attrs={TrialKey.KEY: f"cell/{i}"})
              for i, t in enumerate(trials(lambda lr, wd: 0.9 - abs(lr - 0.1) - 50 * wd))]
    resumed = stored[3:] + stored[:3]
    assert importance(resumed, GRID, seed=0) == importance(stored, GRID, seed=0)
