"""HPO methods: a name maps to the Optuna sampler and pruner that implement it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import optuna

if TYPE_CHECKING:
    from ..config import ExperimentConfig

Strategy = tuple[optuna.samplers.BaseSampler, optuna.pruners.BasePruner]


def _bo(config: ExperimentConfig, seed: int) -> Strategy:
    sampler = optuna.samplers.GPSampler(seed=seed, n_startup_trials=config.hpo.n_startup_trials,
                                        deterministic_objective=False)
    return sampler, optuna.pruners.NopPruner()


def _tpe(config: ExperimentConfig, seed: int) -> Strategy:
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True,
                                         n_startup_trials=config.hpo.n_startup_trials)
    return sampler, optuna.pruners.NopPruner()


def _bohb(config: ExperimentConfig, seed: int) -> Strategy:
    sampler, _ = _tpe(config, seed)
    pruner = optuna.pruners.HyperbandPruner(min_resource=config.hpo.min_epochs,
                                            max_resource=config.max_epochs,
                                            reduction_factor=config.hpo.reduction_factor)
    return sampler, pruner


def _random(config: ExperimentConfig, seed: int) -> Strategy:
    return optuna.samplers.RandomSampler(seed=seed), optuna.pruners.NopPruner()


@dataclass(frozen=True)
class Method:
    """An HPO method: builds its (sampler, pruner) from the experiment and a sampler seed."""

    build: Callable[[ExperimentConfig, int], Strategy]
    description: str


METHODS: dict[str, Method] = {
    "bo": Method(_bo, "Bayesian optimisation with a Gaussian process (Optuna GPSampler)"),
    "tpe": Method(_tpe, "multivariate TPE with constant liar"),
    "bohb": Method(_bohb, "TPE + Hyperband over epochs (min_epochs, max_epochs, reduction_factor)"),
    "random": Method(_random, "random search, the baseline"),
}
