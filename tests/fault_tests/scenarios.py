"""Fault scenarios on whole studies: kills in every stage, a host lost for good, a database
outage, a full disk. Each runs the real CLI in subprocesses and returns what an auditor would
count: units lost, duplicated, left running, and whether the results equal an uninterrupted run.

Used by tests/fault_tests/test_scenarios.py (CI sizes) and benchmarks/faults.py (on demand).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from pruneshift.storage import default_storage_url, open_storage

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "synthetic.yaml"
QUICK = EXAMPLE.with_name("quick.yaml")
# A study with a unit of every kind and few of each: the faults hit whichever units run, and
# every unit costs its round trips to the storage (a 5 x 5 grid doubled the scenarios' time)
SMALL = ["hpo.n_trials=12", "hpo.n_startup_trials=4", "grid.axes.lr.points=3",
         "grid.axes.lr.span=100", "grid.axes.weight_decay.points=3",
         "grid.axes.weight_decay.span=100", "pruning.ratios=[0, 0.5, 0.75]",
         "settle.seeds_per_round=4", "settle.max_runs=16"]
GIVEN_OPTIMUM = ["hpo.method=none", "training.lr=0.05", "training.weight_decay=0.0005"]
FAST_HEARTBEAT = ["workers.heartbeat_interval=1", "workers.grace_period=3"]
VOLATILE = {"environment", "signature", "seconds", "latency_ms", "wall_seconds",
            "trial_seconds", "train_seconds", "members", "trial", "median_ms", "p90_ms",
            "artifact_id"}  # timings, how work was split, the storage's own ids
STAGE_TIMEOUT_S = 300


@dataclass
class Outcome:
    """What one scenario left behind."""

    name: str
    lost: int = 0  # units without a finished trial
    duplicated: int = 0  # units finished more than once
    running: int = 0  # trials left RUNNING
    equal: bool = False  # results and landscapes equal to the uninterrupted run's
    faults: list[str] = field(default_factory=list)  # what was done to the study
    notes: list[str] = field(default_factory=list)

    def row(self) -> str:
        return (f"{self.name:<12} faults {len(self.faults):>2}  lost {self.lost}  duplicated "
                f"{self.duplicated}  running {self.running}  equal {self.equal}  "
                f"({'; '.join(self.faults + self.notes)})")


def command(out: Path, sets: list[str], config: Path = EXAMPLE) -> list[str]:
    """``pruneshift run`` of ``config`` (the synthetic example) into ``out``."""
    args = [sys.executable, "-m", "pruneshift", "run", str(config), "--out", str(out)]
    for item in sets:
        args += ["--set", item]
    return args


def finish(out: Path, sets: list[str], env: dict[str, str] | None = None,
           config: Path = EXAMPLE) -> None:
    """Run the study to its end in one process (the user's rerun)."""
    done = subprocess.run(command(out, sets, config), capture_output=True, text=True,
                          timeout=STAGE_TIMEOUT_S, env=env)
    if done.returncode != 0:
        raise AssertionError(f"the rerun failed ({done.returncode}): {done.stderr[-2000:]}")


def uninterrupted(out: Path, sets: list[str], config: Path = EXAMPLE) -> Path:
    finish(out, sets, config=config)
    return out


def comparable(value: Any) -> Any:
    """``value`` without what differs between equal runs (timings, environment)."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    return value


def same_results(a: Path, b: Path) -> bool:
    """Equal results.json (but for timings) and equal landscapes.csv rows."""
    import pandas as pd

    results = [comparable(json.loads((d / "results.json").read_text())) for d in (a, b)]
    for r in results:
        r.pop("config", None)  # names the run folder and storage
    tables = []
    for d in (a, b):
        table = pd.read_csv(d / "landscapes.csv")
        table = table.drop(columns=[c for c in table.columns if c in VOLATILE])
        tables.append(table.sort_values(list(table.columns)).reset_index(drop=True))
    return results[0] == results[1] and tables[0].equals(tables[1])


def audit(url: str) -> tuple[int, int, int]:
    """(units lost, units duplicated, trials running) over every study at ``url``."""
    storage = open_storage(url)
    lost = duplicated = running = 0
    for name in optuna.get_all_study_names(storage):
        trials = optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)
        finished = Counter(t.user_attrs.get("key") for t in trials
                           if t.state in (TrialState.COMPLETE, TrialState.PRUNED))
        keys = {t.user_attrs.get("key") for t in trials} - {None}
        lost += len([k for k in keys if finished[k] == 0])
        duplicated += len([k for k in keys if finished[k] > 1])
        running += sum(t.state == TrialState.RUNNING for t in trials)
    return lost, duplicated, running


def _trials(url: str, prefix: str) -> list[optuna.trial.FrozenTrial]:
    storage = open_storage(url)
    found = []
    with contextlib.suppress(Exception):  # a journal being created, a database starting
        for name in optuna.get_all_study_names(storage):
            if prefix in name:
                found += optuna.load_study(study_name=name, storage=storage).get_trials(
                    deepcopy=False)
    return found


def stage_of(out: Path, url: str, pid: int, since: float) -> str | None:
    """Which stage process ``pid`` (started at ``since``) is in: a trial it runs, or the
    landscapes it wrote before the report."""
    table = out / "landscapes.csv"
    if (table.exists() and table.stat().st_mtime >= since
            and not (out / "results.json").exists()):
        return "report"
    for stage, prefix in (("grid", "/grid/"), ("hpo", "/hpo")):
        if any(t.state == TrialState.RUNNING and t.user_attrs.get("owner", {}).get("pid") == pid
               for t in _trials(url, prefix)):
            return stage
    return None


def start(out: Path, sets: list[str], **kwargs: Any) -> tuple[subprocess.Popen, float]:
    """A run in the background, and when it started."""
    since = time.time()
    return subprocess.Popen(command(out, sets), stdout=subprocess.DEVNULL, **kwargs), since


STAGE_ORDER = ("hpo", "grid", "report")


def reach(process: subprocess.Popen, since: float, out: Path, stage: str) -> str | None:
    """Wait until ``process`` works in ``stage`` or a later one (a resumed run may pass a short
    stage between two looks); that stage, or None if the process ended first."""
    url, seen = default_storage_url(out), []
    later = STAGE_ORDER[STAGE_ORDER.index(stage):]

    def there() -> bool:
        if process.poll() is not None:
            return True
        now = stage_of(out, url, process.pid, since)
        seen.append(now)
        return now in later

    wait_for(there, STAGE_TIMEOUT_S, poll=0.02)
    return seen[-1] if seen and seen[-1] in later and process.poll() is None else None


def wait_for(condition: Callable[[], bool], seconds: float, poll: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False


UNIT_KINDS = ("hpo", "cell", "settle", "report")  # the synthetic study's kinds of unit, in order


def kill_at_units(out: Path, reference: Path, kills: list[tuple[str, int]]) -> Outcome:
    """A single-worker run killed (SIGKILL, injected: ``pruneshift.faults``) as it is about to
    record its k-th unit of each listed kind, run after run, then finished."""
    url = default_storage_url(out)
    outcome = Outcome("kills")
    for kind, count in kills:
        env = {**os.environ, "PRUNESHIFT_KILL_AT": f"{kind}:{count}"}
        done = subprocess.run(command(out, SMALL), capture_output=True, env=env,
                              timeout=STAGE_TIMEOUT_S)
        if done.returncode == -signal.SIGKILL:
            outcome.faults.append(f"kill at {kind} {count}")
        else:
            outcome.notes.append(f"{kind} {count} passed unseen (exit {done.returncode})")
    finish(out, SMALL)
    outcome.lost, outcome.duplicated, outcome.running = audit(url)
    outcome.equal = same_results(out, reference)
    return outcome


def torn_journal(out: Path, reference: Path) -> Outcome:
    """A writer killed mid-line: half a journal entry at the end, then the rerun."""
    outcome = Outcome("torn journal")
    process, since = start(out, SMALL, stderr=subprocess.DEVNULL)
    reach(process, since, out, "grid")
    process.send_signal(signal.SIGKILL)
    process.wait()
    with (out / "journal.log").open("ab") as journal:
        journal.write(b'{"op_code": 6, "worker_id": "killed", "trial_id": 3, "sta')
    outcome.faults.append("kill mid-grid, torn last journal line")
    finish(out, SMALL)
    outcome.lost, outcome.duplicated, outcome.running = audit(default_storage_url(out))
    outcome.equal = same_results(out, reference)
    return outcome


def namespaces_available() -> bool:
    """Whether this machine can start a process as another host (UTS and PID namespaces)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--uts", "--pid", "--fork", "--mount-proc", "true"],
                           capture_output=True)
    return probe.returncode == 0


