"""report.md: the results table per ratio and the landscape heatmaps."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _fmt(value: Any, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _point(params: dict[str, Any] | None) -> str:
    if not params:
        return "–"
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in params.items())


def render_markdown(results: dict[str, Any], figures: dict[float, Path], run_dir: Path) -> str:
    """The report as Markdown; figure links are relative to ``run_dir``."""
    config = results["config"]
    lines = [
        f"# pruneshift report: {results['experiment']}",
        "",
        f"Dataset `{config['data']['name']}`, model `{config['model']['name']}`, pruning "
        f"`{config['pruning']['criterion']}` ({config['pruning']['scope']}), protocol "
        f"`{config['pruning']['protocol']}`, grid of {len(results['grid']['axes'])} "
        f"hyperparameters × {len(results['grid']['seeds'])} seeds.",
        "",
        f"HPO optimum: {_point(results['hpo_optimum'])}. "
        f"Dense grid optimum: {_point(results['dense_optimum'])}.",
        "",
        "| ratio | params | MACs | latency (ms, batch 1) | size (kB) | best accuracy | "
        "best point | accuracy at dense optimum | regret [CI] | W1 (grid steps) | p | cells |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["ratios"].values():
        eff = row["efficiency"] or {}
        best = row["best"] or {}
        cells = row["cells"]
        regret = row.get("regret") or {}
        interval = ("" if regret.get("ci_low") is None
                    else f" [{regret['ci_low']:.4f}, {regret['ci_high']:.4f}]")
        lines.append(
            f"| {row['ratio']:g} | {_fmt(eff.get('params'), ',')} | {_fmt(eff.get('macs'), ',')} "
            f"| {_fmt(eff.get('latency_ms'), '.3f')} "
            f"| {_fmt(eff.get('size_bytes') and eff['size_bytes'] / 1000, '.1f')} "
            f"| {_fmt(best.get('value'), '.4f')} | {_point(best.get('params'))} "
            f"| {_fmt(row['value_at_dense_optimum'], '.4f')} "
            f"| {_fmt(regret.get('mean'), '.4f')}{interval} "
            f"| {_fmt((row.get('distances') or {}).get('wasserstein'), '.3f')} "
            f"| {_fmt((row.get('p_value') or {}).get('wasserstein'), '.3f')} "
            f"| {cells['complete']}/{cells['expected']} |")
    distribution = results["distribution"]
    lines += ["", "Regret: best accuracy at this ratio minus the accuracy at the dense grid's "
              "optimum (means over seeds), with a bootstrap confidence interval over the seed "
              "noise. W1: Wasserstein-1 distance between the dense and pruned "
              f"{distribution['normalisation']} distributions (temperature "
              f"{distribution['temperature']:.4g}), in grid steps; p: its p-value against the "
              "seed-noise floor.", ""]
    for ratio, path in figures.items():
        lines += [f"![landscape at ratio {ratio:g}]({path.relative_to(run_dir).as_posix()})", ""]
    return "\n".join(lines)
