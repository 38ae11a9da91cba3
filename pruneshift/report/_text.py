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


def shift_words(entry: dict[str, Any] | None, log: bool) -> str:
    """How far an optimum moved: '×2.2' or '÷3.1' for log axes, '+0.05' otherwise."""
    if not entry:
        return "by an unknown amount"
    if log and entry.get("subgrid_factor") is not None:
        factor = entry["subgrid_factor"]
        return f"×{factor:.2g}" if factor >= 1 else f"÷{1 / factor:.2g}"
    if entry.get("subgrid_units") is not None:
        return f"by {entry['subgrid_units']:+.3g}"
    return f"by {entry['subgrid_steps']:+.2g} grid steps"


def summary(results: dict[str, Any]) -> list[str]:
    """Sentences answering: re-tune or not, which hyperparameters, from which ratio, at what
    cost."""
    entries = {e["ratio"]: e for e in results["ratios"].values()}
    pruned = sorted(r for r in entries if r > 0)
    threshold = results.get("threshold")
    if not pruned or threshold is None or any("regret" not in entries[r] for r in pruned):
        return ["The study is not complete yet: the summary appears once every ratio's grid "
                "is trained."]
    level = results["analysis"]["alpha"]
    largest = pruned[-1]
    sentences = []
    overall = threshold["overall"]
    if overall is None:
        worst = max(pruned, key=lambda r: entries[r]["regret"]["mean"] or 0)
        where = "; ".join(filter(None, [f"at {pct(worst)}",
                                        interval(entries[worst]["regret"], level, bare=True)]))
        sentences.append(
            f"No re-tuning needed up to {pct(largest)} pruning: keeping the dense optimum "
            f"costs at most {points(entries[worst]['regret']['mean'])} accuracy points "
            f"({where}), and the distance between the dense and pruned landscapes stays within "
            "the seed noise.")
    else:
        by_regret, by_shift = threshold["by_regret"]["overall"], threshold["by_shift"]["overall"]
        early = (f"; the good region moves measurably already from {pct(by_shift)}"
                 if by_shift is not None and by_regret is not None and by_shift < by_regret
                 else "")
        if by_regret is not None:
            regret = entries[by_regret]["regret"]
            sentences.append(
                f"Re-tune from {pct(by_regret)} pruning on: there, keeping the dense optimum "
                f"costs {points(regret['mean'])} accuracy points{interval(regret, level)}"
                f"{early}.")
        else:
            worst = max(entries[r]["regret"]["mean"] or 0 for r in pruned)
            sentences.append(
                f"The good region moves measurably from {pct(by_shift)} pruning on, but keeping "
                f"the dense optimum costs at most {points(worst)} accuracy points up to "
                f"{pct(largest)}: re-tuning does not pay yet.")
    for axis in results["grid"]["axes"]:
        name, at = axis["name"], threshold["per_hp"][axis["name"]]
        if at is None:
            worst = max(entries[r]["per_hp"][name]["regret"]["mean"] or 0 for r in pruned)
            sentences.append(f"{name} stays put up to {pct(largest)}: no shift above the seed "
                             f"noise, and keeping it costs at most {points(worst)} points.")
            continue
        sentences.append(_hyperparameter_words(entries, threshold, axis, at, largest, level))
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
                          axis: dict[str, Any], at: float, largest: float, level: float) -> str:
    """One hyperparameter with a threshold: re-tune it from where keeping it costs, or say that
    it only shifts measurably (its distribution moves, keeping it costs nothing that counts)."""
    name = axis["name"]
    pays = threshold["by_regret"]["per_hp"][name]
    if pays is not None:
        hp = entries[pays]["per_hp"][name]
        early = "" if pays == at else f"; it shifts measurably already from {pct(at)}"
        return (f"Re-tune {name} from {pct(pays)} pruning on: its optimum moves "
                f"{shift_words(hp['optimum_shift'], axis['log'])} and keeping it costs "
                f"{points(hp['regret']['mean'])} points{interval(hp['regret'], level)}{early}.")
    hp = entries[at]["per_hp"][name]
    p_value = entries[at]["p_value"].get(f"per_hp.{name}.wasserstein")
    evidence = "" if p_value is None else f"p = {p_value:.3f}; "
    worst = max(entries[r]["per_hp"][name]["regret"]["mean"] or 0
                for r in entries if 0 < r <= largest)
    return (f"{name} shifts measurably from {pct(at)} pruning on ({evidence}its optimum moves "
            f"{shift_words(hp['optimum_shift'], axis['log'])}), but keeping its dense value "
            f"costs at most {points(worst)} points up to {pct(largest)}: re-tuning it does not "
            "pay yet.")
