"""The report's first answer, "what do I do": per ratio the re-tuned recipe and what it gains,
and the transfer rule that predicts the recipe of an untrained ratio."""

from __future__ import annotations

from ..analysis import HyperparameterRecipe, RatioResult, Results, TransferFit
from ._text import answer_interval, interval, pct, points

FORM_WORDS = {"power": "a power law in the channels kept, opt(r) = opt(0) · w^k",
              "log-linear": "log-linear in the ratio, log10 opt(r) = log10 opt(0) + b · r",
              "none": "no move, opt(r) = opt(0)"}


def move_words(hp: HyperparameterRecipe) -> str:
    """'0.033 → 0.13 (×4.0)', or '0.033 (kept)' where the recipe is the dense value."""
    def value(v: object) -> str:
        return f"{v:.2g}" if isinstance(v, float) else str(v)

    if hp.recipe == hp.dense:
        return f"{value(hp.dense)} (kept)"
    factor = "" if hp.factor is None else f" (×{hp.factor:.2g})"
    return f"{value(hp.dense)} → {value(hp.recipe)}{factor}"


def recipe_rows(results: Results) -> tuple[list[str], list[list[str]]]:
    """Per pruned ratio: each hyperparameter's move, the gain of re-tuning, the recipe file."""
    names = [a.name for a in results.axes()]
    rows = []
    for ratio, entry in results.ratios.items():
        if ratio == 0 or entry.recipe is None:
            continue
        rows.append([f"{ratio:g}", *[move_words(entry.recipe.per_hp[n]) for n in names],
                     _gain(entry, results.alpha), f"recipes/r={ratio:g}.yaml"])
    return ["ratio", *[f"{n}: dense → re-tuned" for n in names],
            "accuracy gained by re-tuning (points)", "training config"], rows


def _gain(entry: RatioResult, alpha: float) -> str:
    """What re-tuning gains, as the answer has it where the settle stage ran (on fresh seeds),
    else the grid's cross-fitted estimate, each said so."""
    answer, confirmed = entry.answer, entry.settle and entry.settle.confirmation
    if answer is not None and answer.source == "settle" and confirmed:
        kept = all(hp.recipe == hp.dense for hp in entry.recipe.per_hp.values())
        worse = (f"; the grid's re-tuned point did {points(confirmed.gain)} there, so the dense "
                 "values ship" if kept and confirmed.gain < 0 else "")
        return f"{points(answer.regret)} on fresh seeds ({answer_interval(answer)}){worse}"
    if entry.comparison is None:
        return "–"
    regret = entry.comparison.regret
    return f"{points(regret.mean)} on the grid{interval(regret, alpha)}"


def _slope_words(name: str, fit: TransferFit) -> str:
    form = fit.forms[fit.chosen]
    if fit.chosen == "none":
        return f"{name}: best told by {FORM_WORDS['none']}"
    letter = "k" if fit.chosen == "power" else "b"
    bounds = ("" if form.slope_interval is None else
              f" (seed-bootstrap interval {form.slope_interval[0]:.2f} to "
              f"{form.slope_interval[1]:.2f})")
    power = fit.forms["power"]
    also = ("" if fit.chosen == "power" else
            f"; as a power law, k = {power.slope:.2f}")
    return (f"{name}: best told by {FORM_WORDS[fit.chosen]}, {letter} = {form.slope:.2f}"
            f"{bounds}{also}")


def transfer_words(results: Results) -> list[str]:
    """The transfer rule per hyperparameter, and how well it predicts a held-out ratio."""
    rule = results.transfer
    if rule is None or not rule.fits:
        return []
    words = ["How the optimum moves, for ratios never trained (`pruneshift recommend RUN_DIR "
             "--ratio R`): " + "; ".join(_slope_words(n, f) for n, f in rule.fits.items())
             + ". (How the rule is chosen, and what theory predicts: Method.)"]
    checks = [(r.ratio, r.predicted_regret) for r in rule.ratios
              if r.predicted_regret is not None]
    if checks:
        parts = []
        for ratio, predicted in checks:
            kept = results.ratios[ratio].comparison
            kept_words = "" if kept is None else f" (dense values kept: {points(kept.regret.mean)})"
            parts.append(f"at {pct(ratio)}, {points(predicted.mean)} points"
                         f"{interval(predicted, results.alpha)}{kept_words}")
        words.append("Checked by leaving each ratio out: the recipe predicted from the other "
                     "ratios, at its nearest grid point, loses " + "; ".join(parts) + ".")
    return words


def theory_words(results: Results) -> list[str]:
    """How the transfer rule is made, and what width-scaling theory says it should be."""
    if results.transfer is None or not results.transfer.fits:
        return []
    return ["The transfer rule: for every log-scaled hyperparameter, a power law in the share "
            "of channels kept, a move log-linear in the ratio, or no move, each anchored at "
            "the dense optimum refined between grid points; a moving form is chosen only where "
            "its slope's bootstrap interval excludes no move, and among those the one that "
            "predicts a left-out ratio best. Width-scaling theory for the learning rate: "
            "k = -1 under µP with Adam, about 0 under µP with SGD (Yang et al. 2022), -1/2 "
            "under standard parametrisation with cross-entropy (Haas et al. 2025); sparser "
            "networks are reported to want larger rates (S-Cyc, SILO), i.e. k < 0."]
