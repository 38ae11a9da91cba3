"""HPO methods: for each searching name in ``pruneshift.catalog.METHODS``, a function that builds
the Optuna sampler and pruner implementing it from the experiment and a sampler seed.

HPO trials are tickets ``hpo/0``, ``hpo/1``, ...; each is sampled with a seed of its own
(``pruneshift.seeds.sampler_seed``) and, under BOHB, races in the bracket its ticket picks, so
a ticket redone after a kill is sampled and pruned as in the uninterrupted study.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import optuna
from optuna.trial import FrozenTrial, TrialState

from ..storage import ticket_of

if TYPE_CHECKING:
    from ..config import ExperimentConfig

Strategy = tuple[optuna.samplers.BaseSampler, optuna.pruners.BasePruner]


class TicketHyperbandPruner(optuna.pruners.HyperbandPruner):
    """Hyperband whose bracket follows a trial's ticket, not its number, leaving failed trials
    out: a ticket redone after a kill meets the same competitors as it would have."""

    def _get_bracket_id(self, study: optuna.Study, trial: FrozenTrial) -> int:
        if trial.state == TrialState.FAIL:
            return -1  # in no bracket
        ticket = ticket_of(trial)
        if ticket is None:
            return super()._get_bracket_id(study, trial)
        return super()._get_bracket_id(study, SimpleNamespace(number=ticket))


def bo(config: ExperimentConfig, seed: int) -> Strategy:
    sampler = optuna.samplers.GPSampler(seed=seed, n_startup_trials=config.hpo.n_startup_trials,
                                        deterministic_objective=False)
    return sampler, optuna.pruners.NopPruner()


def tpe(config: ExperimentConfig, seed: int) -> Strategy:
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, constant_liar=True,
                                         n_startup_trials=config.hpo.n_startup_trials)
    return sampler, optuna.pruners.NopPruner()


def bohb(config: ExperimentConfig, seed: int) -> Strategy:
    sampler, _ = tpe(config, seed)
    pruner = TicketHyperbandPruner(min_resource=config.hpo.min_epochs,
                                   max_resource=config.max_epochs,
                                   reduction_factor=config.hpo.reduction_factor)
    return sampler, pruner


def random(config: ExperimentConfig, seed: int) -> Strategy:
    return optuna.samplers.RandomSampler(seed=seed), optuna.pruners.NopPruner()
