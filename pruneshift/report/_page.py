"""The report's content as plain data: sections of text, tables and figures.

Both renderers (HTML, Markdown) draw the same sections in the same order; every string here is
plain text, escaped by the renderer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..analysis import DISTANCES, Results, Statistic
from ..catalog import DATASETS, METHODS
from ..config import AnalysisConfig
from ..storage import HPOTrial
from ._advice import recipe_rows, theory_words, transfer_words
from ._deployment import budget_words, deployment_rows, deployment_words
from ._growth import growth_words
from ._text import answer_lines, interval, level_words, pct, points, shift_words, summary


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    title: str
    anchor: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[tuple[Path, str]] = field(default_factory=list)
    code: str | None = None
    html: str = ""  # built (and escaped) for report.html only, before its figures


def _fmt(value: Any, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _p(value: float | None) -> str:
    return "–" if value is None else (f"{value:.3f}" if value >= 0.001 else "<0.001")


def _removed(reductions: dict[str, float] | None) -> str:
    shares = reductions or {}
    return " / ".join(_fmt(None if shares.get(k) is None else 100 * shares[k], ".0f")
                      for k in ("channels", "macs", "param_count"))


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def efficiency_table(results: Results) -> Table:
    rows = []
    for e in results.ratios.values():
        eff, compared, best = e.efficiency, e.comparison, e.best
        regret = None if compared is None else compared.regret
        onnx = e.deployment.latency_ms(1) if e.deployment else None
        rows.append([
            f"{e.ratio:g}", _removed(e.reductions),
            _fmt(eff and eff.param_count, ","), _fmt(eff and eff.macs, ","),
            _fmt(onnx, ".3f"), _fmt(eff and eff.latency_ms, ".3f"),
            _fmt(eff and eff.size_bytes and eff.size_bytes / 1000, ".1f"),
            _percent(best and best.value) + " / " + _percent(best and best.test_accuracy),
            _percent(e.value_at_dense_optimum) + " / "
            + _percent(compared and compared.test_at_dense_optimum),
            "–" if regret is None else points(regret.mean) + interval(regret, results.alpha),
            _fmt(compared and compared.diverged.runs, "d")])
    return Table(["ratio", "removed % (channels / MACs / parameters)", "parameters", "MACs",
                  "ONNX Runtime ms (batch 1, 1 thread)", "PyTorch eager ms (batch 1, 1 thread)",
                  "size kB", "grid: best point's accuracy % (validation / test)",
                  "grid: dense optimum's accuracy % (validation / test)",
                  "grid regret (points; cross-fitted: each seed scored on a point chosen on "
                  "the others, so not the difference of the two accuracies beside it)",
                  "diverged runs"], rows)


def answer_table(results: Results) -> Table:
    """Per pruned ratio: what pruning removes, the answer, what keeping the dense
    hyperparameters costs with its interval, and the test accuracies it rests on."""
    rows = []
    for entry in results.ratios.values():
        answer, removed = entry.answer, entry.reductions or {}
        if entry.ratio == 0:
            continue
        confirmed = entry.settle.confirmation if entry.settle is not None else None
        rows.append([
            f"{entry.ratio:g}", _fmt(removed.get("macs") and 100 * removed["macs"], ".0f"),
            "–" if answer is None else answer.decision,
            "–" if answer is None else points(answer.regret),
            "–" if answer is None else f"{points(answer.ci_low)} to {points(answer.ci_high)}"
                                        f" ({level_words(answer.level)})",
            "–" if confirmed is None else f"{100 * confirmed.recipe_accuracy:.1f} / "
                                          f"{100 * confirmed.kept_accuracy:.1f}",
            "–" if answer is None or answer.runs is None else str(answer.runs)])
    return Table(["ratio", "MACs removed %", "answer", "keeping costs (points)", "interval",
                  "test accuracy %, recipe / dense optimum kept, over the fresh seeds (and test "
                  "draws) the answer rests on", "fresh runs (one per seed at each point)"],
                 rows)


def distance_table(results: Results) -> Table:
    rows = []
    for e, c in results.compared():
        adjusted = c.p_adjusted.wasserstein
        rows.append([f"{e.ratio:g}"] + [
            f"{getattr(c.distances, m):.3f} (floor {_fmt(c.noise_floor[Statistic(m)], '.3f')}, "
            f"p {_p(c.p_value[Statistic(m)])}"
            + (f", adjusted {_p(adjusted)})" if m == "wasserstein" else ")")
            for m in DISTANCES] + [
            _fmt(c.rank_correlation.spearman, ".2f")])
    return Table(["ratio", "W1 (steps)", "Jensen–Shannon", "Hellinger", "total variation",
                  "Spearman ρ"], rows)


def per_hp_table(results: Results) -> Table:
    rows = []
    for e, c in results.compared():
        for axis in results.axes():
            hp = c.per_hp[axis.name]
            importance = e.importance.get(axis.name)
            rows.append([
                f"{e.ratio:g}", axis.name, shift_words(hp.optimum_shift, axis.log),
                f"{hp.wasserstein:.3f} (adjusted p "
                f"{_p(c.p_adjusted[Statistic('wasserstein', axis.name)])})",
                points(hp.regret.mean) + interval(hp.regret, results.alpha),
                _fmt(importance and importance.fanova, ".2f"),
                _fmt(importance and importance.ped_anova, ".2f")])
    return Table(["ratio", "hyperparameter", "optimum moves", "marginal W1 (steps)",
                  "regret if only it is kept (points)", "fANOVA", "PED-ANOVA"], rows)


GLOSSARY = (
    ("HPO optimum", "the hyperparameters the HPO found for the dense model: the grid's centre"),
    ("dense optimum", "the dense grid's best point: the hyperparameters a user keeps, and what "
     "every ratio's answer compares with"),
    ("recipe", "a ratio's hyperparameters to train with: its best grid point, refined between "
     "grid points, or the dense optimum where that did better on fresh seeds "
     "(recipes/r=<ratio>.yaml; the deployed model is trained with it)"),
    ("regret", "what keeping the dense optimum costs at a ratio: the recipe's accuracy minus "
     "the dense optimum's, never below 0"),
    ("answer", "per ratio: keep (the regret's interval lies below ε), re-tune (above ε) or "
     "open, with the regret's estimate and interval"),
    ("ε", "the regret from which re-tuning pays (analysis.epsilon)"),
    ("settle stage", "the recipe and the dense optimum trained again on fresh seeds, in "
     "rounds, until the answer is clear of ε or the runs are spent"),
    ("points", "differences of accuracy in percentage points (0.5 points: 98.0 % against "
     "98.5 %)"),
    ("W1", "the Wasserstein-1 distance between two grids' distributions, in grid steps: how "
     "far the good region moved"),
    ("noise floor", "what a distance reaches by seed noise alone, under 'pruning moved "
     "nothing'"),
)


def method_words(results: Results) -> list[str]:
    """How the answers are reached, with the methods' names (details: docs/results.md)."""
    level = next((e.answer.level for e in results.ratios.values() if e.answer), None)
    settled = any(e.settle is not None for e in results.ratios.values())
    words = []
    if settled:
        words.append("Each pruned ratio's answer: the recipe and the dense optimum trained on "
                     "fresh seeds, scored on test examples drawn afresh each round (an "
                     "official test set as it is; nothing was chosen on them), paired per "
                     "seed; the gain's standard error is two-way over seeds and examples "
                     "(Cameron, Gelbach & Miller 2011), and "
                     "its interval a repeated confidence interval with Pocock's boundary "
                     "(Jennison & Turnbull), valid however often it was read between rounds.")
    if level is not None:
        words.append(f"The answers are claims tested in fixed sequences (re-tune from the "
                     f"largest ratio down, keep from the smallest up) at the regret family's "
                     f"level, so their intervals are {level_words(level)} intervals; the shift "
                     "claims are Holm-adjusted over ratios and hyperparameters; together the "
                     f"report holds a false claim with probability at most {results.alpha:g}.")
    return words


