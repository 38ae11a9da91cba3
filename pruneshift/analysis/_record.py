"""The base of every results record: a pydantic model that refuses unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

DISTANCES = ("wasserstein", "js", "hellinger", "tv")  # every distance of the joint distributions


class Record(BaseModel):
    """A results record: unknown fields are refused, so reading stale results fails loudly."""

    model_config = ConfigDict(extra="forbid")
