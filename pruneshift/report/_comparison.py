"""``pruneshift compare``: runs that differ in protocol, schedule, criterion or model, side by
side in one report (HTML and Markdown, the run report's style): each run's verdict, and per
ratio its accuracy, regret and optimum shift per hyperparameter, with figures overlaid."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..analysis import Results
from ..config import ExperimentConfig, flatten
from ..errors import ConfigError
from ..search import Grid
from ._comparison_figures import overlaid_figures
from ._html import render_html
from ._markdown import render_markdown
from ._page import Section, Table
from ._plot import write_text
from ._text import interval, pct, points, shift_words, summary

MUST_AGREE = ("data", "pruning.target")  # what an accuracy and a ratio mean
NOT_A_DIFFERENCE = ("experiment", "storage", "workers", "data.root", "data.download",
                    "hpo.n_trials", "hpo.timeout", "training.device", "training.threads",
                    "training.batched", "training.members")


def _settings(results: Results) -> dict[str, Any]:
    """A run's config, complete: settings added after it ran hold their defaults (a config
    this version no longer reads is taken as it was stored)."""
    try:
        return flatten(ExperimentConfig.model_validate(results.config).model_dump(mode="json"))
    except ValidationError:
        return flatten(results.config)


def check_comparable(runs: dict[str, Results]) -> None:
    """Refuse runs whose accuracies, ratios or grid axes do not mean the same, naming the field
    and each run's value."""
    settings = {name: _settings(r) for name, r in runs.items()}

    def differ(field: str, values: dict[str, Any]) -> None:
        if len({repr(v) for v in values.values()}) > 1:
            each = "; ".join(f"{v} in {name}" for name, v in values.items())
            raise ConfigError(f"these runs are not comparable: {field} differs ({each})")

    for prefix in MUST_AGREE:
        keys = sorted({k for s in settings.values() for k in s
                       if k == prefix or k.startswith(prefix + ".")} - set(NOT_A_DIFFERENCE))
        for key in keys:
            differ(key, {name: s.get(key) for name, s in settings.items()})
    differ("pruning.ratios", {name: sorted(r.ratios) for name, r in runs.items()})
    differ("grid axes", {name: ", ".join(a.name for a in r.axes()) for name, r in runs.items()})


def labels(runs: dict[str, Results]) -> dict[str, str]:
    """Each run named by the settings in which the runs differ (its folder where none do)."""
    settings = {name: _settings(r) for name, r in runs.items()}
    keys = sorted({k for s in settings.values() for k in s})
    differing = [k for k in keys if len({repr(s.get(k)) for s in settings.values()}) > 1
                 and not any(k == p or k.startswith(p + ".") for p in NOT_A_DIFFERENCE)]
    named = {name: ", ".join(f"{_short(k)}={s.get(k)}" for k in differing)
             for name, s in settings.items()}
    return {name: label or name for name, label in named.items()}


def _short(key: str) -> str:
    """A setting's name in a label: the training and pruning sections go without saying."""
    section, _, rest = key.partition(".")
    return rest if section in ("training", "pruning") and rest else key


def _run_rows(runs: dict[str, Results], named: dict[str, str]) -> Table:
    rows = [[named[name], name, summary(r)[0]] for name, r in runs.items()]
    return Table(["run", "folder", "verdict"], rows)


def _ratio_rows(runs: dict[str, Results], named: dict[str, str]) -> Table:
    first = next(iter(runs.values()))
    axes = first.axes()
    rows = []
    for ratio in sorted(first.ratios):
        for name, results in runs.items():
            row = results.ratios[ratio]
            compared, level = row.comparison, results.alpha
            removed = "–" if row.macs_fraction is None else f"{100 * (1 - row.macs_fraction):.1f} %"
            regret = "–" if compared is None else (
                points(compared.regret.mean) + interval(compared.regret, level))
            shifts = ["–" if compared is None else shift_words(
                compared.per_hp[a.name].optimum_shift, a.log) for a in axes]
            rows.append([pct(ratio), named[name], removed,
                         points(row.best and row.best.value),
                         points(row.value_at_dense_optimum), regret, *shifts])
    return Table(["ratio", "run", "MACs removed", "best accuracy, %",
                  "at the dense optimum, %", "regret, points",
                  *[f"{a.name} optimum moves" for a in axes]], rows)


def _transfer_rows(runs: dict[str, Results], named: dict[str, str]) -> Table | None:
    rows = []
    for name, results in runs.items():
        for hp, fit in (results.transfer.fits if results.transfer else {}).items():
            form = fit.forms[fit.chosen]
            bounds = form.slope_interval
            rows.append([named[name], hp, fit.chosen, f"{form.slope:+.2f}",
                         "–" if bounds is None else f"{bounds[0]:+.2f} to {bounds[1]:+.2f}"])
    return Table(["run", "hyperparameter", "rule", "slope", "interval"], rows) if rows else None


def _grid_words(runs: dict[str, Results], named: dict[str, str]) -> list[str]:
    words = []
    for name, results in runs.items():
        grid = Grid.from_dict(results.grid)
        for axis in grid.axes:
            grown = [g for g in grid.grown if g.axis == axis.name]
            if grown:
                words.append(f"{named[name]}: the {axis.name} axis grew by {len(grown)} "
                             f"step{'s' * (len(grown) > 1)} to follow the optimum "
                             f"({', '.join(f'{g.side} to {g.value:.3g}' for g in grown)}).")
    return words


def write_comparison(runs: dict[str, Results], out: Path) -> dict[str, Path]:
    """Write out/report.html, out/report.md and out/figures/*.png comparing ``runs`` (keyed by
    run folder); return their paths."""
    check_comparable(runs)
    named = labels(runs)
    figures = overlaid_figures(runs, named, out / "figures")
    transfer = _transfer_rows(runs, named)
    content = [
        Section("Runs", "runs",
                ["Each run as its own report answers, named by the settings in which the runs "
                 "differ.", *_grid_words(runs, named)], [_run_rows(runs, named)]),
        Section("Per ratio", "ratios",
                ["Accuracies are means over seeds of the validation accuracy; the regret is what "
                 "keeping the dense optimum costs, with its interval; an optimum's move is "
                 "refined between grid points, with its interval."],
                [_ratio_rows(runs, named)],
                [(figures["accuracy"], "Re-tuned (solid) and dense-optimum (dashed) accuracy "
                  "per ratio, one colour per run."),
                 (figures["optimum"], "Each ratio's re-tuned value of each hyperparameter, one "
                  "colour per run."),
                 (figures["regret"], "Regret of keeping the dense optimum, with its interval; "
                  "the horizontal line is each run's ε.")]),
        *([Section("Transfer rule", "transfer",
                   ["The rule each run fits to its optima against the share of channels kept "
                    "(power law: the exponent k; log-linear: decades per unit ratio)."],
                   [transfer])] if transfer else []),
    ]
    title = "pruneshift comparison: " + " · ".join(named.values())
    html_path, md_path = out / "report.html", out / "report.md"
    write_text(html_path, render_html(title, content))
    write_text(md_path, render_markdown(title, content, out))
    return {"html": html_path, "markdown": md_path, **figures}
