"""Landscape heatmaps per ratio on one colour scale; pairwise slices through the optimum."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis import Landscape, best_index
from ..search import Grid
from ..storage import HPOTrial
from ._plot import pyplot, save, tick


def _pairs(ndim: int) -> list[tuple[int, int]]:
    """Axis pairs to show: (0, 1) for two axes, every pair for more, (0, 0) for one."""
    return [(0, 0)] if ndim == 1 else list(itertools.combinations(range(ndim), 2))


def _slice(mean: np.ndarray, rows: int, cols: int, through: tuple[int, ...]) -> np.ndarray:
    """The 2-D slice of ``mean`` over axes (rows, cols) through the point ``through``."""
    if mean.ndim == 1:
        return mean[None, :]
    index = tuple(slice(None) if i in (rows, cols) else through[i] for i in range(mean.ndim))
    return mean[index]


COLOUR_RANGE = 0.1  # the colour scale spans the top 10 accuracy points; lower is darkest
PER_ROW = 3  # ratios side by side (one pair of hyperparameters), so a row reads at 800 px
MAX_LABELLED = 64  # cells per panel up to which each cell shows its accuracy


def _label_cells(ax, values: np.ndarray, vmin: float, vmax: float) -> None:
    """Each cell's mean accuracy in points, dark on light cells and light on dark ones."""
    if values.size > MAX_LABELLED:
        return
    middle = (vmin + vmax) / 2
    for (row, col), value in np.ndenumerate(values):
        if np.isfinite(value):
            ax.text(col, row, f"{100 * value:.1f}", ha="center", va="center", fontsize=6,
                    color="black" if value > middle else "white")


def colour_scale(arrays: dict[float, Landscape]
                 ) -> tuple[dict[float, np.ndarray], float, float] | None:
    """Each ratio's mean accuracy and the one colour scale (low, high) they share: from the
    lowest mean to the highest, at most ``COLOUR_RANGE`` wide; None if nothing is finite."""
    means = {r: arrays[r].mean() for r in sorted(arrays)}
    finite = np.concatenate([m[np.isfinite(m)] for m in means.values()])
    if finite.size == 0:
        return None
    high = float(finite.max())
    return means, max(float(finite.min()), high - COLOUR_RANGE), high


