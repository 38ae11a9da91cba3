"""How training threads wait for work: briefly, so a shared machine is not burnt on spinning.

GNU OpenMP (the runtime of torch's CPU builds on Linux) lets an idle thread spin for up to
300,000 iterations before it sleeps. Where the cores are shared with other jobs, those spins take
the time slices the computing threads need: on 2 cores beside 2 busy processes, training took
0.73x the time with ``GOMP_SPINCOUNT=10000`` and 0.83x on an idle machine
(``benchmarks/shared_machine.py``). The setting must be in the environment before torch loads
OpenMP, and child processes inherit it.
"""

from __future__ import annotations

import os

SHORT_SPIN = "10000"
USER_SETTINGS = ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")


def prefer_short_spin(environment: dict[str, str] | os._Environ = os.environ) -> bool:
    """Sets ``GOMP_SPINCOUNT`` to a short spin unless the user chose a wait policy; True if set."""
    if any(name in environment for name in USER_SETTINGS):
        return False
    environment["GOMP_SPINCOUNT"] = SHORT_SPIN
    return True
