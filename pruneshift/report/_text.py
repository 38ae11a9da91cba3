"""The report's summary in plain words, built from results.json alone."""

from __future__ import annotations

from ..analysis import (
    OptimumShift,
    RatioComparison,
    RatioResult,
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
    """An accuracy difference in accuracy points: 0.018 -> '1.8'."""
    return "–" if value is None else f"{100 * value:.1f}"


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


def _headline(entries: dict[float, RatioComparison], verdict: Verdict, level: float,
              largest: float) -> str:
    """The one verdict, with the numbers it rests on."""
    pruned = [r for r in entries if r > 0]
    epsilon = points(verdict.epsilon)
    moves = verdict.shift_from
    if verdict.kind == "re-tune":
        at = verdict.retune_from
        regret = entries[at].regret
        early = (f"; the good region moves measurably already from {pct(moves)}"
                 if moves is not None and moves < at else "")
        return (f"Re-tune from {pct(at)} pruning on: there, keeping the dense optimum costs "
                f"{points(regret.mean)} accuracy points{interval(regret, level)}, above "
                f"ε = {epsilon}{early}.")
    if verdict.kind == "keep":
        worst = max(pruned, key=lambda r: entries[r].regret.ci_high)
        regret = entries[worst].regret
        tail = (f" The good region moves measurably from {pct(moves)} pruning on, but keeping "
                "it costs less than ε." if moves is not None else
                " The landscape stays within the seed noise.")
        return (f"No re-tuning needed up to {pct(largest)} pruning: keeping the dense optimum "
                f"costs at most {points(regret.ci_high)} accuracy points (upper "
                f"{100 * (1 - level):.0f} % bound, at {pct(worst)}), below ε = {epsilon}.{tail}")
    first = verdict.unsettled[0]
    regret = entries[first].regret
    kept = (f"No re-tuning needed up to {pct(verdict.keep_up_to)}; from {pct(first)} on, "
            if verdict.keep_up_to is not None else "")
    resolve = []
    if verdict.detectable is not None:
        resolve.append(f"this design tells a regret from ε only from about "
                       f"{points(verdict.detectable)} points on (80 % power)")
    if verdict.seeds_to_settle is not None:
        resolve.append(f"about {verdict.seeds_to_settle} seeds per point (grid.seeds) or a "
                       "larger validation split would settle it")
    return (f"{kept}Inconclusive{' from ' + pct(first) if not kept else ''}: keeping the dense "
            f"optimum costs {points(regret.mean)} accuracy points{interval(regret, level)}, "
            f"an interval that reaches across ε = {epsilon}"
            + ("; " + "; ".join(resolve) if resolve else "") + ".")


def summary(results: Results) -> list[str]:
    """Sentences answering: re-tune or not, which hyperparameters, from which ratio, at what
    cost."""
    threshold, verdict = results.threshold, results.verdict
    if threshold is None or verdict is None or not any(r > 0 for r in results.ratios):
        return ["The study is not complete yet: the summary appears once every ratio's grid "
                "is trained."]
    entries = {r: e.comparison for r, e in results.ratios.items() if e.comparison is not None}
    largest = max(results.ratios)
    sentences = [_headline(entries, verdict, results.alpha, largest)]
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
               f"; its CPU latency at batch 1 goes from {before.latency_ms:.3f} to "
               f"{after.latency_ms:.3f} ms")
    return [f"At {pct(last.ratio)} pruning the model keeps {after.params:,} of "
            f"{before.params:,} parameters and {kept:.0f} % of the MACs{latency}."]


def _hyperparameter_words(entries: dict[float, RatioComparison], threshold: Threshold,
                          axis: Axis, largest: float, level: float) -> str:
    """One hyperparameter: re-tune it from where keeping it costs, say that it only shifts
    measurably (its distribution moves, keeping it costs nothing that counts), or that it
    stays put."""
    name, log = axis.name, axis.log
    pays, shifts = threshold.by_regret.per_hp[name], threshold.by_shift.per_hp[name]
    worst = max(entries[r].per_hp[name].regret.mean or 0 for r in entries if 0 < r <= largest)
    if pays is not None:
        hp = entries[pays].per_hp[name]
        early = "" if shifts is None or shifts >= pays else \
            f"; it shifts measurably already from {pct(shifts)}"
        return (f"Re-tune {name} from {pct(pays)} pruning on: "
                f"{optimum_phrase(hp.optimum_shift, log)} and keeping it costs "
                f"{points(hp.regret.mean)} points{interval(hp.regret, level)}{early}.")
    if shifts is not None:
        hp = entries[shifts].per_hp[name]
        evidence = _adjusted(entries[shifts].p_adjusted[Statistic("wasserstein", name)])
        return (f"{name} shifts measurably from {pct(shifts)} pruning on ({evidence}"
                f"{optimum_phrase(hp.optimum_shift, log)}), but keeping its dense value "
                f"costs at most {points(worst)} points up to {pct(largest)}: re-tuning it does "
                "not pay yet.")
    return (f"{name} stays put up to {pct(largest)}: no shift above the seed noise, and keeping "
            f"it costs at most {points(worst)} points.")
