"""The threshold ratio: from which pruning ratio on re-tuning pays.

At a ratio r, re-tuning pays when the regret's lower confidence bound exceeds epsilon
(``by_regret``), or, under the default rule, also when the distance between the dense and the
pruned distributions stands significantly above its noise floor (``by_shift``: p-value below
alpha split over the pruned ratios). The threshold is the smallest such ratio; None means
"not up to the largest ratio studied".
"""

from __future__ import annotations

from typing import Any

RULES = ("regret-or-shift", "regret")


def _first(ratios: list[float], holds) -> float | None:
    return next((r for r in ratios if holds(r)), None)


def _regret_pays(entry: dict[str, Any] | None, epsilon: float) -> bool:
    return bool(entry) and entry.get("ci_low") is not None and entry["ci_low"] > epsilon


def _significant(p_value: float | None, level: float) -> bool:
    return p_value is not None and p_value < level


def threshold(per_ratio: dict[float, dict[str, Any]], hyperparameters: list[str], *,
              epsilon: float, alpha: float, rule: str) -> dict[str, Any]:
    """Overall and per-hyperparameter thresholds, with the ratio each criterion gives."""
    ratios = sorted(r for r in per_ratio if r > 0)
    level = alpha / max(1, len(ratios))

    def regret_at(r: float) -> bool:
        return _regret_pays(per_ratio[r]["regret"], epsilon)

    def shift_at(r: float) -> bool:
        return _significant(per_ratio[r]["p_value"].get("wasserstein"), level)

    by_regret, by_shift = _first(ratios, regret_at), _first(ratios, shift_at)
    per_hp, per_hp_regret, per_hp_shift = {}, {}, {}
    for name in hyperparameters:
        per_hp_regret[name] = _first(ratios, lambda r, n=name: _regret_pays(
            per_ratio[r]["per_hp"][n]["regret"], epsilon))
        per_hp_shift[name] = _first(ratios, lambda r, n=name: _significant(
            per_ratio[r]["p_value"].get(f"per_hp.{n}.wasserstein"), level))
        per_hp[name] = _combine(per_hp_regret[name], per_hp_shift[name], rule)
    return {"overall": _combine(by_regret, by_shift, rule), "per_hp": per_hp,
            "by_regret": {"overall": by_regret, "per_hp": per_hp_regret},
            "by_shift": {"overall": by_shift, "per_hp": per_hp_shift},
            "rule": rule, "epsilon": epsilon, "alpha": alpha, "level": level}


def _combine(by_regret: float | None, by_shift: float | None, rule: str) -> float | None:
    if rule == "regret":
        return by_regret
    found = [r for r in (by_regret, by_shift) if r is not None]
    return min(found) if found else None
