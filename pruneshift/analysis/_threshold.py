"""The threshold ratio: from which pruning ratio on re-tuning pays.

At a ratio r, re-tuning pays when its answer is "re-tune" (``by_regret``: the regret of keeping
the dense optimum lies above epsilon, as the fixed sequence claims it, ``_answer``), or, under
the default rule, also when the distance between the dense and the pruned distributions stands
significantly above its noise floor (``by_shift``: Holm-adjusted over every shift claim, below
``level``). Each family gets half of alpha, so the report's claims together hold a false one
with probability at most alpha. The threshold is the smallest such ratio; None means "not up to
the largest ratio studied". Per hyperparameter only the shift is a claim: the regret of keeping
one hyperparameter is reported as the grid measured it, not tested.
"""

from __future__ import annotations

from collections.abc import Callable

from ._claims import Answer, RatioShift, Statistic, Threshold, ThresholdCriterion


def _first(ratios: list[float], holds: Callable[[float], bool]) -> float | None:
    return next((r for r in ratios if holds(r)), None)


def _significant(p_value: float | None, level: float) -> bool:
    return p_value is not None and p_value < level


def threshold(per_ratio: dict[float, RatioShift], answers: dict[float, Answer | None],
              hyperparameters: list[str], *, epsilon: float, level: float,
              rule: str) -> Threshold:
    """Overall and per-hyperparameter thresholds, with the ratio each criterion gives."""
    ratios = sorted(r for r in per_ratio if r > 0)

    def by_shift(name: str | None) -> float | None:
        return _first(ratios, lambda r: _significant(
            per_ratio[r].p_adjusted[Statistic("wasserstein", name)], level))

    retune = _first(ratios, lambda r: (a := answers.get(r)) is not None
                    and a.decision == "re-tune")
    regret_found = ThresholdCriterion(overall=retune, per_hp=dict.fromkeys(hyperparameters))
    shift_found = ThresholdCriterion(overall=by_shift(None),
                                     per_hp={n: by_shift(n) for n in hyperparameters})
    return Threshold(
        overall=_combine(regret_found.overall, shift_found.overall, rule),
        per_hp={n: _combine(regret_found.per_hp[n], shift_found.per_hp[n], rule)
                for n in hyperparameters},
        by_regret=regret_found, by_shift=shift_found, rule=rule, epsilon=epsilon, level=level)


def _combine(by_regret: float | None, by_shift: float | None, rule: str) -> float | None:
    if rule == "regret":
        return by_regret
    found = [r for r in (by_regret, by_shift) if r is not None]
    return min(found) if found else None
