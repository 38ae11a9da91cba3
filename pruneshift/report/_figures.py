"""Figures per ratio: accuracy and cost, distances with their noise floors, regret, marginals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis import (
    DISTANCES,
    Landscape,
    Normalisation,
    RatioResult,
    RatioShift,
    Results,
    Statistic,
    best_index,
    marginal,
)
from ..search import Grid
from ._plot import RATIO_LABEL, mark_verdict, pyplot, save, tick

METRIC_TITLES = {"wasserstein": "Wasserstein-1 (grid steps)", "js": "Jensen–Shannon",
                 "hellinger": "Hellinger", "tv": "total variation"}


def _per_ratio(results: Results, get: Callable[[RatioResult], Any]
               ) -> tuple[list[float], list[Any]]:
    """Per ratio, ``get`` of its entry."""
    return list(results.ratios), [get(entry) for entry in results.ratios.values()]


def _compared(results: Results, get: Callable[[RatioShift], Any]
              ) -> tuple[list[float], list[Any]]:
    """Per ratio, ``get`` of its comparison with the dense landscape; None for a ratio the
    analysis could not compare (no dense grid, or every run diverged)."""
    return _per_ratio(results, lambda e: None if e.comparison is None else get(e.comparison))


def _nan(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _seed_spread(landscape: Landscape, point: tuple[int, ...] | None) -> float:
    """The standard deviation over seeds of one grid point's runs (NaN without two)."""
    if point is None:
        return np.nan
    runs = landscape.accuracy[point]
    runs = runs[np.isfinite(runs)]
    return float(np.std(runs, ddof=1)) if runs.size >= 2 else np.nan


MIN_SPAN = 0.05  # the accuracy axis spans at least 5 points, so seed noise does not look big


def accuracy_vs_ratio(results: Results, arrays: dict[float, Landscape], path: Path) -> Path:
    """Best (re-tuned) and untuned accuracy per ratio with their spread over seeds; the MACs
    kept on a second axis."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ratios, tuned = _per_ratio(results, lambda e: e.best and e.best.value)
    _, untuned = _per_ratio(results, lambda e: e.value_at_dense_optimum)
    dense = arrays.get(0.0)
    kept = best_index(dense.mean()) if dense is not None else None
    spread_tuned = [_seed_spread(arrays[r], best_index(arrays[r].mean())) for r in ratios]
    spread_kept = [_seed_spread(arrays[r], kept) for r in ratios]
    ax.errorbar(ratios, _nan(tuned), yerr=np.nan_to_num(spread_tuned), fmt="o-", capsize=3,
                color="#2c7fb8", label="re-tuned (best grid point)")
    ax.errorbar(ratios, _nan(untuned), yerr=np.nan_to_num(spread_kept), fmt="s--", capsize=3,
                color="#7f7f7f", label="dense optimum kept")
    values = np.concatenate([_nan(tuned), _nan(untuned)])
    if np.isfinite(values).any():
        top, bottom = np.nanmax(values), np.nanmin(values)
        pad = max(0.0, MIN_SPAN - (top - bottom)) / 2
        ax.set_ylim(max(0.0, bottom - pad - 0.005), min(1.0, top + pad + 0.005))
    ax.set_xlabel(RATIO_LABEL)
    ax.set_ylabel("validation accuracy (mean ± sd over seeds)")
    mark_verdict(ax, results)
    _, macs = _per_ratio(results, lambda e: e.macs_fraction)
    if any(m is not None for m in macs):
        twin = ax.twinx()
        twin.plot(ratios, 100 * _nan(macs), "^:", color="#e6550d", label="MACs kept")
        twin.set_ylabel("MACs kept (% of dense)", color="#e6550d")
        twin.set_ylim(0, 105)
        twin.grid(False)
        twin.spines["right"].set_visible(True)
        handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        ax.legend(handles=handles, fontsize=7, loc="lower left")
    else:
        ax.legend(fontsize=7, loc="lower left")
    ax.set_title("accuracy versus pruning ratio")
    return save(fig, path)


def distances_vs_ratio(results: Results, path: Path) -> Path:
    """Each distance per ratio, with its seed-noise floor as a shaded band."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(DISTANCES), figsize=(11, 2.9))
    for ax, metric in zip(axes, DISTANCES, strict=True):
        ratios, values = _compared(results, lambda c, m=metric: getattr(c.distances, m))
        _, floors = _compared(results, lambda c, m=metric: c.noise_floor[Statistic(m)])
        floors_array = _nan(floors)
        has_floor = np.isfinite(floors_array)
        if has_floor.any():
            ax.fill_between(np.asarray(ratios)[has_floor], 0, floors_array[has_floor],
                            color="#bdbdbd", alpha=0.6, label="noise floor")
        ax.plot(ratios, _nan(values), "o-", color="#2c7fb8", label="dense vs pruned")
        mark_verdict(ax, results)
        ax.set_title(METRIC_TITLES[metric])
        ax.set_xlabel(RATIO_LABEL)
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=7)
    return save(fig, path)


