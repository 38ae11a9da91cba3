"""The study's one answer, gathered from the per-ratio answers (``_answer``).

- ``re-tune``: some ratio's answer is "re-tune"; ``retune_from`` is the first such ratio (the
  fixed sequence makes every larger ratio "re-tune" too).
- ``keep``: every pruned ratio's answer is "keep" (the good region may still move measurably:
  ``shift_from``, but keeping the dense optimum costs less than epsilon).
- ``inconclusive``: neither; ``unsettled`` names the open ratios, with the smallest regret the
  design tells from epsilon and the seeds that would settle them.

``keep_up_to`` is the largest ratio up to which every ratio is "keep".
"""

from __future__ import annotations

from ._claims import Answer, RatioShift, Threshold, Verdict


def verdict(per_ratio: dict[float, RatioShift], answers: dict[float, Answer | None],
            threshold: Threshold, *, epsilon: float) -> Verdict:
    """One verdict consistent with the threshold and the answers beneath it."""
    ratios = sorted(r for r in per_ratio if r > 0)
    shifts = [threshold.by_shift.overall, *threshold.by_shift.per_hp.values()]
    shift_from = min((r for r in shifts if r is not None), default=None)

    def decided(ratio: float, decision: str) -> bool:
        answer = answers.get(ratio)
        return answer is not None and answer.decision == decision

    kept = [r for r in ratios if decided(r, "keep")]
    retune_from = min((r for r in ratios if decided(r, "re-tune")), default=None)
    unsettled = [r for r in ratios if not decided(r, "keep") and not decided(r, "re-tune")]
    kind = "re-tune" if retune_from is not None else "inconclusive" if unsettled else "keep"
    open_answers = [a for r in unsettled if (a := answers.get(r)) is not None]
    detectable = [a.detectable for a in open_answers if a.detectable is not None]
    settle = [a.planned_seeds for a in open_answers if a.planned_seeds is not None]
    return Verdict(kind=kind, retune_from=retune_from, keep_up_to=max(kept, default=None),
                   shift_from=shift_from, unsettled=unsettled if kind == "inconclusive" else [],
                   detectable=max(detectable, default=None),
                   seeds_to_settle=max(settle, default=None), epsilon=epsilon)
