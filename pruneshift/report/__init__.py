"""Reports: figures and the Markdown report of a run."""

from ._figures import landscape_heatmaps
from ._markdown import render_markdown

__all__ = ["landscape_heatmaps", "render_markdown"]
