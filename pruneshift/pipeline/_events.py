"""How the pipeline tells a caller what it is doing; the CLI draws progress from these."""

from __future__ import annotations

from typing import Any


class Events:
    """No-op hooks; override the ones you want to watch."""

    def stage(self, name: str, message: str) -> None:
        """A stage reports a result, or is skipped as finished."""

    def warning(self, message: str) -> None:
        """Something the user should know, e.g. a grid axis clipped to the search space."""

    def progress(self, label: str, done: int, total: int, study: Any) -> None:
        """Units of work done so far of ``total``; ``label`` names what runs now."""

    def finished(self) -> None:
        """This process has no more work to do."""
