"""The report's summary in plain words, built from results.json alone."""

from __future__ import annotations

from ..analysis import (
    Answer,
    OptimumShift,
    RatioResult,
    RatioShift,
    Regret,
    Results,
    Statistic,
    Threshold,
    Verdict,
)
from ..search import Axis


def pct(ratio: float) -> str:
    """A ratio as a percentage: 0.5 -> '50 %'."""
    return f"{100 * ratio:.0f} %"


def points(value: float | None) -> str:
    """An accuracy difference in accuracy points: 0.018 -> '1.8'; below one point two decimals,
    so a bound near epsilon shows its side (0.0046 -> '0.46', not '0.5') and a small one does
    not read as zero (0.0003 -> '0.03'). A value that would round onto a round number (a
    multiple of 0.05 points below one point, of 0.5 above), where an epsilon usually lies,
    gets the decimals that show which side of it the value is on (0.00498 -> '0.498')."""
    if value is None:
        return "–"
    shown = 100 * value
    decimals = 2 if 0 < abs(shown) < 1 else 1
    step = 0.05 if decimals == 2 else 0.5
    text = f"{shown:.{decimals}f}"
    while (decimals < 4 and float(text) != 0 and abs(float(text) - shown) > 1e-9
           and _is_multiple(float(text), step)):
        decimals += 1
        text = f"{shown:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


def _is_multiple(value: float, step: float) -> bool:
    return abs(value / step - round(value / step)) < 1e-9


def interval(regret: Regret, level: float, bare: bool = False) -> str:
    """' (95 % CI 1.2–2.4)' from a regret ('95 % CI 1.2–2.4' if ``bare``), or ''."""
    if regret.ci_low is None:
        return ""
    text = f"{100 * (1 - level):.0f} % CI {points(regret.ci_low)}–{points(regret.ci_high)}"
    return text if bare else f" ({text})"


def _factor(units: float, log: bool) -> str:
    if log:
        factor = 10 ** units
        return f"×{factor:.2g}" if factor >= 1 else f"÷{1 / factor:.2g}"
    return f"{units:+.3g}"


def shift_words(shift: OptimumShift | None, log: bool) -> str:
    """How far an optimum moved, short: '×2.2 (×1.6–×3.0)', 'stays', 'not determined'."""
    if shift is None:
        return "unknown"
    if shift.determined is False:
        return "not determined"
    if shift.argmax_steps == 0 and abs(shift.subgrid_steps) < 0.5:
        return "stays"
    units = shift.subgrid_units
    moved = f"{shift.subgrid_steps:+.2g} grid steps" if units is None else _factor(units, log)
    bounds = shift.interval_units
    if bounds is not None:
        moved += f" ({_factor(bounds[0], log)} to {_factor(bounds[1], log)})"
    if shift.at_edge:
        moved += ", at the grid's edge: at least"
    return moved


def optimum_phrase(shift: OptimumShift | None, log: bool) -> str:
    """The optimum's move as a clause: 'its optimum moves ×2.2 (95 % interval ×1.6 to ×3.0)'."""
    words = shift_words(shift, log)
    if words == "not determined":
        return "its optimum is not determined (the axis is flat within the seed noise)"
    if words == "stays":
        return "its optimum stays at the dense value"
    return f"its optimum moves {words}"


def _adjusted(value: float | None) -> str:
    return "" if value is None else f"adjusted p = {value:.3f}; "


def level_words(level: float) -> str:
    """A confidence level as a percentage: 0.975 -> '97.5 %', 0.95 -> '95 %'."""
    return f"{100 * level:.1f}".removesuffix(".0") + " %"


def answer_interval(answer: Answer) -> str:
    """'97.5 % interval 0.0 to 0.6' of an answer."""
    return (f"{level_words(answer.level)} interval {points(answer.ci_low)} to "
            f"{points(answer.ci_high)}")


