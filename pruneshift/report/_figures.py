"""Figures: one landscape heatmap per ratio, all on one colour scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis import Landscape
from ..storage import ratio_key


def _tick(value: object) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _slice_2d(mean: np.ndarray, through: tuple[int, ...]) -> np.ndarray:
    """The first two axes of ``mean`` through the point ``through`` (1-D grids become 1 row)."""
    if mean.ndim == 1:
        return mean[None, :]
    index = tuple(slice(None) if i < 2 else through[i] for i in range(mean.ndim))
    return mean[index]


def landscape_heatmaps(arrays: dict[float, Landscape], dense_optimum: int | None,
                       folder: Path) -> dict[float, Path]:
    """A heatmap of mean validation accuracy per ratio; X marks the dense optimum, * its own."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    means = {r: a.mean() for r, a in arrays.items()}
    finite = np.concatenate([m[~np.isnan(m)] for m in means.values()] or [np.array([0.0])])
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    paths = {}
    for ratio, landscape in arrays.items():
        mean = means[ratio]
        axes = landscape.grid.axes
        shape = mean.shape
        own = np.unravel_index(np.nanargmax(mean), shape) if not np.all(np.isnan(mean)) else None
        dense = np.unravel_index(dense_optimum, shape) if dense_optimum is not None else None
        through = own or tuple(0 for _ in shape)
        image = _slice_2d(mean, through)
        fig, ax = plt.subplots(figsize=(5.2, 4.2), dpi=110)
        shown = ax.imshow(image, origin="lower", cmap="viridis", vmin=vmin, vmax=vmax,
                          aspect="auto")
        fig.colorbar(shown, ax=ax, label="validation accuracy (mean over seeds)")
        x_axis = axes[1] if len(axes) > 1 else axes[0]
        ax.set_xticks(range(len(x_axis.values)), [_tick(v) for v in x_axis.values], rotation=45)
        ax.set_xlabel(x_axis.name + (" (log)" if x_axis.log else ""))
        if len(axes) > 1:
            ax.set_yticks(range(len(axes[0].values)), [_tick(v) for v in axes[0].values])
            ax.set_ylabel(axes[0].name + (" (log)" if axes[0].log else ""))
        else:
            ax.set_yticks([])
        for point, marker, label in ((dense, "X", "dense optimum"), (own, "*", "this ratio's")):
            if point is None:
                continue
            row, col = (point[0], point[1]) if len(point) > 1 else (0, point[0])
            ax.scatter([col], [row], marker=marker, s=140, c="white", edgecolors="black",
                       linewidths=1.0, label=label)
        ax.legend(loc="upper right", fontsize=7, framealpha=0.6)
        ax.set_title(f"pruning ratio {ratio:g}")
        fig.tight_layout()
        path = folder / f"landscape_r{ratio_key(ratio)}.png"
        fig.savefig(path)
        plt.close(fig)
        paths[ratio] = path
    return paths