def landscape_heatmaps(arrays: dict[float, Landscape], dense_optimum: tuple[int, ...] | None,
                       path: Path) -> Path | None:
    """Every ratio's mean validation accuracy side by side, on one colour scale.

    X marks the dense optimum and * each ratio's own. The colour scale covers the top
    ``COLOUR_RANGE`` of accuracy, so the region that matters is not washed out by diverged
    corners. With more than two hyperparameters each row is a pair of them, sliced through
    each ratio's optimum.
    """
    if not arrays:
        return None
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter

    ratios = sorted(arrays)
    scale = colour_scale(arrays)
    if scale is None:
        return None
    means, vmin, vmax = scale
    axes_info = arrays[ratios[0]].grid.axes
    pairs = _pairs(len(axes_info))
    columns = min(PER_ROW, len(ratios)) if len(pairs) == 1 else len(ratios)
    rows_of_ratios = -(-len(ratios) // columns)
    fig, panels = plt.subplots(len(pairs) * rows_of_ratios, columns, squeeze=False,
                               layout="constrained",
                               figsize=(3.3 * columns + 1.2,
                                        3.3 * len(pairs) * rows_of_ratios + 0.6))
    for ax in panels.flat[len(ratios) * len(pairs):]:
        ax.set_visible(False)
    for index, ratio in enumerate(ratios):
        mean = means[ratio]
        own = best_index(mean)
        through = own or tuple(0 for _ in mean.shape)
        column = index % columns
        for row_index, (rows, cols) in enumerate(pairs):
            ax = panels[(index // columns) * len(pairs) + row_index][column]
            values = _slice(mean, rows, cols, through)
            shown = ax.imshow(values, origin="lower", cmap="viridis", vmin=vmin, vmax=vmax,
                              aspect="auto")
            _label_cells(ax, values, vmin, vmax)
            x_axis = axes_info[cols]
            ax.set_xticks(range(len(x_axis.values)), [tick(v, x_axis.log) for v in x_axis.values],
                          rotation=45, ha="right")
            ax.set_xlabel(x_axis.name + (" (log)" if x_axis.log else ""))
            if mean.ndim > 1 and column == 0:
                y_axis = axes_info[rows]
                ax.set_yticks(range(len(y_axis.values)),
                              [tick(v, y_axis.log) for v in y_axis.values])
                ax.set_ylabel(y_axis.name + (" (log)" if y_axis.log else ""))
            else:
                ax.set_yticks([])
            ax.grid(False)
            _mark_growth(ax, arrays[ratio].grid, cols, vertical=True)
            if mean.ndim > 1:
                _mark_growth(ax, arrays[ratio].grid, rows, vertical=False)
            for point, marker, label, corner in ((dense_optimum, "X", "dense optimum", -1),
                                                 (own, "*", "this ratio's optimum", 1)):
                if point is not None:  # in the cell's top corner, clear of its number
                    y = point[rows] if mean.ndim > 1 else 0
                    ax.scatter([point[cols] + 0.33 * corner], [y + 0.3], marker=marker, s=55,
                               c="white", edgecolors="black", linewidths=0.8, label=label)
            if row_index == 0:
                ax.set_title(f"ratio {ratio:g}")
    below = any(vmin > np.nanmin(m) for m in means.values() if np.isfinite(m).any())
    fig.colorbar(shown, ax=panels, extend="min" if below else "neither",
                 format=FuncFormatter(lambda value, _: f"{100 * value:.1f}"),
                 label="validation accuracy %, mean over seeds"
                 + (f"\n(darkest: {100 * COLOUR_RANGE:.0f}+ points below the best, or diverged)"
                    if below else ""))
    handles, labels = panels[0][0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(unique.values(), unique.keys(), loc="outside lower center", ncols=len(unique),
               fontsize=8)
    return save(fig, path, tight=False)


def _mark_growth(ax: Any, grid: Grid, axis: int, *, vertical: bool) -> None:
    """A dashed line where the first grid's edge was, on each side the axis grew."""
    values = grid.axes[axis].values
    added = [values.index(g.value) for g in grid.grown if g.axis == grid.axes[axis].name]
    first = [i for i in range(len(values)) if i not in added]
    edges = [first[0] - 0.5] * (first[0] > 0) + [first[-1] + 0.5] * (first[-1] < len(values) - 1)
    draw = ax.axvline if vertical else ax.axhline
    for edge in edges:
        draw(edge, color="#d62728", linestyle="--", linewidth=1.4, label="the first grid's edge")


def hpo_history(trials: list[HPOTrial], method: str, path: Path) -> Path | None:
    """Best validation accuracy so far versus trials and versus epochs spent."""
    finished = sorted((t for t in trials if t.state in ("COMPLETE", "PRUNED")),
                      key=lambda t: t.number)
    if not finished:
        return None
    plt = pyplot()
    fig, (by_trial, by_epochs) = plt.subplots(1, 2, figsize=(10, 3.2))
    best, epochs, spent = [], [], 0
    for trial in finished:
        spent += trial.epochs
        epochs.append(spent)
        complete = trial.state == "COMPLETE" and trial.value is not None
        value = trial.value if complete else -np.inf
        best.append(max(best[-1] if best else -np.inf, value))
    best_array = np.where(np.isfinite(best), best, np.nan)
    numbers = [t.number for t in finished]
    values = [t.value if t.state == "COMPLETE" else np.nan for t in finished]
    pruned = [t.number for t in finished if t.state == "PRUNED"]
    by_trial.plot(numbers, values, ".", color="#9ecae1", label="complete trial")
    if pruned:
        by_trial.plot(pruned, [np.nanmin(best_array)] * len(pruned), "|", color="#7f7f7f",
                      label="stopped early (pruned)")
    by_trial.step(numbers, best_array, where="post", color="#2c7fb8", label="best so far")
    by_trial.set_xlabel("trial")
    by_epochs.step(epochs, best_array, where="post", color="#2c7fb8")
    by_epochs.set_xlabel("epochs spent")
    for ax in (by_trial, by_epochs):
        ax.set_ylabel("validation accuracy")
    by_trial.legend(fontsize=7)
    fig.suptitle(f"HPO ({method}): best so far")
    return save(fig, path)
