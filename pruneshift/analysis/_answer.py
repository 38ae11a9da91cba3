"""Each pruned ratio's answer, with its own interval, and the gate that keeps the family honest.

A ratio's answer is the regret of keeping the dense optimum there: from the settle stage where
it measured the ratio (the recipe's gain over the kept point on fresh seeds, its repeated
confidence interval), else from the grid (the cross-fitted regret). The regret cannot be
negative (re-tuning can always choose the kept point), so estimate and interval are cut at 0.
Where the interval lies wholly above epsilon the answer is "re-tune", wholly below "keep".

Every answer is a claim, and the report makes one per ratio, so the claims are tested as a
family whose chance of holding any false one is the regret family's level. Rather than
dividing that level among the ratios (Holm), the claims are tested in a fixed sequence, each at
the full level, in the order in which they are likely (a fixed-sequence procedure; Maurer et
al. 1995): "re-tune" from the largest ratio down, "keep" from the smallest up, each sequence
stopping at its first ratio that does not hold. With a monotone truth (more pruning, more to
re-tune) this costs nothing and spends the whole level on each claim.
"""

from __future__ import annotations

from typing import Literal

from scipy.stats import t as student_t

from ._claims import Answer, Regret, Settlement

Decision = Literal["re-tune", "keep", "open"]


def _decision(low: float, high: float, epsilon: float) -> Decision:
    return "re-tune" if low > epsilon else "keep" if high < epsilon else "open"


def grid_answer(regret: Regret, *, epsilon: float, level: float) -> Answer | None:
    """The answer from the grid's cross-fitted regret, its interval at the claim ``level``;
    None where the regret has no standard error (one seed)."""
    error = regret.standard_error
    if regret.mean is None or error is None or regret.noise_df is None:
        return None
    half = float(student_t.isf(level / 2, regret.noise_df)) * error
    low, high = regret.mean - half, regret.mean + half
    return Answer(decision=_decision(low, high, epsilon), regret=max(0.0, regret.mean),
                  ci_low=max(0.0, low), ci_high=max(0.0, high), level=1 - level,
                  source="grid", runs=None, detectable=regret.detectable,
                  planned_seeds=regret.seeds_to_settle)


def settle_answer(settlement: Settlement) -> Answer | None:
    """The answer from the settle stage's last complete round; None before one."""
    confirmed = settlement.confirmation
    if confirmed is None or confirmed.ci_low is None or confirmed.ci_high is None:
        return None
    return Answer(decision=confirmed.decision, regret=max(0.0, confirmed.gain),
                  ci_low=max(0.0, confirmed.ci_low), ci_high=max(0.0, confirmed.ci_high),
                  level=confirmed.level, source="settle", runs=settlement.runs,
                  detectable=confirmed.detectable, planned_seeds=confirmed.planned_seeds)


def gate(answers: dict[float, Answer | None]) -> dict[float, Answer | None]:
    """The answers as the fixed sequences claim them: "re-tune" tested from the largest ratio
    down, "keep" from the smallest up, each sequence stopping at its first ratio that does not
    hold (a ratio without an answer stops both); every other ratio is "open"."""
    ratios = sorted(answers)
    claimed: dict[float, Decision] = dict.fromkeys(ratios, "open")
    for order, decision in ((reversed(ratios), "re-tune"), (iter(ratios), "keep")):
        for ratio in order:
            answer = answers[ratio]
            if answer is None or answer.decision != decision:
                break
            claimed[ratio] = decision
    return {r: None if a is None else a.model_copy(update={"decision": claimed[r]})
            for r, a in answers.items()}


def fixed_sequence(p_values: dict[float, float]) -> dict[float, float]:
    """Fixed-sequence adjusted p-values, tested from the largest ratio down: each the largest
    p-value up to it in the sequence."""
    adjusted, running = {}, 0.0
    for ratio in sorted(p_values, reverse=True):
        running = max(running, p_values[ratio])
        adjusted[ratio] = running
    return adjusted
