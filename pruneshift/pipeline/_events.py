"""How the pipeline tells a caller what it is doing; the CLI draws progress from these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """The whole job's units of work by kind (``HPO``, ``models``: the reference, pruning and
    deployment tasks, ``grid``), and what runs now. A kind's total is known once its stage is
    defined; before that (the grid before HPO ends) it is what the config asks for."""

    label: str  # what ran last: "HPO", "pruning", "grid r=0.5", ...
    kind: str  # the kind of that unit
    parts: dict[str, tuple[int, int]]  # kind -> (done, total)
    best: float | None  # the best value so far of the study that runs now

    @property
    def done(self) -> int:
        return sum(done for done, _ in self.parts.values())

    @property
    def total(self) -> int:
        return sum(total for _, total in self.parts.values())


class Events:
    """No-op hooks; override the ones you want to watch."""

    def stage(self, name: str, message: str) -> None:
        """A stage reports a result, or is skipped as finished."""

    def warning(self, message: str) -> None:
        """Something the user should know, e.g. a grid axis clipped to the search space."""

    def progress(self, progress: Progress) -> None:
        """A unit of work finished (or the count at the start)."""

    def finished(self) -> None:
        """This process has no more work to do."""
