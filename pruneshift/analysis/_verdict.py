"""The study's one answer: re-tune from a ratio, keep the dense optimum, or inconclusive.

- ``re-tune``: at some ratio the regret's interval lies above epsilon; ``retune_from`` is the
  first such ratio.
- ``keep``: at every pruned ratio the regret's interval lies below epsilon (the good region may
  still move measurably: ``shift_from``, but keeping the dense optimum costs less than epsilon).
- ``inconclusive``: no ratio shows a regret above epsilon, but at some ratio the interval
  straddles epsilon (or there is none, with one seed): the study cannot tell. It then names the
  smallest regret the design detects and the number of seeds that would settle it.

``keep_up_to`` is the largest ratio up to which every ratio is settled as "keep".
"""

from __future__ import annotations

from ._claims import RatioComparison, Threshold, Verdict


def _settled_below(entry: RatioComparison, epsilon: float) -> bool:
    high = entry.regret.ci_high
    return high is not None and high <= epsilon


def verdict(per_ratio: dict[float, RatioComparison], threshold: Threshold, *,
            epsilon: float) -> Verdict:
    """One verdict consistent with the threshold and the regrets beneath it."""
    ratios = sorted(r for r in per_ratio if r > 0)
    shifts = [threshold.by_shift.overall, *threshold.by_shift.per_hp.values()]
    shift_from = min((r for r in shifts if r is not None), default=None)
    keep_up_to = None
    for ratio in ratios:
        if not _settled_below(per_ratio[ratio], epsilon):
            break
        keep_up_to = ratio
    unsettled = [r for r in ratios if not _settled_below(per_ratio[r], epsilon)]
    retune_from = threshold.by_regret.overall
    kind = "re-tune" if retune_from is not None else ("inconclusive" if unsettled else "keep")
    open_regrets = [per_ratio[r].regret for r in unsettled] if kind == "inconclusive" else []
    detectable = [e.detectable for e in open_regrets if e.detectable is not None]
    settle = [e.seeds_to_settle for e in open_regrets if e.seeds_to_settle is not None]
    return Verdict(kind=kind, retune_from=retune_from, keep_up_to=keep_up_to,
                   shift_from=shift_from, unsettled=unsettled if kind == "inconclusive" else [],
                   detectable=max(detectable, default=None),
                   seeds_to_settle=max(settle, default=None), epsilon=epsilon)
