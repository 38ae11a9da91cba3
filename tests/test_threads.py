"""Training threads wait briefly (a short OpenMP spin) unless the user chose a wait policy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pruneshift.threads import SHORT_SPIN, prefer_short_spin

pytestmark = pytest.mark.slow  # whole studies in subprocesses


def test_a_short_spin_is_set_where_the_user_chose_nothing():
    environment: dict[str, str] = {}
    assert prefer_short_spin(environment)
    assert environment == {"GOMP_SPINCOUNT": SHORT_SPIN}


@pytest.mark.parametrize("chosen", [{"OMP_WAIT_POLICY": "ACTIVE"}, {"GOMP_SPINCOUNT": "0"}])
def test_the_user_s_wait_policy_is_kept(chosen):
    environment = dict(chosen)
    assert not prefer_short_spin(environment)
    assert environment == chosen


@pytest.mark.parametrize(("chosen", "recorded"), [
    ({}, {"GOMP_SPINCOUNT": SHORT_SPIN, "OMP_WAIT_POLICY": None}),
    ({"OMP_WAIT_POLICY": "PASSIVE"}, {"GOMP_SPINCOUNT": None, "OMP_WAIT_POLICY": "PASSIVE"}),
])
def test_the_command_line_trains_with_the_wait_policy_it_records(tmp_path, chosen, recorded):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")} | chosen
    command = [sys.executable, "-m", "pruneshift", "hpo", "--out", str(tmp_path),
               "--set", "hpo.method=random", "--set", "hpo.n_trials=1",
               "--set", "training.epochs=1"]
    subprocess.run(command, env=environment, check=True, capture_output=True, timeout=300)
    summary = json.loads((tmp_path / "hpo.json").read_text())
    assert summary["environment"]["openmp_wait"] == recorded
