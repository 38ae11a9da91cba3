"""The report's summary in plain words, built from results.json alone."""

from __future__ import annotations

from typing import Any


def pct(ratio: float) -> str:
    """A ratio as a percentage: 0.5 -> '50 %'."""
    return f"{100 * ratio:.0f} %"


def points(value: float | None) -> str:
    """An accuracy difference in accuracy points: 0.018 -> '1.8'."""
    return "–" if value is None else f"{100 * value:.1f}"


def interval(regret: dict[str, Any], level: float, bare: bool = False) -> str:
    """' (95 % CI 1.2–2.4)' from a regret entry ('95 % CI 1.2–2.4' if ``bare``), or ''."""
    if regret.get("ci_low") is None:
        return ""
    text = f"{100 * (1 - level):.0f} % CI {points(regret['ci_low'])}–{points(regret['ci_high'])}"
    return text if bare else f" ({text})"


def _factor(units: float, log: bool) -> str:
    if log:
        factor = 10 ** units
        return f"×{factor:.2g}" if factor >= 1 else f"÷{1 / factor:.2g}"
    return f"{units:+.3g}"


def shift_words(entry: dict[str, Any] | None, log: bool) -> str:
    """How far an optimum moved, short: '×2.2 (×1.6–×3.0)', 'stays', 'not determined'."""
    if not entry:
        return "unknown"
    if entry.get("determined") is False:
        return "not determined"
    if entry["argmax_steps"] == 0 and abs(entry["subgrid_steps"]) < 0.5:
        return "stays"
    units = entry.get("subgrid_units")
    moved = (f"{entry['subgrid_steps']:+.2g} grid steps" if units is None
             else _factor(units, log))
    bounds = entry.get("interval_units")
    if bounds is not None:
        moved += f" ({_factor(bounds[0], log)} to {_factor(bounds[1], log)})"
    if entry.get("at_edge"):
        moved += ", at the grid's edge: at least"
    return moved


def optimum_phrase(entry: dict[str, Any] | None, log: bool) -> str:
    """The optimum's move as a clause: 'its optimum moves ×2.2 (95 % interval ×1.6 to ×3.0)'."""
    words = shift_words(entry, log)
    if words == "not determined":
        return "its optimum is not determined (the axis is flat within the seed noise)"
    if words == "stays":
        return "its optimum stays at the dense value"
    return f"its optimum moves {words}"


def _adjusted(value: float | None) -> str:
    return "" if value is None else f"adjusted p = {value:.3f}; "


def _headline(entries: dict[float, dict[str, Any]], verdict: dict[str, Any], level: float,
              largest: float) -> str:
    """The one verdict, with the numbers it rests on."""
    pruned = [r for r in entries if r > 0]
    epsilon = points(verdict["epsilon"])
    moves = verdict["shift_from"]
    if verdict["kind"] == "re-tune":
        at = verdict["retune_from"]
        regret = entries[at]["regret"]
        early = (f"; the good region moves measurably already from {pct(moves)}"
                 if moves is not None and moves < at else "")
        return (f"Re-tune from {pct(at)} pruning on: there, keeping the dense optimum costs "
                f"{points(regret['mean'])} accuracy points{interval(regret, level)}, above "
                f"ε = {epsilon}{early}.")
    if verdict["kind"] == "keep":
        worst = max(pruned, key=lambda r: entries[r]["regret"]["ci_high"])
        regret = entries[worst]["regret"]
        tail = (f" The good region moves measurably from {pct(moves)} pruning on, but keeping "
                "it costs less than ε." if moves is not None else
                " The landscape stays within the seed noise.")
        return (f"No re-tuning needed up to {pct(largest)} pruning: keeping the dense optimum "
                f"costs at most {points(regret['ci_high'])} accuracy points (upper "
                f"{100 * (1 - level):.0f} % bound, at {pct(worst)}), below ε = {epsilon}.{tail}")
    first = verdict["unsettled"][0]
    regret = entries[first]["regret"]
    kept = (f"No re-tuning needed up to {pct(verdict['keep_up_to'])}; from {pct(first)} on, "
            if verdict["keep_up_to"] is not None else "")
    resolve = []
    if verdict["detectable"] is not None:
        resolve.append(f"this design tells a regret from ε only from about "
                       f"{points(verdict['detectable'])} points on (80 % power)")
    if verdict["seeds_to_settle"] is not None:
        resolve.append(f"about {verdict['seeds_to_settle']} seeds per point (grid.seeds) or a "
                       "larger validation split would settle it")
    return (f"{kept}Inconclusive{' from ' + pct(first) if not kept else ''}: keeping the dense "
            f"optimum costs {points(regret['mean'])} accuracy points{interval(regret, level)}, "
            f"an interval that reaches across ε = {epsilon}"
            + ("; " + "; ".join(resolve) if resolve else "") + ".")


