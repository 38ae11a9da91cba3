"""What the report says about a grid that grew to follow the optimum (``grid.grown``), and
about a best point still on an edge once it stopped."""

from __future__ import annotations

from ..analysis import Results
from ..search import Grid
from ._text import pct


def growth_words(results: Results) -> list[str]:
    """One sentence per grown axis side, and one per hyperparameter whose best point at some
    ratio still lies on the grid's edge."""
    grid = Grid.from_dict(results.grid)
    words = []
    for axis in grid.axes:
        for side in ("low", "high"):
            steps = [g for g in grid.grown if g.axis == axis.name and g.side == side]
            if not steps:
                continue
            because = ", then ".join(dict.fromkeys(pct(g.ratio) for g in steps))
            words.append(
                f"The grid grew to follow the optimum: {axis.name} by {len(steps)} "
                f"step{'s' * (len(steps) > 1)} on its {side} side, to {steps[-1].value:.3g}, "
                f"because the best point lay on that edge at {because} pruning (a red dashed "
                "line marks the first grid's edge).")
    limit = results.config.get("grid", {}).get("max_extend", 2)
    for axis in grid.axes:
        if len(axis.values) < 2 or axis.kind == "categorical":
            continue
        edges = (axis.values[0], axis.values[-1])
        on_edge = [r for r, row in sorted(results.ratios.items())
                   if row.best is not None and row.best.params.get(axis.name) in edges]
        if on_edge:
            words.append(
                f"The best {axis.name} lies on the grid's edge at "
                f"{', '.join(pct(r) for r in on_edge)} pruning, where the grid could not grow "
                f"further (grid.max_extend = {limit}, the search space's bounds, or an axis "
                "that is not log-scaled): the optimum may lie beyond it.")
    return words
