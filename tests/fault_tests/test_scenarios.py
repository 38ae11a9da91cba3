"""Whole studies under faults, against an uninterrupted run: nothing lost, duplicated or stuck,
and the same results. benchmarks/faults.py runs the same scenarios with more faults."""

import pytest

from . import scenarios
from .scenarios import GIVEN_OPTIMUM, SMALL

pytestmark = pytest.mark.slow  # whole studies in subprocesses


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return scenarios.uninterrupted(tmp_path_factory.mktemp("whole"), SMALL)


@pytest.fixture(scope="module")
def reference_given(tmp_path_factory):
    """The same study with the optimum given (no HPO), as the multi-worker scenarios run it."""
    return scenarios.uninterrupted(tmp_path_factory.mktemp("whole-given"),
                                   [*SMALL, *GIVEN_OPTIMUM])


def _clean(outcome):
    assert (outcome.lost, outcome.duplicated, outcome.running) == (0, 0, 0), outcome.row()
    assert outcome.equal, outcome.row()
    assert not [n for n in outcome.notes if "not a one-line error" in n or "failed" in n], \
        outcome.row()


def test_a_kill_in_every_stage_resumes_to_the_uninterrupted_result(tmp_path, reference):
    """Killed exactly at a unit of every kind (HPO, grid cell, settle run, report), each time
    with its work done but not recorded, then finished: as if nothing had happened."""
    kills = [("hpo", 4), ("cell", 30), ("settle", 5), ("report", 1)]
    outcome = scenarios.kill_at_units(tmp_path / "run", reference, kills)
    _clean(outcome)
    assert outcome.faults == [f"kill at {k} {n}" for k, n in kills], outcome.row()


def test_a_torn_journal_line_is_cut_and_the_run_finishes(tmp_path, reference):
    _clean(scenarios.torn_journal(tmp_path / "run", reference))


@pytest.mark.skipif(not scenarios.namespaces_available(),
                    reason="needs unshare with UTS and PID namespaces (root)")
def test_a_host_lost_for_good_does_not_stall_the_study(tmp_path, postgres_url, reference_given):
    _clean(scenarios.host_lost(tmp_path / "run", postgres_url, reference_given))


def test_workers_outlive_a_database_outage(tmp_path, postgres_url, reference_given):
    """Cut for 6 s while the workers train the grid, retried for 15 s (workers.retry_seconds;
    the default retries about a minute, and benchmarks/faults.py cuts 30 s)."""
    outcome = scenarios.outage(tmp_path / "run", postgres_url, reference_given, seconds=6)
    _clean(outcome)
    assert outcome.faults, outcome.row()


@pytest.mark.skipif(not scenarios.can_partition(),
                    reason="needs root to make a network namespace and a veth link")
def test_a_silent_partition_is_said_within_seconds_and_outlived(tmp_path, postgres_url,
                                                                reference_given):
    """The link to the database drops every packet for 20 s, no reset: the worker says so
    within 30 s (bounded waits), retries, and finishes as if nothing had happened."""
    outcome = scenarios.silent_partition(tmp_path / "run", postgres_url, reference_given,
                                         seconds=20)
    _clean(outcome)
    assert outcome.faults and not outcome.notes, outcome.row()


@pytest.mark.skipif(not scenarios.can_mount(), reason="needs root to mount a small tmpfs")
def test_a_full_disk_stops_the_run_with_one_line_and_loses_nothing(tmp_path, reference):
    outcome = scenarios.full_disk(tmp_path / "disk", reference)
    _clean(outcome)
    assert outcome.faults, outcome.row()


def test_a_frozen_worker_thawed_after_its_cells_were_redone_drops_them(tmp_path, postgres_url,
                                                                      reference_given):
    outcome = scenarios.frozen_worker(tmp_path / "run", postgres_url, reference_given, "cell")
    _clean(outcome)
    assert not outcome.notes, outcome.row()


QUICK_SMALL = ["settle.seeds_per_round=2", "settle.max_runs=4", "deploy.runs=5",
               "pruning.latency_runs=5"]


@pytest.fixture(scope="module")
def reference_quick(tmp_path_factory):
    """The quick example, real training, with the optimum given, uninterrupted."""
    return scenarios.uninterrupted(tmp_path_factory.mktemp("whole-quick"),
                                   [*QUICK_SMALL, *GIVEN_OPTIMUM], scenarios.QUICK)


def test_a_frozen_worker_thawed_after_its_deployment_was_redone_writes_no_file(
        tmp_path, postgres_url, reference_quick):
    """Real training: a worker frozen as it starts deploying a ratio, another one redoing the
    deployment and writing the report; thawed, the first rewrites no model and no result."""
    outcome = scenarios.frozen_worker(tmp_path / "run", postgres_url, reference_quick,
                                      "deploy", scenarios.QUICK, QUICK_SMALL)
    _clean(outcome)
    assert not outcome.notes, outcome.row()