def summary(results: dict[str, Any]) -> list[str]:
    """Sentences answering: re-tune or not, which hyperparameters, from which ratio, at what
    cost."""
    entries = {e["ratio"]: e for e in results["ratios"].values()}
    pruned = sorted(r for r in entries if r > 0)
    threshold, verdict = results.get("threshold"), results.get("verdict")
    if not pruned or threshold is None or verdict is None:
        return ["The study is not complete yet: the summary appears once every ratio's grid "
                "is trained."]
    level = results["analysis"]["alpha"]
    largest = pruned[-1]
    sentences = [_headline(entries, verdict, level, largest)]
    for axis in results["grid"]["axes"]:
        sentences.append(_hyperparameter_words(entries, threshold, axis, largest, level))
    dense_eff = entries[0.0].get("efficiency") if 0.0 in entries else None
    last_eff = entries[largest].get("efficiency")
    if dense_eff and last_eff:
        kept = 100 * last_eff["macs"] / dense_eff["macs"]
        sentences.append(
            f"At {pct(largest)} pruning the model keeps {last_eff['params']:,} of "
            f"{dense_eff['params']:,} parameters and {kept:.0f} % of the MACs; its CPU latency "
            f"at batch 1 goes from {dense_eff['latency_ms']:.3f} to "
            f"{last_eff['latency_ms']:.3f} ms.")
    return sentences


def _hyperparameter_words(entries: dict[float, dict[str, Any]], threshold: dict[str, Any],
                          axis: dict[str, Any], largest: float, level: float) -> str:
    """One hyperparameter: re-tune it from where keeping it costs, say that it only shifts
    measurably (its distribution moves, keeping it costs nothing that counts), or that it
    stays put."""
    name, log = axis["name"], axis["log"]
    pays, shifts = threshold["by_regret"]["per_hp"][name], threshold["by_shift"]["per_hp"][name]
    worst = max(entries[r]["per_hp"][name]["regret"]["mean"] or 0
                for r in entries if 0 < r <= largest)
    if pays is not None:
        hp = entries[pays]["per_hp"][name]
        early = "" if shifts is None or shifts >= pays else \
            f"; it shifts measurably already from {pct(shifts)}"
        return (f"Re-tune {name} from {pct(pays)} pruning on: "
                f"{optimum_phrase(hp['optimum_shift'], log)} and keeping it costs "
                f"{points(hp['regret']['mean'])} points{interval(hp['regret'], level)}{early}.")
    if shifts is not None:
        hp = entries[shifts]["per_hp"][name]
        evidence = _adjusted(entries[shifts]["p_adjusted"]["per_hp"][name]["wasserstein"])
        return (f"{name} shifts measurably from {pct(shifts)} pruning on ({evidence}"
                f"{optimum_phrase(hp['optimum_shift'], log)}), but keeping its dense value "
                f"costs at most {points(worst)} points up to {pct(largest)}: re-tuning it does "
                "not pay yet.")
    return (f"{name} stays put up to {pct(largest)}: no shift above the seed noise, and keeping "
            f"it costs at most {points(worst)} points.")
