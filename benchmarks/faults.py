"""Fault suite on demand: whole synthetic studies killed, cut off and starved, against an
uninterrupted run. Prints per scenario the units lost, duplicated and left running, and
whether the results equal the uninterrupted run's (target: 0, 0, 0, True everywhere, and
every kill landing where it was aimed).

    python benchmarks/faults.py                       # every scenario this machine allows
    python benchmarks/faults.py --kills 10 --outage 60
    python benchmarks/faults.py --postgres postgresql://user@host/db   # a scratch database
    python benchmarks/faults.py --scenarios kills --repeats 20   # the kill scenario 20 times

Scenarios: SIGKILL injected at a unit of every kind (HPO, grid cell, settle run, report;
``--kills`` in all, spread over the kinds), a torn journal line, a worker on another host
(Linux UTS and PID namespaces, needs root) lost for good while holding cells, a database
outage (``--outage`` seconds; needs PostgreSQL) and a disk that fills up during the grid and
the report (a small tmpfs, needs root). The same scenarios, smaller, run in CI: tests/fault_tests.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pruneshift.config import load_config  # noqa: E402
from tests.fault_tests import scenarios  # noqa: E402
from tests.fault_tests.scenarios import GIVEN_OPTIMUM, SMALL  # noqa: E402

SCENARIOS = ("kills", "torn", "host", "outage", "disk")


def scratch_database(admin_url: str) -> tuple[str, object]:
    """A fresh database on the server of ``admin_url``, and a function that drops it."""
    import psycopg

    server = admin_url.rsplit("/", 1)[0]
    admin = psycopg.connect(admin_url, autocommit=True)
    name = f"pruneshift_faults_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()

    return f"{server}/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=6, help="kills in the kill scenario")
    parser.add_argument("--outage", type=float, default=30, help="seconds the database is away")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server to create scratch databases on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenarios", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of the kill scenario, each with kills of its own")
    args = parser.parse_args()
    chosen = set(args.scenarios)
    rng = random.Random(args.seed)
    outcomes = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        reference = scenarios.uninterrupted(root / "whole", SMALL)
        for repeat in range(args.repeats if "kills" in chosen else 0):
            outcomes.append(scenarios.kill_at_units(root / f"kills-{repeat}", reference,
                                                    _kills(args.kills, rng)))
            print(outcomes[-1].row(), flush=True)
        if "torn" in chosen:
            outcomes.append(scenarios.torn_journal(root / "torn", reference))
        if chosen & {"host", "outage"}:
            given = scenarios.uninterrupted(root / "whole-given", [*SMALL, *GIVEN_OPTIMUM])
            outcomes += _on_postgres(args, chosen, root, given)
        if "disk" in chosen and scenarios.can_mount():
            outcomes.append(scenarios.full_disk(root / "disk", reference))
        elif "disk" in chosen:
            print("skipped full disk: needs root to mount a small tmpfs")
    print("scenario     faults  lost  duplicated  running  equal to the uninterrupted run")
    for outcome in outcomes:
        print(outcome.row())
    clean = all((o.lost, o.duplicated, o.running, o.equal) == (0, 0, 0, True)
                and not [n for n in o.notes if "passed unseen" in n] for o in outcomes)
    print("all clean" if clean else "NOT CLEAN")
    sys.exit(0 if clean else 1)


def _kills(count: int, rng: random.Random) -> list[tuple[str, int]]:
    """``count`` kills spread over the unit kinds in order, each at a unit drawn among those
    left of its kind (a kill past them would pass unseen, and the rest with it): the study's
    units of a kind shared by the kills aimed at it."""
    config = load_config(scenarios.EXAMPLE, SMALL)
    first_round = config.settle.seeds_per_round * 2 * (len(config.pruning.ratios) - 1)
    most = {"hpo": config.hpo.n_trials, "cell": 20, "settle": first_round, "report": 1}
    kinds = scenarios.UNIT_KINDS
    aimed = [kinds[i * len(kinds) // count] for i in range(count)]
    return [(kind, 1 if kind == "report" else rng.randint(1, most[kind] // aimed.count(kind)))
            for kind in aimed]


def _on_postgres(args: argparse.Namespace, chosen: set[str], root: Path, given: Path
                 ) -> list[scenarios.Outcome]:
    """The chosen scenarios that need a database server, each on a scratch database."""
    outcomes = []
    for name in ("host", "outage"):
        if name not in chosen:
            continue
        if name == "host" and not scenarios.namespaces_available():
            print("skipped host lost: needs unshare with UTS and PID namespaces (root)")
            continue
        try:
            url, drop = scratch_database(args.postgres)
        except Exception as exc:  # no server, no driver: say so and go on
            print(f"skipped {name}: no PostgreSQL ({exc})")
            continue
        try:
            outcomes.append(scenarios.host_lost(root / "host", url, given) if name == "host"
                            else scenarios.outage(root / "outage", url, given, args.outage))
        finally:
            drop()
    return outcomes


if __name__ == "__main__":
    main()
