"""What re-tuning buys at every cost: accuracy against MACs and against measured latency."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis import RatioResult, Results
from ._plot import pyplot, save

AXES = (("macs", "MACs at batch 1"), ("latency_ms", "latency, batch 1, one CPU thread (ms)"))


def _axis_label(kind: str, label: str, entries: list[RatioResult]) -> str:
    """The cost's label, naming the runtime a latency was measured in."""
    if kind != "latency_ms":
        return label
    deployed = all(e.deployment is not None and e.deployment.latency_ms(1) is not None
                   for e in entries)
    return f"{'ONNX Runtime' if deployed else 'PyTorch eager'} {label}"


def tradeoff(results: Results, path: Path) -> Path | None:
    """Two fronts per cost: the re-tuned models and those that keep the dense optimum; the gap
    between them is what re-tuning is worth. A budget is drawn, and the ratio it picks
    circled."""
    entries = [e for e in results.ratios.values() if e.best is not None]
    panels = [(k, label) for k, label in AXES if all(e.cost(k) is not None for e in entries)]
    if len(entries) < 2 or not panels:
        return None
    plt = pyplot()
    from matplotlib.ticker import FuncFormatter

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.5), squeeze=False)
    for ax, (kind, label) in zip(axes[0], panels, strict=True):
        ordered = sorted(entries, key=lambda e: e.cost(kind))
        cost = np.array([e.cost(kind) for e in ordered], dtype=float)
        pairs = np.array([test_accuracies(e) for e in ordered], dtype=float)
        tuned, kept = pairs[:, 0], pairs[:, 1]
        ax.plot(cost, 100 * tuned, "o-", color="#2c7fb8", label="the ratio's best grid point")
        ax.plot(cost, 100 * kept, "s--", color="#7f7f7f", label="the dense optimum kept")
        ax.fill_between(cost, 100 * kept, 100 * tuned, color="#2c7fb8", alpha=0.12)
        for index, (x, y, entry) in enumerate(zip(cost, tuned, ordered, strict=True)):
            ax.annotate(f"r={entry.ratio:g}", (x, 100 * y), textcoords="offset points",
                        xytext=(4, 4 if index % 2 == 0 else -10), fontsize=7)
        choice = results.choice
        if choice is not None and kind in choice.budget:
            ax.axvline(choice.budget[kind], color="#c0392b", linestyle=":", linewidth=1.2,
                       label=f"budget {choice.budget[kind]:.3g}")
        if choice is not None and choice.ratio is not None:
            chosen = results.ratios[choice.ratio]
            ax.plot(chosen.cost(kind), 100 * chosen.best.value, "o", markersize=13,
                    markerfacecolor="none", markeredgecolor="#c0392b",
                    label=f"best under budget: r={choice.ratio:g}")
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
        ax.set_xlabel(_axis_label(kind, label, entries) + " (log)")
        ax.set_ylabel("test accuracy (%)")
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("accuracy against cost on the grid (means over its seeds on the test split); "
                 "what re-tuning is confirmed to gain: the answers", fontsize=9)
    return save(fig, path)


def test_accuracies(entry: RatioResult) -> tuple[float, float]:
    """Test accuracy at the grid's best point and at the dense optimum: means over the grid's
    seeds on the one test split every ratio shares, so every ratio is measured alike."""
    kept = entry.comparison.test_at_dense_optimum if entry.comparison is not None else None
    best = entry.best.test_accuracy if entry.best is not None else None
    if entry.ratio == 0 and kept is None:
        kept = best
    return (np.nan if best is None else best), (np.nan if kept is None else kept)
