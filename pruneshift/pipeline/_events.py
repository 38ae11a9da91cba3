"""How the pipeline tells a caller what it is doing; the CLI draws progress from these."""

from __future__ import annotations

from typing import Any


class Events:
    """No-op hooks; override the ones you want to watch."""

    def stage(self, name: str, message: str) -> None:
        """A stage starts, is skipped as finished, or reports a result."""

    def warning(self, message: str) -> None:
        """Something the user should know, e.g. a grid axis clipped to the search space."""

    def trials_started(self, label: str, total: int, done: int, study: Any) -> None:
        """A batch of trials (HPO or one ratio's grid) starts; ``done`` were finished before."""

    def trial_finished(self, study: Any, trial: Any) -> None:
        """One trial of the current batch finished."""

    def trials_ended(self) -> None:
        """The current batch of trials is over."""