def _costs_words(entry: RatioResult, dense: RatioResult | None) -> str:
    """What pruning to this ratio saves: MACs and, where deployed, ONNX Runtime latency."""
    parts = []
    if entry.reductions is not None and entry.reductions.get("macs") is not None:
        parts.append(f"{100 * entry.reductions['macs']:.0f} % fewer MACs")
    latency = entry.deployment.latency_ms(1) if entry.deployment else None
    before = dense.deployment.latency_ms(1) if dense is not None and dense.deployment else None
    if latency is not None:
        change = "" if not before else f" ({100 * (latency / before - 1):+.0f} %)"
        parts.append(f"ONNX Runtime {latency:.3f} ms at batch 1 on one thread{change}")
    return ", ".join(parts)


def _accuracy_words(entry: RatioResult) -> str:
    """The test accuracies the settle stage measured on fresh seeds, in percent."""
    confirmed = entry.settle.confirmation if entry.settle is not None else None
    if confirmed is None:
        return ""
    return (f"; test accuracy {100 * confirmed.recipe_accuracy:.1f} % re-tuned, "
            f"{100 * confirmed.kept_accuracy:.1f} % kept (over {confirmed.seeds} fresh seeds)")


def answer_line(entry: RatioResult, dense: RatioResult | None, epsilon: float) -> str:
    """One pruned ratio's answer in a line: what pruning saves, keep or re-tune, and what
    keeping the dense hyperparameters costs with its interval, in points."""
    answer = entry.answer
    costs = _costs_words(entry, dense)
    head = f"Prune to {pct(entry.ratio)}" + (f": {costs}" if costs else "")
    if answer is None:
        return f"{head}; no answer yet (the grid or the settle stage is not complete)."
    bar = f"ε = {points(epsilon)}"
    cost = (f"keeping the dense hyperparameters costs {points(answer.regret)} points "
            f"({answer_interval(answer)})")
    tail = _accuracy_words(entry)
    confirmed = entry.settle.confirmation if entry.settle is not None else None
    if answer.decision == "keep" and confirmed is not None and confirmed.gain < 0:
        return (f"{head}; keep your hyperparameters: the grid's re-tuned recipe did "
                f"{points(-confirmed.gain)} points worse on fresh seeds, so re-tuning gains at "
                f"most {points(answer.ci_high)} ({level_words(answer.level)}), below "
                f"{bar}{tail}.")
    if answer.decision == "keep":
        return (f"{head}; keep your hyperparameters: re-tuning gains {points(answer.regret)} "
                f"points, at most {points(answer.ci_high)} ({level_words(answer.level)}), "
                f"below {bar}{tail}.")
    if answer.decision == "re-tune":
        return (f"{head}; re-tune (recipes/r={entry.ratio:g}.yaml): {cost}, above {bar}"
                f"{tail}.")
    if answer.ci_low < epsilon < answer.ci_high:
        if answer.planned_seeds is None:
            settle = ("; the estimate lies within one standard error of ε, so re-tuning gains "
                      "about ε and no affordable number of seeds tells which side it is on")
        else:
            settle = (f"; about {answer.planned_seeds} fresh seeds per point would settle it "
                      "(settle.max_runs)")
        return f"{head}; not settled: {cost}, an interval across {bar}{settle}{tail}."
    return (f"{head}; not claimed: {cost}, but a ratio before it in its sequence is not settled"
            f" (the claims are tested in sequence){tail}.")


def answer_lines(results: Results) -> list[str]:
    """Every pruned ratio's answer line, in ratio order."""
    dense = results.ratios.get(0.0)
    return [answer_line(e, dense, results.epsilon) for r, e in results.ratios.items() if r > 0]


