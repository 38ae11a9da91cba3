"""The comparison's figures: each run's accuracy, re-tuned optima and regret per ratio, overlaid
(one colour per run)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis import Results
from ._plot import RATIO_LABEL, THRESHOLD_STYLE, pyplot, save

COLOURS = ("#2c7fb8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d")


def _values(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _accuracy(runs: dict[str, Results], named: dict[str, str], path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for colour, (name, results) in zip(COLOURS, runs.items(), strict=False):
        ratios = sorted(results.ratios)
        rows = [results.ratios[r] for r in ratios]
        ax.plot(ratios, _values([r.best and r.best.value for r in rows]), "o-", color=colour,
                label=named[name])
        ax.plot(ratios, _values([r.value_at_dense_optimum for r in rows]), "s--", color=colour,
                alpha=0.7)
    ax.set_xlabel(RATIO_LABEL)
    ax.set_ylabel("validation accuracy (mean over seeds)")
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title("re-tuned (solid) and dense optimum kept (dashed)")
    return save(fig, path)


def _optimum(runs: dict[str, Results], named: dict[str, str], path: Path) -> Path:
    plt = pyplot()
    axes_of = next(iter(runs.values())).axes()
    fig, panels = plt.subplots(1, len(axes_of), figsize=(4.2 * len(axes_of), 3.4), squeeze=False)
    for panel, axis in zip(panels[0], axes_of, strict=True):
        for colour, (name, results) in zip(COLOURS, runs.items(), strict=False):
            ratios = sorted(results.ratios)
            values = [None if results.ratios[r].recipe is None
                      else results.ratios[r].recipe.per_hp[axis.name].recipe for r in ratios]
            panel.plot(ratios, _values(values), "o-", color=colour, label=named[name])
        grid_values = [v for r in runs.values() for a in r.axes() if a.name == axis.name
                       for v in a.values]
        low, high = min(grid_values), max(grid_values)
        if axis.log:
            panel.set_yscale("log")
            panel.set_ylim(low / 1.2, high * 1.2)
        else:
            panel.set_ylim(low - 0.05 * (high - low), high + 0.05 * (high - low))
        panel.set_xlabel(RATIO_LABEL)
        panel.set_ylabel(f"re-tuned {axis.name} (the grid's range)")
    panels[0][0].legend(fontsize=7, loc="best")
    return save(fig, path)


def _regret(runs: dict[str, Results], named: dict[str, str], path: Path) -> Path:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    offsets = np.linspace(-0.01, 0.01, len(runs)) if len(runs) > 1 else [0.0]
    for colour, offset, (name, results) in zip(COLOURS, offsets, runs.items(), strict=False):
        ratios = [r for r in sorted(results.ratios) if results.ratios[r].comparison is not None]
        regrets = [results.ratios[r].comparison.regret for r in ratios]
        mean = 100 * _values([g.mean for g in regrets])
        low = 100 * _values([g.ci_low for g in regrets])
        high = 100 * _values([g.ci_high for g in regrets])
        errors = np.nan_to_num(np.vstack([mean - low, high - mean]))
        ax.errorbar(np.asarray(ratios) + offset, mean, yerr=errors, fmt="o-", capsize=3,
                    color=colour, label=named[name])
    epsilons = {100 * r.epsilon for r in runs.values()}
    for epsilon in epsilons:
        ax.axhline(epsilon, **THRESHOLD_STYLE)
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set_xlabel(RATIO_LABEL)
    ax.set_ylabel("regret, accuracy points")
    ax.legend(fontsize=7, loc="upper left")
    return save(fig, path)


def overlaid_figures(runs: dict[str, Results], named: dict[str, str], folder: Path
                     ) -> dict[str, Path]:
    """Write the three figures into ``folder``; their paths by key."""
    return {"accuracy": _accuracy(runs, named, folder / "accuracy.png"),
            "optimum": _optimum(runs, named, folder / "optimum.png"),
            "regret": _regret(runs, named, folder / "regret.png")}