def _threshold_words(results: Results) -> list[str]:
    threshold = results.threshold
    if threshold is None:
        return ["No threshold yet: the study is incomplete."]
    rule = ("its answer is re-tune, or the distance stands significantly above its noise "
            "floor" if threshold.rule == "regret-or-shift" else "its answer is re-tune")
    words = [f"Re-tuning counts as paying at a ratio where {rule} (ε = "
             f"{points(threshold.epsilon)} points); each family of claims is tested at the "
             f"family-wise level {threshold.level:.3g} (Method)."]
    regret = threshold.by_regret.overall
    words.append(f"Threshold by the answers: {'none' if regret is None else pct(regret)}.")
    shift = threshold.by_shift
    per = ", ".join(f"{n}: {'none' if r is None else pct(r)}" for n, r in shift.per_hp.items())
    overall = "none" if shift.overall is None else pct(shift.overall)
    words.append(f"Threshold by a significant shift: overall {overall}; {per}.")
    return words


def study_words(results: Results) -> str:
    """What was studied, in one sentence: data, model, pruning and grid (or the analytic task)."""
    config = results.config
    grid = (" × ".join(f"{len(a.values)} {a.name}" for a in results.axes())
            + f", {len(results.grid['seeds'])} seeds per point")
    if not DATASETS[config["data"]["name"]].trains:
        moves = ", ".join(f"{k} {v:+g} decades per unit ratio"
                          for k, v in (config.get("synthetic") or {}).get("shift", {}).items())
        return (f"The synthetic task: accuracy is an analytic function of the hyperparameters "
                f"and the ratio, with seed noise; no model is trained or pruned"
                f"{' (optimum moves: ' + moves + ')' if moves else ''}; grid of {grid}.")
    target = config["pruning"].get("target", "channels")
    ratio_means = "" if target == "channels" else f" (a ratio is the share of {target} removed)"
    return (f"Dataset {config['data']['name']}, model {config['model']['name']}, "
            f"{config['pruning']['criterion']} {config['pruning']['scope']} pruning{ratio_means}, "
            f"protocol {protocol_words(config['pruning'])}; grid of {grid}.")


