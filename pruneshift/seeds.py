"""Independent training seeds for each stage, derived from the experiment's one ``seed``.

HPO trials, the reference model, the grid's repetitions and the settle stage's fresh seeds draw
from separate streams of ``numpy.random.SeedSequence([seed, stream])``: the grid's seeds never
repeat the HPO's (whose best trial's noise was selected), the settle stage's never the grid's
(on which its recipe was chosen), and experiments with seeds k and k + 1 share no stream.
"""

from __future__ import annotations

import numpy as np

STREAMS = {"hpo": 1, "reference": 2, "grid": 3, "sampler": 4, "settle": 5}


def stage_seeds(seed: int, stream: str, count: int) -> tuple[int, ...]:
    """``count`` training seeds (31-bit integers) of ``stream`` for the experiment's ``seed``."""
    words = np.random.SeedSequence([seed, STREAMS[stream]]).generate_state(count)
    return tuple(int(w) >> 1 for w in words)


def stage_seed(seed: int, stream: str) -> int:
    """The single training seed of ``stream`` (HPO trials, the reference model)."""
    return stage_seeds(seed, stream, 1)[0]


def settle_seeds(seed: int, round_: int, per_round: int) -> tuple[int, ...]:
    """The fresh training seeds of the settle stage's round ``round_`` (the same at every
    ratio, so a seed's luck is shared across ratios as in the grid)."""
    return stage_seeds(seed, "settle", (round_ + 1) * per_round)[round_ * per_round:]


def sampler_seed(seed: int, ticket: int) -> int:
    """The HPO sampler's seed for ticket ``ticket`` (a 32-bit integer for any ``seed``)."""
    return int(np.random.SeedSequence([seed, STREAMS["sampler"], ticket]).generate_state(1)[0])