def sensitivity_per_hp(results: Results, path: Path) -> Path:
    """Per hyperparameter: marginal W1 with its floor, and the optimum's sub-grid shift."""
    plt = pyplot()
    names = [a.name for a in results.axes()]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.4))
    per_hp = results.threshold.per_hp if results.threshold is not None else {}
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for name, colour in zip(names, colours * 3, strict=False):
        ratios, w1 = _compared(results, lambda c, n=name: c.per_hp[n].wasserstein)
        _, floor = _compared(results,
                             lambda c, n=name: c.noise_floor[Statistic("wasserstein", n)])
        _, moves = _compared(results, lambda c, n=name: c.per_hp[n].optimum_shift)
        shift = [None if m is None else m.subgrid_steps for m in moves]
        bounds = [None if m is None else m.interval_steps for m in moves]
        left.plot(ratios, _nan(w1), "o-", color=colour, label=name)
        left.plot(ratios, _nan(floor), ":", color=colour, label=f"{name} noise floor")
        right.plot(ratios, _nan(shift), "o-", color=colour, label=name)
        _interval_bars(right, ratios, shift, bounds, colour)
        if per_hp.get(name) is not None:
            left.axvline(per_hp[name], color=colour, linestyle="--", linewidth=1)
    left.set_title("marginal W1 per hyperparameter")
    left.set_ylabel("W1 between marginals (grid steps)")
    right.set_title("optimum shift per hyperparameter (sub-grid fit)")
    right.set_ylabel("shift of the optimum (grid steps)")
    right.axhline(0, color="black", linewidth=0.8)
    for ax in (left, right):
        ax.set_xlabel(RATIO_LABEL)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    return save(fig, path)


def _interval_bars(ax: Any, ratios: list[float], centre: list[float | None],
                   bounds: list[tuple[float, float] | None], colour: str) -> None:
    """Error bars from (low, high) intervals, where a ratio has one."""
    known = [i for i, b in enumerate(bounds) if b is not None and centre[i] is not None]
    if not known:
        return
    x = np.array([ratios[i] for i in known])
    y = np.array([centre[i] for i in known], dtype=float)
    low = np.array([bounds[i][0] for i in known])
    high = np.array([bounds[i][1] for i in known])
    ax.errorbar(x, y, yerr=[np.clip(y - low, 0, None), np.clip(high - y, 0, None)], fmt="none",
                ecolor=colour, capsize=3, linewidth=1)


