"""Matplotlib set-up shared by the figures: headless backend, one style, saving."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..analysis import Results

RATIO_LABEL = "pruning ratio"
THRESHOLD_STYLE = {"color": "#c0392b", "linestyle": "--", "linewidth": 1.2}
SHIFT_STYLE = {"color": "#e67e22", "linestyle": ":", "linewidth": 1.2}


def pyplot() -> Any:
    """matplotlib.pyplot on the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 110, "font.size": 9, "axes.grid": True,
                         "grid.alpha": 0.3, "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def mark_verdict(ax: Any, results: Results) -> None:
    """The verdict's ratios as vertical lines: where re-tuning pays (dashed) and, where it comes
    earlier, where the good region starts to move measurably (dotted)."""
    if results.verdict is None:
        return
    retune, moves = results.verdict.retune_from, results.verdict.shift_from
    if retune is not None:
        ax.axvline(retune, label=f"re-tune from {retune:g}", **THRESHOLD_STYLE)
    if moves is not None and (retune is None or moves < retune):
        ax.axvline(moves, label=f"moves measurably from {moves:g}", **SHIFT_STYLE)


def save(fig: Any, path: Path, *, tight: bool = True) -> Path:
    """Write a figure as PNG (whole or not at all: through a temporary file) and close it."""
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    if tight:
        fig.tight_layout()
    partial = path.with_name(f".{path.name}.tmp")
    try:
        fig.savefig(partial, format="png", bbox_inches="tight", pad_inches=0.1)  # nothing clipped
        partial.replace(path)
    finally:
        plt.close(fig)
        partial.unlink(missing_ok=True)
    return path


def write_text(path: Path, text: str) -> Path:
    """Write a text file whole or not at all (through a temporary file)."""
    partial = path.with_name(f".{path.name}.tmp")
    try:
        partial.write_text(text)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def tick(value: object, log: bool = False) -> str:
    """A grid value as a short tick label: one notation on a log axis (3.3e-02)."""
    if not isinstance(value, float):
        return str(value)
    return f"{value:.1e}" if log else f"{value:.3g}"