def _headline(results: Results, verdict: Verdict) -> str:
    """The one verdict, with the numbers of the ratio it rests on."""
    answers = {r: e.answer for r, e in results.ratios.items() if r > 0 and e.answer}
    epsilon = points(verdict.epsilon)
    moves = verdict.shift_from
    largest = max(results.ratios)
    if verdict.kind == "re-tune":
        at = verdict.retune_from
        answer = answers[at]
        kept = (f" Up to {pct(verdict.keep_up_to)} keeping them costs less than ε."
                if verdict.keep_up_to is not None else "")
        return (f"Re-tune from {pct(at)} pruning on: there keeping the dense hyperparameters "
                f"costs {points(answer.regret)} accuracy points ({answer_interval(answer)}), "
                f"above ε = {epsilon}.{kept}")
    if verdict.kind == "keep":
        worst = max(answers, key=lambda r: answers[r].ci_high)
        tail = (f" The good region moves measurably from {pct(moves)} pruning on, but keeping "
                "it costs less than ε." if moves is not None else "")
        return (f"Keep your hyperparameters up to {pct(largest)} pruning: keeping the dense "
                f"ones costs at most {points(answers[worst].ci_high)} accuracy points (upper "
                f"end of the {level_words(answers[worst].level)} interval, at {pct(worst)}), "
                f"below ε = {epsilon}.{tail}")
    first = verdict.unsettled[0]
    kept = (f"Keep your hyperparameters up to {pct(verdict.keep_up_to)}; "
            if verdict.keep_up_to is not None else "")
    answer = answers.get(first)
    numbers = ("" if answer is None else
               f": keeping the dense hyperparameters costs {points(answer.regret)} points "
               f"({answer_interval(answer)}), across ε = {epsilon}")
    return f"{kept}not settled at {pct(first)}{numbers}."


def summary(results: Results) -> list[str]:
    """Sentences answering: re-tune or not, which hyperparameters, from which ratio, at what
    cost."""
    threshold, verdict = results.threshold, results.verdict
    if threshold is None or verdict is None or not any(r > 0 for r in results.ratios):
        return ["The study is not complete yet: the summary appears once every ratio's grid "
                "is trained."]
    entries = {r: e.comparison for r, e in results.ratios.items() if e.comparison is not None}
    largest = max(results.ratios)
    sentences = [_headline(results, verdict)]
    for axis in results.axes():
        sentences.append(_hyperparameter_words(entries, threshold, axis, largest, results.alpha))
    sentences += _efficiency_words(results.ratios.get(0.0), results.ratios[largest])
    return sentences


def _efficiency_words(dense: RatioResult | None, last: RatioResult) -> list[str]:
    """What the most pruned model keeps of the dense one's cost."""
    if dense is None or dense.efficiency is None or last.efficiency is None:
        return []
    before, after = dense.efficiency, last.efficiency
    kept = 100 * after.macs / before.macs
    latency = ("" if before.latency_ms is None or after.latency_ms is None else
               f"; its latency at batch 1 in PyTorch (one thread) goes from "
               f"{before.latency_ms:.3f} to {after.latency_ms:.3f} ms")
    return [f"At {pct(last.ratio)} pruning the model keeps {after.param_count:,} of "
            f"{before.param_count:,} parameters and {kept:.0f} % of the MACs{latency}."]


def _hyperparameter_words(entries: dict[float, RatioShift], threshold: Threshold,
                          axis: Axis, largest: float, alpha: float) -> str:
    """One hyperparameter: from where it moves measurably (its distribution moves beyond the
    seed noise), or that it stays put; and what keeping only it at its dense value costs on the
    grid (an estimate, not a claim)."""
    name, log = axis.name, axis.log
    shifts = threshold.by_shift.per_hp[name]
    pruned = [r for r in entries if 0 < r <= largest]
    worst = max(pruned, key=lambda r: entries[r].per_hp[name].regret.mean or 0, default=None)
    cost = ""
    if worst is not None:
        regret = entries[worst].per_hp[name].regret
        bounds = interval(regret, alpha, bare=True)
        cost = (f"; on the grid, keeping only {name} at its dense value costs about "
                f"{points(max(0.0, regret.mean or 0.0))} points at {pct(worst)} (an estimate, "
                f"not a tested claim{'; ' + bounds if bounds else ''})")
    if shifts is not None:
        hp = entries[shifts].per_hp[name]
        evidence = _adjusted(entries[shifts].p_adjusted[Statistic("wasserstein", name)])
        return (f"{name} moves measurably from {pct(shifts)} pruning on ({evidence}"
                f"{optimum_phrase(hp.optimum_shift, log)}){cost}.")
    return f"{name} does not move above the seed noise up to {pct(largest)}{cost}."