def protocol_words(pruning: dict[str, Any]) -> str:
    """The protocol, with its re-training schedule where it fine-tunes."""
    if pruning["protocol"] != "finetune":
        return pruning["protocol"]
    return f"finetune (re-training schedule {pruning.get('retrain_schedule', 'restart')})"


def ran_config(results: Results) -> dict[str, Any]:
    """The config as the grid ran it: the training section holds the grid's centre (the HPO
    optimum) and its fixed hyperparameters; the synthetic task's section only where it ran."""
    config = copy.deepcopy(results.config)
    config["training"] = {**config["training"], **results.hpo_optimum,
                          **results.grid.get("fixed", {})}
    if DATASETS[config["data"]["name"]].trains:
        config.pop("synthetic", None)
    return config


def settings_words(results: Results) -> list[str]:
    """The analysis settings that differ from the run's own (changed by ``analyze``)."""
    stored = AnalysisConfig.model_validate(results.config.get("analysis", {})).model_dump(
        mode="json")  # an older run's config lacks newer settings: their defaults apply
    changed = {k: v for k, v in results.analysis.model_dump(mode="json").items()
               if stored.get(k) != v}
    if not changed:
        return []
    return ["Analysis settings changed from the run's config (by `pruneshift analyze`): "
            + ", ".join(f"{k} = {v} (the run's: {stored.get(k)})" for k, v in changed.items())
            + "."]


def hpo_words(hpo_trials: list[HPOTrial], config: dict[str, Any]) -> list[str]:
    if not METHODS[config["hpo"]["method"]].searches:
        given = ", ".join(f"{k} = {config['training'][k]:g}" if isinstance(
            config["training"][k], float) else f"{k} = {config['training'][k]}"
            for k in config["search_space"])
        return [f"No HPO was run (hpo.method: none): the grid and the reference model use the "
                f"configured hyperparameters, {given}."]
    states = [t.state for t in hpo_trials]
    complete = [t for t in hpo_trials if t.state == "COMPLETE"]
    if not complete:
        return ["No HPO trial has completed."]
    best = max(complete, key=lambda t: t.value)
    params = ", ".join(f"{k} = {v:.4g}" if isinstance(v, float) else f"{k} = {v}"
                       for k, v in best.params.items())
    return [f"{config['hpo']['method']}: {states.count('COMPLETE')} complete and "
            f"{states.count('PRUNED')} stopped early of {len(states)} trials; the best "
            f"(trial {best.number}) reached a validation accuracy of {best.value:.4f} with "
            f"{params}."]


