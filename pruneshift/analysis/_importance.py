"""Which hyperparameters matter at each ratio: Optuna's fANOVA and PED-ANOVA on a grid's trials."""

from __future__ import annotations

import warnings

import optuna
from optuna.trial import FrozenTrial

from ..search import Grid
from ..storage import key_of


def importance(trials: list[FrozenTrial], grid: Grid, seed: int
               ) -> dict[str, dict[str, float | None]]:
    """Per grid hyperparameter: normalised fANOVA and PED-ANOVA importances (None if unfit).

    Axes with a single value carry no information and are left out; so is a grid whose every
    trial scored the same (nothing to attribute). Trials are taken in the order of their units'
    keys, not of their numbers, so a study resumed after a kill scores as an uninterrupted one.
    Each trial is read on the grid's axes as they are now (a grid that grew recorded its first
    trials on narrower ones).
    """
    names = [a.name for a in grid.axes if len(a.values) > 1]
    result: dict[str, dict[str, float | None]] = {n: {"fanova": None, "ped_anova": None}
                                                  for n in names}
    values = {t.value for t in trials if t.value is not None}
    if len(names) < 1 or len(trials) < 2 or len(values) < 2:
        return result
    study = optuna.create_study(direction="maximize")
    axes = {a.name: a.distribution() for a in grid.axes}
    study.add_trials([optuna.trial.create_trial(
        params={n: t.params[n] for n in axes}, distributions=axes, value=t.value)
        for t in sorted(trials, key=lambda t: (str(key_of(t)), t.number))])
    evaluators = {
        "fanova": optuna.importance.FanovaImportanceEvaluator(seed=seed),
        "ped_anova": optuna.importance.PedAnovaImportanceEvaluator(),
    }
    for key, evaluator in evaluators.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = optuna.importance.get_param_importances(study, evaluator=evaluator,
                                                             params=names)
        for name in names:
            result[name][key] = float(scores.get(name, 0.0))
    return result
