"""Stages 5 and 6: analysis and report, computed from the storage alone (rebuildable any time)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..analysis import load_run_data, summarise
from ..provenance import environment
from ..report import landscape_heatmaps, render_markdown
from ._context import Run, write_json
from ._events import Events


def analysis_stage(run: Run, events: Events, device: str = "cpu") -> dict[str, Any]:
    """Write results.json, landscapes.csv, report.md and figures/ into the run folder."""
    data = load_run_data(run.url, run.config.experiment)
    results, table, arrays = summarise(data)
    results["environment"] = environment(device)
    partial = run.run_dir / ".landscapes.csv.tmp"
    table.to_csv(partial, index=False)
    partial.replace(run.run_dir / "landscapes.csv")
    write_json(run.run_dir / "results.json", results)
    dense = arrays.get(0.0)
    dense_best = None
    if dense is not None and not np.all(np.isnan(dense.mean())):
        dense_best = int(np.nanargmax(dense.mean()))
    figures = landscape_heatmaps(arrays, dense_best, run.run_dir / "figures")
    (run.run_dir / "report.md").write_text(render_markdown(results, figures, run.run_dir))
    events.stage("report", f"wrote {run.run_dir / 'results.json'}, landscapes.csv "
                 f"({len(table)} rows), report.md")
    return results
