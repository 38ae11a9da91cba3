"""The landscapes as tables to hover: every grid cell a coloured table cell whose tooltip gives
its accuracy on each seed and the hyperparameters it ran with.

Interactive without a script: the report's content-security policy forbids scripts and every
network fetch, and a plotting library inlined (Plotly's is over 3 MB, Vega's and its embedder
about 1 MB) would outweigh the report itself. A table cell's ``title`` is shown by every browser
on hover, offline, and the table is plain HTML that the page's own styles lay out; report.md
keeps the picture (figures/landscapes.png).
"""

from __future__ import annotations

import functools
from html import escape

import numpy as np

from ..analysis import Landscape, best_index
from ._landscapes import colour_scale
from ._plot import tick


@functools.cache
def _viridis():
    """The PNG's colour map, fetched once (the registry hands out a copy on every lookup)."""
    from matplotlib import colormaps

    return colormaps["viridis"]


def _colour(value: float, low: float, high: float) -> tuple[str, str]:
    """Background and text colour of a cell worth ``value`` on the scale ``low``..``high``:
    the PNG's colour map, and its labels' rule (dark text on the lighter half)."""
    from matplotlib import colors

    share = 0.0 if not np.isfinite(value) or high <= low else float(
        np.clip((value - low) / (high - low), 0, 1))
    return colors.to_hex(_viridis()(share)), "#000000" if share > 0.5 else "#ffffff"


def hover_tables(arrays: dict[float, Landscape], dense_optimum: tuple[int, ...] | None) -> str:
    """One table per ratio (rows: the first axis, columns: the second), on one colour scale;
    empty for a grid of more than two axes (the picture shows those)."""
    ratios = sorted(arrays)
    grid = arrays[ratios[0]].grid if ratios else None
    if grid is None or not 1 <= len(grid.axes) <= 2:
        return ""
    scale = colour_scale(arrays)
    if scale is None:
        return ""
    means, low, high = scale
    rows_axis, cols_axis = grid.axes[0], grid.axes[1] if len(grid.axes) == 2 else None
    added = {(g.axis, g.value) for g in grid.grown}  # values the grid grew to have
    parts = []
    for ratio in ratios:
        landscape, mean = arrays[ratio], means[ratio]
        own = best_index(mean)
        head = "".join(f"<th>{escape(tick(v, cols_axis.log))}</th>"
                       for v in (cols_axis.values if cols_axis else ["–"]))
        body = []
        for i, row_value in reversed(list(enumerate(rows_axis.values))):
            cells = []
            for j in range(len(cols_axis.values) if cols_axis else 1):
                index = (i, j) if cols_axis else (i,)
                grown = any((a.name, a.values[k]) in added
                            for a, k in zip(grid.axes, index, strict=True))
                cells.append(_cell(landscape, mean, index, grid, low, high,
                                   index == dense_optimum, index == own, grown))
            body.append(f"<tr><th>{escape(tick(row_value, rows_axis.log))}</th>"
                        + "".join(cells) + "</tr>")
        caption = (f"ratio {ratio:g}: {escape(rows_axis.name)} down, "
                   f"{escape(cols_axis.name) if cols_axis else ''} across; "
                   "X the dense optimum, * this ratio's best"
                   + ("; red dashes: cells the grid grew to have" if added else ""))
        parts.append(f'<div class="heatbox"><table class="heat"><caption>{caption}</caption>'
                     f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(body)}"
                     "</tbody></table></div>")
    return "\n".join(parts)


def _cell(landscape: Landscape, mean: np.ndarray, index: tuple[int, ...], grid, low: float,
          high: float, dense: bool, own: bool, grown: bool) -> str:
    runs = landscape.accuracy[index]
    diverged = landscape.diverged[index]
    seeds = ", ".join("diverged" if d else ("–" if np.isnan(a) else f"{100 * a:.1f}")
                      for a, d in zip(runs, diverged, strict=True))
    point = ", ".join(f"{a.name} = {tick(a.values[k])}"
                      for a, k in zip(grid.axes, index, strict=True))
    value = mean[index]
    tip = (f"{point}: {'–' if np.isnan(value) else f'{100 * value:.2f}'} % mean validation "
           f"accuracy; per seed {seeds}")
    background, text = _colour(value, low, high)
    mark = ("X" if dense else "") + ("*" if own else "")
    shown = "–" if np.isnan(value) else f"{100 * value:.1f}"
    edge = ";outline:2px dashed #d62728;outline-offset:-3px" if grown else ""
    return (f'<td title="{escape(tip)}" style="background:{background};color:{text}{edge}">'
            f"{shown}{escape(' ' + mark) if mark else ''}</td>")
