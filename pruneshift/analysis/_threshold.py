"""The threshold ratio: from which pruning ratio on re-tuning pays.

At a ratio r, re-tuning pays when the regret stands significantly above epsilon
(``by_regret``: its one-sided test, Holm-adjusted over every regret claim of the study, below
``level``), or, under the default rule, also when the distance between the dense and the pruned
distributions stands significantly above its noise floor (``by_shift``: Holm-adjusted over
every shift claim, below ``level``). Each family gets half of alpha, so the report's claims
together hold a false one with probability at most alpha. The threshold is the smallest such
ratio; None means "not up to the largest ratio studied".
"""

from __future__ import annotations

from typing import Any


def _first(ratios: list[float], holds) -> float | None:
    return next((r for r in ratios if holds(r)), None)


def _significant(p_value: float | None, level: float) -> bool:
    return p_value is not None and p_value < level


def threshold(per_ratio: dict[float, dict[str, Any]], hyperparameters: list[str], *,
              epsilon: float, level: float, rule: str) -> dict[str, Any]:
    """Overall and per-hyperparameter thresholds, with the ratio each criterion gives."""
    ratios = sorted(r for r in per_ratio if r > 0)

    def regret_at(r: float) -> bool:
        return _significant(per_ratio[r]["regret"].get("p_adjusted"), level)

    def shift_at(r: float) -> bool:
        return _significant(per_ratio[r]["p_adjusted"].get("wasserstein"), level)

    by_regret, by_shift = _first(ratios, regret_at), _first(ratios, shift_at)
    per_hp, per_hp_regret, per_hp_shift = {}, {}, {}
    for name in hyperparameters:
        per_hp_regret[name] = _first(ratios, lambda r, n=name: _significant(
            per_ratio[r]["per_hp"][n]["regret"].get("p_adjusted"), level))
        per_hp_shift[name] = _first(ratios, lambda r, n=name: _significant(
            per_ratio[r]["p_adjusted"].get(f"per_hp.{n}.wasserstein"), level))
        per_hp[name] = _combine(per_hp_regret[name], per_hp_shift[name], rule)
    return {"overall": _combine(by_regret, by_shift, rule), "per_hp": per_hp,
            "by_regret": {"overall": by_regret, "per_hp": per_hp_regret},
            "by_shift": {"overall": by_shift, "per_hp": per_hp_shift},
            "rule": rule, "epsilon": epsilon, "level": level}


def _combine(by_regret: float | None, by_shift: float | None, rule: str) -> float | None:
    if rule == "regret":
        return by_regret
    found = [r for r in (by_regret, by_shift) if r is not None]
    return min(found) if found else None
