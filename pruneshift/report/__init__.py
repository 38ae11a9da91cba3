"""Reports: figures, and one self-contained HTML and a Markdown report of a run."""

from __future__ import annotations

from pathlib import Path

from ..analysis import Landscape, Results, best_index
from ..storage import HPOTrial
from ._comparison import check_comparable, write_comparison
from ._figures import (
    accuracy_vs_ratio,
    distances_vs_ratio,
    marginals_per_hp,
    regret_vs_ratio,
    sensitivity_per_hp,
    transfer_vs_width,
)
from ._hover import hover_tables
from ._html import render_html
from ._landscapes import hpo_history, landscape_heatmaps
from ._markdown import render_markdown
from ._page import sections
from ._plot import write_text
from ._recipes import recipe_yaml, write_recipes
from ._text import summary
from ._tradeoff import tradeoff


def write_report(run_dir: Path, results: Results, arrays: dict[float, Landscape],
                 hpo_trials: list[HPOTrial]) -> dict[str, Path]:
    """Write figures/*.png, recipes/*.yaml, report.html and report.md into ``run_dir``;
    return the report's and the figures' paths."""
    folder = run_dir / "figures"
    for stale in folder.glob("*.png"):  # figures of an earlier report, maybe of other ratios
        stale.unlink()
    dense = arrays.get(0.0)
    dense_optimum = best_index(dense.mean()) if dense is not None else None
    figures = {"accuracy": accuracy_vs_ratio(results, arrays, folder / "accuracy_vs_ratio.png"),
               "landscapes": landscape_heatmaps(arrays, dense_optimum,
                                                folder / "landscapes.png"),
               "hpo": hpo_history(hpo_trials, results.config["hpo"]["method"],
                                  folder / "hpo_history.png"),
               "tradeoff": tradeoff(results, folder / "tradeoff.png")}
    if any(results.compared()):
        figures |= {
            "distances": distances_vs_ratio(results, folder / "distances.png"),
            "sensitivity": sensitivity_per_hp(results, folder / "sensitivity_per_hp.png"),
            "marginals": marginals_per_hp(results, arrays, folder / "marginals.png"),
            "regret": regret_vs_ratio(results, folder / "regret.png"),
            "transfer": transfer_vs_width(results, folder / "transfer.png"),
        }
    write_recipes(run_dir, results)
    title = f"pruneshift report: {results.experiment}"
    html_path, md_path = run_dir / "report.html", run_dir / "report.md"
    write_text(html_path, render_html(title, sections(
        results, figures, hpo_trials, hover_tables(arrays, dense_optimum))))
    write_text(md_path, render_markdown(title, sections(results, figures, hpo_trials), run_dir))
    return {"html": html_path, "markdown": md_path,
            **{k: v for k, v in figures.items() if v is not None}}


__all__ = ["check_comparable", "recipe_yaml", "render_html", "render_markdown", "summary",
           "write_comparison", "write_report"]