def sections(results: Results, figures: dict[str, Path | None],
             hpo_trials: list[HPOTrial], hover: str = "") -> list[Section]:
    """Every section of the report, in order."""
    config = results.config
    environment = results.environment or {}
    packages = environment.get("packages", {})
    env_rows = [[k, str(v)] for k, v in environment.items() if k != "packages"]
    env_rows += [[f"version of {k}", str(v)] for k, v in packages.items()]
    what = study_words(results)

    def figure(key: str, caption: str) -> list[tuple[Path, str]]:
        return [(figures[key], caption)] if figures.get(key) else []

    headers, recipes = recipe_rows(results)
    deployed_headers, deployed = deployment_rows(results)
    sentences = summary(results)
    return [
        Section("Answer", "answer",
                [sentences[0], *answer_lines(results), *settings_words(results),
                 *budget_words(results)], [answer_table(results)]),
        Section("What to do", "recipes",
                ["Per ratio, the hyperparameters to train the pruned model with: the grid's "
                 "best point, refined between grid points where the landscape bends around it, "
                 "unless the fresh seeds measured another point better (the dense optimum, or "
                 "the runner-up where the grid's best was the dense optimum itself); and the "
                 "accuracy they gain over keeping the dense optimum."]
                + transfer_words(results), [Table(headers, recipes)] if recipes else [],
                figure("tradeoff", "Accuracy against MACs and measured latency on the grid: "
                       "the gap between the fronts is what re-tuning looks worth on the grid's "
                       "seeds; what it is confirmed to be worth on fresh seeds is the answer.")
                + figure("transfer", "Each optimum against the share of channels kept, with "
                         "the chosen rule and, for the learning rate, the exponents theory "
                         "predicts.")),
        Section("Summary", "summary", sentences[1:] + [what]),
        Section("Cost and accuracy per ratio", "efficiency",
                ["Parameters, MACs, PyTorch latency and size are measured on the physically "
                 "pruned reference model, ONNX Runtime latency on the deployed one; the grid's "
                 "accuracies are means over its seeds, in percent; differences are in "
                 "accuracy points. The answers above come from the settle stage's fresh runs; "
                 "the grid's own regret estimate is here for comparison."],
                [efficiency_table(results)],
                figure("accuracy", "Re-tuned and untuned accuracy per ratio, and MACs kept.")),
        *([Section("Deployed models", "deployment", deployment_words(results),
                    [Table(deployed_headers, deployed)])] if deployed else []),
        Section("Hyperparameter optimisation", "hpo", hpo_words(hpo_trials, config), [],
                figure("hpo", "Best validation accuracy so far, per trial and per epoch "
                       "spent.")),
        Section("Landscapes", "landscapes",
                ["Mean validation accuracy on the grid at every ratio, on one colour scale "
                 "from the lowest mean to the highest, at most 10 accuracy points wide (anything "
                 "lower is darkest); X marks the dense optimum, * each ratio's own."
                 + (" Hover a cell for its accuracy on each seed." if hover else ""),
                 *growth_words(results)], [],
                [] if hover else figure("landscapes", "The grid at every pruning ratio."),
                html=hover),
        Section("Sensitivity", "sensitivity",
                [f"Each grid is a {results.distribution.normalisation} distribution "
                 f"(temperature {results.distribution.temperature:.3g}). A floor is what "
                 "the seed noise alone exceeds with probability α divided among all the tests "
                 "(Bonferroni, the strictest step of Holm's); p is a statistic's own, before "
                 "any division, so p can be small while the statistic stays below its floor. "
                 "Only W1's claims are tested; their adjusted p is the one a claim rests on."],
                [distance_table(results), per_hp_table(results)],
                figure("distances", "Distances between the dense and pruned distributions, "
                       "with the noise floor shaded.")
                + figure("sensitivity", "Per hyperparameter: marginal W1 with its floor "
                         "(dotted), and the optimum's shift.")
                + figure("marginals", "Marginal distribution of each hyperparameter, one line "
                         "per ratio.")
                + figure("regret", "Regret of keeping the dense optimum, with its interval; "
                         "the horizontal line is ε.")),
        Section("Threshold ratio", "threshold", _threshold_words(results)),
        Section("Method", "method", method_words(results) + theory_words(results)),
        Section("Glossary", "glossary", [], [Table(["term", "meaning"],
                                                   [list(row) for row in GLOSSARY])]),
        Section("Configuration and environment", "configuration",
                ["Everything needed to reproduce this run. In the config below, the training "
                 "section holds the values the grid ran with: the HPO optimum it is centred on "
                 "and the hyperparameters it holds fixed."],
                [Table(["setting", "value"], env_rows)],
                code=yaml.safe_dump(ran_config(results), sort_keys=False)),
    ]