def regret_vs_ratio(results: Results, path: Path) -> Path:
    """What keeping the dense hyperparameters costs: each ratio's answer with its interval
    (the claim), and beside it the grid's own estimates, for all hyperparameters kept and for
    each kept alone (nudged sideways so none hides another); ε as a line."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    names = [a.name for a in results.axes()]
    span = max(results.ratios) - min(results.ratios) or 1.0
    answered = [e for e in results.ratios.values() if e.answer is not None]
    level = answered[0].answer.level if answered else None
    grid_level = f"{100 * (1 - results.alpha):g} %"
    series = [(f"the grid: all kept ({grid_level})", lambda c: c.regret, "s--", "#9ecae1")]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"][1:]
    series += [(f"the grid: only {n} kept ({grid_level})", lambda c, n=n: c.per_hp[n].regret,
                ".:", colour) for n, colour in zip(names, colours * 3, strict=False)]
    for index, (label, get, style, colour) in enumerate(series, start=1):
        ratios, regrets = _compared(results, get)
        x = np.asarray(ratios) + index * 0.012 * span
        mean = 100 * _nan([r and r.mean for r in regrets])
        low = 100 * _nan([r and r.ci_low for r in regrets])
        high = 100 * _nan([r and r.ci_high for r in regrets])
        errors = np.clip([np.nan_to_num(mean - low), np.nan_to_num(high - mean)], 0, None)
        ax.errorbar(x, mean, yerr=errors, fmt=style, capsize=2, color=colour, label=label,
                    linewidth=0.9, markersize=4)
    if answered:
        x = np.array([e.ratio for e in answered])
        mean = np.array([100 * e.answer.regret for e in answered])
        errors = [mean - [100 * e.answer.ci_low for e in answered],
                  [100 * e.answer.ci_high for e in answered] - mean]
        ax.errorbar(x, mean, yerr=np.clip(errors, 0, None), fmt="o-", capsize=4,
                    color="#08519c", linewidth=2,
                    label=f"the answer ({100 * level:g} % interval)")
    epsilon = results.epsilon
    ax.axhline(100 * epsilon, color="black", linewidth=0.8, label=f"ε = {100 * epsilon:g} points")
    mark_verdict(ax, results)
    ax.set_xlabel(RATIO_LABEL)
    ax.set_ylabel("accuracy points")
    ax.set_title("what keeping the dense hyperparameters costs")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    return save(fig, path)


def marginals_per_hp(results: Results, arrays: dict[float, Landscape], path: Path) -> Path:
    """The distribution along each hyperparameter, one line per ratio."""
    plt = pyplot()
    grid = Grid.from_dict(results.grid)
    distribution = results.distribution
    normalise = Normalisation(distribution.normalisation, distribution.temperature,
                              distribution.top_delta)
    fig, axes = plt.subplots(1, len(grid.axes), figsize=(4.2 * len(grid.axes), 3.1),
                             squeeze=False)
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(1, len(arrays))))
    for axis_index, (ax, axis) in enumerate(zip(axes[0], grid.axes, strict=True)):
        for colour, (ratio, landscape) in zip(colours, sorted(arrays.items()), strict=True):
            mean = landscape.mean()
            if np.all(np.isnan(mean)):
                continue
            ax.plot(range(len(axis.values)), marginal(normalise(mean), axis_index), "o-",
                    color=colour, label=f"ratio {ratio:g}")
        ax.set_xticks(range(len(axis.values)), [tick(v, axis.log) for v in axis.values],
                      rotation=45, ha="right")
        ax.set_xlabel(axis.name + (" (log)" if axis.log else ""))
        ax.set_ylabel("probability")
        ax.set_ylim(bottom=0)
        ax.set_title(f"marginal distribution of {axis.name}")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    return save(fig, path)


LR_THEORY = ((-1.0, "µP, Adam: w^-1"), (-0.5, "SP, cross-entropy: w^-1/2"),
             (0.0, "µP, SGD: w^0"))


def transfer_vs_width(results: Results, path: Path) -> Path | None:
    """Each fitted optimum against the share of channels removed (growing to the right, as the
    ratio in every other figure), the chosen rule, and for the learning rate the exponents
    width-scaling theory predicts; the legend beside the plots, covering nothing."""
    rule = results.transfer
    if rule is None or not rule.fits:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, len(rule.fits), figsize=(4.2 * len(rule.fits) + 2.2, 3.4),
                             squeeze=False)
    widths = np.array([r.width for r in rule.ratios])
    ratios = np.array([r.ratio for r in rule.ratios])
    curve_w = np.linspace(widths.min(), 1.0, 50)
    curve_r = np.interp(curve_w, widths[::-1], ratios[::-1])
    for ax, (name, fit) in zip(axes[0], rule.fits.items(), strict=True):
        measured = 10 ** np.array([r.moves[name] for r in rule.ratios])
        form = fit.forms[fit.chosen]
        regressor = np.log10(curve_w) if fit.chosen == "power" else (
            curve_r if fit.chosen == "log-linear" else np.zeros_like(curve_w))
        if "lr" in name or "learning" in name:
            for (k, label), style in zip(LR_THEORY, ("--", "-.", (0, (1, 2))), strict=True):
                ax.plot(1 - curve_w, curve_w ** k, linestyle=style, linewidth=1.2, alpha=0.8,
                        label=f"theory: {label}")
        ax.plot(1 - curve_w, 10 ** (form.slope * regressor), "-", color="#2c7fb8",
                linewidth=3, alpha=0.6, label=f"chosen rule: {fit.chosen}")
        ax.plot(1 - widths, measured, "o", color="#08306b", zorder=5,
                label="measured: each ratio's refined optimum")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(_plain())
        ax.set_xlabel("share of channels removed (1 − w)")
        ax.set_ylabel(f"{name} optimum ÷ refined dense optimum")
        ax.set_title(f"how the {name} optimum moves")
    handles = {label: handle for ax in axes[0] for handle, label in
               zip(*ax.get_legend_handles_labels(), strict=True)}
    fig.legend(handles.values(), handles.keys(), fontsize=7, loc="center left",
               bbox_to_anchor=(1.0, 0.5), frameon=False)
    return save(fig, path)


def _plain():
    """Tick labels as plain numbers (0.3, 1, 3), never 3×10^-1."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:g}")