def as_other_host(args: list[str], host: str, env: dict[str, str]) -> subprocess.Popen:
    """Start ``args`` in new UTS and PID namespaces named ``host``: to this machine's workers
    it is a process on another machine (its pid means nothing here)."""
    script = f"hostname {host} && exec {' '.join(map(_quote, args))}"
    return subprocess.Popen(["unshare", "--uts", "--pid", "--fork", "--mount-proc", "sh", "-c",
                             script], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def host_lost(out: Path, url: str, reference: Path) -> Outcome:
    """Two workers share a study; the one on another host dies for good holding grid cells;
    the local one finishes the study (redoing those cells once their heartbeats stop)."""
    outcome = Outcome("host lost")
    sets = [*SMALL, *GIVEN_OPTIMUM, *FAST_HEARTBEAT, "training.members=4"]
    env = {**os.environ, "PRUNESHIFT_STORAGE": url}
    out.mkdir(parents=True, exist_ok=True)
    remote = as_other_host(command(out, sets), "lost-host", env)
    local, _ = start(out, sets, env=env, stderr=subprocess.PIPE, text=True)

    def remote_holds_cells() -> bool:
        return any(t.state == TrialState.RUNNING and
                   t.user_attrs.get("owner", {}).get("host") == "lost-host"
                   for t in _trials(url, "/grid/"))

    if not wait_for(remote_holds_cells, STAGE_TIMEOUT_S, poll=0.02):
        os.killpg(remote.pid, signal.SIGKILL)
        raise AssertionError("the worker on the other host never took a grid cell")
    os.killpg(remote.pid, signal.SIGKILL)  # the whole namespace, for good
    remote.wait()
    outcome.faults.append("host lost holding cells")
    if local.wait(timeout=STAGE_TIMEOUT_S) != 0:
        outcome.notes.append(f"the local worker failed: {local.stderr.read()[-300:]}")
    outcome.lost, outcome.duplicated, outcome.running = audit(url)
    outcome.equal = same_results(out, reference)
    return outcome


def _stopped(pid: int) -> bool:
    """Whether process ``pid`` is stopped (SIGSTOP)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False


def _outputs(out: Path) -> dict[str, str]:
    """Every result and model file of a run folder by its digest."""
    import hashlib

    files = [out / "results.json", *sorted((out / "models").glob("*"))]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files if f.exists()}


def frozen_worker(out: Path, url: str, reference: Path, kind: str,
                  config: Path = EXAMPLE, sets: list[str] | None = None) -> Outcome:
    """Worker A frozen (SIGSTOP, injected as it starts its first unit of ``kind``) past the
    grace period, worker B finishing the study meanwhile (redoing A's unit), then A thawed
    (SIGCONT): A must drop its unit with one line, change no result or model file, and exit
    cleanly."""
    outcome = Outcome(f"frozen {kind}")
    sets = [*(SMALL if sets is None else sets), *GIVEN_OPTIMUM, *FAST_HEARTBEAT]
    env = {**os.environ, "PRUNESHIFT_STORAGE": url}
    out.mkdir(parents=True, exist_ok=True)
    args = command(out, sets, config)
    frozen = subprocess.Popen(args, env={**env, "PRUNESHIFT_STOP_AT": f"{kind}:1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if not wait_for(lambda: _stopped(frozen.pid), STAGE_TIMEOUT_S, poll=0.05):
        frozen.kill()
        raise AssertionError(f"the worker never started a unit of kind {kind}")
    helper = subprocess.run(args, env=env, capture_output=True, text=True,
                            timeout=STAGE_TIMEOUT_S)
    if helper.returncode != 0:
        outcome.notes.append(f"the other worker failed: {helper.stderr[-300:]}")
    before = _outputs(out)
    frozen.send_signal(signal.SIGCONT)
    code = frozen.wait(timeout=STAGE_TIMEOUT_S)
    outcome.faults.append(f"worker frozen at its first {kind} unit past the grace period, "
                          "then thawed")
    errors = frozen.stderr.read()
    if code != 0 or "Traceback" in errors:
        outcome.notes.append(f"the thawed worker failed ({code}): {errors[-300:]}")
    if "taken over by another worker" not in errors:
        outcome.notes.append("the thawed worker did not say its unit was taken over")
    if _outputs(out) != before:
        outcome.notes.append("the thawed worker changed a result or model file")
    outcome.lost, outcome.duplicated, outcome.running = audit(url)
    outcome.equal = same_results(out, reference)
    return outcome


class Proxy:
    """A TCP relay in front of a database that can be cut (every connection dropped, new ones
    refused) and restored on the same port: a database outage as its clients see it."""

    def __init__(self, target: tuple[str, int], host: str = "127.0.0.1"):
        self.target, self.host, self.port = target, host, _free_port()
        self._sockets: set[socket.socket] = set()
        self._guard = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.create_server((self.host, self.port))  # SO_REUSEADDR on POSIX
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._guard:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    @contextlib.contextmanager
    def outage(self, seconds: float) -> Iterator[None]:
        self.cut()
        try:
            time.sleep(seconds)
            yield
        finally:
            self.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._guard:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def outage(out: Path, database_url: str, reference: Path, seconds: float) -> Outcome:
    """Two workers through a relay that is cut for ``seconds`` while they train the grid."""
    outcome = Outcome("outage")
    proxy = Proxy(("127.0.0.1", 5432))
    proxy.start()
    url = database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    sets = [*SMALL, *GIVEN_OPTIMUM, *FAST_HEARTBEAT, "training.members=4",
            f"workers.retry_seconds={2 * seconds + 3:g}"]  # retries outlast the outage
    env = {**os.environ, "PRUNESHIFT_STORAGE": url}
    out.mkdir(parents=True, exist_ok=True)
    workers = [start(out, sets, env=env, stderr=subprocess.PIPE, text=True)[0]
               for _ in range(2)]
    if wait_for(lambda: any(t.state == TrialState.RUNNING for t in _trials(url, "/grid/")),
                STAGE_TIMEOUT_S):
        with proxy.outage(seconds):
            pass
        outcome.faults.append(f"database unreachable for {seconds:g} s")
    codes = [w.wait(timeout=STAGE_TIMEOUT_S) for w in workers]
    if any(codes):
        outcome.notes.append(f"worker exit codes {codes}: "
                             + " | ".join(w.stderr.read()[-300:] for w in workers))
        finish(out, sets, env)
    outcome.lost, outcome.duplicated, outcome.running = audit(url)
    outcome.equal = same_results(out, reference)
    proxy.cut()
    return outcome


LINK = ("10.231.0.1", "10.231.0.2")  # this side and the far side of a test's private link


def can_partition() -> bool:
    """Whether this machine can make network namespaces joined by a veth link (root)."""
    try:
        with private_link():
            return True
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False


@contextlib.contextmanager
def private_link() -> Iterator[tuple[str, str]]:
    """A network namespace joined to this one by a veth pair (``LINK``): (namespace, this
    side's interface). Setting that interface down drops every packet on the link without a
    reset: a silent partition, as a cut cable or a dead switch is to the far side."""
    tag = os.getpid() % 100_000
    namespace, here, there = f"pspart{tag}", f"psh{tag}", f"pst{tag}"
    inside = ["ip", "netns", "exec", namespace]
    steps = [["ip", "netns", "add", namespace],
             ["ip", "link", "add", here, "type", "veth", "peer", "name", there],
             ["ip", "link", "set", there, "netns", namespace],
             ["ip", "addr", "add", f"{LINK[0]}/30", "dev", here],
             ["ip", "link", "set", here, "up"],
             [*inside, "ip", "addr", "add", f"{LINK[1]}/30", "dev", there],
             [*inside, "ip", "link", "set", there, "up"],
             [*inside, "ip", "link", "set", "lo", "up"]]
    try:
        for step in steps:
            subprocess.run(step, check=True, capture_output=True)
        yield namespace, here
    finally:
        subprocess.run(["ip", "link", "del", here], capture_output=True)
        subprocess.run(["ip", "netns", "del", namespace], capture_output=True)


def silent_partition(out: Path, database_url: str, reference: Path, seconds: float) -> Outcome:
    """One worker in its own network namespace, its link to the database dropping every packet
    (no reset, no refusal) for ``seconds`` while it trains the grid: it must say so within
    seconds, retry, and finish once the link is back."""
    outcome = Outcome("partition")
    sets = [*SMALL, *GIVEN_OPTIMUM, *FAST_HEARTBEAT, "training.members=4",
            f"workers.retry_seconds={2 * seconds + 30:g}"]  # retries outlast the partition
    out.mkdir(parents=True, exist_ok=True)
    with private_link() as (namespace, link):
        proxy = Proxy(("127.0.0.1", 5432), host=LINK[0])
        proxy.start()
        url = database_url.replace("127.0.0.1:5432", f"{LINK[0]}:{proxy.port}")
        worker = subprocess.Popen(["ip", "netns", "exec", namespace, *command(out, sets)],
                                  env={**os.environ, "PRUNESHIFT_STORAGE": url},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        heard: list[tuple[float, str]] = []
        reader = threading.Thread(target=lambda: heard.extend(
            (time.monotonic(), line) for line in worker.stderr), daemon=True)
        reader.start()
        if wait_for(lambda: any(t.state == TrialState.RUNNING for t in _trials(url, "/grid/")),
                    STAGE_TIMEOUT_S):
            subprocess.run(["ip", "link", "set", link, "down"], check=True)
            cut = time.monotonic()
            time.sleep(seconds)
            subprocess.run(["ip", "link", "set", link, "up"], check=True)
            outcome.faults.append(f"link silent for {seconds:g} s")
            said = [t - cut for t, line in list(heard) if "connection lost" in line and t > cut]
            if not said:
                outcome.notes.append(f"no word from the worker in {seconds:g} s of partition")
            elif said[0] > 30:
                outcome.notes.append(f"the worker's first word came after {said[0]:.0f} s")
        code = worker.wait(timeout=STAGE_TIMEOUT_S)
        reader.join(timeout=5)
        if code != 0:
            outcome.notes.append(f"worker exit code {code}: "
                                 + "".join(line for _, line in heard)[-300:])
            finish(out, sets, {**os.environ, "PRUNESHIFT_STORAGE": database_url})
        outcome.lost, outcome.duplicated, outcome.running = audit(database_url)
        outcome.equal = same_results(out, reference)
        proxy.cut()
    return outcome


@contextlib.contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of ``megabytes`` mounted at ``folder`` (needs root)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)],
                   check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def can_mount() -> bool:
    probe = Path(f"/tmp/pruneshift-mount-probe-{os.getpid()}")
    try:
        with small_disk(probe, 1):
            return True
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False
    finally:
        with contextlib.suppress(OSError):
            probe.rmdir()


def fill(folder: Path) -> Path:
    """Take every free byte of ``folder``'s file system (none to take if the run took them)."""
    ballast = folder / "ballast"
    with contextlib.suppress(OSError), ballast.open("wb") as file:
        while True:
            file.write(b"\0" * (1 << 16))
            file.flush()
    return ballast


def full_disk(root: Path, reference: Path) -> Outcome:
    """The disk fills up during the grid and again during the report: each time the run stops
    with one line naming the problem; once space is freed the rerun finishes."""
    outcome = Outcome("full disk")
    with small_disk(root, 64) as disk:
        out = disk / "run"
        for stage in ("grid", "report"):
            process, since = start(out, SMALL, stderr=subprocess.PIPE, text=True)
            reach(process, since, out, stage)
            ballast = fill(disk)
            code = process.wait(timeout=STAGE_TIMEOUT_S)
            message = process.stderr.read().strip().splitlines()
            ballast.unlink(missing_ok=True)
            if code == 0:
                outcome.notes.append(f"{stage}: finished before the disk filled")
                continue
            outcome.faults.append(f"disk full in {stage}")
            last = message[-1] if message else ""
            if code != 2 or "No space left" not in last or "Traceback" in "\n".join(message):
                outcome.notes.append(f"{stage}: exit {code}, not a one-line error: {last!r}")
        finish(out, SMALL)
        outcome.lost, outcome.duplicated, outcome.running = audit(default_storage_url(out))
        outcome.equal = same_results(out, reference)
    return outcome
