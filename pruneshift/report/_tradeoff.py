"""What re-tuning buys at every cost: accuracy against MACs and against measured latency."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis import Results
from ._plot import pyplot, save

AXES = (("macs", "MACs at batch 1"), ("latency_ms", "latency at batch 1 (ms, one CPU thread)"))


def tradeoff(results: Results, path: Path) -> Path | None:
    """Two fronts per cost: the re-tuned models and those that keep the dense optimum; the gap
    between them is what re-tuning is worth. A budget is drawn, and the ratio it picks
    circled."""
    entries = [e for e in results.ratios.values() if e.best is not None]
    panels = [(k, label) for k, label in AXES if all(e.cost(k) is not None for e in entries)]
    if len(entries) < 2 or not panels:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.5), squeeze=False)
    for ax, (kind, label) in zip(axes[0], panels, strict=True):
        ordered = sorted(entries, key=lambda e: e.cost(kind))
        cost = np.array([e.cost(kind) for e in ordered], dtype=float)
        tuned = np.array([e.best.value for e in ordered], dtype=float)
        kept = np.array([np.nan if e.value_at_dense_optimum is None
                         else e.value_at_dense_optimum for e in ordered])
        ax.plot(cost, 100 * tuned, "o-", color="#2c7fb8", label="re-tuned")
        ax.plot(cost, 100 * kept, "s--", color="#7f7f7f", label="dense optimum kept")
        ax.fill_between(cost, 100 * kept, 100 * tuned, color="#2c7fb8", alpha=0.12)
        for x, y, entry in zip(cost, tuned, ordered, strict=True):
            ax.annotate(f"r={entry.ratio:g}", (x, 100 * y), textcoords="offset points",
                        xytext=(4, 4), fontsize=7)
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
        ax.set_xlabel(label + " (log)")
        ax.set_ylabel("validation accuracy (%)")
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("accuracy against cost: re-tuned versus dense hyperparameters kept",
                 fontsize=9)
    return save(fig, path)
