"""Registries that name things before loading them, so validating a config imports no torch.

An entry names what it stands for as ``package.module:attribute`` (imported on first use) and
describes it in one line; a registry refuses an unknown name in one line that lists what is
allowed and suggests the closest.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar


@dataclass(frozen=True)
class Entry:
    """A registered name: what it loads (``module:attribute``; None for a plain choice) and
    what it is."""

    description: str
    target: str | None = None

    def load(self) -> Any:
        if self.target is None:
            raise LookupError(f"'{self.description}' names a choice, not something to load")
        module, _, attribute = self.target.partition(":")
        return getattr(importlib.import_module(module), attribute)


E = TypeVar("E", bound=Entry)


class Registry(Mapping[str, E], Generic[E]):
    """Names of one kind (``kind``: "dataset", "criterion", ...) mapped to their entries."""

    def __init__(self, kind: str, entries: dict[str, E]):
        self.kind, self._entries = kind, dict(entries)

    def __getitem__(self, name: str) -> E:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def unknown(self, name: object, also: str = "") -> str:
        """The message for a name that is not registered: what is allowed, and the closest."""
        allowed = ", ".join(self._entries) + (f" or {also}" if also else "")
        close = difflib.get_close_matches(str(name), self._entries, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown {self.kind} '{name}'{hint}; allowed: {allowed}"

    def check(self, name: str) -> str:
        """``name`` if registered; a ValueError with ``unknown``'s message otherwise."""
        if name not in self._entries:
            raise ValueError(self.unknown(name))
        return name

    def load(self, name: str) -> Any:
        """What ``name`` stands for, imported now."""
        return self[name].load()
