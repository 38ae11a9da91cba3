"""Family-wise error control over every shift claim of a study (Holm's step-down method).

The report says "X shifts measurably from r on" for every hyperparameter X and "the good region
moves" for the joint distance, at every pruned ratio: each is a test, and together they are
one family. Holm's adjustment keeps the chance of any false claim in the family at alpha, under
any dependence between the tests, and is uniformly more powerful than Bonferroni.
"""

from __future__ import annotations

from collections.abc import Hashable


def holm(p_values: dict[Hashable, float]) -> dict[Hashable, float]:
    """Holm-adjusted p-values: reject a test where its adjusted value is below alpha."""
    ordered = sorted(p_values, key=p_values.__getitem__)
    size, running, adjusted = len(ordered), 0.0, {}
    for rank, key in enumerate(ordered):
        running = max(running, min(1.0, (size - rank) * p_values[key]))
        adjusted[key] = running
    return adjusted
